//! A client for Giro's commands, used by the CLI, the benchmarks and tests. A request that cannot
//! reach a live intake (no connection, no responder, time-out) is answered `unavailable` like the
//! service itself answers when the event log is down, so callers handle one shape.

use std::time::Duration;

use async_nats::RequestErrorKind;
use bytes::Bytes;

use crate::reply::Reply;

/// Sends commands to `<prefix>.cmd.*` and queries to `<prefix>.query.*`.
#[derive(Clone, Debug)]
pub struct IntakeClient {
    client: async_nats::Client,
    prefix: String,
    timeout: Duration,
}

impl IntakeClient {
    pub fn new(client: async_nats::Client, prefix: impl Into<String>, timeout: Duration) -> Self {
        IntakeClient {
            client,
            prefix: prefix.into(),
            timeout,
        }
    }

    /// Sends a raw body to `<prefix>.<suffix>` (e.g. `cmd.payout.create`). "No responders" is
    /// answered at once by NATS, so it is retried with backoff within the timeout: during a rolling
    /// restart of intake the command still lands (commands are idempotent, so this is safe).
    pub async fn send(&self, suffix: &str, body: impl Into<Bytes>) -> Reply {
        self.send_as(suffix, body, None).await
    }

    /// A person's action (`<prefix>.cmd.ops.<action>`, e.g. `payout.resolve`) with the operator's
    /// bearer token, which intake verifies and whose subject it records as who acted. The CLI
    /// (`giro ops`) and the console's buttons both send through here.
    pub async fn operate(&self, action: &str, body: &serde_json::Value, token: &str) -> Reply {
        let suffix = ["cmd", "ops", action].join(".");
        self.send_as(&suffix, body.to_string(), Some(token)).await
    }

    async fn send_as(&self, suffix: &str, body: impl Into<Bytes>, token: Option<&str>) -> Reply {
        let subject = format!("{}.{suffix}", self.prefix);
        let body = body.into();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut backoff = Duration::from_millis(25);
        let result = loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            // The caller's trace continues in intake (W3C `traceparent` in the headers).
            let mut headers = async_nats::HeaderMap::new();
            giro_eventlog::trace::inject(&mut headers);
            if let Some(token) = token {
                headers.insert(
                    giro_auth::AUTHORIZATION_HEADER,
                    format!("Bearer {token}").as_str(),
                );
            }
            let request = async_nats::Request::new()
                .payload(body.clone())
                .headers(headers)
                .timeout(Some(left));
            match self.client.send_request(subject.clone(), request).await {
                Err(e) if e.kind() == RequestErrorKind::NoResponders && left > backoff => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
                other => break other,
            }
        };
        match result {
            Ok(message) => serde_json::from_slice(&message.payload).unwrap_or_else(|e| {
                Reply::unavailable(format!("unreadable reply from {subject}: {e}"))
            }),
            Err(e) => Reply::unavailable(match e.kind() {
                RequestErrorKind::TimedOut => {
                    format!(
                        "no reply on {subject} within {:?}; retry later",
                        self.timeout
                    )
                }
                RequestErrorKind::NoResponders => {
                    format!("no giro-intake instance is serving {subject}; retry later")
                }
                RequestErrorKind::Other => format!("cannot reach NATS for {subject}: {e}"),
                _ => format!("request on {subject} failed: {e}"),
            }),
        }
    }

    pub async fn create_payout(&self, body: impl Into<Bytes>) -> Reply {
        self.send("cmd.payout.create", body).await
    }

    /// `giro.cmd.payout.create` sent by a person: with their operator token, whose subject is
    /// recorded as the payout's requester (an approver must be someone else).
    pub async fn create_payout_as(&self, body: impl Into<Bytes>, token: &str) -> Reply {
        self.send_as("cmd.payout.create", body, Some(token)).await
    }

    pub async fn cancel_payout(&self, order_id: &str) -> Reply {
        let body = serde_json::json!({ "order_id": order_id }).to_string();
        self.send("cmd.payout.cancel", body).await
    }

    /// `giro.cmd.payout_batch.create`: a batch and its first part of items.
    pub async fn create_batch(&self, body: impl Into<Bytes>) -> Reply {
        self.send("cmd.payout_batch.create", body).await
    }

    /// `giro.cmd.payout_batch.add_items`: a further part of a batch's items.
    pub async fn add_batch_items(&self, body: impl Into<Bytes>) -> Reply {
        self.send("cmd.payout_batch.add_items", body).await
    }

    pub async fn cancel_batch(&self, batch_id: &str, reason: Option<&str>) -> Reply {
        let body = serde_json::json!({ "batch_id": batch_id, "reason": reason }).to_string();
        self.send("cmd.payout_batch.cancel", body).await
    }

    pub async fn create_charge(&self, body: impl Into<Bytes>) -> Reply {
        self.send("cmd.charge.create", body).await
    }

    pub async fn cancel_charge(&self, order_id: &str) -> Reply {
        let body = serde_json::json!({ "order_id": order_id }).to_string();
        self.send("cmd.charge.cancel", body).await
    }

    /// Refunds `amount` of a paid charge (all that is left when `None`).
    pub async fn refund_charge(&self, order_id: &str, amount: Option<&str>) -> Reply {
        let body = serde_json::json!({ "order_id": order_id, "amount": amount }).to_string();
        self.send("cmd.charge.refund", body).await
    }

    /// Captures `amount` of an authorised charge (all of it when `None`), for `reason`.
    pub async fn capture_charge(
        &self,
        order_id: &str,
        amount: Option<&str>,
        reason: Option<&str>,
    ) -> Reply {
        let body = serde_json::json!({ "order_id": order_id, "amount": amount, "reason": reason })
            .to_string();
        self.send("cmd.charge.capture", body).await
    }

    pub async fn register_beneficiary(&self, body: impl Into<Bytes>) -> Reply {
        self.send("cmd.beneficiary.register", body).await
    }

    /// Changes a beneficiary's updatable account fields (`giro.cmd.beneficiary.update`); `data`
    /// is the JSON object of new values.
    pub async fn update_beneficiary(
        &self,
        beneficiary_id: &str,
        data: serde_json::Value,
        reason: Option<&str>,
    ) -> Reply {
        let body = serde_json::json!({
            "beneficiary_id": beneficiary_id, "data": data, "reason": reason,
        })
        .to_string();
        self.send("cmd.beneficiary.update", body).await
    }

    /// Removes a beneficiary's account (`giro.cmd.beneficiary.remove`).
    pub async fn remove_beneficiary(&self, beneficiary_id: &str, reason: Option<&str>) -> Reply {
        let body =
            serde_json::json!({ "beneficiary_id": beneficiary_id, "reason": reason }).to_string();
        self.send("cmd.beneficiary.remove", body).await
    }

    /// Erases the personal data of a final payout or charge (`giro.cmd.privacy.erase`).
    pub async fn erase_order(&self, order_id: &str, reason: &str) -> Reply {
        let body = serde_json::json!({ "order_id": order_id, "reason": reason }).to_string();
        self.send("cmd.privacy.erase", body).await
    }

    pub async fn get_order(&self, order_id: &str) -> Reply {
        let body = serde_json::json!({ "order_id": order_id }).to_string();
        self.send("query.order.get", body).await
    }
}
