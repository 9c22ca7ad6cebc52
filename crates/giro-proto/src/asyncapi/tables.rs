//! The fixed parts of the AsyncAPI document: the intake's endpoints, the event subjects, the
//! dead-letter subjects and the headers each carries. Data only; `super` turns it into the
//! document.

use serde_json::{Value, json};

/// One request/reply endpoint of `giro-intake`.
pub(super) struct Endpoint {
    pub(super) id: &'static str,
    pub(super) subject: &'static str,
    pub(super) summary: &'static str,
    pub(super) request: &'static str,
    pub(super) reply: &'static str,
}

/// Every request/reply endpoint of `giro-intake`.
pub(super) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        id: "payoutCreate",
        subject: "giro.cmd.payout.create",
        summary: "Accept a payout order.",
        request: "schemas/commands/payout.create.json",
        reply: "schemas/replies/payout.create.json",
    },
    Endpoint {
        id: "payoutCancel",
        subject: "giro.cmd.payout.cancel",
        summary: "Cancel a payout that has not yet been handed to a provider.",
        request: "schemas/commands/payout.cancel.json",
        reply: "schemas/replies/payout.cancel.json",
    },
    Endpoint {
        id: "payoutBatchCreate",
        subject: "giro.cmd.payout_batch.create",
        summary: "Accept a batch of payouts (1 to 10,000 items, in parts) with its first part: every item read by the payout.create rules, a part accepted whole or refused naming each invalid item.",
        request: "schemas/commands/payout_batch.create.json",
        reply: "schemas/replies/payout_batch.create.json",
    },
    Endpoint {
        id: "payoutBatchAddItems",
        subject: "giro.cmd.payout_batch.add_items",
        summary: "Add the next part of a batch's items (first_item: the items it holds so far).",
        request: "schemas/commands/payout_batch.add_items.json",
        reply: "schemas/replies/payout_batch.add_items.json",
    },
    Endpoint {
        id: "payoutBatchCancel",
        subject: "giro.cmd.payout_batch.cancel",
        summary: "Cancel every item of a batch no provider has yet; items a provider has continue.",
        request: "schemas/commands/payout_batch.cancel.json",
        reply: "schemas/replies/payout_batch.cancel.json",
    },
    Endpoint {
        id: "chargeCreate",
        subject: "giro.cmd.charge.create",
        summary: "Accept a charge (pay-in) order. Raw card data is refused with card_data_not_accepted.",
        request: "schemas/commands/charge.create.json",
        reply: "schemas/replies/charge.create.json",
    },
    Endpoint {
        id: "chargeCancel",
        subject: "giro.cmd.charge.cancel",
        summary: "Cancel a charge: at once while no provider has it, else asked of the provider.",
        request: "schemas/commands/charge.cancel.json",
        reply: "schemas/replies/charge.cancel.json",
    },
    Endpoint {
        id: "chargeRefund",
        subject: "giro.cmd.charge.refund",
        summary: "Refund a paid charge, wholly or in part (at most what is still refundable).",
        request: "schemas/commands/charge.refund.json",
        reply: "schemas/replies/charge.refund.json",
    },
    Endpoint {
        id: "chargeCapture",
        subject: "giro.cmd.charge.capture",
        summary: "Capture an authorised charge (created with capture false), wholly or in part.",
        request: "schemas/commands/charge.capture.json",
        reply: "schemas/replies/charge.capture.json",
    },
    Endpoint {
        id: "beneficiaryRegister",
        subject: "giro.cmd.beneficiary.register",
        summary: "Validate and register a beneficiary account at the accounts provider for later payouts.",
        request: "schemas/commands/beneficiary.register.json",
        reply: "schemas/replies/beneficiary.register.json",
    },
    Endpoint {
        id: "beneficiaryUpdate",
        subject: "giro.cmd.beneficiary.update",
        summary: "Change a registered account's updatable fields (document, CLABE, wallet address, account number, bank code) at the accounts provider, which may verify it again.",
        request: "schemas/commands/beneficiary.update.json",
        reply: "schemas/replies/beneficiary.update.json",
    },
    Endpoint {
        id: "beneficiaryRemove",
        subject: "giro.cmd.beneficiary.remove",
        summary: "Delete a registered account at the accounts provider: the beneficiary becomes INACTIVE for good and receives no more payouts.",
        request: "schemas/commands/beneficiary.remove.json",
        reply: "schemas/replies/beneficiary.remove.json",
    },
    Endpoint {
        id: "privacyErase",
        subject: "giro.cmd.privacy.erase",
        summary: "Erase the personal data of a final payout or charge, or of a beneficiary: its key is destroyed and its personal fields read [erased]; amounts, statuses and history stay.",
        request: "schemas/commands/privacy.erase.json",
        reply: "schemas/replies/privacy.erase.json",
    },
    Endpoint {
        id: "opsPayoutResolve",
        subject: "giro.cmd.ops.payout.resolve",
        summary: "Operator action: settle a payout whose outcome is unknown with the provider's reference and status (payout.outcome_resolved, then payout.succeeded or payout.failed). Needs an operator token (Authorization header).",
        request: "schemas/commands/ops.payout.resolve.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "opsPayoutRetry",
        subject: "giro.cmd.ops.payout.retry",
        summary: "Operator action: a failed payout no attempt of which can still be paid becomes requested again for a new attempt (payout.retried). Needs an operator token (Authorization header).",
        request: "schemas/commands/ops.payout.retry.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "opsPayoutRelease",
        subject: "giro.cmd.ops.payout.release",
        summary: "Operator action: a held payout becomes requested and its funds are checked again at once (payout.released). Needs an operator token (Authorization header).",
        request: "schemas/commands/ops.payout.release.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "opsPayoutCancel",
        subject: "giro.cmd.ops.payout.cancel",
        summary: "Operator action: cancel a scheduled, requested or held payout (payout.cancelled with by). Needs an operator token (Authorization header).",
        request: "schemas/commands/ops.payout.cancel.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "opsPayoutNote",
        subject: "giro.cmd.ops.payout.note",
        summary: "Operator action: a note on a payout's timeline (payout.note_added). Needs an operator token (Authorization header).",
        request: "schemas/commands/ops.payout.note.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "opsPayoutApprove",
        subject: "giro.cmd.ops.payout.approve",
        summary: "Approver action: let a payout pending_approval go (payout.approved; requested, or scheduled with an execute_at). Needs an approver token (Authorization header) of someone other than the payout's requester (else forbidden).",
        request: "schemas/commands/ops.payout.approve.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "opsPayoutReject",
        subject: "giro.cmd.ops.payout.reject",
        summary: "Approver action: refuse a payout pending_approval (payout.approval_rejected; it ends cancelled). Needs an approver token (Authorization header) of someone other than the payout's requester (else forbidden).",
        request: "schemas/commands/ops.payout.reject.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "opsDeadLetterReplay",
        subject: "giro.cmd.ops.dead_letter.replay",
        summary: "Operator action: hand an executor's dead letter back to its executor (payout.dead_letter_replayed on the payout; the dead letter leaves GIRO_EVENTS_DLQ). Needs an operator token (Authorization header).",
        request: "schemas/commands/ops.dead_letter.replay.json",
        reply: "schemas/replies/ops.json",
    },
    Endpoint {
        id: "orderGet",
        subject: "giro.query.order.get",
        summary: "An order's state rebuilt from its events (not from a projection) and its history.",
        request: "schemas/queries/order.get.json",
        reply: "schemas/replies/order.get.json",
    },
];

/// One per-order event subject.
/// One per-order event subject.
pub(super) struct EventChannel {
    pub(super) kind: &'static str,
    pub(super) param: &'static str,
    pub(super) schema: &'static str,
    /// Who reads the events to act on them (besides giro-projection, which reads them all).
    pub(super) executor: &'static str,
}

/// Every per-order event subject, one per decider.
pub(super) const EVENT_CHANNELS: &[EventChannel] = &[
    EventChannel {
        kind: "payout",
        executor: "Each payout executor instance, durable consumer giro-executor-<provider> (each payout instance of the provider catalog) on giro.evt.payout.>, acts on the payout events whose Giro-Provider header names its provider: submits, polls, retries.",
        param: "order_id",
        schema: "schemas/events/payout.json",
    },
    EventChannel {
        kind: "charge",
        executor: "The charge executor, durable consumer giro-executor-<provider> (each charge instance of the provider catalog) on giro.evt.charge.>, acts on the charge events whose Giro-Provider header names its provider: creates the charge, cancels and refunds it at the provider.",
        param: "order_id",
        schema: "schemas/events/charge.json",
    },
    EventChannel {
        kind: "beneficiary",
        executor: "The beneficiary-account executor (the catalog's accounts instance), durable consumer giro-executor-<accounts instance> on giro.evt.beneficiary.>, receives the beneficiary events: registers each account at the accounts provider and records the status it reports, and sends the updates and removals asked for.",
        param: "beneficiary_id",
        schema: "schemas/events/beneficiary.json",
    },
    EventChannel {
        kind: "payout_batch",
        executor: "No executor: a batch's items are payouts of their own (giro.evt.payout.{order_id}, with batch_id in payout.requested); giro-intake appends the batch's events and giro-projection adds its items up.",
        param: "batch_id",
        schema: "schemas/events/payout_batch.json",
    },
];

/// One dead-letter subject family, `giro.dlq.<component>.<param>` (`<provider>`, or for
/// webhooks `<subscription>`).
pub(super) struct DeadLetters {
    /// The component that publishes them (the subject's third token).
    pub(super) component: &'static str,
    /// The channel, message and operation ids.
    pub(super) channel: &'static str,
    pub(super) message: &'static str,
    pub(super) operation: &'static str,
    pub(super) title: &'static str,
    pub(super) summary: &'static str,
    pub(super) channel_description: &'static str,
    /// The subject's last token: its name and what it says.
    pub(super) param: &'static str,
    pub(super) provider: &'static str,
    pub(super) headers: fn() -> Value,
    pub(super) payload: &'static str,
}

/// Headers of a dead-lettered provider callback (`giro-ingress`).
fn ingress_dead_letter_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Giro-Dead-Letter-Reason"],
        "properties": {
            "Giro-Dead-Letter-Reason": {"type": "string", "description": "Why the callback was set aside (e.g. no order with that reference, or its order refused it)."},
        },
    })
}

/// Headers of a dead-lettered event (`giro-executor`): the original event's own headers, plus why
/// and where from.
fn executor_dead_letter_headers() -> Value {
    json!({
        "type": "object",
        "description": "The event's original headers (Giro-Event-Type, Nats-Msg-Id, Giro-Provider, traceparent, … as it was stored) are kept, with these added.",
        "required": ["Giro-Dead-Letter-Reason", "Giro-Original-Subject"],
        "properties": {
            "Giro-Dead-Letter-Reason": {"type": "string", "description": "Why the executor could not handle the event (e.g. no JetStream metadata, the subject does not end in an order id, the order's log is unreadable)."},
            "Giro-Original-Subject": {"type": "string", "description": "The subject the event was stored on, giro.evt.<kind>.<order_id>."},
            "Giro-Original-Sequence": {"type": "string", "description": "The event's sequence in stream GIRO_EVENTS, when the delivery carried it."},
        },
    })
}

/// Every dead-letter subject the components publish to, all kept by stream GIRO_EVENTS_DLQ
/// (subjects `giro.dlq.>`).
pub(super) const DEAD_LETTERS: &[DeadLetters] = &[
    DeadLetters {
        component: "ingress",
        channel: "ingressDeadLetters",
        message: "ingressDeadLetter",
        operation: "deadLetterCallback",
        title: "Dead-lettered provider callback",
        summary: "A provider callback for an order Giro does not know (or that its order refused), kept as received.",
        channel_description: "Callbacks the webhook ingress (giro-ingress) could not apply, in stream GIRO_EVENTS_DLQ (subjects giro.dlq.>); answered 200 to the provider, so it does not retry them.",
        param: "provider",
        provider: "The provider instance whose callback it is (an instance of the provider catalog).",
        headers: ingress_dead_letter_headers,
        payload: "The provider's callback body, byte for byte (the provider's own format).",
    },
    DeadLetters {
        component: "executor",
        channel: "executorDeadLetters",
        message: "executorDeadLetter",
        operation: "deadLetterEvent",
        title: "Dead-lettered event",
        summary: "An event an executor could not handle, copied here with the reason and then terminated on its consumer, so the consumer keeps going. If the copy is not stored the event is redelivered instead: nothing is dropped silently.",
        channel_description: "Events an executor instance (durable consumer giro-executor-<provider>) could not handle, in stream GIRO_EVENTS_DLQ (subjects giro.dlq.>). The event itself stays in GIRO_EVENTS; the executor's consumer no longer delivers it.",
        param: "provider",
        provider: "The executor's provider instance: a payout or charge instance of the provider catalog, or the accounts instance (beneficiary accounts).",
        headers: executor_dead_letter_headers,
        payload: "The event as it was delivered from giro.evt.<kind>.<order_id>, byte for byte: normally an event envelope (schemas/events/<kind>.json), but possibly unreadable, which may be why it is here.",
    },
    DeadLetters {
        component: "notify",
        channel: "notifyDeadLetters",
        message: "notifyDeadLetter",
        operation: "deadLetterNotification",
        title: "Event not notified",
        summary: "An event of a payout or charge the notifier could make no notification of, copied here with the reason; the event itself stays in GIRO_EVENTS. If the copy is not stored the event is delivered to the notifier again instead.",
        channel_description: "Events the notifier (durable consumer giro-notify of giro-notify) could not turn into a notification, in stream GIRO_EVENTS_DLQ (subjects giro.dlq.>).",
        param: "kind",
        provider: "The event's order kind: payout or charge.",
        headers: notify_dead_letter_headers,
        payload: "The event as it was delivered from giro.evt.<kind>.<order_id>, byte for byte.",
    },
    DeadLetters {
        component: "webhooks",
        channel: "webhookDeadLetters",
        message: "webhookDeadLetter",
        operation: "deadLetterWebhook",
        title: "Dead-lettered webhook",
        summary: "A webhook its endpoint did not take (2xx) within the retry horizon (24 h by default), kept with the last error; `giro webhooks replay <sequence>` sends it again.",
        channel_description: "Webhook deliveries of subscription <subscription> that the deliverer (durable consumer giro-webhooks of giro-notify) gave up on, in stream GIRO_EVENTS_DLQ (subjects giro.dlq.>). Listed by `giro webhooks dead-letters`.",
        param: "subscription",
        provider: "The webhook subscription's id (GIRO_WEBHOOKS_FILE).",
        headers: webhook_dead_letter_headers,
        payload: "The notification that was to be delivered (schemas/notifications/notification.v1.json), byte for byte.",
    },
];

/// Headers of a dead-lettered webhook delivery (`giro-notify`'s deliverer).
fn webhook_dead_letter_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Giro-Dead-Letter-Reason", "Giro-Webhook-Id"],
        "properties": {
            "Giro-Dead-Letter-Reason": {"type": "string", "description": "The last attempt's error: the HTTP status the endpoint answered, or why there was no answer."},
            "Giro-Webhook-Id": {"type": "string", "format": "uuid", "description": "The notification's id, as the webhook's Giro-Webhook-Id header carried it."},
            "Giro-Webhook-Attempts": {"type": "string", "description": "How many times it was sent."},
            "Giro-Original-Subject": {"type": "string", "description": "The work-queue subject the delivery waited on."},
        },
    })
}

/// Headers of an event the notifier could not notify (`giro-notify`).
fn notify_dead_letter_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Giro-Dead-Letter-Reason", "Giro-Original-Subject"],
        "properties": {
            "Giro-Dead-Letter-Reason": {"type": "string", "description": "Why no notification could be made of the event (e.g. the order's log is unreadable, the event has no version)."},
            "Giro-Original-Subject": {"type": "string", "description": "The subject the event was stored on, giro.evt.<kind>.<order_id>."},
            "Giro-Original-Sequence": {"type": "string", "description": "The event's sequence in stream GIRO_EVENTS."},
        },
    })
}

/// Headers of a notification.
pub(super) fn notification_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Nats-Msg-Id"],
        "properties": {
            "Nats-Msg-Id": {"type": "string", "format": "uuid", "description": "The notification's id (the event that changed the status): JetStream stores it once, and a subscriber de-duplicates on it."},
        },
    })
}

/// Headers of a command request (`giro-intake`).
pub(super) fn command_headers() -> Value {
    json!({
        "type": "object",
        "properties": {
            "Giro-Correlation-Id": {"type": "string", "description": "Carried into the resulting events' meta.correlation_id (the order id when absent)."},
            "traceparent": {"type": "string", "description": "W3C trace context; the command's span continues it."},
            "tracestate": {"type": "string"},
            "Authorization": {"type": "string", "description": "`Bearer <JWT>`: the operator's token, required on giro.cmd.ops.* (EdDSA or ES256, verified against GIRO_OPERATOR_KEYS_FILE; its sub is recorded as who acted, its roles must include operator). Ignored elsewhere."},
        },
    })
}

/// Headers of a reply: the NATS service API's error headers, on a failed reply only.
pub(super) fn reply_headers() -> Value {
    json!({
        "type": "object",
        "description": "Present on a failed reply only (NATS service API).",
        "properties": {
            "Nats-Service-Error": {"type": "string", "description": "The error message."},
            "Nats-Service-Error-Code": {"type": "string", "enum": ["400", "401", "403", "404", "409", "503"], "description": "400 bad input, 401 no or bad operator token, 403 an operator without the role, 404 unknown order, 409 conflict, 503 the event log is unavailable: retry."},
        },
    })
}

/// Headers of a stored event, set by the event log's append.
pub(super) fn event_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Giro-Event-Type", "Nats-Msg-Id"],
        "properties": {
            "Giro-Event-Type": {"type": "string", "description": "The event's `type`, e.g. payout.requested."},
            "Nats-Msg-Id": {"type": "string", "format": "uuid", "description": "The event's `id`: JetStream de-duplicates a retried append."},
            "Nats-Expected-Last-Subject-Sequence": {"type": "string", "description": "Set on every append: optimistic concurrency per order subject."},
            "Giro-Provider": {"type": "string", "description": "The provider instance the order's events are for (payouts and charges: the order's provider; beneficiaries: the accounts instance). Each executor skips other providers' events without decoding them."},
            "traceparent": {"type": "string", "description": "W3C trace context of the span that appended the event."},
            "tracestate": {"type": "string"},
        },
    })
}

/// One subject family of stream GIRO_EVENTS_SCHEDULES (scheduled payouts, docs/CONTRACT.md §2).
pub(super) struct ScheduleChannel {
    pub(super) channel: &'static str,
    pub(super) address: &'static str,
    pub(super) message: &'static str,
    pub(super) operation: &'static str,
    pub(super) title: &'static str,
    pub(super) summary: &'static str,
    pub(super) description: &'static str,
    pub(super) headers: fn() -> Value,
}

/// The body of a schedule and of the wake it becomes.
pub(super) fn schedule_payload() -> Value {
    json!({
        "type": "object",
        "required": ["kind", "order_id", "execute_at"],
        "properties": {
            "kind": {"type": "string", "enum": ["payout"]},
            "order_id": {"type": "string", "format": "uuid"},
            "execute_at": {"type": "string", "format": "date-time", "description": "The payout's execute_at, rounded up to the second (UTC)."},
        },
    })
}

fn schedule_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Nats-Schedule", "Nats-Schedule-Target"],
        "properties": {
            "Nats-Schedule": {"type": "string", "description": "`@at <RFC 3339 instant>`: when the server publishes the body to the target (ADR-51)."},
            "Nats-Schedule-Target": {"type": "string", "description": "giro.wake.payout.<order_id>."},
        },
    })
}

fn wake_headers() -> Value {
    json!({
        "type": "object",
        "properties": {
            "Nats-Scheduler": {"type": "string", "description": "The schedule's subject (set by the server)."},
        },
    })
}

/// The scheduled payouts' schedules and wakes.
pub(super) const SCHEDULE_CHANNELS: &[ScheduleChannel] = &[
    ScheduleChannel {
        channel: "payoutSchedules",
        address: "giro.schedule.payout.{order_id}",
        message: "payoutSchedule",
        operation: "schedulePayout",
        title: "A scheduled payout's schedule",
        summary: "Stored by the payout's executor when the payout is scheduled; one per order (a new one rolls the old up); purged when the payout is cancelled.",
        description: "Pending schedules of scheduled payouts, in stream GIRO_EVENTS_SCHEDULES (allow_msg_schedules). `nats stream view GIRO_EVENTS_SCHEDULES --subject 'giro.schedule.>'` lists what is still to come.",
        headers: schedule_headers,
    },
    ScheduleChannel {
        channel: "payoutWakes",
        address: "giro.wake.payout.{order_id}",
        message: "payoutWake",
        operation: "wakePayout",
        title: "A scheduled payout's wake",
        summary: "Published by nats-server at the schedule's time with the schedule's body; the durable consumer giro-wakes (every executor process) records payout.became_due.",
        description: "Wakes of scheduled payouts whose time came, in stream GIRO_EVENTS_SCHEDULES, consumed by giro-wakes.",
        headers: wake_headers,
    },
];
