//! Property: whatever arrives on a command subject — arbitrary bytes, arbitrary JSON, or a valid
//! command with a field of the wrong type — intake answers with a well-formed refusal (`ok: false`,
//! a known error code, the service-API headers) and keeps serving.

use crate::common;

use std::time::Duration;

use common::*;
use giro_domain::ErrorCode;
use giro_eventlog::test_support::TestLog;
use giro_intake::Reply;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// Every endpoint's subject below the prefix.
const SUBJECTS: [&str; 7] = [
    "cmd.payout.create",
    "cmd.payout.cancel",
    "cmd.charge.create",
    "cmd.charge.cancel",
    "cmd.charge.refund",
    "cmd.beneficiary.register",
    "query.order.get",
];

/// A JSON value's kind, to tell a wrong type from an accepted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::Array,
        Value::Object(_) => Kind::Object,
    }
}

fn order_ref() -> Value {
    json!({"order_id": "0193c6e5-0000-7000-8000-000000000000", "reason": "r"})
}

fn charge() -> Value {
    json!({
        "idempotency_key": "fuzz-charge", "provider": "a55", "amount": "150.00",
        "installment_count": 1, "currency": "BRL", "method": "pix",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "12345678909",
                  "phone": "+5511999999999",
                  "address": {"street": "a", "address_number": "1", "complement": "c",
                              "neighborhood": "n", "city": "c", "state": "SP",
                              "postal_code": "01310-100"}},
        "due_date": "2030-12-31", "description": "d", "capture": true
    })
}

fn beneficiary() -> Value {
    json!({"idempotency_key": "fuzz-acct", "type": "SPEI", "data": {
        "first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com",
        "phone": "+573001234567", "country_code": "CO",
        "document": {"type": "CC", "number": "1234567890"},
        "clabe": "032180000118359719", "clabe_type": "CLABE"}})
}

/// A field's path and the JSON kinds it accepts.
type Field = (&'static [&'static str], &'static [Kind]);

/// A valid body for the subject, and fields to spoil.
fn template(subject: &str) -> (Value, Vec<Field>) {
    use Kind::*;
    const REF: &[Field] = &[(&["order_id"], &[String]), (&["reason"], &[String, Null])];
    match subject {
        "cmd.payout.create" => (
            payout("fuzz-payout"),
            vec![
                (&["idempotency_key"], &[String]),
                (&["provider"], &[String, Null]),
                (&["amount"], &[String, Number]),
                (&["currency"], &[String]),
                (&["external_id"], &[String, Null]),
                (&["beneficiary"], &[Object]),
                (&["beneficiary", "rail"], &[String]),
                (&["beneficiary", "first_name"], &[String, Null]),
                (&["beneficiary", "document"], &[Object]),
                (&["beneficiary", "document", "number"], &[String]),
                (&["beneficiary", "account_type"], &[String]),
                (&["metadata"], &[Object, Null]),
            ],
        ),
        "cmd.charge.create" => (
            charge(),
            vec![
                (&["idempotency_key"], &[String]),
                (&["amount"], &[String, Number]),
                (&["installment_count"], &[Number]),
                (&["currency"], &[String]),
                (&["method"], &[String]),
                (&["payer"], &[Object]),
                (&["payer", "email"], &[String]),
                (&["payer", "address"], &[Object]),
                (&["due_date"], &[String]),
                (&["description"], &[String]),
                (&["capture"], &[Bool, Null]),
            ],
        ),
        "cmd.charge.refund" => (
            json!({"order_id": "0193c6e5-0000-7000-8000-000000000000", "amount": "1", "reason": "r"}),
            vec![
                (&["order_id"], &[String]),
                (&["amount"], &[String, Number, Null]),
                (&["reason"], &[String, Null]),
            ],
        ),
        "cmd.beneficiary.register" => (
            beneficiary(),
            vec![
                (&["idempotency_key"], &[String]),
                (&["type"], &[String]),
                (&["external_id"], &[String, Null]),
                (&["data"], &[Object]),
                (&["data", "email"], &[String]),
                (&["data", "clabe"], &[String, Null]),
                (&["data", "document"], &[Object]),
            ],
        ),
        _ => (order_ref(), REF.to_vec()),
    }
}

/// `template` for the subject with field `pick` (modulo their number) set to `v`, made a wrong
/// type for it (wrapped in an array when `v` is of a kind the field accepts).
fn spoiled(subject: &str, pick: usize, v: Value) -> Vec<u8> {
    let (mut body, fields) = template(subject);
    let (path, accepted) = fields[pick % fields.len()];
    let v = if accepted.contains(&kind(&v)) || v.is_null() {
        json!([v])
    } else {
        v
    };
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut body;
    for k in parents {
        at = at.get_mut(*k).unwrap();
    }
    at[*last] = v;
    body.to_string().into_bytes()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Arbitrary bytes, or arbitrary JSON as the whole body.
fn garbage() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| v.to_string().into_bytes()),
    ]
}

/// Sends `body` and checks the reply is a well-formed refusal.
async fn refused(
    nats: &async_nats::Client,
    prefix: &str,
    subject: &str,
    body: Vec<u8>,
) -> Result<(), TestCaseError> {
    let request = async_nats::Request::new()
        .payload(body.into())
        .timeout(Some(Duration::from_secs(5)));
    let msg = nats
        .send_request(format!("{prefix}.{subject}"), request)
        .await
        .map_err(|e| TestCaseError::fail(format!("no reply on {subject}: {e}")))?;
    let wire = Wire::from_message(&msg);
    let text = wire.body.to_string();
    // A known code, or the reply would not read as an envelope.
    let reply: Reply = serde_json::from_value(wire.body.clone())
        .map_err(|e| TestCaseError::fail(format!("not an envelope ({e}): {text}")))?;
    prop_assert!(!reply.ok, "{subject} accepted: {text}");
    prop_assert!(reply.body.is_empty(), "extra fields: {text}");
    let error = reply.error.as_ref().unwrap();
    prop_assert_ne!(error.code, ErrorCode::Unavailable, "{}", text);
    prop_assert!(!error.message.is_empty(), "{}", text);
    let expected_status = error.code.status().to_string();
    prop_assert_eq!(
        wire.status.as_deref(),
        Some(expected_status.as_str()),
        "{}",
        text
    );
    prop_assert_eq!(
        wire.error.as_deref(),
        Some(error.message.as_str()),
        "{}",
        text
    );
    Ok(())
}

#[test]
fn any_body_on_any_subject_gets_a_well_formed_refusal() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestLog::new());
    let prefix = t.config.prefix.clone();
    let nats = rt.block_on(connect());
    let intake = rt.block_on(start_intake(nats.clone(), &t.config));
    let config = || Config {
        cases: 50,
        failure_persistence: None,
        ..Config::default()
    };

    // Arbitrary bytes and arbitrary JSON.
    TestRunner::new(config())
        .run(&(0..SUBJECTS.len(), garbage()), |(i, body)| {
            rt.block_on(refused(&nats, &prefix, SUBJECTS[i], body))
        })
        .unwrap();
    // Valid commands with one field of a wrong type.
    TestRunner::new(config())
        .run(
            &(0..SUBJECTS.len(), any::<usize>(), json_value()),
            |(i, pick, v)| {
                let body = spoiled(SUBJECTS[i], pick, v);
                rt.block_on(refused(&nats, &prefix, SUBJECTS[i], body))
            },
        )
        .unwrap();

    // Still serving.
    rt.block_on(async {
        let client = client_for(&t, nats.clone());
        let created = client.create_payout(payout("after-fuzz").to_string()).await;
        assert!(created.ok, "{created:?}");
        let got = client.get_order(created.str("order_id").unwrap()).await;
        assert_eq!(got.str("status"), Some("requested"), "{got:?}");
        intake.stop().await;
    });
}
