"""Gallery pages of 1000 over IPC, timed one after another from the newest (issue 17).

    PROOFSHEET_APP=<binary> PROOFSHEET_BENCH_DATA_DIR=<copy of a 100k library> \
      .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" \
      tests/e2e/.venv/bin/python tests/e2e/probe_pages.py
"""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import conftest  # noqa
JS = """
const done = arguments[arguments.length - 1];
(async () => {
  const inv = window.__TAURI_INTERNALS__.invoke;
  let cursor = null; const times = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const r = await inv('gallery_page', {query: {project: null, board: null, provider: null, tier: null, from: null, to: null, favourites_only: false, min_rating: null, search: null, cursor, limit: 1000}});
    times.push(Math.round(performance.now() - t));
    cursor = r.next_cursor ?? r.cursor ?? null;
    if (!cursor) break;
  }
  done(times);
})().catch(e => done(String(e)));
"""
env = dict(os.environ, PROOFSHEET_DATA_DIR=os.environ["PROOFSHEET_BENCH_DATA_DIR"], PROOFSHEET_CATALOG_DATE="2026-11-29")
env["XDG_DATA_HOME"] = os.path.join(env["PROOFSHEET_DATA_DIR"], "bench-xdg-data")
with conftest.running_tauri_driver(env) as drv, conftest.app_session() as d:
    d.set_script_timeout(300)
    time.sleep(float(os.environ.get("WAIT", "1")))
    print("pages", d.execute_async_script(JS), flush=True)
