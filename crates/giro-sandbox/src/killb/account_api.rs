//! `/api/v2/accounts` (seed 002): create (idempotent by `externalId`), read, search, update and
//! delete beneficiary accounts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::Value;

use super::account_flow::{AccountMover, account_deliveries, plan};
use super::account_rules::{self, TYPES, check_data};
use super::errors::KillbError;
use super::state::Killb;
use super::user_accounts::{ACCOUNTS, AccountOut, AccountStatus, UserAccount};
use crate::faults::ForcedFaults;
use crate::introspect::NewOrder;
use crate::json::RawObject;
use crate::lifecycle;

/// The `data` fields a PATCH may change (seed 002: document, CLABE, address, account number, bank).
const UPDATABLE: [&str; 6] = [
    "document",
    "clabe",
    "clabeType",
    "address",
    "accountNumber",
    "bankCode",
];

fn not_found(id: &str) -> KillbError {
    KillbError::not_found("ACCOUNT.0001", format!("Account {id} not found"))
}

/// Runs the verification plan of account `id` in the background.
fn verify(
    killb: &Arc<Killb>,
    forced: &ForcedFaults,
    id: &str,
    key: &str,
    generation: u64,
    first_action: &'static str,
) {
    let faults = killb.common.faults.draw_order(forced);
    let steps = plan(killb, key);
    let mover = AccountMover {
        killb: Arc::clone(killb),
        account_id: id.to_owned(),
        generation,
        first_action,
        announced_first: false,
    };
    lifecycle::spawn(killb.common.clone(), mover, steps, faults);
}

/// `POST /api/v2/accounts`: 201 with a new PENDING account, or 200 with the account that already
/// has this `externalId`.
pub(crate) async fn create(
    State(killb): State<Arc<Killb>>,
    Extension(forced): Extension<ForcedFaults>,
    body: Bytes,
) -> Result<(StatusCode, Json<AccountOut>), KillbError> {
    let handle = RawObject::parse(&body)
        .ok()
        .and_then(|o| o.string("externalId").ok().flatten())
        .filter(|e| !e.trim().is_empty());
    let registry = &killb.common.registry;
    if let Some(handle) = &handle {
        registry.submitted(ACCOUNTS, handle);
    }
    let existing = |killb: &Killb| {
        let handle = handle.as_deref()?;
        killb
            .books()
            .user_accounts
            .iter()
            .find(|a| a.external_id == handle)
            .map(UserAccount::wire)
    };
    if let Some(account) = existing(&killb) {
        registry.replayed(ACCOUNTS, &account.external_id);
        return Ok((StatusCode::OK, Json(account)));
    }
    let request = account_rules::account(&body).inspect_err(|_| {
        if let Some(handle) = &handle {
            registry.refused(ACCOUNTS, handle);
        }
    })?;
    let now = killb.common.clock.now();
    let account = {
        let mut books = killb.books();
        super::users::check_holder(&books, &request.user_id, &request.data).inspect_err(|_| {
            registry.refused(ACCOUNTS, &request.external_id);
        })?;
        if let Some(found) = books
            .user_accounts
            .iter()
            .find(|a| a.external_id == request.external_id)
        {
            let found = found.wire();
            drop(books);
            registry.replayed(ACCOUNTS, &found.external_id);
            return Ok((StatusCode::OK, Json(found)));
        }
        let account = UserAccount {
            id: killb.common.random.uuid().to_string(),
            kind: request.kind,
            user_id: request.user_id,
            external_id: request.external_id,
            status: AccountStatus::Pending,
            data: request.data,
            key: request.key,
            deleted: false,
            generation: 0,
            created_at: now,
            updated_at: now,
        };
        books.user_accounts.push(account.clone());
        account
    };
    registry.created(NewOrder {
        provider: ACCOUNTS,
        order_id: &account.id,
        handle: &account.external_id,
        external_id: Some(&account.external_id),
        amount: "0".to_owned(),
        currency: &account.currency(),
        status: account.status.as_str(),
    });
    verify(&killb, &forced, &account.id, &account.key, 0, "CREATE");
    Ok((StatusCode::CREATED, Json(account.wire())))
}

/// `GET /api/v2/accounts/{accountId}`.
pub(crate) async fn get(
    State(killb): State<Arc<Killb>>,
    Path(id): Path<String>,
) -> Result<Json<AccountOut>, KillbError> {
    killb
        .books()
        .user_accounts
        .iter()
        .find(|a| a.id == id)
        .map(|a| Json(a.wire()))
        .ok_or_else(|| not_found(&id))
}

fn field<'a>(account: &'a UserAccount, name: &str) -> Option<&'a str> {
    account.data.get(name).and_then(Value::as_str)
}

/// `GET /api/v2/accounts?type&userId&ids&accountNumber&address&externalId`: matching accounts,
/// oldest first (`ids` is comma separated).
pub(crate) async fn list(
    State(killb): State<Arc<Killb>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<AccountOut>>, KillbError> {
    if let Some(kind) = query.get("type").filter(|t| !TYPES.contains(&t.as_str())) {
        return Err(KillbError::invalid(
            "type",
            format!("type {kind} must be one of {}", TYPES.join(", ")),
        ));
    }
    let ids: Option<Vec<&str>> = query
        .get("ids")
        .map(|ids| ids.split(',').map(str::trim).collect());
    let wants =
        |name: &str, have: Option<&str>| query.get(name).is_none_or(|w| Some(w.as_str()) == have);
    let accounts = killb
        .books()
        .user_accounts
        .iter()
        .filter(|a| wants("type", Some(&a.kind)))
        .filter(|a| wants("userId", Some(&a.user_id)))
        .filter(|a| wants("externalId", Some(&a.external_id)))
        .filter(|a| {
            wants(
                "accountNumber",
                field(a, "accountNumber").or(field(a, "clabe")),
            )
        })
        .filter(|a| wants("address", field(a, "address")))
        .filter(|a| ids.as_ref().is_none_or(|ids| ids.contains(&a.id.as_str())))
        .map(UserAccount::wire)
        .collect();
    Ok(Json(accounts))
}

/// `GET /api/v2/accounts/userId/{userId}`: every account of one user.
pub(crate) async fn by_user(
    State(killb): State<Arc<Killb>>,
    Path(user_id): Path<String>,
) -> Result<Json<Vec<AccountOut>>, KillbError> {
    let books = killb.books();
    if !books.users.iter().any(|u| u.id == user_id) {
        return Err(super::users::unknown_user(&user_id));
    }
    Ok(Json(
        books
            .user_accounts
            .iter()
            .filter(|a| a.user_id == user_id)
            .map(UserAccount::wire)
            .collect(),
    ))
}

/// The `data` fields of a PATCH body `{data: {...}}`, refusing anything not updatable.
fn patch_fields(body: &[u8]) -> Result<serde_json::Map<String, Value>, KillbError> {
    let Ok(Value::Object(mut top)) = serde_json::from_slice::<Value>(body) else {
        return Err(KillbError::invalid(
            "body",
            "Request body is not a JSON object",
        ));
    };
    if let Some(other) = top.keys().find(|k| *k != "data") {
        return Err(KillbError::invalid(
            other.clone(),
            format!("{other} cannot be updated"),
        ));
    }
    let Some(Value::Object(data)) = top.remove("data") else {
        return Err(KillbError::invalid(
            "data",
            "data must be a non-empty object",
        ));
    };
    if data.is_empty() {
        return Err(KillbError::invalid(
            "data",
            "data must be a non-empty object",
        ));
    }
    if let Some(other) = data.keys().find(|k| !UPDATABLE.contains(&k.as_str())) {
        return Err(KillbError::invalid(
            format!("data.{other}"),
            format!(
                "data.{other} cannot be updated (only {})",
                UPDATABLE.join(", ")
            ),
        ));
    }
    Ok(data)
}

/// `PATCH /api/v2/accounts/{accountId} {data: {...}}`: changes the updatable fields, puts the
/// account back to PENDING and verifies it again.
pub(crate) async fn patch(
    State(killb): State<Arc<Killb>>,
    Extension(forced): Extension<ForcedFaults>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<AccountOut>, KillbError> {
    let changes = patch_fields(&body)?;
    let (out, key, generation) = {
        let mut books = killb.books();
        let account = books
            .user_accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| not_found(&id))?;
        if account.deleted {
            return Err(KillbError::new(
                StatusCode::BAD_REQUEST,
                "ACCOUNT.0002",
                format!("Account {id} is deleted"),
            ));
        }
        let mut data = account.data.clone();
        if let Value::Object(map) = &mut data {
            map.extend(changes);
        }
        let bytes = serde_json::to_vec(&data).unwrap_or_default();
        let raw = RawObject::parse(&bytes)
            .map_err(|e| KillbError::invalid("data", format!("data is not an object: {e}")))?;
        let key = check_data(&account.kind, &raw)?;
        account.data = data;
        account.key = key.clone();
        account.status = AccountStatus::Pending;
        account.generation += 1;
        account.updated_at = killb.common.clock.now();
        (account.wire(), key, account.generation)
    };
    killb.common.registry.status(
        ACCOUNTS,
        &id,
        AccountStatus::Pending.as_str(),
        Some("updated"),
    );
    verify(&killb, &forced, &id, &key, generation, "UPDATE");
    Ok(Json(out))
}

/// Whether a payout still on its way pays into `account` (its account number, CLABE, phone, alias
/// or address): seed 002 refuses to delete such an account until the transaction is done.
fn in_use(books: &super::state::Books, account: &UserAccount) -> bool {
    books.payouts.iter().any(|p| {
        p.status.in_flight()
            && ["accountNumber", "alias", "clabe", "address", "phone"]
                .iter()
                .any(|f| {
                    p.beneficiary
                        .pointer(&format!("/account/{f}"))
                        .and_then(Value::as_str)
                        == Some(account.key.as_str())
                })
    })
}

/// `DELETE /api/v2/accounts/{accountId}`: the account becomes INACTIVE for good (still readable);
/// refused while a pending or processing payout pays into it.
pub(crate) async fn delete(
    State(killb): State<Arc<Killb>>,
    Extension(forced): Extension<ForcedFaults>,
    Path(id): Path<String>,
) -> Result<Json<AccountOut>, KillbError> {
    let (out, changed) = {
        let mut books = killb.books();
        let found = books
            .user_accounts
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| not_found(&id))?;
        if !found.deleted && in_use(&books, found) {
            return Err(KillbError::new(
                StatusCode::CONFLICT,
                "ACCOUNT.0004",
                format!("Account {id} is used by a pending or processing payout"),
            ));
        }
        let account = books
            .user_accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| not_found(&id))?;
        let changed = account.status != AccountStatus::Inactive;
        if !account.deleted {
            account.deleted = true;
            account.generation += 1;
            account.status = AccountStatus::Inactive;
            account.updated_at = killb.common.clock.now();
        }
        (account.wire(), changed)
    };
    if changed {
        killb.common.registry.status(
            ACCOUNTS,
            &id,
            AccountStatus::Inactive.as_str(),
            Some("deleted"),
        );
        let faults = killb.common.faults.draw_order(&forced);
        let deliveries = account_deliveries(&killb, out.clone(), "UPDATE");
        lifecycle::notify(&killb.common, &faults, deliveries, Duration::ZERO);
    }
    Ok(Json(out))
}
