"""Issue 16 in the real window: Settings → Gateways adds a gateway (the fake one in
fake_providers.py, OpenAI Images dialect) with a plain and a secret header and its key,
maps gpt-image-2 onto the catalog's openai:gpt-image-2 with a 5 % markup, tests the
connection; the cost table prices it at 1.05 × the direct row; a project's final chain
runs through it; neither the key nor the secret header value lands in a file or the log.
Own app instance (own data dir and ports). Screenshots: target/e2e/gw-*.png."""

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from conftest import SHOTS, find, screenshot
from fake_providers import serve
from gw_window import (add_gateway, check_connection, into_view, new_project, open_in_gallery, price,
                       run_final, show_all_offers, txt, wait, wait_rows)
from own_window import app_env, app_window, files_holding

GW = "studio-gw"
OFFER = f"gateway:{GW}/gpt-image-2"
KEY = "sk-gw-E2E-SECRETKEY-5f1c2a9d"
SECRET_HEADER = ("x-portkey-api-key", "pk-E2E-SECRETHEADER-77aa01")
PLAIN_HEADER = ("x-portkey-provider", "openai")
PROJECT = "Gateway final"
PROMPT = "a lighthouse drawn in gatewayink, final"


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
        card = add_gateway(d, GW, f"{base}/gw/v1", key=KEY, shot="gw-form",
                           headers=[PLAIN_HEADER + (False,), SECRET_HEADER + (True,)])
        assert "+5%" in txt(card), txt(card)
        assert "priced as openai:gpt-image-2" in txt(card), txt(card)
        assert f"{PLAIN_HEADER[0]}: {PLAIN_HEADER[1]}" in txt(card), txt(card)
        assert f"{SECRET_HEADER[0]} (secret)" in txt(card), txt(card)
        assert "key stored" in txt(card), txt(card)
        assert SECRET_HEADER[1] not in d.page_source and KEY not in d.page_source

        # 2. Test connection: reachable, key accepted, serves the mapped model.
        result = check_connection(d, GW)
        assert result == "Reachable · key accepted · serves gpt-image-2", result
        probe = state.gateway_headers[-1]
        assert probe.get("authorization") == f"Bearer {KEY}"
        assert probe.get(SECRET_HEADER[0]) == SECRET_HEADER[1]
        assert probe.get(PLAIN_HEADER[0]) == PLAIN_HEADER[1]
        into_view(d, card)
        screenshot(d, "gw-settings")

        # 3. Canvas: the gateway row costs 1.05 × the catalog's gpt-image-2 row.
        show_all_offers(d, PROMPT)
        wait_rows(d, OFFER, "openai:gpt-image-2")
        direct, via = price(d, "openai:gpt-image-2"), price(d, OFFER)
        assert direct > 0
        # Both are shown to 4 places: the gateway's is the direct one × 1.05, within rounding.
        assert abs(via - direct * Decimal("1.05")) <= Decimal("0.0001"), (direct, via)
        assert via > direct
        row = d.find_element(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{OFFER}']")
        assert row.get_attribute("data-state") == "ok", txt(row)
        into_view(d, row)
        screenshot(d, "gw-cost-row")

        # 4-5. A project whose final chain is the gateway; Final runs through it.
        new_project(d, PROJECT, OFFER)
        before = len(state.gateway_headers)
        run_final(d, PROJECT, PROMPT, timeout=90)
        assert len(state.gateway_headers) > before, "the final did not reach the gateway"
        sent = state.gateway_headers[-1]
        assert sent.get("authorization") == f"Bearer {KEY}"
        assert sent.get(SECRET_HEADER[0]) == SECRET_HEADER[1]
        assert sent.get(PLAIN_HEADER[0]) == PLAIN_HEADER[1]
        screenshot(d, "gw-final-job")

        # 6. The gallery detail names the gateway.
        open_in_gallery(d, "gatewayink", PROMPT)
        wait(d, lambda d: GW in txt(find(d, "detail")), msg="the detail does not name the gateway")
        screenshot(d, "gw-gallery-detail")
        assert KEY not in d.page_source and SECRET_HEADER[1] not in d.page_source

    # 7. No secret in any file of the data dir, nor in the app's / driver's output.
    for secret in (KEY, SECRET_HEADER[1]):
        assert files_holding(data, secret) == [], secret
        assert secret.encode() not in log.read_bytes(), f"{secret} in {log}"
