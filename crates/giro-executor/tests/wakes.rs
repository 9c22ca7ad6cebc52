//! The schedules stream keeps only what is still to come: at start-up the executor sweeps the
//! wakes its consumer has already acknowledged (left behind by versions that did not delete a
//! wake once it had done its work) and keeps every wake not yet handled.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use futures::StreamExt;
use giro_domain::OrderId;
use giro_eventlog::test_support::TestLog;
use giro_executor::wakes::{WAKES_CONSUMER, Wakes, schedules_stream, wake_subject};

async fn kept(stream: &jetstream::stream::Stream, subject: &str) -> bool {
    stream
        .get_last_raw_message_by_subject(subject)
        .await
        .is_ok()
}

#[tokio::test]
async fn acknowledged_wakes_are_swept_at_start_up_and_pending_ones_kept() {
    let t = TestLog::new().await;
    Wakes::open(&t.log).await.expect("the schedules stream");
    let js = jetstream::new(t.client.clone());
    let subjects: Vec<String> = (0..3)
        .map(|_| {
            wake_subject(
                &t.config.prefix,
                "payout",
                &OrderId::from_uuid(uuid::Uuid::new_v4()).to_string(),
            )
        })
        .collect();
    for subject in &subjects {
        js.publish(subject.clone(), "{}".into())
            .await
            .expect("published")
            .await
            .expect("stored");
    }
    // An earlier version's consumer handled the first two wakes and left them in the stream.
    let stream = js
        .get_stream(schedules_stream(&t.config.stream))
        .await
        .expect("the schedules stream");
    let consumer: PullConsumer = stream
        .get_consumer(WAKES_CONSUMER)
        .await
        .expect("the wakes consumer");
    let mut batch = consumer
        .fetch()
        .max_messages(2)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .expect("a fetch");
    let mut handled = 0;
    while let Some(message) = batch.next().await {
        message.expect("a wake").double_ack().await.expect("acked");
        handled += 1;
    }
    assert_eq!(handled, 2);
    for subject in &subjects {
        assert!(kept(&stream, subject).await, "{subject} before the sweep");
    }

    Wakes::open(&t.log).await.expect("opened again");
    assert!(
        !kept(&stream, &subjects[0]).await,
        "the first handled wake stayed"
    );
    assert!(
        !kept(&stream, &subjects[1]).await,
        "the second handled wake stayed"
    );
    assert!(
        kept(&stream, &subjects[2]).await,
        "a wake not yet handled was swept"
    );
}
