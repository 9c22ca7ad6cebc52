//! Approvals (maker–checker) and velocity limits on the real stack (issue #18): a payout over a
//! rule waits in `pending_approval` with no provider seeing it, until an approver other than its
//! requester approves (then it is paid once) or rejects it, or it expires; refusals are replies.

use std::time::Duration;

use giro_auth::Role;
use giro_auth::dev::DevKeys;
use giro_domain::OrderId;
use giro_domain::approvals::ApprovalPolicy;
use giro_domain::payout::PayoutStatus;
use giro_e2e::{Stack, StackOptions, TempDir, dev_verifier};
use giro_intake::Reply;
use giro_projection::ProjectionConfig;
use giro_projection::test_support::TestSchema;
use giro_sandbox::simulator::{SampleKind, sample_for};
use serde_json::json;

const WITHIN: Duration = Duration::from_secs(30);
const HOUR: Duration = Duration::from_secs(3_600);

const POLICY: &str = r#"{
  "rules": [{"name": "large-cop", "currency": "COP", "min_amount": "2000000"}],
  "velocity": [{"name": "cop-twice-a-day", "currency": "COP", "max_count": 2}],
  "expire_after_seconds": 3
}"#;

/// A cashy-co payout body of `amount` COP to the sample beneficiary `n`.
fn body(key: &str, amount: &str, n: usize) -> String {
    let sample = sample_for(SampleKind::Payout, Some("cashy-co")).expect("cashy-co pays out");
    sample.body(&sample.order(key, amount, n)).to_string()
}

fn id_of(reply: &Reply) -> OrderId {
    assert!(reply.ok, "{reply:?}");
    reply
        .str("order_id")
        .and_then(|s| s.parse().ok())
        .expect("an order id")
}

fn code(reply: &Reply) -> Option<&'static str> {
    reply.code().map(|c| c.as_str())
}

async fn wait_status(stack: &Stack, id: OrderId, want: PayoutStatus) {
    let got = stack.wait_for(&[id], WITHIN, |s| s == want).await;
    assert_eq!(got, [want], "{:?}", stack.event_types(id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_over_a_rule_waits_for_another_persons_approval_and_is_paid_once() {
    let dir = TempDir::new("giro-appr");
    let keys = DevKeys::ensure(&dir.0).expect("development keys");
    let maker = keys.mint("maria", &[Role::Operator], HOUR).unwrap();
    let checker = keys.mint("carla", &[Role::Approver], HOUR).unwrap();
    let operator_only = keys.mint("otto", &[Role::Operator], HOUR).unwrap();
    let stack = Stack::start(StackOptions::default()).await;
    let (_intake, client) = stack
        .start_intake_with(giro_intake::IntakeConfig {
            operators: Some(dev_verifier(&keys)),
            approvals: ApprovalPolicy::parse(POLICY).unwrap(),
            ..giro_intake::IntakeConfig::default()
        })
        .await;

    // Under the rule: paid at once.
    let small = id_of(&client.create_payout(body("ap-small", "150000", 1)).await);
    // Over it, asked by maria: pending, and no provider sees it.
    let reply = client
        .create_payout_as(body("ap-large", "3000000", 2), &maker)
        .await;
    assert_eq!(reply.str("status"), Some("pending_approval"), "{reply:?}");
    let large = id_of(&reply);
    wait_status(&stack, small, PayoutStatus::Succeeded).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.status(large).await, PayoutStatus::PendingApproval);
    assert!(stack.sandbox_orders("cashy-co", large).is_empty());

    // The maker may not approve; an operator without the approver role may not either.
    let approve = json!({"order_id": large.to_string(), "reason": "invoice checked"});
    let own = client.operate("payout.approve", &approve, &maker).await;
    assert_eq!(code(&own), Some("forbidden"), "{own:?}");
    let no_role = client
        .operate("payout.approve", &approve, &operator_only)
        .await;
    assert_eq!(code(&no_role), Some("forbidden"), "{no_role:?}");
    let no_token = client
        .operate("payout.approve", &approve, "not-a-jwt")
        .await;
    assert_eq!(code(&no_token), Some("unauthorized"), "{no_token:?}");
    // Carla approves: it is paid, once.
    let approved = client.operate("payout.approve", &approve, &checker).await;
    assert!(approved.ok, "{approved:?}");
    assert_eq!(approved.str("by"), Some("carla"));
    wait_status(&stack, large, PayoutStatus::Succeeded).await;
    assert_eq!(stack.sandbox_orders("cashy-co", large).len(), 1);
    let again = client.operate("payout.approve", &approve, &checker).await;
    assert!(again.ok, "{again:?}");
    let too_late = client
        .operate(
            "payout.reject",
            &json!({"order_id": large.to_string(), "reason": "second thoughts"}),
            &checker,
        )
        .await;
    assert_eq!(code(&too_late), Some("invalid_state"), "{too_late:?}");

    // Rejected from the console's button (the same command, with the signed-in approver's
    // token): cancelled, never sent. The maker's own button is refused, and the page says why.
    let schema = TestSchema::new();
    let projection = stack
        .start_projection(
            &schema,
            ProjectionConfig {
                ..ProjectionConfig::default()
            },
        )
        .await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let rejected = id_of(
        &client
            .create_payout_as(body("ap-rejected", "2500000", 3), &maker)
            .await,
    );
    let url = format!(
        "http://{}/payouts/{rejected}/actions/reject",
        projection.local_addr()
    );
    let mut answers = Vec::new();
    for (token, reason) in [(&maker, "mine after all"), (&checker, "duplicate invoice")] {
        let answer = browser
            .post(&url)
            .header("Cookie", format!("giro_token={token}"))
            .form(&[("reason", reason)])
            .send()
            .await
            .expect("the console answers");
        assert_eq!(answer.status().as_u16(), 303);
        answers.push(answer.headers()["location"].to_str().unwrap().to_string());
    }
    assert!(answers[0].contains("refused=forbidden"), "{answers:?}");
    assert!(answers[1].ends_with("?done=reject"), "{answers:?}");
    assert_eq!(stack.status(rejected).await, PayoutStatus::Cancelled);
    let events = stack.event_types(rejected).await;
    assert!(events.contains(&"payout.approval_rejected"), "{events:?}");

    // Unanswered: it expires (3 s) through its schedule, and is never sent.
    let expiring = id_of(
        &client
            .create_payout(body("ap-expiring", "2500000", 4))
            .await,
    );
    wait_status(&stack, expiring, PayoutStatus::Cancelled).await;
    assert!(
        stack
            .event_types(expiring)
            .await
            .contains(&"payout.approval_expired")
    );

    // Velocity: the third payout of the day to one beneficiary waits, the first two do not.
    let mut statuses = Vec::new();
    for n in 0..3 {
        let reply = client
            .create_payout(body(&format!("ap-velocity-{n}"), "100000", 9))
            .await;
        statuses.push(reply.str("status").unwrap_or_default().to_string());
    }
    assert_eq!(statuses, ["requested", "requested", "pending_approval"]);

    // Decided one after the other even when they come at once: a payout resent takes no second
    // place in its beneficiary's day, and of five sent together to a beneficiary with one place
    // left, exactly one goes through.
    for _ in 0..3 {
        let reply = client
            .create_payout(body("ap-burst-first", "100000", 10))
            .await;
        assert!(reply.ok, "{reply:?}");
    }
    let burst = futures::future::join_all((0..5).map(|n| {
        let body = body(&format!("ap-burst-{n}"), "100000", 10);
        let client = &client;
        async move { client.create_payout(body).await }
    }))
    .await;
    let mut burst: Vec<String> = burst
        .iter()
        .map(|r| r.str("status").unwrap_or_default().to_string())
        .collect();
    burst.sort();
    assert_eq!(
        burst,
        [
            "pending_approval",
            "pending_approval",
            "pending_approval",
            "pending_approval",
            "requested"
        ]
    );
    for id in [rejected, expiring] {
        assert!(
            stack.sandbox_orders("cashy-co", id).is_empty(),
            "{id} was sent"
        );
    }
}
