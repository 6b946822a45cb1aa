#!/usr/bin/env bash
# First paint in a plain launch (issue 17), no WebDriver: starts BINARY on LIBRARY four
# times, prints launch → the app's first log line (its `run()`) and the app's own
# first-paint figure (from `run()`). Under Xvfb and a throwaway keyring:
#   .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" tests/bench/launch_first_paint.sh BINARY LIBRARY
set -euo pipefail
bin=$1 lib=$2
export PROOFSHEET_DATA_DIR=$lib XDG_DATA_HOME=$lib/bench-xdg-data PROOFSHEET_CATALOG_DATE=2026-11-29 PROOFSHEET_LOG=info
log=$(mktemp)
for _ in 1 2 3 4; do
  t0=$(date +%s.%N)
  "$bin" > "$log" 2>&1 & pid=$!
  sleep 4
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$t0" "$log" <<'PY'
import datetime, re, sys
t0, lines = float(sys.argv[1]), open(sys.argv[2]).read().splitlines()
stamps = [m.group(1) for l in lines if (m := re.match(r"(\S+Z)\s", l))]
first = datetime.datetime.fromisoformat(stamps[0].replace("Z", "+00:00")).timestamp() if stamps else None
paint = next((m.group(0) for l in lines if (m := re.search(r"first_paint_ms=\d+", l))), None)
print(f"launch -> run() {round((first - t0) * 1000) if first else '?'} ms, {paint}")
PY
done
rm -f "$log"
