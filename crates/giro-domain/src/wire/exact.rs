//! The command's JSON text read once more, token by token, for what a parsed `Value` can no
//! longer tell: the exact text of each number and a key given twice in one object.
//!
//! serde_json holds a JSON number as an `f64` (the workspace cannot enable its
//! `arbitrary_precision`: it breaks internally tagged and flattened enums), so
//! `500000.000000000000000001` would be read as `500000` and paid. Principle 6 says refused, never
//! rounded: every number's text is compared, as a decimal, with what serde_json holds for it, and
//! a number that is not held exactly is refused naming its field. Numbers in exponent form
//! (`5e5`) are refused too: no amount is written that way, and no other field needs it.
//!
//! The scan is one pass over text serde_json has already accepted, so it only needs to find token
//! boundaries; it still never indexes out of bounds and stops at anything unexpected.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde_json::Number;

use crate::rejection::{ErrorCode, Rejection};

/// Top-level fields of commands that are amounts (`giro.cmd.payout.create`,
/// `giro.cmd.charge.create`, `giro.cmd.charge.refund`): refused with the amount codes.
const AMOUNT_FIELDS: &[&str] = &["amount"];

/// An amount whose integer part has more digits than this is beyond every provider's range
/// (the largest is 1 000 000 000), so a JSON number too large to be held exactly is
/// `amount_out_of_range`; below it, only excess decimal places can be lost (15 significant digits
/// always survive an `f64`), which is `invalid_amount_precision`.
const MAX_EXACT_INTEGER_DIGITS: usize = 13;

/// Deeper than serde_json's own limit is never reached on accepted text; a guard all the same.
const MAX_DEPTH: usize = 128;

/// Checks every number and every object of `text`, a JSON document.
pub(super) fn check(text: &[u8]) -> Result<(), Rejection> {
    Scanner { text, pos: 0 }.value("", 0)
}

/// The decimal value serde_json holds for `n`: integers as they are, floats as their shortest
/// rendering (the one that reads back to the same `f64`). `None` when no `Decimal` holds it.
pub fn number_decimal(n: &Number) -> Option<Decimal> {
    if let Some(u) = n.as_u64() {
        return Some(Decimal::from(u));
    }
    if let Some(i) = n.as_i64() {
        return Some(Decimal::from(i));
    }
    if !n.as_f64().is_some_and(f64::is_finite) {
        return None;
    }
    let shortest = n.to_string();
    if shortest.contains(['e', 'E']) {
        Decimal::from_scientific(&shortest).ok()
    } else {
        Decimal::from_str_exact(&shortest).ok()
    }
}

struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

fn unreadable() -> Rejection {
    Rejection::new(ErrorCode::InvalidJson, "malformed JSON")
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, path: &str, depth: usize) -> Result<(), Rejection> {
        if depth > MAX_DEPTH {
            return Err(unreadable());
        }
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(path, depth),
            Some(b'[') => self.array(path, depth),
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number(path),
            Some(b'a'..=b'z') => {
                while matches!(self.peek(), Some(b'a'..=b'z')) {
                    self.pos += 1;
                }
                Ok(())
            }
            _ => Err(unreadable()),
        }
    }

    fn object(&mut self, path: &str, depth: usize) -> Result<(), Rejection> {
        self.pos += 1;
        let mut seen = HashSet::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(b'"') => {}
                _ => return Err(unreadable()),
            }
            let raw = self.string()?;
            let key: String = serde_json::from_slice(raw).map_err(|_| unreadable())?;
            let here = join(path, &key);
            if !seen.insert(key) {
                return Err(Rejection::at(
                    ErrorCode::InvalidField,
                    here,
                    "is given more than once in the same object; each field may appear once",
                ));
            }
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(unreadable());
            }
            self.pos += 1;
            self.value(&here, depth + 1)?;
        }
    }

    fn array(&mut self, path: &str, depth: usize) -> Result<(), Rejection> {
        self.pos += 1;
        let mut index = 0usize;
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b',') => {
                    self.pos += 1;
                    index += 1;
                }
                _ => self.value(&format!("{path}[{index}]"), depth + 1)?,
            }
        }
    }

    /// Steps over a string and returns its text with the quotes.
    fn string(&mut self) -> Result<&[u8], Rejection> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                Some(b'\\') => self.pos += 2,
                Some(b'"') => {
                    self.pos += 1;
                    return self.text.get(start..self.pos).ok_or_else(unreadable);
                }
                Some(_) => self.pos += 1,
                None => return Err(unreadable()),
            }
        }
    }

    fn number(&mut self, path: &str) -> Result<(), Rejection> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.pos += 1;
        }
        let token = self
            .text
            .get(start..self.pos)
            .and_then(|t| std::str::from_utf8(t).ok())
            .ok_or_else(unreadable)?;
        check_number(token, path)
    }
}

/// Refuses a number in exponent form, or one whose text is not exactly what serde_json holds.
fn check_number(token: &str, path: &str) -> Result<(), Rejection> {
    let amount = AMOUNT_FIELDS.contains(&path);
    if token.contains(['e', 'E']) {
        return Err(if amount {
            Rejection::at(
                ErrorCode::InvalidField,
                path,
                format!(
                    "{token} is in exponent form; an amount is written in plain digits, \
                     preferably as a decimal string like \"500000\" or \"150.25\""
                ),
            )
        } else {
            Rejection::at(
                ErrorCode::InvalidField,
                path,
                "is a number in exponent form; write it in plain digits or send it as a string",
            )
        });
    }
    let held = serde_json::from_str::<Number>(token).ok();
    let held_decimal = held.as_ref().and_then(number_decimal);
    if let (Ok(written), Some(held)) = (Decimal::from_str_exact(token), held_decimal)
        && written == held
    {
        return Ok(());
    }
    if !amount {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            path,
            "is a number that a JSON number cannot hold exactly; send the value as a string",
        ));
    }
    let unsigned = token.trim_start_matches('-');
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let integer_digits = integer.trim_start_matches('0').len();
    if token.starts_with('-') {
        return Err(Rejection::at(
            ErrorCode::AmountOutOfRange,
            path,
            "amount must be greater than zero",
        ));
    }
    if integer_digits > MAX_EXACT_INTEGER_DIGITS {
        return Err(Rejection::at(
            ErrorCode::AmountOutOfRange,
            path,
            format!(
                "{token} is beyond every provider's range (and beyond what a JSON number holds \
                 exactly)"
            ),
        ));
    }
    let places = fraction.trim_end_matches('0').len();
    let read_as = match held_decimal {
        Some(d) => format!(" (a JSON number reads it as {})", d.normalize()),
        None => String::new(),
    };
    Err(Rejection::at(
        ErrorCode::InvalidAmountPrecision,
        path,
        format!(
            "{token} has {places} decimal places, more than any currency allows here{read_as}; \
             amounts are refused, never rounded"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Rejection {
        check(text.as_bytes()).expect_err(text)
    }

    #[test]
    fn numbers_are_checked_against_their_text() {
        for exact in [
            r#"{"amount": 500000}"#,
            r#"{"amount": 500000.00}"#,
            r#"{"amount": 150.10, "n": -3, "f": 0.1, "big": 18446744073709551615}"#,
            r#"{"amount": 10000000000000000000000}"#,
            r#"{"a": [1, 2.5, {"b": [true, null, "x\"y,]}"]}]}"#,
        ] {
            assert_eq!(check(exact.as_bytes()), Ok(()), "{exact}");
        }
        let r = refused(r#"{"a": [1, {"b": [0, 2.000000000000000001]}]}"#);
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidField, Some("a[1].b[1]"))
        );
        let r = refused(r#"{"x": {"amount": 1e2}}"#);
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidField, Some("x.amount"))
        );
        let r = refused(r#"{"amount": 1.0000000000000000000000000000001}"#);
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidAmountPrecision, Some("amount"))
        );
        assert!(r.message.contains("31 decimal places"), "{r}");
    }

    #[test]
    fn keys_are_compared_decoded() {
        let r = refused(r#"{"b": {"a": 1, "\u0061": 2}}"#);
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidField, Some("b.a"))
        );
        assert_eq!(
            check(br#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#),
            Ok(())
        );
    }

    #[test]
    fn number_decimal_is_the_value_serde_json_holds() {
        for (text, value) in [
            ("500000", "500000"),
            ("150.10", "150.1"),
            ("1e22", "10000000000000000000000"),
            ("-7", "-7"),
            ("0.000001", "0.000001"),
        ] {
            let n: Number = serde_json::from_str(text).unwrap();
            assert_eq!(
                number_decimal(&n),
                Some(Decimal::from_str_exact(value).unwrap()),
                "{text}"
            );
        }
        let huge: Number = serde_json::from_str("1e300").unwrap();
        assert_eq!(number_decimal(&huge), None);
    }

    #[test]
    fn unreadable_text_is_invalid_json_never_a_panic() {
        for text in [
            "",
            "{",
            r#"{"a"#,
            r#"{"a":"#,
            "{\"a\":1,",
            "[",
            "{\"a\\",
            "@",
        ] {
            assert_eq!(refused(text).code, ErrorCode::InvalidJson, "{text:?}");
        }
    }
}
