//! A55's JSON (seed 003), exactly as it is sent and received. The webhook ingress reuses
//! [`Charge`] (the signed webhook's body) and [`LegacyWebhook`] (the older unsigned one).

use std::fmt;

use giro_domain::Currency;
use giro_domain::charge::{
    Address, AntifraudInfo, BoletoDetails, ChargeMethod, ChargeOutcome, ChargeReport,
    ChargeRequested, DeviceInfo, PaymentDetails, PixDetails, ReportSource, Subscription,
};
use giro_domain::secret::{MaskStyle, mask};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::A55Config;
use super::status::A55Status;
use crate::json;
use crate::report::report_id;

/// The OAuth2 token answer; `expires_in` is in seconds. Its `Debug` masks the token.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub expires_in: Option<Decimal>,
    #[serde(default)]
    pub token_type: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .finish()
    }
}

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

/// A charge as A55 returns it (create, read, refund, cancel) and as a signed webhook's body.
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    pub charge_uuid: String,
    pub status: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub local_currency: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub usd_currency: Option<Decimal>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub eur_currency: Option<Decimal>,
    /// The payment method.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub installment_count: Option<u32>,
    #[serde(default)]
    pub installments: Option<Vec<Installment>>,
    /// The hosted checkout (cards without card data).
    #[serde(default)]
    pub charge_payment_url: Option<String>,
    #[serde(default)]
    pub url_3ds: Option<String>,
    /// Why a charge is in `error`.
    #[serde(default)]
    pub message: Option<Problems>,
    #[serde(default)]
    pub subscription: Option<SubscriptionInfo>,
    #[serde(default)]
    pub reference_external_id: Option<String>,
    #[serde(default)]
    pub pix_qr_code: Option<String>,
    #[serde(default)]
    pub pix_copy_paste: Option<String>,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub digitable_line: Option<String>,
    #[serde(default)]
    pub boleto_url: Option<String>,
}

impl Charge {
    /// Parses a signed webhook's body (after verifying it on the same bytes).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The status, parsed (unknown ones included).
    pub fn status(&self) -> A55Status {
        A55Status::parse(&self.status)
    }

    /// The identity of this status report (A55: dedupe by charge_uuid + status).
    pub fn report_id(&self) -> String {
        report_id(&self.charge_uuid, &self.status)
    }

    /// This charge's status as a report from `source`; an `error` carries its problems as reason.
    pub fn report(&self, source: ReportSource) -> ChargeReport {
        ChargeReport {
            source,
            raw_status: self.status.clone(),
            outcome: ChargeOutcome::from(&self.status()),
            report_id: self.report_id(),
            charge_uuid: Some(self.charge_uuid.clone()),
            reason: self.message.as_ref().map(|m| m.summary().1),
            amount: self.charged(),
            currency: self.currency.clone(),
            attempt: None,
            reported_at: None,
        }
    }

    /// What A55 says the payer is charged in all (`local_currency`), for the statuses that mean the
    /// payer is authorised or charged: the domain takes such a report only when this is the
    /// charge's total, so a charge A55 read per installment (total × count) is never recorded as
    /// paid at Giro's amount.
    fn charged(&self) -> Option<Decimal> {
        match ChargeOutcome::from(&self.status()) {
            ChargeOutcome::Authorized | ChargeOutcome::Confirmed | ChargeOutcome::Paid => {
                self.local_currency
            }
            _ => None,
        }
    }

    /// How the payer pays: the hosted checkout, the PIX code or the boleto.
    pub fn payment(&self) -> PaymentDetails {
        let pix =
            (self.pix_qr_code.is_some() || self.pix_copy_paste.is_some()).then(|| PixDetails {
                qr_code: self.pix_qr_code.clone(),
                copy_paste: self.pix_copy_paste.clone(),
            });
        let boleto = (self.barcode.is_some() || self.boleto_url.is_some()).then(|| BoletoDetails {
            barcode: self.barcode.clone().or_else(|| self.digitable_line.clone()),
            url: self.boleto_url.clone(),
        });
        PaymentDetails {
            payment_url: self.charge_payment_url.clone(),
            pix,
            boleto,
        }
    }
}

/// One installment.
#[derive(Debug, Clone, Deserialize)]
pub struct Installment {
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub local_currency: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub installment_number: Option<u32>,
}

/// The subscription created with a charge.
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionInfo {
    #[serde(default)]
    pub subscription_uuid: Option<String>,
    #[serde(default)]
    pub cycle: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// One `{code, source, description}` of `message`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `message`: a list of problems in the docs; a plain string is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Problems {
    List(Vec<Problem>),
    Text(String),
}

impl Problems {
    /// The first problem's code and a readable description of all of them.
    pub fn summary(&self) -> (Option<String>, String) {
        match self {
            Problems::Text(text) => (None, text.clone()),
            Problems::List(list) => {
                let code = list
                    .first()
                    .map(|p| p.code.clone())
                    .filter(|c| !c.is_empty());
                let text = list
                    .iter()
                    .map(|p| match &p.description {
                        Some(d) => format!("{}: {d}", p.code),
                        None => p.code.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                (code, text)
            }
        }
    }
}

/// An error answer: `{"status": "error", "message": [{code, source, description}]}`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub message: Option<Problems>,
    /// OAuth2 errors (`invalid_client`, …).
    #[serde(default)]
    pub error: Option<String>,
}

/// The older, unsigned webhook; confirm it by reading the charge before believing it.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyWebhook {
    pub charge_uuid: String,
    pub status: String,
    #[serde(default)]
    pub transaction_reference: Option<String>,
    #[serde(default)]
    pub subscription_uuid: Option<String>,
    #[serde(default)]
    pub payment_link_uuid: Option<String>,
}

impl LegacyWebhook {
    /// Parses an unsigned webhook body.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
