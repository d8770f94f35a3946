"""ruff is part of the test suite: the code base stays lint-clean."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruff_clean():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "engine", "viz_app", "tests", "bench"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
