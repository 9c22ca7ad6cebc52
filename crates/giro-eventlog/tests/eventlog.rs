//! The event log against the real NATS on 127.0.0.1:4222, each test on its own stream.

use chrono::Utc;
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutEvent, PayoutStatus};
use giro_domain::provider::Catalog;
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::test_support::TestLog;
use giro_eventlog::{EVENT_TYPE_HEADER, Error, EventLog, ExecuteError};
use serde_json::json;

fn create(key: &str) -> (OrderId, PayoutCommand) {
    let body = json!({
        "idempotency_key": key, "provider": "cashy-tz", "amount": "5000", "currency": "TZS",
        "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "255712345678", "operator": "tigo"}
    });
    let draft = giro_domain::payout::parse_create(body.to_string().as_bytes()).unwrap();
    let cmd = draft.into_command(&Catalog::default(), None).unwrap();
    (cmd.order_id, PayoutCommand::Create(Box::new(cmd)))
}

/// Another handle of the test's process: its own connection, the test log's cache.
async fn sharing(t: &TestLog) -> EventLog {
    let client = async_nats::connect(giro_eventlog::test_support::nats_url())
        .await
        .unwrap();
    t.log.share(client).await.unwrap()
}

fn meta() -> EventMeta {
    EventMeta {
        correlation_id: "test".into(),
        causation_id: None,
    }
}

#[tokio::test]
async fn provisioning_is_idempotent_and_locks_the_stream_down() {
    let t = TestLog::new().await;
    // A second instance provisioning the same stream succeeds and changes nothing.
    EventLog::open(t.client.clone(), t.config.clone())
        .await
        .unwrap();
    let js = async_nats::jetstream::new(t.client.clone());
    let mut stream = js.get_stream(&t.config.stream).await.unwrap();
    let info = stream.info().await.unwrap();
    let c = &info.config;
    assert_eq!(c.subjects, vec![format!("{}.evt.>", t.config.prefix)]);
    assert_eq!(c.storage, async_nats::jetstream::stream::StorageType::File);
    assert!(c.deny_delete && c.deny_purge && c.allow_direct);
    assert_eq!(c.duplicate_window, std::time::Duration::from_secs(120));
    // deny_purge is enforced by the server.
    assert!(stream.purge().await.is_err());
}

#[tokio::test]
async fn execute_appends_versions_and_load_rebuilds() {
    let t = TestLog::new().await;
    let (id, cmd) = create("ev-1");
    let done = t
        .log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    assert_eq!(done.appended.len(), 1);
    t.log
        .execute::<PayoutDecider>(id, &PayoutCommand::StartSubmission, &meta(), false)
        .await
        .unwrap();
    let loaded = t.log.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(
        loaded.events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        loaded.state.as_ref().unwrap().status,
        PayoutStatus::Submitting
    );
    // A repeated create appends nothing.
    let again = t
        .log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    assert!(again.appended.is_empty());
    assert_eq!(again.order.version(), 2);
    // An unknown order loads empty.
    let (other, _) = create("ev-unknown");
    assert!(
        t.log
            .load::<PayoutDecider>(other)
            .await
            .unwrap()
            .state
            .is_none()
    );
}

#[tokio::test]
async fn a_stale_append_conflicts_and_stores_nothing() {
    let t = TestLog::new().await;
    let (id, cmd) = create("ev-2");
    t.log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    let subject = t.log.subject::<PayoutDecider>(id);
    let stale = t
        .log
        .append(
            &subject,
            id,
            giro_eventlog::Tail::default(),
            vec![(
                PayoutEvent::Held(giro_domain::payout::Held { reason: "x".into() }),
                None,
            )],
            &meta(),
            Utc::now(),
        )
        .await;
    assert!(
        matches!(stale, Err(Error::Conflict { expected: 0 })),
        "{stale:?}"
    );
    assert_eq!(
        t.log.load::<PayoutDecider>(id).await.unwrap().events.len(),
        1
    );
}

#[tokio::test]
async fn concurrent_writers_each_win_once_after_reloading() {
    let t = TestLog::new().await;
    let (id, cmd) = create("ev-3");
    t.log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    // Ten racing holds/cancels: all succeed or are refused by the decider; versions stay gapless.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let log = t.log.clone();
        let command = if i % 2 == 0 {
            PayoutCommand::Hold {
                reason: format!("h{i}"),
            }
        } else {
            PayoutCommand::Cancel { reason: None }
        };
        tasks.spawn(async move {
            log.execute::<PayoutDecider>(id, &command, &meta(), false)
                .await
        });
    }
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(_) | Err(ExecuteError::Rejected(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let loaded = t.log.load::<PayoutDecider>(id).await.unwrap();
    let versions: Vec<u64> = loaded.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>());
    assert_eq!(loaded.state.unwrap().status, PayoutStatus::Cancelled);
    assert!(
        loaded
            .events
            .iter()
            .filter(|e| matches!(e.event, PayoutEvent::Cancelled(_)))
            .count()
            == 1
    );
}

#[tokio::test]
async fn events_carry_type_msg_id_and_trace_headers() {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let t = TestLog::new().await;
    let (id, cmd) = create("ev-4");
    let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let span = SpanContext::new(
        trace_id,
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let cx = opentelemetry::Context::new().with_remote_span_context(span);
    let mut headers = async_nats::HeaderMap::new();
    giro_eventlog::trace::inject_context(&cx, &mut headers);
    assert!(
        headers
            .get("traceparent")
            .unwrap()
            .as_str()
            .contains("4bf92f3577b34da6a3ce929d0e0e4736")
    );

    // The append runs in a span continuing that trace (as intake's handler does): the stored
    // event must carry the trace on, as its own header.
    use tracing::Instrument;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::layer::SubscriberExt;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(
            opentelemetry::trace::TracerProvider::tracer(&provider, "test"),
        ));
    let _guard = tracing::subscriber::set_default(subscriber);
    let span = tracing::info_span!("intake.command");
    let _ = span.set_parent(cx.clone());
    let done = t
        .log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .instrument(span)
        .await
        .unwrap();
    let js = async_nats::jetstream::new(t.client.clone());
    let stream = js.get_stream(&t.config.stream).await.unwrap();
    let msg = stream
        .direct_get_first_for_subject(t.log.subject::<PayoutDecider>(id))
        .await
        .unwrap();
    assert_eq!(
        msg.headers.get(EVENT_TYPE_HEADER).unwrap().as_str(),
        "payout.requested"
    );
    let stored = msg
        .headers
        .get("traceparent")
        .expect("the stored event carries traceparent")
        .as_str()
        .to_string();
    assert!(
        stored.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-")
            && !stored.contains("00f067aa0ba902b7"),
        "the event continues the trace under the appending span, not the caller's: {stored}"
    );
    assert_eq!(
        msg.headers
            .get(giro_eventlog::PROVIDER_HEADER)
            .unwrap()
            .as_str(),
        "cashy-tz"
    );
    assert_eq!(
        msg.headers.get("Nats-Msg-Id").unwrap().as_str(),
        done.appended[0].id.to_string()
    );
    let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
    assert_eq!(body["type"], "payout.requested");
    assert_eq!(body["version"], 1);
    assert_eq!(body["order_id"], id.to_string());
    assert_eq!(body["meta"]["correlation_id"], "test");
    let extracted = giro_eventlog::trace::extract(&headers);
    assert_eq!(extracted.span().span_context().trace_id(), trace_id);
}

#[tokio::test]
async fn a_republished_event_is_deduplicated_by_its_id() {
    let t = TestLog::new().await;
    let (id, cmd) = create("ev-5");
    let done = t
        .log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    let env = &done.appended[0];
    // The same event published again (a retry after a lost ack) is acknowledged as a duplicate.
    let js = async_nats::jetstream::new(t.client.clone());
    let ack = js
        .send_publish(
            t.log.subject::<PayoutDecider>(id),
            async_nats::jetstream::message::PublishMessage::build()
                .payload(serde_json::to_vec(env).unwrap().into())
                .message_id(env.id.to_string()),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(ack.duplicate);
    assert_eq!(
        t.log.load::<PayoutDecider>(id).await.unwrap().events.len(),
        1
    );
}

#[tokio::test]
async fn an_unreadable_event_is_reported_not_panicked_on() {
    let t = TestLog::new().await;
    let (id, _) = create("ev-6");
    let js = async_nats::jetstream::new(t.client.clone());
    js.publish(t.log.subject::<PayoutDecider>(id), "not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    match t.log.load::<PayoutDecider>(id).await {
        Err(Error::Corrupt { sequence, .. }) => assert!(sequence > 0),
        Err(other) => panic!("expected Corrupt, got {other}"),
        Ok(_) => panic!("expected Corrupt, got an order"),
    }
}

#[tokio::test]
async fn a_cached_order_reads_on_from_where_it_was_and_sees_other_writers() {
    let t = TestLog::new().await;
    let other = EventLog::open(t.client.clone(), t.config.clone())
        .await
        .unwrap();
    let (id, cmd) = create("ev-cache");
    t.log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    // Cached by this handle at version 1; another instance moves the order on twice.
    let first = t.log.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(first.version(), 1);
    for command in [
        PayoutCommand::Hold {
            reason: "waiting for funds".into(),
        },
        PayoutCommand::StartSubmission,
    ] {
        other
            .execute::<PayoutDecider>(id, &command, &meta(), false)
            .await
            .unwrap();
    }
    let later = t.log.load::<PayoutDecider>(id).await.unwrap();
    let fresh = other.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(later.version(), 3);
    assert_eq!(later.last_sequence, fresh.last_sequence);
    assert_eq!(later.state, fresh.state);
    let cold = t.log.load_from_start::<PayoutDecider>(id).await.unwrap();
    assert_eq!((cold.version(), cold.state), (3, fresh.state.clone()));
    assert_eq!(later.state.unwrap().status, PayoutStatus::Submitting);
    // A decision made from the stale cache still loses the race and is re-decided.
    let cancel = PayoutCommand::Cancel { reason: None };
    let refused = t
        .log
        .execute::<PayoutDecider>(id, &cancel, &meta(), false)
        .await;
    match refused {
        Err(ExecuteError::Rejected(r)) => assert!(r.to_string().contains("submitting"), "{r}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a payout being submitted was cancelled"),
    }
}

#[tokio::test]
async fn handles_of_one_process_share_their_cache_of_orders() {
    let t = TestLog::new().await;
    let other = sharing(&t).await;
    let stranger = EventLog::open(t.client.clone(), t.config.clone())
        .await
        .unwrap();
    let (id, cmd) = create("shared-1");
    t.log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    // The sharing handle knows the order without reading it; an unrelated handle reads it.
    let (seen, read) = other.load_cached::<PayoutDecider>(id).await.unwrap();
    assert!(!read, "a handle sharing the cache reads nothing");
    assert_eq!(seen.version(), 1);
    let (_, read) = stranger.load_cached::<PayoutDecider>(id).await.unwrap();
    assert!(read, "a handle of its own reads the log");
    // What the sharing handle appends (on its own connection) is known to the first at once.
    other
        .execute::<PayoutDecider>(id, &PayoutCommand::StartSubmission, &meta(), false)
        .await
        .unwrap();
    let (seen, read) = t.log.load_cached::<PayoutDecider>(id).await.unwrap();
    assert!(!read);
    assert_eq!(seen.version(), 2);
    assert_eq!(seen.state.unwrap().status, PayoutStatus::Submitting);
    // The stranger's view is behind (requested): its cancel is decided on it, stores nothing
    // stale, and is refused once decided again on the order as it is (submitting).
    let cancel = PayoutCommand::Cancel {
        reason: Some("test".into()),
    };
    let refused = stranger
        .execute::<PayoutDecider>(id, &cancel, &meta(), false)
        .await;
    assert!(
        matches!(refused, Err(ExecuteError::Rejected(_))),
        "{:?}",
        refused.map(|done| done.appended)
    );
    let truth = stranger.load_from_start::<PayoutDecider>(id).await.unwrap();
    assert_eq!(truth.version(), 2);
    assert_eq!(truth.state.unwrap().status, PayoutStatus::Submitting);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_of_one_process_take_turns_instead_of_racing() {
    let t = TestLog::new().await;
    let other = sharing(&t).await;
    let (id, cmd) = create("turns-1");
    let setup = [
        cmd,
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmitted {
            attempt: 1,
            provider_ref: Some("ref-1".into()),
            raw_status: None,
        },
    ];
    for command in &setup {
        t.log
            .execute::<PayoutDecider>(id, command, &meta(), false)
            .await
            .unwrap();
    }
    let conflicts = giro_telemetry::metrics::append_conflicts("payout");
    // Twelve reports at once on one order, through two handles of one process (an ingress taking
    // a provider's burst of callbacks, an executor recording a poll): each decided on what the
    // one before stored, none losing a race.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let log = if i % 2 == 0 {
            t.log.clone()
        } else {
            other.clone()
        };
        let report = in_flight(giro_domain::payout::ReportSource::Webhook, i);
        tasks.spawn(async move {
            log.execute::<PayoutDecider>(id, &report, &meta(), false)
                .await
                .map(|done| done.appended.len())
        });
    }
    while let Some(stored) = tasks.join_next().await {
        assert_eq!(stored.unwrap().unwrap(), 1);
    }
    assert_eq!(
        giro_telemetry::metrics::append_conflicts("payout") - conflicts,
        0,
        "a writer of this process lost a race to another"
    );
    let truth = t.log.load_from_start::<PayoutDecider>(id).await.unwrap();
    let versions: Vec<u64> = truth.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=15).collect::<Vec<_>>());
    assert_eq!(truth.state.unwrap().status, PayoutStatus::Processing);
}

/// The `i`th in-flight report of attempt 1 under `ref-1`, from `source`.
fn in_flight(source: giro_domain::payout::ReportSource, i: usize) -> PayoutCommand {
    use giro_domain::payout::{ProviderReport, ReportedOutcome};
    PayoutCommand::RecordReport(ProviderReport {
        source,
        raw_status: "PROCESSING".into(),
        outcome: ReportedOutcome::InFlight,
        report_id: format!("ref-1:PROCESSING:{i}"),
        provider_ref: Some("ref-1".into()),
        reason: None,
        fee: None,
        attempt: None,
        amount: None,
        completed_at: None,
        channel_ref: None,
        reported_at: None,
    })
}

#[tokio::test]
async fn a_long_history_read_cold_arrives_whole_and_in_order_across_batches() {
    let t = TestLog::new().await;
    let (id, cmd) = create("long-1");
    let (other, other_cmd) = create("long-2");
    let mut commands = vec![
        cmd,
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmitted {
            attempt: 1,
            provider_ref: Some("ref-1".into()),
            raw_status: None,
        },
    ];
    // More events than one batched read returns, interleaved with another order's.
    commands.extend((0..150).map(|i| in_flight(giro_domain::payout::ReportSource::Poll, i)));
    t.log
        .execute::<PayoutDecider>(other, &other_cmd, &meta(), false)
        .await
        .unwrap();
    for (i, command) in commands.iter().enumerate() {
        t.log
            .execute::<PayoutDecider>(id, command, &meta(), false)
            .await
            .unwrap();
        if i == 70 {
            t.log
                .execute::<PayoutDecider>(other, &PayoutCommand::StartSubmission, &meta(), false)
                .await
                .unwrap();
        }
    }
    let stranger = EventLog::open(t.client.clone(), t.config.clone())
        .await
        .unwrap();
    let cold = stranger.load_from_start::<PayoutDecider>(id).await.unwrap();
    let versions: Vec<u64> = cold.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=153).collect::<Vec<_>>());
    assert!(cold.events.iter().all(|e| e.order_id == id));
    let warm = t.log.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(cold.last_sequence, warm.last_sequence);
    assert_eq!(cold.state, warm.state);
    // The other order, read cold, has its two events only.
    let two = stranger
        .load_from_start::<PayoutDecider>(other)
        .await
        .unwrap();
    assert_eq!(two.version(), 2);
    // A delivered event read by a process that never saw its order: read up to it, not past it.
    let fifth = cold.events[4].clone();
    let sequence_of_fifth = {
        let js = async_nats::jetstream::new(t.client.clone());
        let stream = js.get_stream(&t.config.stream).await.unwrap();
        let subject = t.log.subject::<PayoutDecider>(id);
        let mut seq = 0;
        for _ in 0..5 {
            seq = stream
                .direct_get_next_for_subject(&subject, Some(seq + 1))
                .await
                .unwrap()
                .sequence;
        }
        seq
    };
    let third_party = EventLog::open(t.client.clone(), t.config.clone())
        .await
        .unwrap();
    let payload = serde_json::to_vec(&*fifth).unwrap();
    let delivered = third_party
        .load_delivered::<PayoutDecider>(id, sequence_of_fifth, &payload, None)
        .await
        .unwrap();
    match delivered {
        giro_eventlog::Delivered::Known(order) => {
            assert_eq!(order.version(), 5);
            assert_eq!(order.last_sequence, sequence_of_fifth);
        }
        giro_eventlog::Delivered::Superseded => {
            panic!("the fifth event is not superseded yet for a process that never saw the order")
        }
    }
}

/// The stored payloads of an order's subject, as anyone reading the stream sees them.
async fn raw_payloads(t: &TestLog, id: OrderId) -> Vec<String> {
    let stream = t.log.context().get_stream(&t.config.stream).await.unwrap();
    let subject = t.log.subject::<PayoutDecider>(id);
    let mut out = Vec::new();
    let mut next = 1;
    while let Ok(m) = stream
        .direct_get_next_for_subject(subject.as_str(), Some(next))
        .await
    {
        out.push(String::from_utf8(m.payload.to_vec()).unwrap());
        next = m.sequence + 1;
    }
    out
}

#[tokio::test]
async fn personal_data_is_sealed_in_the_stream_and_reads_erased_once_the_key_is_gone() {
    let t = TestLog::new().await;
    let (id, cmd) = create("ev-sealed");
    t.log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    let stored = raw_payloads(&t, id).await;
    assert_eq!(stored.len(), 1);
    for personal in ["Juma", "Hamisi", "255712345678", "712345678"] {
        assert!(!stored[0].contains(personal), "{personal} in {}", stored[0]);
    }
    assert!(stored[0].contains("pii:v1:") && stored[0].contains("5000"));
    // Another process (no cache) opens it with the key from the bucket.
    let fresh = TestLog::with_config(t.config.clone()).await;
    let loaded = fresh.log.load::<PayoutDecider>(id).await.unwrap();
    let p = loaded.state.unwrap();
    let json = p.request.beneficiary.masked().to_string();
    assert!(json.contains("J*** H***"), "{json}");
    // Erasure is refused while the payout is not final, then done once it is.
    let erase = PayoutCommand::ErasePersonalData {
        reason: "data subject request".into(),
    };
    let refused = t
        .log
        .execute::<PayoutDecider>(id, &erase, &meta(), false)
        .await;
    assert!(matches!(refused, Err(ExecuteError::Rejected(_))));
    let cancel = PayoutCommand::Cancel { reason: None };
    t.log
        .execute::<PayoutDecider>(id, &cancel, &meta(), false)
        .await
        .unwrap();
    let done = t
        .log
        .execute::<PayoutDecider>(id, &erase, &meta(), false)
        .await
        .unwrap();
    assert_eq!(done.appended.len(), 1);
    t.log
        .keys()
        .erase(&t.log.subject::<PayoutDecider>(id))
        .await
        .unwrap();
    // Here at once, elsewhere through the bucket: amount and status stay, the person is gone.
    for log in [&t.log, &fresh.log] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let p = loop {
            let p = log.load::<PayoutDecider>(id).await.unwrap().state.unwrap();
            if p.request
                .beneficiary
                .masked()
                .to_string()
                .contains("[erased]")
                || std::time::Instant::now() > deadline
            {
                break p;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(p.status, PayoutStatus::Cancelled);
        assert_eq!(p.request.money.amount().to_string(), "5000");
        assert!(p.personal_data_erased);
        let json = serde_json::to_string(&p.request.beneficiary).unwrap();
        assert!(
            !json.contains("Juma") && !json.contains("255712345678"),
            "{json}"
        );
        assert!(json.contains("[erased]"), "{json}");
    }
    let again = t
        .log
        .execute::<PayoutDecider>(id, &erase, &meta(), false)
        .await
        .unwrap();
    assert!(again.appended.is_empty(), "a second erasure is a repeat");
    let later = TestLog::with_config(t.config.clone()).await;
    let p = later
        .log
        .load_from_start::<PayoutDecider>(id)
        .await
        .unwrap();
    assert_eq!(p.events.len(), 3);
    assert!(
        p.state
            .unwrap()
            .request
            .beneficiary
            .masked()
            .to_string()
            .contains("[erased]")
    );
}
