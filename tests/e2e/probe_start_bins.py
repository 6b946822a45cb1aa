"""Cold starts of two or more app binaries, interleaved (issue 17): navigation origin from
the process's exec, and the UI's `proofsheet-mounted` / `proofsheet-first-paint` marks
(ms after the origin). How the font-stack change was measured:

    PROOFSHEET_BENCH_DATA_DIR=<copy of a 100k library> N=5 \
      .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" \
      tests/e2e/.venv/bin/python tests/e2e/probe_start_bins.py BINARY_A BINARY_B
"""
import json, os, sys, statistics, time
from pathlib import Path
sys.path.insert(0, os.path.dirname(__file__))
import conftest, measure_ui  # noqa
bins = sys.argv[1:]
N = int(os.environ.get("N", "4"))
env = dict(os.environ, PROOFSHEET_DATA_DIR=os.environ["PROOFSHEET_BENCH_DATA_DIR"], PROOFSHEET_CATALOG_DATE="2026-11-29")
env["XDG_DATA_HOME"] = os.path.join(env["PROOFSHEET_DATA_DIR"], "bench-xdg-data")
JS = """const g = n => { const m = performance.getEntriesByName(n)[0]; return m ? Math.round(m.startTime) : null; };
return [performance.timeOrigin, g('proofsheet-mounted'), g('proofsheet-first-paint')];"""
out = {b: [] for b in bins}
for i in range(N):
    for b in bins:
        conftest.APP = Path(b)
        with conftest.running_tauri_driver(env) as drv, conftest.app_session() as d:
            pid = measure_ui.app_pid(drv)
            time.sleep(1.0)
            origin, mounted, paint = d.execute_script(JS)
            row = {"origin": round(origin - measure_ui.started_epoch_ms(pid)), "mounted": mounted, "paint": paint}
            out[b].append(row)
        print(i, os.path.basename(b), row, "load %.1f" % os.getloadavg()[0], flush=True)
for b, rows in out.items():
    print("MEDIAN", os.path.basename(b), {k: statistics.median([r[k] for r in rows if r[k] is not None]) for k in rows[0]})
