//! Cashy's JSON (seeds 001 and 004), exactly as it is sent and received, and the conversions
//! between it and Giro's domain. The webhook ingress reuses [`Callback`].
//!
//! One file per exchange: `payout` (the payout request), `query` (the other requests),
//! `answer` (the answers and what they report), `callback` and `bank`.

mod answer;
mod bank;
mod callback;
mod payout;
mod query;

pub use answer::{BalanceData, Envelope, OrderData, PayOutData};
pub use bank::Bank;
pub use callback::Callback;
pub use payout::{PayOutRequest, Unsupported};
pub use query::{NonceRequest, QueryRequest};

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn payout_requests_debug_masked() {
        let body = PayOutRequest {
            account_name: "Wilhelmina Quintero".into(),
            account_no: "40087654321",
            account_type: 1,
            currency: "COP",
            amount: Decimal::new(150_000, 0),
            bank_id: Some(7),
            mch_order_no: "G0abc01",
            notify_url: "https://giro.example.com/webhooks/cashy",
            nonce_str: "n0nce".into(),
            id_type: Some("1".into()),
            id_card: Some("8001234567"),
            phone: Some("3157654321"),
            email: Some("wilhelmina.q@example.org"),
            remark: "giro payout".into(),
        };
        let debug = format!("{body:?} {body:#?}");
        for raw in [
            "Wilhelmina",
            "Quintero",
            "40087654321",
            "8001234567",
            "3157654321",
            "wilhelmina.q@example.org",
        ] {
            assert!(!debug.contains(raw), "{raw} in {debug}");
        }
        for shown in [
            "W*** Q***",
            "****4321",
            "****4567",
            "w***@example.org",
            "G0abc01",
        ] {
            assert!(debug.contains(shown), "{shown} not in {debug}");
        }
        let wallet = PayOutRequest {
            account_no: "713579246",
            id_card: None,
            phone: None,
            email: None,
            ..body
        };
        let debug = format!("{wallet:?}");
        assert!(!debug.contains("713579246"), "{debug}");
    }
}
