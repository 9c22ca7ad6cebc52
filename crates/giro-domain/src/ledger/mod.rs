//! The payout ledger: every movement of payout money at a provider as a balanced double-entry
//! posting, derived from the payout's events alone (no clock, no provider call, no other source).
//!
//! # Chart of accounts
//!
//! Four accounts per provider instance (`killb`, `cashy-co`, …), named `<provider>:<book>`, each
//! kept per currency. Every account is debit-normal: its balance is debits − credits, so the
//! balances of one currency always add up to zero.
//!
//! | account | holds |
//! |---|---|
//! | `<provider>:prefund` | the money at the provider that no order holds: for KillB its pre-fund balance. Top-ups are not events, so the balance is the *change* Giro's payouts made to it since the ledger began: negative when money went out. |
//! | `<provider>:reserved` | set aside for orders the provider may have in hand (`submitting`, `submitted`, `processing`) |
//! | `<provider>:paid_out` | delivered to beneficiaries and not returned |
//! | `<provider>:fees` | charged by the provider for successful payouts |
//!
//! # Postings
//!
//! A posting follows each status change that moves money (by [`next_status`], the transition
//! table `evolve` obeys), for the order's amount (`payout.requested`'s money) unless said. What a
//! success pays out, and a refund or reversal returns, is the amount the provider reported paying
//! on the current attempt (`payout.provider_status`'s `amount`, in the order's currency) when it
//! said one: a provider that paid less than was reserved gives the rest back at once (a
//! `released` posting of the difference at the success), one that paid more takes the excess out
//! of the pre-fund (a `reserved` posting of it).
//!
//! | kind | when | debit | credit |
//! |---|---|---|---|
//! | `reserved` | submission started (requested or held → submitting) | reserved | prefund |
//! | `released` | the provider did not take the order or gave it back unpaid: a retryable submission failure or an announced wait (→ requested), a failure (→ failed), a refund before any success (→ refunded) | prefund | reserved |
//! | `paid` | success (→ succeeded) | paid_out | reserved; prefund after a failure had released it (FAIL → SUCCESS) |
//! | `fee` | an event stating the fee the provider keeps ([`fee_stated`]: a decisive report, a report carrying a fee, a success carrying one), for the change it makes to the fee posted for the order, in the order's currency; a fee given back (a reversal whose report names no fee) or a rebate the other way round | fees | prefund |
//! | `refunded` | succeeded → refunded (KillB returns the money to the pre-fund) | prefund | paid_out |
//! | `reversed` | succeeded → reversed (SUCCESS → FAIL) | prefund | paid_out |
//!
//! Cancellations and failures of orders no provider had move nothing: nothing was reserved. The
//! fees book holds, per order, the fee the provider keeps by the latest report that states one:
//! Cashy sets `fee` only on success, so its FAIL reversing a success gives the fee back, and a
//! success after that charges it again, once. The settlement report reads the same rule, so the
//! ledger's fees and the settlement's always agree.
//!
//! # Guarantees
//!
//! - Every posting balances: its debits equal its credits (one currency per posting).
//! - `prefund + reserved = −(paid − refunded − reversed + fees)` per provider and currency, and
//!   `reserved` is the sum of the amounts of the orders at the provider; so once no order is at
//!   the provider, `prefund = −(paid − refunded − reversed + fees)` to the cent.
//! - A posting is keyed by (order, version, kind): the same event derived again gives the same
//!   key, and [`Ledger::record`] keeps the first, so seeing an event twice never posts twice.
//!
//! Charges (A55) are not in the ledger: their money flows the other way (payers to the merchant)
//! and A55 holds no pre-fund for them.

use std::fmt;

use rust_decimal::Decimal;

use crate::envelope::Envelope;
use crate::ids::{OrderId, ProviderId};
use crate::money::{Currency, Money};
use crate::payout::{Payout, PayoutEvent, PayoutRequested, PayoutStatus, fee_stated, next_status};

mod book;
pub use book::Ledger;

/// What a posting records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PostingKind {
    Reserved,
    Released,
    Paid,
    Fee,
    Refunded,
    Reversed,
}

impl PostingKind {
    pub const ALL: [PostingKind; 6] = [
        PostingKind::Reserved,
        PostingKind::Released,
        PostingKind::Paid,
        PostingKind::Fee,
        PostingKind::Refunded,
        PostingKind::Reversed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostingKind::Reserved => "reserved",
            PostingKind::Released => "released",
            PostingKind::Paid => "paid",
            PostingKind::Fee => "fee",
            PostingKind::Refunded => "refunded",
            PostingKind::Reversed => "reversed",
        }
    }
}

impl fmt::Display for PostingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of a provider's four books (see the chart of accounts above).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Book {
    Prefund,
    Reserved,
    PaidOut,
    Fees,
}

impl Book {
    pub const ALL: [Book; 4] = [Book::Prefund, Book::Reserved, Book::PaidOut, Book::Fees];

    pub fn as_str(self) -> &'static str {
        match self {
            Book::Prefund => "prefund",
            Book::Reserved => "reserved",
            Book::PaidOut => "paid_out",
            Book::Fees => "fees",
        }
    }
}

/// A provider instance's book: `<provider>:<book>` (e.g. `killb:prefund`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account {
    pub provider: ProviderId,
    pub book: Book,
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.book.as_str())
    }
}

/// One side of a posting on one account; exactly one of `debit` and `credit` is non-zero, and
/// neither is negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub account: Account,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// What identifies a posting: the event it follows from and what it records. The same event
/// derived again gives the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostingKey {
    pub order: OrderId,
    /// The version of the order's event it follows from.
    pub version: u64,
    pub kind: PostingKind,
}

/// One balanced double-entry transaction in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub key: PostingKey,
    pub currency: Currency,
    pub legs: Vec<Leg>,
}

impl Posting {
    /// `amount` from `credit` to `debit`; a negative amount moves the other way, so no leg is
    /// negative.
    fn transfer(
        key: PostingKey,
        currency: Currency,
        debit: Account,
        credit: Account,
        amount: Decimal,
    ) -> Posting {
        let (debit, credit) = if amount < Decimal::ZERO {
            (credit, debit)
        } else {
            (debit, credit)
        };
        let amount = amount.abs();
        Posting {
            key,
            currency,
            legs: vec![
                Leg {
                    account: debit,
                    debit: amount,
                    credit: Decimal::ZERO,
                },
                Leg {
                    account: credit,
                    debit: Decimal::ZERO,
                    credit: amount,
                },
            ],
        }
    }

    pub fn debits(&self) -> Decimal {
        self.legs.iter().map(|l| l.debit).sum()
    }

    pub fn credits(&self) -> Decimal {
        self.legs.iter().map(|l| l.credit).sum()
    }

    /// Debits equal credits and no leg is negative.
    pub fn is_balanced(&self) -> bool {
        self.debits() == self.credits()
            && self
                .legs
                .iter()
                .all(|l| l.debit >= Decimal::ZERO && l.credit >= Decimal::ZERO)
    }
}

/// What the ledger needs to know of one payout to post its next event: whose books, how much,
/// and where the order is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub order: OrderId,
    pub provider: ProviderId,
    pub money: Money,
    pub status: PayoutStatus,
    /// The version of the last event taken into account.
    pub version: u64,
    /// The amount the provider reported moving on the current attempt, when it said (in the
    /// order's currency): what a success pays out and a refund or reversal returns.
    pub reported: Option<Decimal>,
    /// The fee posted for the order so far: the fee the provider keeps.
    pub fee: Decimal,
}

impl Position {
    /// A payout just requested (its event is version 1).
    pub fn opened(order: OrderId, requested: &PayoutRequested) -> Position {
        Position {
            order,
            provider: requested.provider.clone(),
            money: requested.money,
            status: PayoutStatus::Requested,
            version: 1,
            reported: None,
            fee: Decimal::ZERO,
        }
    }

    /// Where a payout folded by `evolve` stands.
    pub fn of(p: &Payout) -> Position {
        Position {
            order: p.id,
            provider: p.provider().clone(),
            money: p.request.money,
            status: p.status,
            version: p.version,
            reported: p.reported_amount,
            fee: p.fee.unwrap_or_default(),
        }
    }

    fn account(&self, book: Book) -> Account {
        Account {
            provider: self.provider.clone(),
            book,
        }
    }

    /// The postings of the order's event at `version`, and the position after it. An event at or
    /// below the position's version was taken into account already: it posts nothing.
    pub fn post(&mut self, version: u64, event: &PayoutEvent) -> Vec<Posting> {
        if version <= self.version {
            return Vec::new();
        }
        self.version = version;
        // Reports about other attempts are `payout.report_unmatched`, never counted here.
        if let PayoutEvent::ProviderStatus(r) = event
            && let Some(reported) = r.amount_in(self.money.currency())
        {
            self.reported = Some(reported);
        }
        let next = next_status(self.status, event);
        // A success the transition table forbids is a corrupt log `evolve` skips: no fee either.
        let stated = match event {
            PayoutEvent::Succeeded(_) if next.is_none() => None,
            event => fee_stated(event),
        };
        let fee_change = stated
            .map(|kept| kept.unwrap_or_default() - self.fee)
            .filter(|change| !change.is_zero());
        let mut postings = next.map(|to| self.move_to(version, to)).unwrap_or_default();
        // A reservation a reroute releases was the former provider's: posted before the switch.
        if let PayoutEvent::Rerouted(r) = event {
            self.provider = r.to.clone();
        }
        if let Some(change) = fee_change {
            self.fee += change;
            postings.push(Posting::transfer(
                PostingKey {
                    order: self.order,
                    version,
                    kind: PostingKind::Fee,
                },
                self.money.currency(),
                self.account(Book::Fees),
                self.account(Book::Prefund),
                change,
            ));
        }
        postings
    }

    /// The postings of the status change to `to` that the event at `version` makes.
    fn move_to(&mut self, version: u64, to: PayoutStatus) -> Vec<Posting> {
        let from = std::mem::replace(&mut self.status, to);
        let amount = self.money.amount();
        // What moved to the beneficiary: what the provider reported paying, else the order's.
        let paid = self.reported.unwrap_or(amount);
        let posting = |kind, debit, credit, amount| {
            let key = PostingKey {
                order: self.order,
                version,
                kind,
            };
            Posting::transfer(
                key,
                self.money.currency(),
                self.account(debit),
                self.account(credit),
                amount,
            )
        };
        use Book as B;
        use PayoutStatus as S;
        use PostingKind as K;
        match to {
            S::Submitting => vec![posting(K::Reserved, B::Reserved, B::Prefund, amount)],
            S::Requested | S::Failed | S::Refunded if from.is_at_provider() => {
                vec![posting(K::Released, B::Prefund, B::Reserved, amount)]
            }
            S::Succeeded => {
                let source = if from.is_at_provider() {
                    B::Reserved
                } else {
                    B::Prefund
                };
                let mut postings = vec![posting(K::Paid, B::PaidOut, source, paid)];
                // A provider that paid another amount than was reserved: the rest of the
                // reservation goes back, or what it paid beyond it comes out of the pre-fund.
                if source == B::Reserved && paid < amount {
                    postings.push(posting(K::Released, B::Prefund, B::Reserved, amount - paid));
                } else if source == B::Reserved && paid > amount {
                    postings.push(posting(K::Reserved, B::Reserved, B::Prefund, paid - amount));
                }
                postings
            }
            S::Refunded if from == S::Succeeded => {
                vec![posting(K::Refunded, B::Prefund, B::PaidOut, paid)]
            }
            S::Reversed if from == S::Succeeded => {
                vec![posting(K::Reversed, B::Prefund, B::PaidOut, paid)]
            }
            _ => Vec::new(),
        }
    }
}

/// The postings of one stored event, given the payout before it (as `evolve` folded it).
pub fn postings(before: &Option<Payout>, env: &Envelope<PayoutEvent>) -> Vec<Posting> {
    match before {
        Some(p) => Position::of(p).post(env.version, &env.event),
        None => Vec::new(),
    }
}

/// The postings of one order's events, in order. Events before its `payout.requested`, and
/// events at a version already seen, post nothing.
pub fn order_postings(events: &[Envelope<PayoutEvent>]) -> Vec<Posting> {
    let mut position: Option<Position> = None;
    let mut postings = Vec::new();
    for env in events {
        match (&mut position, &env.event) {
            (Some(p), event) => postings.extend(p.post(env.version, event)),
            (None, PayoutEvent::Requested(r)) if env.version == 1 => {
                position = Some(Position::opened(env.order_id, r));
            }
            (None, _) => {}
        }
    }
    postings
}
