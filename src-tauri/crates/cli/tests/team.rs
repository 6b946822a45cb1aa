//! `team join|status|leave|project` and team projects' money, against a real PostgreSQL
//! (started per test by `team::testing`) and the real keychain (.ci/with-keyring.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::team::{generate, join, service};
use common::{Env, files_under, keyring_available, money, mount_openai_ok, secret_tool_lookup};
use rust_decimal::Decimal;
use team::testing::{ANA, PgServer};

async fn studio() -> PgServer {
    PgServer::start_studio().await
}

#[tokio::test]
async fn join_status_leave_keep_the_password_in_the_keychain_only() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let pg = studio().await;
    let ana = Env::new().await;
    let j = join(&ana, &pg, None, ANA).await;
    assert_eq!(
        (j["team"].as_str(), j["member"].as_str()),
        (Some("Acme"), Some("ana"))
    );
    assert_eq!(j["role"], "admin", "the first member creates the team");
    assert_eq!(j["schema_version"], team::schema::app_version());
    let machine = j["machine"].as_str().unwrap().to_owned();
    // The password is in the keychain, under this machine, and nowhere on disk.
    assert_eq!(
        secret_tool_lookup(&service(&ana), &format!("team-db:{machine}")).as_deref(),
        Some("ana-pw")
    );
    let config = std::fs::read_to_string(ana.data_dir().join("team.json")).unwrap();
    assert!(config.contains("postgres://ana@127.0.0.1"), "{config}");
    for f in files_under(ana.tmp.path()) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(6).any(|w| w == b"ana-pw"),
            "password found in {}",
            f.display()
        );
    }
    let s = ana.json(&["team", "status"]).await;
    assert_eq!(
        (s["reachable"].as_bool(), s["role"].as_str()),
        (Some(true), Some("admin"))
    );
    assert_eq!(s["schema_version"], s["app_schema_version"]);

    // A second designer: the password in the URL is moved to the keychain.
    let bob = Env::new().await;
    let wrong = bob
        .run_stdin(
            &[
                "team",
                "join",
                "--db",
                &pg.url("bob", None, "studio"),
                "--password-stdin",
                "--json",
            ],
            "nope\n",
        )
        .await
        .code(7);
    assert!(
        wrong.stderr.contains("refused the login"),
        "{}",
        wrong.stderr
    );
    assert!(
        !bob.data_dir().join("team.json").exists(),
        "nothing kept after a refusal"
    );
    let b = bob
        .json(&[
            "team",
            "join",
            "--db",
            &pg.url("bob", Some("bob-pw"), "studio"),
        ])
        .await;
    assert_eq!(b["role"], "member");
    let config = std::fs::read_to_string(bob.data_dir().join("team.json")).unwrap();
    assert!(!config.contains("bob-pw"), "{config}");

    // The server goes away: status says so, with its own exit code.
    pg.stop();
    let down = ana.run(&["team", "status", "--json"]).await.code(7);
    assert_eq!(down.json()["reachable"], false);
    assert!(down.stderr.contains("cannot be reached"), "{}", down.stderr);
    pg.restart();

    let l = ana.json(&["team", "leave"]).await;
    assert_eq!(l["left"], true);
    assert!(!ana.data_dir().join("team.json").exists());
    assert_eq!(
        secret_tool_lookup(&service(&ana), &format!("team-db:{machine}")),
        None
    );
    ana.run(&["team", "status"]).await.code(6);
    let all = format!(
        "{}{}",
        ana.transcript.lock().unwrap(),
        bob.transcript.lock().unwrap()
    );
    assert!(
        !all.contains("ana-pw") && !all.contains("bob-pw"),
        "a password was printed"
    );
}

#[tokio::test]
async fn a_team_project_reserves_and_settles_on_the_server_and_refuses_when_it_is_down() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let pg = studio().await;
    let mut ana = Env::new().await;
    ana.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-team");
    mount_openai_ok(&ana.server, 7).await;
    join(&ana, &pg, None, ANA).await;
    let p = ana
        .json(&[
            "team", "project", "create", "Spring", "--budget", "0.0085", "--client", "Acme",
        ])
        .await;
    assert_eq!(
        (money(&p, "budget_usd"), p["hard"].as_bool()),
        ("0.0085".parse().unwrap(), Some(true))
    );
    // A solo project beside it.
    ana.json(&["project", "create", "Solo"]).await;

    let gen_args = generate;
    let g = ana
        .run(&gen_args("Spring", "a lighthouse"))
        .await
        .ok()
        .json();
    let cost = money(&g, "cost_usd");
    assert!(cost > Decimal::ZERO);
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), cost, "{m}");
    assert_eq!(money(&m, "reserved_usd"), Decimal::ZERO);
    assert_eq!(
        (m["balanced"].as_bool(), m["open_generations"].as_i64()),
        (Some(true), Some(0))
    );

    // Each holds its worst case ($0.005004) and settles at $0.0022: two fit in the hard
    // budget, the third is refused by the team server, unsent.
    ana.run(&gen_args("Spring", "a harbour")).await.ok();
    let sent = ana.requests_to("POST", "/v1/images/generations").await;
    let refused = ana.run(&gen_args("Spring", "a storm")).await.code(3);
    assert!(
        refused.stderr.contains("team project's $0.0085 budget"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        ana.requests_to("POST", "/v1/images/generations").await,
        sent
    );

    // The server goes away: the team project refuses paid work, nothing is sent; the
    // solo project works as before.
    pg.stop();
    let down = ana.run(&gen_args("Spring", "a cliff")).await.code(3);
    assert!(
        down.stderr.contains("team server cannot be reached"),
        "{}",
        down.stderr
    );
    assert_eq!(
        ana.requests_to("POST", "/v1/images/generations").await,
        sent
    );
    ana.run(&gen_args("Solo", "a cliff")).await.ok();
    pg.restart();
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(m["balanced"], true);
    assert!(money(&m, "spent_usd") <= money(&m, "budget_usd"), "{m}");

    // After leaving, the team project stays a team project here: refused, never solo.
    ana.json(&["team", "leave"]).await;
    let out = ana.run(&gen_args("Spring", "a reef")).await.code(3);
    assert!(
        out.stderr.contains("has not joined the team server"),
        "{}",
        out.stderr
    );
    assert_eq!(
        ana.requests_to("POST", "/v1/images/generations").await,
        sent + 1
    );
}

/// PostgreSQL stops while a paid call is in flight: the call finishes and is charged in
/// the library; the server keeps holding its reservation (never less than was spent)
/// until `recover` catches the settlement up once it is back.
#[tokio::test]
async fn a_generation_that_ends_while_the_server_is_down_is_caught_up_by_recover() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let pg = studio().await;
    let mut ana = Env::new().await;
    ana.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-team");
    let body = serde_json::json!({
        "created": 1_700_000_000,
        "data": [{ "b64_json": common::b64(&common::png(64, 64, 3)) }],
        "usage": { "input_tokens": 12, "output_tokens": 272, "total_tokens": 284,
          "input_tokens_details": { "text_tokens": 12, "image_tokens": 0 },
          "output_tokens_details": { "text_tokens": 0, "image_tokens": 272 } }
    });
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .mount(&ana.server)
        .await;
    join(&ana, &pg, None, ANA).await;
    ana.json(&["team", "project", "create", "Spring", "--budget", "1"])
        .await;

    let child = ana.command(&generate("Spring", "a dune")).spawn().unwrap();
    for _ in 0..300 {
        if ana.requests_to("POST", "/v1/images/generations").await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    pg.stop();
    let out = ana.record(child.wait_with_output().await.unwrap()).ok();
    let cost = money(&out.json(), "cost_usd");
    assert!(out.stderr.contains("team sync deferred"), "{}", out.stderr);
    ana.run(&["team", "project", "show", "Spring"])
        .await
        .code(7);

    pg.restart();
    // Read the server itself: every CLI command starts a background recovery, which may
    // already have caught the settlement up by the time a `team project show` reads it.
    let observer = pg.join(ANA, "observer").await;
    let held = observer.audit("Spring").await.unwrap();
    assert_eq!(held.open_generations, 1, "{held:?}");
    assert!(held.reserved >= cost, "still held: {held:?}");
    ana.json(&["recover"]).await;
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), cost, "{m}");
    assert_eq!(money(&m, "reserved_usd"), Decimal::ZERO, "{m}");
    assert_eq!(
        (m["open_generations"].as_i64(), m["balanced"].as_bool()),
        (Some(0), Some(true))
    );
}
