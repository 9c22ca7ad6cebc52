//! The requests A55 takes (seed 003 and its public docs), exactly as they are sent: the charge
//! creation with every field the page names, the capture and the refund.

use std::fmt;

use giro_domain::Currency;
use giro_domain::charge::{
    Address, AntifraudInfo, ChargeMethod, ChargeRequested, DeviceInfo, Subscription,
};
use giro_domain::secret::{MaskStyle, mask};
use rust_decimal::Decimal;
use serde::Serialize;

use super::A55Config;
use crate::json;

/// `POST /api/v1/bank/wallet/charge/`. It has no card fields: raw card data never passes through
/// Giro (cards go through A55's hosted checkout, `charge_payment_url`). Its `Debug` masks the
/// payer (name, e-mail, tax id, phone) and shows of the address only the city, state and country.
#[derive(Serialize)]
pub struct CreateCharge<'a> {
    pub wallet_uuid: &'a str,
    pub merchant_id: &'a str,
    pub payer_name: &'a str,
    pub payer_email: &'a str,
    pub payer_tax_id: &'a str,
    pub payer_cell_phone: &'a str,
    #[serde(serialize_with = "json::number")]
    pub installment_value: Decimal,
    pub installment_count: u32,
    pub currency: &'static str,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub description: &'a str,
    pub type_charge: ChargeMethod,
    pub payer_address: &'a Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<&'a str>,
    pub reference_external_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<&'a Subscription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_async: Option<bool>,
    /// The payer's address's structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<&'a Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub antifraud_info: Option<&'a AntifraudInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threeds_authentication: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_info: Option<&'a DeviceInfo>,
    /// The Apple Pay or Google Pay payment token object, as the payer's wallet gave it (see the
    /// module's docs for the field's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet_token: Option<serde_json::Value>,
}

/// `POST /api/v1/bank/wallet/charge/capture/`: the whole authorisation when `amount` is absent.
#[derive(Debug, Serialize)]
pub struct CaptureRequest<'a> {
    pub charge_uuid: &'a str,
    pub wallet_uuid: &'a str,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "json::opt_number"
    )]
    pub amount: Option<Decimal>,
}

impl fmt::Debug for CreateCharge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = format!(
            "Address {{ city: {:?}, state: {:?}, country: {:?}, .. }}",
            self.payer_address.city, self.payer_address.state, self.payer_address.country
        );
        f.debug_struct("CreateCharge")
            .field("wallet_uuid", &self.wallet_uuid)
            .field("merchant_id", &self.merchant_id)
            .field("payer_name", &mask(self.payer_name, MaskStyle::Initials))
            .field("payer_email", &mask(self.payer_email, MaskStyle::Email))
            .field(
                "payer_tax_id",
                &mask(self.payer_tax_id, MaskStyle::LastFour),
            )
            .field(
                "payer_cell_phone",
                &mask(self.payer_cell_phone, MaskStyle::LastFour),
            )
            .field("installment_value", &self.installment_value)
            .field("installment_count", &self.installment_count)
            .field("currency", &self.currency)
            .field("due_date", &self.due_date)
            .field("description", &self.description)
            .field("type_charge", &self.type_charge)
            .field("payer_address", &format_args!("{address}"))
            .field("webhook_url", &self.webhook_url)
            .field("redirect_url", &self.redirect_url)
            .field("reference_external_id", &self.reference_external_id)
            .field("capture", &self.capture)
            .field("subscription", &self.subscription)
            .field("is_async", &self.is_async)
            .field(
                "shipping_address",
                &self.shipping_address.map(|a| {
                    format!(
                        "Address {{ city: {:?}, state: {:?}, country: {:?}, .. }}",
                        a.city, a.state, a.country
                    )
                }),
            )
            .field("antifraud_info", &self.antifraud_info)
            .field("threeds_authentication", &self.threeds_authentication)
            .field("device_info", &self.device_info)
            .field("wallet_token", &self.wallet_token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Why a charge cannot be sent to A55 as asked (nothing was sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Unsupported {
    pub field: &'static str,
    pub message: String,
}

impl<'a> CreateCharge<'a> {
    /// The body for `charge` under `handle` (`reference_external_id`): `installment_value` is the
    /// charge's total. A fractional CLP or COP amount is refused (A55 would truncate it and the
    /// difference would vanish), and so is a total that does not split evenly into
    /// `installment_count` installments.
    pub fn new(
        config: &'a A55Config,
        handle: &'a str,
        charge: &'a ChargeRequested,
    ) -> Result<Self, Unsupported> {
        let currency = charge.money.currency();
        let value = charge.money.amount();
        match currency {
            Currency::CLP | Currency::COP if !value.fract().is_zero() => {
                return Err(Unsupported {
                    field: "amount",
                    message: format!("A55 takes whole {currency} only; {value} would be truncated"),
                });
            }
            Currency::TZS => {
                return Err(Unsupported {
                    field: "currency",
                    message: "A55 does not take TZS".into(),
                });
            }
            _ => {}
        }
        // `installment_value` is the total, split by A55 into `installment_count` installments
        // (see the module's docs); a total that does not split evenly would be rounded by it.
        let places = match currency {
            Currency::CLP | Currency::COP => 0,
            _ => 2,
        };
        let count = Decimal::from(charge.installment_count.max(1));
        if !((value * Decimal::from(10u32.pow(places))) % count).is_zero() {
            return Err(Unsupported {
                field: "installment_count",
                message: format!(
                    "{value} {currency} does not split into {count} equal installments of at most \
                     {places} decimal places; A55 would round them"
                ),
            });
        }
        Ok(CreateCharge {
            wallet_uuid: &config.wallet_uuid,
            merchant_id: &config.merchant_id,
            payer_name: charge.payer.name.expose(),
            payer_email: charge.payer.email.expose(),
            payer_tax_id: charge.payer.tax_id.expose(),
            payer_cell_phone: charge.payer.phone.expose(),
            installment_value: value,
            installment_count: charge.installment_count,
            currency: currency.code(),
            due_date: charge.due_date.format("%Y-%m-%d").to_string(),
            description: &charge.description,
            type_charge: charge.method,
            payer_address: &charge.payer.address,
            webhook_url: config.webhook_url.as_deref(),
            redirect_url: charge.redirect_url.as_deref(),
            reference_external_id: handle,
            capture: charge.capture,
            subscription: charge.subscription.as_ref(),
            is_async: charge.is_async,
            shipping_address: charge.shipping_address.as_ref(),
            antifraud_info: charge.antifraud_info.as_ref(),
            threeds_authentication: charge.threeds_authentication,
            device_info: charge.device_info.as_ref(),
            wallet_token: match &charge.wallet_token {
                Some(token) => {
                    Some(
                        serde_json::from_str(token.expose()).map_err(|_| Unsupported {
                            field: "wallet_token",
                            message: "the stored payment token is not a JSON object".into(),
                        })?,
                    )
                }
                None => None,
            },
        })
    }
}

/// `POST …/charge/{charge_uuid}/refund/{wallet_uuid}/`: the whole charge when `amount` is absent.
#[derive(Debug, Serialize)]
pub struct RefundRequest<'a> {
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "json::opt_number"
    )]
    pub amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::a55::wire::TokenResponse;

    #[test]
    fn charge_requests_and_tokens_debug_masked() {
        let address = Address {
            street: "Rua Augusta".into(),
            address_number: "1508".into(),
            complement: "Apto 71".into(),
            neighborhood: "Consolacao".into(),
            city: "Sao Paulo".into(),
            state: "SP".into(),
            postal_code: "01304-001".into(),
            country: Some("BR".into()),
        };
        let charge = CreateCharge {
            wallet_uuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
            merchant_id: "11111111-1111-1111-1111-111111111111",
            payer_name: "Joaquina Bettencourt",
            payer_email: "joaquina.b@example.com.br",
            payer_tax_id: "39053344705",
            payer_cell_phone: "+5511987654321",
            installment_value: Decimal::new(15_000, 2),
            installment_count: 1,
            currency: "BRL",
            due_date: "2030-12-31".into(),
            description: "Order 42",
            type_charge: ChargeMethod::Pix,
            payer_address: &address,
            webhook_url: None,
            redirect_url: Some("https://shop.example.com/done"),
            reference_external_id: "G0abc01",
            capture: None,
            subscription: None,
            is_async: None,
            shipping_address: Some(&address),
            antifraud_info: None,
            threeds_authentication: None,
            device_info: None,
            wallet_token: Some(serde_json::json!({"paymentData": "s3cr3t-wallet-blob"})),
        };
        let debug = format!("{charge:?} {charge:#?}");
        for raw in [
            "Joaquina",
            "Bettencourt",
            "joaquina.b@example.com.br",
            "39053344705",
            "987654321",
            "Rua Augusta",
            "Apto 71",
            "01304-001",
            "s3cr3t-wallet-blob",
        ] {
            assert!(!debug.contains(raw), "{raw} in {debug}");
        }
        for shown in [
            "J*** B***",
            "j***@example.com.br",
            "****4705",
            "Sao Paulo",
            "G0abc01",
        ] {
            assert!(debug.contains(shown), "{shown} not in {debug}");
        }
        let token: TokenResponse = serde_json::from_str(
            r#"{"access_token":"a55_0123456789abcdef","expires_in":3600,"token_type":"Bearer"}"#,
        )
        .unwrap();
        let debug = format!("{token:?}");
        assert!(!debug.contains("a55_0123456789abcdef"), "{debug}");
        assert!(debug.contains("3600"), "{debug}");
    }
}
