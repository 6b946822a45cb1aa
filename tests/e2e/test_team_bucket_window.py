"""Team mode with an image bucket in the real window (issue 18): two app instances (two
data dirs) on one throwaway PostgreSQL and one real S3 server process (s3s-fs). Both join
from Settings → Team with the bucket and its access key (the secret typed once, into the
keychain, never shown again). A's draft reaches B's gallery, and B's reaches A's, from
the bucket through the background catch-up, without a reload. The admin (B) sets the project's approval
threshold in the project's settings (A sees it read-only); A's next request waits as
"awaiting approval" until B approves it in B's window, then runs, and both meters show
the team's spend. When the server goes away the top bar says so. Screenshots at 1366×768
in light and dark (target/e2e/team-bucket-*.png)."""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import ROOT, find
from inputs_window import go, wait
from own_window import app_window, files_holding, free_port
from team_pg import PgServer
from test_team_window import cli, fakes, machine, team_error, team_shots  # noqa: F401 (fixture)

BUCKET = "studio-images"
S3_KEY, S3_SECRET = "proofsheet-e2e-key", "proofsheet-e2e-Secret-4b1d9c"
PROJECT = "Bucket campaign"
OFFER = "openai:gpt-image-1-mini"
PASSWORDS = {"ana": "ana-Secret-bkt-5e0a", "ben": "ben-Secret-bkt-c71f"}
GENERATIONS = "POST /openai/v1/images/generations"


def s3s_binary() -> Path:
    if os.environ.get("PROOFSHEET_S3S_FS"):
        return Path(os.environ["PROOFSHEET_S3S_FS"])
    for base in (os.environ.get("CARGO_TARGET_DIR"), str(ROOT / "target")):
        if base and (Path(base) / "s3s/bin/s3s-fs").is_file():
            return Path(base) / "s3s/bin/s3s-fs"
    found = shutil.which("s3s-fs")
    if not found:
        pytest.fail("s3s-fs is not installed: run .ci/setup.sh (or set PROOFSHEET_S3S_FS)")
    return Path(found)


class S3Server:
    """A real S3 server process over a temp dir (the team crate's testing_s3 recipe)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="proofsheet-e2e-s3-"))
        (self.dir / "data" / BUCKET).mkdir(parents=True)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(s3s_binary()), "--host", "127.0.0.1", "--port", str(self.port), "--access-key", S3_KEY,
             "--secret-key", S3_SECRET, str(self.dir / "data")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.dir / "log", "wb"))
        import socket
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("s3s-fs did not start: " + (self.dir / "log").read_text())

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def objects(self) -> list[Path]:
        return [p for p in (self.dir / "data" / BUCKET).rglob("*") if p.is_file() and "sha256" in p.parts]

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def studio():
    pg = PgServer().start()
    pg.studio("studio", ("ben", PASSWORDS["ben"]), [("ana", PASSWORDS["ana"])])
    s3 = S3Server()
    yield pg, s3
    s3.stop()
    pg.stop()


def join_with_bucket(driver, url, password, s3, secret=S3_SECRET, bucket=BUCKET, team=None):
    go(driver, "settings")
    form = find(driver, "team-form")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", form)
    for tid, value in (("team-db", url), ("team-storage", f"s3://{bucket}"), ("team-endpoint", s3.endpoint),
                       ("team-storage-key-id", S3_KEY)):
        field = find(driver, tid)
        field.clear()
        field.send_keys(value)
    find(driver, "team-password").send_keys(password)
    find(driver, "team-storage-secret").send_keys(secret)
    if team:
        find(driver, "team-team").send_keys(team)
    find(driver, "team-join").click()


def pick(driver, project):
    wait(driver, lambda d: project in [o.text for o in Select(find(d, "project-picker")).options], 30,
         "team project not in the picker")
    Select(find(driver, "project-picker")).select_by_visible_text(project)


def draft(driver, state, prompt):
    """Asks for a draft on the fake OpenAI offer; returns the provider call count before."""
    go(driver, "canvas")
    box = find(driver, "prompt")
    box.clear()
    box.send_keys(prompt)
    row = f"[data-testid=cost-row][data-offer-id='{OFFER}'] button.use"
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, row), 30, f"no {OFFER} row")
    before = state.counts.get(GENERATIONS, 0)
    driver.find_element(By.CSS_SELECTOR, row).click()
    return before


def open_project(driver, project):
    go(driver, "projects")
    wait(driver, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "[data-testid=project-item]")
                            if project in e.text], 30, "project not listed")
    [e for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid=project-item]") if project in e.text][0].click()
    return find(driver, "approval-threshold", timeout=30)


def test_bucket_gallery_and_approval_across_two_windows(studio, fakes):
    pg, s3 = studio
    _, state = fakes
    data_a, env_a = machine(fakes, "bucket-a")
    data_b, env_b = machine(fakes, "bucket-b")
    for env in (env_a, env_b):
        env["PROOFSHEET_TEAM_SYNC_MS"] = "1000"
    try:
        with app_window(env_a, "team-bucket-a") as a, app_window(env_b, "team-bucket-b") as b:
            # A wrong bucket and a wrong secret are refused with what to fix; nothing joined.
            join_with_bucket(b, pg.url("ben", "studio"), PASSWORDS["ben"], s3, bucket="no-such-bucket")
            wait(b, lambda d: "no bucket s3://no-such-bucket" in team_error(d), 40, "missing bucket not reported")
            join_with_bucket(b, pg.url("ben", "studio"), PASSWORDS["ben"], s3, secret="not-the-secret")
            wait(b, lambda d: "refused this access key" in team_error(d), 40, "wrong key not reported")
            assert find(b, "team-storage-secret").get_attribute("value") == ""
            assert not (data_b / "team.json").exists()
            team_shots(b, "bucket-settings-error-b", "team")

            # B creates the team (admin) with the bucket; A joins it as a member.
            join_with_bucket(b, pg.url("ben", "studio"), PASSWORDS["ben"], s3, team="Halde Studio")
            status = find(b, "team-status", timeout=30)
            assert find(b, "team-role").text == "admin"
            assert f"s3://{BUCKET}" in find(b, "team-bucket").text and s3.endpoint in find(b, "team-bucket").text
            assert S3_SECRET not in status.text
            team_shots(b, "bucket-settings-joined-b", "team")
            join_with_bucket(a, pg.url("ana", "studio"), PASSWORDS["ana"], s3)
            find(a, "team-status", timeout=30)
            assert find(a, "team-role").text == "member"

            cli(env_b, "team", "project", "create", PROJECT, "--budget", "5", "--client", "Halde & Co.")
            cli(env_a, "team", "project", "use", PROJECT)
            for d in (a, b):
                go(d, "canvas")
                pick(d, PROJECT)

            # (a) A's draft reaches B's gallery from the bucket, without a reload.
            go(b, "gallery")
            wait(b, lambda d: find(d, "gallery-total").text != "", 20, "gallery never loaded")
            assert not b.find_elements(By.CSS_SELECTOR, "[data-testid=gallery-item]")
            before = draft(a, state, "a lighthouse at dusk, from the bucket")
            wait(a, lambda d: state.counts.get(GENERATIONS, 0) > before, 60, "A's draft never reached the provider")
            wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=gallery-item]"), 60,
                 "A's image never reached B's gallery")
            # The catch-up announces the gallery and the projects one after the other; the
            # grid reloads on each, so read the count once it has settled.
            wait(b, lambda d: find(d, "gallery-total").text == "1 image", 20, "B's gallery total never said 1 image")
            wait(b, lambda d: "received" in find(d, "team-sync").text, 10, "no catch-up note in the top bar")
            assert len(s3.objects()) >= 1, "the image is not in the bucket"
            team_shots(b, "bucket-gallery-b", "gallery-grid")
            # ... and B's draft reaches A's gallery the same way.
            go(a, "gallery")
            wait(a, lambda d: find(d, "gallery-total").text == "1 image", 20, "A's gallery never loaded")
            before = draft(b, state, "a cliff path in fog, from B")
            wait(b, lambda d: state.counts.get(GENERATIONS, 0) > before, 60, "B's draft never reached the provider")
            go(a, "gallery")
            wait(a, lambda d: find(d, "gallery-total").text == "2 images", 60, "B's image never reached A's gallery")
            team_shots(a, "bucket-gallery-a", "gallery-grid")

            # (b) The admin sets the approval threshold in the project's settings.
            panel = open_project(b, PROJECT)
            field = find(b, "approval-threshold-input")
            field.clear()
            field.send_keys("0.001")
            find(b, "approval-threshold-save").click()
            wait(b, lambda d: "wait for an admin" in find(d, "approval-threshold-notice").text, 30, "threshold not set")
            team_shots(b, "bucket-threshold-admin-b", "approval-threshold")
            assert panel.is_displayed()
            open_project(a, PROJECT)
            wait(a, lambda d: "$0.001" in find(d, "approval-threshold-readonly").text, 30, "A does not see it")
            assert not a.find_elements(By.CSS_SELECTOR, "[data-testid=approval-threshold-input]")
            team_shots(a, "bucket-threshold-member-a", "approval-threshold")

            # A's next request waits as "awaiting approval": nothing sent.
            go(a, "canvas")
            pick(a, PROJECT)
            before = draft(a, state, "the same harbour at night, needs approval")
            wait(a, lambda d: [j for j in d.find_elements(By.CSS_SELECTOR, "[data-testid=job]")
                               if j.get_attribute("data-phase") == "awaiting_approval"], 60,
                 "A's request never waited for approval")
            time.sleep(2)
            assert state.counts.get(GENERATIONS, 0) == before, "sent before approval"
            waiting = [j for j in a.find_elements(By.CSS_SELECTOR, "[data-testid=job]")
                       if j.get_attribute("data-phase") == "awaiting_approval"][0]
            assert "Awaiting approval" in waiting.text, waiting.text
            team_shots(a, "bucket-awaiting-a", "jobs")

            # B approves it in B's window.
            go(b, "dashboard")
            item = find(b, "approval-item", timeout=30)
            assert "ana" in item.text, item.text
            team_shots(b, "bucket-approval-b", "approvals-panel")
            find(b, "approval-approve").click()

            # A's request runs; both meters show the team's spend.
            wait(a, lambda d: state.counts.get(GENERATIONS, 0) > before, 60, "the approved request never ran")
            server = None

            def settled(_):
                nonlocal server
                server = cli(env_b, "team", "project", "show", PROJECT)
                return Decimal(server["reserved_usd"]) == 0 and Decimal(server["spent_usd"]) > 0
            wait(b, settled, 60, "the team server never settled")
            spent = Decimal(server["spent_usd"])
            assert server["balanced"], server
            for d in (a, b):
                go(d, "canvas")
                pick(d, PROJECT)
                wait(d, lambda d: Decimal(find(d, "topbar-budget").get_attribute("data-spent")) == spent, 30,
                     f"a meter never showed the team's ${spent}")
            team_shots(a, "bucket-meter-a", "budget-meter")
            team_shots(b, "bucket-meter-b", "budget-meter")
            # The approved image reaches B's gallery too.
            go(b, "gallery")
            wait(b, lambda d: find(d, "gallery-total").text == "3 images", 60, "A's approved image never reached B")

            # The server goes away: the top bar says so, quietly.
            pg.stop()
            wait(b, lambda d: "unreachable" in find(d, "team-sync").text.lower(), 60, "server loss not shown")
            team_shots(b, "bucket-unreachable-b", "team-sync")

        for data in (data_a, data_b):
            for secret in (S3_SECRET, *PASSWORDS.values()):
                assert not files_holding(data, secret), f"a secret is stored in {data}"
    finally:
        if not os.environ.get("PROOFSHEET_E2E_KEEP"):
            shutil.rmtree(data_a, ignore_errors=True)
            shutil.rmtree(data_b, ignore_errors=True)
