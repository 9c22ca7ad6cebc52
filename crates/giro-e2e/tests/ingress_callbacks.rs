//! The sandboxes' own callbacks drive orders to their end through the ingress: the executors submit
//! but never poll, so only a webhook can finish an order. The sandbox's journal
//! (`GET /_sandbox/orders`) shows each callback answered 200 in the provider's success form, and
//! the orders' events show the webhook's report.

use std::time::Duration;

use giro_domain::charge::{ChargeDecider, ChargeEvent, ChargeStatus};
use giro_domain::payout::{PayoutDecider, PayoutEvent, PayoutStatus, ReportSource};
use giro_domain::{OrderId, SubmissionHandle};
use giro_e2e::{Stack, StackOptions};
use giro_executor::Timings;
use giro_sandbox::{CallbackOutcome, OrderReport};

const WITHIN: Duration = Duration::from_secs(60);

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Executors that submit and never poll: an order ends only when a webhook says so.
async fn webhook_only_stack(a55_legacy: bool) -> Stack {
    let timings = Timings {
        poll_after: Duration::from_secs(3600),
        poll_max: Duration::from_secs(3600),
        ..StackOptions::default().timings
    };
    Stack::start(StackOptions {
        timings,
        sandbox: if a55_legacy {
            vec!["--a55-legacy-webhooks".into()]
        } else {
            vec![]
        },
        ..StackOptions::default()
    })
    .await
}

fn handle(id: OrderId) -> String {
    SubmissionHandle {
        order_id: id,
        attempt: 1,
    }
    .to_string()
}

/// The sandbox's record of the order submitted under `id`'s first handle, read over HTTP.
async fn sandbox_order(stack: &Stack, provider: &str, id: OrderId) -> OrderReport {
    let url = format!("{}/_sandbox/orders", stack.sandbox.killb_url().unwrap());
    let orders: Vec<OrderReport> = http()
        .get(url)
        .query(&[("provider", provider), ("handle", &handle(id))])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders.len(), 1, "{provider}: {orders:?}");
    orders.into_iter().next().unwrap()
}

/// Asserts every callback of the order was answered 200 with `ack` and acknowledged at once,
/// and that there was at least one.
fn assert_acknowledged(report: &OrderReport, ack: &str) {
    let callbacks = &report.order.callbacks;
    assert!(!callbacks.is_empty(), "no callback was sent: {report:?}");
    for attempt in callbacks {
        assert_eq!(attempt.http_status, Some(200), "{attempt:?}");
        assert_eq!(attempt.body.trim(), ack, "{attempt:?}");
        assert_eq!(
            attempt.outcome,
            CallbackOutcome::Acknowledged,
            "{attempt:?}"
        );
        assert_eq!(attempt.attempt, 1, "a callback was retried: {attempt:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandboxes_callbacks_alone_finish_payouts_answered_in_each_providers_form() {
    let stack = webhook_only_stack(false).await;
    let cases = [
        ("killb", "500000", ""),
        ("cashy-co", "150000", "SUCCESS"),
        ("cashy-tz", "5000", r#"{"status":"SUCCESS"}"#),
    ];
    let mut ids = vec![];
    for (provider, amount, _) in &cases {
        ids.push(
            stack
                .create(&format!("hook-{provider}"), provider, amount)
                .await,
        );
    }
    let statuses = stack
        .wait_for(&ids, WITHIN, |s| s == PayoutStatus::Succeeded)
        .await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Succeeded),
        "{statuses:?}"
    );

    for ((provider, _, ack), id) in cases.iter().zip(&ids) {
        let report = sandbox_order(&stack, provider, *id).await;
        assert_acknowledged(&report, ack);
        let order = stack.log.log.load::<PayoutDecider>(*id).await.unwrap();
        let reports: Vec<_> = order
            .events
            .iter()
            .filter_map(|e| match &e.event {
                PayoutEvent::ProviderStatus(r) => Some(r),
                _ => None,
            })
            .collect();
        assert!(
            reports.iter().all(|r| r.source != ReportSource::Poll),
            "{provider}: polled although polling is off: {reports:?}"
        );
        // The report that finished it came from the webhook, before its consequence.
        let from_webhook = order.events.iter().position(|e| {
            matches!(&e.event, PayoutEvent::ProviderStatus(r)
                if r.source == ReportSource::Webhook && matches!(r.raw_status.as_str(), "COMPLETED" | "SUCCESS"))
        });
        let succeeded = order
            .events
            .iter()
            .position(|e| matches!(e.event, PayoutEvent::Succeeded(_)));
        assert!(
            from_webhook.is_some() && from_webhook < succeeded,
            "{provider}: {:?}",
            stack.event_types(*id).await
        );
        stack.assert_gapless(*id).await;
    }
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_unsigned_webhook_stores_what_a55_now_says() {
    // A55 sends its older unsigned webhooks; the ingress reads each charge back from A55 and
    // records what A55 answers. With polling off, only those reads can move the charge.
    let stack = webhook_only_stack(true).await;
    let id = stack.create_charge("legacy-hook", "150.00", "pix").await;
    let charge = stack
        .wait_charge(id, WITHIN, |c| c.status == ChargeStatus::Paid)
        .await;
    assert_eq!(charge.status, ChargeStatus::Paid);

    let order = stack.log.log.load::<ChargeDecider>(id).await.unwrap();
    let reports: Vec<_> = order
        .events
        .iter()
        .filter_map(|e| match &e.event {
            ChargeEvent::ProviderStatus(r) => Some(r),
            _ => None,
        })
        .collect();
    assert!(
        reports.iter().all(|r| r.source != ReportSource::Poll),
        "polled although polling is off: {reports:?}"
    );
    let paid_report = order.events.iter().position(|e| {
        matches!(&e.event, ChargeEvent::ProviderStatus(r)
            if r.source == ReportSource::Webhook && r.raw_status == "paid")
    });
    let paid = order
        .events
        .iter()
        .position(|e| matches!(e.event, ChargeEvent::Paid(_)));
    assert!(
        paid_report.is_some() && paid_report < paid,
        "{:?}",
        stack.charge_event_types(id).await
    );
    // The submission answered `issued`/`pending`: `paid` is a new report, stored once.
    let types = stack.charge_event_types(id).await;
    assert_eq!(
        types.iter().filter(|t| **t == "charge.paid").count(),
        1,
        "{types:?}"
    );
    stack.assert_gapless_charge(id).await;

    // A55's journal: the unsigned webhooks were answered 200 (after the read-back).
    let report = sandbox_order(&stack, "a55", id).await;
    assert_acknowledged(&report, "");
    assert_eq!(report.order.status, "paid");
}
