"""Drive the real Proofsheet binary through tauri-driver (WebDriver) under Xvfb.

Each test session gets a throwaway data dir (PROOFSHEET_DATA_DIR), so nothing touches
a designer's gallery or keychain. Screenshots land in target/e2e/.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from fake_providers import serve

ROOT = Path(__file__).resolve().parents[2]
# `make e2e-build` builds into its own target dir (never overwritten by `cargo test`).
APP = Path(os.environ.get("PROOFSHEET_APP", ROOT / "target" / "e2e-app" / "debug" / "proofsheet"))
SHOTS = ROOT / "target" / "e2e"
# Several worktrees may run the suite on one machine: the driver ports can be moved.
PORT = int(os.environ.get("PROOFSHEET_E2E_PORT", "4444"))


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


@pytest.fixture(scope="session")
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


# A recognisable fake key: the leak checks look for it in files and responses.
FAKE_OPENAI_KEY = "sk-e2e-FAKEKEY-0123456789abcdef"


@pytest.fixture(scope="session")
def fake_providers():
    server, state = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


@pytest.fixture(scope="session")
def picked_dir():
    """The folder the app's export and CSV dialogs answer with: the shell opens native
    dialogs itself, which WebDriver cannot reach (debug builds read PROOFSHEET_DIALOG_ANSWER)."""
    path = Path(tempfile.mkdtemp(prefix="proofsheet-picked-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def app_env(data_dir, fake_providers, picked_dir):
    """The app runs against local fake providers, with a throwaway data dir."""
    base, _ = fake_providers
    env = dict(os.environ)
    env["PROOFSHEET_DATA_DIR"] = str(data_dir)
    # Lifecycle judged on a fixed day: the flows route to models with announced shutdowns.
    env["PROOFSHEET_CATALOG_DATE"] = "2026-11-29"
    env["PROOFSHEET_OPENAI_BASE_URL"] = f"{base}/openai/v1"
    env["PROOFSHEET_OPENAI_API_KEY"] = FAKE_OPENAI_KEY
    env["PROOFSHEET_A1111_BASE_URL"] = f"{base}/a1111"
    # The webview's storage (the saved canvas, job history) per run: other e2e runs on the
    # machine share HOME and would otherwise overwrite it between a quit and a relaunch.
    env["XDG_DATA_HOME"] = str(data_dir / "xdg-data")
    env["PROOFSHEET_DIALOG_ANSWER"] = str(picked_dir)
    return env


@contextlib.contextmanager
def running_tauri_driver(env):
    """tauri-driver on PORT (default 4444); it starts WebKitWebDriver, which launches the app."""
    if not APP.exists():
        raise RuntimeError(f"{APP} is missing: build it with `make e2e-build`")
    driver_bin = shutil.which("tauri-driver") or str(Path.home() / ".cargo/bin/tauri-driver")
    proc = subprocess.Popen([driver_bin, "--port", str(PORT), "--native-port", str(PORT + 1)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(PORT)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def app_session():
    """A WebDriver session on the real app, once its first screen is up."""
    options = webdriver.ChromeOptions()  # any Options class carries raw capabilities
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": str(APP)})
    driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{PORT}", options=options)
    try:
        # Polled every 50 ms (not the default 500): the start-up bench times from here.
        WebDriverWait(driver, 30, poll_frequency=0.05).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=screen-canvas]")))
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def tauri_driver(app_env):
    with running_tauri_driver(app_env) as proc:
        yield proc


@pytest.fixture(scope="session")
def browser(tauri_driver):
    with app_session() as driver:
        yield driver


# WebKitWebDriver takes a screenshot after the page's next presentation update. Without GL
# compositing (what the app picks on a machine without a GPU, like these Xvfb runs) a page
# at rest never presents again, so the call would wait forever: a one-pixel, all but
# transparent dot repaints for two seconds from just after the call.
REPAINT_JS = """
const dot = document.createElement('div');
dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
document.body.appendChild(dot);
let n = 0;
const tick = () => {
  dot.style.background = n % 2 ? 'rgba(0,0,0,0.01)' : 'rgba(0,0,0,0.02)';
  if (++n < 40) setTimeout(tick, 50); else dot.remove();
};
setTimeout(tick, 50);
"""


def screenshot(driver, name: str) -> Path:
    """Save a PNG of the window; waits a moment so the last frame is painted."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(0.3)
    driver.execute_script(REPAINT_JS)
    path = SHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"screenshot {name} failed"
    return path


def find(driver, testid: str, timeout: float = 10):
    return WebDriverWait(driver, timeout).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, f"[data-testid={testid}]")))
