//! Team-mode setup shared by the `team*` test binaries and the catch-up bench: the
//! studio (`team::testing::PgServer::start_studio`), joining a library to it (with or
//! without the bucket), the usual draft arguments and a seeded random generator.

use serde_json::Value;
use team::testing::{ANA, BOB, PgServer, STUDIO, TEAM};
use team::testing_s3::{ACCESS_KEY, S3Server, SECRET_KEY};

use super::{Env, keyring_available, mount_openai_ok};

pub const OFFER: &str = "openai:gpt-image-1-mini";
pub const BUCKET: &str = "studio-images";
pub const GENERATIONS: &str = "/v1/images/generations";

/// `who` joins the studio from this library (team [`TEAM`]), with the bucket when `s3`
/// is given. Returns `team join --json`.
pub async fn join(env: &Env, pg: &PgServer, s3: Option<&S3Server>, who: (&str, &str)) -> Value {
    let url = pg.url(who.0, None, STUDIO);
    let storage = format!("s3://{BUCKET}");
    let endpoint = s3.map(S3Server::endpoint).unwrap_or_default();
    let mut args = vec![
        "team",
        "join",
        "--db",
        &url,
        "--password-stdin",
        "--team",
        TEAM,
        "--json",
    ];
    let mut stdin = format!("{}\n", who.1);
    if s3.is_some() {
        args.extend([
            "--storage",
            &storage,
            "--endpoint",
            &endpoint,
            "--storage-key-id",
            ACCESS_KEY,
            "--storage-secret-stdin",
        ]);
        stdin.push_str(&format!("{SECRET_KEY}\n"));
    }
    env.run_stdin(&args, &stdin).await.ok().json()
}

/// This library's keychain service (its items are `team-db:<machine>`, `team-s3:…`).
pub fn service(env: &Env) -> String {
    env.vars
        .iter()
        .find(|(k, _)| k == "PROOFSHEET_KEYCHAIN_SERVICE")
        .map(|(_, v)| v.clone())
        .expect("Env sets a keychain service")
}

/// A low-quality 1024² draft of [`OFFER`] on `project`, JSON out.
pub fn generate<'a>(project: &'a str, prompt: &'a str) -> Vec<&'a str> {
    vec![
        "generate",
        "--project",
        project,
        "--prompt",
        prompt,
        "--offer",
        OFFER,
        "--quality",
        "low",
        "--size",
        "1024x1024",
        "--json",
    ]
}

/// Ana (admin) and Bob (member), each a library with its own OpenAI fake, joined to a
/// fresh studio (and bucket when `bucket`); Ana created `project` with a hard `budget`
/// and Bob uses it.
pub struct Studio {
    pub pg: PgServer,
    pub s3: Option<S3Server>,
    pub ana: Env,
    pub bob: Env,
}

pub async fn studio(project: &str, budget: &str, bucket: bool) -> Studio {
    assert!(keyring_available(), "run under .ci/with-keyring.sh");
    let pg = PgServer::start_studio().await;
    let s3 = bucket.then(|| S3Server::start(&[BUCKET]));
    let mut ana = Env::new().await;
    ana.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-ana");
    mount_openai_ok(&ana.server, 7).await;
    let mut bob = Env::new().await;
    bob.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-bob");
    mount_openai_ok(&bob.server, 99).await;
    join(&ana, &pg, s3.as_ref(), ANA).await;
    join(&bob, &pg, s3.as_ref(), BOB).await;
    ana.json(&["team", "project", "create", project, "--budget", budget])
        .await;
    bob.json(&["team", "project", "use", project]).await;
    Studio { pg, s3, ana, bob }
}

/// The `i`th of several machines joins: machine 0 is Ana (creates `project` with
/// `budget`), the others are Bob's and use it.
pub async fn join_machine(
    env: &Env,
    i: usize,
    pg: &PgServer,
    s3: Option<&S3Server>,
    project: &str,
    budget: &str,
) {
    join(env, pg, s3, if i == 0 { ANA } else { BOB }).await;
    if i == 0 {
        env.json(&["team", "project", "create", project, "--budget", budget])
            .await;
    } else {
        env.json(&["team", "project", "use", project]).await;
    }
}

/// A small deterministic generator (seeded: a failure replays the same kills).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// When a process of the many-machines tests is killed.
#[derive(Debug, Clone, Copy)]
pub enum Kill {
    Never,
    /// Once the provider has received this process's request.
    AfterSend,
    At(tokio::time::Instant),
}

/// Waits until the admin sees `n` pending approval requests; returns them.
pub async fn pending(admin: &Env, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let list = admin.json(&["team", "approvals"]).await;
        let items = list["approvals"].as_array().cloned().unwrap_or_default();
        if items.len() == n {
            return items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never saw {n} pending request(s)");
}
