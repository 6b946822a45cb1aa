"""Issue 14.4 in the real window: Settings → Catalog checks a signed feed served from a
local server, shows the diff (price old → new with the percentage, new and retired
offers, lifecycle dates), changes nothing until Apply, applies, and restores.

Runs its own app instance (own data dir, own feed, own tauri-driver ports) with the
feed's throwaway public key in PROOFSHEET_CATALOG_FEED_KEY (read by debug builds only).
Screenshots land in target/e2e/catalog-*.png.
"""

import contextlib
import json
import os
import shutil
import signal
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

from conftest import APP, SHOTS, _wait_port, find, screenshot
from fake_feed import BUNDLED, NEW_VERSION, serve



def free_port() -> int:
    """Other suites (and other worktrees' runs on this machine) hold fixed ports."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BUNDLED_VERSION = json.loads(BUNDLED.read_text())["version"]


@pytest.fixture(scope="module")
def feed():
    server, f = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}/catalog.json", f
    server.shutdown()


@pytest.fixture(scope="module")
def feed_env(feed):
    data = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-feed-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROOFSHEET_")}
    env["PROOFSHEET_DATA_DIR"] = str(data)
    env["PROOFSHEET_CATALOG_DATE"] = "2026-11-29"
    env["PROOFSHEET_CATALOG_FEED_KEY"] = feed[1].public_hex
    yield env
    if not os.environ.get("PROOFSHEET_E2E_KEEP"):
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def app_window(env):
    driver_bin = shutil.which("tauri-driver") or str(Path.home() / ".cargo/bin/tauri-driver")
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / "catalog-driver.log", "wb")
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
        driver.set_window_size(1280, 900)
        WebDriverWait(driver, 30).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=screen-canvas]")))
        try:
            yield driver
        except Exception:
            with contextlib.suppress(Exception):
                screenshot(driver, "catalog-failure")
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


def wait(driver, cond, timeout=20, msg=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(cond, msg)


def text_of(driver, testid):
    return find(driver, testid).text


def show_section(driver):
    """Scrolls Settings' own pane (not the window) so the section is at the top."""
    driver.execute_script(
        "const s = arguments[0]; const pane = s.closest('.scroll'); pane.scrollTop = s.offsetTop - pane.offsetTop;",
        find(driver, "catalog-section"))


def test_check_diff_apply_restore_in_the_window(feed_env, feed):
    url, f = feed
    with app_window(feed_env) as driver:
        find(driver, "nav-settings").click()
        find(driver, "catalog-section")
        wait(driver, lambda d: text_of(d, "catalog-version") == BUNDLED_VERSION, msg="bundled version")
        assert "checked against providers today" in text_of(driver, "catalog-age")

        # Point the app at the local feed and check.
        box = find(driver, "catalog-feed-url")
        box.clear()
        box.send_keys(url)
        find(driver, "catalog-feed-save").click()
        # The start-up check of the default feed may still hold the feed lock (up to its
        # 30 s timeout where DNS hangs instead of failing): wait past it.
        wait(driver, lambda d: "Feed URL saved" in text_of(d, "catalog-note"), timeout=60, msg="url saved")
        find(driver, "catalog-check").click()
        diff = find(driver, "catalog-diff", timeout=60)
        assert f.hits >= 2, "the app fetched the catalog and its signature"

        # The diff: price old → new with the percentage, new/retired offers, lifecycle.
        rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "[data-testid=catalog-diff-price]")]
        flux = [r for r in rows if "bfl:flux-pro-1.1" in r]
        assert flux, rows
        assert "$0.0400" in flux[0] and "$0.0500" in flux[0] and "+25.0%" in flux[0], flux[0]
        assert "FLUX dev 2" in text_of(driver, "catalog-diff-added")
        assert "stability:sd3.5-medium" in text_of(driver, "catalog-diff-removed")
        assert "2027-06-01" in text_of(driver, "catalog-diff-lifecycle")
        assert NEW_VERSION in diff.text
        # Nothing changed yet.
        assert text_of(driver, "catalog-version") == BUNDLED_VERSION
        show_section(driver)
        screenshot(driver, "catalog-diff")

        # Apply on the user's click.
        find(driver, "catalog-apply").click()
        wait(driver, lambda d: text_of(d, "catalog-version") == NEW_VERSION, msg="applied")
        assert "signed update" in find(driver, "catalog-section").text
        assert not driver.find_elements(By.CSS_SELECTOR, "[data-testid=catalog-diff]")
        restore = find(driver, "catalog-restore")
        assert BUNDLED_VERSION in restore.text
        show_section(driver)
        screenshot(driver, "catalog-applied")

        # The canvas's cost table says which catalog its prices come from.
        find(driver, "nav-canvas").click()
        wait(driver, lambda d: NEW_VERSION in text_of(d, "cost-catalog"), msg="cost table catalog line")
        find(driver, "nav-settings").click()

        # Restore the previous (bundled) catalog.
        find(driver, "catalog-restore").click()
        wait(driver, lambda d: text_of(d, "catalog-version") == BUNDLED_VERSION, msg="restored")
        assert "built into the app" in find(driver, "catalog-section").text
        assert NEW_VERSION in text_of(driver, "catalog-restore"), "restore again would redo the update"
        show_section(driver)
        screenshot(driver, "catalog-restored")
