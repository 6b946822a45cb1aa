"""Image operations in the real window on local fakes of Gemini, BFL, Stability, fal and
OpenAI (issue 15 "Done when"; test_image_inputs.py walks the OpenAI region edit step by
step). For each provider, in one app
instance of its own: a draft on the provider, then from the Canvas an edit with a
painted mask, an edit with three references, an expand and an upscale, each on an offer
of that provider that can do it, and a finalize of the draft from the gallery. Each
step holds the cost row's input lines against what the fake reported (Gemini's IMAGE
prompt tokens, BFL's `cost`, Stability's credits, fal's billable units, OpenAI's
`input_tokens_details.image_tokens`), checks the
request the fake received (inputs, mask, margins, factor), the charge (the estimate),
and the result's lineage and before/after. Where the catalog has no offer of a
provider for an operation, the cost table must say why that provider's offers cannot.
Screenshots (target/e2e/ops-*.png) for a few steps, both sizes and themes."""

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import Select

from conftest import find, screenshot
from fake_image_providers import env_for, serve
from fake_providers import png
from inputs_window import go, row, rows, shots, wait
from own_window import app_env, app_window

MONEY = re.compile(r"\$([0-9][0-9,]*\.?[0-9]*)")


@dataclass
class Plan:
    """Which offer of a provider does each operation (None: the catalog has none)."""
    provider: str
    project: str
    draft: str
    final: str
    inpaint: str | None
    references: str | None
    expand: str | None
    upscale: tuple[str, int] | None
    finalize: str
    shots: set[str] = field(default_factory=set)


PLANS = [
    Plan("google", "Gemini ops", "google:gemini-2.5-flash-image", "google:gemini-3-pro-image",
         None, "google:gemini-nano-banana-2.1", None, None, "reference", {"references"}),
    Plan("bfl", "BFL ops", "bfl:flux-dev", "bfl:flux-2-pro",
         "bfl:flux-pro-1.0-fill", "bfl:flux-2-pro", "bfl:flux-pro-1.0-expand", None, "reference", {"expand"}),
    Plan("stability", "Stability ops", "stability:stable-image-core", "stability:upscale-conservative",
         "stability:inpaint", None, "stability:outpaint", ("stability:upscale-creative", 2), "upscale", {"upscale-detail"}),
    Plan("fal", "fal ops", "fal:fal-ai/flux/schnell", "fal:fal-ai/flux-pro/kontext",
         None, "fal:openai/gpt-image-2/edit", None, ("fal:fal-ai/seedvr/upscale/image", 2), "reference", {"finalize"}),
    Plan("openai", "OpenAI ops", "openai:gpt-image-2", "openai:gpt-image-1.5",
         "openai:gpt-image-2", "openai:gpt-image-2", None, None, "reference"),
]


@pytest.fixture(scope="module")
def fakes():
    server, state = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


@pytest.fixture(scope="module")
def browser(fakes):
    base, _ = fakes
    data = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-ops-"))
    env = app_env(data, base, **env_for(base))
    with app_window(env, "ops") as driver:
        driver.set_window_size(1366, 768)
        driver.file_detector = UselessFileDetector()  # the app runs here: a path, not an upload
        yield driver
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def references():
    d = Path(tempfile.mkdtemp(prefix="proofsheet-ops-refs-"))
    paths = []
    for i, name in enumerate(("palette", "texture", "product")):
        p = d / f"{name}.png"
        p.write_bytes(png(512, 512 - 128 * (i == 2), f"reference {name}"))
        paths.append(p)
    yield paths
    shutil.rmtree(d, ignore_errors=True)


def txt(e) -> str:
    return " ".join((e.get_attribute("textContent") or "").split())


def money(text: str) -> Decimal:
    m = MONEY.search(text or "")
    assert m, f"no amount in {text!r}"
    return Decimal(m.group(1).replace(",", ""))


def close(a: Decimal, b: Decimal, places: int = 4) -> bool:
    """Equal at the precision the window shows."""
    return abs(a - b) <= Decimal(1).scaleb(-places) / 2 + Decimal("1e-9")


def done_count(d) -> int:
    return sum(j.get_attribute("data-phase") == "done" for j in d.find_elements(By.CSS_SELECTOR, "[data-testid=job]"))


def run_and_wait(browser, start, what: str, before=None):
    """Clicks `start`, waits (on the Canvas, where the jobs are) for a new finished job;
    fails at once on a failed one. `before`: done jobs counted earlier on the Canvas."""
    before = done_count(browser) if before is None else before
    failed = len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=job][data-phase=failed]"))
    start()
    go(browser, "canvas")

    def finished(d):
        bad = d.find_elements(By.CSS_SELECTOR, "[data-testid=job][data-phase=failed]")
        if len(bad) > failed:
            raise AssertionError(f"{what} failed: {txt(bad[0])}")
        return done_count(d) > before
    wait(browser, finished, timeout=60, msg=f"{what} never finished")
    job = browser.find_elements(By.CSS_SELECTOR, "[data-testid=job][data-phase=done]")[0]
    return money(txt(job.find_element(By.CSS_SELECTOR, ".cost")))


def clear_inputs(browser):
    while xs := browser.find_elements(By.CSS_SELECTOR, "[data-testid=input-remove]"):
        xs[-1].click()


def set_prompt(browser, text: str):
    prompt = find(browser, "prompt")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", prompt)
    # All but the last key at once: typing each one re-prices 80 offers with 4 inputs,
    # seconds a key on a loaded machine; the last is typed.
    browser.execute_script(
        "const e = arguments[0]; e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}))",
        prompt, text[:-1])
    prompt.send_keys(text[-1])


def priced_row(browser, offer: str, want_line=None):
    """The offer's row once priced for the current request (state ok, an input line
    `want_line` accepts); returns (row, expected $, input lines)."""
    def ready(d):
        r = row(d, offer)
        if r is None or r.get_attribute("data-state") != "ok":
            return False
        if "updating" in txt(d.find_element(By.CSS_SELECTOR, ".costs .status")):
            return False
        # textContent: a row scrolled out of its panel has no rendered text.
        lines = [txt(e) for e in r.find_elements(By.CSS_SELECTOR, "[data-testid=input-line]")]
        return (r, lines) if lines and (want_line is None or any(want_line(ln) for ln in lines)) else False
    try:
        r, lines = wait(browser, ready)
    except Exception as e:
        r = row(browser, offer)
        seen = r and (r.get_attribute("data-state"), [x.get_attribute("textContent") for x in r.find_elements(
            By.CSS_SELECTOR, "[data-testid=input-line]")], r.get_attribute("textContent"))
        raise AssertionError(f"{offer} never priced with its input line: {seen}") from e
    return r, money(txt(r.find_element(By.CSS_SELECTOR, "[data-testid=cost-expected]"))), lines


def use(browser, offer: str, what: str) -> Decimal:
    return run_and_wait(browser, lambda: row(browser, offer).find_element(By.CSS_SELECTOR, "button.use").click(), what)


def says_why_not(browser, provider: str, op_label: str):
    """No offer of `provider` can do the current operation (`op_label`, as the cost
    table's title names it): each of its rows is unsupported and says why."""
    def ready(d):
        if op_label not in txt(d.find_element(By.ID, "cost-title")).lower() or d.find_elements(
                By.CSS_SELECTOR, ".costs table.stale, .costs table[data-pending=true]") or "updating" in txt(d.find_element(By.CSS_SELECTOR, ".costs .status")):
            return False
        mine = [r for r in rows(d) if (r.get_attribute("data-offer-id") or "").startswith(provider + ":")]
        return mine or False
    mine = wait(browser, ready, msg=f"no {provider} rows")
    able = [r.get_attribute("data-offer-id") for r in mine if r.get_attribute("data-state") != "unsupported"]
    assert not able, f"{able} can {op_label} after all: the plan is out of date"
    silent = [r.get_attribute("data-offer-id") for r in mine
              if not any((n.get_attribute("textContent") or "").strip() for n in r.find_elements(By.CSS_SELECTOR, ".note"))]
    assert not silent, f"unsupported without a reason: {silent}"


def newest_detail(browser, op: str):
    """Opens the newest result's detail: the lineage from the draft to it, this result
    named by its operation `op`, and the before/after."""
    find(browser, "result-thumb").click()
    detail = find(browser, "detail")
    find(browser, "detail-before-after", timeout=20)
    nodes = wait(browser, lambda d: len(e := d.find_elements(By.CSS_SELECTOR, "[data-testid=lineage-node]")) >= 2 and e,
                 msg=f"no lineage tree on the {op} result")
    current = [n for n in nodes if n.get_attribute("data-current") == "true"]
    assert len(current) == 1 and op in txt(current[0]).lower(), [txt(n) for n in nodes]
    assert "from the prompt" in txt(nodes[0]).lower(), txt(nodes[0])
    return detail


def back_to_canvas(browser):
    go(browser, "canvas")
    find(browser, "input-item")


def make_project(browser, plan: Plan):
    go(browser, "projects")
    find(browser, "project-new").click()
    find(browser, "project-name").send_keys(plan.project)
    budget = find(browser, "project-budget")
    budget.clear()
    budget.send_keys("5.00")
    Select(browser.find_element(By.ID, "draft-chain-add")).select_by_value(plan.draft)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=draft-chain] .add button").click()
    Select(browser.find_element(By.ID, "final-chain-add")).select_by_value(plan.final)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=final-chain] .add button").click()
    find(browser, "project-save").click()
    wait(browser, lambda d: any(plan.project in e.text for e in d.find_elements(
        By.CSS_SELECTOR, "[data-testid=project-item]")), msg="project not listed")
    Select(find(browser, "project-picker")).select_by_visible_text(plan.project)


def draft(browser, state, plan: Plan):
    go(browser, "canvas")
    clear_inputs(browser)
    set_prompt(browser, f"a lighthouse on a cliff for {plan.provider}, flat colours")
    wait(browser, lambda d: row(d, plan.draft) is not None, msg=f"no {plan.draft} row")
    n = len(state.of(plan.provider))
    run_and_wait(browser, lambda: find(browser, "btn-draft").click(), f"the {plan.provider} draft")
    assert len(state.of(plan.provider)) == n + 1 and state.of(plan.provider)[-1]["images"] == 0
    # Its detail → Use in Canvas: the draft is the subject, Edit picked.
    find(browser, "result-thumb").click()
    find(browser, "btn-use-in-canvas", timeout=20).click()
    find(browser, "screen-canvas")
    items = browser.find_elements(By.CSS_SELECTOR, "[data-testid=input-item]")
    assert [i.get_attribute("data-role") for i in items] == ["subject"]


def inpaint(browser, state, plan: Plan):
    find(browser, "op-inpaint").click()
    find(browser, "btn-paint-mask").click()
    canvas = find(browser, "mask-canvas")
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(browser).move_to_element_with_offset(canvas, int(-w * 0.3), int(-h * 0.35)) \
        .click_and_hold().move_by_offset(int(w * 0.6), 0).move_by_offset(0, int(h * 0.15)) \
        .move_by_offset(-int(w * 0.6), 0).release().perform()
    cov = find(browser, "mask-coverage")
    wait(browser, lambda d: "%" in cov.text, msg=f"nothing painted: {cov.text!r}")
    find(browser, "mask-done").click()
    set_prompt(browser, f"a red door in the painted region ({plan.provider})")
    if plan.inpaint is None:
        return says_why_not(browser, plan.provider, "edit region")
    _, expected, lines = priced_row(browser, plan.inpaint, lambda ln: "image to edit" in ln)
    charged = use(browser, plan.inpaint, f"the {plan.provider} region edit")
    call = state.of(plan.provider)[-1]
    assert call["images"] == 1 and call["image_sizes"] == [[1024, 1024]], call
    assert call["mask"] == [1024, 1024], f"the mask is the subject's size: {call}"
    if plan.provider == "openai":
        image_tokens(call, lines, "image to edit")
        assert charged > 0, "a billed edit was recorded as free"
    else:
        flat_credits(call, expected, charged, lines)
    newest_detail(browser, "region edit")
    back_to_canvas(browser)


def image_tokens(call, lines, what: str):
    """A token-priced input (GPT Image, Gemini): the image-in tokens the row's input line
    counts are the ones the provider reported."""
    line = next((ln for ln in lines if what in ln), None)
    assert line, f"no input line with {what!r}: {lines}"
    tokens = int(re.search(r"([0-9,]+) image-in tokens", line).group(1).replace(",", ""))
    assert tokens == call["image_in_tokens"], f"{line!r} vs the reported usage {call['usage']}"


def flat_credits(call, expected, charged, lines):
    """A flat-priced operation: the input is included, and the row and the charge are
    the credits the provider bills for the call (BFL reports them; Stability's table)."""
    credits = Decimal(str(call.get("cost", call.get("credits"))))
    assert any("included in the price" in ln for ln in lines), lines
    assert close(expected, credits / 100), f"row {expected} vs {credits} credits"
    assert close(charged, credits / 100), f"charged {charged} vs {credits} credits"


def with_references(browser, state, plan: Plan, refs):
    find(browser, "op-edit").click()
    # All three at once: a multiple file input keeps what it was given before.
    browser.find_element(By.CSS_SELECTOR, "[data-testid=inputs-file]").send_keys("\n".join(str(p) for p in refs))
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=input-item]")) == 4,
         msg="the three references were not added")
    roles = [e.get_attribute("data-role") for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=input-item]")]
    assert roles == ["subject", "reference", "reference", "reference"], roles
    if plan.references is None:
        says_why_not(browser, plan.provider, "edit · 4 inputs")
    else:
        set_prompt(browser, f"the lighthouse in the palette and texture of the references ({plan.provider})")
        r, expected, lines = priced_row(browser, plan.references, lambda ln: "3 reference images" in ln)
        if "references" in plan.shots:
            r.find_element(By.CSS_SELECTOR, "[data-testid=breakdown-toggle]").click()
            find(browser, "breakdown")
            shots(browser, f"{plan.provider}-references", show="breakdown", prefix="ops")
        charged = use(browser, plan.references, f"the {plan.provider} edit with three references")
        call = state.of(plan.provider)[-1]
        assert call["images"] == 4, call
        assert call["image_sizes"] == [[1024, 1024], [512, 512], [512, 512], [512, 384]], call
        line = next(ln for ln in lines if "3 reference images" in ln)
        if plan.provider == "google":
            # "the image to edit + 3 reference images × 1,120 tokens = $… (4,480 image-in tokens × $…/M)"
            image_tokens(call, lines, "3 reference images")
            assert close(charged, expected), f"charged {charged}, estimated {expected}"
        elif plan.provider == "openai":
            # "… at low fidelity = $0.001832 (229 image-in tokens × $8/M)": 135 per 1024², by area.
            image_tokens(call, lines, "3 reference images")
            assert call["image_in_tokens"] == 135 + 34 + 34 + 26, call
            assert charged > 0, "a billed edit was recorded as free"
        elif plan.provider == "bfl":
            # "the image to edit + 3 reference images = 1.835 MP in × 1.5 credits = 2.752512 credits"
            credits = Decimal(re.search(r"= ([0-9.]+) credits$", line).group(1))
            assert credits == call["input_credits"], f"{line!r} vs BFL's input credits {call['input_credits']}"
            assert close(expected, call["cost"] / 100) and close(charged, call["cost"] / 100), (expected, charged, call)
        else:
            assert "included in the price" in line, line
            assert close(charged, expected), f"charged {charged} for {call['units']} units, estimated {expected}"
        newest_detail(browser, "edit")
        inputs = [e.get_attribute("data-role") for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=detail-input]")]
        assert inputs == ["subject", "reference", "reference", "reference"], inputs
        back_to_canvas(browser)
    # Back to the subject alone for the finalize.
    while len(xs := browser.find_elements(By.CSS_SELECTOR, "[data-testid=input-remove]")) > 1:
        xs[-1].click()


def expand(browser, state, plan: Plan):
    find(browser, "op-expand").click()
    for side, px in (("right", "256"), ("top", "128")):
        box = find(browser, f"expand-{side}")
        box.clear()
        box.send_keys(px + "\t")
    wait(browser, lambda d: "1280 × 1152" in find(d, "expand-size").text, msg="grown size")
    set_prompt(browser, f"more sea and sky around the lighthouse ({plan.provider})")
    if plan.expand is None:
        return says_why_not(browser, plan.provider, "expand")
    _, expected, lines = priced_row(browser, plan.expand, lambda ln: "image to expand" in ln)
    if "expand" in plan.shots:
        shots(browser, f"{plan.provider}-expand", prefix="ops")
    charged = use(browser, plan.expand, f"the {plan.provider} expand")
    call = state.of(plan.provider)[-1]
    # BFL names the sides left/top/right/bottom, Stability left/up/right/down.
    want = {"left": 0, "top": 128, "right": 256, "bottom": 0} if plan.provider == "bfl" else {"left": 0, "up": 128, "right": 256, "down": 0}
    assert call["margins"] == want, call
    assert call["out"] == [1280, 1152], call
    assert call["images"] == 1 and call["image_sizes"] == [[1024, 1024]], call
    flat_credits(call, expected, charged, lines)
    newest_detail(browser, "expand")
    back_to_canvas(browser)


def upscale(browser, state, plan: Plan):
    find(browser, "op-upscale").click()
    if plan.upscale is None:
        return says_why_not(browser, plan.provider, "upscale")
    offer, factor = plan.upscale
    find(browser, f"scale-{factor}").click()
    set_prompt(browser, f"a sharp, detailed lighthouse ({plan.provider})")
    _, expected, lines = priced_row(browser, offer, lambda ln: "image to upscale" in ln)
    charged = use(browser, offer, f"the {plan.provider} upscale")
    call = state.of(plan.provider)[-1]
    assert call["images"] == 1 and call["image_sizes"] == [[1024, 1024]], call
    if plan.provider == "fal":
        assert call["factor"] == factor, call
        # SeedVR2 bills output megapixels at $0.001: the units fal reported.
        assert any("included in the price" in ln for ln in lines), lines
        assert close(expected, Decimal(call["units"]) / 1000) and close(charged, expected), (expected, charged, call)
    else:
        assert call["out"] == [1024 * factor, 1024 * factor], call
        assert any(k.startswith("creative-") and n >= 2 for k, n in state.polls.items()), \
            f"the creative upscale was not polled past its 202: {state.polls}"
        flat_credits(call, expected, charged, lines)
    newest_detail(browser, "upscale")
    if "upscale-detail" in plan.shots:
        shots(browser, f"{plan.provider}-upscale-detail", show="detail-before-after", prefix="ops")
    back_to_canvas(browser)


def finalize(browser, state, plan: Plan):
    clear_inputs(browser)
    before = done_count(browser)
    # The newest result was made from the draft: its lineage opens the draft.
    find(browser, "result-thumb").click()
    nodes = wait(browser, lambda d: len(e := d.find_elements(By.CSS_SELECTOR, "[data-testid=lineage-node]")) >= 2 and e,
                 msg="no lineage to the draft")
    nodes[0].find_element(By.CSS_SELECTOR, "button").click()
    wait(browser, lambda d: "lighthouse on a cliff" in txt(find(d, "detail-prompt")), msg="the draft did not open")
    # A click from script: the detail may be scrolled past it, and scrollIntoView would
    # also move the (overflow: hidden) window.
    browser.execute_script("arguments[0].click()", find(browser, "btn-finalize"))
    find(browser, "finalize-dialog")
    way = wait(browser, lambda d: (e := d.find_elements(By.CSS_SELECTOR, f"[data-testid=finalize-{plan.finalize}]"))
               and "$" in txt(e[0]) and e[0], msg=f"no priced {plan.finalize} way")
    assert way.get_attribute("aria-disabled") != "true", txt(way)
    price = money(txt(way.find_element(By.CSS_SELECTOR, "[data-testid=finalize-price]")))
    way.click()
    if "finalize" in plan.shots:
        shots(browser, f"{plan.provider}-finalize", prefix="ops")
    charged = run_and_wait(browser, lambda: find(browser, "finalize-run").click(), f"the {plan.provider} finalize",
                           before=before)
    call = state.of(plan.provider)[-1]
    # Stability's fake names the endpoint (upscale/conservative), the offer its model.
    assert plan.final.split(":", 1)[1] in (call["model"], call["model"].replace("/", "-")), \
        f"not on the final chain's offer: {call}"
    assert call["images"] == 1 and call["image_sizes"] == [[1024, 1024]], f"the draft is the input: {call}"
    if plan.provider == "openai":
        # Settled from the reported tokens (the fake's output tokens are its own), so
        # the charge is the usage, not the estimate; the input is what was priced.
        assert charged > 0, "a billed finalize was recorded as free"
    else:
        assert close(charged, price), f"finalize priced {price}, charged {charged}"
    if plan.provider in ("bfl", "stability"):
        assert close(price, Decimal(str(call.get("cost", call.get("credits")))) / 100), (price, call)
    if plan.provider == "google":
        assert call["image_in_tokens"] == 560, call
    newest_detail(browser, "upscale" if plan.finalize == "upscale" else "edit")
    # The final links to the draft: the tree's root is the draft, this final under it.
    nodes = browser.find_elements(By.CSS_SELECTOR, "[data-testid=lineage-node]")
    current = [n for n in nodes if n.get_attribute("data-current") == "true"]
    assert current and "final" in txt(current[0]).lower(), [txt(n) for n in nodes]


@pytest.mark.parametrize("plan", PLANS, ids=[p.provider for p in PLANS])
def test_operations_in_the_window(browser, fakes, references, plan):
    _, state = fakes
    try:
        make_project(browser, plan)
        draft(browser, state, plan)
        inpaint(browser, state, plan)
        expand(browser, state, plan)
        upscale(browser, state, plan)
        with_references(browser, state, plan, references)
        finalize(browser, state, plan)
    except Exception:
        screenshot(browser, f"ops-{plan.provider}-failure")
        raise
