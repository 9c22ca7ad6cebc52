//! Pre-fund accounts and their balances; the bank list; the sandbox-only top-up.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use rust_decimal::Decimal;

use super::banks::banks;
use super::errors::KillbError;
use super::state::{Account, Killb};
use super::wire::{BalanceOut, BankOut, PrefundOut};
use crate::clock::iso_millis;
use crate::json::RawObject;

const CURRENCIES: [&str; 4] = ["COP", "USD", "USDC", "USDT"];
const NETWORKS: [&str; 6] = ["POLYGON", "SOLANA", "ETHEREUM", "ARBITRUM", "TRON", "BSC"];

fn balance(account: &Account) -> BalanceOut {
    BalanceOut {
        id: account.balance_id.clone(),
        currency: account.currency.clone(),
        amount: fixed2(account.amount),
        account_id: account.id.clone(),
    }
}

/// `10000000.00`: KillB always writes balances with two decimals.
fn fixed2(amount: Decimal) -> String {
    format!("{amount:.2}")
}

/// `GET /api/v2/customers/balances`.
pub(crate) async fn balances(State(killb): State<Arc<Killb>>) -> Json<Vec<BalanceOut>> {
    Json(killb.books().accounts.iter().map(balance).collect())
}

/// `POST /api/v2/customers/pre-fund/create {currency, network}`.
pub(crate) async fn create_prefund(
    State(killb): State<Arc<Killb>>,
    body: Bytes,
) -> Result<(StatusCode, Json<PrefundOut>), KillbError> {
    let obj = RawObject::parse(&body).map_err(|e| {
        KillbError::invalid("body", format!("Request body is not a JSON object: {e}"))
    })?;
    let wrong = |e: crate::json::WrongType| {
        KillbError::invalid(e.0.clone(), format!("{} has the wrong type", e.0))
    };
    let currency = obj.string("currency").map_err(wrong)?.unwrap_or_default();
    if !CURRENCIES.contains(&currency.as_str()) {
        return Err(KillbError::invalid(
            "currency",
            format!("currency must be one of {}", CURRENCIES.join(", ")),
        ));
    }
    let network = obj.string("network").map_err(wrong)?;
    let crypto = currency.starts_with("USD") && currency != "USD";
    match &network {
        Some(n) if !NETWORKS.contains(&n.as_str()) => {
            return Err(KillbError::invalid(
                "network",
                format!("network must be one of {}", NETWORKS.join(", ")),
            ));
        }
        None if crypto => {
            return Err(KillbError::invalid(
                "network",
                "network is required for USDC and USDT",
            ));
        }
        _ => {}
    }
    let account = Account {
        id: format!("prefund-{}", killb.common.random.uuid().simple()),
        balance_id: format!("bal_{}", killb.common.random.uuid().simple()),
        currency,
        network,
        amount: Decimal::ZERO,
        created_at: killb.common.clock.now(),
    };
    let out = PrefundOut {
        id: account.id.clone(),
        currency: account.currency.clone(),
        network: account.network.clone(),
        status: "ACTIVE",
        amount: fixed2(account.amount),
        created_at: iso_millis(account.created_at),
    };
    killb.books().accounts.push(account);
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET /api/v2/banks?countryCode=CO`.
pub(crate) async fn bank_list(
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<BankOut>>, KillbError> {
    let country = query
        .get("countryCode")
        .ok_or_else(|| KillbError::invalid("countryCode", "countryCode should not be empty"))?;
    Ok(Json(banks(country)))
}

/// `POST /_sandbox/killb/balances/{accountId}/topup {amount}`: adds money to a pre-fund account.
pub(crate) async fn top_up(
    State(killb): State<Arc<Killb>>,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Result<Json<BalanceOut>, KillbError> {
    let amount = RawObject::parse(&body)
        .ok()
        .and_then(|o| o.decimal("amount").ok().flatten())
        .filter(|a| *a > Decimal::ZERO)
        .ok_or_else(|| KillbError::invalid("amount", "amount must be a positive number"))?;
    let mut books = killb.books();
    let account = books.account_mut(&account_id).ok_or_else(|| {
        KillbError::not_found(
            "PREFUND.0001",
            format!("Pre-fund account {account_id} not found"),
        )
    })?;
    account.amount = account
        .amount
        .checked_add(amount)
        .ok_or_else(|| KillbError::invalid("amount", "amount would overflow the balance"))?;
    Ok(Json(balance(account)))
}
