//! A charge's optional parts beyond the payer (seed 003's optional and card fields): the shipping
//! address, the anti-fraud data, 3-D Secure with the payer's device, and a wallet's payment token.
//! Each is typed as the provider's page types it; [`check`] adds the rules serde cannot say.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::order::{Address, ChargeMethod};
use crate::rejection::{ErrorCode, Rejection};
use crate::secret::{MaskStyle, Pii, pii};

/// Where a sale happened (`antifraud_info.sales_channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SalesChannel {
    Web,
    App,
    Pos,
    Marketplace,
    Link,
    Subscription,
    Api,
}

/// Behavioural data for the provider's fraud scoring (`antifraud_info`); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AntifraudInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_channel: Option<SalesChannel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardholder_logged_in: Option<bool>,
    /// Days since the payer's account was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardholder_since_days: Option<u32>,
    /// The payer's purchases in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_history: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_since_last_purchase_merchant: Option<u32>,
}

/// The payer's browser and device, for 3-D Secure (`device_info`, twelve fields). The IP address
/// is personal data: sealed in events, masked wherever shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_ip")]
    pub ip_address: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_accept_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_browser_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_browser_java_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_browser_javascript_enabled: Option<bool>,
    /// Colour depth, a string of digits (`"24"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_browser_color_depth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_browser_screen_height: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_browser_screen_width: Option<String>,
    /// The offset from UTC in hours (`"-3"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_browser_time_difference: Option<String>,
}

mod opt_ip {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{MaskStyle, Pii, pii};

    pub fn serialize<S: Serializer>(v: &Option<Pii>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => pii::last_four::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Pii>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|v| Pii::open(v, MaskStyle::LastFour).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A wallet's payment token (Apple Pay's `PKPaymentToken`, Google Pay's `PaymentMethodToken`), as
/// the payer's device gave it: a JSON object kept as its JSON text, sealed in events and never
/// shown (`***` in every log, error and view).
pub fn wallet_token(object: &Map<String, Value>) -> Pii {
    Pii::new(Value::Object(object.clone()).to_string(), MaskStyle::Hidden)
}

/// The payment methods a payment token comes with.
fn takes_wallet_token(method: ChargeMethod) -> bool {
    matches!(method, ChargeMethod::Applepay | ChargeMethod::Googlepay)
}

/// The methods paid by card (cards and the wallets holding one), the only ones 3-D Secure and a
/// device fingerprint mean anything for.
fn is_card(method: ChargeMethod) -> bool {
    !matches!(method, ChargeMethod::Pix | ChargeMethod::Boleto)
}

/// The optional parts of a charge command, before [`check`].
pub(super) struct Extras<'a> {
    pub method: ChargeMethod,
    pub payer_address: &'a Address,
    pub shipping_address: Option<&'a Address>,
    pub threeds_authentication: Option<bool>,
    pub device_info: Option<&'a DeviceInfo>,
    pub wallet_token: Option<&'a Map<String, Value>>,
}

/// The rules of the optional parts: both addresses complete (`country`, when given, two
/// letters), 3-D Secure and the device only with a card, the device's fields as the page types
/// them, and a wallet token only for Apple Pay and Google Pay, never empty.
pub(super) fn check(x: &Extras<'_>) -> Result<(), Rejection> {
    check_address("payer.address", x.payer_address)?;
    if let Some(shipping) = x.shipping_address {
        check_address("shipping_address", shipping)?;
    }
    let method = serde_json::to_value(x.method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    for (field, given) in [
        ("threeds_authentication", x.threeds_authentication.is_some()),
        ("device_info", x.device_info.is_some()),
    ] {
        if given && !is_card(x.method) {
            return Err(Rejection::at(
                ErrorCode::InvalidField,
                field,
                format!("applies to card payments only, not to {method}"),
            ));
        }
    }
    if let Some(device) = x.device_info {
        check_device(device)?;
    }
    match x.wallet_token {
        Some(_) if !takes_wallet_token(x.method) => Err(Rejection::at(
            ErrorCode::InvalidField,
            "wallet_token",
            format!("is for applepay and googlepay only, not {method}"),
        )),
        Some(token) if token.is_empty() => Err(Rejection::at(
            ErrorCode::InvalidField,
            "wallet_token",
            "is empty; send the token object the payer's wallet gave",
        )),
        _ => Ok(()),
    }
}

fn check_address(at: &str, a: &Address) -> Result<(), Rejection> {
    for (field, value) in [
        ("street", &a.street),
        ("address_number", &a.address_number),
        ("complement", &a.complement),
        ("neighborhood", &a.neighborhood),
        ("city", &a.city),
        ("state", &a.state),
        ("postal_code", &a.postal_code),
    ] {
        if value.trim().is_empty() {
            return Err(Rejection::at(
                ErrorCode::MissingField,
                format!("{at}.{field}"),
                "is empty",
            ));
        }
    }
    if let Some(country) = &a.country
        && !(country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()))
    {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            format!("{at}.country"),
            "must be an ISO 3166-1 alpha-2 code such as BR (leave it out for the wallet's country)",
        ));
    }
    Ok(())
}

fn check_device(d: &DeviceInfo) -> Result<(), Rejection> {
    let invalid = |field: &str, why: &str| {
        Rejection::at(ErrorCode::InvalidField, format!("device_info.{field}"), why)
    };
    if let Some(ip) = &d.ip_address
        && ip.expose().parse::<IpAddr>().is_err()
    {
        return Err(invalid("ip_address", "must be an IPv4 or IPv6 address"));
    }
    for (field, value) in [
        ("http_browser_color_depth", &d.http_browser_color_depth),
        ("http_browser_screen_height", &d.http_browser_screen_height),
        ("http_browser_screen_width", &d.http_browser_screen_width),
    ] {
        if let Some(v) = value
            && (v.is_empty() || !v.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(invalid(field, "must be a string of digits, such as \"24\""));
        }
    }
    if let Some(v) = &d.http_browser_time_difference
        && v.trim().parse::<i32>().is_err()
    {
        return Err(invalid(
            "http_browser_time_difference",
            "must be the offset from UTC in hours, such as \"-3\"",
        ));
    }
    Ok(())
}
