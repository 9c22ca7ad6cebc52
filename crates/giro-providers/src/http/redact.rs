//! Masking of free text a provider sent back (an unreadable answer, an echoed request) before it
//! goes into an error, a log line or an event: a provider may echo account and document numbers,
//! e-mail addresses and tokens.
//!
//! - after `Bearer` and after a key that names a credential (`access_token`, `refreshToken`,
//!   `password`, `client_secret`, `apiKey`, `Authorization`, `sign`, …), the value is `***`;
//! - an e-mail address keeps the first letter and the domain: `m***@example.com`;
//! - a run of 5 or more digits keeps its last four: `****4321`.

/// `text` with credentials, e-mail addresses and long digit runs masked.
pub(crate) fn mask_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let chars = mask_credentials(&chars);
    let chars = mask_emails(&chars);
    mask_digits(&chars).into_iter().collect()
}

/// Whether a key (`access_token`, `"refreshToken"`, `X-Api-Key`) names a credential.
fn is_credential_key(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const PARTS: [&str; 7] = [
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "authorization",
        "credential",
    ];
    PARTS.iter().any(|p| key.contains(p)) || matches!(key.as_str(), "sign" | "signature" | "pwd")
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-')
}

/// Where a value starting at `start` ends: at its closing quote (escapes skipped) when quoted,
/// else at whitespace or a separator. Returns (value start, value end, end of the whole value).
fn value_span(chars: &[char], start: usize) -> (usize, usize, usize) {
    match chars.get(start) {
        Some(&q @ ('"' | '\'')) => {
            let mut i = start + 1;
            while i < chars.len() && chars[i] != q {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            let end = i.min(chars.len());
            (start + 1, end, (end + 1).min(chars.len()))
        }
        _ => {
            let mut i = start;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], ',' | '&' | ';' | '}' | ']' | ')' | '"' | '\'')
            {
                i += 1;
            }
            (start, i, i)
        }
    }
}

/// After an unquoted `Bearer ` or `Basic ` at `start`, where its value begins.
fn scheme_end(chars: &[char], start: usize) -> Option<usize> {
    let mut end = start;
    while end < chars.len() && chars[end].is_ascii_alphabetic() {
        end += 1;
    }
    let word: String = chars[start..end].iter().collect();
    let scheme = word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic");
    let mut value = end;
    while chars.get(value).is_some_and(|c| *c == ' ') {
        value += 1;
    }
    (scheme && value > end && value < chars.len()).then_some(value)
}

/// Replaces the values of `Bearer <value>` and `<credential key>: <value>` (also `=` and JSON
/// with quotes) by `***`.
fn mask_credentials(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_key_char(chars[i]) || (i > 0 && is_key_char(chars[i - 1])) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut end = i;
        while end < chars.len() && is_key_char(chars[end]) {
            end += 1;
        }
        let word: String = chars[i..end].iter().collect();
        out.extend_from_slice(&chars[i..end]);
        i = end;
        let bearer = word.eq_ignore_ascii_case("bearer");
        if !bearer && !is_credential_key(&word) {
            continue;
        }
        // The separator: `Bearer <value>`, `key: value`, `key=value`, `"key":"value"`.
        let mut j = i;
        if !bearer && matches!(chars.get(j), Some('"' | '\'')) {
            j += 1;
        }
        while chars.get(j).is_some_and(|c| *c == ' ' || *c == '\t') {
            j += 1;
        }
        if !bearer {
            if !matches!(chars.get(j), Some(':' | '=')) {
                continue;
            }
            j += 1;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
        } else if j == i {
            continue;
        }
        // `Authorization: Bearer x` and `"Authorization": "Bearer x"`: the scheme goes with it.
        let (from, to, after) = match scheme_end(chars, j) {
            Some(k) => {
                let (_, to, after) = value_span(chars, k);
                (j, to, after)
            }
            None => value_span(chars, j),
        };
        if to == from {
            continue;
        }
        out.extend_from_slice(&chars[i..from]);
        out.extend(['*', '*', '*']);
        out.extend_from_slice(&chars[to..after]);
        i = after;
    }
    out
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// `maria.g@example.com` → `m***@example.com`.
fn mask_emails(chars: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == '@' && chars.get(i + 1).is_some_and(|d| is_domain_char(*d)) {
            let mut start = out.len();
            while start > 0 && is_local_char(out[start - 1]) {
                start -= 1;
            }
            if start < out.len() {
                let first = out[start];
                out.truncate(start);
                out.push(first);
                out.extend(['*', '*', '*']);
            }
        }
        out.push(c);
    }
    out
}

/// A run of 5 or more digits keeps its last four: `40087654321` → `****4321`.
fn mask_digits(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i - start >= 5 {
            out.extend(['*', '*', '*', '*']);
            out.extend_from_slice(&chars[i - 4..i]);
        } else {
            out.extend_from_slice(&chars[start..i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_requests_lose_their_personal_data_and_credentials() {
        let echoed = r#"{"accountNumber":"40087654321","document":{"number":"8001234567"},"email":"wilhelmina.q@example.org","phone":"+573157654321","accessToken":"kb_at_0123456789abcdef","refresh_token": "kb_rt_x", "password":"pw-123"}"#;
        let masked = mask_text(echoed);
        for raw in [
            "40087654321",
            "8001234567",
            "wilhelmina.q@",
            "3157654321",
            "kb_at_0123456789abcdef",
            "kb_rt_x",
            "pw-123",
        ] {
            assert!(!masked.contains(raw), "{raw} in {masked}");
        }
        assert!(masked.contains(r#""accountNumber":"****4321""#), "{masked}");
        assert!(masked.contains(r#""email":"w***@example.org""#), "{masked}");
        assert!(masked.contains(r#""accessToken":"***""#), "{masked}");
        assert!(masked.contains(r#""refresh_token": "***""#), "{masked}");
        assert!(masked.contains(r#""password":"***""#), "{masked}");
    }

    #[test]
    fn bearer_headers_and_form_fields_are_masked() {
        assert_eq!(
            mask_text("Authorization: Bearer a55_abc.def-1 rejected"),
            "Authorization: *** rejected"
        );
        assert_eq!(
            mask_text("sent bearer a55_abcdef, refused"),
            "sent bearer ***, refused"
        );
        assert_eq!(
            mask_text("grant_type=client_credentials&client_secret=s3cr3t&scope=api"),
            "grant_type=client_credentials&client_secret=***&scope=api"
        );
        assert_eq!(
            mask_text(r#"{"Sign": "11E2D255F82B1E04187021BF8406C773"}"#),
            r#"{"Sign": "***"}"#
        );
        assert_eq!(mask_text(r#"x-api-key='k\'ey' ok"#), "x-api-key='***' ok");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "Service Unavailable",
            r#"{"status":"error","message":[{"code":"payment_declined"}]}"#,
            "tokens are fine; token missing",
            "HTTP 502 at 12:30",
            "bankCode 007 is not listed",
            "<html>@media { }</html>",
        ] {
            assert_eq!(mask_text(text), text);
        }
        assert_eq!(mask_text("ref 12345"), "ref ****2345");
        assert_eq!(mask_text("ñandú 1234567 ü"), "ñandú ****4567 ü");
    }
}
