"""Classroom load test (not part of CI): `streamlit run` on a local port, then

1. N students at once, each a real websocket client speaking Streamlit's protocol (the browser's part without the
   browser), opening the lecture link and then every view: the default model trains once, everyone gets it;
2. M more students one after another, each with a different seed (a different model, so the caches fill and must
   evict): the server's memory must stay bounded;
3. headless browsers: one uploads its own model, the others must never see it.

Reports students completed, errors, p50 / p95 time to first figure, and the server's peak memory.

Run: .venv/bin/python bench/load_test.py [--concurrent 20] [--sequential 200]
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from viz_app import views  # noqa: E402
from viz_app.views import catalog  # noqa: E402, F401  (registers the views)
from viz_app.text.i18n import t  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
UPLOADED = t("msg.using_model", "en")[:40]


def tree_pss_mib(pid: int) -> float:
    """Proportional set size of a process and all its descendants (the server, its fork server and the workers:
    pages they share, such as torch's, counted once), in MiB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


class MemoryWatch(threading.Thread):
    """Peak memory of the server's whole process tree (PSS), polled every 0.25 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, tree_pss_mib(self.pid))
            time.sleep(0.25)


async def settle(page, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = await page.get_attribute("[data-testid=stApp]", "data-test-script-state")
        if state == "notRunning" and await page.locator(".js-plotly-plot").count() > 0:
            return
        await asyncio.sleep(0.25)
    raise TimeoutError("the app did not finish")


async def session(browser, url: str, upload: bool = False) -> dict:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = await ctx.new_page()
    out = {"first": None, "error": None, "saw_upload": False}
    start = time.time()
    try:
        await page.goto(url, timeout=180_000, wait_until="domcontentloaded")
        await settle(page)
        out["first"] = time.time() - start
        if upload:
            await page.get_by_text(t("ctl.uploads", "en")).click()
            await page.locator("[data-testid=stFileUploaderDropzoneInput]").nth(1).set_input_files(
                str(ROOT / "assets" / "models" / "hello_gru_net.pt"))
            await settle(page)
            await page.get_by_role("button", name=t("ctl.use_model", "en")).click()
            await settle(page)
        for view in views.names():
            await page.get_by_role("radio", name=t(f"view.{view}", "en"), exact=True).click()
            await settle(page)
            if await page.locator("[data-testid=stException]").count():
                raise RuntimeError(f"exception shown on {view}")
            out["saw_upload"] |= UPLOADED in await page.inner_text("body")
    except Exception as e:  # counted and reported, the run goes on
        out["error"] = f"{type(e).__name__}: {e}"[:200]
    finally:
        await ctx.close()
    return out


async def open_link(port: int, query: str, source: str | None = None) -> dict:
    """One app session over the websocket: seconds to the first chart and to the end of the script run (every figure
    sent), how many charts, and the error (an exception shown, or a failed connection) or None. ``source``: the
    loopback address the connection comes from (127.0.0.2 is another client to the server; 127.0.0.1 its own
    machine)."""
    start, out = time.perf_counter(), {"first": None, "all": None, "charts": 0, "error": None}
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", max_size=None,
                                      subprotocols=["streamlit"], open_timeout=300,
                                      **({"local_addr": (source, 0)} if source else {})) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = query
            await ws.send(msg.SerializeToString())
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=600))
                kind = fwd.WhichOneof("type")
                if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                    element = fwd.delta.new_element.WhichOneof("type")
                    if element == "exception" and out["error"] is None:
                        out["error"] = "exception: " + fwd.delta.new_element.exception.message[:150]
                    elif element == "plotly_chart":
                        out["charts"] += 1
                        if out["first"] is None:
                            out["first"] = time.perf_counter() - start
                if kind == "script_finished":
                    out["all"] = time.perf_counter() - start
                    return out
    except Exception as e:  # counted and reported
        out["error"] = f"{type(e).__name__}: {e}"[:200]
    return out


async def ws_session(port: int, query: str) -> tuple[float | None, str | None]:
    """One app session over the websocket: (seconds to the first chart, error or None)."""
    out = await open_link(port, query)
    return out["first"], out["error"] or (None if out["first"] is not None else "no chart")


async def ws_student(port: int, base: str, shown: tuple[str, ...] | None = None) -> dict:
    """Opens the link, then every view (``shown``: these; each a session, as a student clicking through would cause)."""
    firsts, errors = [], []
    for view in shown or views.names():
        first, err = await ws_session(port, f"{base}&view={view}")
        firsts.append(first)
        if err:
            errors.append(f"{view}: {err}")
    return {"first": firsts[0], "errors": errors}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def start_server(*args: str, script: str = "viz_app/main.py", root: Path = ROOT,
                 env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """`streamlit run` on a free local port (extra server flags in ``args``; the project at ``root``), once it
    accepts connections."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port",
                               str(port), "--server.address", "127.0.0.1", *args], cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    return server, port


async def main_async(a):
    server, port = start_server()
    watch = MemoryWatch(server.pid)
    try:
        watch.start()
        start = time.time()
        results = await asyncio.gather(*(ws_student(port, "lang=en") for _ in range(a.concurrent)))
        wall = time.time() - start
        firsts = [r["first"] for r in results if r["first"] is not None]
        errors = [e for r in results for e in r["errors"]]
        done = sum(not r["errors"] for r in results)
        print(f"[concurrent] {a.concurrent} students x {len(views.names())} views in {wall:.0f} s: completed {done}, "
              f"errors {len(errors)}")
        if firsts:
            print(f"  time to first figure: p50 {statistics.median(firsts):.1f} s   p95 {pct(firsts, 0.95):.1f} s")
        for e in errors[:5]:
            print("  error:", e)
        print(f"  server peak RSS: {watch.peak:.0f} MiB")
        seq_errors = 0
        for i in range(a.sequential):
            r = await ws_student(port, f"lang=en&seed={i + 1}&epochs=100", shown=("unroll", "bptt", "eigen"))
            seq_errors += bool(r["errors"])
            if (i + 1) % max(1, a.sequential // 5) == 0:
                print(f"  after {i + 1:4d} sequential students (distinct models): server RSS "
                      f"{tree_pss_mib(server.pid):6.0f} MiB (peak {watch.peak:.0f}), errors {seq_errors}")
        print(f"[sequential] {a.sequential} students, errors {seq_errors}")
        url = f"http://127.0.0.1:{port}/?lang=en&view=states&text=hello&epochs=30"
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            owner = await session(browser, url, upload=True)
            others = await asyncio.gather(*(session(browser, url) for _ in range(3)))
            leaks = sum(r["saw_upload"] for r in others)
            print(f"[isolation] uploader saw its model: {owner['saw_upload']}; other sessions that saw it: {leaks} "
                  f"of {len(others)}; errors {sum(bool(r['error']) for r in [owner, *others])}")
            await browser.close()
    finally:
        watch.stop = True
        server.terminate()
        server.wait(10)
    print(f"[server] peak RSS {watch.peak:.0f} MiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrent", type=int, default=20)
    ap.add_argument("--sequential", type=int, default=200)
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
