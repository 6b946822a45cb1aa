"""Gallery window (issue 17): PSS of the app tree before and after the grid is scrolled to
image TARGET (default 12000; read there directly with a jump since round 7 of issue 17,
before that every page before it was fetched on the way), and how long that took. Compare two builds on the same library copy minutes apart.

    TARGET=40000 PROOFSHEET_APP=… PROOFSHEET_BENCH_DATA_DIR=<copy of a 100k library> \
      PROOFSHEET_E2E_PORT=4861 .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" \
      tests/e2e/.venv/bin/python tests/e2e/probe_gallery_window.py
"""
import os, sys, time, json
sys.path.insert(0, os.path.dirname(__file__))
import conftest
import measure_ui
JS = """
const [target, done] = arguments;
const grid = document.querySelector('[data-testid=gallery-grid]');
const t0 = performance.now();
const cells = () => [...grid.querySelectorAll('[data-testid=gallery-item]')].map((c) => Number(c.dataset.index));
function rowTop(i) { const cols = Math.max(1, Math.floor((grid.clientWidth - 24 + 8) / (168 + 8))); return Math.floor(i / cols) * (168 + 34 + 8); }
const phases = [];
function waitFor(i, next) {
  grid.scrollTop = rowTop(i);
  const c = cells();
  if (c.includes(i)) { phases.push({ at: i, s: (performance.now() - t0) / 1000, shown: c.length }); next(); }
  else if (performance.now() - t0 > 170000) done({ phases, timeout: i, cells: c.slice(0, 5) });
  else setTimeout(() => waitFor(i, next), 100);
}
waitFor(target, () => waitFor(0, () => waitFor(target, () => done({ phases }))));
"""
data_dir = os.environ["PROOFSHEET_BENCH_DATA_DIR"]
server, _ = conftest.serve()
env = dict(os.environ, PROOFSHEET_DATA_DIR=data_dir, XDG_DATA_HOME=os.path.join(data_dir, "bench-xdg-data"),
           PROOFSHEET_CATALOG_DATE="2026-11-29")
with conftest.running_tauri_driver(env) as drv, conftest.app_session() as d:
    d.set_script_timeout(200)
    conftest.find(d, "nav-gallery").click()
    conftest.find(d, "gallery-grid", timeout=30)
    time.sleep(3)
    pid = measure_ui.app_pid(drv)
    pss0 = measure_ui.tree_pss_mib(pid)
    ONE = JS.replace("waitFor(target, () => waitFor(0, () => waitFor(target, () => done({ phases }))));", "waitFor(target, () => done({ phases }));")
    r = d.execute_async_script(ONE, int(os.environ.get("TARGET", "12000")))
    time.sleep(3)
    r["pss_before_walk"] = round(pss0)
    r["pss_after_walk"] = round(measure_ui.tree_pss_mib(pid))
    print(json.dumps(r))
server.shutdown()
