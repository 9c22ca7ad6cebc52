//! Reading a provider's statement: CSV with the header
//! `date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref`,
//! exactly, every problem named by its line and field, every amount exact.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// The header a statement starts with.
pub const STATEMENT_HEADER: [&str; 10] = [
    "date",
    "provider",
    "reference",
    "provider_ref",
    "status",
    "amount",
    "currency",
    "fee",
    "completed_at",
    "channel_ref",
];

/// One statement line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// 1 for the first line after the header.
    pub line: usize,
    pub date: NaiveDate,
    pub provider: String,
    pub reference: String,
    pub provider_ref: String,
    pub status: String,
    pub amount: Decimal,
    pub currency: String,
    pub fee: Option<Decimal>,
}

/// Why a statement cannot be read: the line (0 for the header) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement line {line}, field {field}: {message}")]
pub struct StatementError {
    pub line: usize,
    pub field: String,
    pub message: String,
}

fn error(line: usize, field: &str, message: impl Into<String>) -> StatementError {
    StatementError {
        line,
        field: field.to_string(),
        message: message.into(),
    }
}

/// An exact, non-negative decimal as the statement writes it (digits with an optional fraction).
fn decimal(line: usize, field: &str, text: &str) -> Result<Decimal, StatementError> {
    let plain = !text.is_empty()
        && text.split_once('.').map_or_else(
            || text.bytes().all(|b| b.is_ascii_digit()),
            |(i, f)| {
                !i.is_empty()
                    && !f.is_empty()
                    && i.bytes().all(|b| b.is_ascii_digit())
                    && f.bytes().all(|b| b.is_ascii_digit())
            },
        );
    if !plain {
        return Err(error(
            line,
            field,
            format!("{text:?} is not a decimal like 1500.25"),
        ));
    }
    Decimal::from_str_exact(text).map_err(|_| error(line, field, format!("{text:?} is too large")))
}

/// Reads a statement; every problem names its line and field.
pub fn parse_statement(text: &str) -> Result<Vec<StatementLine>, StatementError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| error(0, "header", e.to_string()))?
        .clone();
    let names: Vec<&str> = header.iter().collect();
    if names != STATEMENT_HEADER {
        return Err(error(
            0,
            "header",
            format!(
                "expected {}, got {}",
                STATEMENT_HEADER.join(","),
                names.join(",")
            ),
        ));
    }
    let mut lines = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let record = record.map_err(|e| error(line, "line", e.to_string()))?;
        let field = |n: usize| record.get(n).unwrap_or("").trim();
        let text = |n: usize| -> Result<String, StatementError> {
            let v = field(n);
            if v.chars().any(char::is_control) {
                return Err(error(
                    line,
                    STATEMENT_HEADER[n],
                    "holds a control character",
                ));
            }
            Ok(v.to_string())
        };
        let required = |n: usize| -> Result<String, StatementError> {
            let v = text(n)?;
            if v.is_empty() {
                return Err(error(line, STATEMENT_HEADER[n], "is empty"));
            }
            Ok(v)
        };
        let date = NaiveDate::from_str(field(0)).map_err(|_| {
            error(
                line,
                "date",
                format!("{:?} is not a day like 2026-12-06", field(0)),
            )
        })?;
        let fee = match field(7) {
            "" => None,
            v => Some(decimal(line, "fee", v)?),
        };
        lines.push(StatementLine {
            line,
            date,
            provider: required(1)?,
            reference: required(2)?,
            provider_ref: text(3)?,
            status: required(4)?.to_ascii_uppercase(),
            amount: decimal(line, "amount", field(5))?,
            currency: required(6)?.to_ascii_uppercase(),
            fee,
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref";

    #[test]
    fn a_statement_is_read_exactly_and_its_errors_name_line_and_field() {
        let text = format!(
            "{HEADER}\n2026-12-06,cashy-co,H1,CSH-1,success,247500.00,cop,2475.5,\"2026-12-06 08:42:54\",CH-1\n"
        );
        let lines = parse_statement(&text).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].status, "SUCCESS");
        assert_eq!(lines[0].amount, Decimal::new(24_750_000, 2));
        assert_eq!(lines[0].fee, Some(Decimal::new(24_755, 1)));
        assert_eq!(lines[0].currency, "COP");

        let bad = |row: &str| parse_statement(&format!("{HEADER}\n{row}\n")).unwrap_err();
        let e = bad("2026-12-06,cashy-co,H1,CSH-1,SUCCESS,2.5e5,COP,,,");
        assert_eq!((e.line, e.field.as_str()), (1, "amount"));
        let e = bad("2026-12-06,cashy-co,H1,CSH-1,SUCCESS,-1,COP,,,");
        assert_eq!(e.field, "amount");
        let e = bad("06/12/2026,cashy-co,H1,CSH-1,SUCCESS,1,COP,,,");
        assert_eq!(e.field, "date");
        let e = bad("2026-12-06,cashy-co,,CSH-1,SUCCESS,1,COP,,,");
        assert_eq!(e.field, "reference");
        let e = bad("2026-12-06,cashy-co,H1,CSH-1,SUCCESS,1,COP,x,,");
        assert_eq!(e.field, "fee");
        let e = bad("2026-12-06,cashy-co,H1");
        assert_eq!((e.line, e.field.as_str()), (1, "line"));
        let e = parse_statement("a,b\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (0, "header"));
    }
}
