//! The payout batch, read as the spec: given these events, when this command, then these events;
//! and a batch's items read by the payout rules, each invalid one named with its own error.

mod common;

use common::{co_bank_body, now};
use giro_domain::batch::Refused;
use giro_domain::batch::{
    BatchCommand as C, BatchEvent, BatchStatus, PayoutBatch, PayoutBatchDecider, parse_add_items,
    parse_cancel, parse_create, part,
};
use giro_domain::payout::{CreatePayout, PayoutDraft};
use giro_domain::provider::Catalog;
use giro_domain::{Decider, Envelope, ErrorCode, EventId, EventMeta, EventType};
use serde_json::{Value, json};

fn items(keys: &[&str]) -> Vec<Value> {
    keys.iter().map(|k| co_bank_body(k)).collect()
}

/// A batch's stored events and the state folded from them.
struct Given {
    events: Vec<Envelope<BatchEvent>>,
    state: Option<PayoutBatch>,
}

impl Given {
    fn nothing() -> Self {
        Given {
            events: vec![],
            state: None,
        }
    }

    /// Decides `cmd`, appends what it decided and returns the event types.
    fn when(&mut self, cmd: &C) -> Result<Vec<&'static str>, ErrorCode> {
        let events = PayoutBatchDecider::decide(&self.state, cmd, now()).map_err(|r| r.code)?;
        let types = events.iter().map(EventType::event_type).collect();
        for event in events {
            let envelope = Envelope {
                id: EventId::new(),
                event,
                order_id: giro_domain::OrderId::from_uuid(uuid::Uuid::nil()),
                version: self.events.len() as u64 + 1,
                at: now(),
                meta: EventMeta::default(),
            };
            self.state = PayoutBatchDecider::evolve(self.state.take(), &envelope);
            self.events.push(envelope);
        }
        Ok(types)
    }

    fn status(&self) -> BatchStatus {
        self.state.as_ref().map(PayoutBatch::status).unwrap()
    }
}

fn create(key: &str, item_count: u32, keys: &[&str]) -> C {
    let body = json!({"idempotency_key": key, "item_count": item_count, "items": items(keys)});
    let draft = parse_create(body.to_string().as_bytes()).unwrap();
    let first = part(0, &drafts(&draft.items)).unwrap();
    C::Create(Box::new(draft.created(first)))
}

fn add(batch: &Given, first_item: u32, keys: &[&str]) -> C {
    let id = batch.state.as_ref().map(|b| b.id).unwrap();
    let body = json!({"batch_id": id, "first_item": first_item, "items": items(keys)});
    let draft = parse_add_items(body.to_string().as_bytes()).unwrap();
    C::AddItems(part(draft.first_item, &drafts(&draft.items)).unwrap())
}

/// The items routed as intake routes them.
fn drafts(items: &[(u32, PayoutDraft)]) -> Vec<CreatePayout> {
    items
        .iter()
        .map(|(_, d)| d.clone().into_command(&Catalog::default(), None).unwrap())
        .collect()
}

fn refused(body: &Value) -> Refused {
    let draft = parse_create(body.to_string().as_bytes()).unwrap();
    draft.check().unwrap_err()
}

#[test]
fn a_batch_receives_its_parts_in_order_and_opens_when_all_are_in() {
    let mut g = Given::nothing();
    assert_eq!(
        g.when(&create("run-1", 3, &["a", "b"])),
        Ok(vec!["payout_batch.created"])
    );
    assert_eq!(g.status(), BatchStatus::Receiving);
    assert_eq!(g.when(&add(&g, 3, &["c"])), Err(ErrorCode::InvalidState));
    let last = add(&g, 2, &["c"]);
    assert_eq!(g.when(&last), Ok(vec!["payout_batch.items_added"]));
    assert_eq!(g.status(), BatchStatus::Open);
    let b = g.state.as_ref().unwrap();
    assert_eq!((b.items_received(), b.order_ids().count()), (3, 3));
    // The same part again is a repeat; other items for it a conflict; more than declared refused.
    assert_eq!(g.when(&last), Ok(vec![]));
    assert_eq!(
        g.when(&add(&g, 2, &["z"])),
        Err(ErrorCode::IdempotencyConflict)
    );
    assert_eq!(g.when(&add(&g, 3, &["d"])), Err(ErrorCode::InvalidField));
}

#[test]
fn the_same_create_is_a_repeat_and_another_body_under_its_key_a_conflict() {
    let mut g = Given::nothing();
    g.when(&create("run-2", 2, &["a", "b"])).unwrap();
    assert_eq!(g.when(&create("run-2", 2, &["a", "b"])), Ok(vec![]));
    assert_eq!(
        g.when(&create("run-2", 2, &["a", "c"])),
        Err(ErrorCode::IdempotencyConflict)
    );
}

#[test]
fn a_cancelled_batch_takes_no_more_items_and_cancelling_again_is_a_repeat() {
    let mut g = Given::nothing();
    assert_eq!(
        g.when(&C::Cancel { reason: None }),
        Err(ErrorCode::NotFound)
    );
    g.when(&create("run-3", 2, &["a"])).unwrap();
    let cancel = C::Cancel {
        reason: Some("wrong file".into()),
    };
    assert_eq!(g.when(&cancel), Ok(vec!["payout_batch.cancel_requested"]));
    assert_eq!(g.status(), BatchStatus::Cancelled);
    assert_eq!(g.when(&cancel), Ok(vec![]));
    assert_eq!(g.when(&add(&g, 1, &["b"])), Err(ErrorCode::InvalidState));
}

#[test]
fn parts_add_up_per_currency_and_items_carry_the_batch() {
    let mut precise = co_bank_body("t");
    precise["amount"] = json!("1000.555");
    let mut bodies = items(&["a", "b"]);
    bodies.push(precise);
    let body = json!({"idempotency_key": "run-4", "items": bodies});
    // Too precise for any currency: the whole batch is refused for item 2 alone.
    let refused = refused(&body);
    assert_eq!(refused.items.len(), 1);
    assert_eq!(refused.items[0].item, 2);
    assert_eq!(
        refused.items[0].error.code,
        ErrorCode::InvalidAmountPrecision
    );
    let body = json!({"idempotency_key": "run-4", "items": items(&["a", "b"])});
    let draft = parse_create(body.to_string().as_bytes()).unwrap();
    assert!(
        draft
            .items
            .iter()
            .all(|(_, d)| d.batch_id == Some(draft.batch_id))
    );
    let p = part(0, &drafts(&draft.items)).unwrap();
    assert_eq!(
        json!(p.totals),
        json!([{"amount": "1000000", "currency": "COP"}])
    );
}

#[test]
fn every_invalid_item_is_named_with_its_own_field() {
    let mut bad_account = co_bank_body("b");
    bad_account["beneficiary"]["account_number"] = json!("12AB");
    let mut no_amount = co_bank_body("c");
    no_amount.as_object_mut().unwrap().remove("amount");
    let bodies = vec![co_bank_body("a"), bad_account, no_amount, co_bank_body("a")];
    let body = json!({"idempotency_key": "run-5", "items": bodies});
    let refused = refused(&body);
    let named: Vec<(u32, Option<&str>)> = refused
        .items
        .iter()
        .map(|e| (e.item, e.error.field.as_deref()))
        .collect();
    assert_eq!(
        named,
        vec![
            (1, Some("beneficiary.account_number")),
            (2, Some("amount")),
            (3, Some("idempotency_key")),
        ]
    );
    assert_eq!(refused.rejection.field.as_deref(), Some("items"));
}

#[test]
fn the_envelope_of_a_batch_is_read_strictly() {
    let code = |body: &str| match parse_create(body.as_bytes()) {
        Err(refused) => refused.rejection.code,
        Ok(draft) => panic!("{draft:?}"),
    };
    assert_eq!(code("[]"), ErrorCode::InvalidJson);
    assert_eq!(
        code("{\"idempotency_key\": \"k\", \"items\": []}"),
        ErrorCode::InvalidField
    );
    assert_eq!(
        code("{\"idempotency_key\": \"k\", \"idempotency_key\": \"j\", \"items\": [{}]}"),
        ErrorCode::InvalidField
    );
    assert_eq!(code("{\"items\": [{}]}"), ErrorCode::MissingField);
    let too_many = json!({"idempotency_key": "k", "item_count": 10_001, "items": [{}]});
    assert_eq!(code(&too_many.to_string()), ErrorCode::InvalidField);
    let cancel = parse_cancel(b"{\"batch_id\": \"nope\"}").unwrap_err();
    assert_eq!(cancel.field.as_deref(), Some("batch_id"));
}
