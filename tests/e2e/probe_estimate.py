"""Where the keystroke → cost table time goes (issue 17), in the real app through WebDriver.

Replaces the image count (every offer's price changes) N times and times keystroke →
table painted (measure_ui's KEYSTROKE_JS), then times the IPC calls a keystroke makes
on their own: `pricing_estimate`, one `route_preview`, and the estimate while both
route previews run beside it (as the canvas sends them). The difference between the
keystroke figure and the estimate's round trip is the window's own work (render, paint).
(`__TAURI_INTERNALS__.invoke` cannot be wrapped: the property is read-only.)

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
        strokes = [driver.execute_async_script(measure_ui.KEYSTROKE_JS, str(1 + (i * 3 + 1) % 4), "count")
                   for i in range(n)]
        out = {"strokes": n, "load": round(os.getloadavg()[0], 1),
               "keystroke_to_table_ms": summary(strokes)}
        # The estimate alone, nothing else in flight: the engine's part of the round trip.
        alone = driver.execute_async_script("""
const done = arguments[arguments.length - 1];
const I = window.__TAURI_INTERNALS__;
(async () => {
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
