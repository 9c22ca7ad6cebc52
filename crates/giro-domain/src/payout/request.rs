//! Reading `giro.cmd.payout.create` (CONTRACT.md §1) into a validated command.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::decide::CreatePayout;
use super::event::PayoutRequested;
use crate::bank_lists::BankLists;
use crate::ids::{IdempotencyKey, OrderId, OrderKind, ProviderId};
use crate::money::{AmountError, Currency, Money, parse_plain_decimal};
use crate::provider::Catalog;
use crate::rail::PayoutBeneficiary;
use crate::rejection::{ErrorCode, Rejection};
use crate::wire;

/// Metadata is carried on every event of the order, so it is kept small.
pub const MAX_METADATA_BYTES: usize = 4096;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    idempotency_key: String,
    #[serde(default)]
    provider: Option<String>,
    amount: Value,
    currency: String,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    beneficiary: Option<Value>,
    #[serde(default)]
    beneficiary_id: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    execute_at: Option<String>,
}

/// Where the beneficiary's details come from.
#[derive(Debug, Clone, PartialEq)]
pub enum BeneficiarySource {
    Inline(Box<PayoutBeneficiary>),
    /// A registered beneficiary; intake loads it and checks it is ACTIVE.
    Registered(OrderId),
}

/// A syntactically valid payout request, before routing and beneficiary resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutDraft {
    pub order_id: OrderId,
    pub idempotency_key: IdempotencyKey,
    pub provider: Option<ProviderId>,
    pub money: Money,
    pub external_id: Option<String>,
    pub beneficiary: BeneficiarySource,
    pub metadata: Option<Map<String, Value>>,
    /// When to make the payout; `None` for now.
    pub execute_at: Option<DateTime<Utc>>,
    /// The payout batch the payout is an item of, if any.
    pub batch_id: Option<OrderId>,
    pub fingerprint: String,
}

/// Maps an amount problem to its public error code.
pub fn amount_rejection(e: AmountError) -> Rejection {
    let code = match e {
        AmountError::Malformed => ErrorCode::InvalidField,
        AmountError::NotPositive | AmountError::OutOfRange { .. } | AmountError::TooLarge(_) => {
            ErrorCode::AmountOutOfRange
        }
        AmountError::Precision { .. } | AmountError::TooPrecise(_) => {
            ErrorCode::InvalidAmountPrecision
        }
    };
    Rejection::at(code, "amount", e.to_string())
}

/// Reads an amount given as a decimal string or a JSON number; never through a float. A JSON number
/// must come from [`wire::parse_object`], which has already refused every number whose text a
/// JSON number does not hold exactly (and every exponent form), so its value here is its text.
pub fn parse_amount(value: &Value, currency: Currency) -> Result<Money, Rejection> {
    match value {
        Value::String(text) => {
            if let Some(positive) = text.strip_prefix('-')
                && !matches!(parse_plain_decimal(positive), Err(AmountError::Malformed))
            {
                return Err(amount_rejection(AmountError::NotPositive));
            }
            Money::parse(text, currency).map_err(amount_rejection)
        }
        Value::Number(n) => match wire::number_decimal(n) {
            Some(amount) => Money::new(amount, currency).map_err(amount_rejection),
            None => Err(Rejection::at(
                ErrorCode::AmountOutOfRange,
                "amount",
                format!("{n} is beyond every provider's range"),
            )),
        },
        _ => Err(Rejection::at(
            ErrorCode::InvalidField,
            "amount",
            "must be a decimal string like \"500000\" (a JSON number is accepted too)",
        )),
    }
}

pub(crate) fn parse_currency(code: &str) -> Result<Currency, Rejection> {
    code.parse::<Currency>().map_err(|_| {
        Rejection::at(
            ErrorCode::UnsupportedCurrency,
            "currency",
            format!("{code:?} is not one of COP, TZS, BRL, MXN, CLP, PEN, ARS, USD"),
        )
    })
}

pub(crate) fn parse_external_id(id: Option<String>) -> Result<Option<String>, Rejection> {
    match id {
        Some(id) if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) => {
            Err(Rejection::at(
                ErrorCode::InvalidField,
                "external_id",
                "must be 1 to 64 printable ASCII characters without spaces",
            ))
        }
        other => Ok(other),
    }
}

pub(crate) fn parse_metadata(m: Option<Value>) -> Result<Option<Map<String, Value>>, Rejection> {
    match m {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            let size = Value::Object(map.clone()).to_string().len();
            if size > MAX_METADATA_BYTES {
                Err(Rejection::at(
                    ErrorCode::InvalidField,
                    "metadata",
                    format!("is {size} bytes; at most {MAX_METADATA_BYTES} are carried"),
                ))
            } else {
                Ok(Some(map))
            }
        }
        Some(_) => Err(Rejection::at(
            ErrorCode::InvalidField,
            "metadata",
            "must be a JSON object",
        )),
    }
}

/// An instant in RFC 3339 with its offset (`2027-01-15T09:00:00-05:00`), kept in UTC. Whether
/// it is still to come is the decider's to say, with the clock.
pub(crate) fn parse_execute_at(text: Option<String>) -> Result<Option<DateTime<Utc>>, Rejection> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| {
                Rejection::at(
                    ErrorCode::InvalidField,
                    "execute_at",
                    "must be an RFC 3339 instant with its offset, like 2027-01-15T09:00:00-05:00",
                )
            })
    })
    .transpose()
}

pub(crate) fn parse_key(key: String) -> Result<IdempotencyKey, Rejection> {
    IdempotencyKey::try_from(key)
        .map_err(|e| Rejection::at(ErrorCode::InvalidField, "idempotency_key", e))
}

pub(crate) fn parse_provider(p: Option<String>) -> Result<Option<ProviderId>, Rejection> {
    p.map(|p| {
        ProviderId::try_from(p.clone()).map_err(|_| {
            Rejection::at(
                ErrorCode::UnknownProvider,
                "provider",
                format!("{p:?} is not a configured provider instance"),
            )
        })
    })
    .transpose()
}

/// Parses and validates a create command's body. Every rule that needs no lookup is checked here;
/// routing and registered beneficiaries are resolved by [`PayoutDraft::into_command`].
pub fn parse_create(body: &[u8]) -> Result<PayoutDraft, Rejection> {
    let object = wire::parse_object(body)?;
    let input: Input = wire::typed(Value::Object(object), "")?;
    let idempotency_key = parse_key(input.idempotency_key)?;
    let provider = parse_provider(input.provider)?;
    let currency = parse_currency(&input.currency)?;
    let money = parse_amount(&input.amount, currency)?;
    let external_id = parse_external_id(input.external_id)?;
    let beneficiary = match (input.beneficiary, input.beneficiary_id) {
        (Some(_), Some(_)) => {
            return Err(Rejection::at(
                ErrorCode::InvalidField,
                "beneficiary_id",
                "give either beneficiary or beneficiary_id, not both",
            ));
        }
        (None, None) => {
            return Err(Rejection::at(
                ErrorCode::MissingField,
                "beneficiary",
                "is required (or beneficiary_id of a registered beneficiary)",
            ));
        }
        (Some(b), None) => {
            let b = PayoutBeneficiary::from_command(b, "beneficiary")?;
            b.validate().map_err(|r| r.under("beneficiary"))?;
            BeneficiarySource::Inline(Box::new(b))
        }
        (None, Some(id)) => BeneficiarySource::Registered(id.parse().map_err(|_| {
            Rejection::at(ErrorCode::InvalidField, "beneficiary_id", "must be a UUID")
        })?),
    };
    let metadata = parse_metadata(input.metadata)?;
    let execute_at = parse_execute_at(input.execute_at)?;
    let mut fingerprinted = json!({
        "idempotency_key": idempotency_key,
        "provider": provider,
        "money": money,
        "external_id": external_id,
        "beneficiary": match &beneficiary {
            BeneficiarySource::Inline(b) => serde_json::to_value(b).unwrap_or(Value::Null),
            BeneficiarySource::Registered(id) => json!({"beneficiary_id": id}),
        },
        "metadata": metadata,
    });
    // Only when given, so that requests made before scheduling existed keep their fingerprint.
    if let (Some(at), Some(object)) = (execute_at, fingerprinted.as_object_mut()) {
        object.insert("execute_at".into(), json!(at));
    }
    let fingerprint = wire::fingerprint(&fingerprinted);
    Ok(PayoutDraft {
        order_id: OrderId::for_idempotency_key(OrderKind::Payout, &idempotency_key),
        idempotency_key,
        provider,
        money,
        external_id,
        beneficiary,
        metadata,
        execute_at,
        batch_id: None,
        fingerprint,
    })
}

impl PayoutDraft {
    /// The draft as an item of batch `batch`: the batch is part of what the idempotency key
    /// stands for, so the same key used outside the batch (or in another) is a conflict, and a
    /// file sent again under another batch key pays nobody twice.
    pub fn in_batch(mut self, batch: OrderId) -> Self {
        self.fingerprint = wire::fingerprint(&json!({
            "request": self.fingerprint,
            "batch_id": batch,
        }));
        self.batch_id = Some(batch);
        self
    }

    /// Routes the payout and applies the provider's own rules. `registered` is the resolved
    /// beneficiary when the draft names one (already checked to be ACTIVE by the caller).
    pub fn into_command(
        self,
        catalog: &Catalog,
        registered: Option<PayoutBeneficiary>,
    ) -> Result<CreatePayout, Rejection> {
        self.into_command_with_banks(catalog, registered, None)
    }

    /// [`PayoutDraft::into_command`], where a provider is eligible only for banks in its bank
    /// list (`banks`: the lists the providers' set-up fetched), so routing picks one that pays
    /// into the beneficiary's bank. A refusal about a registered beneficiary's bank names
    /// `beneficiary_id`.
    pub fn into_command_with_banks(
        self,
        catalog: &Catalog,
        registered: Option<PayoutBeneficiary>,
        banks: Option<&BankLists>,
    ) -> Result<CreatePayout, Rejection> {
        let (beneficiary, beneficiary_id) = match (self.beneficiary, registered) {
            (BeneficiarySource::Inline(b), _) => (*b, None),
            (BeneficiarySource::Registered(id), Some(b)) => (b, Some(id)),
            (BeneficiarySource::Registered(_), None) => {
                return Err(Rejection::at(
                    ErrorCode::InvalidBeneficiary,
                    "beneficiary_id",
                    "no such registered beneficiary",
                ));
            }
        };
        let routed = catalog
            .route_payout(
                self.provider.as_ref(),
                &self.money,
                &beneficiary,
                self.order_id,
                banks,
            )
            .map_err(|r| match (&beneficiary_id, r.field.as_deref()) {
                (Some(_), Some("beneficiary.bank_code")) => Rejection::at(
                    r.code,
                    "beneficiary_id",
                    format!("the registered beneficiary's bank_code {}", r.message),
                ),
                _ => r,
            })?;
        Ok(CreatePayout {
            order_id: self.order_id,
            requested: PayoutRequested {
                idempotency_key: self.idempotency_key,
                fingerprint: self.fingerprint,
                provider: routed.profile.id.clone(),
                route: routed.decision,
                money: self.money,
                external_id: self.external_id,
                beneficiary,
                beneficiary_id,
                metadata: self.metadata,
                execute_at: self.execute_at,
                approval: None,
                batch_id: self.batch_id,
            },
        })
    }
}
