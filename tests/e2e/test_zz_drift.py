"""Drift from real bills in the real window (issue 14 §5): the fake OpenAI bills 3× the
published output tokens for "DRIFTME" prompts. With the drift window set to 3 in
Settings → Pricing, three drafts mark the offer in the cost table; the dashboard lists
it with estimate vs actual per attempt, and accepting it clears the mark. Runs after
the other flows (its own project; named to sort last) and leaves screenshots."""

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import app_session, find, screenshot
from test_flows import go, rows, wait

PROJECT = "Drift check"
OFFER = "openai:gpt-image-1-mini"


def mark(driver):
    for r in rows(driver):
        if r.get_attribute("data-offer-id") == OFFER:
            return r.find_elements(By.CSS_SELECTOR, "[data-testid=drift-mark]")
    return []


def test_drift_is_marked_listed_and_accepted(tauri_driver):
    # Its own session: the walkthrough's restart step ends the shared one.
    with app_session() as browser:
        run(browser)


def run(browser):
    go(browser, "settings")
    window = find(browser, "drift-window")
    wait(browser, lambda d: window.get_attribute("value") != "", msg="drift settings never loaded")
    window.send_keys(Keys.CONTROL, "a")
    window.send_keys("3")
    find(browser, "drift-save").click()
    find(browser, "drift-saved")

    go(browser, "projects")
    find(browser, "project-new").click()
    find(browser, "project-name").send_keys(PROJECT)
    budget = find(browser, "project-budget")
    budget.clear()
    budget.send_keys("5.00")
    Select(browser.find_element(By.ID, "draft-chain-add")).select_by_value(OFFER)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=draft-chain] .add button").click()
    find(browser, "project-save").click()
    wait(browser, lambda d: any(PROJECT in e.text for e in d.find_elements(
        By.CSS_SELECTOR, "[data-testid=project-item]")), msg="project not listed")
    Select(find(browser, "project-picker")).select_by_visible_text(PROJECT)

    go(browser, "canvas")
    # Earlier flows may leave the table on one tier: show them all.
    browser.find_element(By.XPATH, "//div[@aria-label='Show tier']/button[normalize-space()='All']").click()
    prompt = find(browser, "prompt")
    for i in range(3):
        prompt.send_keys(Keys.CONTROL, "a")
        prompt.send_keys(f"DRIFTME a paper kite over dunes, take {i + 1}")
        wait(browser, lambda d: len(rows(d)) >= 10, msg="cost table never filled")
        done = len([j for j in browser.find_elements(By.CSS_SELECTOR, "[data-testid=job]")
                    if j.get_attribute("data-phase") == "done"])
        find(browser, "btn-draft").click()
        wait(browser, lambda d: len([j for j in d.find_elements(By.CSS_SELECTOR, "[data-testid=job]")
                                     if j.get_attribute("data-phase") == "done"]) > done,
             timeout=60, msg=f"draft {i + 1} never finished")
    prompt.send_keys(" again")  # re-price after the last settlement
    # Earlier flows may have left another mark on this offer: wait for this window's.
    wait(browser, lambda d: any("real bills +" in m.get_attribute("textContent") for m in mark(d)),
         timeout=20, msg="the cost table never marked the drifting offer")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", mark(browser)[0])
    screenshot(browser, "drift-01-cost-table-mark")

    go(browser, "dashboard")
    item = find(browser, "drift-item")
    assert item.get_attribute("data-offer-id") == OFFER
    find(browser, "drift-evidence-toggle").click()
    evidence = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=drift-evidence-row]"))
    assert len(evidence) == 3
    screenshot(browser, "drift-02-dashboard-evidence")
    find(browser, "drift-accept").click()
    find(browser, "drift-done")
    screenshot(browser, "drift-03-accepted")

    go(browser, "canvas")
    find(browser, "prompt").send_keys(".")
    wait(browser, lambda d: len(rows(d)) >= 10 and not mark(d), msg="the mark stayed after accepting")
