//! KillB pays from a pre-funded balance: with funds for half a batch, two executor instances pay
//! half and hold the rest without ever sending KillB a payout it cannot cover; a top-up at KillB
//! releases the held ones.

use std::time::{Duration, Instant};

use giro_domain::payout::PayoutStatus;
use giro_e2e::{Stack, StackOptions};
use giro_sandbox::killb::defaults::ACCOUNT as KILLB_ACCOUNT;
use rust_decimal::Decimal;
use serde_json::json;

const BATCH: usize = 10;
const AMOUNT: i64 = 150_000;

async fn killb_balance(stack: &Stack) -> Decimal {
    // The pre-fund account's balance (KILLB_ACCOUNT), as the KillB instance reads it.
    let killb = stack.registry.instance("killb").expect("killb instance");
    let payouts = killb.payouts.as_ref().expect("killb pays out");
    payouts
        .balance(giro_domain::Currency::COP)
        .await
        .expect("a pre-funded provider")
        .expect("KillB answers balances")
}

async fn count(stack: &Stack, ids: &[giro_domain::OrderId], status: PayoutStatus) -> usize {
    let mut n = 0;
    for id in ids {
        if stack.status(*id).await == status {
            n += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_the_funds_pay_half_the_batch_and_hold_the_rest_until_a_top_up() {
    let half = Decimal::from(AMOUNT * (BATCH as i64) / 2);
    let stack = Stack::start(StackOptions {
        sandbox: vec![format!("--killb-balance={half}")],
        executors: 2,
        ..StackOptions::default()
    })
    .await;
    let mut ids = vec![];
    for i in 0..BATCH {
        ids.push(
            stack
                .create(&format!("funds-{i}"), "killb", &AMOUNT.to_string())
                .await,
        );
    }

    // Half are paid, half wait for funds; nothing else happens to them.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let paid = count(&stack, &ids, PayoutStatus::Succeeded).await;
        let held = count(&stack, &ids, PayoutStatus::Held).await;
        if paid == BATCH / 2 && held == BATCH / 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{paid} paid and {held} held of {BATCH}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(killb_balance(&stack).await, Decimal::ZERO);
    let summary = stack.sandbox.registry().summary();
    assert_eq!(summary.orders as usize, BATCH / 2, "{summary:?}");
    let refused: u32 = stack
        .sandbox
        .registry()
        .handles(Some("killb"))
        .iter()
        .map(|h| h.refused)
        .sum();
    assert_eq!(
        refused, 0,
        "KillB was never sent a payout it could not cover"
    );

    // A top-up at KillB releases them.
    let url = format!(
        "{}/_sandbox/killb/balances/{KILLB_ACCOUNT}/topup",
        stack.sandbox.killb_url().expect("killb")
    );
    let topped = reqwest::Client::new()
        .post(url)
        .json(&json!({"amount": half.to_string()}))
        .send()
        .await
        .expect("top-up");
    assert!(topped.status().is_success(), "{topped:?}");
    let statuses = stack
        .wait_for(&ids, Duration::from_secs(30), |s| s.is_terminal())
        .await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Succeeded),
        "{statuses:?}"
    );
    assert_eq!(killb_balance(&stack).await, Decimal::ZERO);
    let summary = stack.sandbox.registry().summary();
    assert!(summary.at_most_once, "{summary:?}");
    assert_eq!(summary.orders as usize, BATCH);
    for id in &ids {
        stack.assert_gapless(*id).await;
    }
    // The held ones went through `held` on their way (and maybe a paid one briefly, while its
    // debit at KillB and its own reservation were both counted: the ledger errs on the safe side).
    let mut held_first = 0;
    for id in &ids {
        if stack.event_types(*id).await.contains(&"payout.held") {
            held_first += 1;
        }
    }
    assert!(held_first >= BATCH / 2, "{held_first} were held");
}
