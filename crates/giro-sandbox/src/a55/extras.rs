//! The checks on a charge's optional parts (seed 003): `is_async`, `shipping_address` (the
//! payer's address's structure and rules), `antifraud_info`, `device_info` (twelve typed fields),
//! and the Apple Pay / Google Pay payment token (`wallet_token`, an object, for those two methods
//! only); and what of them a charge received, for tests to look at.

use serde_json::{Map, Value};

use super::errors::A55Error;
use crate::json::RawObject;

const SALES_CHANNELS: [&str; 7] = [
    "web",
    "app",
    "pos",
    "marketplace",
    "link",
    "subscription",
    "api",
];

const ADDRESS: [&str; 7] = [
    "street",
    "address_number",
    "complement",
    "neighborhood",
    "city",
    "state",
    "postal_code",
];

/// The optional fields kept as received, for `GET /_sandbox/a55/charges/{uuid}/request`.
pub(crate) const ECHOED: [&str; 6] = [
    "is_async",
    "shipping_address",
    "antifraud_info",
    "threeds_authentication",
    "device_info",
    "capture",
];

/// An address (`payer_address` or `shipping_address`): every field of [`ADDRESS`] a non-empty
/// string, `country` when present two upper-case letters.
pub(crate) fn check_address(obj: &RawObject, field: &str, required: bool) -> Result<(), A55Error> {
    let Some(address) = obj
        .object(field)
        .map_err(|_| A55Error::invalid(field, format!("{field} must be an object")))?
    else {
        return if required {
            Err(A55Error::required(field))
        } else {
            Ok(())
        };
    };
    for name in ADDRESS.iter().chain(["country"].iter()) {
        let path = format!("{field}.{name}");
        let value = address
            .string(name)
            .map_err(|_| A55Error::invalid(&path, format!("{path} must be a string")))?
            .filter(|v| !v.trim().is_empty());
        match value {
            None if *name != "country" => return Err(A55Error::required(&path)),
            Some(c)
                if *name == "country"
                    && !(c.len() == 2 && c.chars().all(|c| c.is_ascii_uppercase())) =>
            {
                return Err(A55Error::invalid(
                    &path,
                    format!("{path} must be ISO 3166-1 alpha-2"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn typed(parent: &str, obj: &RawObject, fields: &[(&str, Kind)]) -> Result<(), A55Error> {
    for (name, kind) in fields {
        let path = format!("{parent}.{name}");
        let ok = match kind {
            Kind::Str => obj.string(name).is_ok(),
            Kind::Bool => obj.boolean(name).is_ok(),
            Kind::Count => obj.integer(name).is_ok_and(|n| n.is_none_or(|n| n >= 0)),
        };
        if !ok {
            let what = match kind {
                Kind::Str => "a string",
                Kind::Bool => "a boolean",
                Kind::Count => "an integer of 0 or more",
            };
            return Err(A55Error::invalid(&path, format!("{path} must be {what}")));
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Count,
}

/// The anti-fraud data: its five fields typed as the page says, the channel one of seven.
fn check_antifraud(obj: &RawObject) -> Result<(), A55Error> {
    let Some(af) = obj
        .object("antifraud_info")
        .map_err(|_| A55Error::invalid("antifraud_info", "antifraud_info must be an object"))?
    else {
        return Ok(());
    };
    typed(
        "antifraud_info",
        &af,
        &[
            ("sales_channel", Kind::Str),
            ("cardholder_logged_in", Kind::Bool),
            ("cardholder_since_days", Kind::Count),
            ("purchase_history", Kind::Count),
            ("days_since_last_purchase_merchant", Kind::Count),
        ],
    )?;
    if let Ok(Some(channel)) = af.string("sales_channel")
        && !SALES_CHANNELS.contains(&channel.as_str())
    {
        return Err(A55Error::invalid(
            "antifraud_info.sales_channel",
            format!("sales_channel must be one of {}", SALES_CHANNELS.join(", ")),
        ));
    }
    Ok(())
}

/// The device: its twelve fields typed as the page says (two booleans, ten strings).
fn check_device(obj: &RawObject) -> Result<(), A55Error> {
    let Some(device) = obj
        .object("device_info")
        .map_err(|_| A55Error::invalid("device_info", "device_info must be an object"))?
    else {
        return Ok(());
    };
    use Kind::{Bool, Str};
    typed(
        "device_info",
        &device,
        &[
            ("ip_address", Str),
            ("user_agent", Str),
            ("device_id", Str),
            ("session_id", Str),
            ("http_accept_content", Str),
            ("http_browser_language", Str),
            ("http_browser_java_enabled", Bool),
            ("http_browser_javascript_enabled", Bool),
            ("http_browser_color_depth", Str),
            ("http_browser_screen_height", Str),
            ("http_browser_screen_width", Str),
            ("http_browser_time_difference", Str),
        ],
    )
}

/// Every optional part of a charge of `type_charge`.
pub(crate) fn check(obj: &RawObject, type_charge: &str) -> Result<(), A55Error> {
    if obj.boolean("is_async").is_err() {
        return Err(A55Error::invalid("is_async", "is_async must be a boolean"));
    }
    check_address(obj, "shipping_address", false)?;
    check_antifraud(obj)?;
    check_device(obj)?;
    match obj.object("wallet_token") {
        Err(_) => Err(A55Error::invalid(
            "wallet_token",
            "wallet_token must be the wallet's token object",
        )),
        Ok(Some(_)) if !matches!(type_charge, "applepay" | "googlepay") => Err(A55Error::invalid(
            "wallet_token",
            format!("a wallet token is not accepted for {type_charge}"),
        )),
        _ => Ok(()),
    }
}

/// What of [`ECHOED`] a body carried, and whether it carried a wallet token (never the token).
pub(crate) fn received(body: &[u8]) -> Value {
    let parsed: Map<String, Value> = serde_json::from_slice(body).unwrap_or_default();
    let mut out: Map<String, Value> = ECHOED
        .iter()
        .filter_map(|k| parsed.get(*k).map(|v| ((*k).to_string(), v.clone())))
        .collect();
    out.insert(
        "wallet_token_received".into(),
        Value::Bool(parsed.get("wallet_token").is_some_and(Value::is_object)),
    );
    Value::Object(out)
}
