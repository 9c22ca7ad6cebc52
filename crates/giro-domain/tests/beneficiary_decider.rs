//! The beneficiary decider, read as the spec: given these events, when this command, then these
//! events (and this state).

use chrono::{DateTime, Duration, TimeZone, Utc};
use giro_domain::beneficiary::{
    Beneficiary, BeneficiaryCommand as C, BeneficiaryDecider, BeneficiaryEvent,
    BeneficiaryRegistered, BeneficiaryStatus as S, BeneficiaryStatusChanged, parse_register,
};
use giro_domain::{Decider, Envelope, ErrorCode, EventId, EventMeta, EventType, OrderId};
use serde_json::{Value, json};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
        .single()
        .unwrap()
}

fn pse_body(key: &str) -> Value {
    json!({"idempotency_key": key, "type": "PSE", "external_id": "account-123",
           "data": {"first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
                    "phone": "+573001234567", "account_number": "1234567890", "bank_code": "0001",
                    "account_type": "savings", "country_code": "CO",
                    "document": {"type": "NUIP", "number": "1234567890", "issued_country_code": "CO"}}})
}

fn register(body: &Value) -> C {
    parse_register(body.to_string().as_bytes()).unwrap()
}

fn status(status: S, provider_ref: Option<&str>, reason: Option<&str>) -> C {
    C::RecordStatus(BeneficiaryStatusChanged {
        status,
        provider_ref: provider_ref.map(String::from),
        reason: reason.map(String::from),
    })
}

/// An order's stored events and the state folded from them; each command is decided against the
/// state and its events appended with the next version, one minute apart.
struct Given {
    id: OrderId,
    events: Vec<Envelope<BeneficiaryEvent>>,
    state: Option<Beneficiary>,
}

impl Given {
    fn nothing(id: OrderId) -> Self {
        Given {
            id,
            events: vec![],
            state: None,
        }
    }

    fn registered(key: &str) -> Self {
        let cmd = register(&pse_body(key));
        let C::Register { id, .. } = &cmd else {
            unreachable!()
        };
        let mut g = Given::nothing(*id);
        g.then(&cmd, &["beneficiary.registered"]);
        g
    }

    fn when(&mut self, cmd: &C) -> Result<Vec<&'static str>, giro_domain::Rejection> {
        let events = BeneficiaryDecider::decide(&self.state, cmd, t0())?;
        let mut types = vec![];
        for event in events {
            types.push(event.event_type());
            let version = self.events.len() as u64 + 1;
            let env = Envelope {
                id: EventId::new(),
                event,
                order_id: self.id,
                version,
                at: t0() + Duration::minutes(version as i64),
                meta: EventMeta::default(),
            };
            self.state = BeneficiaryDecider::evolve(self.state.take(), &env);
            self.events.push(env);
        }
        Ok(types)
    }

    fn then(&mut self, cmd: &C, types: &[&str]) {
        let got = self
            .when(cmd)
            .unwrap_or_else(|r| panic!("{cmd:?} refused: {r}"));
        assert_eq!(got, types, "events of {cmd:?}");
    }

    fn beneficiary(&self) -> &Beneficiary {
        self.state.as_ref().expect("a registered beneficiary")
    }

    fn status(&self) -> S {
        self.beneficiary().status
    }
}

#[test]
fn registering_records_a_pending_beneficiary() {
    let cmd = register(&pse_body("acct-1"));
    let C::Register { id, registration } = &cmd else {
        unreachable!()
    };
    let mut g = Given::nothing(*id);
    g.then(&cmd, &["beneficiary.registered"]);
    let b = g.beneficiary();
    assert_eq!(b.id, *id);
    assert_eq!(
        b.status,
        S::Pending,
        "an account is PENDING until KillB verifies it"
    );
    assert_eq!(&b.registration, &**registration);
    assert_eq!(b.registration.idempotency_key.as_str(), "acct-1");
    assert_eq!(b.registration.external_id.as_deref(), Some("account-123"));
    assert_eq!(b.provider_ref, None);
    assert_eq!(
        (b.version, b.created_at, b.updated_at),
        (1, g.events[0].at, g.events[0].at)
    );
    assert_eq!(
        *id,
        OrderId::for_idempotency_key(
            giro_domain::OrderKind::Beneficiary,
            &b.registration.idempotency_key
        ),
        "the id follows from the idempotency key, so every intake instance contends for one subject"
    );
}

#[test]
fn the_same_key_with_the_same_body_appends_nothing() {
    let mut g = Given::registered("acct-2");
    let before = g.state.clone();
    g.then(&register(&pse_body("acct-2")), &[]);
    // Key order and whitespace are not part of "the same body".
    let reordered = r#"{"data": {"document": {"issued_country_code": "CO", "number": "1234567890",
        "type": "NUIP"}, "country_code": "CO", "account_type": "savings", "bank_code": "0001",
        "account_number": "1234567890", "phone": "+573001234567", "email": "juan@example.com",
        "last_name": "Garcia", "first_name": "Juan"}, "external_id": "account-123", "type": "PSE",
        "idempotency_key": "acct-2"}"#;
    g.then(&parse_register(reordered.as_bytes()).unwrap(), &[]);
    assert_eq!(g.state, before);
    assert_eq!(g.events.len(), 1);
    // Still a duplicate once KillB has activated it.
    g.then(
        &status(S::Active, Some("acc-1"), None),
        &["beneficiary.status_changed"],
    );
    g.then(&register(&pse_body("acct-2")), &[]);
    assert_eq!(g.status(), S::Active);
}

#[test]
fn the_same_key_with_another_body_is_an_idempotency_conflict() {
    let mut g = Given::registered("acct-3");
    let mut other = pse_body("acct-3");
    other["data"]["account_number"] = json!("9876543210");
    let cmd = register(&other);
    let C::Register { id, .. } = &cmd else {
        unreachable!()
    };
    assert_eq!(*id, g.id, "same key, same beneficiary id");
    let r = g.when(&cmd).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::IdempotencyConflict, Some("idempotency_key"))
    );
    assert_eq!(r.code.status(), 409);
    assert!(!r.message.contains("9876543210"), "{r}");
    // An absent optional field is a different body too.
    let mut without_external = pse_body("acct-3");
    without_external
        .as_object_mut()
        .unwrap()
        .remove("external_id");
    let r = g.when(&register(&without_external)).unwrap_err();
    assert_eq!(r.code, ErrorCode::IdempotencyConflict);
    assert_eq!(g.events.len(), 1);
    assert_eq!(g.status(), S::Pending);
}

#[test]
fn pending_becomes_active_then_inactive_as_killb_reports() {
    let mut g = Given::registered("acct-4");
    g.then(
        &status(S::Active, Some("acc-killb-1"), None),
        &["beneficiary.status_changed"],
    );
    assert_eq!(g.status(), S::Active);
    assert_eq!(g.beneficiary().provider_ref.as_deref(), Some("acc-killb-1"));
    g.then(
        &status(S::Inactive, None, Some("disabled by the user")),
        &["beneficiary.status_changed"],
    );
    let b = g.beneficiary();
    assert_eq!(b.status, S::Inactive);
    assert_eq!(
        b.provider_ref.as_deref(),
        Some("acc-killb-1"),
        "a report without the account id keeps the one known"
    );
    assert_eq!(b.version, 3);
    assert_eq!(b.created_at, g.events[0].at);
    assert_eq!(b.updated_at, g.events[2].at);
    let versions: Vec<u64> = g.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, [1, 2, 3]);
}

#[test]
fn pending_becomes_rejected_when_verification_fails() {
    let mut g = Given::registered("acct-5");
    g.then(
        &status(
            S::Rejected,
            Some("acc-killb-2"),
            Some("holder name does not match"),
        ),
        &["beneficiary.status_changed"],
    );
    assert_eq!(g.status(), S::Rejected);
    let BeneficiaryEvent::StatusChanged(s) = &g.events[1].event else {
        panic!("{:?}", g.events[1].event)
    };
    assert_eq!(s.reason.as_deref(), Some("holder name does not match"));
}

#[test]
fn an_unchanged_status_appends_nothing_unless_it_brings_the_account_id() {
    let mut g = Given::registered("acct-6");
    // PENDING reported while PENDING: nothing new.
    g.then(&status(S::Pending, None, None), &[]);
    assert_eq!(g.events.len(), 1);
    // The same status with KillB's account id for the first time is worth recording.
    g.then(
        &status(S::Pending, Some("acc-killb-3"), None),
        &["beneficiary.status_changed"],
    );
    assert_eq!(g.beneficiary().provider_ref.as_deref(), Some("acc-killb-3"));
    assert_eq!(g.status(), S::Pending);
    // Repeats, with or without the id (or with only a new reason), append nothing.
    g.then(&status(S::Pending, Some("acc-killb-3"), None), &[]);
    g.then(&status(S::Pending, None, Some("still verifying")), &[]);
    g.then(
        &status(S::Active, Some("acc-killb-3"), None),
        &["beneficiary.status_changed"],
    );
    g.then(&status(S::Active, Some("acc-killb-3"), None), &[]);
    g.then(&status(S::Active, None, None), &[]);
    assert_eq!(g.events.len(), 3);
    assert_eq!(g.beneficiary().version, 3);
}

#[test]
fn killb_may_move_an_account_back_to_pending_for_reverification() {
    // Seed 002: some updates re-verify the account and set it PENDING for a while.
    let mut g = Given::registered("acct-7");
    for next in [S::Active, S::Pending, S::Active, S::Inactive, S::Active] {
        g.then(&status(next, None, None), &["beneficiary.status_changed"]);
        assert_eq!(g.status(), next);
    }
    assert_eq!(g.beneficiary().version, 6);
}

#[test]
fn a_status_for_an_unknown_beneficiary_is_not_found() {
    let mut g = Given::nothing(OrderId::from_uuid(uuid::Uuid::from_u128(7)));
    let r = g.when(&status(S::Active, Some("acc"), None)).unwrap_err();
    assert_eq!(r.code, ErrorCode::NotFound);
    assert_eq!(r.code.status(), 404);
    assert!(g.events.is_empty() && g.state.is_none());
}

fn envelope(event: BeneficiaryEvent, version: u64) -> Envelope<BeneficiaryEvent> {
    Envelope {
        id: EventId::new(),
        event,
        order_id: OrderId::from_uuid(uuid::Uuid::from_u128(42)),
        version,
        at: t0(),
        meta: EventMeta::default(),
    }
}

fn registration(key: &str) -> Box<BeneficiaryRegistered> {
    match register(&pse_body(key)) {
        C::Register { registration, .. } => registration,
        other => panic!("{other:?}"),
    }
}

#[test]
fn evolve_ignores_events_that_do_not_fit() {
    let active = BeneficiaryEvent::StatusChanged(BeneficiaryStatusChanged {
        status: S::Active,
        provider_ref: None,
        reason: None,
    });
    // Nothing exists before a registration, and a registration is only ever the first event.
    assert_eq!(
        BeneficiaryDecider::evolve(None, &envelope(active.clone(), 1)),
        None
    );
    assert_eq!(
        BeneficiaryDecider::evolve(
            None,
            &envelope(BeneficiaryEvent::Registered(registration("a")), 2)
        ),
        None
    );
    // A second registration does not overwrite the first.
    let first = BeneficiaryDecider::evolve(
        None,
        &envelope(BeneficiaryEvent::Registered(registration("a")), 1),
    );
    let again = BeneficiaryDecider::evolve(
        first.clone(),
        &envelope(BeneficiaryEvent::Registered(registration("b")), 2),
    );
    assert_eq!(again, first);
    assert_eq!(again.unwrap().registration.idempotency_key.as_str(), "a");
}

#[test]
fn the_stored_form_folds_back_to_the_same_beneficiary() {
    let mut g = Given::registered("acct-8");
    g.then(
        &status(S::Active, Some("acc-killb-8"), None),
        &["beneficiary.status_changed"],
    );
    g.then(
        &status(S::Inactive, None, Some("closed")),
        &["beneficiary.status_changed"],
    );
    let json: Vec<Value> = g
        .events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert_eq!(json[0]["type"], "beneficiary.registered");
    assert_eq!(json[1]["type"], "beneficiary.status_changed");
    assert_eq!(json[1]["data"]["status"], "ACTIVE");
    assert_eq!(json[2]["version"], 3);
    let stored: Vec<Envelope<BeneficiaryEvent>> = json
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    assert_eq!(stored, g.events);
    assert_eq!(BeneficiaryDecider::fold(&stored), g.state);
    // What timelines show hides the account and document numbers.
    let masked = g.events[0].event.masked_data().to_string();
    assert!(
        !masked.contains("1234567890") && !masked.contains("3001234567"),
        "{masked}"
    );
}
