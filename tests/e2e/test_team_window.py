"""Team mode in the real window (issue 18): two app instances with two data dirs (two
"machines") on one throwaway PostgreSQL. Both join the team from Settings → Team (the
password typed once, into the keychain, never shown again); an admin sets up a team
project with `proofsheet-cli team project create` and the other member uses it; A makes a
draft on the team project against the fake OpenAI, and B's meter shows A's spend
without a reload (the shell polls the team's meter). Errors are checked too: a wrong
password and an unreachable server say so. Screenshots of Settings → Team and of the
team meter in both themes at laptop size (target/e2e/team-*.png)."""

import json
import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import FAKE_OPENAI_KEY, ROOT, find, screenshot
from fake_providers import serve
from inputs_window import go, theme, wait
from own_window import app_env, app_window, files_holding, free_port
from team_pg import PgServer

CLI = Path(os.environ.get("PROOFSHEET_CLI", ROOT / "target" / "debug" / "proofsheet-cli"))
PROJECT = "Team campaign"
OFFER = "openai:gpt-image-1-mini"
PASSWORDS = {"ana": "ana-Secret-e2e-7f3a", "ben": "ben-Secret-e2e-91c2"}


@pytest.fixture(scope="module")
def pg():
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: `cargo build -p proofsheet-cli` (or set PROOFSHEET_CLI)")
    server = PgServer().start()
    server.studio("studio", ("ana", PASSWORDS["ana"]), [("ben", PASSWORDS["ben"])])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fakes():
    server, state = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def machine(fakes, name):
    base, _ = fakes
    data = Path(tempfile.mkdtemp(prefix=f"proofsheet-e2e-team-{name}-"))
    picked = data / "picked"
    picked.mkdir()
    env = app_env(data, base, PROOFSHEET_OPENAI_API_KEY=FAKE_OPENAI_KEY, PROOFSHEET_TEAM_POLL_MS="1000",
                  PROOFSHEET_DIALOG_ANSWER=str(picked))
    return data, env


def cli(env, *args, stdin=None):
    out = subprocess.run([str(CLI), "--json", *args], env=env, input=stdin, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, f"proofsheet-cli {args}: {out.returncode}\n{out.stdout}\n{out.stderr}"
    return json.loads(out.stdout) if out.stdout.strip() else None


def join(driver, url, password, team=None):
    go(driver, "settings")
    form = find(driver, "team-form")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", form)
    db = find(driver, "team-db")
    db.clear()
    db.send_keys(url)
    find(driver, "team-password").send_keys(password)
    if team:
        find(driver, "team-team").send_keys(team)
    find(driver, "team-join").click()


def team_error(driver):
    found = driver.find_elements(By.CSS_SELECTOR, "[data-testid=team] [data-testid=error]")
    return found[0].text if found else ""


def team_json_machine(data: Path) -> str:
    return json.loads((data / "team.json").read_text())["machine"]


def cents(d: Decimal) -> str:
    """As the window shows money: to the cent, half up (a spend under a cent shows as $0.01)."""
    c = max(d.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"), Decimal("0.01"))
    return f"${c}"


def set_theme(driver, want):
    """The top bar's toggle where there is one (Settings has none): the app's own switch."""
    if [e for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid=theme-toggle]") if e.is_displayed()]:
        theme(driver, want)
    else:
        driver.execute_script("document.documentElement.dataset.theme = arguments[0]", want)


def team_shots(driver, name, show):
    for t in ("light", "dark"):
        set_theme(driver, t)
        driver.set_window_size(1366, 768)
        # Scroll only the panel that holds it (scrollIntoView would move the whole window).
        driver.execute_script(
            "const e = document.querySelector(`[data-testid=${arguments[0]}]`); let s = e && e.parentElement;"
            "while (s && !(/(auto|scroll)/.test(getComputedStyle(s).overflowY) && s.scrollHeight > s.clientHeight))"
            "  s = s.parentElement;"
            "if (s) s.scrollTop += e.getBoundingClientRect().top - s.getBoundingClientRect().top - 20;", show)
        screenshot(driver, f"team-{name}-laptop-{t}")
    set_theme(driver, "dark")


def test_two_instances_share_the_team_meter(pg, fakes):
    _, state = fakes
    data_a, env_a = machine(fakes, "a")
    data_b, env_b = machine(fakes, "b")
    try:
        with app_window(env_a, "team-a") as a, app_window(env_b, "team-b") as b:
            # Errors first, on B: a server that is not there, then a wrong password.
            join(b, f"postgres://ben@127.0.0.1:{free_port()}/studio", PASSWORDS["ben"])
            wait(b, lambda d: "cannot be reached" in team_error(d), 40, "unreachable server not reported")
            join(b, pg.url("ben", "studio"), "not-the-password")
            wait(b, lambda d: "refused the login" in team_error(d), 30, "wrong password not reported")
            assert not b.find_elements(By.CSS_SELECTOR, "[data-testid=team-status]")

            # A creates the team (first member: admin) from the window.
            join(a, pg.url("ana", "studio"), PASSWORDS["ana"], team="Halde Studio")
            status = find(a, "team-status", timeout=30)
            assert find(a, "team-reachable").is_displayed()
            assert find(a, "team-name").text == "Halde Studio"
            assert find(a, "team-role").text == "admin"
            assert PASSWORDS["ana"] not in status.text
            team_shots(a, "settings-joined", "team")

            # The admin sets the team project up (CLI, same library); B joins and uses it.
            cli(env_a, "team", "project", "create", PROJECT, "--budget", "5", "--member-cap", "2",
                "--client", "Halde & Co.")
            join(b, pg.url("ben", "studio"), PASSWORDS["ben"])
            find(b, "team-status", timeout=30)
            assert find(b, "team-role").text == "member"
            assert find(b, "team-name").text == "Halde Studio"
            st = cli(env_b, "team", "status")
            assert st["reachable"] and st["member"] == "ben", st
            cli(env_b, "team", "project", "use", PROJECT)

            # Both windows pick the team project up (the CLI's writes are noticed).
            for d in (a, b):
                go(d, "canvas")
                wait(d, lambda d: PROJECT in [o.text for o in Select(find(d, "project-picker")).options], 30,
                     "team project not in the picker")
                Select(find(d, "project-picker")).select_by_visible_text(PROJECT)
                top = find(d, "topbar-budget")
                wait(d, lambda d: find(d, "topbar-budget-team").is_displayed(), 20, "no team tag")
                assert "$5.00" in find(d, "topbar-budget").text, top.text

            # A drafts on the team project against the fake OpenAI.
            go(a, "canvas")
            find(a, "prompt").send_keys("a lighthouse at dusk, team e2e")
            wait(a, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=cost-row]"), 30,
                 "cost table never filled")
            sent_before = state.counts.get("POST /openai/v1/images/generations", 0)
            # The OpenAI offer explicitly (the cheapest route would be the free local A1111).
            wait(a, lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{OFFER}'] button.use"),
                 30, f"no {OFFER} row")
            a.find_element(By.CSS_SELECTOR, f"[data-testid=cost-row][data-offer-id='{OFFER}'] button.use").click()
            wait(a, lambda d: state.counts.get("POST /openai/v1/images/generations", 0) > sent_before, 60,
                 "the draft never reached the fake provider")
            server = None

            def settled(_):
                nonlocal server
                server = cli(env_a, "team", "project", "show", PROJECT)
                return Decimal(server["spent_usd"]) > 0 and Decimal(server["reserved_usd"]) == 0
            wait(a, settled, 60, "the team server never booked A's spend")
            spent = Decimal(server["spent_usd"])
            assert server["balanced"], server

            # B's meter shows A's spend, without a reload.
            def b_shows(d):
                return Decimal(find(d, "topbar-budget").get_attribute("data-spent")) == spent
            wait(b, b_shows, 30, f"B's meter never showed the team's ${spent}")
            assert b.find_element(By.CSS_SELECTOR, "[data-testid=topbar-budget]").get_attribute("data-team") == "reachable"
            go(b, "canvas")
            find(b, "prompt").send_keys("the same harbour, from ben")
            member = find(b, "budget-meter-member", timeout=30)
            assert "ben (you)" in member.text and "$2.00" in member.text, member.text
            assert Decimal(find(b, "budget-meter").get_attribute("data-spent")) == spent
            assert cents(spent) in find(b, "topbar-budget").text
            team_shots(b, "meter-b", "budget-meter")
            go(a, "canvas")
            assert "ana (you)" in find(a, "budget-meter-member").text
            team_shots(a, "meter-a", "budget-meter")

            # A's Dashboard: the team's spend by member, client and project; a client's CSV.
            go(a, "dashboard")
            find(a, "team-report", timeout=30)
            wait(a, lambda d: cents(spent) in find(d, "team-report-total").get_attribute("textContent"), 30,
                 "team report total")
            text = lambda tid: find(a, tid).get_attribute("textContent")  # noqa: E731 (below the fold)
            assert "ana" in text("team-by-member")
            assert "Halde & Co." in text("team-by-client")
            assert PROJECT in text("team-by-project")
            Select(find(a, "team-report-client")).select_by_visible_text("Halde & Co.")
            find(a, "btn-team-csv").click()
            find(a, "team-csv-saved", timeout=30)
            csvs = list((data_a / "picked").glob("*.csv"))
            assert len(csvs) == 1, csvs
            rows = csvs[0].read_bytes().decode().split("\r\n")
            assert rows[0] == "date,generation,project,client,member,machine,spent_usd", rows
            assert len([r for r in rows[1:] if r]) == 1 and rows[1].endswith(f",{PROJECT},Halde & Co.,ana,"
                                                                             f"{team_json_machine(data_a)},{spent}"), rows
            team_shots(a, "report-a", "team-report")

            # Leave from the window on B (nothing open there): the form is back.
            go(b, "settings")
            find(b, "team-leave").click()
            find(b, "team-leave-confirm").click()
            find(b, "team-form", timeout=30)
            team_shots(b, "settings-left", "team")

        # No password in any file of either library (SQLite, WAL, team.json, logs).
        for data in (data_a, data_b):
            for pw in PASSWORDS.values():
                assert not files_holding(data, pw), f"a team password is stored in {data}"
        team_json = json.loads((data_a / "team.json").read_text())
        assert "@" in team_json["db"] and PASSWORDS["ana"] not in team_json["db"]
        assert not (data_b / "team.json").exists()
    finally:
        if not os.environ.get("PROOFSHEET_E2E_KEEP"):
            shutil.rmtree(data_a, ignore_errors=True)
            shutil.rmtree(data_b, ignore_errors=True)
