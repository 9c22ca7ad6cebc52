//! Approvals and velocity limits (issue #18): which payouts wait for an approver, and how the
//! wait ends. Given these events, when this command, then these events.

mod common;

use chrono::Duration;
use common::{Given, create, now};
use giro_domain::ErrorCode;
use giro_domain::approvals::{ApprovalPolicy, Velocity};
use giro_domain::payout::{CreatePayout, OperatorAction, OperatorCommand, PayoutCommand as C};
use rust_decimal::Decimal;

const POLICY: &str = r#"{
  "rules": [
    {"name": "large-cop", "currency": "COP", "min_amount": "1000000"},
    {"name": "all-tzs", "currency": "TZS"}
  ],
  "velocity": [
    {"name": "cop-day", "currency": "COP", "max_count": 3, "max_amount": "600000"}
  ],
  "expire_after_seconds": 3600
}"#;

fn policy() -> ApprovalPolicy {
    let p = ApprovalPolicy::parse(POLICY).unwrap();
    p.validate().unwrap();
    p
}

/// A COP payout to cashy-co caught by the policy (its fourth today), requested by `by`.
fn pending(key: &str, by: Option<&str>) -> Given {
    let mut c: CreatePayout = create(key);
    let day = Velocity {
        count: 3,
        amount: Decimal::ZERO,
    };
    let reasons = policy().reasons(&c.requested.provider, &c.requested.money, day);
    c.requested.approval = policy().requirement(reasons, by.map(str::to_string), now());
    let g = Given::with(c);
    assert_eq!(g.status(), "pending_approval");
    g
}

fn approve(by: &str) -> C {
    C::Operator(OperatorCommand {
        by: by.into(),
        action: OperatorAction::Approve {
            reason: Some("checked the invoice".into()),
        },
    })
}

fn reject(by: &str, reason: &str) -> C {
    C::Operator(OperatorCommand {
        by: by.into(),
        action: OperatorAction::Reject {
            reason: reason.into(),
        },
    })
}

#[test]
fn rules_and_limits_say_why_a_payout_waits() {
    let c = create("why");
    let (provider, money) = (&c.requested.provider, &c.requested.money);
    let none = Velocity::default();
    assert!(policy().reasons(provider, money, none).is_empty());
    let busy = Velocity {
        count: 3,
        amount: Decimal::from(400_000),
    };
    let reasons = policy().reasons(provider, money, busy);
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("cop-day: payout 4"), "{reasons:?}");
    assert!(reasons[1].contains("900000 COP"), "{reasons:?}");
    let mut large = create("large");
    large.requested.money =
        giro_domain::money::Money::parse("2000000", large.requested.money.currency()).unwrap();
    let reasons = policy().reasons(&large.requested.provider, &large.requested.money, none);
    assert_eq!(
        reasons,
        [
            "large-cop: 2000000 COP is at least 1000000",
            "cop-day: 2000000 COP to this beneficiary today, above 600000"
        ]
    );
    let required = policy()
        .requirement(reasons, Some("ana".into()), now())
        .unwrap();
    assert_eq!(required.expires_at, now() + Duration::hours(1));
    assert_eq!(required.requested_by.as_deref(), Some("ana"));
    assert!(policy().requirement(vec![], None, now()).is_none());
}

#[test]
fn a_policy_that_cannot_work_is_refused_naming_its_rule() {
    let bad = r#"{"rules": [{"name": "x", "min_amount": "-1"}, {"name": "x"}],
                  "velocity": [{"name": "v", "currency": "COP"}, {"name": "w", "currency": "COP", "max_count": 0}],
                  "expire_after_seconds": 0}"#;
    let errors = ApprovalPolicy::parse(bad).unwrap().validate().unwrap_err();
    let all = errors.join("\n");
    for expected in [
        "\"x\": min_amount is negative",
        "\"x\": the name is used twice",
        "\"v\": a limit needs max_count",
        "\"w\": a limit must be above 0",
        "expire_after_seconds",
    ] {
        assert!(all.contains(expected), "{expected} not in {all}");
    }
    for unreadable in [
        r#"{"rules": [{"name": "n", "min_amount": 5}]}"#,
        r#"{"rules": [{"name": "n", "colour": "red"}]}"#,
        r#"{"velocity": [{"name": "n", "currency": "XXX", "max_count": 1}]}"#,
    ] {
        let e = ApprovalPolicy::parse(unreadable).unwrap_err();
        assert!(
            e.starts_with("at rules[0]") || e.starts_with("at velocity[0]"),
            "{e}"
        );
    }
}

#[test]
fn a_payout_waiting_for_approval_is_not_paid_until_another_person_approves() {
    let mut g = pending("wait", Some("maker"));
    let refused = g.when(&C::StartSubmission).unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidState);
    let own = g.when(&approve("maker")).unwrap_err();
    assert_eq!(own.code, ErrorCode::Forbidden, "{own}");
    assert!(own.message.contains("maker"), "{own}");
    g.then(approve("checker"), &["payout.approved"], "requested");
    // The same approval again is a repeat; a rejection now is too late.
    g.then(approve("checker"), &[], "requested");
    let late = g.when(&reject("checker", "no")).unwrap_err();
    assert_eq!(late.code, ErrorCode::InvalidState);
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
}

#[test]
fn a_rejected_or_expired_payout_ends_cancelled() {
    let mut g = pending("reject", None);
    let why = g.when(&reject("checker", " ")).unwrap_err();
    assert_eq!(
        (why.code, why.field.as_deref()),
        (ErrorCode::MissingField, Some("reason"))
    );
    g.then(
        reject("checker", "duplicate of an earlier payout"),
        &["payout.approval_rejected"],
        "cancelled",
    );
    let after = g.when(&approve("other")).unwrap_err();
    assert_eq!(after.code, ErrorCode::InvalidState);

    let mut g = pending("expire", None);
    let early = g
        .when_at(&C::Wake, now() + Duration::minutes(59))
        .unwrap_err();
    assert_eq!(early.code, ErrorCode::InvalidState);
    assert_eq!(
        g.when_at(&C::Wake, now() + Duration::hours(1)).unwrap(),
        ["payout.approval_expired"]
    );
    assert_eq!(g.status(), "cancelled");
    // A wake that comes again is moot.
    assert!(
        g.when_at(&C::Wake, now() + Duration::hours(2))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_payout_waiting_for_approval_can_be_cancelled_and_one_without_none_is_decided() {
    let mut g = pending("cancel", None);
    g.then(
        C::Cancel { reason: None },
        &["payout.cancelled"],
        "cancelled",
    );
    let mut plain = Given::new("plain");
    let refused = plain.when(&approve("checker")).unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidState);
    assert!(refused.message.contains("needs no approval"), "{refused}");
}
