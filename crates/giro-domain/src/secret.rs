//! Credentials and personal data behind types that cannot leak by accident: their `Debug` and
//! `Display` print a mask, and the value is reached only through an explicit `expose()`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::seal::{ERASED, Stored};

/// A credential (API key, password, token, webhook secret). It is never serialized: a `Secret` in
/// an event, a reply or a projection does not compile.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The raw value, for the one place that must send it (a signature, a header).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

/// How a piece of personal data is shown when it must be shown at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaskStyle {
    /// Account, document and phone numbers: `****6789` (the last four characters of a value of more
    /// than six; nothing of a shorter one).
    LastFour,
    /// Names: the first letter of each word, `M*** G***`.
    Initials,
    /// E-mail addresses: `m***@example.com`.
    Email,
    /// Secrets of which nothing may be shown (a wallet's payment token): `***`.
    Hidden,
}

/// Personal data (names, account, document and phone numbers, e-mail addresses). It is serialized
/// as is in commands and replies, because the executor needs it to call the provider, and sealed
/// with its order's key in events ([`crate::seal`]); every human-facing rendering (`Debug`,
/// `Display`, [`Pii::masked`]) masks it. Once its order's key is destroyed it reads as
/// [`ERASED`] everywhere.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pii {
    value: String,
    style: MaskStyle,
    erased: bool,
}

impl Pii {
    pub fn new(value: impl Into<String>, style: MaskStyle) -> Self {
        Pii {
            value: value.into(),
            style,
            erased: false,
        }
    }

    /// A value whose order's key was destroyed: it reads, masked or exposed, as [`ERASED`].
    pub fn erased(style: MaskStyle) -> Self {
        Pii {
            value: ERASED.to_string(),
            style,
            erased: true,
        }
    }

    /// Reads a stored value in the current sealing scope (see [`crate::seal`]): plain outside a
    /// scope, opened with the order's key inside one, erased once the key is gone.
    pub fn open(stored: String, style: MaskStyle) -> Result<Self, String> {
        Ok(match crate::seal::open(stored)? {
            Stored::Plain(v) | Stored::Opened(v) => Pii::new(v, style),
            Stored::Erased => Pii::erased(style),
        })
    }

    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Whether the value was erased.
    pub fn is_erased(&self) -> bool {
        self.erased
    }

    /// The masked rendering, safe for logs, traces, errors and projections.
    pub fn masked(&self) -> String {
        if self.erased {
            return ERASED.to_string();
        }
        mask(&self.value, self.style)
    }
}

impl fmt::Debug for Pii {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pii({})", self.masked())
    }
}

impl fmt::Display for Pii {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for Pii {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match crate::seal::seal(&self.value) {
            Some(sealed) => s.serialize_str(&sealed),
            None => s.serialize_str(&self.value),
        }
    }
}

/// Masks a value in the given style; the building block of every masked view.
pub fn mask(value: &str, style: MaskStyle) -> String {
    match style {
        MaskStyle::LastFour => {
            let chars: Vec<char> = value.chars().collect();
            if chars.len() > 6 {
                let tail: String = chars[chars.len() - 4..].iter().collect();
                format!("****{tail}")
            } else {
                "****".to_string()
            }
        }
        MaskStyle::Initials => value
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .map(|c| format!("{c}***"))
            .collect::<Vec<_>>()
            .join(" "),
        MaskStyle::Email => match value.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_string(),
        },
        MaskStyle::Hidden => "***".to_string(),
    }
}

/// Declares serde helpers that read a `Pii` of a fixed style, so a struct field can say how it is
/// masked: `#[serde(with = "pii::last_four")] account_number: Pii`.
macro_rules! pii_style {
    ($name:ident, $style:expr) => {
        pub mod $name {
            #[allow(unused_imports)]
            use super::{MaskStyle, Pii, Serialize};
            use serde::{Deserialize, Deserializer, Serializer, de::Error};

            pub fn serialize<S: Serializer>(v: &Pii, s: S) -> Result<S::Ok, S::Error> {
                v.serialize(s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Pii, D::Error> {
                Pii::open(String::deserialize(d)?, $style).map_err(D::Error::custom)
            }
        }
    };
}

/// Serde adapters for [`Pii`] fields, one per mask style.
pub mod pii {
    pub use super::{MaskStyle, Pii};
    use serde::Serialize;
    pii_style!(last_four, MaskStyle::LastFour);
    pii_style!(initials, MaskStyle::Initials);
    pii_style!(email, MaskStyle::Email);
    pii_style!(hidden, MaskStyle::Hidden);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("sk_live_123".to_string());
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "sk_live_123");
    }

    #[test]
    fn pii_masks_by_style() {
        assert_eq!(mask("123456789", MaskStyle::LastFour), "****6789");
        assert_eq!(mask("12345", MaskStyle::LastFour), "****");
        assert_eq!(mask("Maria Garcia", MaskStyle::Initials), "M*** G***");
        assert_eq!(
            mask("maria@example.com", MaskStyle::Email),
            "m***@example.com"
        );
        assert_eq!(mask("not-an-email", MaskStyle::Email), "***");
        let p = Pii::new("3001234567", MaskStyle::LastFour);
        assert_eq!(format!("{p} {p:?}"), "****4567 Pii(****4567)");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"3001234567\"");
    }

    #[test]
    fn masking_handles_multibyte_text() {
        assert_eq!(mask("Ñandú Ürkel", MaskStyle::Initials), "Ñ*** Ü***");
        assert_eq!(mask("ñññññññ", MaskStyle::LastFour), "****ññññ");
    }
}
