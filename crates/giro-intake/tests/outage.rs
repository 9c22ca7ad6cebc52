//! With NATS or JetStream down, callers get `unavailable` (503) within their timeout, and the same
//! intake instance recovers when the server returns.

mod common;

use std::time::{Duration, Instant};

use common::*;
use giro_domain::ErrorCode;
use giro_eventlog::test_support::PrivateNats;
use giro_eventlog::{EventLog, EventLogConfig};
use giro_intake::{Intake, IntakeClient, IntakeConfig};

async fn connect_retrying(url: &str) -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(url)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_answers_unavailable_then_recovers_without_restart() {
    let mut nats = PrivateNats::start();
    let config = EventLogConfig {
        ack_timeout: Duration::from_secs(1),
        ..EventLogConfig::default()
    };
    let service_conn = connect_retrying(&nats.url()).await;
    let log = EventLog::open(service_conn.clone(), config.clone())
        .await
        .unwrap();
    let intake = Intake::start(service_conn, log, IntakeConfig::default())
        .await
        .unwrap();
    let client = IntakeClient::new(
        connect_retrying(&nats.url()).await,
        "giro",
        Duration::from_secs(3),
    );
    assert!(client.create_payout(payout("before").to_string()).await.ok);

    // NATS gone entirely: the caller's request ends as `unavailable` within its timeout.
    nats.stop();
    let t = Instant::now();
    let down = client.create_payout(payout("during").to_string()).await;
    assert_eq!(down.code(), Some(ErrorCode::Unavailable), "{down:?}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );

    // NATS back but JetStream not: intake answers 503 `unavailable` itself.
    nats.run(false);
    let deadline = Instant::now() + Duration::from_secs(20);
    let reply = loop {
        let r = client.create_payout(payout("no-js").to_string()).await;
        let served = r
            .error
            .as_ref()
            .is_some_and(|e| e.message.contains("event log"));
        if served || Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(reply.code(), Some(ErrorCode::Unavailable), "{reply:?}");
    assert_eq!(ErrorCode::Unavailable.status(), 503);

    // JetStream back (same store): the same instance serves again, and the first order survived.
    nats.run(true);
    let deadline = Instant::now() + Duration::from_secs(20);
    let recovered = loop {
        let r = client.create_payout(payout("after").to_string()).await;
        if r.ok || Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(recovered.ok, "{recovered:?}");
    let before = client.create_payout(payout("before").to_string()).await;
    assert_eq!(before.body["duplicate"], true, "{before:?}");
    intake.stop().await;
}
