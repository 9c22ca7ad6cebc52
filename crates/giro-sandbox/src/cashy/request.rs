//! The checks every Cashy call goes through, in the order the gateway reports them: method,
//! content type, `MerchantId`, body, `Sign`, JSON.

use axum::http::{HeaderMap, Method, header};

use super::config::CashyMerchant;
use super::envelope::CashyError;
use super::sign::cashy_sign;
use super::state::Cashy;
use crate::json::RawObject;
use crate::secret::same;

/// A request that passed the common checks.
pub(crate) struct Authenticated<'a> {
    pub merchant: &'a CashyMerchant,
    pub body: RawObject,
}

/// Checks method, content type, merchant, signature and JSON, answering as Cashy does.
pub(crate) fn authenticate<'a>(
    cashy: &'a Cashy,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Authenticated<'a>, CashyError> {
    if method != Method::POST {
        return Err(CashyError::msg("RequestMethod_not_post"));
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(CashyError::msg("RequestContentType_not_json"));
    }
    let merchant_id = headers
        .get("merchantid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| CashyError::msg("MerchantId_is_null"))?;
    if !merchant_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(CashyError::msg("MerchantId_not_Number"));
    }
    let merchant = cashy
        .merchant(merchant_id)
        .ok_or_else(|| CashyError::msg("MerchantId_is_error"))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CashyError::msg("RequestBody_is_null"));
    }
    let expected = cashy_sign(body, &merchant.api_key);
    let given = headers
        .get("sign")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Exact comparison: the gateway's examples are uppercase and so is what it verifies.
    if !same(given, &expected) {
        return Err(CashyError::msg("Sign_verify_error"));
    }
    let body = RawObject::parse(body).map_err(|_| CashyError::msg("Params_jsonFormat_error"))?;
    Ok(Authenticated { merchant, body })
}
