//! KillB's JSON (v2 API), exactly as it is sent and received, and the conversions between it and
//! Giro's domain. The webhook ingress reuses [`WebhookEnvelope`] and [`Payout::report`].
//!
//! One file per exchange: `auth` (tokens), `create` (the payout request), `payout` (payouts as
//! returned), `balance`, `error`, `webhook`, `account` (beneficiary accounts) and `setup` (banks, webhook
//! registrations, pre-fund accounts, list filters).

mod account;
mod auth;
mod balance;
mod create;
mod error;
mod payout;
mod setup;
mod webhook;

pub use account::{Account, UPDATABLE, account_body, account_patch};
pub use auth::{LoginRequest, RefreshRequest, TokenResponse};
pub use balance::Balance;
pub use create::{
    Beneficiary, BrebAccount, CreatePayout, DocumentOut, Holder, PseAccount, Unsupported,
};
pub use error::{Argument, ErrorBody, Messages};
pub use payout::{Payout, PayoutPage};
pub use setup::{
    AccountQuery, Bank, CreatePrefund, PayoutQuery, Prefund, RegisterWebhook, Webhook,
};
pub use webhook::WebhookEnvelope;

#[cfg(test)]
mod tests {
    use giro_domain::rail::AliasType;
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn account_bodies_use_killbs_names() {
        let body = serde_json::json!({"idempotency_key": "b-pa", "type": "PSE", "data": {
            "first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
            "phone": "+573001234567", "country_code": "CO", "account_number": "1234567890",
            "bank_code": "0001", "account_type": "savings",
            "document": {"type": "PA", "number": "AB123456", "issued_country_code": "CO"}}});
        let Ok(giro_domain::beneficiary::BeneficiaryCommand::Register { id, registration }) =
            giro_domain::beneficiary::parse_register(body.to_string().as_bytes())
        else {
            panic!("a valid registration");
        };
        let sent = account_body(&id.to_string(), "user-1", &registration);
        assert_eq!(sent["type"], "PSE");
        assert_eq!(sent["userId"], "user-1");
        assert_eq!(sent["externalId"], id.to_string());
        assert_eq!(sent["data"]["document"]["type"], "PASSPORT");
        assert_eq!(sent["data"]["accountNumber"], "1234567890");
        assert_eq!(sent["data"]["type"], "savings");
        assert_eq!(sent["data"]["firstName"], "Juan");
    }

    const RAW: [&str; 9] = [
        "Wilhelmina",
        "Quintero",
        "wilhelmina.q@example.org",
        "3157654321",
        "8001234567",
        "40087654321",
        "breb-alias-998877",
        "kb_at_secret",
        "kb_rt_secret",
    ];

    fn holder() -> Holder<'static> {
        Holder {
            first_name: Some("Wilhelmina"),
            last_name: Some("Quintero"),
            company_name: None,
            email: "wilhelmina.q@example.org",
            phone: "3157654321",
            document: DocumentOut {
                doc_type: "CC".into(),
                number: "8001234567",
            },
        }
    }

    fn assert_masked(debug: &str) {
        for raw in RAW {
            assert!(!debug.contains(raw), "{raw} in {debug}");
        }
    }

    #[test]
    fn payout_requests_debug_masked() {
        let pse = CreatePayout {
            pre_fund_account_id: "prefund-cop-001",
            amount: Decimal::new(500_000, 0),
            external_id: "G0abc01",
            beneficiary: Beneficiary::Pse(PseAccount {
                holder: holder(),
                account_number: "40087654321",
                bank_code: "007",
                account_type: "savings",
                country_code: "CO",
            }),
        };
        let debug = format!("{pse:?} {pse:#?}");
        assert_masked(&debug);
        for shown in [
            "****4321",
            "w***@example.org",
            "W***",
            "Q***",
            "****4567",
            "G0abc01",
        ] {
            assert!(debug.contains(shown), "{shown} not in {debug}");
        }
        let breb = CreatePayout {
            pre_fund_account_id: "prefund-cop-001",
            amount: Decimal::new(500_000, 0),
            external_id: "G0abc02",
            beneficiary: Beneficiary::Breb(BrebAccount {
                holder: Holder {
                    company_name: Some("Quintero Wilhelmina SAS"),
                    ..holder()
                },
                alias_type: AliasType::Phone,
                alias: "breb-alias-998877",
                country_code: "CO",
            }),
        };
        assert_masked(&format!("{breb:?}"));
    }

    #[test]
    fn tokens_and_echoes_debug_masked() {
        let tokens: TokenResponse = serde_json::from_str(
            r#"{"accessToken":"kb_at_secret","expiresIn":900000,"refreshToken":"kb_rt_secret"}"#,
        )
        .unwrap();
        let debug = format!("{tokens:?}");
        assert_masked(&debug);
        assert!(debug.contains("900000"), "{debug}");
        let error: ErrorBody = serde_json::from_str(
            r#"{"errorCode":"X","arguments":[{"key":"accountNumber","value":"40087654321"},
                {"key":"email","value":"wilhelmina.q@example.org"}]}"#,
        )
        .unwrap();
        assert_masked(&format!("{error:?}"));
        let hook = WebhookEnvelope::parse(
            br#"{"id":"e1","event":"ACCOUNT","data":{"id":"a1","status":"ACTIVE",
                "firstName":"Wilhelmina","lastName":"Quintero","accountNumber":"40087654321"}}"#,
        )
        .unwrap();
        assert_masked(&format!("{hook:?}"));
    }
}
