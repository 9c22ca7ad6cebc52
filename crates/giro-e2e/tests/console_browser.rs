//! The operations console in a real browser (issue #18): Debian's headless Chromium, driven by
//! Playwright (`ops/tools/console-browser/check.mjs`, installed by `ops/dev test`), against the
//! real stack with operator keys configured. Olga (operator) signs in, filters the exceptions to
//! unknown outcomes, opens the payout stuck there, resolves it with the provider's evidence and
//! sees the exception close; Carla (approver) filters the payouts waiting for approval and
//! approves one, which is then paid once. What the browser did is checked again here from the
//! event log and the sandbox, not taken from the script's word.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use giro_auth::Role;
use giro_auth::dev::DevKeys;
use giro_domain::approvals::ApprovalPolicy;
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutEvent, PayoutStatus};
use giro_domain::{EventMeta, OrderId};
use giro_e2e::{Stack, StackOptions, TempDir, dev_verifier};
use giro_projection::test_support::TestSchema;
use giro_projection::{ProjectionConfig, StuckThresholds};
use giro_sandbox::simulator::{SampleKind, sample_for};
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(30);
const HOUR: Duration = Duration::from_secs(3_600);
const CHROMIUM: &str = "/usr/bin/chromium";

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ops/tools/console-browser")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_resolves_an_unknown_outcome_and_an_approver_approves_in_chromium() {
    let tools = tools();
    assert!(
        tools.join("node_modules/playwright-core").is_dir(),
        "Playwright is not installed in {}: run ops/dev test",
        tools.display()
    );
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run ops/dev test"
    );
    let dir = TempDir::new("giro-browser");
    let keys = DevKeys::ensure(&dir.0).expect("development keys");
    let olga = keys.mint("olga", &[Role::Operator], HOUR).unwrap();
    let carla = keys.mint("carla", &[Role::Approver], HOUR).unwrap();
    let maria = keys.mint("maria", &[Role::Operator], HOUR).unwrap();
    let mut stack = Stack::start(StackOptions::default()).await;
    let policy =
        r#"{"rules": [{"name": "large-cop", "currency": "COP", "min_amount": "2000000"}]}"#;
    let (_intake, client) = stack
        .start_intake_with(giro_intake::IntakeConfig {
            operators: Some(dev_verifier(&keys)),
            approvals: ApprovalPolicy::parse(policy).unwrap(),
            ..giro_intake::IntakeConfig::default()
        })
        .await;
    let schema = TestSchema::new();
    let projection = stack
        .start_projection(
            &schema,
            ProjectionConfig {
                linger: Duration::from_millis(5),
                // An unknown outcome is an exception at once, not after the executor's window.
                stuck: StuckThresholds {
                    submitting: Duration::ZERO,
                    ..StuckThresholds::default()
                },
                operators: giro_auth::AuthConfig {
                    keys_file: Some(keys.keys_file()),
                    issuer: Some(giro_auth::dev::DEV_ISSUER.into()),
                    audience: Some(giro_auth::dev::DEV_AUDIENCE.into()),
                },
                ..ProjectionConfig::default()
            },
        )
        .await;

    // A cashy-tz payout whose executor died mid-call: its outcome is unknown, and nobody retries.
    stack.kill_executor("cashy-tz").await;
    let unknown = stack.create("browser-unknown", "cashy-tz", "25000").await;
    for command in [
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordOutcomeUnknown {
            attempt: 1,
            reason: "the process died during the call".into(),
        },
    ] {
        stack
            .log
            .log
            .execute::<PayoutDecider>(unknown, &command, &EventMeta::default(), false)
            .await
            .expect("the executor's step is stored");
    }
    // A cashy-co payout over the approval rule, asked by maria.
    let sample = sample_for(SampleKind::Payout, Some("cashy-co")).expect("cashy-co pays out");
    let body = sample
        .body(&sample.order("browser-large", "3000000", 1))
        .to_string();
    let reply = client.create_payout_as(body, &maria).await;
    assert_eq!(reply.str("status"), Some("pending_approval"), "{reply:?}");
    let pending: OrderId = reply
        .str("order_id")
        .and_then(|s| s.parse().ok())
        .expect("an order id");

    // GIRO_BROWSER_SCREENSHOTS keeps the screenshots in a folder of one's choosing.
    let screenshots = std::env::var_os("GIRO_BROWSER_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.0.join("screenshots"));
    std::fs::create_dir_all(&screenshots).unwrap();
    let args = json!({
        "base": format!("http://{}", projection.local_addr()),
        "operator_token": olga,
        "approver_token": carla,
        "unknown": unknown.to_string(),
        "pending": pending.to_string(),
        "provider_ref": "TZ-BROWSER-77",
        "provider_status": "SUCCESSFUL",
        "screenshots": screenshots,
        "chromium": CHROMIUM,
    });
    let out = tokio::task::spawn_blocking({
        let check = tools.join("check.mjs");
        move || {
            Command::new("node")
                .arg(check)
                .arg(args.to_string())
                .output()
        }
    })
    .await
    .unwrap()
    .expect("node runs (Node.js 20 or later, installed by ops/dev test)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the browser run failed: {stderr}");
    let seen: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check.mjs printed no JSON ({e}): {stderr}"));
    println!("{seen:#}");
    assert_eq!(seen["steps"].as_array().map(Vec::len), Some(10), "{seen}");
    assert_eq!(seen["unknown_status_before"], "submitting", "{seen}");
    // The resolved list shows who closed it.
    let row = seen["resolved_row"].as_str().unwrap_or_default();
    assert!(row.contains("by payout.outcome_resolved (olga)"), "{row}");
    for shot in [
        "exceptions-outcome-unknown",
        "payout-resolved",
        "exceptions-resolved",
        "payouts-pending-approval",
        "payout-approved",
    ] {
        let png = std::fs::read(screenshots.join(format!("{shot}.png"))).expect(shot);
        assert!(png.starts_with(b"\x89PNG"), "{shot} is no PNG");
    }

    // What the clicks did, from the event log: the resolution carries olga's name and the
    // evidence typed in; the approval carla's; the approved payout was sent once.
    let resolved = stack.events(unknown).await;
    let resolution = resolved
        .iter()
        .find_map(|e| match e {
            PayoutEvent::OutcomeResolved(r) => Some(r),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no outcome_resolved: {resolved:?}"));
    assert_eq!(resolution.by, "olga");
    assert_eq!(resolution.evidence.provider_ref, "TZ-BROWSER-77");
    assert_eq!(resolution.evidence.provider_status, "SUCCESSFUL");
    assert_eq!(stack.status(unknown).await, PayoutStatus::Succeeded);
    assert!(stack.sandbox_orders("cashy-tz", unknown).is_empty());

    let approved = stack.events(pending).await;
    assert!(
        approved
            .iter()
            .any(|e| matches!(e, PayoutEvent::Approved(a) if a.by == "carla")),
        "{approved:?}"
    );
    let got = stack
        .wait_for(&[pending], WITHIN, |s| s == PayoutStatus::Succeeded)
        .await;
    assert_eq!(got, [PayoutStatus::Succeeded]);
    assert_eq!(stack.sandbox_orders("cashy-co", pending).len(), 1);
    projection.stop().await;
}
