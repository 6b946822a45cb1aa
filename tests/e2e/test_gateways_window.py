"""Issue 16 in the real window: Settings → Gateways adds a gateway (the fake one in
fake_providers.py, OpenAI Images dialect) with a plain and a secret header and its key,
maps gpt-image-2 onto the catalog's openai:gpt-image-2 with a 5 % markup, tests the
connection; the cost table prices it at 1.05 × the direct row; a project's final chain
runs through it; neither the key nor the secret header value lands in a file or the log.
Own app instance (own data dir and ports). Screenshots: target/e2e/gw-*.png."""

import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import SHOTS, find, screenshot
from fake_providers import serve
from own_window import app_env, app_window, files_holding

GW = "studio-gw"
OFFER = f"gateway:{GW}/gpt-image-2"
KEY = "sk-gw-E2E-SECRETKEY-5f1c2a9d"
SECRET_HEADER = ("x-portkey-api-key", "pk-E2E-SECRETHEADER-77aa01")
PLAIN_HEADER = ("x-portkey-provider", "openai")
PROJECT = "Gateway final"
PROMPT = "a lighthouse drawn in gatewayink, final"


def wait(driver, cond, timeout=30, msg=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,)).until(cond, msg)


def all_(driver, testid):
    return driver.find_elements(By.CSS_SELECTOR, f"[data-testid={testid}]")


def txt(el):
    return el.get_attribute("textContent") or ""


def set_value(driver, el, text):
    driver.execute_script(
        "const el = arguments[0];"
        "const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;"
        "Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, arguments[1]);"
        "el.dispatchEvent(new Event('input', { bubbles: true }));", el, text)


def into_view(driver, el):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)


def price(driver, offer_id):
    cell = driver.find_element(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{offer_id}'] td.c-exp")
    t = txt(cell).strip()
    assert t.startswith("$"), (offer_id, t)
    return Decimal(t[1:])


@pytest.fixture(scope="module")
def world():
    server, state = serve()
    data = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-gw-"))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    env = app_env(data, base, PROOFSHEET_OPENAI_API_KEY="sk-e2e-direct-openai-key")
    log = SHOTS / "gw-driver.log"
    log.unlink(missing_ok=True)
    yield env, base, state, data, log
    server.shutdown()
    shutil.rmtree(data, ignore_errors=True)


def test_gateway_added_priced_chained_and_generated_in_the_window(world):
    env, base, state, data, log = world
    with app_window(env, "gw") as d:
        # 1. Settings → Gateways: add the gateway.
        find(d, "nav-settings").click()
        add = find(d, "gateway-add")
        into_view(d, add)
        add.click()
        form = find(d, "gateway-form")
        set_value(d, find(d, "gw-name"), GW)
        set_value(d, find(d, "gw-url"), f"{base}/gw/v1")
        Select(find(d, "gw-dialect")).select_by_value("images")
        set_value(d, find(d, "gw-key"), KEY)
        for name, value, secret in (PLAIN_HEADER + (False,), SECRET_HEADER + (True,)):
            form.find_element(By.XPATH, ".//button[normalize-space()='+ Header']").click()
            row = form.find_elements(By.CSS_SELECTOR, ".hrow")[-1]
            if secret:
                row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
                val = row.find_element(By.CSS_SELECTOR, "[aria-label='Secret header value']")
            else:
                val = row.find_element(By.CSS_SELECTOR, "[aria-label='Header value']")
            set_value(d, row.find_element(By.CSS_SELECTOR, "[aria-label='Header name']"), name)
            set_value(d, val, value)
        set_value(d, find(d, "gw-model-0"), "gpt-image-2")
        Select(find(d, "gw-offer-0")).select_by_value("openai:gpt-image-2")
        set_value(d, find(d, "gw-markup"), "5")
        into_view(d, form)
        screenshot(d, "gw-form")
        find(d, "gw-save").click()
        card = find(d, f"gateway-{GW}", timeout=20)
        wait(d, lambda d: "routable now" in txt(find(d, "gateways")), msg="no saved notice")
        assert "+5%" in txt(card), txt(card)
        assert "priced as openai:gpt-image-2" in txt(card), txt(card)
        assert f"{PLAIN_HEADER[0]}: {PLAIN_HEADER[1]}" in txt(card), txt(card)
        assert f"{SECRET_HEADER[0]} (secret)" in txt(card), txt(card)
        assert "key stored" in txt(card), txt(card)
        assert SECRET_HEADER[1] not in d.page_source and KEY not in d.page_source

        # 2. Test connection: reachable, key accepted, serves the mapped model.
        find(d, f"gateway-test-{GW}").click()
        result = find(d, f"gateway-result-{GW}", timeout=30)
        assert txt(result).strip() == "Reachable · key accepted · serves gpt-image-2", txt(result)
        probe = state.gateway_headers[-1]
        assert probe.get("authorization") == f"Bearer {KEY}"
        assert probe.get(SECRET_HEADER[0]) == SECRET_HEADER[1]
        assert probe.get(PLAIN_HEADER[0]) == PLAIN_HEADER[1]
        into_view(d, card)
        screenshot(d, "gw-settings")

        # 3. Canvas: the gateway row costs 1.05 × the catalog's gpt-image-2 row.
        find(d, "nav-canvas").click()
        d.find_element(By.XPATH, "//div[@aria-label='Show tier']/button[normalize-space()='All']").click()
        only = find(d, "only-usable")
        if only.is_selected():
            only.click()
        set_value(d, find(d, "count"), "1")
        set_value(d, find(d, "prompt"), PROMPT)
        wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{OFFER}']")
             and d.find_elements(By.CSS_SELECTOR, "[data-testid=cost-row][data-offer-id='openai:gpt-image-2']"),
             msg="the gateway or the direct row is missing from the cost table")
        time.sleep(1)  # let the estimate settle
        direct, via = price(d, "openai:gpt-image-2"), price(d, OFFER)
        assert direct > 0
        # Both are shown to 4 places: the gateway's is the direct one × 1.05, within rounding.
        assert abs(via - direct * Decimal("1.05")) <= Decimal("0.0001"), (direct, via)
        assert via > direct
        row = d.find_element(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{OFFER}']")
        assert row.get_attribute("data-state") == "ok", txt(row)
        into_view(d, row)
        screenshot(d, "gw-cost-row")

        # 4. A project whose final chain is the gateway.
        find(d, "nav-projects").click()
        find(d, "project-new").click()
        find(d, "project-name").send_keys(PROJECT)
        budget = find(d, "project-budget")
        budget.clear()
        budget.send_keys("5.00")
        Select(d.find_element(By.ID, "draft-chain-add")).select_by_value("openai:gpt-image-1-mini")
        d.find_element(By.CSS_SELECTOR, "[data-testid=draft-chain] .add button").click()
        Select(d.find_element(By.ID, "final-chain-add")).select_by_value(OFFER)
        d.find_element(By.CSS_SELECTOR, "[data-testid=final-chain] .add button").click()
        find(d, "project-save").click()
        wait(d, lambda d: any(PROJECT in txt(e) for e in all_(d, "project-item")), msg="project not listed")

        # 5. Final runs through the gateway.
        find(d, "nav-canvas").click()
        Select(find(d, "project-picker")).select_by_visible_text(PROJECT)
        set_value(d, find(d, "prompt"), PROMPT)
        before = len(state.gateway_headers)
        wait(d, lambda d: find(d, "btn-final").is_enabled(), msg="Final stays disabled")
        find(d, "btn-final").click()

        def ended(d):
            jobs = [j for j in all_(d, "job") if PROMPT in txt(j)]
            return jobs and jobs[0].get_attribute("data-phase") in ("done", "failed") and jobs[0]
        job = wait(d, ended, timeout=90, msg="the final never ended")
        assert job.get_attribute("data-phase") == "done", txt(job)
        assert len(state.gateway_headers) > before, "the final did not reach the gateway"
        sent = state.gateway_headers[-1]
        assert sent.get("authorization") == f"Bearer {KEY}"
        assert sent.get(SECRET_HEADER[0]) == SECRET_HEADER[1]
        assert sent.get(PLAIN_HEADER[0]) == PLAIN_HEADER[1]
        screenshot(d, "gw-final-job")

        # 6. The gallery detail names the gateway.
        find(d, "nav-gallery").click()
        set_value(d, find(d, "gallery-search"), "gatewayink")

        def opened(d):
            tiles = all_(d, "gallery-item")
            if not tiles:
                return False
            tiles[0].click()
            return PROMPT in txt(find(d, "detail-prompt"))
        wait(d, opened, msg="the final is not in the gallery")
        wait(d, lambda d: GW in txt(find(d, "detail")), msg="the detail does not name the gateway")
        screenshot(d, "gw-gallery-detail")
        assert KEY not in d.page_source and SECRET_HEADER[1] not in d.page_source

    # 7. No secret in any file of the data dir, nor in the app's / driver's output.
    for secret in (KEY, SECRET_HEADER[1]):
        assert files_holding(data, secret) == [], secret
        assert secret.encode() not in log.read_bytes(), f"{secret} in {log}"
