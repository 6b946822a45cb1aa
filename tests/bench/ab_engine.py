"""Engine-only A/B of `bench_compare` builds (issue 17): interleaved rounds, medians.

Start the fast fake first (`python3 tests/bench/fake_images.py PORT`), then
    ROUNDS=80 python3 tests/bench/ab_engine.py PORT OLD_BINARY NEW_BINARY [...]
Each round sends `client 25`, `full 25`, `persist 25` to every binary in turn, the first
binary rotating per round. Overhead = median full − median client − median persist, as
compare.py computes it, without the Python contenders (so many more rounds fit).
"""

import json
import os
import statistics
import subprocess
import sys

KINDS = ("client", "full", "persist")


def main() -> None:
    port, bins = int(sys.argv[1]), sys.argv[2:]
    procs = {}
    for b in bins:
        p = subprocess.Popen([b, "--base-url", f"http://127.0.0.1:{port}"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if p.stdout.readline().strip() != "ready":
            raise SystemExit(f"{b} did not start")
        procs[b] = p

    def run(b: str, cmd: str) -> list[float]:
        p = procs[b]
        p.stdin.write(cmd + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        if not line:
            raise SystemExit(f"{b} stopped")
        return json.loads(line)["ms"]

    samples = {(b, k): [] for b in bins for k in KINDS}
    for b in bins:  # warm-up, discarded
        for k in KINDS:
            run(b, f"{k} 20")
    for r in range(int(os.environ.get("ROUNDS", "20"))):
        for b in bins[r % len(bins):] + bins[:r % len(bins)]:
            for k in KINDS:
                samples[(b, k)] += run(b, f"{k} 25")

    def p95(v: list[float]) -> float:
        v = sorted(v)
        return v[int(0.95 * (len(v) - 1))]

    print(f"load {os.getloadavg()[0]:.2f}")
    for b in bins:
        m = {k: statistics.median(samples[(b, k)]) for k in KINDS}
        print(f"{b:40s} full {m['full']:.3f} (p95 {p95(samples[(b, 'full')]):.3f}) client {m['client']:.3f} "
              f"persist {m['persist']:.3f} overhead {m['full'] - m['client'] - m['persist']:.3f} ms")
    for p in procs.values():
        p.stdin.close()
        p.wait()


if __name__ == "__main__":
    main()
