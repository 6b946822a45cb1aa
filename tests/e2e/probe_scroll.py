"""Scroll to the end of a large gallery alone (issue 17), optionally after measure_ui's 5 s
continuous scroll (PRE=1): seconds until the last image is rendered, and the tree's PSS.

    PROOFSHEET_APP=<binary> PROOFSHEET_BENCH_DATA_DIR=<copy of a 100k library> [PRE=1] \
      .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" \
      tests/e2e/.venv/bin/python tests/e2e/probe_scroll.py
"""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import conftest, measure_ui  # noqa
from selenium.webdriver.support.ui import WebDriverWait
env = dict(os.environ, PROOFSHEET_DATA_DIR=os.environ["PROOFSHEET_BENCH_DATA_DIR"], PROOFSHEET_CATALOG_DATE="2026-11-29")
env["XDG_DATA_HOME"] = os.path.join(env["PROOFSHEET_DATA_DIR"], "bench-xdg-data")
with conftest.running_tauri_driver(env) as drv, conftest.app_session() as d:
    d.set_script_timeout(200)
    pid = measure_ui.app_pid(drv)
    time.sleep(2)
    conftest.find(d, "nav-gallery").click()
    grid = conftest.find(d, "gallery-grid", timeout=30)
    WebDriverWait(d, 60).until(lambda x: int(grid.get_attribute("data-total") or 0) > 0)
    time.sleep(1)
    if os.environ.get("PRE"): d.execute_async_script(measure_ui.SCROLL_JS, 5, 400)
    t = time.time()
    r = d.execute_async_script(measure_ui.SCROLL_ALL_JS, 150)
    print("scroll", r, "pss", round(measure_ui.tree_pss_mib(pid)), "app cpu", open(f"/proc/{pid}/stat").read().split(")")[1].split()[11:13], flush=True)
