"""Side-by-side overhead benchmark (issue 17): `make bench-compare`.

One fast fake OpenAI Images server (tests/bench/fake_images.py); against it, in one run
and interleaved round by round so every contender sees the same machine load:
  - a bare HTTP call from Python (httpx, the client LiteLLM uses) and from Rust (reqwest,
    the client Proofsheet uses);
  - LiteLLM's SDK `image_generation` (the pinned version in tests/gateways/.venv);
  - a hop through a LiteLLM proxy and through a Portkey gateway (pinned, on loopback);
  - Proofsheet's engine: a full draft generation, its provider client alone, and the
    store's image write alone (examples/bench_compare.rs, release build).
Overheads are differences of medians within the run; the ratio is the headline figure.
Run with the gateways' venv: tests/gateways/.venv/bin/python tests/bench/compare.py
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
GW = ROOT / "tests" / "gateways"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


class Proc:
    def __init__(self, args, log: Path, env=None, stdin=None, stdout=None):
        self.log = open(log, "w")
        self.p = subprocess.Popen(args, stdout=stdout or self.log, stderr=self.log, stdin=stdin,
                                  env={**os.environ, **(env or {})}, text=True)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
        self.log.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--per-round", type=int, default=25)
    ap.add_argument("--engine-bin", default=str(ROOT / "target/release/examples/bench_compare"))
    ap.add_argument("--json", help="write the raw samples here")
    ap.add_argument("--baseline-bin", help="a second build of the engine example (e.g. the commit before a "
                    "change), measured interleaved with the first: before/after under the same load")
    a = ap.parse_args()

    import litellm  # the pinned SDK in tests/gateways/.venv
    litellm.telemetry = False
    litellm.suppress_debug_info = True
    try:
        from importlib.metadata import version
        lite_v = version("litellm")
    except Exception:
        lite_v = "?"
    portkey_bin = GW / "portkey/node_modules/.bin/gateway"
    portkey_pkg = GW / "portkey/node_modules/@portkey-ai/gateway/package.json"
    # Without `make gateways-setup`'s Portkey install the run goes on without that hop.
    portkey_v = json.loads(portkey_pkg.read_text())["version"] if portkey_pkg.exists() else None

    tmp = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    procs: list[Proc] = []
    try:
        fport = free_port()
        procs.append(Proc([sys.executable, str(ROOT / "tests/bench/fake_images.py"), str(fport)], tmp / "fake.log"))
        fake = f"http://127.0.0.1:{fport}"
        wait_http(fake + "/v1/models", 20)

        lport = free_port()
        (tmp / "litellm.yaml").write_text(
            "model_list:\n  - model_name: gpt-image-1\n    litellm_params:\n"
            f"      model: openai/gpt-image-1\n      api_base: {fake}/v1\n      api_key: sk-bench\n")
        procs.append(Proc([str(GW / ".venv/bin/litellm"), "--config", str(tmp / "litellm.yaml"), "--host",
                           "127.0.0.1", "--port", str(lport)], tmp / "litellm.log",
                          env={"LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False"}))
        pport = free_port()
        if portkey_v:
            procs.append(Proc([str(portkey_bin), f"--port={pport}", "--headless"], tmp / "portkey.log",
                              env={"NODE_ENV": "production"}))
        wait_http(f"http://127.0.0.1:{lport}/health/liveliness", 180)
        if portkey_v:
            wait_http(f"http://127.0.0.1:{pport}/", 60)

        def engine(binary, log):
            e = Proc([binary, "--base-url", fake], tmp / log, stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, env={"PROOFSHEET_CATALOG_DATE": "2026-11-29"})
            procs.append(e)
            if e.p.stdout.readline().strip() != "ready":
                e.log.flush()
                raise SystemExit("the engine did not start:\n" + (tmp / log).read_text()[-2000:])
            return e

        eng = engine(a.engine_bin, "engine.log")
        base = engine(a.baseline_bin, "baseline.log") if a.baseline_bin else None

        body = {"model": "gpt-image-1", "prompt": "a bench in a park", "n": 1}
        http = httpx.Client(timeout=30)
        auth = {"authorization": "Bearer sk-bench"}
        portkey_headers = {**auth, "x-portkey-provider": "openai", "x-portkey-custom-host": f"{fake}/v1"}

        def py(name, fn):
            def run(n):
                out = []
                for _ in range(n):
                    t = time.perf_counter()
                    fn()
                    out.append((time.perf_counter() - t) * 1000)
                return out
            return name, run

        def rust(cmd, e=None, prefix="rust"):
            e = e or eng
            def run(n):
                e.p.stdin.write(f"{cmd} {n}\n")
                e.p.stdin.flush()
                line = e.p.stdout.readline()
                if not line:
                    e.log.flush()
                    raise SystemExit("the engine stopped:\n" + Path(e.log.name).read_text()[-2000:])
                return json.loads(line)["ms"]
            return f"{prefix}_{cmd}", run

        def ok(r):
            r.raise_for_status()
            return r

        contenders = [
            py("py_raw", lambda: ok(http.post(f"{fake}/v1/images/generations", json=body, headers=auth))),
            py("litellm_sdk", lambda: litellm.image_generation(model="openai/gpt-image-1", prompt="a bench in a park",
                                                               api_base=f"{fake}/v1", api_key="sk-bench")),
            py("litellm_proxy", lambda: ok(http.post(f"http://127.0.0.1:{lport}/v1/images/generations", json=body,
                                                     headers=auth))),
            *([py("portkey", lambda: ok(http.post(f"http://127.0.0.1:{pport}/v1/images/generations", json=body,
                                                  headers=portkey_headers)))] if portkey_v else []),
            rust("raw"), rust("client"), rust("full"), rust("persist"),
        ]
        if base:
            contenders += [rust(c, base, "base") for c in ("client", "full", "persist")]
        samples: dict[str, list[float]] = {name: [] for name, _ in contenders}
        for name, run in contenders:  # warm-up, discarded: connections, caches, JIT
            run(10)
        for r in range(a.rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for name, run in order:
                samples[name] += run(a.per_round)
            print(f"round {r + 1}/{a.rounds}", file=sys.stderr)

        med = {k: statistics.median(v) for k, v in samples.items()}
        print(f"\nlitellm {lite_v}, @portkey-ai/gateway {portkey_v}, {a.rounds}×{a.per_round} calls each, "
              f"load {os.getloadavg()[0]:.2f}\n")
        print(f"{'contender':<16}{'median ms':>10}{'p95 ms':>10}")
        for k, v in samples.items():
            print(f"{k:<16}{med[k]:>10.3f}{p95(v):>10.3f}")
        lite = med["litellm_sdk"] - med["py_raw"]
        proxy = med["litellm_proxy"] - med["py_raw"]
        port = med["portkey"] - med["py_raw"] if portkey_v else float("nan")
        engine = med["rust_full"] - med["rust_client"] - med["rust_persist"]
        engine_raw = med["rust_full"] - med["rust_raw"] - med["rust_persist"]
        print("\noverhead over a bare call (difference of medians):")
        print(f"  LiteLLM image_generation     {lite:7.3f} ms")
        print(f"  LiteLLM proxy hop            {proxy:7.3f} ms")
        print(f"  Portkey gateway hop          {port:7.3f} ms")
        print(f"  Proofsheet engine            {engine:7.3f} ms  (full − provider client − persist)")
        print(f"  Proofsheet incl. its client  {engine_raw:7.3f} ms  (full − bare reqwest − persist)")
        if base:
            before = med["base_full"] - med["base_client"] - med["base_persist"]
            print(f"  baseline engine              {before:7.3f} ms  (--baseline-bin, same formula)")
        if lite > 0:
            print(f"\nratio engine / LiteLLM image_generation: {engine / lite:.2f}×"
                  f"  (incl. client: {engine_raw / lite:.2f}×)")
            if base:
                print(f"ratio baseline engine / LiteLLM image_generation: {before / lite:.2f}×")
        if a.json:
            Path(a.json).write_text(json.dumps({"medians": med, "samples": samples}, indent=1))
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
