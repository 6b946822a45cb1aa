"""Window helpers the image-input e2e modules share (test_image_inputs.py on the fake
OpenAI, test_image_inputs_providers.py on the fakes of Gemini, BFL, Stability and fal)."""

import time

from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import find, screenshot

SIZES = [(1366, 768, "laptop"), (1920, 1080, "large")]


def wait(driver, cond, timeout=20, msg=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(cond, msg)


def go(driver, section):
    # A closing dialog or toast can sit over the nav for a frame or two: retry the click.
    for _ in range(25):
        try:
            find(driver, f"nav-{section}").click()
            break
        except ElementClickInterceptedException:
            time.sleep(0.2)
    else:
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


def shots(driver, name, show=None, prefix="inputs"):
    """The current screen at both sizes and in both themes; back to laptop, dark.
    `show`: a test id scrolled into view at each size."""
    for t in ("light", "dark"):
        theme(driver, t)
        for w, h, label in SIZES:
            driver.set_window_size(w, h)
            time.sleep(0.4)
            if show:
                # Scroll only its panel: scrollIntoView would also move the (overflow: hidden) window.
                driver.execute_script(
                    "const e = arguments[0], s = e.closest('.scroll');"
                    "if (s) s.scrollTop += e.getBoundingClientRect().top - s.getBoundingClientRect().top - 60;",
                    driver.find_element(By.CSS_SELECTOR, f"[data-testid={show}]"))
            screenshot(driver, f"{prefix}-{name}-{label}-{t}")
    driver.set_window_size(1366, 768)


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "[data-testid=cost-row]")


def row(driver, offer_id):
    found = driver.find_elements(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{offer_id}']")
    return found[0] if found else None
