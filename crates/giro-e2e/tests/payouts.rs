//! Every payout provider instance against its sandbox, through executors and the webhook ingress,
//! reaches every terminal status the providers document, reversals and KillB refunds included.

use std::time::Duration;

use giro_domain::payout::PayoutStatus as S;
use giro_e2e::{Stack, StackOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_reaches_every_terminal_status() {
    let stack = Stack::start(StackOptions::default()).await;
    // (provider, amount, the status it must end in): the amount's last two digits pick the
    // sandbox scenario (crates/giro-sandbox/README.md).
    let cases = [
        ("killb", "500000", S::Succeeded),
        ("killb", "500011", S::Failed),
        ("killb", "500012", S::Failed),
        ("killb", "500013", S::Failed),
        ("killb", "500014", S::Refunded),
        ("killb", "500015", S::Succeeded),
        ("cashy-co", "150000", S::Succeeded),
        ("cashy-co", "150011", S::Failed),
        ("cashy-co", "150016", S::Failed),
        ("cashy-co", "150017", S::Reversed),
        ("cashy-co", "150018", S::Succeeded),
        ("cashy-tz", "5000", S::Succeeded),
        ("cashy-tz", "5011", S::Failed),
        ("cashy-tz", "5017", S::Reversed),
    ];
    let mut ids = vec![];
    for (i, (provider, amount, _)) in cases.iter().enumerate() {
        ids.push(stack.create(&format!("e2e-{i}"), provider, amount).await);
    }
    let expected: Vec<S> = cases.iter().map(|c| c.2).collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let statuses = loop {
        let mut statuses = vec![];
        for id in &ids {
            statuses.push(stack.status(*id).await);
        }
        if statuses == expected || std::time::Instant::now() > deadline {
            break statuses;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (i, ((provider, amount, want), got)) in cases.iter().zip(&statuses).enumerate() {
        assert_eq!(
            got,
            want,
            "case {i}: {provider} {amount}: {:?}",
            stack.event_types(ids[i]).await
        );
    }
    // The failed-then-succeeded Cashy payout shows both results; the reversal shows both too.
    let flip = stack.event_types(ids[10]).await;
    assert!(
        flip.contains(&"payout.failed") && flip.ends_with(&["payout.succeeded"]),
        "{flip:?}"
    );
    let reversal = stack.event_types(ids[9]).await;
    assert!(
        reversal.contains(&"payout.succeeded") && reversal.ends_with(&["payout.reversed"]),
        "{reversal:?}"
    );
    for id in &ids {
        stack.assert_gapless(*id).await;
    }
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
}
