"""The placement protocol (a figure's JSON declares what index i of a field moves; viz_app/web/placement.json) is
read in two places: in the browser by viz_app/web/controls.js (``placement``, then Plotly's API) and on the server by
viz_app/figures/common.place (a figure built once, placed at each step). Both run here on the app's own figures, the
browser's in node, and give the same figure at every index."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from viz_app.export import figures as export_figures
from viz_app.figures.common import place
from viz_app.state import fields as S

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("step", "snapshot", "rho")

# applies placement()'s dotted-key changes to the figure, as Plotly.update / relayout would
HARNESS = """
import { placement } from %(module)s;
import { readFileSync } from "node:fs";
function set(obj, dotted, value) {
  const keys = dotted.split(".");
  let o = obj;
  keys.forEach((k, n) => {
    const m = /^(\\w+)\\[(\\d+)\\]$/.exec(k);
    const last = n === keys.length - 1;
    if (m) {
      if (last) { o[m[1]][Number(m[2])] = value; return; }
      o = o[m[1]][Number(m[2])];
    } else if (last) {
      o[k] = value;
    } else {
      o[k] = o[k] ?? {};
      o = o[k];
    }
  });
}
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const table = JSON.parse(readFileSync(process.argv[3], "utf8"));
const out = cases.map(([fig, index, field]) => {
  const placed = JSON.parse(JSON.stringify(fig));
  const { layout, traces } = placement(placed, index, field, table);
  for (const [key, value] of Object.entries(layout)) set(placed.layout, key, value);
  for (const c of traces) {
    const tr = placed.data[c.trace];
    if (c.x !== undefined) tr.x = c.x;
    if (c.y !== undefined) tr.y = c.y;
    for (const [key, value] of Object.entries(c.style)) set(tr, key, value);
  }
  return placed;
});
process.stdout.write(JSON.stringify(out));
"""


def numbers(obj):
    """JSON with every number a float: node writes 1.2e17 as an integer, Python as a float."""
    if isinstance(obj, dict):
        return {k: numbers(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [numbers(v) for v in obj]
    return float(obj) if isinstance(obj, int) and not isinstance(obj, bool) else obj


def declares(spec: dict, field: str) -> bool:
    """Whether a figure moves anything for ``field``."""
    text = json.dumps(spec)
    return f'"{field}_' in text or f'"{field}-x"' in text or f'"{field}-y"' in text


def run_js(cases: list, tmp_path: Path, table: Path = ROOT / "viz_app" / "web" / "placement.json") -> list:
    module = tmp_path / "controls.mjs"
    shutil.copy(ROOT / "viz_app" / "web" / "controls.js", module)
    (tmp_path / "harness.mjs").write_text(HARNESS % {"module": json.dumps(module.as_uri())})
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    out = subprocess.run(["node", str(tmp_path / "harness.mjs"), str(tmp_path / "cases.json"),
                          str(table)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by .ci/setup.sh")
def test_the_browser_and_the_server_place_every_figure_alike(tmp_path):
    state = S.baseline("").with_(lang="en", epochs=60)
    cases = []
    for _, _, fig in export_figures.all_figures(state, ("unroll", "states", "bptt", "eigen", "timeline")):
        spec = json.loads(fig.to_json())
        for field in FIELDS:
            if declares(spec, field):
                count = max(len(v) for v in [*(spec["layout"].get("meta") or {}).values(), [0] * 12]
                            if isinstance(v, list))
                cases += [(spec, i, field) for i in sorted({0, 1, count // 2, count - 1})]
    fields = {c[2] for c in cases}
    assert {"step", "snapshot", "rho"} <= fields and len(cases) > 20  # the protocol's every field, on many figures
    for (spec, index, field), browser in zip(cases, run_js(cases, tmp_path), strict=True):
        server = json.loads(json.dumps(place(spec, index, field)))
        assert numbers(browser) == numbers(server), (spec["layout"].get("title"), field, index)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by .ci/setup.sh")
def test_a_difference_between_the_two_is_seen(tmp_path):
    """The comparison can fail: a figure whose band the server would put elsewhere differs from the browser's."""
    spec = {"data": [{"type": "scatter", "x": [0, 1, 2], "y": [1, 2, 3], "meta": {"step_y": [[1], [2], [3]]}}],
            "layout": {"shapes": [{"type": "rect", "name": "step-x", "x0": 0, "x1": 1}], "meta": {}}}
    (browser,) = run_js([(spec, 2, "step")], tmp_path)
    assert numbers(browser) == numbers(json.loads(json.dumps(place(spec, 2, "step"))))
    assert numbers(browser) != numbers(json.loads(json.dumps(place(spec, 1, "step"))))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by .ci/setup.sh")
def test_both_sides_read_the_one_table(tmp_path, monkeypatch):
    """A change made in placement.json alone (a band a quarter wide, a title key renamed) reaches both sides."""
    from viz_app.figures import common
    table = json.loads((ROOT / "viz_app" / "web" / "placement.json").read_text())
    table["items"][0][2] = {"x0": -0.25, "x1": 0.25}
    table["layout"][1][0] = "headings"
    spec = {"data": [{"type": "scatter", "x": [0, 1], "y": [1, 2]}],
            "layout": {"shapes": [{"type": "rect", "name": "step-x", "x0": 0, "x1": 1}],
                       "meta": {"step_headings": ["a", "b", "c"], "step_titles": ["x", "y", "z"]}}}
    monkeypatch.setattr(common, "PLACEMENT", table)
    (tmp_path / "table.json").write_text(json.dumps(table))
    (browser,) = run_js([(spec, 2, "step")], tmp_path, tmp_path / "table.json")
    server = json.loads(json.dumps(common.place(spec, 2, "step")))
    assert numbers(browser) == numbers(server)
    assert server["layout"]["shapes"][0]["x0"] == 1.75 and server["layout"]["title"]["text"] == "c"
