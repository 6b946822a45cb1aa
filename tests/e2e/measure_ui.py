"""UI figures for BENCHMARKS.md, measured in the real app through WebDriver:

1. keystroke → updated cost table: the prompt changes (as a keystroke does), and the
   clock stops at the first painted frame after the table has the new estimate
   (includes the canvas's intentional 150 ms debounce, the IPC round trip, pricing
   every offer and rendering).
2. gallery scroll with a large library: the grid is scrolled continuously for a few
   seconds; frame intervals from requestAnimationFrame give the smoothness, and the
   number of rendered cells shows the virtualization.

3. cold start to an interactive gallery: the app is launched RUNS_START times; as soon
   as its first screen is up the gallery is opened, and the clock (process start, from
   /proc) stops when the first thumbnails have loaded. First paint counts from the same
   exec to the UI's `proofsheet-first-paint` mark; the app's own figure (from the shell's
   `run()`, after the dynamic loader) is read through `app_info` as well. WebDriver's
   round trips are inside the interactive figure.
4. memory (PSS) of the whole app tree (app + WebKit processes): idle after start, and
   after the gallery was scrolled to its last image (every page loaded).
5. JOBS concurrent jobs (default 100) against a fake OpenAI whose every call takes 2 s
   (`WAIT2S` in the prompt): wall time to the last job's end, and the longest UI frame
   while they run.

    make bench-ui   (seeds a 100,000-image library first; see the Makefile)
    make bench-ui BENCH_PROFILE=release   (the same against a release build)
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(__file__))
import conftest  # noqa: E402  (fixtures reused as plain context managers below)
import measure_app  # noqa: E402  (the /proc readers)

# A keystroke into a field of the canvas: the prompt (appends `word`) or, with
# `field` = 'count', the image count (replaces it: every offer's price changes).
KEYSTROKE_JS = """
const [word, done] = arguments.length > 2 ? [arguments[0], arguments[2]] : arguments;
const field = arguments.length > 2 ? arguments[1] : 'prompt';
const ta = document.querySelector(`[data-testid=${field}]`);
const table = () => document.querySelector('[data-testid=cost-table]');
const t0 = performance.now();
ta.value = field === 'prompt' ? ta.value + word : word;
ta.dispatchEvent(new Event('input', { bubbles: true }));
// The table turns `stale` while the new estimate is on its way; when pricing is faster
// than a frame that class may never be seen, so a changed table also counts. A table
// that does not change within 5 s gives null (left out of the figures, and counted).
const seenStale = { v: false };
const before = table() ? table().textContent : '';
function check() {
  const t = table();
  // `data-pending`: the request is in flight (the `stale` look now shows only when slow).
  const busy = (x) => x.classList.contains('stale') || x.dataset.pending === 'true';
  if (t && busy(t)) seenStale.v = true;
  const fresh = t && !busy(t);
  if (fresh && (seenStale.v || t.textContent !== before)) {
    requestAnimationFrame(() => done(performance.now() - t0));
  } else if (performance.now() - t0 > 5000) {
    done(null);
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


RUNS_START = int(os.environ.get("RUNS_START", "5"))
JOBS = int(os.environ.get("JOBS", "100"))
# Calls at once per provider for the jobs step (the app's default is 8).
JOBS_CAP = int(os.environ.get("JOBS_CAP", "100"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "8"))

GALLERY_READY_JS = """
const done = arguments[arguments.length - 1];
function check() {
  const grid = document.querySelector('[data-testid=gallery-grid]');
  const imgs = grid ? [...grid.querySelectorAll('[data-testid=gallery-item] img')] : [];
  if (imgs.length > 0 && imgs.slice(0, 12).every((i) => i.complete && i.naturalWidth > 0)) {
    requestAnimationFrame(() => done(Date.now()));
  } else {
    requestAnimationFrame(check);
  }
}
check();
"""

# The first paint on the wall clock (the mark boot.ts sets two frames after mount), so the
# figure counts from the process's exec, as the interactive one does; `app_info`'s own
# figure counts from the shell's `run()`, after the dynamic loader.
FIRST_PAINT_EPOCH_JS = """
const mark = performance.getEntriesByName('proofsheet-first-paint')[0];
return mark ? performance.timeOrigin + mark.startTime : null;
"""

APP_INFO_JS = """
const done = arguments[arguments.length - 1];
window.__TAURI_INTERNALS__.invoke('app_info').then((i) => done(i.first_paint_ms), () => done(null));
"""

# Scrolls to the end of the gallery a viewport-stride at a time, letting each page load.
# Jumps to the end of the gallery and waits until the last image is rendered (since
# round 7 of issue 17 the list reads the rows there directly with an `@n` jump cursor; it
# used to fetch every page before them on the way, keyset-paged in order).
# The first run's version stepped 8 viewports every 16 ms and read the cells of a row
# whose page had not arrived yet (placeholders), so it never saw an index (maxIndex -1).
SCROLL_ALL_JS = """
const [budgetS, done] = arguments;
const grid = document.querySelector('[data-testid=gallery-grid]');
const total = Number(grid.dataset.total);
const t0 = performance.now();
function step() {
  grid.scrollTop = grid.scrollHeight;
  const cells = grid.querySelectorAll('[data-testid=gallery-item]');
  const maxIndex = Math.max(-1, ...[...cells].map((c) => Number(c.dataset.index)));
  if (maxIndex >= total - 1 || performance.now() - t0 > budgetS * 1000) {
    done({ seconds: (performance.now() - t0) / 1000, maxIndex, total });
  } else {
    setTimeout(step, 50);
  }
}
step();
"""

JOBS_JS = """
const [n, project, cap, done] = arguments;
const I = window.__TAURI_INTERNALS__;
const frames = []; const long = []; let last = performance.now(); let running = true; let t0 = null;
function tick(now) {
  frames.push(now - last);
  // When each long frame ended, from t0: which stage of the jobs it stalled.
  if (now - last > 100 && t0 !== null) long.push([Math.round(now - t0), Math.round(now - last)]);
  last = now; if (running) requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
(async () => {
  const s = await I.invoke('settings_get');
  // Every job at once: the job cap past n, and the per-provider cap (default 8) raised
  // to JOBS_CAP (issue 17; the setting is in Settings → Providers).
  await I.invoke('settings_save', { input: { endpoints: s.endpoints, gateways: s.gateways,
    max_concurrent_jobs: Math.max(n, 4), max_calls_per_provider: cap } });
  t0 = performance.now();
  let left = n; const ends = {};
  const stamp = Date.now();
  // When each stage was first and last heard of, from t0: where the wall goes (the
  // requests all sent by the last `running`; the answers stored from the first `storing`).
  const stages = {};
  const seen = (stage) => {
    const t = performance.now() - t0;
    const s = stages[stage] || (stages[stage] = { first: t, last: t, n: 0 });
    s.last = t; s.n += 1;
  };
  const finish = () => { running = false; done({ wall_ms: performance.now() - t0, ends, frames, stages, long }); };
  for (let i = 0; i < n; i++) {
    const id = I.transformCallback((m) => {
      const ev = m && m.message !== undefined ? m.message : m;
      if (ev && ev.stage) seen(ev.stage);
      if (ev && (ev.stage === 'done' || ev.stage === 'failed')) {
        ends[ev.stage] = (ends[ev.stage] || 0) + 1;
        if (--left === 0) finish();
      }
    });
    const input = { project, route: { kind: 'offer', offer_id: 'openai:gpt-image-1-mini' }, no_dedup: false,
      params: { prompt: `WAIT2S bench job ${stamp} ${i}`, negative_prompt: null, width: 1024, height: 1024,
                quality: 'low', n: 1, steps: null, seed: null } };
    I.invoke('generation_submit', { input, progress: `__CHANNEL__:${id}` }).catch((e) => {
      ends.error = String(e && e.message || JSON.stringify(e));
      if (--left === 0) finish();
    });
  }
})();
"""


def app_pid(driver_proc) -> int | None:
    """The app process under tauri-driver (WebKitWebDriver launches it)."""
    app = os.path.realpath(str(conftest.APP))
    for pid in measure_app.descendants(driver_proc.pid):
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == app:
                return pid
        except OSError:
            continue
    return None


def started_epoch_ms(pid: int) -> float:
    """When the process started, wall clock, from /proc (10 ms resolution)."""
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                 if line.startswith("btime"))
    return (btime + ticks / os.sysconf("SC_CLK_TCK")) * 1000


def tree_pss_mib(pid: int) -> float:
    return (measure_app.pss_kib(pid) + sum(measure_app.pss_kib(p) for p in measure_app.descendants(pid))) / 1024


def pss_split_mib(pid: int) -> dict:
    """Each process of the tree by name: its PSS, and how much of it is anonymous (heap,
    stacks) rather than file-backed (libraries, mapped files): where memory went."""
    split = {}
    for p in [pid] + measure_app.descendants(pid):
        try:
            name = Path(f"/proc/{p}/comm").read_text().strip()
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        kib = {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith(" kB")}
        entry = split.setdefault(name, {"pss": 0.0, "pss_anon": 0.0})
        entry["pss"] += round(kib.get("Pss", 0) / 1024, 1)
        entry["pss_anon"] += round(kib.get("Pss_Anon", 0) / 1024, 1)
    return split


def cold_starts(env) -> dict:
    paints, from_exec, interactive = [], [], []
    for _ in range(RUNS_START):
        with conftest.running_tauri_driver(env) as drv, conftest.app_session() as driver:
            driver.set_script_timeout(60)
            pid = app_pid(drv)
            conftest.find(driver, "nav-gallery").click()
            ready = driver.execute_async_script(GALLERY_READY_JS)
            if pid:
                interactive.append(ready - started_epoch_ms(pid))
            paint = driver.execute_async_script(APP_INFO_JS)
            if paint is not None:
                paints.append(paint)
            painted_at = driver.execute_script(FIRST_PAINT_EPOCH_JS)
            if pid and painted_at is not None:
                from_exec.append(round(painted_at - started_epoch_ms(pid)))
    return {"runs": RUNS_START,
            "first_paint_ms": {"median": statistics.median(from_exec) if from_exec else None, "all": from_exec},
            "first_paint_app_ms": {"median": statistics.median(paints) if paints else None, "all": paints},
            "interactive_gallery_ms": {"median": round(statistics.median(interactive)) if interactive else None,
                                       "all": [round(x) for x in interactive]}}


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
    env["XDG_DATA_HOME"] = os.path.join(data_dir, "bench-xdg-data")
    env["PROOFSHEET_CATALOG_DATE"] = "2026-11-29"
    started = cold_starts(env) if RUNS_START > 0 else None
    with conftest.running_tauri_driver(env) as drv, conftest.app_session() as driver:
        driver.set_script_timeout(120)
        pid = app_pid(drv)
        time.sleep(IDLE_SECONDS)
        pss_idle = tree_pss_mib(pid) if pid else None
        split_idle = pss_split_mib(pid) if pid else None
        conftest.find(driver, "nav-canvas").click()
        conftest.find(driver, "prompt").send_keys("a lighthouse")
        time.sleep(1.0)
        words = [" at", " dusk", ",", " risograph", " print", ",", " two", " inks", ",", " grain",
                 " texture", ",", " wide", " shot", ",", " fog", " rolling", " in", ",", " warm",
                 " light", ",", " calm", " sea", ",", " poster"] * 2
        measured = [driver.execute_async_script(KEYSTROKE_JS, w) for w in words]
        latencies = [m for m in measured if m is not None]
        unchanged = len(measured) - len(latencies)
        # A word changes a token-priced estimate only every few words, so most prompt
        # keystrokes leave the table as it was (counted above, not timed). The count
        # field changes every price on every keystroke: 2, 3, 1, 4, 2, …
        counts = [str(1 + (i * 3 + 1) % 4) for i in range(40)]
        counted = [driver.execute_async_script(KEYSTROKE_JS, c, "count") for c in counts]
        priced = [m for m in counted if m is not None]
        conftest.find(driver, "nav-gallery").click()
        grid = conftest.find(driver, "gallery-grid", timeout=30)
        WebDriverWait(driver, 60).until(lambda d: int(grid.get_attribute("data-total") or 0) > 0)
        total = int(grid.get_attribute("data-total"))
        time.sleep(1.0)
        scroll = driver.execute_async_script(SCROLL_JS, 5, 400)
        frames = scroll["frames"][1:]
        whole = driver.execute_async_script(SCROLL_ALL_JS, 100)
        time.sleep(2.0)
        pss_scrolled = tree_pss_mib(pid) if pid else None
        split_scrolled = pss_split_mib(pid) if pid else None
        jobs = None
        if JOBS > 0:
            conftest.find(driver, "nav-canvas").click()
            time.sleep(1.0)
            j = driver.execute_async_script(JOBS_JS, JOBS, "Big library", JOBS_CAP)
            jf = j["frames"][1:]
            jobs = {"n": JOBS, "calls_per_provider": JOBS_CAP, "wall_ms": round(j["wall_ms"]), "ends": j["ends"],
                    "stages_ms": {k: {"first": round(v["first"]), "last": round(v["last"]), "n": v["n"]}
                                  for k, v in j["stages"].items()},
                    "frame_ms_median": round(statistics.median(jf), 1) if jf else None,
                    "frame_ms_max": round(max(jf), 1) if jf else None,
                    "frames_over_100ms": sum(f > 100 for f in jf),
                    "long_frames_end_and_ms": j["long"]}
        result = {
            "machine": {"cores": os.cpu_count(), "load_at_end": round(os.getloadavg()[0], 1),
                        "binary": str(conftest.APP)},
            "cold_start": started,
            "pss_mib": {"idle": round(pss_idle) if pss_idle else None,
                        "after_scrolling_all": round(pss_scrolled) if pss_scrolled else None,
                        "by_process_idle": split_idle, "by_process_after_scrolling": split_scrolled},
            "scroll_to_end": whole,
            "concurrent_jobs": jobs,
            "keystroke_to_cost_table_ms": {"median": round(statistics.median(latencies), 1) if latencies else None,
                                            "p95": round(pct(latencies, 95), 1) if latencies else None,
                                            "n": len(latencies),
                                            "unchanged_within_5s": unchanged},
            "keystroke_count_field_ms": {"median": round(statistics.median(priced), 1) if priced else None,
                                         "p95": round(pct(priced, 95), 1) if priced else None,
                                         "n": len(priced), "unchanged_within_5s": len(counted) - len(priced)},
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
