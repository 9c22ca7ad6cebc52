//! Reading `giro.cmd.charge.create` into a validated command.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::extras::{self, AntifraudInfo, DeviceInfo, Extras};
use super::{Address, ChargeMethod, ChargeRequested, Payer, Subscription};
use crate::checks;
use crate::ids::{OrderId, OrderKind, ProviderId};
use crate::money::{AmountRule, Currency, Money};
use crate::payout::{
    amount_rejection, parse_amount, parse_currency, parse_external_id, parse_key, parse_metadata,
    parse_provider,
};
use crate::provider::{Catalog, ProviderProfile};
use crate::rejection::{ErrorCode, Rejection};
use crate::wire;

/// Field names that carry raw card data in A55's host-to-host API (and common aliases).
const CARD_FIELDS: &[&str] = &[
    "card_number",
    "card_cvv",
    "card_name",
    "card_expiry_month",
    "card_expiry_year",
    "card",
    "cvv",
    "pan",
];

/// Fields that could only mean an amount per installment. A charge's `amount` is its total, split
/// by the provider into `installment_count` installments; a per-installment value is refused, not
/// multiplied.
const PER_INSTALLMENT_FIELDS: &[&str] = &["installment_value", "installment_amount"];

/// A validated charge creation.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCharge {
    pub order_id: OrderId,
    pub requested: ChargeRequested,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    idempotency_key: String,
    #[serde(default)]
    provider: Option<String>,
    amount: Value,
    installment_count: u32,
    currency: String,
    method: ChargeMethod,
    payer: Payer,
    due_date: NaiveDate,
    description: String,
    #[serde(default)]
    capture: Option<bool>,
    #[serde(default)]
    redirect_url: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_object")]
    subscription: Option<Subscription>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    is_async: Option<bool>,
    #[serde(default, deserialize_with = "wire::optional_object")]
    shipping_address: Option<Address>,
    #[serde(default, deserialize_with = "wire::optional_object")]
    antifraud_info: Option<AntifraudInfo>,
    #[serde(default)]
    threeds_authentication: Option<bool>,
    #[serde(default, deserialize_with = "wire::optional_object")]
    device_info: Option<DeviceInfo>,
    #[serde(default, deserialize_with = "wire::optional_object")]
    wallet_token: Option<Map<String, Value>>,
}

/// The payment methods Giro sends (the six the provider's page names; see the provider's docs
/// in Giro for why not the other five its "11 methods" count).
const METHODS: [&str; 6] = [
    "credit_card",
    "debit_card",
    "pix",
    "boleto",
    "applepay",
    "googlepay",
];

/// Refuses a `method` Giro does not send, naming the field and the methods it takes.
fn check_method(object: &Value) -> Result<(), Rejection> {
    match object.get("method") {
        Some(Value::String(m)) if !METHODS.contains(&m.as_str()) => Err(Rejection::at(
            ErrorCode::InvalidField,
            "method",
            format!(
                "{m:?} is not a payment method Giro takes; use one of {}",
                METHODS.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// A wallet's payment token: encrypted card data the wallet made, sealed as a secret; not searched
/// for raw card fields.
const WALLET_TOKEN: &str = "wallet_token";

/// Finds raw card data anywhere in the command; its path, if any.
fn find_card_data(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| *k != WALLET_TOKEN)
            .find_map(|(k, v)| {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if CARD_FIELDS.contains(&k.to_ascii_lowercase().as_str()) {
                    Some(here)
                } else {
                    find_card_data(v, &here)
                }
            }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_card_data(v, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Parses, validates and routes a charge command.
pub fn parse_create(body: &[u8], catalog: &Catalog) -> Result<CreateCharge, Rejection> {
    let object = Value::Object(wire::parse_object(body)?);
    refuse_card_data(&object)?;
    let canonical = wire::fingerprint(&object);
    wire::object_at(&object, "payer")?;
    refuse_per_installment(&object)?;
    check_method(&object)?;
    let input: Input = wire::typed(object, "")?;
    let idempotency_key = parse_key(input.idempotency_key)?;
    let currency = parse_currency(&input.currency)?;
    let money = parse_amount(&input.amount, currency)?;
    let named = parse_provider(input.provider)?;
    let (profile, rule) = route(catalog, named.as_ref(), currency, &money)?;
    check_details(
        input.installment_count,
        &input.payer,
        &input.description,
        input.redirect_url.as_deref(),
    )?;
    check_split(&money, input.installment_count, rule.scale)?;
    extras::check(&Extras {
        method: input.method,
        payer_address: &input.payer.address,
        shipping_address: input.shipping_address.as_ref(),
        threeds_authentication: input.threeds_authentication,
        device_info: input.device_info.as_ref(),
        wallet_token: input.wallet_token.as_ref(),
    })?;
    let requested = ChargeRequested {
        fingerprint: wire::fingerprint(&json!({"request": canonical})),
        idempotency_key,
        provider: profile.id.clone(),
        money,
        installment_count: input.installment_count,
        method: input.method,
        payer: input.payer,
        due_date: input.due_date,
        description: input.description,
        capture: input.capture,
        redirect_url: input.redirect_url,
        subscription: input.subscription,
        external_id: parse_external_id(input.external_id)?,
        metadata: parse_metadata(input.metadata)?,
        is_async: input.is_async,
        shipping_address: input.shipping_address,
        antifraud_info: input.antifraud_info,
        threeds_authentication: input.threeds_authentication,
        device_info: input.device_info,
        wallet_token: input.wallet_token.as_ref().map(extras::wallet_token),
    };
    Ok(CreateCharge {
        order_id: OrderId::for_idempotency_key(OrderKind::Charge, &requested.idempotency_key),
        requested,
    })
}

/// Refuses raw card data anywhere in the command, naming where it was found.
fn refuse_card_data(object: &Value) -> Result<(), Rejection> {
    if let Some(field) = find_card_data(object, "") {
        return Err(Rejection::at(
            ErrorCode::CardDataNotAccepted,
            field,
            "raw card data is never accepted; card charges go through the provider's hosted \
             checkout (charge_payment_url)",
        ));
    }
    Ok(())
}

/// Refuses a per-installment amount field, naming it.
fn refuse_per_installment(object: &Value) -> Result<(), Rejection> {
    match PER_INSTALLMENT_FIELDS
        .iter()
        .find(|f| object.get(**f).is_some())
    {
        Some(field) => Err(Rejection::at(
            ErrorCode::InvalidField,
            *field,
            "a charge is given by its total in `amount`, which the provider splits into \
             `installment_count` installments; an amount per installment is not accepted",
        )),
        None => Ok(()),
    }
}

/// Refuses a total that does not split into `count` equal installments at the provider's
/// precision (`scale` decimal places): A55 documents no rule for the remainder (its example splits
/// 150.00 into three of 50.00), and Giro does not let a provider round an amount.
fn check_split(money: &Money, count: u32, scale: u32) -> Result<(), Rejection> {
    if count <= 1 {
        return Ok(());
    }
    let units = money.amount() * Decimal::from(10u64.pow(scale.min(9)));
    if (units % Decimal::from(count)).is_zero() {
        return Ok(());
    }
    let currency = money.currency();
    Err(Rejection::at(
        ErrorCode::InvalidField,
        "installment_count",
        format!(
            "{} {currency} does not split into {count} equal installments of at most {scale} \
             decimal places; send a total that does, or another installment_count",
            money.amount(),
        ),
    ))
}

/// The provider instance that takes the charge: the one `named`, or the first A55 instance that
/// takes charges in the amount's currency; and the amount within its rule for that currency,
/// which is returned with it.
fn route<'c>(
    catalog: &'c Catalog,
    named: Option<&ProviderId>,
    currency: Currency,
    money: &Money,
) -> Result<(&'c ProviderProfile, &'c AmountRule), Rejection> {
    let profile = match named {
        Some(id) => catalog.provider(id).ok_or_else(|| {
            Rejection::at(
                ErrorCode::UnknownProvider,
                "provider",
                format!("{id} is not a configured provider instance"),
            )
        })?,
        None => catalog
            .providers
            .iter()
            .find(|p| p.charges.iter().any(|(c, _)| *c == currency))
            .ok_or_else(|| {
                Rejection::new(
                    ErrorCode::NoRoute,
                    format!("no provider takes charges in {currency}"),
                )
            })?,
    };
    let rule = profile
        .charges
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, rule)| rule)
        .ok_or_else(|| {
            Rejection::at(
                ErrorCode::UnsupportedCurrency,
                "currency",
                format!("{} does not take charges in {currency}", profile.id),
            )
        })?;
    rule.check(money).map_err(amount_rejection)?;
    Ok((profile, rule))
}

/// The rules of a charge's other fields: installments, the payer's details, the description and
/// the redirect URL.
fn check_details(
    installment_count: u32,
    payer: &Payer,
    description: &str,
    redirect_url: Option<&str>,
) -> Result<(), Rejection> {
    // The page sets no upper bound; a bound Giro made up would refuse what the provider takes.
    if installment_count < 1 {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            "installment_count",
            "must be 1 or more (1 for a single payment)",
        ));
    }
    checks::email(payer.email.expose())
        .map_err(|e| Rejection::at(ErrorCode::InvalidField, "payer.email", e.to_string()))?;
    for (field, value) in [
        ("payer.name", payer.name.expose()),
        ("payer.tax_id", payer.tax_id.expose()),
        ("payer.phone", payer.phone.expose()),
        ("description", description),
    ] {
        if value.trim().is_empty() {
            return Err(Rejection::at(ErrorCode::MissingField, field, "is empty"));
        }
    }
    if let Some(url) = redirect_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            "redirect_url",
            "must be an http(s) URL",
        ));
    }
    Ok(())
}
