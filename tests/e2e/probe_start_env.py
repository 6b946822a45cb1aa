"""Cold starts of one binary under environment variants, interleaved (issue 17): first
paint from the process's exec (the UI's `proofsheet-first-paint` mark on the wall clock),
interactive gallery, PSS of the app tree 8 s after. How the WebKit tuning was chosen:

    PROOFSHEET_APP=<binary> PROOFSHEET_BENCH_DATA_DIR=<copy of a 100k library> N=4 \
      .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" \
      tests/e2e/.venv/bin/python tests/e2e/probe_start_env.py \
      "gl:PROOFSHEET_WEBKIT_GL=1" "noac:" "noac_cpu:WEBKIT_SKIA_ENABLE_CPU_RENDERING=1"
"""
import json, os, sys, statistics, time
from pathlib import Path
sys.path.insert(0, os.path.dirname(__file__))
import conftest, measure_ui  # noqa
variants = {}
for spec in sys.argv[1:]:
    label, _, envs = spec.partition(":")
    variants[label] = dict(kv.split("=", 1) for kv in envs.split(",") if kv)
N = int(os.environ.get("N", "4"))
base = dict(os.environ, PROOFSHEET_DATA_DIR=os.environ["PROOFSHEET_BENCH_DATA_DIR"], PROOFSHEET_CATALOG_DATE="2026-11-29")
base["XDG_DATA_HOME"] = os.path.join(base["PROOFSHEET_DATA_DIR"], "bench-xdg-data")
out = {v: {"paint": [], "interactive": [], "pss": []} for v in variants}
MARK = """const m = performance.getEntriesByName('proofsheet-first-paint')[0];
return m ? performance.timeOrigin + m.startTime : null;"""
for i in range(N):
    for label, extra in variants.items():
        env = dict(base, **extra)
        with conftest.running_tauri_driver(env) as drv, conftest.app_session() as d:
            d.set_script_timeout(60)
            pid = measure_ui.app_pid(drv)
            t0 = measure_ui.started_epoch_ms(pid)
            conftest.find(d, "nav-gallery").click()
            ready = d.execute_async_script(measure_ui.GALLERY_READY_JS)
            mark = d.execute_script(MARK)
            r = out[label]
            r["interactive"].append(round(ready - t0))
            if mark: r["paint"].append(round(mark - t0))
            conftest.find(d, "nav-canvas").click()
            time.sleep(8)
            r["pss"].append(round(measure_ui.tree_pss_mib(pid)))
        print(i, label, {k: v[-1] if v else None for k, v in out[label].items()}, "load %.1f" % os.getloadavg()[0], flush=True)
for label, r in out.items():
    print("MEDIAN", label, {k: (statistics.median(v) if v else None) for k, v in r.items()}, json.dumps(r))
