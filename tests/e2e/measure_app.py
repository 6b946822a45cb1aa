"""Whole-app figures for BENCHMARKS.md: cold start to first paint, and idle memory.

Launches the real binary (built by `make e2e-build`) several times under the current
X display (run it inside xvfb-run), each with a fresh data dir. The UI reports its
first painted frame through the `app_ready` command, which logs `first_paint_ms`.
Idle RSS is read from /proc after the window has sat idle, for the app process and
for the whole tree (WebKit runs its web and network processes as children).

With PROOFSHEET_BENCH_DATA_DIR (a seeded library, e.g. 100,000 images from the store's
`seed_gallery` example) every run opens that library instead of an empty one; the
webview's own storage is still fresh per run. The page cache is warm after the first
run (the machine gives no way to drop it), so later runs are "cold process, warm disk".

    make bench-app        # or: xvfb-run -a tests/e2e/.venv/bin/python tests/e2e/measure_app.py
"""

import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = Path(os.environ.get("PROOFSHEET_APP", ROOT / "target" / "e2e-app" / "debug" / "proofsheet"))
RUNS = int(os.environ.get("RUNS", "5"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "8"))


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages split between the processes that map them,
    so the tree's sum does not count WebKit's shared libraries three times."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        p, pp = (int(x) for x in line.split())
        children.setdefault(pp, []).append(p)
    found, stack = [], [pid]
    while stack:
        for c in children.get(stack.pop(), []):
            found.append(c)
            stack.append(c)
    return found


LIBRARY = os.environ.get("PROOFSHEET_BENCH_DATA_DIR")


def one_run() -> tuple[int, int, int, int]:
    with tempfile.TemporaryDirectory(prefix="proofsheet-bench-") as data:
        env = dict(os.environ, PROOFSHEET_DATA_DIR=LIBRARY or data, PROOFSHEET_LOG="info",
                   XDG_DATA_HOME=os.path.join(data, "xdg-data"))
        proc = subprocess.Popen([str(APP)], env=env, stderr=subprocess.PIPE, text=True)
        first_paint = None
        deadline = time.monotonic() + 30
        assert proc.stderr is not None
        while first_paint is None and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            line = proc.stderr.readline()
            if not line:
                break
            m = re.search(r"first_paint_ms=(\d+)", line)
            if m:
                first_paint = int(m.group(1))
        # Keep draining stderr so a chatty app never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        if first_paint is None:
            proc.kill()
            raise SystemExit("the app never reported its first paint (is the UI calling app_ready?)")
        time.sleep(IDLE_SECONDS)
        own = rss_kib(proc.pid)
        children = descendants(proc.pid)
        tree = own + sum(rss_kib(p) for p in children)
        tree_pss = pss_kib(proc.pid) + sum(pss_kib(p) for p in children)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return first_paint, own, tree, tree_pss


def main() -> None:
    if not APP.exists():
        sys.exit(f"{APP} is missing: run `make e2e-build` first")
    results = [one_run() for _ in range(RUNS)]
    paints = [r[0] for r in results]
    own = [r[1] / 1024 for r in results]
    tree = [r[2] / 1024 for r in results]
    pss = [r[3] / 1024 for r in results]
    print(f"runs: {RUNS}, idle wait {IDLE_SECONDS}s, binary {APP}, "
          f"library {LIBRARY or 'empty (fresh per run)'}, load {os.getloadavg()[0]:.1f}")
    print(f"cold start to first paint: median {statistics.median(paints):.0f} ms "
          f"(min {min(paints)}, max {max(paints)}; all {paints})")
    print(f"idle RSS, app process: median {statistics.median(own):.0f} MiB")
    print(f"idle RSS, app + WebKit children: median {statistics.median(tree):.0f} MiB (sum of RSS)")
    print(f"idle PSS, app + WebKit children: median {statistics.median(pss):.0f} MiB (shared pages split)")


if __name__ == "__main__":
    main()
