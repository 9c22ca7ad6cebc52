//! Updating and removing a beneficiary (`giro.cmd.beneficiary.update` / `.remove`): given these
//! events, when this command, then these events and this state, or this refusal.

use chrono::{DateTime, Duration, TimeZone, Utc};
use giro_domain::beneficiary::{
    Beneficiary, BeneficiaryChangeFailed, BeneficiaryCommand as C, BeneficiaryDecider,
    BeneficiaryEvent, BeneficiaryStatus as S, BeneficiaryStatusChanged, parse_register,
    parse_remove, parse_update,
};
use giro_domain::{
    Decider, Envelope, ErrorCode, EventId, EventMeta, EventType, OrderId, Rejection,
};
use serde_json::{Value, json};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 6, 0, 0).single().unwrap()
}

fn pse_body() -> Value {
    json!({"idempotency_key": "acct-change", "type": "PSE",
           "data": {"first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
                    "phone": "+573001234567", "account_number": "1234567890", "bank_code": "0001",
                    "account_type": "savings", "country_code": "CO",
                    "document": {"type": "NUIP", "number": "1234567890", "issued_country_code": "CO"}}})
}

fn spei_body() -> Value {
    json!({"idempotency_key": "acct-spei", "type": "SPEI",
           "data": {"first_name": "Ana", "last_name": "Lopez", "email": "ana@example.com",
                    "phone": "+525512345678", "country_code": "MX",
                    "clabe": "002010077777777771", "clabe_type": "CLABE",
                    "document": {"type": "RFC", "number": "LOAA800101AB1"}}})
}

struct Given {
    id: OrderId,
    version: u64,
    state: Option<Beneficiary>,
}

impl Given {
    /// A beneficiary registered and made ACTIVE by the provider as `acc-1`.
    fn active(body: &Value) -> Self {
        let cmd = parse_register(body.to_string().as_bytes()).unwrap();
        let C::Register { id, .. } = &cmd else {
            unreachable!()
        };
        let mut g = Given {
            id: *id,
            version: 0,
            state: None,
        };
        g.then(&cmd, &["beneficiary.registered"]);
        g.then(&status(S::Active), &["beneficiary.status_changed"]);
        g
    }

    fn when(&mut self, cmd: &C) -> Result<Vec<&'static str>, Rejection> {
        let events = BeneficiaryDecider::decide(&self.state, cmd, t0())?;
        let mut types = vec![];
        for event in events {
            types.push(event.event_type());
            self.version += 1;
            let env = Envelope {
                id: EventId::new(),
                event,
                order_id: self.id,
                version: self.version,
                at: t0() + Duration::minutes(self.version as i64),
                meta: EventMeta::default(),
            };
            // Every event survives its wire form.
            let text = serde_json::to_string(&env.event).unwrap();
            let back: BeneficiaryEvent = serde_json::from_str(&text).unwrap();
            assert_eq!(back, env.event);
            self.state = BeneficiaryDecider::evolve(self.state.take(), &env);
        }
        Ok(types)
    }

    fn then(&mut self, cmd: &C, types: &[&str]) {
        let got = self
            .when(cmd)
            .unwrap_or_else(|r| panic!("{cmd:?} refused: {r}"));
        assert_eq!(got, types, "events of {cmd:?}");
    }

    fn refused(&mut self, cmd: &C) -> Rejection {
        let before = self.state.clone();
        let r = self.when(cmd).expect_err("refused");
        assert_eq!(self.state, before, "a refusal changes nothing");
        r
    }

    fn b(&self) -> &Beneficiary {
        self.state.as_ref().unwrap()
    }
}

fn status(s: S) -> C {
    C::RecordStatus(BeneficiaryStatusChanged {
        status: s,
        provider_ref: Some("acc-1".into()),
        reason: None,
    })
}

fn update(id: OrderId, data: Value) -> C {
    let body = json!({"beneficiary_id": id, "data": data, "reason": "new bank account"});
    let (parsed, changes, reason) = parse_update(body.to_string().as_bytes()).unwrap();
    assert_eq!(parsed, id);
    C::Update { changes, reason }
}

fn remove(id: OrderId) -> C {
    let body = json!({"beneficiary_id": id});
    let (parsed, reason) = parse_remove(body.to_string().as_bytes()).unwrap();
    assert_eq!((parsed, reason), (id, None));
    C::Remove { reason: None }
}

#[test]
fn an_update_is_requested_then_merged_when_the_provider_takes_it() {
    let mut g = Given::active(&pse_body());
    let cmd = update(g.id, json!({"account_number": "9876543210"}));
    g.then(&cmd, &["beneficiary.update_requested"]);
    assert!(g.b().pending_update.is_some());
    assert_eq!(
        g.b().status,
        S::Active,
        "unchanged until the provider answers"
    );
    g.then(&cmd, &[]);
    g.then(&C::RecordUpdated(S::Pending), &["beneficiary.updated"]);
    let b = g.b();
    assert_eq!(
        b.status,
        S::Pending,
        "the provider verifies the account again"
    );
    assert_eq!(b.pending_update, None);
    let number = b.registration.data.account_number.as_ref().unwrap();
    assert_eq!(number.expose(), "9876543210");
    assert_eq!(b.registration.data.bank_code.as_deref(), Some("0001"));
    // The same values again: nothing to change.
    g.then(&cmd, &[]);
    g.then(&C::RecordUpdated(S::Active), &[]);
}

#[test]
fn the_update_events_carry_personal_data_masked_when_shown() {
    let mut g = Given::active(&pse_body());
    g.then(
        &update(g.id, json!({"account_number": "9876543210"})),
        &["beneficiary.update_requested"],
    );
    let pending = g.b().pending_update.clone().unwrap();
    let shown = BeneficiaryEvent::UpdateRequested(pending).masked_data();
    let text = shown.to_string();
    assert!(!text.contains("9876543210"), "{text}");
    assert!(text.contains("3210"), "{text}");
    assert_eq!(shown["reason"], "new bank account");
}

#[test]
fn a_refused_update_leaves_the_account_as_it_was() {
    let mut g = Given::active(&pse_body());
    g.then(
        &update(g.id, json!({"bank_code": "0007"})),
        &["beneficiary.update_requested"],
    );
    let failed = BeneficiaryChangeFailed {
        reason: "ACCOUNT.0003: bank code not accepted".into(),
    };
    g.then(
        &C::RecordUpdateFailed(failed.clone()),
        &["beneficiary.update_failed"],
    );
    assert_eq!(g.b().pending_update, None);
    assert_eq!(g.b().registration.data.bank_code.as_deref(), Some("0001"));
    assert_eq!(g.b().status, S::Active);
    g.then(&C::RecordUpdateFailed(failed), &[]);
}

#[test]
fn a_spei_clabe_update_is_checked_like_a_registration() {
    let mut g = Given::active(&spei_body());
    let r = g.refused(&update(g.id, json!({"clabe": "002010077777777772"})));
    assert_eq!(r.code, ErrorCode::InvalidBeneficiary);
    assert_eq!(r.field.as_deref(), Some("data.clabe"));
    g.then(
        &update(
            g.id,
            json!({"clabe": "032180000118359719", "clabe_type": "CLABE"}),
        ),
        &["beneficiary.update_requested"],
    );
}

#[test]
fn fields_that_cannot_be_updated_are_refused_by_name() {
    let id = OrderId::from_uuid("6f2c1d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f".parse().unwrap());
    for (data, field) in [
        (json!({"first_name": "Pedro"}), "data.first_name"),
        (
            json!({"email": "x@example.com", "clabe": "1"}),
            "data.email",
        ),
        (json!({}), "data"),
    ] {
        let body = json!({"beneficiary_id": id, "data": data});
        let r = parse_update(body.to_string().as_bytes()).expect_err("refused");
        assert_eq!(r.field.as_deref(), Some(field), "{data}: {r}");
    }
    let body = json!({"beneficiary_id": "nope", "data": {"clabe": "1"}});
    let r = parse_update(body.to_string().as_bytes()).expect_err("refused");
    assert_eq!(r.field.as_deref(), Some("beneficiary_id"));
    // A field the account's type does not use is refused by the type's rules.
    let mut g = Given::active(&pse_body());
    let r = g.refused(&update(
        g.id,
        json!({"address": "0x52908400098527886E0F7030069857D2E4169EE7"}),
    ));
    assert_eq!(r.field.as_deref(), Some("data.address"), "{r}");
}

#[test]
fn changes_are_refused_for_unknown_unsettled_erased_or_removed_beneficiaries() {
    let mut unknown = Given {
        id: OrderId::from_uuid("6f2c1d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f".parse().unwrap()),
        version: 0,
        state: None,
    };
    let r = unknown.refused(&update(unknown.id, json!({"account_number": "9876543210"})));
    assert_eq!(r.code, ErrorCode::NotFound);
    assert_eq!(
        unknown.refused(&remove(unknown.id)).code,
        ErrorCode::NotFound
    );

    // Not yet created at the provider.
    let cmd = parse_register(pse_body().to_string().as_bytes()).unwrap();
    let C::Register { id, .. } = &cmd else {
        unreachable!()
    };
    let mut fresh = Given {
        id: *id,
        version: 0,
        state: None,
    };
    fresh.then(&cmd, &["beneficiary.registered"]);
    let r = fresh.refused(&update(fresh.id, json!({"account_number": "9876543210"})));
    assert_eq!(r.code, ErrorCode::InvalidState);
    assert!(r.message.contains("not yet created"), "{r}");
    assert_eq!(
        fresh.refused(&remove(fresh.id)).code,
        ErrorCode::InvalidState
    );

    let mut erased = Given::active(&pse_body());
    erased.then(
        &C::ErasePersonalData {
            reason: "asked".into(),
        },
        &["beneficiary.personal_data_erased"],
    );
    let r = erased.refused(&update(erased.id, json!({"account_number": "9876543210"})));
    assert!(r.message.contains("erased"), "{r}");
    assert!(
        erased
            .refused(&remove(erased.id))
            .message
            .contains("erased")
    );

    let mut removed = Given::active(&pse_body());
    removed.then(&remove(removed.id), &["beneficiary.removal_requested"]);
    let r = removed.refused(&update(removed.id, json!({"account_number": "9876543210"})));
    assert!(r.message.contains("being removed"), "{r}");
    removed.then(&C::RecordRemoved, &["beneficiary.removed"]);
    let r = removed.refused(&update(removed.id, json!({"account_number": "9876543210"})));
    assert!(r.message.contains("removed"), "{r}");
}

#[test]
fn a_removal_makes_the_beneficiary_inactive_for_good() {
    let mut g = Given::active(&pse_body());
    g.then(&remove(g.id), &["beneficiary.removal_requested"]);
    g.then(&remove(g.id), &[]);
    assert_eq!(
        g.b().status,
        S::Active,
        "payable until the provider deletes it"
    );
    g.then(&C::RecordRemoved, &["beneficiary.removed"]);
    assert_eq!((g.b().status, g.b().removed), (S::Inactive, true));
    g.then(&remove(g.id), &[]);
    // A later status report (a webhook, a poll) does not bring it back.
    g.then(&status(S::Active), &[]);
    assert_eq!(g.b().status, S::Inactive);
}

#[test]
fn a_removal_the_provider_refuses_leaves_the_beneficiary_as_it_was() {
    let mut g = Given::active(&pse_body());
    g.then(&remove(g.id), &["beneficiary.removal_requested"]);
    let failed = BeneficiaryChangeFailed {
        reason: "ACCOUNT.0004: used by a pending or processing payout".into(),
    };
    g.then(
        &C::RecordRemovalFailed(failed),
        &["beneficiary.removal_failed"],
    );
    assert_eq!(
        (g.b().status, g.b().removed, g.b().removal_requested),
        (S::Active, false, false)
    );
    // It may be asked again later.
    g.then(&remove(g.id), &["beneficiary.removal_requested"]);
}

#[test]
fn an_update_in_progress_blocks_a_different_update_and_a_removal() {
    let mut g = Given::active(&pse_body());
    g.then(
        &update(g.id, json!({"account_number": "9876543210"})),
        &["beneficiary.update_requested"],
    );
    let r = g.refused(&update(g.id, json!({"account_number": "1111222233"})));
    assert!(r.message.contains("in progress"), "{r}");
    let r = g.refused(&remove(g.id));
    assert!(r.message.contains("in progress"), "{r}");
}
