"""The real gateways on loopback for the window e2e, started exactly as
src-tauri/crates/cli/tests/real_gateways.rs starts them: a LiteLLM proxy (PyPI
`litellm[proxy]`) and a Portkey gateway (npm `@portkey-ai/gateway`), both pinned and
installed by .ci/setup-gateways.sh under tests/gateways/, in front of the fake OpenAI
Images server (fake_providers.py, /openai/v1).

A missing gateway fails the test. Outside CI, PROOFSHEET_SKIP_REAL_GATEWAYS=1 skips it
(said loudly); with CI=true it fails all the same."""

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from own_window import free_port

ROOT = Path(__file__).resolve().parents[2]
LITELLM = ROOT / "tests/gateways/.venv/bin/litellm"
PORTKEY = ROOT / "tests/gateways/portkey/node_modules/.bin/gateway"


def require(path: Path, what: str) -> Path:
    if path.exists():
        return path
    why = f"{what} is not installed at {path}: run .ci/setup-gateways.sh (make gateways-setup)"
    if os.environ.get("PROOFSHEET_SKIP_REAL_GATEWAYS") and os.environ.get("CI") != "true":
        pytest.skip(f"SKIPPED (PROOFSHEET_SKIP_REAL_GATEWAYS is set): {why}")
    pytest.fail(why)


class Gateway:
    """A gateway process in its own session, killed on close; its output goes to a log."""

    def __init__(self, cmd: list[str], log: Path, env: dict[str, str]):
        self.log = log
        self.out = open(log, "wb")
        base = {"PATH": os.environ.get("PATH", ""), "HOME": str(log.parent)}
        self.proc = subprocess.Popen(cmd, env={**base, **env}, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def wait_ready(self, url: str, limit: float) -> None:
        """Waits (bounded) until url answers 2xx; fails the test with the log otherwise."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.proc.args[0]} exited ({self.proc.returncode}) before answering:\n{self.tail()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url, timeout=2) as r:
                    if 200 <= r.status < 300:
                        return
            time.sleep(0.3)
        pytest.fail(f"{url} did not answer within {limit:.0f} s:\n{self.tail()}")

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.out.close()


def litellm(dir: Path, upstream: str, upstream_key: str, master_key: str) -> tuple[Gateway, str]:
    """LiteLLM serving `gpt-image-2` as OpenAI's gpt-image-1 at `upstream`; returns its /v1 URL."""
    exe = require(LITELLM, "LiteLLM")
    config = dir / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: gpt-image-2\n    litellm_params:\n"
        f"      model: openai/gpt-image-1\n      api_base: {upstream}\n      api_key: {upstream_key}\n"
        f"general_settings:\n  master_key: {master_key}\n")
    port = free_port()
    gw = Gateway([str(exe), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                 dir / "litellm.log", {"LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False"})
    try:
        gw.wait_ready(f"http://127.0.0.1:{port}/health/liveliness", 180)
    except BaseException:
        gw.close()
        raise
    return gw, f"http://127.0.0.1:{port}/v1"


def portkey(dir: Path) -> tuple[Gateway, str]:
    """The Portkey gateway, headless; returns its /v1 URL (the upstream comes in headers)."""
    exe = require(PORTKEY, "Portkey gateway")
    port = free_port()
    gw = Gateway([str(exe), f"--port={port}", "--headless"], dir / "portkey.log", {"NODE_ENV": "production"})
    try:
        gw.wait_ready(f"http://127.0.0.1:{port}/", 60)
    except BaseException:
        gw.close()
        raise
    return gw, f"http://127.0.0.1:{port}/v1"
