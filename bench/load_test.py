"""Classroom load test (not part of CI): `streamlit run` on a local port, then N concurrent headless-browser
sessions that each open the lecture link (training the default model, cached after the first), and visit every
view; then M more sessions one after another to show that memory stays bounded (every cache has a size limit).

Reports sessions completed, errors, p50 / p95 time to first figure, and the server's peak memory. One sequential
session uploads its own model; the check that no other session ever shows it is part of the report.

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

from playwright.async_api import async_playwright  # noqa: E402

from viz_app import state as S  # noqa: E402
from viz_app.i18n import t  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
UPLOADED = t("msg.using_model", "en")[:40]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_mib(self.pid))
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
        for view in S.VIEWS:
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


async def main_async(a):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "viz_app/main.py", "--server.port",
                               str(port), "--server.address", "127.0.0.1"], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    watch = MemoryWatch(server.pid)
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        watch.start()
        url = f"http://127.0.0.1:{port}/?lang=en"
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            start = time.time()
            results = await asyncio.gather(*(session(browser, url) for _ in range(a.concurrent)))
            wall = time.time() - start
            firsts = sorted(r["first"] for r in results if r["first"] is not None)
            errors = [r["error"] for r in results if r["error"]]
            print(f"[concurrent] {a.concurrent} sessions in {wall:.0f} s: completed {a.concurrent - len(errors)}, "
                  f"errors {len(errors)}")
            if firsts:
                p95 = firsts[min(len(firsts) - 1, round(0.95 * (len(firsts) - 1)))]
                print(f"  time to first figure: p50 {statistics.median(firsts):.1f} s   p95 {p95:.1f} s")
            for e in errors[:5]:
                print("  error:", e)
            print(f"  server peak RSS so far: {watch.peak:.0f} MiB")
            leaks, seq_errors = 0, 0
            for i in range(a.sequential):
                r = await session(browser, url, upload=(i == 0))
                seq_errors += r["error"] is not None
                leaks += i > 0 and r["saw_upload"]
                if (i + 1) % max(1, a.sequential // 4) == 0:
                    print(f"  after {i + 1:4d} sequential sessions: server RSS {rss_mib(server.pid):6.0f} MiB "
                          f"(peak {watch.peak:.0f}), errors {seq_errors}")
            print(f"[sequential] {a.sequential} sessions, errors {seq_errors}; sessions that saw another session's "
                  f"uploaded model: {leaks}")
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
