"""UI figures for BENCHMARKS.md, measured in the real app through WebDriver:

1. keystroke → updated cost table: the prompt changes (as a keystroke does), and the
   clock stops at the first painted frame after the table has the new estimate
   (includes the canvas's intentional 150 ms debounce, the IPC round trip, pricing
   every offer and rendering).
2. gallery scroll with a large library: the grid is scrolled continuously for a few
   seconds; frame intervals from requestAnimationFrame give the smoothness, and the
   number of rendered cells shows the virtualization.

    make bench-ui   (seeds a 100,000-image library first; see the Makefile)
"""

import json
import os
import statistics
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(__file__))
import conftest  # noqa: E402  (fixtures reused as plain context managers below)

KEYSTROKE_JS = """
const [word, done] = arguments;
const ta = document.querySelector('[data-testid=prompt]');
const table = () => document.querySelector('[data-testid=cost-table]');
const t0 = performance.now();
ta.value = ta.value + word;
ta.dispatchEvent(new Event('input', { bubbles: true }));
const seenStale = { v: false };
function check() {
  const t = table();
  if (t && t.classList.contains('stale')) seenStale.v = true;
  if (seenStale.v && t && !t.classList.contains('stale')) {
    requestAnimationFrame(() => done(performance.now() - t0));
  } else {
    requestAnimationFrame(check);
  }
}
requestAnimationFrame(check);
"""

SCROLL_JS = """
const [seconds, step, done] = arguments;
const grid = document.querySelector('[data-testid=gallery-grid]');
const frames = []; let maxCells = 0; let last = performance.now(); const end = last + seconds * 1000;
function tick(now) {
  frames.push(now - last); last = now;
  maxCells = Math.max(maxCells, grid.querySelectorAll('[data-testid=gallery-item]').length);
  grid.scrollTop += step;
  if (now < end) requestAnimationFrame(tick);
  else done({ frames, maxCells, scrollTop: grid.scrollTop, scrollHeight: grid.scrollHeight });
}
requestAnimationFrame(tick);
"""


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    data_dir = os.environ.get("PROOFSHEET_BENCH_DATA_DIR")
    if not data_dir:
        sys.exit("set PROOFSHEET_BENCH_DATA_DIR to a seeded library (make bench-ui does)")
    server, _ = conftest.serve()
    env = dict(os.environ, PROOFSHEET_DATA_DIR=data_dir,
               PROOFSHEET_OPENAI_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/openai/v1",
               PROOFSHEET_OPENAI_API_KEY=conftest.FAKE_OPENAI_KEY)
    with conftest.running_tauri_driver(env), conftest.app_session() as driver:
        driver.set_script_timeout(60)
        conftest.find(driver, "nav-canvas").click()
        conftest.find(driver, "prompt").send_keys("a lighthouse")
        time.sleep(1.0)
        words = [" at", " dusk", ",", " risograph", " print", ",", " two", " inks", ",", " grain",
                 " texture", ",", " wide", " shot", ",", " fog", " rolling", " in", ",", " warm",
                 " light", ",", " calm", " sea", ",", " poster"] * 2
        latencies = [driver.execute_async_script(KEYSTROKE_JS, w) for w in words]
        conftest.find(driver, "nav-gallery").click()
        grid = conftest.find(driver, "gallery-grid", timeout=30)
        WebDriverWait(driver, 60).until(lambda d: int(grid.get_attribute("data-total") or 0) > 0)
        total = int(grid.get_attribute("data-total"))
        time.sleep(1.0)
        scroll = driver.execute_async_script(SCROLL_JS, 5, 400)
        frames = scroll["frames"][1:]
        result = {
            "keystroke_to_cost_table_ms": {"median": round(statistics.median(latencies), 1),
                                            "p95": round(pct(latencies, 95), 1), "n": len(latencies)},
            "gallery": {"total_images": total, "frames": len(frames),
                        "frame_ms_median": round(statistics.median(frames), 1),
                        "frame_ms_p95": round(pct(frames, 95), 1),
                        "frames_over_33ms_pct": round(100 * sum(f > 33.4 for f in frames) / len(frames), 1),
                        "max_rendered_cells": scroll["maxCells"],
                        "scrolled_px": round(scroll["scrollTop"])},
        }
        print(json.dumps(result, indent=2))
        out = conftest.SHOTS / "ui-measurements.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        conftest.screenshot(driver, "bench-gallery-100k")
    server.shutdown()


if __name__ == "__main__":
    main()
