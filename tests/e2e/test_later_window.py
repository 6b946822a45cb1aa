"""Issue 14.7 in the real window: a project whose draft chain is an OpenAI offer with a
batch tier shows "Later (−50 %)"; pressing it sends the job to the fake OpenAI Batch API
(fake_providers.py), lists it as deferred with its delivery time and the later price;
the app quits and relaunches on the same data dir and still lists it; the fake then
completes the batch, "Check now" fetches it, and the image lands in the gallery costing
the batch price (half the now price). Own app instance. Screenshots: target/e2e/later-*.png."""

import re
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import SHOTS, find, screenshot
from fake_providers import serve
from own_window import app_env, app_window

OFFER = "openai:gpt-image-1-mini"
PROJECT = "Overnight batch"
PROMPT = "a quiet harbour in nightbatchfog, later"
NOW_PROMPT = "a quiet harbour in nightbatchfog, sooner"[: len(PROMPT)].ljust(len(PROMPT), "x")
KEY = "sk-e2e-later-FAKEKEY-13579"


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


def dollars(text):
    return [Decimal(m) for m in re.findall(r"\$(\d+\.\d+)", text)]


def deferred_rows(driver):
    return [j for j in all_(driver, "deferred-job") if PROMPT in txt(j)]


@pytest.fixture(scope="module")
def world():
    server, state = serve()
    data = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-later-"))
    env = app_env(data, f"http://127.0.0.1:{server.server_address[1]}", PROOFSHEET_OPENAI_API_KEY=KEY)
    (SHOTS / "later-driver.log").unlink(missing_ok=True)
    yield env, state
    server.shutdown()
    shutil.rmtree(data, ignore_errors=True)


def canvas_on_project(d):
    find(d, "nav-canvas").click()
    Select(find(d, "project-picker")).select_by_visible_text(PROJECT)
    d.find_element(By.XPATH, "//div[@aria-label='Show tier']/button[normalize-space()='Draft']").click()
    quality = Select(find(d, "quality"))
    quality.select_by_value("low" if "low" in [o.get_attribute("value") for o in quality.options] else "auto")
    set_value(d, find(d, "count"), "1")
    set_value(d, find(d, "prompt"), PROMPT)


def test_later_submits_survives_a_restart_and_lands_at_the_batch_price(world):
    env, state = world
    with app_window(env, "later") as d:
        find(d, "nav-projects").click()
        find(d, "project-new").click()
        find(d, "project-name").send_keys(PROJECT)
        budget = find(d, "project-budget")
        budget.clear()
        budget.send_keys("5.00")
        Select(d.find_element(By.ID, "draft-chain-add")).select_by_value(OFFER)
        d.find_element(By.CSS_SELECTOR, "[data-testid=draft-chain] .add button").click()
        find(d, "project-save").click()
        wait(d, lambda d: any(PROJECT in txt(e) for e in all_(d, "project-item")), msg="project not listed")

        canvas_on_project(d)
        later = find(d, "btn-later", timeout=30)
        assert txt(later).strip() == "Later (−50 %)", txt(later)
        line = find(d, "later-price")
        wait(d, lambda d: "within 24 h" in txt(find(d, "later-price")), msg="no later price line")
        now_usd, later_usd = dollars(txt(find(d, "later-price")))
        assert later_usd == (now_usd / 2).quantize(Decimal("0.0001")) or abs(later_usd - now_usd / 2) <= Decimal("0.0001"), txt(line)
        row = d.find_element(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{OFFER}']")
        assert dollars(txt(row.find_element(By.CSS_SELECTOR, "td.c-exp")))[0] == now_usd
        screenshot(d, "later-button")

        find(d, "btn-later").click()
        wait(d, lambda d: deferred_rows(d), timeout=60, msg="the job was never listed as deferred")
        assert state.counts.get("POST /openai/v1/files") == 1 and state.counts.get("POST /openai/v1/batches") == 1
        assert not state.counts.get("POST /openai/v1/images/generations"), "Later must not call the sync API"
        job = deferred_rows(d)[0]
        tomorrow = d.execute_script(
            "return new Date(Date.now() + 24 * 3600e3).toLocaleDateString(undefined, {month: 'short', day: 'numeric'});")
        assert "by " + tomorrow in txt(job), (txt(job), tomorrow)
        assert dollars(txt(job)), txt(job)  # the reserved ceiling, at the batch price
        screenshot(d, "later-deferred")
        deferred_before = txt(job)

    # Quit and relaunch on the same data dir: the deferred job is still there.
    with app_window(env, "later") as d:
        find(d, "nav-canvas").click()
        wait(d, lambda d: deferred_rows(d), timeout=30, msg="the deferred job did not survive the restart")
        assert txt(deferred_rows(d)[0]) == deferred_before
        screenshot(d, "later-after-restart")

        # The provider finishes the batch; Check now fetches it.
        state.complete_batches = True
        find(d, "deferred-poll").click()
        wait(d, lambda d: not deferred_rows(d), timeout=60, msg="the finished batch is still listed as deferred")
        assert any(k.startswith("GET /openai/v1/files/file-out-") for k in state.counts), state.counts
        assert state.counts.get("POST /openai/v1/batches") == 1, "the batch was sent twice"

        find(d, "nav-gallery").click()
        set_value(d, find(d, "gallery-search"), "nightbatchfog")

        def opened(d):
            tiles = all_(d, "gallery-item")
            if not tiles:
                return False
            tiles[0].click()
            return PROMPT in txt(find(d, "detail-prompt"))
        wait(d, opened, timeout=30, msg="the batch image is not in the gallery")
        actual = d.find_element(By.XPATH, "//dt[normalize-space()='Actual']/following-sibling::dd[1]/b")
        estimate = d.find_element(By.XPATH, "//dt[normalize-space()='Estimate']/following-sibling::dd[1]")
        # Estimated at the batch price; billed from the batch's usage at the batch rate.
        assert dollars(txt(estimate))[0] == later_usd, txt(estimate)
        batch_bill = dollars(txt(actual))[0]
        assert 0 < batch_bill <= later_usd, (txt(actual), later_usd)
        assert find(d, "detail-image").is_displayed()
        screenshot(d, "later-gallery-detail")

        # The same request now (same size, quality and prompt length, so the fake bills the
        # same tokens) costs twice the batch bill.
        canvas_on_project(d)
        set_value(d, find(d, "prompt"), NOW_PROMPT)
        find(d, "btn-draft").click()

        def ended(d):
            jobs = [j for j in all_(d, "job") if NOW_PROMPT in txt(j)]
            return jobs and jobs[0].get_attribute("data-phase") in ("done", "failed") and jobs[0]
        job = wait(d, ended, timeout=60, msg="the draft now never ended")
        assert job.get_attribute("data-phase") == "done", txt(job)
        now_bill = dollars(txt(job.find_element(By.CSS_SELECTOR, ".cost")))[0]
        assert abs(batch_bill * 2 - now_bill) <= Decimal("0.0001"), (batch_bill, now_bill)
        screenshot(d, "later-vs-now")
