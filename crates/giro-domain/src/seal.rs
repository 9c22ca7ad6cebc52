//! Personal data sealed inside events, so that destroying one key erases it.
//!
//! Every order (payout, charge, beneficiary) has a key of its own. While an order's events are
//! encoded or decoded inside [`with_sealing`], every [`Pii`](crate::secret::Pii) serializes as
//! `pii:v1:<base64 of nonce and ciphertext>` (XChaCha20-Poly1305, a random nonce per value, the
//! order id as associated data, so a value moved to another order does not open) and
//! deserializes by opening it. Under [`Sealing::Erased`] (the key was destroyed) every personal
//! value reads as [`ERASED`], whatever was stored; amounts, statuses and the rest of the event
//! are untouched. Outside a sealing scope (commands, replies) personal data is plain text, as
//! the public contract says.
//!
//! The scope is thread-local and synchronous: it is set around one `serde_json` call, never
//! across an `.await`.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use uuid::Uuid;

/// What a personal field reads as once its order's key is destroyed.
pub const ERASED: &str = "[erased]";

/// The prefix of a sealed value: the scheme's version, so another scheme can come beside it.
const SEALED_PREFIX: &str = "pii:v1:";

/// The length of an XChaCha20 nonce.
const NONCE_LEN: usize = 24;

/// One order's 256-bit key. Its `Debug` never prints it.
#[derive(Clone)]
pub struct SealKey(Arc<XChaCha20Poly1305>);

impl SealKey {
    /// A new random key (the operating system's generator).
    pub fn generate() -> (SealKey, [u8; 32]) {
        let bytes: [u8; 32] = XChaCha20Poly1305::generate_key(&mut OsRng).into();
        (SealKey::from_bytes(&bytes), bytes)
    }

    /// The key stored as `bytes`; `None` when they are not 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<SealKey> {
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        Some(SealKey::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8; 32]) -> SealKey {
        SealKey(Arc::new(XChaCha20Poly1305::new(bytes.into())))
    }
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey(***)")
    }
}

/// How an order's personal data is sealed.
#[derive(Debug, Clone)]
pub enum Sealing {
    /// Sealed and opened with the order's key.
    Key(SealKey),
    /// The order's key was destroyed: personal data reads (and is written) as erased.
    Erased,
}

struct Scope {
    sealing: Sealing,
    order_id: Uuid,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Runs `f` (one encode or decode of order `order_id`'s event) with its personal data sealed as
/// `sealing` says. Scopes nest: the inner one holds until it returns.
pub fn with_sealing<R>(sealing: &Sealing, order_id: Uuid, f: impl FnOnce() -> R) -> R {
    let outer = SCOPE.with(|s| {
        s.borrow_mut().replace(Scope {
            sealing: sealing.clone(),
            order_id,
        })
    });
    struct Restore(Option<Scope>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            SCOPE.with(|s| *s.borrow_mut() = outer);
        }
    }
    let _restore = Restore(outer);
    f()
}

/// What a personal value is, as read inside or outside a sealing scope.
pub(crate) enum Stored {
    /// Plain text: outside a scope, or an event stored before sealing existed.
    Plain(String),
    /// The value, opened with the order's key.
    Opened(String),
    /// The order's key is gone.
    Erased,
}

/// The text a personal value is written as: sealed in a scope with a key, [`ERASED`] in a scope
/// of an erased order, `None` (plain) outside any scope.
pub(crate) fn seal(value: &str) -> Option<String> {
    SCOPE.with(|s| {
        let scope = s.borrow();
        let scope = scope.as_ref()?;
        Some(match &scope.sealing {
            Sealing::Erased => ERASED.to_string(),
            Sealing::Key(key) => {
                let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
                let payload = Payload {
                    msg: value.as_bytes(),
                    aad: scope.order_id.as_bytes(),
                };
                // Encryption in memory fails only past the cipher's length limit (256 GiB).
                let sealed = key.0.encrypt(&nonce, payload).unwrap_or_default();
                let mut bytes = nonce.to_vec();
                bytes.extend_from_slice(&sealed);
                format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(bytes))
            }
        })
    })
}

/// Reads a stored personal value in the current scope. A sealed value that does not open with
/// the order's key (altered, or moved from another order) is an error, never a guess.
pub(crate) fn open(stored: String) -> Result<Stored, String> {
    SCOPE.with(|s| {
        let scope = s.borrow();
        let Some(scope) = scope.as_ref() else {
            return Ok(Stored::Plain(stored));
        };
        let key = match &scope.sealing {
            Sealing::Erased => return Ok(Stored::Erased),
            Sealing::Key(key) => key,
        };
        let Some(text) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(if stored == ERASED {
                Stored::Erased
            } else {
                Stored::Plain(stored)
            });
        };
        let bytes = STANDARD_NO_PAD
            .decode(text)
            .map_err(|e| format!("a sealed personal value is not base64: {e}"))?;
        if bytes.len() < NONCE_LEN {
            return Err("a sealed personal value is shorter than its nonce".to_string());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().unwrap_or([0; NONCE_LEN]);
        let payload = Payload {
            msg: sealed,
            aad: scope.order_id.as_bytes(),
        };
        let plain = key.0.decrypt(&XNonce::from(nonce), payload).map_err(|_| {
            "a sealed personal value does not open with its order's key".to_string()
        })?;
        String::from_utf8(plain)
            .map(Stored::Opened)
            .map_err(|_| "a sealed personal value is not UTF-8".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{MaskStyle, Pii, pii};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Person {
        #[serde(with = "pii::initials")]
        name: Pii,
        #[serde(with = "pii::last_four")]
        account: Pii,
        amount: String,
    }

    fn person() -> Person {
        Person {
            name: Pii::new("Maria Garcia", MaskStyle::Initials),
            account: Pii::new("1234567890", MaskStyle::LastFour),
            amount: "150000".into(),
        }
    }

    #[test]
    fn sealed_values_hide_the_text_and_open_with_the_key_of_their_order() {
        let (key, _) = SealKey::generate();
        let sealing = Sealing::Key(key);
        let order = Uuid::new_v4();
        let text = with_sealing(&sealing, order, || serde_json::to_string(&person())).unwrap();
        assert!(
            !text.contains("Maria") && !text.contains("1234567890"),
            "{text}"
        );
        assert!(
            text.contains("pii:v1:") && text.contains("150000"),
            "{text}"
        );
        let back: Person = with_sealing(&sealing, order, || serde_json::from_str(&text)).unwrap();
        assert_eq!(back, person());
        let moved = with_sealing(&sealing, Uuid::new_v4(), || {
            serde_json::from_str::<Person>(&text)
        });
        assert!(moved.is_err(), "a value sealed for another order opened");
        let (other, _) = SealKey::generate();
        let wrong = with_sealing(&Sealing::Key(other), order, || {
            serde_json::from_str::<Person>(&text)
        });
        assert!(wrong.is_err(), "a value opened with another key");
    }

    #[test]
    fn each_seal_uses_a_new_nonce() {
        let sealing = Sealing::Key(SealKey::generate().0);
        let order = Uuid::new_v4();
        let a = with_sealing(&sealing, order, || serde_json::to_string(&person())).unwrap();
        let b = with_sealing(&sealing, order, || serde_json::to_string(&person())).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn an_erased_order_reads_erased_and_keeps_everything_else() {
        let sealing = Sealing::Key(SealKey::generate().0);
        let order = Uuid::new_v4();
        let text = with_sealing(&sealing, order, || serde_json::to_string(&person())).unwrap();
        let plain = serde_json::to_string(&person()).unwrap();
        for stored in [&text, &plain] {
            let back: Person =
                with_sealing(&Sealing::Erased, order, || serde_json::from_str(stored)).unwrap();
            assert!(back.name.is_erased() && back.account.is_erased());
            assert_eq!(back.name.expose(), ERASED);
            assert_eq!(
                format!("{} {:?}", back.account, back.name),
                "[erased] Pii([erased])"
            );
            assert_eq!(back.amount, "150000");
        }
        let rewritten =
            with_sealing(&Sealing::Erased, order, || serde_json::to_string(&person())).unwrap();
        assert!(!rewritten.contains("Maria") && rewritten.contains(ERASED));
    }

    #[test]
    fn outside_a_scope_personal_data_is_plain_and_scopes_nest() {
        let plain = serde_json::to_string(&person()).unwrap();
        assert!(plain.contains("Maria Garcia"));
        let sealing = Sealing::Key(SealKey::generate().0);
        let order = Uuid::new_v4();
        let inner = with_sealing(&sealing, order, || {
            with_sealing(&Sealing::Erased, order, || serde_json::to_string(&person()))
        })
        .unwrap();
        assert!(inner.contains(ERASED));
        let after = with_sealing(&sealing, order, || serde_json::to_string(&person())).unwrap();
        assert!(after.contains("pii:v1:"));
        assert!(
            serde_json::to_string(&person())
                .unwrap()
                .contains("Maria Garcia")
        );
        let back: Person = with_sealing(&sealing, order, || serde_json::from_str(&plain)).unwrap();
        assert_eq!(back, person(), "events stored before sealing still read");
    }

    #[test]
    fn keys_read_back_from_their_bytes_and_never_print() {
        let (key, bytes) = SealKey::generate();
        let order = Uuid::new_v4();
        let text = with_sealing(&Sealing::Key(key.clone()), order, || {
            serde_json::to_string(&person())
        })
        .unwrap();
        let again = SealKey::from_slice(&bytes).unwrap();
        let back: Person =
            with_sealing(&Sealing::Key(again), order, || serde_json::from_str(&text)).unwrap();
        assert_eq!(back, person());
        assert!(SealKey::from_slice(&bytes[..31]).is_none());
        assert_eq!(format!("{key:?}"), "SealKey(***)");
    }
}
