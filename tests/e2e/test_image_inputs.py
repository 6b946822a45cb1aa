"""Image inputs in the real window (issue 15): add an input, paint a mask, price the
edit, generate it against the fake OpenAI /v1/images/edits, then open the result's detail
and see its lineage and the before/after. Screenshots at laptop (1366×768) and large
(1920×1080) sizes, light and dark, land in target/e2e/inputs-*.png.
The steps share one app instance of their own (own data dir, webview storage and fake
providers: the session's library holds other tests' images and projects, and the canvas
this test leaves in Edit region must not reach later tests) and run in order."""

import shutil
import tempfile
from pathlib import Path

import pytest

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import Select

from conftest import FAKE_OPENAI_KEY, find
from fake_providers import png, serve
from inputs_window import go, row, rows, shots, wait
from own_window import app_env, app_window

PROJECT = "Harbour posters"
DRAFT_PROMPT = "a fishing boat in a harbour at noon, flat colours"
PROMPT = "replace the sky with a warm sunset, keep the boat"


@pytest.fixture(scope="module")
def fake_providers():
    server, state = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


@pytest.fixture(scope="module")
def browser(fake_providers):
    base, _ = fake_providers
    data = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-inputs-"))
    env = app_env(data, base, PROOFSHEET_OPENAI_API_KEY=FAKE_OPENAI_KEY)
    with app_window(env, "inputs") as driver:
        driver.set_window_size(1366, 768)
        yield driver
    shutil.rmtree(data, ignore_errors=True)


def test_i01_a_draft_goes_to_the_canvas_as_the_subject_and_a_file_as_a_reference(browser):
    go(browser, "projects")
    find(browser, "project-new").click()
    find(browser, "project-name").send_keys(PROJECT)
    budget = find(browser, "project-budget")
    budget.clear()
    budget.send_keys("5.00")
    Select(browser.find_element(By.ID, "draft-chain-add")).select_by_value("openai:gpt-image-2")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=draft-chain] .add button").click()
    find(browser, "project-save").click()
    wait(browser, lambda d: any(PROJECT in e.text for e in d.find_elements(
        By.CSS_SELECTOR, "[data-testid=project-item]")), msg="project not listed")
    Select(find(browser, "project-picker")).select_by_visible_text(PROJECT)
    go(browser, "canvas")
    # The draft: text to image on GPT Image 2.
    find(browser, "prompt").send_keys(DRAFT_PROMPT)
    wait(browser, lambda d: rows(d) and row(d, "openai:gpt-image-2"), msg="no GPT Image 2 row")
    find(browser, "btn-draft").click()  # the project's draft chain: GPT Image 2
    wait(browser, lambda d: any(j.get_attribute("data-phase") == "done" for j in d.find_elements(
        By.CSS_SELECTOR, "[data-testid=job]")), timeout=60, msg="the draft never finished")
    # Its detail → Use in Canvas: the draft becomes the subject, Edit is picked.
    find(browser, "result-thumb").click()
    find(browser, "btn-use-in-canvas", timeout=20).click()
    find(browser, "screen-canvas")
    item = find(browser, "input-item")
    assert item.get_attribute("data-role") == "subject"
    assert find(browser, "op-edit").get_attribute("aria-checked") == "true"
    assert find(browser, "op-generate").get_attribute("aria-disabled") == "true"
    # A reference from a file (the picker; drop and paste take the same path).
    src = Path(tempfile.mkdtemp(prefix="proofsheet-inputs-")) / "palette.png"
    src.write_bytes(png(512, 512, "sunset palette"))
    browser.file_detector = UselessFileDetector()  # the app runs here: a path, not an upload
    browser.find_element(By.CSS_SELECTOR, "[data-testid=inputs-file]").send_keys(str(src))
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=input-item]")) == 2,
         msg="the file was not added")
    roles = [e.get_attribute("data-role") for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=input-item]")]
    assert roles == ["subject", "reference"], roles


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


def test_i03_expand_margins_and_upscale_factor_show_the_grown_size(browser):
    find(browser, "op-expand").click()
    right = find(browser, "expand-right")
    right.clear()
    right.send_keys("512\t")
    size = find(browser, "expand-size")
    wait(browser, lambda d: "1536 × 1024" in size.text, msg=f"grown size: {size.text!r}")
    handle = find(browser, "expand-handle-top")
    handle.send_keys("\ue013")  # ArrowUp: the top margin grows by 16 px
    wait(browser, lambda d: "1536 × 1040" in size.text, msg=f"after the handle: {size.text!r}")
    shots(browser, "expand")
    find(browser, "op-upscale").click()
    find(browser, "scale-4").click()
    assert "4096 × 4096" in find(browser, "upscale-size").text
    find(browser, "op-inpaint").click()


def test_i04_the_cost_table_prices_the_region_edit_with_its_input(browser, fake_providers):
    prompt = browser.find_element(By.CSS_SELECTOR, "[data-testid=prompt]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", prompt)
    prompt.clear()
    prompt.send_keys(PROMPT)
    wait(browser, lambda d: len(rows(d)) >= 10, msg="cost table never filled")
    title = browser.find_element(By.ID, "cost-title").text.lower()
    assert "edit region" in title and "2 inputs" in title, title
    # GPT Image 2 can paint a region: priced, with its input line on the row.
    gpt = wait(browser, lambda d: row(d, "openai:gpt-image-2"), msg="no GPT Image 2 row")
    assert gpt.get_attribute("data-state") == "ok", gpt.text
    wait(browser, lambda d: row(d, "openai:gpt-image-2").find_elements(By.CSS_SELECTOR, "[data-testid=input-line]"),
         msg=f"no input line on the GPT Image 2 row: {gpt.text!r}")
    # Offers that cannot paint a mask are listed, with the engine's reason.
    unsupported = [r for r in rows(browser) if r.get_attribute("data-state") == "unsupported"]
    assert unsupported, "every offer claims it can paint a region"
    silent = [r.get_attribute("data-offer-id") for r in unsupported
              if not any((n.get_attribute("textContent") or "").strip() for n in r.find_elements(By.CSS_SELECTOR, ".note"))]
    assert not silent, f"unsupported without a reason: {silent}"
    row(browser, "openai:gpt-image-2").find_element(By.CSS_SELECTOR, "[data-testid=breakdown-toggle]").click()
    find(browser, "breakdown")
    shots(browser, "priced")


def test_i05_generate_the_region_edit(browser, fake_providers):
    _, state = fake_providers
    before = len(state.edit_calls)
    row(browser, "openai:gpt-image-2").find_element(By.CSS_SELECTOR, "button.use").click()
    wait(browser, lambda d: any(j.get_attribute("data-phase") == "done" for j in d.find_elements(
        By.CSS_SELECTOR, "[data-testid=job]")), timeout=60, msg="the edit job never finished")
    assert len(state.edit_calls) == before + 1, "no call reached /v1/images/edits"
    call = state.edit_calls[-1]
    assert call["images"] == 2 and call["image_sizes"] == [[1024, 1024], [512, 512]], call
    assert call["mask"] and call["mask"]["size"] == [1024, 1024], call
    assert call["prompt"] == PROMPT
    find(browser, "result-thumb")


def test_i06_the_detail_shows_lineage_and_before_after(browser):
    go(browser, "gallery")
    items = wait(browser, lambda d: len(e := d.find_elements(By.CSS_SELECTOR, "[data-testid=gallery-item]")) == 2 and e,
                 msg="the gallery lacks the draft and its edit")
    items[0].click()  # newest first: the region edit
    detail = find(browser, "detail")
    ba = find(browser, "detail-before-after", timeout=20)
    slider = find(browser, "before-after-slider")
    assert slider.get_attribute("aria-valuenow") == "50"
    slider.send_keys("\ue014")  # ArrowRight
    wait(browser, lambda d: slider.get_attribute("aria-valuenow") == "55", msg="the slider ignores the keyboard")
    assert [e.get_attribute("data-role") for e in detail.find_elements(
        By.CSS_SELECTOR, "[data-testid=detail-input]")] == ["subject", "reference"]
    # The lineage: the draft, then this region edit (current); the draft opens on click.
    nodes = wait(browser, lambda d: len(e := d.find_elements(By.CSS_SELECTOR, "[data-testid=lineage-node]")) >= 2 and e,
                 msg="no lineage tree")
    assert nodes[-1].get_attribute("data-current") == "true"
    assert "from the prompt" in nodes[0].text.lower(), nodes[0].text
    assert ba.is_displayed()
    shots(browser, "detail")
    shots(browser, "lineage", show="lineage-tree")
    nodes[0].find_element(By.CSS_SELECTOR, "button").click()
    wait(browser, lambda d: DRAFT_PROMPT in find(d, "detail-prompt").text and not d.find_elements(
        By.CSS_SELECTOR, "[data-testid=detail-before-after]"), msg="the draft did not open from the tree")


def test_i07_finalize_the_draft_compares_the_ways_and_runs_one(browser, fake_providers):
    _, state = fake_providers
    before = len(state.edit_calls)
    find(browser, "btn-finalize").click()
    find(browser, "finalize-dialog")
    ways = wait(browser, lambda d: len(e := d.find_elements(By.CSS_SELECTOR, "[data-testid^=finalize-][role=radio]")) == 3 and e,
                msg="the three ways are not side by side")
    assert [w.get_attribute("data-testid") for w in ways] == ["finalize-reference", "finalize-upscale", "finalize-reroll"]
    # Each way either has a price or says why it cannot run.
    for w in ways:
        assert "$" in w.text or w.find_elements(By.CSS_SELECTOR, "[data-testid=finalize-why]"), w.text
    shots(browser, "finalize")
    ref = find(browser, "finalize-reference")
    if ref.get_attribute("aria-disabled") != "true":
        ref.click()
        find(browser, "finalize-run").click()
        wait(browser, lambda d: len(state.edit_calls) > before, timeout=60,
             msg="re-rendering from the draft sent no edit")
        assert state.edit_calls[-1]["images"] == 1, state.edit_calls[-1]
    else:
        find(browser, "finalize-dialog").find_element(By.XPATH, ".//button[normalize-space()='Cancel']").click()
