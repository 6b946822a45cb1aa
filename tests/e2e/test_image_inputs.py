"""Image inputs in the real window (issue 15): add an input, paint a mask, price the
edit, generate it against the fake OpenAI /v1/images/edits, then open the result's detail
and see its lineage and the before/after. Screenshots at laptop (1366×768) and large
(1920×1080) sizes, light and dark, land in target/e2e/inputs-*.png.
The steps share one app session and run in order."""

import tempfile
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import find, screenshot
from fake_providers import png

PROJECT = "Harbour posters"
PROMPT = "replace the sky with a warm sunset, keep the boat"
SIZES = [(1366, 768, "laptop"), (1920, 1080, "large")]


def wait(driver, cond, timeout=20, msg=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(cond, msg)


def go(driver, section):
    find(driver, f"nav-{section}").click()
    return find(driver, f"screen-{section}")


def theme(driver, want):
    if driver.execute_script("return document.documentElement.dataset.theme") == want:
        return
    if driver.find_elements(By.CSS_SELECTOR, "[aria-modal=true]"):
        # A modal covers the top bar: switch the theme the way the toggle does, for the shot.
        driver.execute_script("document.documentElement.dataset.theme = arguments[0]", want)
    else:
        find(driver, "theme-toggle").click()


def shots(driver, name):
    """The current screen at both sizes and in both themes; back to laptop, dark."""
    for t in ("light", "dark"):
        theme(driver, t)
        for w, h, label in SIZES:
            driver.set_window_size(w, h)
            time.sleep(0.4)
            screenshot(driver, f"inputs-{name}-{label}-{t}")
    driver.set_window_size(1366, 768)


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "[data-testid=cost-row]")


def test_i01_project_and_an_input_by_the_file_picker(browser):
    go(browser, "projects")
    find(browser, "project-new").click()
    find(browser, "project-name").send_keys(PROJECT)
    budget = find(browser, "project-budget")
    budget.clear()
    budget.send_keys("5.00")
    Select(browser.find_element(By.ID, "draft-chain-add")).select_by_value("openai:gpt-image-1")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=draft-chain] .add button").click()
    find(browser, "project-save").click()
    wait(browser, lambda d: any(PROJECT in e.text for e in d.find_elements(
        By.CSS_SELECTOR, "[data-testid=project-item]")), msg="project not listed")
    Select(find(browser, "project-picker")).select_by_visible_text(PROJECT)
    go(browser, "canvas")
    src = Path(tempfile.mkdtemp(prefix="proofsheet-inputs-")) / "harbour.png"
    src.write_bytes(png(1024, 1024, "harbour at noon"))
    # The app runs on this machine: hand WebKitWebDriver the path, not an upload.
    browser.file_detector = UselessFileDetector()
    browser.find_element(By.CSS_SELECTOR, "[data-testid=inputs-file]").send_keys(str(src))
    item = find(browser, "input-item")
    assert item.get_attribute("data-role") == "subject"
    assert "1024×1024" in item.text
    # With a subject, Edit is picked and Generate is not offered.
    assert find(browser, "op-edit").get_attribute("aria-checked") == "true"
    assert find(browser, "op-generate").get_attribute("aria-disabled") == "true"


def test_i02_paint_a_mask_over_the_subject(browser):
    find(browser, "op-inpaint").click()
    find(browser, "btn-paint-mask").click()
    canvas = find(browser, "mask-canvas")
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(browser).move_to_element_with_offset(canvas, int(-w * 0.3), int(-h * 0.35)) \
        .click_and_hold().move_by_offset(int(w * 0.6), 0).move_by_offset(0, int(h * 0.12)) \
        .move_by_offset(-int(w * 0.6), 0).release().perform()
    cov = find(browser, "mask-coverage")
    wait(browser, lambda d: "%" in cov.text, msg=f"nothing painted: {cov.text!r}")
    shots(browser, "mask-painter")
    find(browser, "mask-done").click()
    status = find(browser, "mask-status")
    wait(browser, lambda d: "%" in status.text, msg=f"mask not kept: {status.text!r}")
