//! `docs/openapi.json`, the OpenAPI 3.1 document of every HTTP endpoint of Giro, against the
//! code and by independent tools: its paths and methods are the routes of the projection, the
//! ingress and the ops endpoints, both ways (a route without documentation fails, and so does
//! documentation without a route); `openapi-spec-validator` validates it; the projection serves
//! it at `/openapi.json`; and live answers of every operation of the projection, from data of
//! every kind, are validated against its response schemas by Python `jsonschema` (Draft 2020-12),
//! which fetches the document from the server (`openapi_validate.py`).
//!
//! The Python tools are installed by `ops/dev test` into `/opt/giro-tools/openapi`
//! (`GIRO_OPENAPI_TOOLS` overrides): without them these tests fail, saying so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use giro_domain::payout::{
    PayoutCommand, ProviderReport, ReportSource, ReportedAmount, ReportedOutcome,
};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::{Value, json};

use crate::common::*;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn document_text() -> String {
    let path = workspace().join("docs/openapi.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn document() -> Value {
    serde_json::from_str(&document_text())
        .unwrap_or_else(|e| panic!("docs/openapi.json is not JSON: {e}"))
}

/// The venv holding `openapi-spec-validator` and `jsonschema`; fails (never skips) without it.
fn tools() -> PathBuf {
    let dir = std::env::var_os("GIRO_OPENAPI_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/giro-tools/openapi"));
    let python = dir.join("bin/python");
    let found = Command::new(&python)
        .args([
            "-c",
            "import openapi_spec_validator, jsonschema, referencing",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "the OpenAPI validators (openapi-spec-validator, jsonschema) are not installed in {}: \
         run ops/dev test, which installs them (or set GIRO_OPENAPI_TOOLS to a venv that has them)",
        dir.display()
    );
    dir
}

#[test]
fn the_document_is_valid_openapi_3_1_by_openapi_spec_validator() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0", "docs/openapi.json");
    let validator = tools().join("bin/openapi-spec-validator");
    let out = Command::new(&validator)
        .arg(workspace().join("docs/openapi.json"))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", validator.display()));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "openapi-spec-validator refuses docs/openapi.json:\n{said}"
    );
    assert!(said.contains("OK"), "{said}");
}

/// A route as `(METHOD, path)`: `("get", "/v1/payouts/{id}")`.
type Route = (String, String);

/// The text of a call's parentheses, from just after `(` to its matching `)`.
fn call_args(text: &str) -> &str {
    let mut depth = 1;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced call: {text}")
}

/// The first string literal of `text`.
fn first_literal(text: &str) -> &str {
    let start = text.find('"').expect("a string literal") + 1;
    let len = text[start..].find('"').expect("a closed string literal");
    &text[start..start + len]
}

/// The methods a method router names at the top level of a `.route(...)`'s arguments:
/// `get(handler)`, `post(handler)`, `get(a).post(b)`.
fn methods(args: &str) -> Vec<String> {
    const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];
    let bytes = args.as_bytes();
    let mut depth = 0;
    let mut found = Vec::new();
    for (i, c) in args.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => {
                let boundary = i == 0
                    || !(bytes[i - 1].is_ascii_alphanumeric()
                        || bytes[i - 1] == b'_'
                        || bytes[i - 1] == b':');
                if boundary
                    && let Some(m) = METHODS
                        .iter()
                        .find(|m| args[i..].starts_with(&format!("{m}(")))
                {
                    found.push(m.to_string());
                }
            }
            _ => {}
        }
    }
    found
}

/// Every route a router module builds: each `.route("path", method(...))` of the file (before
/// its tests) and, for `.nest("prefix", module::routes())`, the routes of `module.rs` beside it
/// under the prefix.
fn routes_in(file: &Path) -> BTreeSet<Route> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut routes = BTreeSet::new();
    for (at, _) in code.match_indices(".route(") {
        let args = call_args(&code[at + ".route(".len()..]);
        let path = first_literal(args);
        let named = methods(&args[args.find(path).unwrap() + path.len() + 1..]);
        assert!(
            !named.is_empty(),
            "{}: no method in .route({args})",
            file.display()
        );
        for m in named {
            routes.insert((m, path.to_string()));
        }
    }
    for (at, _) in code.match_indices(".nest(") {
        let args = call_args(&code[at + ".nest(".len()..]);
        let prefix = first_literal(args);
        let module = args
            .split(',')
            .nth(1)
            .and_then(|m| m.trim().strip_suffix("::routes()"))
            .unwrap_or_else(|| {
                panic!(
                    "{}: .nest({args}) is not prefix, module::routes()",
                    file.display()
                )
            });
        let nested = file.with_file_name(format!("{module}.rs"));
        for (m, path) in routes_in(&nested) {
            routes.insert((m, format!("{prefix}{path}")));
        }
    }
    routes
}

/// The documented routes of each server (`servers` of a path item, else the document's).
fn documented_routes(doc: &Value) -> BTreeMap<String, BTreeSet<Route>> {
    let mut by_server: BTreeMap<String, BTreeSet<Route>> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let servers = item
            .get("servers")
            .unwrap_or(&doc["servers"])
            .as_array()
            .unwrap();
        for server in servers {
            let url = server["url"].as_str().unwrap().to_string();
            for method in item.as_object().unwrap().keys() {
                if ["servers", "parameters", "summary", "description"].contains(&method.as_str()) {
                    continue;
                }
                by_server
                    .entry(url.clone())
                    .or_default()
                    .insert((method.clone(), path.clone()));
            }
        }
    }
    by_server
}

/// The router source of each server of the document.
const ROUTERS: [(&str, &str); 3] = [
    (
        "http://127.0.0.1:8082",
        "crates/giro-projection/src/http/mod.rs",
    ),
    ("http://127.0.0.1:8081", "crates/giro-ingress/src/server.rs"),
    (
        "http://127.0.0.1:{port}",
        "crates/giro-telemetry/src/ops.rs",
    ),
];

#[test]
fn every_route_is_documented_and_every_documented_path_is_routed() {
    let documented = documented_routes(&document());
    let servers: BTreeSet<String> = documented.keys().cloned().collect();
    let runs: BTreeSet<String> = ROUTERS.iter().map(|(url, _)| url.to_string()).collect();
    assert_eq!(
        servers, runs,
        "the document's servers are not the three HTTP servers Giro runs"
    );
    for (url, file) in ROUTERS {
        let routed = routes_in(&workspace().join(file));
        // The scan sees the routes, so a router it cannot read does not pass unnoticed.
        assert!(
            routed.contains(&("get".to_string(), "/healthz".to_string())),
            "{file}: no GET /healthz found; the route scan is blind: {routed:?}"
        );
        let docs = &documented[url];
        let undocumented: Vec<&Route> = routed.difference(docs).collect();
        let unrouted: Vec<&Route> = docs.difference(&routed).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "{file} (server {url}) and docs/openapi.json disagree:\n  routed, not documented: \
             {undocumented:?}\n  documented, not routed: {unrouted:?}"
        );
    }
    assert!(documented["http://127.0.0.1:8082"].len() > 20);
}

#[test]
fn the_route_scan_reads_the_shapes_routers_use() {
    let dir = std::env::temp_dir().join(format!("giro-route-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mod.rs"),
        r#"
        // .route("/commented", get(x))
        Router::new()
            .route("/a/{id}", get(api::a))
            .route(
                "/b",
                get(b).post(c),
            )
            .route("/c", post(handlers::c))
            .nest("/v1/n", nested::routes())
        #[cfg(test)]
        mod tests { fn t() { Router::new().route("/test-only", get(t)); } }
        "#,
    )
    .unwrap();
    std::fs::write(
        dir.join("nested.rs"),
        r#"Router::new().route("/x", get(target_get)).route("/y", delete(y))"#,
    )
    .unwrap();
    let found = routes_in(&dir.join("mod.rs"));
    std::fs::remove_dir_all(&dir).unwrap();
    let expected: BTreeSet<Route> = [
        ("get", "/a/{id}"),
        ("get", "/b"),
        ("post", "/b"),
        ("post", "/c"),
        ("get", "/v1/n/x"),
        ("delete", "/v1/n/y"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(found, expected);
}

/// One request of the live check: what to send, the document's path it falls on, and the
/// status it must get.
fn case(method: &str, path: impl Into<String>, template: &str, status: u16) -> Value {
    json!({"method": method, "path": path.into(), "template": template, "status": status})
}

fn submitted() -> [PayoutCommand; 2] {
    [
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmitted {
            attempt: 1,
            provider_ref: Some("P-1".into()),
            raw_status: Some("PROCESSING".into()),
        },
    ]
}

/// A success on attempt 1 stating the amount paid, a fee, when and through which channel.
fn success(id: &str, amount: &str) -> PayoutCommand {
    let mut r = ProviderReport::new(
        ReportSource::Webhook,
        "SUCCESS",
        ReportedOutcome::Succeeded,
        id,
    );
    r.provider_ref = Some("P-1".into());
    r.attempt = Some(1);
    r.fee = Some("2475.5".parse().unwrap());
    r.amount = Some(ReportedAmount {
        amount: amount.parse().unwrap(),
        currency: None,
    });
    r.completed_at = Some("2026-12-06 08:42:54".into());
    r.channel_ref = Some(format!("CH-{id}"));
    PayoutCommand::RecordReport(r)
}

fn submission_handle(id: giro_domain::OrderId) -> String {
    giro_domain::SubmissionHandle {
        order_id: id,
        attempt: 1,
    }
    .to_string()
}

#[tokio::test]
async fn live_answers_of_every_operation_match_the_served_document() {
    let python = tools().join("bin/python");
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    // Payouts: paid with a fee, paid short (a discrepancy), paid then reported on an attempt
    // never made (an exception), failed, held, queued and at the provider.
    let mut paid = submitted().to_vec();
    paid.push(success("o1", "250000"));
    let paid = payout(&log, "oa-paid", &paid).await;
    let mut short = submitted().to_vec();
    short.push(success("o2", "247500"));
    payout(&log, "oa-short", &short).await;
    let mut stray = submitted().to_vec();
    stray.push(success("o3", "250000"));
    let mut never =
        ProviderReport::new(ReportSource::Webhook, "FAIL", ReportedOutcome::Failed, "o7");
    never.attempt = Some(7);
    never.provider_ref = Some("P-7".into());
    stray.push(PayoutCommand::RecordReport(never));
    payout(&log, "oa-stray", &stray).await;
    let mut failed = submitted().to_vec();
    failed.push(report(
        "o4",
        "FAIL",
        ReportedOutcome::Failed,
        Some("account closed"),
    ));
    let failed = payout(&log, "oa-failed", &failed).await;
    let held = PayoutCommand::Hold {
        reason: "waiting for funds".into(),
    };
    payout(&log, "oa-held", &[held]).await;
    payout(&log, "oa-queued", &[]).await;
    payout(&log, "oa-sent", &submitted()).await;
    // Charges: paid, cancelled, at the provider.
    let mut charge_paid = charge_submitted().to_vec();
    charge_paid.push(charge_report(
        "paid",
        "paid",
        giro_domain::charge::ChargeOutcome::Paid,
        Some("150.00"),
    ));
    let charge_id = charge(&log, "oa-charge-paid", &charge_paid).await;
    charge(&log, "oa-charge-cancelled", &[cancel_charge()]).await;
    charge(&log, "oa-charge-pending", &charge_submitted()).await;
    // A batch of two payouts.
    let (batch, _) = crate::batches::batch(&log, "oa-batch", 2).await;
    // Beneficiaries: active, and one still pending.
    let beneficiary_id = beneficiary(&log, "oa-benef", &["ACTIVE"]).await;
    beneficiary(&log, "oa-benef-pending", &[]).await;
    // A balance reading, below its threshold and short of what the held and queued need.
    let js = async_nats::jetstream::new(log.client.clone());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: format!("{}_FUNDS", log.config.stream),
        subjects: vec![format!("{}.funds.>", log.config.prefix)],
        max_messages_per_subject: 1,
        allow_direct: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let reading = json!({"balance": "300000.50", "at": "2026-12-06T10:00:00Z"});
    js.publish(
        format!("{}.funds.cashy-co.balance.COP", log.config.prefix),
        reading.to_string().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let mut config = config(&log, &schema);
    config.low_balance =
        giro_projection::treasury::parse_low_balance("cashy-co:COP:1000000").unwrap();
    let api = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    caught_up(&log, &schema).await;
    let base = format!("http://{}", api.local_addr());

    // What is served is the document in the repository.
    let (status, served) = get(&api, "/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(
        served,
        document_text(),
        "/openapi.json is not docs/openapi.json"
    );

    let first = get_json(&api, "/v1/payouts?limit=1").await;
    let cursor = first["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("no next page after one of seven payouts: {first}"))
        .to_string();
    let postings = get_json(&api, &format!("/v1/ledger/postings?order_id={paid}")).await;
    assert!(
        !postings["postings"].as_array().unwrap().is_empty(),
        "a paid payout has postings: {postings}"
    );
    let unknown = uuid::Uuid::new_v4();
    let today = chrono::Utc::now().date_naive();
    let mut cases = vec![
        case("get", "/", "/", 200),
        case("get", "/?window=7d", "/", 200),
        case("get", "/?window=soon", "/", 400),
        case("get", format!("/payouts/{paid}"), "/payouts/{id}", 200),
        case("get", format!("/payouts/{unknown}"), "/payouts/{id}", 404),
        case("get", "/payouts/not-a-uuid", "/payouts/{id}", 400),
        case("get", "/healthz", "/healthz", 200),
        case("get", "/readyz", "/readyz", 200),
        case("get", "/metrics", "/metrics", 200),
        case("get", "/openapi.json", "/openapi.json", 200),
        case("get", "/v1/stats", "/v1/stats", 200),
        case("get", "/v1/stats?window=1h", "/v1/stats", 200),
        case("get", "/v1/stats?window=400d", "/v1/stats", 400),
        case("get", "/v1/ledger/balances", "/v1/ledger/balances", 200),
        case(
            "get",
            "/v1/ledger/balances?provider=cashy-co",
            "/v1/ledger/balances",
            200,
        ),
        case(
            "get",
            "/v1/ledger/balances?nope=1",
            "/v1/ledger/balances",
            400,
        ),
        case(
            "get",
            format!("/v1/ledger/postings?order_id={paid}"),
            "/v1/ledger/postings",
            200,
        ),
        case(
            "get",
            format!("/v1/ledger/postings?order_id={unknown}"),
            "/v1/ledger/postings",
            200,
        ),
        case("get", "/v1/ledger/postings", "/v1/ledger/postings", 400),
        case("get", "/v1/exceptions", "/v1/exceptions", 200),
        case(
            "get",
            "/v1/exceptions?kind=discrepancy&limit=5",
            "/v1/exceptions",
            200,
        ),
        case("get", "/v1/exceptions?kind=bogus", "/v1/exceptions", 400),
        case("get", "/v1/exceptions?limit=0", "/v1/exceptions", 400),
        case(
            "get",
            format!("/v1/settlement?provider=cashy-co&date={today}"),
            "/v1/settlement",
            200,
        ),
        case(
            "get",
            format!("/v1/settlement?provider=a55&date={today}"),
            "/v1/settlement",
            200,
        ),
        case(
            "get",
            format!("/v1/settlement?provider=cashy-co&date={today}&format=csv"),
            "/v1/settlement",
            200,
        ),
        case(
            "get",
            "/v1/settlement?provider=cashy-co",
            "/v1/settlement",
            400,
        ),
        case(
            "get",
            "/v1/settlement?provider=cashy-co&date=2026-13-01",
            "/v1/settlement",
            400,
        ),
        case("get", "/v1/treasury", "/v1/treasury", 200),
        case("get", "/v1/stats/series", "/v1/stats/series", 200),
        case(
            "get",
            "/v1/stats/series?window=24h",
            "/v1/stats/series",
            200,
        ),
        case("get", "/v1/stats/series?window=0s", "/v1/stats/series", 400),
        case(
            "get",
            format!("/v1/exceptions?order_id={paid}&state=resolved"),
            "/v1/exceptions",
            200,
        ),
        case("get", "/v1/exceptions?state=closed", "/v1/exceptions", 400),
        case("get", "/exceptions", "/exceptions", 200),
        case("get", "/exceptions?kind=held", "/exceptions", 200),
        case("get", "/exceptions?kind=bogus", "/exceptions", 400),
        case("get", "/exceptions?state=closed", "/exceptions", 400),
        case("get", "/assets/console.js", "/assets/{name}", 200),
        case("get", "/assets/uPlot.min.css", "/assets/{name}", 200),
        case("get", "/assets/nope.js", "/assets/{name}", 404),
        case("get", "/payouts", "/payouts", 200),
        case(
            "get",
            "/payouts?status=succeeded&min_amount=1&max_amount=999999999&from=2026-01-01",
            "/payouts",
            200,
        ),
        case("get", "/payouts?min_amount=1e3", "/payouts", 400),
        case("get", "/charges", "/charges", 200),
        case("get", "/charges?status=bogus", "/charges", 400),
        case("get", format!("/charges/{charge_id}"), "/charges/{id}", 200),
        case("get", format!("/charges/{unknown}"), "/charges/{id}", 404),
        case("get", "/charges/nope", "/charges/{id}", 400),
        case("get", "/beneficiaries", "/beneficiaries", 200),
        case("get", "/beneficiaries?min_amount=1", "/beneficiaries", 400),
        case(
            "get",
            format!("/beneficiaries/{beneficiary_id}"),
            "/beneficiaries/{id}",
            200,
        ),
        case(
            "get",
            format!("/beneficiaries/{unknown}"),
            "/beneficiaries/{id}",
            404,
        ),
        case("get", "/beneficiaries/nope", "/beneficiaries/{id}", 400),
        case("get", "/v1/batches", "/v1/batches", 200),
        case("get", "/v1/batches?status=open&limit=5", "/v1/batches", 200),
        case("get", "/v1/batches?status=paid", "/v1/batches", 400),
        case("get", "/v1/batches?limit=0", "/v1/batches", 400),
        case("get", "/v1/batches?limit=1", "/v1/batches", 200),
        case("get", "/v1/batches?cursor=zz", "/v1/batches", 400),
        case(
            "get",
            format!("/v1/batches/{batch}"),
            "/v1/batches/{id}",
            200,
        ),
        case(
            "get",
            format!("/v1/batches/{unknown}"),
            "/v1/batches/{id}",
            404,
        ),
        case("get", "/v1/batches/nope", "/v1/batches/{id}", 400),
    ];
    for (kind, id, unknown_status) in [
        ("payouts", paid.to_string(), "/v1/payouts?status=paid"),
        (
            "charges",
            charge_id.to_string(),
            "/v1/charges?status=succeeded",
        ),
        (
            "beneficiaries",
            beneficiary_id.to_string(),
            "/v1/beneficiaries?status=paid",
        ),
    ] {
        let list = format!("/v1/{kind}");
        let one = format!("/v1/{kind}/{{id}}");
        let events = format!("/v1/{kind}/{{id}}/events");
        cases.extend([
            case("get", list.clone(), &list, 200),
            case("get", format!("{list}?limit=500"), &list, 200),
            case("get", format!("{list}?limit=0"), &list, 400),
            case("get", format!("{list}?limit=501"), &list, 400),
            case("get", format!("{list}?cursor=zz"), &list, 400),
            case("get", format!("{list}?colour=red"), &list, 400),
            case("get", unknown_status, &list, 400),
            case("get", format!("/v1/{kind}/{id}"), &one, 200),
            case("get", format!("/v1/{kind}/{unknown}"), &one, 404),
            case("get", format!("/v1/{kind}/nope"), &one, 400),
            case("get", format!("/v1/{kind}/{id}/events"), &events, 200),
            case("get", format!("/v1/{kind}/{unknown}/events"), &events, 404),
            case("get", format!("/v1/{kind}/nope/events"), &events, 400),
        ]);
    }
    cases.extend([
        case("get", "/v1/payouts?limit=1", "/v1/payouts", 200),
        case(
            "get",
            format!("/v1/payouts?limit=1&cursor={cursor}"),
            "/v1/payouts",
            200,
        ),
        case(
            "get",
            "/v1/payouts?status=succeeded&provider=cashy-co&external_id=oa-paid",
            "/v1/payouts",
            200,
        ),
        case(
            "get",
            "/v1/payouts?provider=Not%20An%20Id",
            "/v1/payouts",
            400,
        ),
        case(
            "get",
            "/v1/charges?status=paid&provider=a55",
            "/v1/charges",
            200,
        ),
        case(
            "get",
            "/v1/beneficiaries?status=active",
            "/v1/beneficiaries",
            200,
        ),
        case(
            "get",
            "/v1/beneficiaries?provider=any",
            "/v1/beneficiaries",
            400,
        ),
        case(
            "get",
            format!(
                "/v1/payouts?q={paid}&min_amount=0.01&max_amount=1000000&from=2026-01-01&to={today}"
            ),
            "/v1/payouts",
            200,
        ),
        case("get", "/v1/payouts?q=oa-paid", "/v1/payouts", 200),
        case("get", "/v1/payouts?min_amount=-1", "/v1/payouts", 400),
        case("get", "/v1/payouts?from=soon", "/v1/payouts", 400),
        case(
            "get",
            "/v1/charges?min_amount=10&max_amount=9",
            "/v1/charges",
            400,
        ),
        case(
            "get",
            "/v1/beneficiaries?max_amount=5",
            "/v1/beneficiaries",
            400,
        ),
    ]);
    // A statement that agrees on one payout, differs on another and names an unknown order;
    // and one that cannot be read.
    let statement = format!(
        "date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref\n\
         {today},cashy-co,{},P-1,SUCCESS,250000,COP,2475.5,2026-12-06 08:42:54,CH-o1\n\
         {today},cashy-co,{},P-1,SUCCESS,250000,COP,,,\n\
         {today},cashy-co,{},P-9,SUCCESS,1000,COP,,,\n",
        submission_handle(paid),
        submission_handle(failed),
        submission_handle(giro_domain::OrderId::from_uuid(unknown)),
    );
    let mut reconcile = case("post", "/v1/reconcile", "/v1/reconcile", 200);
    reconcile["body"] = json!(statement);
    let mut unreadable = case("post", "/v1/reconcile", "/v1/reconcile", 400);
    unreadable["body"] = json!("date,provider\n2026-12-06,x\n");
    cases.extend([reconcile, unreadable]);
    // The audit of operator actions, and signing in (no keys here: everything is open).
    let mut not_a_form = case("post", "/login", "/login", 415);
    not_a_form["body"] = json!("token=abc");
    let mut not_an_action_form = case(
        "post",
        format!("/payouts/{paid}/actions/note"),
        "/payouts/{id}/actions/{action}",
        415,
    );
    not_an_action_form["body"] = json!("text=hello");
    cases.extend([
        case("get", "/api/audit", "/api/audit", 200),
        case(
            "get",
            "/api/audit?outcome=refused&limit=5",
            "/api/audit",
            200,
        ),
        case("get", "/api/audit?outcome=maybe", "/api/audit", 400),
        case("get", "/api/audit?colour=red", "/api/audit", 400),
        case("get", "/audit", "/audit", 200),
        case("get", "/login", "/login", 200),
        case("post", "/logout", "/logout", 303),
        not_a_form,
        not_an_action_form,
    ]);

    // Every operation the document gives the projection is exercised here.
    let doc = document();
    let projection = &documented_routes(&doc)["http://127.0.0.1:8082"];
    let exercised: BTreeSet<Route> = cases
        .iter()
        .map(|c| {
            (
                c["method"].as_str().unwrap().to_string(),
                c["template"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let missed: Vec<&Route> = projection.difference(&exercised).collect();
    assert!(
        missed.is_empty(),
        "operations of the projection no live answer is checked for: {missed:?}"
    );

    let cases_file = std::env::temp_dir().join(format!("giro-openapi-cases-{}.json", schema.name));
    std::fs::write(&cases_file, serde_json::to_vec_pretty(&cases).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/openapi_validate.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(&base)
        .arg(&cases_file)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let _ = std::fs::remove_file(&cases_file);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "Python jsonschema refuses live answers:\n{said}"
    );
    assert!(
        said.contains(&format!("{} answers match", cases.len())),
        "{said}"
    );
}
