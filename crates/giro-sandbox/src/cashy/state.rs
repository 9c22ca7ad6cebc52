//! What the Cashy simulator holds: merchant balances and payout orders.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;

use super::config::{AmountStyle, CashyConfig, CashyMerchant, Country};
use super::wire::{Amount, OrderData};
use crate::context::Common;
use crate::statement::{StatementLine, StatementSource};

/// The simulator: configuration, shared pieces and books.
pub(crate) struct Cashy {
    pub config: CashyConfig,
    pub common: Common,
    books: Mutex<Books>,
    messages: AtomicU64,
}

/// A merchant's money: `balance` available, `un_balance` held by orders in flight.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Funds {
    pub balance: Decimal,
    pub un_balance: Decimal,
}

/// Balances and orders.
#[derive(Debug, Default)]
pub(crate) struct Books {
    pub funds: HashMap<String, Funds>,
    pub orders: Vec<Order>,
    /// (merchant, mchOrderNo) → index into `orders`.
    pub by_mch_order: HashMap<(String, String), usize>,
    /// orderNo → index into `orders`.
    pub by_order_no: HashMap<String, usize>,
}

/// Cashy payout statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Processing,
    Waiting,
    Paying,
    Success,
    Fail,
    Cancel,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "PROCESSING",
            Self::Waiting => "WAITING",
            Self::Paying => "PAYING",
            Self::Success => "SUCCESS",
            Self::Fail => "FAIL",
            Self::Cancel => "CANCEL",
        }
    }

    fn in_flight(self) -> bool {
        matches!(self, Self::Processing | Self::Waiting | Self::Paying)
    }
}

/// A payout order.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub merchant_id: String,
    pub country: Country,
    pub mch_order_no: String,
    pub order_no: String,
    pub channel_order_no: String,
    pub amount: Decimal,
    /// Charged (and shown) only once the order succeeds.
    pub fee: Decimal,
    pub status: Status,
    pub result_desc: Option<String>,
    pub completion_time: Option<DateTime<Utc>>,
    /// When it last changed status (or was created), by the sandbox's clock.
    pub updated_at: DateTime<Utc>,
    pub notify_url: String,
}

impl Books {
    pub(crate) fn find(
        &self,
        merchant: &str,
        order_no: Option<&str>,
        mch_order_no: Option<&str>,
    ) -> Option<&Order> {
        let index = match (order_no, mch_order_no) {
            (Some(no), _) => self.by_order_no.get(no)?,
            (None, Some(mch)) => self
                .by_mch_order
                .get(&(merchant.to_owned(), mch.to_owned()))?,
            (None, None) => return None,
        };
        self.orders
            .get(*index)
            .filter(|o| o.merchant_id == merchant)
    }
}

impl Cashy {
    pub(crate) fn new(config: CashyConfig, common: Common) -> Self {
        let funds = config
            .merchants
            .iter()
            .map(|m| {
                let funds = Funds {
                    balance: m.balance,
                    un_balance: Decimal::ZERO,
                };
                (m.merchant_id.clone(), funds)
            })
            .collect();
        Self {
            config,
            common,
            books: Mutex::new(Books {
                funds,
                ..Books::default()
            }),
            messages: AtomicU64::new(0),
        }
    }

    pub(crate) fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn merchant(&self, merchant_id: &str) -> Option<&CashyMerchant> {
        self.config
            .merchants
            .iter()
            .find(|m| m.merchant_id == merchant_id)
    }

    /// The amount style for the next message.
    pub(crate) fn as_text(&self) -> bool {
        match self.config.amount_style {
            AmountStyle::Number => false,
            AmountStyle::String => true,
            AmountStyle::Alternate => self.messages.fetch_add(1, Ordering::Relaxed) % 2 == 1,
        }
    }

    /// `value` with `scale` decimals, as a number or a string.
    pub(crate) fn amount(text: bool, value: Decimal, scale: u32) -> Amount {
        let mut value = value;
        value.rescale(scale);
        if text {
            Amount::Text(value.normalize())
        } else {
            Amount::Number(value)
        }
    }

    /// The query/callback view of `order`; `fee_scale` is 2 in answers and 4 in callbacks.
    pub(crate) fn order_data(&self, order: &Order, fee_scale: u32) -> OrderData {
        let text = self.as_text();
        let success = order.status == Status::Success;
        OrderData {
            merchant_id: order.merchant_id.clone(),
            mch_order_no: order.mch_order_no.clone(),
            order_no: order.order_no.clone(),
            channel_order_no: order.channel_order_no.clone(),
            amount: Self::amount(text, order.amount, 2),
            fee: success.then(|| Self::amount(text, order.fee, fee_scale)),
            order_status: order.status.as_str(),
            completion_time: success
                .then(|| order.completion_time.map(wire_time))
                .flatten(),
            result_desc: order.result_desc.clone(),
            nonce_str: None,
            pay_type: None,
        }
    }

    /// Moves an order, settling the merchant's funds; returns the updated order.
    pub(crate) fn move_to(
        &self,
        order_no: &str,
        status: Status,
        desc: Option<&str>,
    ) -> Option<Order> {
        let mut books = self.books();
        let index = *books.by_order_no.get(order_no)?;
        let order = &mut books.orders[index];
        let before = order.status;
        let now = self.common.clock.now();
        order.status = status;
        order.result_desc = desc.map(str::to_owned);
        order.completion_time = (status == Status::Success).then_some(now);
        order.updated_at = now;
        let snapshot = order.clone();
        let funds = books.funds.entry(snapshot.merchant_id.clone()).or_default();
        let (amount, fee) = (snapshot.amount, snapshot.fee);
        match (before.in_flight(), before, status) {
            (true, _, Status::Success) => {
                funds.un_balance -= amount;
                funds.balance -= fee;
            }
            (true, _, Status::Fail | Status::Cancel) => {
                funds.un_balance -= amount;
                funds.balance += amount;
            }
            (false, Status::Success, Status::Fail) => funds.balance += amount + fee,
            (false, Status::Fail, Status::Success) => funds.balance -= amount + fee,
            _ => {}
        }
        drop(books);
        self.common
            .registry
            .status(snapshot.country.provider(), order_no, status.as_str(), desc);
        Some(snapshot)
    }
}

impl StatementSource for Cashy {
    fn instances(&self) -> Vec<&'static str> {
        self.config
            .merchants
            .iter()
            .map(|m| m.country.provider())
            .collect()
    }

    /// Amounts and fees with two decimals, as Cashy's queries write them; the fee only where it
    /// was kept (a SUCCESS), `completed_at` Cashy's `completionTime` where there is one.
    fn statement(&self, date: NaiveDate) -> Vec<StatementLine> {
        let two = |value: Decimal| {
            let mut value = value;
            value.rescale(2);
            value.to_string()
        };
        self.books()
            .orders
            .iter()
            .filter(|o| !o.status.in_flight() && o.updated_at.date_naive() == date)
            .map(|o| StatementLine {
                at: o.updated_at,
                provider: o.country.provider().to_owned(),
                reference: o.mch_order_no.clone(),
                provider_ref: o.order_no.clone(),
                status: o.status.as_str().to_owned(),
                amount: two(o.amount),
                currency: o.country.currency().to_owned(),
                fee: (o.status == Status::Success).then(|| two(o.fee)),
                completed_at: o.completion_time.map_or_else(
                    || o.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                    wire_time,
                ),
                channel_ref: Some(o.channel_order_no.clone()).filter(|c| !c.is_empty()),
            })
            .collect()
    }
}

/// Cashy's timestamp form, `yyyy-MM-dd HH:mm:ss`.
fn wire_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}
