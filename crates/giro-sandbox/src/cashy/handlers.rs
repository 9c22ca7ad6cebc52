//! `/api/payOut`, `/api/payOutQuery`, `/api/getBalance`, `/api/bankListQuery`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use rust_decimal::Decimal;

use super::banks::banks;
use super::config::{CashyMerchant, Country};
use super::envelope::{CashyError, success};
use super::lifecycle::{Mover, plan};
use super::request::authenticate;
use super::state::{Cashy, Order, Status};
use super::validate::{self, PayOut};
use super::wire::{BalanceData, CreatedData};
use crate::faults::ForcedFaults;
use crate::introspect::NewOrder;
use crate::json::RawObject;
use crate::lifecycle;
use crate::scenario::{self, Scenario};

fn nonce(body: &RawObject) -> Result<(), CashyError> {
    match body.text("nonceStr") {
        Err(_) => Err(CashyError::invalid("nonceStr")),
        Ok(None) => Err(CashyError::required("nonceStr")),
        Ok(Some(n)) if n.is_empty() => Err(CashyError::required("nonceStr")),
        Ok(Some(n)) if n.chars().count() > 32 => Err(CashyError::invalid("nonceStr")),
        Ok(Some(_)) => Ok(()),
    }
}

/// `POST /api/payOut`: creates an order; a `mchOrderNo` already used by the merchant is refused.
pub(crate) async fn pay_out(
    State(cashy): State<Arc<Cashy>>,
    Extension(forced): Extension<ForcedFaults>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CashyError> {
    let auth = authenticate(&cashy, &method, &headers, &body)?;
    let merchant = auth.merchant.clone();
    let provider = merchant.country.provider();
    let registry = &cashy.common.registry;
    let handle = auth
        .body
        .text("mchOrderNo")
        .ok()
        .flatten()
        .filter(|h| !h.is_empty());
    if let Some(handle) = &handle {
        registry.submitted(provider, handle);
    }
    let refuse = |error: CashyError| {
        if let Some(handle) = &handle {
            registry.refused(provider, handle);
        }
        error
    };
    let request = validate::pay_out(&auth.body, merchant.country).map_err(refuse)?;
    let order = book(&cashy, &merchant, &request, refuse)?;
    registry.created(NewOrder {
        provider,
        order_id: &order.order_no,
        handle: &order.mch_order_no,
        external_id: Some(&order.mch_order_no),
        amount: order.amount.to_string(),
        currency: merchant.country.currency(),
        status: order.status.as_str(),
    });
    let faults = cashy.common.faults.draw_order(&forced);
    let steps = plan(&cashy.common.timing, Scenario::of(request.amount), &faults);
    let mover = Mover {
        cashy: Arc::clone(&cashy),
        order_no: order.order_no.clone(),
    };
    lifecycle::spawn(cashy.common.clone(), mover, steps, faults);
    let text = cashy.as_text();
    Ok(success(CreatedData {
        merchant_id: order.merchant_id,
        mch_order_no: order.mch_order_no,
        order_no: order.order_no,
        amount: Cashy::amount(text, order.amount, order.amount.scale()),
        fee: Cashy::amount(text, Decimal::ZERO, 0),
        order_status: order.status.as_str(),
    }))
}

/// Books the order under the books' lock: moves its amount from the merchant's balance to its
/// unsettled balance and records it, unless the merchant already used its `mchOrderNo`.
fn book(
    cashy: &Cashy,
    merchant: &CashyMerchant,
    request: &PayOut,
    refuse: impl Fn(CashyError) -> CashyError,
) -> Result<Order, CashyError> {
    let fee_scale = if merchant.country == Country::Co {
        2
    } else {
        0
    };
    let mut books = cashy.books();
    let key = (merchant.merchant_id.clone(), request.mch_order_no.clone());
    if books.by_mch_order.contains_key(&key) {
        return Err(refuse(CashyError::invalid("mchOrderNo")));
    }
    // What Cashy actually pays (and reports): the asked amount unless the scenario says
    // otherwise, in whole units (COP and TZS alike).
    let paid = scenario::paid(request.amount, 0);
    let funds = books.funds.entry(merchant.merchant_id.clone()).or_default();
    if funds.balance < paid {
        return Err(refuse(CashyError::msg("Balance_not_enough")));
    }
    funds.balance -= paid;
    funds.un_balance += paid;
    let order = Order {
        merchant_id: merchant.merchant_id.clone(),
        country: merchant.country,
        mch_order_no: request.mch_order_no.clone(),
        order_no: format!("PAYOUT{}", cashy.common.random.digits(19)),
        channel_order_no: format!("CH{}", cashy.common.random.digits(16)),
        amount: paid,
        fee: (merchant.fee_fixed + paid * merchant.fee_rate).round_dp(fee_scale),
        status: Status::Processing,
        result_desc: None,
        completion_time: None,
        updated_at: cashy.common.clock.now(),
        notify_url: request.notify_url.clone(),
    };
    books.orders.push(order.clone());
    let index = books.orders.len() - 1;
    books.by_mch_order.insert(key, index);
    books.by_order_no.insert(order.order_no.clone(), index);
    Ok(order)
}

/// `POST /api/payOutQuery {mchOrderNo?, orderNo?, nonceStr}`; `orderNo` wins when both are given.
pub(crate) async fn pay_out_query(
    State(cashy): State<Arc<Cashy>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CashyError> {
    let auth = authenticate(&cashy, &method, &headers, &body)?;
    let id = |field: &str| {
        auth.body
            .text(field)
            .map(|v| v.filter(|v| !v.is_empty()))
            .map_err(|_| CashyError::invalid(field))
    };
    let (order_no, mch_order_no) = (id("orderNo")?, id("mchOrderNo")?);
    nonce(&auth.body)?;
    if order_no.is_none() && mch_order_no.is_none() {
        return Err(CashyError::required("orderNo"));
    }
    let order = cashy
        .books()
        .find(
            &auth.merchant.merchant_id,
            order_no.as_deref(),
            mch_order_no.as_deref(),
        )
        .cloned();
    match order {
        Some(order)
            if mch_order_no
                .as_ref()
                .is_none_or(|m| *m == order.mch_order_no) =>
        {
            Ok(success(cashy.order_data(&order, 2)))
        }
        _ if order_no.is_some() => Err(CashyError::invalid("orderNo")),
        _ => Err(CashyError::invalid("mchOrderNo")),
    }
}

/// `POST /api/getBalance {nonceStr}` → `{mchId, balance, unBalance}`.
pub(crate) async fn get_balance(
    State(cashy): State<Arc<Cashy>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CashyError> {
    let auth = authenticate(&cashy, &method, &headers, &body)?;
    nonce(&auth.body)?;
    let funds = cashy
        .books()
        .funds
        .get(&auth.merchant.merchant_id)
        .copied()
        .unwrap_or_default();
    let text = cashy.as_text();
    Ok(success(BalanceData {
        mch_id: auth.merchant.merchant_id.clone(),
        balance: Cashy::amount(text, funds.balance, 2),
        un_balance: Cashy::amount(text, funds.un_balance, 2),
    }))
}

/// `POST /api/bankListQuery` → `[{bankId, bankCode, bankName}]` for the merchant's country.
pub(crate) async fn bank_list(
    State(cashy): State<Arc<Cashy>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CashyError> {
    let auth = authenticate(&cashy, &method, &headers, &body)?;
    Ok(success(banks(auth.merchant.country)))
}
