//! Newtype identifiers. An id's type says what it names, so an order id can never be passed where a
//! provider id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Namespace for ids derived from idempotency keys (UUIDv5). Fixed forever: changing it would let a
/// retried command create a second order.
const GIRO_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_58e2_93c4_4d0b_8f3e_2c71_0b9d_4e55);

/// The kind of an order's aggregate; it names the event subject (`giro.evt.<kind>.<id>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Payout,
    Charge,
    Beneficiary,
    /// A batch of payouts submitted together (its items are payout orders of their own).
    PayoutBatch,
}

impl OrderKind {
    /// The subject token and event-type prefix of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Payout => "payout",
            OrderKind::Charge => "charge",
            OrderKind::Beneficiary => "beneficiary",
            OrderKind::PayoutBatch => "payout_batch",
        }
    }
}

impl fmt::Display for OrderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id of a payout, charge or beneficiary: the last token of its event subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(Uuid);

impl OrderId {
    /// The order id a command with this idempotency key creates. Deterministic, so that every intake
    /// instance, before and after a restart, contends for the same event subject: JetStream's
    /// per-subject optimistic concurrency then makes exactly one of them the creator.
    pub fn for_idempotency_key(kind: OrderKind, key: &IdempotencyKey) -> Self {
        let name = format!("{}:{}", kind.as_str(), key.as_str());
        OrderId(Uuid::new_v5(&GIRO_NAMESPACE, name.as_bytes()))
    }

    pub fn from_uuid(id: Uuid) -> Self {
        OrderId(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for OrderId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(OrderId)
    }
}

/// The id of one stored event; also its `Nats-Msg-Id`, so a retried publish of the same event is
/// de-duplicated by JetStream while a different event for the same version is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(Uuid);

impl EventId {
    /// A new time-ordered id (UUIDv7). The shell calls this; deciders never do.
    pub fn new() -> Self {
        EventId(Uuid::now_v7())
    }
}

impl Default for EventId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A caller's idempotency key: 1–128 characters of `[A-Za-z0-9._:-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.is_empty() || s.len() > 128 {
            return Err(format!(
                "must be 1 to 128 characters, got {}",
                s.chars().count()
            ));
        }
        match s
            .chars()
            .position(|c| !(c.is_ascii_alphanumeric() || ".:_-".contains(c)))
        {
            Some(at) => Err(format!(
                "character {} is not one of A-Z a-z 0-9 . _ : -",
                at + 1
            )),
            None => Ok(IdempotencyKey(s)),
        }
    }
}

impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}

/// A configured provider instance (`killb`, `cashy-co`, `cashy-tz`, `a55`): lowercase letters,
/// digits and `-`, so it can be a consumer name and a subject token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProviderId(String);

impl ProviderId {
    /// For the crate's built-in literals only; they are checked by a test.
    pub(crate) fn new_unchecked(s: &str) -> Self {
        ProviderId(s.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProviderId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(ProviderId(s))
        } else {
            Err("must be 1 to 32 characters of a-z, 0-9 and -".to_string())
        }
    }
}

impl From<ProviderId> for String {
    fn from(p: ProviderId) -> String {
        p.0
    }
}

impl FromStr for ProviderId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderId::try_from(s.to_string())
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The idempotency handle sent to a provider for one submission attempt (KillB `Idempotency-Key`
/// and `externalId`, Cashy `mchOrderNo`). It encodes the order id and attempt, so a callback or a
/// query result maps back to its order without any lookup table. Format: `G` + the order's UUID in
/// 25 base-36 digits + the attempt in 2 digits: 28 alphanumeric characters, inside Cashy's 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubmissionHandle {
    pub order_id: OrderId,
    pub attempt: u32,
}

const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const UUID_DIGITS: usize = 25;

impl SubmissionHandle {
    /// Highest attempt number a handle can carry.
    pub const MAX_ATTEMPT: u32 = 99;
}

impl fmt::Display for SubmissionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = self.order_id.as_uuid().as_u128();
        let mut digits = [b'0'; UUID_DIGITS];
        for slot in digits.iter_mut().rev() {
            *slot = BASE36[(n % 36) as usize];
            n /= 36;
        }
        let digits = std::str::from_utf8(&digits).map_err(|_| fmt::Error)?;
        write!(f, "G{digits}{:02}", self.attempt % 100)
    }
}

impl FromStr for SubmissionHandle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s
            .strip_prefix('G')
            .filter(|b| b.len() == UUID_DIGITS + 2 && b.is_ascii())
            .ok_or_else(|| "not a Giro submission handle".to_string())?;
        let (uuid_part, attempt_part) = body.split_at(UUID_DIGITS);
        let mut n: u128 = 0;
        for c in uuid_part.bytes() {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'z' => c - b'a' + 10,
                _ => return Err("not a Giro submission handle".to_string()),
            };
            n = n
                .checked_mul(36)
                .and_then(|n| n.checked_add(u128::from(d)))
                .ok_or_else(|| "not a Giro submission handle".to_string())?;
        }
        let attempt = attempt_part
            .parse::<u32>()
            .map_err(|_| "not a Giro submission handle".to_string())?;
        Ok(SubmissionHandle {
            order_id: OrderId::from_uuid(Uuid::from_u128(n)),
            attempt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_id_from_key_is_stable_and_kind_scoped() {
        let key = IdempotencyKey::try_from("payout-2024-001".to_string()).unwrap();
        let a = OrderId::for_idempotency_key(OrderKind::Payout, &key);
        assert_eq!(a, OrderId::for_idempotency_key(OrderKind::Payout, &key));
        assert_ne!(a, OrderId::for_idempotency_key(OrderKind::Charge, &key));
    }

    #[test]
    fn idempotency_key_rules() {
        assert!(IdempotencyKey::try_from("a.b:c_d-9".to_string()).is_ok());
        assert!(IdempotencyKey::try_from(String::new()).is_err());
        assert!(IdempotencyKey::try_from("x".repeat(129)).is_err());
        assert!(IdempotencyKey::try_from("has space".to_string()).is_err());
        assert!(IdempotencyKey::try_from("ñ".to_string()).is_err());
    }

    #[test]
    fn submission_handle_round_trips_within_32_chars() {
        for id in [Uuid::nil(), Uuid::max(), Uuid::now_v7(), Uuid::new_v4()] {
            let h = SubmissionHandle {
                order_id: OrderId::from_uuid(id),
                attempt: 7,
            };
            let s = h.to_string();
            assert_eq!(s.len(), 28);
            assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
            assert_eq!(s.parse::<SubmissionHandle>().unwrap(), h);
        }
        assert!("G".parse::<SubmissionHandle>().is_err());
        assert!(
            "Gzzzzzzzzzzzzzzzzzzzzzzzzz01"
                .parse::<SubmissionHandle>()
                .is_err()
        );
        assert!("payout-2024-001".parse::<SubmissionHandle>().is_err());
    }
}
