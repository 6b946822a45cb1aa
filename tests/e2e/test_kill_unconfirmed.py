"""Issue 11 in the real window: the app is killed (SIGKILL) while a Draft's call is in
flight; after a restart the budget meter and the generation's detail show the charge as
unconfirmed (never "$0, released"), and Confirm works through the real commands.

This file runs its own app instance (own data dir, own slow fake OpenAI, own
tauri-driver on other ports), so it neither needs nor disturbs the session that
test_flows.py drives. Screenshots (1280×800, dark and light) land in target/e2e/.
"""

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import APP, FAKE_OPENAI_KEY, SHOTS, _wait_port, find, screenshot
from fake_providers import Handler, State
from http.server import ThreadingHTTPServer

PROJECT = "Killed mid-call"
PROMPT = "a paper boat on a puddle, cyanotype"
# Not conftest's 4444/4445 (its session may still be open); each window its own pair, so
# a restart never waits for the previous WebKitWebDriver's port to be free again.
PORTS = {"before": (4461, 4462), "after": (4463, 4464)}


class SlowImages(Handler):
    """OpenAI Images that takes the request, says so, and never answers in time."""

    received: threading.Event
    release: threading.Event

    def _openai_images(self, body: dict):
        self.received.set()
        self.release.wait(timeout=300)
        with contextlib.suppress(OSError):  # the app that asked is dead by now
            super()._openai_images(body)


@pytest.fixture(scope="module")
def slow_openai():
    state = State()
    received, release = threading.Event(), threading.Event()
    handler = type("SlowBound", (SlowImages,), {"state": state, "received": received, "release": release})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state, received
    release.set()
    server.shutdown()


@pytest.fixture(scope="module")
def kill_env(slow_openai):
    data = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-kill-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROOFSHEET_")}
    env["PROOFSHEET_DATA_DIR"] = str(data)
    env["PROOFSHEET_CATALOG_DATE"] = "2026-11-29"  # lifecycle on a fixed day, as in conftest
    env["PROOFSHEET_OPENAI_BASE_URL"] = f"{slow_openai[0]}/openai/v1"
    env["PROOFSHEET_OPENAI_API_KEY"] = FAKE_OPENAI_KEY
    yield env
    if not os.environ.get("PROOFSHEET_E2E_KEEP"):  # keep the library to look into a failure
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def app_window(env, label):
    """tauri-driver (own ports, own process group) and one WebDriver session on the app."""
    driver_bin = shutil.which("tauri-driver") or str(Path.home() / ".cargo/bin/tauri-driver")
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / f"kill-driver-{label}.log", "wb")  # the app's own log too, for a failure
    port, native = PORTS[label]
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
        driver.set_window_size(1280, 800)
        WebDriverWait(driver, 30).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=screen-canvas]")))
        try:
            yield driver
        except Exception:
            with contextlib.suppress(Exception):
                screenshot(driver, f"kill-failure-{label}")
            raise
    finally:
        if driver is not None:
            with contextlib.suppress(Exception):
                driver.quit()
        # The driver and the WebKitWebDriver it started; this group is ours alone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until WebKitWebDriver has gone too
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        log.close()


def app_pids(data_dir: str) -> list[int]:
    """The app processes running on this test's data dir (never anyone else's)."""
    target = os.path.realpath(APP)
    mine = f"PROOFSHEET_DATA_DIR={data_dir}".encode()
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if os.path.realpath(d / "exe") != target:
                continue
            if mine in (d / "environ").read_bytes().split(b"\0"):
                pids.append(int(d.name))
        except OSError:
            continue
    return pids


def totals(data_dir: str) -> tuple[int, int, int]:
    """spent, reserved and unconfirmed nanodollars of the one project, read-only."""
    db = sqlite3.connect(f"file:{data_dir}/proofsheet.sqlite3?mode=ro", uri=True)
    try:
        return db.execute("SELECT spent_nanos, reserved_nanos, unconfirmed_nanos FROM project_totals").fetchone()
    finally:
        db.close()


def wait(driver, cond, timeout=20, msg=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(cond, msg)


def go(driver, section):
    find(driver, f"nav-{section}").click()
    return find(driver, f"screen-{section}")


def set_theme(driver, theme):
    if driver.execute_script("return document.documentElement.dataset.theme") != theme:
        find(driver, "theme-toggle").click()
    wait(driver, lambda d: d.execute_script("return document.documentElement.dataset.theme") == theme)


def money(text):
    m = re.search(r"\$([\d,]+\.\d+)", text)
    assert m, f"no amount in {text!r}"
    return float(m.group(1).replace(",", ""))  # for the test's comparisons only


def shows(text, usd):
    """The text shows `usd` under the window's money rule: totals in cents ("< $0.01"
    below half a cent), single charges to four places."""
    if "< $0.01" in text:
        return 0 < usd < 0.005
    return abs(money(text) - usd) < 0.005


def test_a_draft_killed_mid_call_shows_as_unconfirmed_after_restart(kill_env, slow_openai):
    _, state, received = slow_openai
    data_dir = kill_env["PROOFSHEET_DATA_DIR"]

    # 1. A project with a hard budget; press Draft; the provider takes the call and stalls.
    with app_window(kill_env, "before") as driver:
        go(driver, "projects")
        find(driver, "project-new").click()
        find(driver, "project-name").send_keys(PROJECT)
        budget = find(driver, "project-budget")
        budget.clear()
        budget.send_keys("1.00")
        find(driver, "project-hard").click()
        find(driver, "project-save").click()
        wait(driver, lambda d: any(PROJECT in e.text for e in d.find_elements(
            By.CSS_SELECTOR, "[data-testid=project-item]")), msg="project not listed")
        Select(find(driver, "project-picker")).select_by_visible_text(PROJECT)
        go(driver, "canvas")
        find(driver, "prompt").send_keys(PROMPT)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=cost-row]"),
             msg="cost table never filled")
        assert "$0.00" in find(driver, "topbar-budget").text
        find(driver, "btn-draft").click()
        assert received.wait(60), "the fake provider never received the draft's request"
        # 2. Kill -9 while the call is in flight: nothing in the app gets to clean up.
        pids = app_pids(data_dir)
        assert pids, "could not find the app process to kill"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while app_pids(data_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not app_pids(data_dir), "the app survived SIGKILL"
    sent = state.counts.get("POST /openai/v1/images/generations", 0)
    assert sent == 1, state.counts

    # 3. Restart on the same library: recovery books the sent call as unconfirmed.
    with app_window(kill_env, "after") as driver:
        Select(find(driver, "project-picker")).select_by_visible_text(PROJECT)
        chip = find(driver, "topbar-budget-unconfirmed", timeout=30)
        assert chip.text.endswith("unconfirmed"), chip.text
        # The library is the truth: the sent call is spent and unconfirmed, nothing held.
        spent_n, reserved_n, unconfirmed_n = totals(data_dir)
        assert spent_n > 0 and unconfirmed_n == spent_n and reserved_n == 0, (spent_n, reserved_n, unconfirmed_n)
        amount = spent_n / 1e9
        shown = chip.text.split(" unconfirmed")[0]  # a total, in cents: e.g. "$0.01"
        assert shows(chip.text, amount), (chip.text, amount)
        top = find(driver, "topbar-budget").text
        # Spent keeps the charge: the reservation was not released to $0.
        assert shows(top, amount), top
        assert "the provider may have billed; confirm or refund" in chip.get_attribute("title")

        go(driver, "canvas")
        line = find(driver, "budget-meter-unconfirmed")
        assert f"{shown} unconfirmed — the provider may have billed; confirm or refund" in line.text, line.text
        assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=budget-meter] .bar .unconfirmed"), \
            "no unconfirmed segment in the canvas meter"
        spent = driver.find_element(By.XPATH, "//*[@data-testid='budget-meter']//dt[.='Spent']/following-sibling::dd")
        assert shows(spent.text, amount), spent.text
        find(driver, "budget-meter-review").click()
        charges = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=unconfirmed-charge]"),
                       msg="the review list shows no charge")
        # The meter and its review list in view, as a designer would scroll to them.
        driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", charges[0])
        # textContent: WebKitWebDriver leaves ellipsised text out of .text.
        assert len(charges) == 1 and PROMPT in charges[0].get_attribute("textContent"), charges[0].text
        for theme in ("dark", "light"):
            set_theme(driver, theme)
            screenshot(driver, f"kill-01-meter-unconfirmed-{theme}")

        # 4. The generation's detail: the attempt is an unconfirmed charge, not "not billed".
        charges[0].find_element(By.CSS_SELECTOR, "[data-testid=btn-charge-open]").click()
        detail = find(driver, "detail")
        unc = find(driver, "detail-unconfirmed")
        assert shows(unc.text, amount), unc.text
        attempt = find(driver, "detail-attempt")
        assert "unconfirmed charge $" in attempt.text and shows(attempt.text, amount), attempt.text
        charge = attempt.find_element(By.CSS_SELECTOR, "[data-testid=attempt-charge]")
        assert charge.get_attribute("data-kind") == "unconfirmed" and "not billed" not in charge.text
        assert PROMPT in detail.get_attribute("textContent")
        assert find(driver, "btn-charge-refund").is_displayed()
        driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", find(driver, "unconfirmed-actions"))
        for theme in ("dark", "light"):
            set_theme(driver, theme)
            screenshot(driver, f"kill-02-detail-unconfirmed-{theme}")

        # 5. Confirm (the provider did bill it): still spent, no longer unconfirmed.
        find(driver, "btn-charge-confirm").click()
        wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=detail-unconfirmed]"),
             msg="the detail still shows the charge as unconfirmed after Confirm")
        wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=topbar-budget-unconfirmed]"),
             msg="the top bar still shows unconfirmed money after Confirm")
        assert shows(find(driver, "topbar-budget").text, amount)
        screenshot(driver, "kill-03-confirmed")
        set_theme(driver, "dark")
    # Nothing was sent again by the restart, the review or the confirm.
    assert state.counts.get("POST /openai/v1/images/generations", 0) == 1, state.counts
