//! Batched direct gets (nats-server 2.11 and later): an order's events from a stream sequence on,
//! asked for in one request and streamed back to an inbox of the caller's, ended by an
//! end-of-batch status. A cold load of an order of six events is one round trip instead of seven
//! (one get per event and one more to learn there is none after).

use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;

use super::EventLog;
use crate::error::Error;

/// Events asked for per request: an order has about six, so one request nearly always reads it
/// whole; a longer history takes more.
pub(super) const BATCH: usize = 64;

/// One stored message of a batch.
pub(super) struct Stored {
    pub sequence: u64,
    pub headers: HeaderMap,
    pub payload: Bytes,
}

/// What one request read: the messages, oldest first, and whether more follow them.
pub(super) struct Batch {
    pub messages: Vec<Stored>,
    pub more: bool,
}

fn header_u64(headers: Option<&HeaderMap>, name: &str) -> Option<u64> {
    headers?.get(name)?.as_str().parse().ok()
}

impl EventLog {
    /// The messages of `subject` at or after stream sequence `from`, up to [`BATCH`] of them.
    pub(super) async fn read_batch(&self, subject: &str, from: u64) -> Result<Batch, Error> {
        let failed =
            |e: &dyn std::fmt::Display| Error::Unavailable(format!("reading {subject}: {e}"));
        let client = self.js.client();
        let inbox = client.new_inbox();
        let mut replies = client
            .subscribe(inbox.clone())
            .await
            .map_err(|e| failed(&e))?;
        let request = serde_json::json!({"seq": from, "next_by_subj": subject, "batch": BATCH});
        self.js
            .send_request(
                format!("DIRECT.GET.{}", self.config.stream),
                async_nats::Request::new()
                    .payload(request.to_string().into())
                    .inbox(inbox),
            )
            .await
            .map_err(|e| failed(&e))?;
        let mut messages = Vec::new();
        loop {
            let next = tokio::time::timeout(self.config.ack_timeout, replies.next()).await;
            let message = match next {
                Ok(Some(message)) => message,
                Ok(None) => return Err(failed(&"the reply subscription ended")),
                Err(_) => return Err(failed(&"no answer to a batched direct get")),
            };
            match message.status.map(|s| s.as_u16()) {
                None => {
                    let sequence = header_u64(message.headers.as_ref(), "Nats-Sequence")
                        .ok_or_else(|| failed(&"a batched message without Nats-Sequence"))?;
                    messages.push(Stored {
                        sequence,
                        headers: message.headers.unwrap_or_default(),
                        payload: message.payload,
                    });
                }
                // Nothing at or after `from`.
                Some(404) => {
                    return Ok(Batch {
                        messages,
                        more: false,
                    });
                }
                // End of batch: how many more the subject holds after what was sent.
                Some(204) => {
                    let pending = header_u64(message.headers.as_ref(), "Nats-Num-Pending");
                    let more = pending.map_or(messages.len() == BATCH, |p| p > 0);
                    return Ok(Batch { messages, more });
                }
                Some(code) => {
                    let status = match message.description.filter(|d| !d.trim().is_empty()) {
                        Some(reason) => format!("status {code} ({})", reason.trim()),
                        None => format!("status {code}"),
                    };
                    return Err(failed(&status));
                }
            }
        }
    }
}
