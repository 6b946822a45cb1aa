"""Window steps the gateway e2e tests share: fill Settings → Gateways, read the cost
table, make a project whose final chain is one offer, run Final and open the result."""

import time
from decimal import Decimal

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import find, screenshot


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


def add_gateway(d, name, url, *, key=None, headers=(), model="gpt-image-2", offer="openai:gpt-image-2",
                markup="5", shot=None):
    """Settings → Gateways → Add: headers are (name, value, secret). Returns the saved card."""
    find(d, "nav-settings").click()
    # The click can land while Settings is still laying out after the nav (seen once in a
    # full run): ask again if no form came.
    for attempt in range(3):
        if d.find_elements(By.CSS_SELECTOR, "[data-testid=gateway-form]"):
            form = find(d, "gateway-form")  # the previous click opened it after all
            break
        add = find(d, "gateway-add")
        into_view(d, add)
        add.click()
        try:
            form = find(d, "gateway-form", timeout=5)
            break
        except TimeoutException:
            if attempt == 2:
                raise
    set_value(d, find(d, "gw-name"), name)
    set_value(d, find(d, "gw-url"), url)
    Select(find(d, "gw-dialect")).select_by_value("images")
    if key is not None:
        set_value(d, find(d, "gw-key"), key)
    for h_name, value, secret in headers:
        form.find_element(By.XPATH, ".//button[normalize-space()='+ Header']").click()
        row = form.find_elements(By.CSS_SELECTOR, ".hrow")[-1]
        if secret:
            row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
            val = row.find_element(By.CSS_SELECTOR, "[aria-label='Secret header value']")
        else:
            val = row.find_element(By.CSS_SELECTOR, "[aria-label='Header value']")
        set_value(d, row.find_element(By.CSS_SELECTOR, "[aria-label='Header name']"), h_name)
        set_value(d, val, value)
    set_value(d, find(d, "gw-model-0"), model)
    Select(find(d, "gw-offer-0")).select_by_value(offer)
    set_value(d, find(d, "gw-markup"), markup)
    if shot:
        into_view(d, form)
        screenshot(d, shot)
    find(d, "gw-save").click()
    card = find(d, f"gateway-{name}", timeout=20)
    wait(d, lambda d: "routable now" in txt(find(d, "gateways")), msg="no saved notice")
    return card


def check_connection(d, name, timeout=60):
    """Clicks Test connection on the gateway's card; returns the shown result text."""
    find(d, f"gateway-test-{name}").click()
    return txt(find(d, f"gateway-result-{name}", timeout=timeout)).strip()


def show_all_offers(d, prompt):
    """Canvas with every offer listed (all tiers, usable or not) for this prompt."""
    find(d, "nav-canvas").click()
    d.find_element(By.XPATH, "//div[@aria-label='Show tier']/button[normalize-space()='All']").click()
    only = find(d, "only-usable")
    if only.is_selected():
        only.click()
    set_value(d, find(d, "count"), "1")
    set_value(d, find(d, "prompt"), prompt)


def wait_rows(d, *offer_ids):
    def present(d):
        return all(d.find_elements(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{o}']")
                   for o in offer_ids)
    wait(d, present, msg=f"a row is missing from the cost table: {offer_ids}")
    time.sleep(1)  # let the estimate settle


def new_project(d, name, final_offer, budget="5.00", draft_offer="openai:gpt-image-1-mini"):
    """Projects → New: a hard budget, a draft chain, and `final_offer` as the final chain."""
    find(d, "nav-projects").click()
    find(d, "project-new").click()
    find(d, "project-name").send_keys(name)
    b = find(d, "project-budget")
    b.clear()
    b.send_keys(budget)
    Select(d.find_element(By.ID, "draft-chain-add")).select_by_value(draft_offer)
    d.find_element(By.CSS_SELECTOR, "[data-testid=draft-chain] .add button").click()
    Select(d.find_element(By.ID, "final-chain-add")).select_by_value(final_offer)
    d.find_element(By.CSS_SELECTOR, "[data-testid=final-chain] .add button").click()
    find(d, "project-save").click()
    wait(d, lambda d: any(name in txt(e) for e in all_(d, "project-item")), msg="project not listed")


def run_final(d, project, prompt, timeout=120):
    """Canvas → the project → Final; returns the ended job element (asserted done)."""
    find(d, "nav-canvas").click()
    Select(find(d, "project-picker")).select_by_visible_text(project)
    set_value(d, find(d, "prompt"), prompt)
    wait(d, lambda d: find(d, "btn-final").is_enabled(), msg="Final stays disabled")
    find(d, "btn-final").click()

    def ended(d):
        jobs = [j for j in all_(d, "job") if prompt in txt(j)]
        return jobs and jobs[0].get_attribute("data-phase") in ("done", "failed") and jobs[0]
    job = wait(d, ended, timeout=timeout, msg="the final never ended")
    assert job.get_attribute("data-phase") == "done", txt(job)
    return job


def open_in_gallery(d, search, prompt):
    """Gallery → search → the first tile's detail panel."""
    find(d, "nav-gallery").click()
    set_value(d, find(d, "gallery-search"), search)

    def opened(d):
        # Poll without blocking: under load the first click may land before the grid
        # is interactive, so click again until the detail shows this prompt.
        shown = all_(d, "detail-prompt")
        if shown and prompt in txt(shown[0]):
            return True
        tiles = all_(d, "gallery-item")
        if tiles:
            tiles[0].click()
        return False
    wait(d, opened, timeout=45, msg=f"{prompt!r} is not in the gallery")
    return find(d, "detail")
