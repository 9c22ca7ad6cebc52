//! A payout batch file (`giro batch submit FILE`): CSV with a header row, or JSON lines, read into
//! `giro.cmd.payout.create` bodies, each with the line it came from, and checked by the same
//! domain rules intake applies before anything is sent.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use serde_json::{Map, Value};

/// One item of the file: its line and its `giro.cmd.payout.create` body, as written (JSON
/// lines) or as made from its cells (CSV).
pub struct Line {
    pub number: u64,
    pub raw: String,
}

/// Reads FILE: JSON lines when its extension is `.jsonl`, `.ndjson` or `.json`, or its first
/// non-blank byte is `{`; CSV with a header row otherwise. A line that cannot be read at all is
/// an error naming it.
pub fn read(path: &Path) -> anyhow::Result<Vec<Line>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "jsonl" | "ndjson" | "json"));
    if by_extension || text.trim_start().starts_with('{') {
        json_lines(&text)
    } else {
        csv_lines(&text)
    }
}

/// Each non-blank line kept as written: the domain parser reads its numbers and keys strictly,
/// and names the line of one that is not JSON.
fn json_lines(text: &str) -> anyhow::Result<Vec<Line>> {
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| Line {
            number: i as u64 + 1,
            raw: line.trim().to_string(),
        })
        .collect())
}

/// CSV: each column is a field of the payout, nested fields by dots (`beneficiary.first_name`,
/// `beneficiary.document.number`, `metadata.invoice`); an empty cell is an absent field.
fn csv_lines(text: &str) -> anyhow::Result<Vec<Line>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().context("line 1: no header row")?.clone();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| anyhow::anyhow!("{e}"))?;
        let number = record.position().map_or(0, |p| p.line());
        let mut body = Map::new();
        for (column, cell) in headers.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            insert(&mut body, column.trim(), Value::String(cell.to_string()));
        }
        lines.push(Line {
            number,
            raw: Value::Object(body).to_string(),
        });
    }
    Ok(lines)
}

/// Puts `value` at the dotted `path` of `object`, making the objects on the way.
fn insert(object: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            object.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = object
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                insert(inner, rest, value);
            }
        }
    }
}

/// Every line's problems as `line N: field: message`, by the payout rules intake applies (and an
/// idempotency key given twice in the file); empty when the file may be sent.
pub fn check(lines: &[Line]) -> Vec<String> {
    let mut problems = Vec::new();
    if lines.is_empty() {
        problems.push("the file holds no payouts".to_string());
    }
    let max = giro_domain::batch::MAX_ITEMS as usize;
    if lines.len() > max {
        problems.push(format!(
            "{} payouts; a batch holds at most {max}",
            lines.len()
        ));
    }
    let mut keys: HashMap<String, u64> = HashMap::new();
    for line in lines {
        match giro_domain::payout::parse_create(line.raw.as_bytes()) {
            Ok(draft) => {
                if let Some(first) = keys.insert(draft.idempotency_key.as_str().into(), line.number)
                {
                    problems.push(format!(
                        "line {}: idempotency_key: repeats line {first}'s; every line is a payout of its own",
                        line.number
                    ));
                }
            }
            Err(r) => problems.push(describe(line.number, r.field.as_deref(), &r.message)),
        }
    }
    problems
}

/// `line N: field: message` (without the field when there is none).
pub fn describe(line: u64, field: Option<&str>, message: &str) -> String {
    match field {
        Some(f) if !f.is_empty() => format!("line {line}: {f}: {message}"),
        _ => format!("line {line}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_nest_by_dots_and_empty_cells_are_absent() {
        let text = "idempotency_key,amount,beneficiary.document.type,beneficiary.document.number,external_id\n\
                    k-1,500000,CC,12345678,\n";
        let lines = csv_lines(text).unwrap();
        assert_eq!(lines[0].number, 2);
        let body: Value = serde_json::from_str(&lines[0].raw).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"idempotency_key": "k-1", "amount": "500000",
                               "beneficiary": {"document": {"type": "CC", "number": "12345678"}}})
        );
    }
}
