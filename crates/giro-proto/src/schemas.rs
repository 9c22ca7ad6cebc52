//! The message schemas of the contract: which Rust type describes which file under
//! `proto/schemas/`, and the event types a generated event schema names.

use giro_domain::Envelope;
use giro_domain::batch::BatchEvent;
use giro_domain::beneficiary::BeneficiaryEvent;
use giro_domain::charge::ChargeEvent;
use giro_domain::notification::Notification;
use giro_domain::payout::PayoutEvent;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::GENERATED_NOTE;
use crate::contract::{
    BeneficiaryChangeReply, BeneficiaryRegister, BeneficiaryRemove, BeneficiaryReply,
    BeneficiaryUpdate, ChargeCapture, ChargeCreate, ChargeRefund, ChargeReply, OpsApprove,
    OpsBecause, OpsNote, OpsReplay, OpsReply, OpsResolve, OrderGetReply, OrderRef,
    PayoutBatchAddItems, PayoutBatchCancel, PayoutBatchCancelReply, PayoutBatchCreate,
    PayoutBatchReply, PayoutCreate, PayoutReply, PrivacyErase, PrivacyEraseReply,
};

/// The stored form of every event (docs/CONTRACT.md §2).
const EVENT_DESCRIPTION: &str = "One stored event of one order: {id, type, order_id, version, at, data, meta}. `type` names the event and `data` is its body; `version` counts the order's events from 1; `meta` carries the correlation and causation ids. Personal data needed for the provider call is sealed with the order's own key (`pii:v1:<base64>`, XChaCha20-Poly1305) and reads `[erased]` once giro.cmd.privacy.erase destroyed the key; every view for people masks it.";

/// One message schema: where it is written (relative to `proto/`) and what it describes.
pub struct SchemaFile {
    pub path: &'static str,
    pub title: &'static str,
    pub schema: Value,
}

fn schema_for<T: JsonSchema>(path: &'static str, title: &'static str) -> SchemaFile {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), Value::String(title.into()));
        obj.insert("$comment".into(), Value::String(GENERATED_NOTE.into()));
        if path.starts_with("schemas/events/") {
            obj.insert(
                "description".into(),
                Value::String(EVENT_DESCRIPTION.into()),
            );
        }
    }
    SchemaFile {
        path,
        title,
        schema,
    }
}

/// Every message schema of the contract.
pub fn schemas() -> Vec<SchemaFile> {
    vec![
        schema_for::<PayoutCreate>(
            "schemas/commands/payout.create.json",
            "giro.cmd.payout.create",
        ),
        schema_for::<OrderRef>(
            "schemas/commands/payout.cancel.json",
            "giro.cmd.payout.cancel",
        ),
        schema_for::<PayoutBatchCreate>(
            "schemas/commands/payout_batch.create.json",
            "giro.cmd.payout_batch.create",
        ),
        schema_for::<PayoutBatchAddItems>(
            "schemas/commands/payout_batch.add_items.json",
            "giro.cmd.payout_batch.add_items",
        ),
        schema_for::<PayoutBatchCancel>(
            "schemas/commands/payout_batch.cancel.json",
            "giro.cmd.payout_batch.cancel",
        ),
        schema_for::<ChargeCreate>(
            "schemas/commands/charge.create.json",
            "giro.cmd.charge.create",
        ),
        schema_for::<OrderRef>(
            "schemas/commands/charge.cancel.json",
            "giro.cmd.charge.cancel",
        ),
        schema_for::<ChargeRefund>(
            "schemas/commands/charge.refund.json",
            "giro.cmd.charge.refund",
        ),
        schema_for::<ChargeCapture>(
            "schemas/commands/charge.capture.json",
            "giro.cmd.charge.capture",
        ),
        schema_for::<BeneficiaryRegister>(
            "schemas/commands/beneficiary.register.json",
            "giro.cmd.beneficiary.register",
        ),
        schema_for::<BeneficiaryUpdate>(
            "schemas/commands/beneficiary.update.json",
            "giro.cmd.beneficiary.update",
        ),
        schema_for::<BeneficiaryRemove>(
            "schemas/commands/beneficiary.remove.json",
            "giro.cmd.beneficiary.remove",
        ),
        schema_for::<PrivacyErase>(
            "schemas/commands/privacy.erase.json",
            "giro.cmd.privacy.erase",
        ),
        schema_for::<OpsResolve>(
            "schemas/commands/ops.payout.resolve.json",
            "giro.cmd.ops.payout.resolve",
        ),
        schema_for::<OpsBecause>(
            "schemas/commands/ops.payout.retry.json",
            "giro.cmd.ops.payout.retry",
        ),
        schema_for::<OpsBecause>(
            "schemas/commands/ops.payout.release.json",
            "giro.cmd.ops.payout.release",
        ),
        schema_for::<OpsBecause>(
            "schemas/commands/ops.payout.cancel.json",
            "giro.cmd.ops.payout.cancel",
        ),
        schema_for::<OpsNote>(
            "schemas/commands/ops.payout.note.json",
            "giro.cmd.ops.payout.note",
        ),
        schema_for::<OpsApprove>(
            "schemas/commands/ops.payout.approve.json",
            "giro.cmd.ops.payout.approve",
        ),
        schema_for::<OpsBecause>(
            "schemas/commands/ops.payout.reject.json",
            "giro.cmd.ops.payout.reject",
        ),
        schema_for::<OpsReplay>(
            "schemas/commands/ops.dead_letter.replay.json",
            "giro.cmd.ops.dead_letter.replay",
        ),
        schema_for::<OrderRef>("schemas/queries/order.get.json", "giro.query.order.get"),
        schema_for::<PayoutReply>(
            "schemas/replies/payout.create.json",
            "Reply to giro.cmd.payout.create",
        ),
        schema_for::<PayoutReply>(
            "schemas/replies/payout.cancel.json",
            "Reply to giro.cmd.payout.cancel",
        ),
        schema_for::<PayoutBatchReply>(
            "schemas/replies/payout_batch.create.json",
            "Reply to giro.cmd.payout_batch.create",
        ),
        schema_for::<PayoutBatchReply>(
            "schemas/replies/payout_batch.add_items.json",
            "Reply to giro.cmd.payout_batch.add_items",
        ),
        schema_for::<PayoutBatchCancelReply>(
            "schemas/replies/payout_batch.cancel.json",
            "Reply to giro.cmd.payout_batch.cancel",
        ),
        schema_for::<ChargeReply>(
            "schemas/replies/charge.create.json",
            "Reply to giro.cmd.charge.create",
        ),
        schema_for::<ChargeReply>(
            "schemas/replies/charge.cancel.json",
            "Reply to giro.cmd.charge.cancel",
        ),
        schema_for::<ChargeReply>(
            "schemas/replies/charge.refund.json",
            "Reply to giro.cmd.charge.refund",
        ),
        schema_for::<ChargeReply>(
            "schemas/replies/charge.capture.json",
            "Reply to giro.cmd.charge.capture",
        ),
        schema_for::<BeneficiaryReply>(
            "schemas/replies/beneficiary.register.json",
            "Reply to giro.cmd.beneficiary.register",
        ),
        schema_for::<BeneficiaryChangeReply>(
            "schemas/replies/beneficiary.update.json",
            "Reply to giro.cmd.beneficiary.update",
        ),
        schema_for::<BeneficiaryChangeReply>(
            "schemas/replies/beneficiary.remove.json",
            "Reply to giro.cmd.beneficiary.remove",
        ),
        schema_for::<PrivacyEraseReply>(
            "schemas/replies/privacy.erase.json",
            "Reply to giro.cmd.privacy.erase",
        ),
        schema_for::<OrderGetReply>(
            "schemas/replies/order.get.json",
            "Reply to giro.query.order.get",
        ),
        schema_for::<OpsReply>(
            "schemas/replies/ops.json",
            "Reply to every giro.cmd.ops.* (operator actions)",
        ),
        schema_for::<Envelope<PayoutEvent>>(
            "schemas/events/payout.json",
            "Payout event (giro.evt.payout.{order_id})",
        ),
        schema_for::<Envelope<BatchEvent>>(
            "schemas/events/payout_batch.json",
            "Payout batch event (giro.evt.payout_batch.{batch_id})",
        ),
        schema_for::<Envelope<ChargeEvent>>(
            "schemas/events/charge.json",
            "Charge event (giro.evt.charge.{order_id})",
        ),
        schema_for::<Envelope<BeneficiaryEvent>>(
            "schemas/events/beneficiary.json",
            "Beneficiary event (giro.evt.beneficiary.{beneficiary_id})",
        ),
        schema_for::<Notification>(
            "schemas/notifications/notification.v1.json",
            "Notification v1 (giro.notify.v1.{kind}.{status} and the body of a webhook)",
        ),
    ]
}

/// The event types a tagged event enum's schema names (`type` consts), sorted.
pub fn event_types(schema: &Value) -> Vec<String> {
    let mut types = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(t)) = map.get("properties").and_then(|p| p.get("type"))
                    && let Some(Value::String(c)) = t.get("const").or_else(|| {
                        t.get("enum")
                            .and_then(|e| e.as_array())
                            .filter(|e| e.len() == 1)
                            .and_then(|e| e.first())
                    })
                {
                    out.push(c.clone());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(schema, &mut types);
    types.sort();
    types.dedup();
    types
}
