"""An app instance of its own for a test module: own data dir, own fake providers, own
tauri-driver ports, and the driver's (and so the app's) output kept in a log file the
leak checks read. Leaving the context quits the app; entering it again with the same
env relaunches it on the same data dir."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import APP, SHOTS, _wait_port, screenshot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(data: Path, fake_base: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROOFSHEET_")}
    env["PROOFSHEET_DATA_DIR"] = str(data)
    env["PROOFSHEET_CATALOG_DATE"] = "2026-11-29"
    env["PROOFSHEET_OPENAI_BASE_URL"] = f"{fake_base}/openai/v1"
    env["PROOFSHEET_A1111_BASE_URL"] = f"{fake_base}/a1111"
    env["XDG_DATA_HOME"] = str(data / "xdg-data")
    env.update(extra)
    return env


@contextlib.contextmanager
def app_window(env: dict, name: str):
    driver_bin = shutil.which("tauri-driver") or str(Path.home() / ".cargo/bin/tauri-driver")
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / f"{name}-driver.log", "ab")
    port, native = free_port(), free_port()
    proc = subprocess.Popen([driver_bin, "--port", str(port), "--native-port", str(native)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    driver = None
    try:
        _wait_port(port)
        options = webdriver.ChromeOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(APP)})
        for attempt in range(3):  # tauri-driver may ask WebKitWebDriver before it listens
            try:
                driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
                break
            except Exception:
                if attempt == 2:
                    raise
                time.sleep(2)
        driver.set_window_size(1400, 950)
        WebDriverWait(driver, 60).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=screen-canvas]")))
        try:
            yield driver
        except Exception:
            with contextlib.suppress(Exception):
                screenshot(driver, f"{name}-failure")
            raise
    finally:
        if driver is not None:
            with contextlib.suppress(Exception):
                driver.quit()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        log.close()


def files_holding(root: Path, needle: str) -> list[str]:
    """Every file under root whose bytes contain needle (SQLite, WAL, logs, webview storage)."""
    hits = []
    for p in root.rglob("*"):
        if p.is_file():
            with contextlib.suppress(OSError):
                if needle.encode() in p.read_bytes():
                    hits.append(str(p))
    return hits
