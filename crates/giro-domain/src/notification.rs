//! What internal services are told when a payout or charge changes status (CONTRACT.md §2,
//! "Notifications"): a stable, versioned message of its own, apart from the events, so that the
//! events may evolve while a subscriber keeps reading version 1. It carries references, figures
//! and codes only, never personal data (no names, accounts, documents or free-text reasons).
//!
//! Built from two states of one order, before and after one event: pure, like the deciders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::charge::{Charge, ChargeEvent};
use crate::envelope::{Envelope, EventType};
use crate::ids::{EventId, IdempotencyKey, OrderId, ProviderId};
use crate::money::Money;
use crate::payout::{Payout, PayoutEvent};

/// The version of the notification's shape; it is also a token of its subject
/// (`<prefix>.notify.v1.<kind>.<status>`). A change a subscriber could trip on is a new version
/// on new subjects, never a change of this one.
pub const NOTIFICATION_VERSION: u32 = 1;

/// The kinds of order that notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotifiedKind {
    Payout,
    Charge,
}

impl NotifiedKind {
    pub const ALL: [NotifiedKind; 2] = [NotifiedKind::Payout, NotifiedKind::Charge];

    /// The subject token and the `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifiedKind::Payout => "payout",
            NotifiedKind::Charge => "charge",
        }
    }
}

/// One status change of one order, as subscribers receive it on NATS and in a webhook's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Notification {
    /// The id of the event that changed the status: one notification per change, so a
    /// subscriber de-duplicates on it (it is also the NATS `Nats-Msg-Id` and `Giro-Webhook-Id`).
    pub id: EventId,
    /// The shape's version, [`NOTIFICATION_VERSION`].
    pub notification_version: u32,
    pub kind: NotifiedKind,
    pub order_id: OrderId,
    /// The caller's idempotency key of the order's create command.
    pub idempotency_key: IdempotencyKey,
    /// The caller's own reference, when it gave one.
    pub external_id: Option<String>,
    /// The order's status after the change: a payout status (`requested` … `refunded`) or a
    /// charge status (`requested` … `chargeback`), as CONTRACT.md §2 lists them.
    pub status: String,
    /// The status before the change; `null` when the order was just created.
    pub previous_status: Option<String>,
    /// The order's amount (a decimal string) and currency.
    #[serde(flatten)]
    pub money: Money,
    /// The provider instance the order is for.
    pub provider: ProviderId,
    /// Why the order failed (or its success was reversed), as a code (the provider's status
    /// or Giro's reason code); `null` otherwise. The message is not carried: it may quote the
    /// provider's words about the beneficiary.
    pub failure_code: Option<String>,
    /// The event that changed the status, e.g. `payout.succeeded`.
    pub event_type: String,
    /// The order's version after that event (its events counted from 1): a subscriber
    /// receiving notifications out of order keeps the highest.
    pub order_version: u64,
    /// When the event was recorded.
    pub occurred_at: DateTime<Utc>,
}

impl Notification {
    /// The NATS subject it is published on under `prefix`: version 1's subjects.
    pub fn subject(&self, prefix: &str) -> String {
        format!("{prefix}.notify.v1.{}.{}", self.kind.as_str(), self.status)
    }

    /// The notification of `event` when it changed the payout's status (`before` is the payout
    /// before it, `None` before its first event); `None` when the status stayed.
    pub fn of_payout(
        before: Option<&Payout>,
        after: &Payout,
        event: &Envelope<PayoutEvent>,
    ) -> Option<Notification> {
        let r = &after.request;
        let order = Notified {
            kind: NotifiedKind::Payout,
            order_id: after.id,
            idempotency_key: &r.idempotency_key,
            external_id: &r.external_id,
            money: r.money,
            provider: after.provider(),
            failure_code: after.failure.as_ref().map(|f| f.code.as_str()),
        };
        order.changed(
            before.map(|p| p.status.as_str()),
            after.status.as_str(),
            event,
        )
    }

    /// The notification of `event` when it changed the charge's status, like
    /// [`Notification::of_payout`].
    pub fn of_charge(
        before: Option<&Charge>,
        after: &Charge,
        event: &Envelope<ChargeEvent>,
    ) -> Option<Notification> {
        let r = &after.request;
        let order = Notified {
            kind: NotifiedKind::Charge,
            order_id: after.id,
            idempotency_key: &r.idempotency_key,
            external_id: &r.external_id,
            money: r.money,
            provider: &r.provider,
            failure_code: after.failure.as_ref().map(|f| f.code.as_str()),
        };
        order.changed(
            before.map(|c| c.status.as_str()),
            after.status.as_str(),
            event,
        )
    }
}

/// What a notification tells of its order, whatever its kind.
struct Notified<'a> {
    kind: NotifiedKind,
    order_id: OrderId,
    idempotency_key: &'a IdempotencyKey,
    external_id: &'a Option<String>,
    money: Money,
    provider: &'a ProviderId,
    failure_code: Option<&'a str>,
}

impl Notified<'_> {
    /// The notification of `event`, which moved the order from `previous` to `status`; `None`
    /// when the status stayed.
    fn changed<E: EventType>(
        self,
        previous: Option<&str>,
        status: &str,
        event: &Envelope<E>,
    ) -> Option<Notification> {
        (previous != Some(status)).then(|| Notification {
            id: event.id,
            notification_version: NOTIFICATION_VERSION,
            kind: self.kind,
            order_id: self.order_id,
            idempotency_key: self.idempotency_key.clone(),
            external_id: self.external_id.clone(),
            status: status.to_string(),
            previous_status: previous.map(str::to_string),
            money: self.money,
            provider: self.provider.clone(),
            failure_code: self.failure_code.map(str::to_string),
            event_type: event.event.event_type().to_string(),
            order_version: event.version,
            occurred_at: event.at,
        })
    }
}
