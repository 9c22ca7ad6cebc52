//! Query parameters of the API, validated into what the readers take. Every malformed value is a
//! 400 naming the parameter, never a panic or a database error.

use std::time::Duration;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use chrono::{DateTime, NaiveDate, Utc};
use giro_domain::ProviderId;
use giro_domain::beneficiary::BeneficiaryStatus;
use giro_domain::charge::ChargeStatus;
use giro_domain::payout::PayoutStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ApiError;
use crate::duration::{format_duration, parse_duration};
use crate::read::{Cursor, Kind, ListFilter, Search};

/// Page size when none is asked for, and the largest allowed.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;
/// `/v1/stats` window bounds.
const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3_600);
const MAX_WINDOW: Duration = Duration::from_secs(366 * 86_400);

/// `?status=&provider=&external_id=&q=&min_amount=&max_amount=&from=&to=&limit=&cursor=`;
/// unknown parameters are refused. The console's filter form sends the same names.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    pub status: Option<String>,
    pub provider: Option<String>,
    pub external_id: Option<String>,
    pub q: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// `?window=24h`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WindowParams {
    window: Option<String>,
}

/// Turns axum's query rejection (unknown parameter, bad encoding) into our 400.
pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

/// An order id from the path.
pub(crate) fn order_id(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::invalid(format!("{s:?} is not a UUID")))
}

/// Every KillB account status, in the order of their life.
const BENEFICIARY_STATUSES: [BeneficiaryStatus; 4] = [
    BeneficiaryStatus::Pending,
    BeneficiaryStatus::Active,
    BeneficiaryStatus::Rejected,
    BeneficiaryStatus::Inactive,
];

/// A beneficiary status as the events and the rows spell it (`ACTIVE`). The match is exhaustive,
/// so a status the domain adds stops the build here until it is named and listed above (the
/// domain has no `BeneficiaryStatus::ALL`); a unit test checks the spelling against serde's.
fn beneficiary_status(s: BeneficiaryStatus) -> &'static str {
    match s {
        BeneficiaryStatus::Pending => "PENDING",
        BeneficiaryStatus::Active => "ACTIVE",
        BeneficiaryStatus::Rejected => "REJECTED",
        BeneficiaryStatus::Inactive => "INACTIVE",
    }
}

/// The statuses a list of `kind` may be filtered by: every canonical one of the domain.
pub(crate) fn statuses(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Payout => PayoutStatus::ALL.iter().map(|s| s.as_str()).collect(),
        Kind::Charge => ChargeStatus::ALL.iter().map(|s| s.as_str()).collect(),
        Kind::Beneficiary => BENEFICIARY_STATUSES
            .iter()
            .map(|s| beneficiary_status(*s))
            .collect(),
    }
}

/// Validates list parameters for `kind`.
pub(crate) fn list_filter(kind: Kind, p: ListParams) -> Result<ListFilter, ApiError> {
    let status = match p.status.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let allowed = statuses(kind);
            let found = allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(&s))
                .ok_or_else(|| {
                    ApiError::invalid(format!("status {s:?} is not one of {}", allowed.join(", ")))
                })?;
            Some(found.to_string())
        }
    };
    let provider = match (p.provider.filter(|s| !s.is_empty()), kind) {
        (None, _) => None,
        (Some(_), Kind::Beneficiary) => {
            return Err(ApiError::invalid(
                "provider: beneficiaries are not filtered by provider",
            ));
        }
        (Some(s), _) => Some(
            ProviderId::try_from(s.clone())
                .map_err(|e| ApiError::invalid(format!("provider {s:?}: {e}")))?
                .to_string(),
        ),
    };
    let external_id = p.external_id.filter(|s| !s.is_empty());
    if external_id.as_ref().is_some_and(|s| s.len() > 256) {
        return Err(ApiError::invalid("external_id must be at most 256 bytes"));
    }
    let limit = match p.limit.filter(|s| !s.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "limit {s:?} must be a whole number from 1 to {MAX_LIMIT}"
                ))
            })?,
    };
    let after = match p.cursor.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Cursor::decode(&s).ok_or_else(|| {
            ApiError::invalid("cursor is not one this API returned (use next_cursor as is)")
        })?),
    };
    let (min_amount, max_amount) = match kind {
        Kind::Beneficiary if p.min_amount.is_some() || p.max_amount.is_some() => {
            return Err(ApiError::invalid(
                "min_amount, max_amount: beneficiaries have no amount",
            ));
        }
        _ => (
            amount("min_amount", p.min_amount)?,
            amount("max_amount", p.max_amount)?,
        ),
    };
    if let (Some(min), Some(max)) = (min_amount, max_amount)
        && min > max
    {
        return Err(ApiError::invalid(format!(
            "min_amount {min} is above max_amount {max}"
        )));
    }
    let (created_from, created_to) = (instant("from", p.from)?, instant("to", p.to)?);
    if let (Some(from), Some(to)) = (created_from, created_to)
        && from >= to
    {
        return Err(ApiError::invalid(
            "from must be before to (a date as to includes its whole day)",
        ));
    }
    let search = match p.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()) {
        None => None,
        Some(q) if q.len() > 256 => return Err(ApiError::invalid("q must be at most 256 bytes")),
        Some(q) => Some(match Uuid::parse_str(&q) {
            Ok(id) => Search::Id(id),
            Err(_) => Search::ExternalId(q),
        }),
    };
    Ok(ListFilter {
        status,
        provider,
        external_id,
        search,
        min_amount,
        max_amount,
        created_from,
        created_to,
        after,
        limit,
    })
}

/// A decimal amount bound: digits with at most one point, no sign, no exponent (amounts are never
/// rounded, so neither are their filters).
fn amount(name: &str, value: Option<String>) -> Result<Option<Decimal>, ApiError> {
    let Some(text) = value.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let plain = text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().filter(|c| *c == '.').count() <= 1
        && text.chars().any(|c| c.is_ascii_digit());
    match Decimal::from_str_exact(&text) {
        Ok(d) if plain => Ok(Some(d)),
        _ => Err(ApiError::invalid(format!(
            "{name} {text:?} must be a decimal amount such as 1500.50"
        ))),
    }
}

/// A creation-time bound: an RFC 3339 instant with its offset, or a UTC date (`from` takes its
/// start, `to` its end).
fn instant(name: &str, value: Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = value.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid(format!(
            "{name} {text:?} must be a date (2026-12-07) or an RFC 3339 instant with its offset"
        ))
    })?;
    let day = if name == "to" {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

/// The stats window: 24h by default, at most 366 days, at least a second.
pub(crate) fn window(p: WindowParams) -> Result<Duration, ApiError> {
    let Some(text) = p.window.filter(|s| !s.is_empty()) else {
        return Ok(DEFAULT_WINDOW);
    };
    let window = parse_duration(&text).map_err(|e| ApiError::invalid(format!("window: {e}")))?;
    if window < Duration::from_secs(1) || window > MAX_WINDOW {
        return Err(ApiError::invalid(format!(
            "window must be from 1s to {}, got {text:?}",
            format_duration(MAX_WINDOW)
        )));
    }
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "status" => p.status = v,
                "provider" => p.provider = v,
                "external_id" => p.external_id = v,
                "limit" => p.limit = v,
                "q" => p.q = v,
                "min_amount" => p.min_amount = v,
                "max_amount" => p.max_amount = v,
                "from" => p.from = v,
                "to" => p.to = v,
                _ => p.cursor = v,
            }
        }
        p
    }

    #[test]
    fn good_filters_are_normalised() {
        let f = list_filter(
            Kind::Payout,
            params(&[("status", "Succeeded"), ("limit", "10")]),
        )
        .unwrap();
        assert_eq!((f.status.as_deref(), f.limit), (Some("succeeded"), 10));
        let f = list_filter(Kind::Beneficiary, params(&[("status", "active")])).unwrap();
        assert_eq!(f.status.as_deref(), Some("ACTIVE"));
        assert_eq!(list_filter(Kind::Charge, params(&[])).unwrap().limit, 50);
        let f = list_filter(
            Kind::Payout,
            params(&[
                ("min_amount", "100.50"),
                ("max_amount", "2000"),
                ("from", "2026-12-01"),
                ("to", "2026-12-07"),
                ("q", " ext-42 "),
            ]),
        )
        .unwrap();
        assert_eq!(f.min_amount, Some(Decimal::new(10050, 2)));
        assert_eq!(f.max_amount, Some(Decimal::from(2000)));
        assert_eq!(
            f.created_from.unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        // A date as `to` takes in the whole day.
        assert_eq!(
            f.created_to.unwrap().to_rfc3339(),
            "2026-12-08T00:00:00+00:00"
        );
        assert_eq!(f.search, Some(Search::ExternalId("ext-42".into())));
        let id = Uuid::new_v4();
        let f = list_filter(Kind::Payout, params(&[("q", &id.to_string())])).unwrap();
        assert_eq!(f.search, Some(Search::Id(id)));
    }

    #[test]
    fn every_canonical_status_is_a_filter() {
        for s in ChargeStatus::ALL {
            let f = list_filter(Kind::Charge, params(&[("status", s.as_str())])).unwrap();
            assert_eq!(f.status.as_deref(), Some(s.as_str()));
        }
        for s in PayoutStatus::ALL {
            let f = list_filter(Kind::Payout, params(&[("status", s.as_str())])).unwrap();
            assert_eq!(f.status.as_deref(), Some(s.as_str()));
        }
        for s in BENEFICIARY_STATUSES {
            // Spelled as the events carry it, which is what the rows store.
            let serde = serde_json::to_value(s).unwrap();
            assert_eq!(serde.as_str(), Some(beneficiary_status(s)));
            let f = list_filter(
                Kind::Beneficiary,
                params(&[("status", beneficiary_status(s))]),
            )
            .unwrap();
            assert_eq!(f.status.as_deref(), Some(beneficiary_status(s)));
        }
        let f = list_filter(Kind::Charge, params(&[("status", "Chargeback")])).unwrap();
        assert_eq!(f.status.as_deref(), Some("chargeback"));
    }

    #[test]
    fn bad_filters_are_refused() {
        let bad = [
            (Kind::Payout, params(&[("status", "paid")])),
            (Kind::Charge, params(&[("status", "succeeded")])),
            (Kind::Charge, params(&[("status", "bogus")])),
            (Kind::Beneficiary, params(&[("status", "paid")])),
            (Kind::Payout, params(&[("limit", "0")])),
            (Kind::Payout, params(&[("limit", "501")])),
            (Kind::Payout, params(&[("limit", "ten")])),
            (Kind::Payout, params(&[("cursor", "nope")])),
            (Kind::Payout, params(&[("provider", "Cashy CO")])),
            (Kind::Beneficiary, params(&[("provider", "killb")])),
            (Kind::Payout, params(&[("min_amount", "1e3")])),
            (Kind::Payout, params(&[("min_amount", "-5")])),
            (Kind::Payout, params(&[("max_amount", "1,000")])),
            (
                Kind::Payout,
                params(&[("min_amount", "10"), ("max_amount", "9")]),
            ),
            (Kind::Beneficiary, params(&[("min_amount", "1")])),
            (Kind::Payout, params(&[("from", "yesterday")])),
            (Kind::Payout, params(&[("to", "2026-12-07T10:00:00")])),
            (
                Kind::Payout,
                params(&[("from", "2026-12-08"), ("to", "2026-12-07")]),
            ),
        ];
        for (kind, p) in bad {
            let e = list_filter(kind, p).unwrap_err();
            assert_eq!(e.code, "invalid_parameter");
        }
        assert!(order_id("not-a-uuid").is_err());
        for w in ["0s", "400d", "soon"] {
            assert!(
                window(WindowParams {
                    window: Some(w.into())
                })
                .is_err(),
                "{w}"
            );
        }
        assert_eq!(window(WindowParams::default()).unwrap(), DEFAULT_WINDOW);
    }
}
