//! KillB users (seed 002: "each account is linked to a specific user", and the account holder's
//! name must match the user): the users the simulator knows, the checks an account body meets
//! against its user, and the sandbox-only `POST /_sandbox/killb/users` that adds one.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::config::KillbUser;
use super::errors::KillbError;
use super::state::{Books, Killb};
use crate::json::RawObject;

/// KillB's "user not found" (the error example of its public docs is `USER.0001`, 404).
pub(crate) fn unknown_user(id: &str) -> KillbError {
    KillbError::not_found("USER.0001", format!("User {id} not found"))
}

fn same_name(want: Option<&str>, have: Option<&str>) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    match want {
        None => true,
        Some(want) => have.is_some_and(|have| norm(have) == norm(want)),
    }
}

/// Checks that `user_id` is a known user and that the holder in `data` is that user (a user with
/// no name accepts any holder). A mismatch is refused with a 400 naming the field.
pub(crate) fn check_holder(books: &Books, user_id: &str, data: &Value) -> Result<(), KillbError> {
    let user = books
        .users
        .iter()
        .find(|u| u.id == user_id)
        .ok_or_else(|| unknown_user(user_id))?;
    let field = |name: &str| data.get(name).and_then(Value::as_str);
    let mismatch = |name: &str| KillbError {
        field: Some(format!("data.{name}")),
        ..KillbError::new(
            StatusCode::BAD_REQUEST,
            "ACCOUNT.0003",
            format!("The account holder's name does not match user {user_id} (data.{name})"),
        )
    };
    if user.company_name.is_some() {
        if !same_name(user.company_name.as_deref(), field("companyName")) {
            return Err(mismatch("companyName"));
        }
        return Ok(());
    }
    if !same_name(user.first_name.as_deref(), field("firstName")) {
        return Err(mismatch("firstName"));
    }
    if !same_name(user.last_name.as_deref(), field("lastName")) {
        return Err(mismatch("lastName"));
    }
    Ok(())
}

fn name(obj: &RawObject, field: &str) -> Result<Option<String>, KillbError> {
    obj.string(field)
        .map_err(|_| KillbError::invalid(field, format!("{field} must be a string")))
        .map(|v| v.filter(|v| !v.trim().is_empty()))
}

/// `POST /_sandbox/killb/users {id, firstName, lastName, companyName}`: adds (or replaces) a user.
pub(crate) async fn add(
    State(killb): State<Arc<Killb>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), KillbError> {
    let obj = RawObject::parse(&body).map_err(|e| {
        KillbError::invalid("body", format!("Request body is not a JSON object: {e}"))
    })?;
    let id =
        name(&obj, "id")?.ok_or_else(|| KillbError::invalid("id", "id should not be empty"))?;
    let user = KillbUser {
        id: id.clone(),
        first_name: name(&obj, "firstName")?,
        last_name: name(&obj, "lastName")?,
        company_name: name(&obj, "companyName")?,
    };
    if user.first_name.is_some() != user.last_name.is_some() {
        return Err(KillbError::invalid(
            "lastName",
            "firstName and lastName go together",
        ));
    }
    let mut books = killb.books();
    books.users.retain(|u| u.id != id);
    books.users.push(user.clone());
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": user.id, "firstName": user.first_name,
                    "lastName": user.last_name, "companyName": user.company_name})),
    ))
}
