//! DESIGN.md §5 contract: JSON shapes, money as decimal strings, and the generate →
//! dedup → budget → gallery → report → promote flow against a fake OpenAI.
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::Value;

const KEY: &str = "sk-test-contract-4242";

async fn openai_env() -> Env {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", KEY);
    mount_openai_ok(&env.server, 10).await;
    env
}

async fn pinned_project(env: &Env, name: &str, budget: &str) {
    env.project(
        name,
        budget,
        "openai:gpt-image-2",
        "openai:gpt-image-2.5-sunburst",
    )
    .await;
}

#[tokio::test]
async fn estimate_json_shape_and_money_strings() {
    let env = Env::new().await;
    let v = env
        .json(&[
            "estimate",
            "--prompt",
            "a red fox in the snow",
            "--tier",
            "draft",
        ])
        .await;
    let list = v["estimates"].as_array().expect("estimates array");
    assert!(list.len() >= 5, "every draft offer is priced: {v}");
    for e in list {
        for f in ["offer_id", "provider", "model", "tier", "billing"] {
            assert!(e[f].is_string(), "{f} in {e}");
        }
        assert_eq!(e["tier"], "draft");
        let (exp, worst) = (money(e, "expected_usd"), money(e, "worst_case_usd"));
        money(e, "per_image_usd");
        assert!(e["supported"].is_boolean() && e["notes"].is_array(), "{e}");
        if e["supported"] == Value::Bool(true) {
            assert!(worst >= exp, "worst case below expected: {e}");
        }
    }

    // Named offers only, with the published price of FLUX.1 [dev] on BFL (2.5 credits).
    let v = env
        .json(&[
            "estimate",
            "--prompt",
            "a red fox",
            "--offer",
            "bfl:flux-dev",
            "--offer",
            "openai:gpt-image-2.5-sunburst",
        ])
        .await;
    let ids: Vec<&str> = v["estimates"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["offer_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{v}");
    assert!(ids.contains(&"bfl:flux-dev") && ids.contains(&"openai:gpt-image-2.5-sunburst"));
    let flux = v["estimates"]
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["offer_id"] == "bfl:flux-dev")
        .expect("flux");
    assert_eq!(money(flux, "per_image_usd"), Decimal::new(25, 3));

    // The human form is a table with dollar amounts.
    let out = env
        .run(&[
            "estimate",
            "--prompt",
            "a red fox",
            "--offer",
            "bfl:flux-dev",
        ])
        .await
        .ok();
    assert!(
        out.stdout.contains("bfl:flux-dev") && out.stdout.contains("$0.025"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn project_create_and_show_shape() {
    let env = Env::new().await;
    env.json(&[
        "project", "create", "spring", "--budget", "50", "--client", "Acme",
    ])
    .await;
    let v = env.json(&["project", "show", "spring"]).await;
    assert_eq!(v["name"], "spring");
    assert_eq!(money(&v, "budget_usd"), Decimal::from(50));
    assert_eq!(money(&v, "remaining_usd"), Decimal::from(50));
    for f in ["spent_usd", "reserved_usd", "saved_usd"] {
        assert_eq!(money(&v, f), Decimal::ZERO, "{f}");
    }
    assert_eq!(v["hard"], true, "budgets are hard unless --soft");

    // Creating it twice is refused rather than silently overwriting the budget.
    let out = env
        .run(&["project", "create", "spring", "--budget", "5"])
        .await
        .code(2);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    let human = env.run(&["project", "show", "spring"]).await.ok();
    assert!(human.stdout.contains("$50"), "{}", human.stdout);
}

#[tokio::test]
async fn generate_dedup_and_no_dedup() {
    let env = openai_env().await;
    pinned_project(&env, "p", "10").await;
    // No --seed: OpenAI ignores seeds, and the chain refuses a request that fixes one.
    let args = [
        "generate",
        "--project",
        "p",
        "--prompt",
        "a red fox",
        "--draft",
    ];

    let first = env.json(&args).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["dedup_hit"], false);
    let cost = money(&first, "cost_usd");
    assert!(cost > Decimal::ZERO, "{first}");
    let images = first["images"].as_array().expect("images");
    assert_eq!(images.len(), 1);
    let img = &images[0];
    assert!(
        std::path::Path::new(img["path"].as_str().expect("path")).is_file(),
        "{img}"
    );
    assert!(img["hash"].as_str().is_some_and(|h| h.len() >= 16), "{img}");
    assert_eq!(
        (img["width"].as_u64(), img["height"].as_u64()),
        (Some(64), Some(64))
    );
    assert_eq!(img["mime"], "image/png");
    let attempts = first["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{first}");
    assert_eq!(attempts[0]["provider"], "openai");
    assert_eq!(attempts[0]["outcome"], "succeeded");
    assert_eq!(attempts[0]["billed"], true);
    assert_eq!(money(&attempts[0], "cost_usd"), cost);
    assert!(attempts[0].get("error").is_some() && attempts[0].get("model").is_some());
    assert_eq!(env.requests_to("POST", "/v1/images/generations").await, 1);

    // Same request again: reused from the gallery for $0, saving is recorded.
    let again = env.json(&args).await;
    assert_eq!(again["dedup_hit"], true, "{again}");
    assert_eq!(money(&again, "cost_usd"), Decimal::ZERO);
    assert_eq!(money(&again, "saved_usd"), cost);
    assert_eq!(
        env.requests_to("POST", "/v1/images/generations").await,
        1,
        "a dedup hit never calls the provider"
    );

    // --no-dedup pays again.
    let mut forced = args.to_vec();
    forced.push("--no-dedup");
    let paid = env.json(&forced).await;
    assert_eq!(paid["dedup_hit"], false);
    assert!(money(&paid, "cost_usd") > Decimal::ZERO);
    assert_eq!(env.requests_to("POST", "/v1/images/generations").await, 2);

    let p = env.json(&["project", "show", "p"]).await;
    assert_eq!(money(&p, "spent_usd"), cost + money(&paid, "cost_usd"));
    assert_eq!(money(&p, "saved_usd"), cost);
    assert_eq!(money(&p, "reserved_usd"), Decimal::ZERO);
}

#[tokio::test]
async fn hard_budget_refuses_before_any_call() {
    let env = openai_env().await;
    pinned_project(&env, "tight", "0.01").await;
    let out = env
        .run(&[
            "generate",
            "--project",
            "tight",
            "--prompt",
            "a castle",
            "--final",
            "--quality",
            "high",
        ])
        .await
        .code(3);
    let err = out.stderr.to_lowercase();
    assert!(
        err.contains("left") || err.contains("remaining"),
        "says what is left: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("$0.01"),
        "names the budget: {}",
        out.stderr
    );
    assert!(
        out.stderr.matches('$').count() >= 2,
        "says what the request needs: {}",
        out.stderr
    );
    assert_eq!(env.requests_to("POST", "/v1/images/generations").await, 0);
    let p = env.json(&["project", "show", "tight"]).await;
    assert_eq!(money(&p, "spent_usd"), Decimal::ZERO);
    assert_eq!(money(&p, "reserved_usd"), Decimal::ZERO);

    // With --json the refusal is also one document on stdout.
    let out = env
        .run(&[
            "generate",
            "--project",
            "tight",
            "--prompt",
            "a castle",
            "--final",
            "--quality",
            "high",
            "--json",
        ])
        .await
        .code(3);
    assert_eq!(out.json()["error"]["kind"], "budget");
}

#[tokio::test]
async fn gallery_search_report_csv_and_promote_lineage() {
    let env = openai_env().await;
    pinned_project(&env, "spring", "10").await;
    let fox = env
        .json(&[
            "generate",
            "--project",
            "spring",
            "--prompt",
            "a red fox in the snow",
            "--draft",
        ])
        .await;
    env.json(&[
        "generate",
        "--project",
        "spring",
        "--prompt",
        "a blue whale",
        "--draft",
    ])
    .await;

    let page = env
        .json(&["gallery", "list", "--project", "spring", "--search", "fox"])
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["generation_id"], fox["generation_id"]);
    assert!(
        items[0]["prompt"]
            .as_str()
            .is_some_and(|p| p.contains("fox"))
    );
    money(&items[0], "cost_usd");
    let all = env.json(&["gallery", "list", "--limit", "10"]).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2), "{all}");
    let none = env.json(&["gallery", "list", "--search", "zebra"]).await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));

    let csv = env.tmp.path().join("invoice.csv");
    let csv_arg = csv.display().to_string();
    env.json(&["report", "--project", "spring", "--csv", &csv_arg])
        .await;
    let text = std::fs::read_to_string(&csv).expect("csv written");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.len() >= 3,
        "a header and one line per generation:\n{text}"
    );
    assert!(
        lines[0].contains(',') && lines[0].to_lowercase().contains("usd"),
        "header: {}",
        lines[0]
    );

    // Promote: a final with the draft's prompt and seed, linked to it.
    let draft_id = fox["generation_id"].as_str().expect("id");
    let fin = env.json(&["promote", draft_id]).await;
    let final_id = fin["generation_id"].as_str().expect("final id");
    assert_ne!(final_id, draft_id);
    assert_eq!(fin["status"], "succeeded", "{fin}");
    assert_eq!(fin["parent_id"], draft_id);
    let detail = env.json(&["show", final_id]).await;
    assert_eq!(detail["parent_id"], draft_id);
    assert_eq!(detail["tier"], "final");
    assert_eq!(detail["params"]["prompt"], "a red fox in the snow");
    let draft = env.json(&["show", draft_id]).await;
    // Same prompt, seed and size; the final renders at the final offer's best standard
    // quality, not the draft's (issue 12 §1.2).
    let mut same = detail["params"].clone();
    same["quality"] = draft["params"]["quality"].clone();
    assert_eq!(same, draft["params"], "same prompt, seed and parameters");
    assert_eq!(detail["params"]["quality"], "high", "{detail}");
    assert!(
        draft["children"]
            .as_array()
            .is_some_and(|c| c.iter().any(|x| x == final_id)),
        "{draft}"
    );
}

#[tokio::test]
async fn soft_budget_proceeds_and_warns() {
    let mut env = openai_env().await;
    // Logs off: the warning must come from the result itself, not a log line.
    env.set("PROOFSHEET_LOG", "off");
    env.json(&[
        "project",
        "create",
        "loose",
        "--budget",
        "0.001",
        "--soft",
        "--draft-chain",
        "openai:gpt-image-2",
        "--final-chain",
        "openai:gpt-image-2.5-sunburst",
    ])
    .await;
    let out = env
        .run(&[
            "generate",
            "--project",
            "loose",
            "--prompt",
            "a kite",
            "--draft",
        ])
        .await
        .ok();
    assert!(
        out.stderr.contains("Over budget"),
        "the warning is shown: {}",
        out.stderr
    );
    // Also in the JSON result, and on stderr with --quiet.
    let out = env
        .run(&[
            "--quiet",
            "generate",
            "--project",
            "loose",
            "--prompt",
            "a second kite",
            "--draft",
            "--json",
        ])
        .await
        .ok();
    let v = out.json();
    assert!(
        v["budget_warning"]
            .as_str()
            .is_some_and(|w| w.contains("Over budget")),
        "{v}"
    );
    assert!(out.stderr.contains("Over budget"), "{}", out.stderr);
    let p = env.json(&["project", "show", "loose"]).await;
    assert_eq!(p["hard"], false);
    assert!(
        money(&p, "spent_usd") > Decimal::new(1, 3),
        "a soft budget may be passed: {p}"
    );

    // The estimate for the same request now knows it is in the gallery.
    let v = env
        .json(&[
            "estimate",
            "--prompt",
            "a kite",
            "--project",
            "loose",
            "--offer",
            "openai:gpt-image-2",
        ])
        .await;
    assert_eq!(v["estimates"][0]["dedup_hit"], true, "{v}");
    assert_eq!(v["budget"]["project"], "loose", "{v}");
}

#[tokio::test]
async fn offers_show_lifecycle_and_replacements() {
    let env = Env::new().await;
    let v = env.json(&["offers"]).await;
    let list = v["offers"].as_array().expect("offers array");
    let find = |id: &str| {
        list.iter()
            .find(|o| o["offer_id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))
            .clone()
    };
    // Shut-down models stay listed for history, marked, with the live replacement.
    let old = find("openai:gpt-image-1");
    assert_eq!(old["status"], "shut_down", "{old}");
    assert_eq!(old["shutdown_on"], "2026-10-23");
    assert_eq!(old["replaced_by"], "openai:gpt-image-2.5-sunburst");
    let live = find("bfl:flux-2-pro");
    assert_eq!(live["status"], "live");
    assert!(live["replaced_by"].is_null());
    for o in list {
        assert!(o["source"].as_str().is_some_and(|s| !s.is_empty()), "{o}");
        assert_eq!(o["verified_on"], "2026-11-29", "{o}");
    }
    let text = env.run(&["offers"]).await.ok().stdout;
    assert!(
        text.lines().any(|l| l.starts_with("openai:gpt-image-1 ")
            && l.contains("shut down 2026-10-23 → openai:gpt-image-2.5-sunburst")),
        "{text}"
    );
    // Estimating a shut-down offer says so instead of pricing it.
    let est = env
        .run(&[
            "estimate",
            "--prompt",
            "a fox",
            "--offer",
            "openai:dall-e-3",
        ])
        .await
        .ok()
        .stdout;
    assert!(est.contains("shut down on 2026-05-12"), "{est}");
    // A project chain holding a shut-down model warns and names the replacement.
    env.project("old", "5", "openai:gpt-image-1", "openai:gpt-image-2")
        .await;
    let shown = env.run(&["project", "show", "old"]).await.ok().stdout;
    assert!(
        shown.contains(
            "warning    openai:gpt-image-1 (draft chain): shut down on 2026-10-23, use openai:gpt-image-2.5-sunburst"
        ),
        "{shown}"
    );
}
