"""Keystroke → cost table, split (issue 17): the image count is replaced 20 times and each
keystroke is stamped at the estimate leaving and its reply landing (the canvas's
`estimate-sent` / `estimate-reply` performance marks), the table's first changed text
(MutationObserver), and the two frames after it (measure_ui stops at the second).

    PROOFSHEET_APP=… PROOFSHEET_BENCH_DATA_DIR=<copy of a 100k library> PROOFSHEET_E2E_PORT=4861 \
      .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" \
      tests/e2e/.venv/bin/python tests/e2e/probe_keystroke.py
"""
import os, sys, time, json, statistics
sys.path.insert(0, os.path.dirname(__file__))
import conftest
JS = """
const [val, done] = arguments;
const ta = document.querySelector('[data-testid=count]');
const table = document.querySelector('[data-testid=cost-table]');
const before = table.textContent;
const r = {};
const t0 = performance.now();
const mo = new MutationObserver(() => {
  if (r.mut === undefined && table.textContent !== before) {
    r.mut = performance.now() - t0;
    requestAnimationFrame(() => { r.f1 = performance.now() - t0; requestAnimationFrame(() => { r.f2 = performance.now() - t0; mo.disconnect();
      const t0abs = t0;
      const es = performance.getEntriesByType('resource').filter((e) => e.startTime >= t0abs && /ipc|invoke|estimate|route/.test(e.name));
      const m = (n) => { const x = performance.getEntriesByName(n).filter((e) => e.startTime >= t0abs); return x.length ? x[0].startTime - t0abs : null; };
      r.sent = m('estimate-sent'); r.reply = m('estimate-reply');
      done(r); }); });
  }
});
mo.observe(table, { subtree: true, childList: true, characterData: true, attributes: true });
ta.value = val;
ta.dispatchEvent(new Event('input', { bubbles: true }));
r.sync = performance.now() - t0;
setTimeout(() => { if (r.mut === undefined) { mo.disconnect(); done(r); } }, 5000);
"""
IDLE = """
const done = arguments[0]; const f = []; let last = performance.now(); const end = last + 1500;
function t(now) { f.push(now - last); last = now; if (now < end) requestAnimationFrame(t); else done(f); }
requestAnimationFrame(t);
"""
data_dir = os.environ["PROOFSHEET_BENCH_DATA_DIR"]
server, _ = conftest.serve()
env = dict(os.environ, PROOFSHEET_DATA_DIR=data_dir, XDG_DATA_HOME=os.path.join(data_dir, "bench-xdg-data"),
           PROOFSHEET_CATALOG_DATE="2026-11-29")
with conftest.running_tauri_driver(env), conftest.app_session() as d:
    d.set_script_timeout(60)
    conftest.find(d, "nav-canvas").click()
    conftest.find(d, "prompt").send_keys("a lighthouse at dusk")
    time.sleep(1.5)
    idle = d.execute_async_script(IDLE)[1:]
    rs = [d.execute_async_script(JS, str(1 + (i * 3 + 1) % 4)) for i in range(20)]
    med = lambda k: statistics.median([r[k] for r in rs if k in r])
    print(json.dumps({"idle_frame_median": statistics.median(idle), "idle_frame_max": max(idle),
                      "sync": med("sync"), "sent": med("sent"), "reply": med("reply"), "mutation": med("mut"), "frame1": med("f1"), "frame2": med("f2")}))
server.shutdown()
