"""Issue 16's Done-when in the real window, against the REAL gateways: a LiteLLM proxy and
a Portkey gateway (pinned, installed by .ci/setup-gateways.sh) run on loopback in front
of the fake OpenAI Images server, started as cli/tests/real_gateways.rs starts them.
Through Settings → Gateways a designer adds the Portkey gateway with its provider and
custom-host headers and a secret header, and the LiteLLM proxy with its key; maps
gpt-image-2 onto the catalog's openai:gpt-image-2 with a 5 % markup; tests each
connection; sees 1.05 × the direct price in the cost table; puts each gateway in a
project's final chain and generates through it. The charge is the catalog formula on the
usage the upstream reported, + 5 %; LiteLLM's own figure (x-litellm-response-cost) is
shown beside it. No key or secret header reaches a file of the data dir or the app log.
A missing gateway fails the test (see real_gateways.py). Screenshots: target/e2e/rgw-*.png."""

import shutil
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

import real_gateways
from conftest import SHOTS, find, screenshot
from fake_providers import IMAGE_TOKENS, serve
from gw_window import (add_gateway, check_connection, into_view, new_project, open_in_gallery, price,
                       run_final, show_all_offers, txt, wait, wait_rows)
from own_window import app_env, app_window, files_holding

DIRECT = "openai:gpt-image-2"
LITE, PK = "gateway:lite/gpt-image-2", "gateway:pk/gpt-image-2"
UPSTREAM_KEY = "sk-e2e-UPSTREAM-litellm-3c4d5e6f"   # in LiteLLM's config only
LITELLM_MASTER = "sk-e2e-LITELLM-MASTER-9a8b7c6d"  # the key Proofsheet keeps for LiteLLM
PORTKEY_KEY = "sk-e2e-PORTKEY-UPSTREAM-1f2e3d4c"   # Portkey forwards it upstream
PORTKEY_SECRET = ("x-upstream-token", "tok-e2e-PORTKEY-SECRET-77aa01")
SECRETS = (UPSTREAM_KEY, LITELLM_MASTER, PORTKEY_KEY, PORTKEY_SECRET[1])


@pytest.fixture(scope="module")
def world():
    server, state = serve()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    gw_dir = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-realgw-"))
    started = []
    try:
        lite, lite_url = real_gateways.litellm(gw_dir, f"{base}/openai/v1", UPSTREAM_KEY, LITELLM_MASTER)
        started.append(lite)
        pk, pk_url = real_gateways.portkey(gw_dir)
        started.append(pk)
        data = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-rgw-"))
        env = app_env(data, base, PROOFSHEET_OPENAI_API_KEY="sk-e2e-direct-openai-key")
        log = SHOTS / "rgw-driver.log"
        log.unlink(missing_ok=True)
        yield env, base, state, data, log, lite_url, pk_url
        shutil.rmtree(data, ignore_errors=True)
    finally:
        for g in started:
            g.close()
        server.shutdown()
        shutil.rmtree(gw_dir, ignore_errors=True)


def expected_charge(body: dict) -> Decimal:
    """openai:gpt-image-2 on the usage fake_providers reports for this upstream body, + 5 %:
    text in × $5/M + image out × $30/M, shown to 4 places."""
    prompt = str(body.get("prompt", ""))
    text = max(1, len(prompt) // 4)
    w, h = (int(v) for v in str(body.get("size", "1024x1024")).split("x"))
    quality = body.get("quality", "medium")
    image = IMAGE_TOKENS.get(quality, IMAGE_TOKENS["medium"])[0 if w == h else 1]
    usd = (Decimal(text) * 5 + Decimal(image) * 30) / Decimal(1_000_000) * Decimal("1.05")
    return usd.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def charge_in_detail(d) -> Decimal:
    charge = txt(find(d, "attempt-charge")).strip()
    assert charge.startswith("$"), charge
    return Decimal(charge[1:])


def test_a_designer_routes_through_real_litellm_and_portkey_from_the_window(world):
    env, base, state, data, log, lite_url, pk_url = world
    with app_window(env, "rgw") as d:
        # 1. Portkey: provider and custom host in headers, a forwarded secret header, the
        #    upstream's key as the gateway key (Portkey passes Authorization through).
        card = add_gateway(d, "pk", pk_url, key=PORTKEY_KEY, shot="rgw-form-portkey", headers=[
            ("x-portkey-provider", "openai", False),
            ("x-portkey-custom-host", f"{base}/openai/v1", False),
            ("x-portkey-forward-headers", PORTKEY_SECRET[0], False),
            PORTKEY_SECRET + (True,)])
        assert "+5%" in txt(card) and "priced as openai:gpt-image-2" in txt(card), txt(card)
        assert f"{PORTKEY_SECRET[0]} (secret)" in txt(card) and "key stored" in txt(card), txt(card)
        # Portkey checks the headers but relays no model list: said so, honestly.
        pk_result = check_connection(d, "pk")
        assert pk_result.startswith("Reachable · headers accepted by Portkey"), pk_result
        assert "checked by the first generation" in pk_result, pk_result

        # 2. LiteLLM: its master key as the gateway key, nothing else.
        card = add_gateway(d, "lite", lite_url, key=LITELLM_MASTER, shot="rgw-form-litellm")
        assert "+5%" in txt(card) and "key stored" in txt(card), txt(card)
        lite_result = check_connection(d, "lite")
        assert lite_result == "Reachable · key accepted · serves gpt-image-2", lite_result
        into_view(d, find(d, "gateways"))
        screenshot(d, "rgw-settings")
        assert not any(s in d.page_source for s in SECRETS)

        # 3. The cost table: each gateway row is the direct row × 1.05.
        show_all_offers(d, "a paper lantern in gatewayink")
        wait_rows(d, DIRECT, LITE, PK)
        direct = price(d, DIRECT)
        assert direct > 0
        for offer in (LITE, PK):
            via = price(d, offer)
            assert abs(via - direct * Decimal("1.05")) <= Decimal("0.0001"), (offer, direct, via)
            row = d.find_element(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{offer}']")
            assert row.get_attribute("data-state") == "ok", txt(row)
        into_view(d, d.find_element(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{PK}']"))
        screenshot(d, "rgw-cost-table")

        # 4. One project per gateway, each gateway its final chain; Final through each.
        runs = {}
        for offer, project, word in ((LITE, "Via LiteLLM", "litellmink"), (PK, "Via Portkey", "portkeyink")):
            new_project(d, project, offer)
            prompt = f"a paper lantern drawn in {word}, final"
            before = len(state.openai_calls)
            run_final(d, project, prompt, timeout=120)
            assert len(state.openai_calls) == before + 1, f"{project}: the upstream was not called once"
            runs[offer] = (prompt, word, state.openai_calls[-1])
        screenshot(d, "rgw-final-jobs")

        # 5. What reached the upstream: each gateway's own credentials, never ours mixed up.
        lite_headers, _ = runs[LITE][2]
        assert lite_headers.get("authorization") == f"Bearer {UPSTREAM_KEY}", "LiteLLM used its own key"
        pk_headers, _ = runs[PK][2]
        assert pk_headers.get("authorization") == f"Bearer {PORTKEY_KEY}", "Portkey forwarded our key"
        assert pk_headers.get(PORTKEY_SECRET[0]) == PORTKEY_SECRET[1], "the secret header was forwarded"

        # 6. The recorded generation: our charge (formula on usage + 5 %) and, for LiteLLM,
        #    the figure the gateway reported beside it.
        for offer, (prompt, word, (_, body)) in runs.items():
            detail = open_in_gallery(d, word, prompt)
            gw = offer.split(":")[1].split("/")[0]
            wait(d, lambda d: gw in txt(find(d, "detail")), msg=f"the detail does not name {gw}")
            assert charge_in_detail(d) == expected_charge(body), (offer, txt(detail))
            reported = d.find_elements(By.CSS_SELECTOR, "[data-testid=attempt-gateway-reported]")
            if offer == LITE:
                assert reported, f"LiteLLM's x-litellm-response-cost is not shown: {txt(detail)}"
                amount = txt(reported[0]).strip().removeprefix("gateway reported $")
                assert Decimal(amount) > 0, txt(reported[0])
                into_view(d, reported[0])
                screenshot(d, "rgw-litellm-detail")
        assert not any(s in d.page_source for s in SECRETS)

    # 7. No secret in any file of the data dir, nor in the app's / driver's output.
    for secret in SECRETS:
        assert files_holding(data, secret) == [], secret
        assert secret.encode() not in log.read_bytes(), f"{secret} in {log}"
