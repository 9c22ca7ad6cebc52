//! With NATS or JetStream down, callers get `unavailable` (503) within their timeout, and the same
//! intake instance recovers when the server returns.

use crate::common;

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
    let wire = connect_retrying(&nats.url()).await;
    let client = IntakeClient::new(wire.clone(), "giro", Duration::from_secs(3));
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

    // NATS back but JetStream not: intake itself answers `unavailable` with the service-API
    // status 503, within the command's timeout (not a client-side time-out or "no responders").
    nats.run(false);
    let command_timeout = Duration::from_secs(3);
    let deadline = Instant::now() + Duration::from_secs(20);
    let (reply, took) = loop {
        let started = Instant::now();
        let request = async_nats::Request::new()
            .payload(payout("no-js").to_string().into())
            .timeout(Some(command_timeout));
        match wire.send_request("giro.cmd.payout.create", request).await {
            Ok(msg) => break (Wire::from_message(&msg), started.elapsed()),
            // Intake (or this connection) has not reconnected yet.
            Err(e) => assert!(Instant::now() < deadline, "intake never answered: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    expect(&reply, "unavailable", None, "503");
    assert!(took < command_timeout, "took {took:?}");
    let served = reply.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("event log"));
    assert!(served, "{:?}", reply.body);
    // The client passes the service's own answer on.
    let through_client = client.create_payout(payout("no-js").to_string()).await;
    assert_eq!(
        through_client.code(),
        Some(ErrorCode::Unavailable),
        "{through_client:?}"
    );
    let message = &through_client.error.as_ref().unwrap().message;
    assert!(message.contains("event log"), "{message}");

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
