"""Where the keystroke → cost table time goes (issue 17), in the real app through WebDriver.

Wraps `__TAURI_INTERNALS__.invoke` to stamp every IPC call, then replaces the image count
(every offer's price changes) N times and splits each keystroke's time into: keystroke →
the estimate call leaves, the estimate's round trip, and its reply → the table painted.
The route previews the canvas sends with it are timed too (they share the engine).

    PROOFSHEET_APP=… PROOFSHEET_BENCH_DATA_DIR=<copy of a 100k library> \
      .ci/with-keyring.sh xvfb-run -a tests/e2e/.venv/bin/python tests/e2e/probe_estimate.py
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import conftest  # noqa: E402
import measure_ui  # noqa: E402

WRAP_JS = """
const I = window.__TAURI_INTERNALS__;
if (!window.__ipcLog) {
  window.__ipcLog = [];
  const orig = I.invoke.bind(I);
  I.invoke = (cmd, args, opts) => {
    const e = { cmd, t0: performance.now(), t1: null };
    window.__ipcLog.push(e);
    const p = orig(cmd, args, opts);
    p.then(() => (e.t1 = performance.now()), () => (e.t1 = performance.now()));
    return p;
  };
}
"""

STROKE_JS = measure_ui.KEYSTROKE_JS.replace(
    "requestAnimationFrame(() => done(performance.now() - t0));",
    "requestAnimationFrame(() => done({ t0, t: performance.now() - t0,"
    " calls: window.__ipcLog.filter((e) => e.t0 >= t0).map((e) => ({ cmd: e.cmd, start: e.t0 - t0,"
    " end: e.t1 === null ? null : e.t1 - t0 })) }));",
)


def summary(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": round(statistics.median(xs), 1), "p95": round(measure_ui.pct(xs, 95), 1), "n": len(xs)}


def main():
    data_dir = os.environ["PROOFSHEET_BENCH_DATA_DIR"]
    n = int(os.environ.get("STROKES", "40"))
    server, _ = conftest.serve()
    env = dict(os.environ, PROOFSHEET_DATA_DIR=data_dir,
               PROOFSHEET_OPENAI_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/openai/v1",
               PROOFSHEET_OPENAI_API_KEY=conftest.FAKE_OPENAI_KEY,
               XDG_DATA_HOME=os.path.join(data_dir, "bench-xdg-data"),
               PROOFSHEET_CATALOG_DATE="2026-11-29")
    with conftest.running_tauri_driver(env), conftest.app_session() as driver:
        driver.set_script_timeout(60)
        conftest.find(driver, "nav-canvas").click()
        conftest.find(driver, "prompt").send_keys("a lighthouse at dusk")
        time.sleep(1.5)
        driver.execute_script(WRAP_JS)
        rows = []
        for i in range(n):
            r = driver.execute_async_script(STROKE_JS, str(1 + (i * 3 + 1) % 4), "count")
            if r is not None:
                rows.append(r)
        first_est = [next((c for c in r["calls"] if c["cmd"] == "pricing_estimate"), None) for r in rows]
        route = [[c for c in r["calls"] if c["cmd"] == "route_preview"] for r in rows]
        out = {
            "strokes": len(rows), "load": round(os.getloadavg()[0], 1),
            "total_ms": summary([r["t"] for r in rows]),
            "to_estimate_sent_ms": summary([e["start"] for e in first_est if e]),
            "estimate_round_trip_ms": summary([e["end"] - e["start"] for e in first_est if e and e["end"] is not None]),
            "estimate_reply_to_paint_ms": summary([r["t"] - e["end"] for r, e in zip(rows, first_est)
                                                   if e and e["end"] is not None]),
            "route_preview_round_trip_ms": summary([c["end"] - c["start"] for cs in route for c in cs
                                                    if c["end"] is not None]),
            "calls_per_stroke": summary([len(r["calls"]) for r in rows]),
            "commands": sorted({c["cmd"] for r in rows for c in r["calls"]}),
        }
        # The estimate alone, nothing else in flight: the engine's part of the round trip.
        alone = driver.execute_async_script("""
const done = arguments[arguments.length - 1];
const I = window.__TAURI_INTERNALS__;
(async () => {
  const e = window.__ipcLog.filter((x) => x.cmd === 'pricing_estimate').at(-1);
  const projects = await I.invoke('project_list');
  const project = projects.length ? projects[0].name : null;
  const params = { prompt: 'a lighthouse at dusk', negative_prompt: null, width: 1024, height: 1024,
                   quality: null, n: 2, steps: null, seed: null };
  const ts = [], route = [], withRoute = [];
  const est = (i) => I.invoke('pricing_estimate', { input: { params: { ...params, n: 1 + (i % 4) }, project, tier: 'all', offers: [] } });
  const prev = (i, kind) => I.invoke('route_preview', { input: { project, params: { ...params, n: 1 + (i % 4) }, route: { kind } } });
  for (let i = 0; i < 20; i++) {
    let t0 = performance.now();
    await est(i);
    ts.push(performance.now() - t0);
    t0 = performance.now();
    await prev(i, 'draft');
    route.push(performance.now() - t0);
    // As the canvas sends them: the estimate and both previews at once.
    t0 = performance.now();
    const e = est(i + 1).then(() => performance.now() - t0);
    const r = await Promise.all([e, prev(i + 1, 'draft'), prev(i + 1, 'final')]);
    withRoute.push(r[0]);
  }
  done({ ts, route, withRoute });
})().catch((err) => done(String(err && err.message || JSON.stringify(err))));
""")
        if isinstance(alone, dict):
            out["estimate_alone_ms"] = summary(alone["ts"])
            out["route_preview_alone_ms"] = summary(alone["route"])
            out["estimate_with_two_previews_ms"] = summary(alone["withRoute"])
        else:
            out["estimate_alone_ms"] = alone
        print(json.dumps(out, indent=2))
    server.shutdown()


if __name__ == "__main__":
    main()
