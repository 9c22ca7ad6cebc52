//! `giro payout|charge|beneficiary show`: an order as `giro.query.order.get` rebuilt it from its
//! events, for a person — what it is, where it stands, and its history with one fact per event.
//! Personal data is printed as the reply gives it: masked by intake.

use serde_json::{Map, Value};

/// Longest fact printed for one event; longer ones end in `…`.
const FACT_WIDTH: usize = 100;

/// A JSON value as a cell: `-` for nothing.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::String(s) if s.is_empty() => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `2025-01-31T12:34:56.789012Z` as `2025-01-31 12:34:56Z` (UTC, to the second).
pub(crate) fn time(v: &Value) -> String {
    let t = text(v);
    match (t.get(..19), t.ends_with('Z')) {
        (Some(head), true) if t.as_bytes().get(10) == Some(&b'T') => {
            format!("{}Z", head.replacen('T', " ", 1))
        }
        _ => t,
    }
}

/// `rows` under `header`, each column as wide as its widest cell (the last one unpadded).
pub(crate) fn columns(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(&format!("{cell:<w$}  "));
            }
        }
        l.trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// The readable form of a successful `giro.query.order.get` reply (its fields without `ok`).
pub fn render(reply: &Map<String, Value>) -> String {
    let get = |k: &str| reply.get(k).cloned().unwrap_or(Value::Null);
    let history: Vec<Value> = get("history").as_array().cloned().unwrap_or_default();
    // A beneficiary's reply has no `order`: what it was registered with is its first event.
    let details = match get("order") {
        Value::Object(order) => order,
        _ => history
            .first()
            .and_then(|e| e["data"].as_object().cloned())
            .unwrap_or_default(),
    };
    // The latest word of the events on `key`, for what the order's view leaves out.
    let latest = |key: &str| {
        history
            .iter()
            .rev()
            .find_map(|e| e["data"].get(key).filter(|v| !v.is_null()))
    };
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut status = text(&get("status"));
    if let Some(since) = details.get("status_since").filter(|v| !v.is_null()) {
        status.push_str(&format!(" (since {})", time(since)));
    }
    rows.push(("status".into(), status));
    if let Some(amount) = details.get("amount").filter(|v| !v.is_null()) {
        rows.push((
            "amount".into(),
            format!("{} {}", text(amount), text(&details["currency"])),
        ));
    }
    if let Some(provider) = details.get("provider").filter(|v| !v.is_null()) {
        let mut p = text(provider);
        let attempt = details.get("attempt").or_else(|| latest("attempt"));
        if let Some(attempt) = attempt.and_then(Value::as_u64) {
            p.push_str(&format!(", attempt {attempt}"));
        }
        rows.push(("provider".into(), p));
    }
    let handled = [
        "status_since",
        "amount",
        "currency",
        "provider",
        "attempt",
        "fingerprint",
    ];
    // The references and what went wrong first, then the rest by name.
    let first = [
        "provider_ref",
        "fee",
        "failure",
        "outcome_unknown",
        "external_id",
        "idempotency_key",
    ];
    let keys = first
        .iter()
        .filter_map(|k| details.get_key_value(*k))
        .chain(details.iter().filter(|(k, _)| !first.contains(&k.as_str())));
    let mut nested: Vec<(&String, &Map<String, Value>)> = Vec::new();
    for (key, value) in keys {
        match value {
            _ if handled.contains(&key.as_str()) => {}
            Value::Null | Value::Bool(false) => {}
            Value::Object(inner) if !is_reason(inner) => nested.push((key, inner)),
            v => rows.push((label(key), cell(v))),
        }
    }
    // What only the events say: the provider's reference and a charge's payment page.
    if !details.contains_key("provider_ref")
        && let Some(reference) = latest("provider_ref").or_else(|| latest("charge_uuid"))
    {
        rows.push(("provider ref".into(), text(reference)));
    }
    if let Some(url) = latest("payment_url") {
        rows.push(("payment url".into(), text(url)));
    }
    rows.push(("created".into(), time(&get("created_at"))));
    rows.push((
        "updated".into(),
        format!(
            "{} (version {})",
            time(&get("updated_at")),
            text(&get("version"))
        ),
    ));
    for (key, inner) in nested {
        rows.push((label(key), String::new()));
        rows.extend(
            leaves(inner, "")
                .into_iter()
                .map(|(k, v)| (format!("  {k}"), v)),
        );
    }
    let mut out = format!("{} {}\n", text(&get("kind")), text(&get("order_id")));
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in rows {
        out.push_str(format!("  {key:<width$}  {value}").trim_end());
        out.push('\n');
    }
    out.push('\n');
    let header = ["TIME", "EVENT", "FACT"].map(str::to_string);
    let events: Vec<Vec<String>> = history
        .iter()
        .map(|e| vec![time(&e["at"]), text(&e["type"]), fact(&e["data"])])
        .collect();
    out.push_str(&columns(&header, &events));
    out
}

/// `external_id` as `external id`.
fn label(key: &str) -> String {
    key.replace('_', " ")
}

/// A `{"code", "message"}` object (a failure), printed on one line.
fn is_reason(m: &Map<String, Value>) -> bool {
    m.contains_key("code") && m.contains_key("message")
}

fn cell(v: &Value) -> String {
    match v {
        Value::Bool(true) => "yes".into(),
        Value::Object(m) if is_reason(m) => {
            format!("{}: {}", text(&m["code"]), text(&m["message"]))
        }
        other => text(other),
    }
}

/// Every non-null scalar inside `m`, keyed by its path (`document number`).
fn leaves(m: &Map<String, Value>, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, value) in m {
        let name = format!("{prefix}{}", label(key));
        match value {
            Value::Null => {}
            Value::Object(inner) => out.extend(leaves(inner, &format!("{name} "))),
            other => out.push((name, text(other))),
        }
    }
    out
}

/// The one fact of an event worth a glance: amounts, attempts, statuses, references, reasons.
fn fact(data: &Value) -> String {
    let get = |k: &str| data.get(k).filter(|v| !v.is_null());
    let mut parts: Vec<String> = Vec::new();
    match get("amount") {
        // A provider's report: `{"amount", "currency"?}`.
        Some(a @ Value::Object(_)) => parts.push(format!(
            "amount {}",
            [text(&a["amount"]), text(&a["currency"])]
                .into_iter()
                .filter(|s| s != "-")
                .collect::<Vec<_>>()
                .join(" ")
        )),
        Some(a) => parts.push(match get("currency") {
            Some(c) => format!("{} {}", text(a), text(c)),
            None => format!("amount {}", text(a)),
        }),
        None => {}
    }
    if let Some(provider) = get("provider") {
        let via = format!("via {}", text(provider));
        match parts.last_mut() {
            Some(amount) => amount.push_str(&format!(" {via}")),
            None => parts.push(via),
        }
    }
    let labelled = [
        ("account_type", ""),
        ("status", ""),
        ("refund", "refund"),
        ("attempt", "attempt"),
        ("resend", "resend"),
        ("raw_status", "provider status"),
        ("provider_ref", "ref"),
        ("charge_uuid", "ref"),
        ("fee", "fee"),
        ("remaining", "remaining"),
        ("execute_at", "due"),
    ];
    for (key, prefix) in labelled {
        if let Some(v) = get(key) {
            parts.push(format!("{prefix} {}", text(v)).trim_start().to_string());
        }
    }
    match (get("code"), get("message")) {
        (Some(c), Some(m)) => parts.push(format!("{}: {}", text(c), text(m))),
        (Some(one), None) | (None, Some(one)) => parts.push(text(one)),
        (None, None) => {}
    }
    if let Some(field) = get("field") {
        parts.push(format!(
            "{}: expected {}, reported {}",
            text(field),
            text(&data["expected"]),
            text(&data["reported"])
        ));
    }
    if let Some(reason) = get("reason") {
        parts.push(text(reason));
    }
    if let Some(ms) = get("wait_ms").and_then(Value::as_u64) {
        parts.push(format!("wait {:.1}s", ms as f64 / 1000.0));
    }
    if let Some(url) = get("payment_url") {
        parts.push(text(url));
    }
    if let Some(report) = get("report") {
        parts.push(format!("report: {}", fact(report)));
    }
    // A word already said (a provider's status repeated as its reason) is said once.
    let mut said: Vec<String> = Vec::new();
    for part in parts {
        if !said
            .iter()
            .any(|s| *s == part || s.ends_with(&format!(" {part}")))
        {
            said.push(part);
        }
    }
    let fact = said.join(", ");
    match fact.char_indices().nth(FACT_WIDTH) {
        Some((at, _)) => format!("{}…", &fact[..at]),
        None => fact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Map<String, Value> {
        let path = format!(
            "{}/../../proto/examples/replies/order.get/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        match serde_json::from_str(&text) {
            Ok(Value::Object(m)) => m,
            other => panic!("{path}: {other:?}"),
        }
    }

    /// The text with every run of spaces as one, lines kept.
    fn flat(text: &str) -> String {
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
            .collect()
    }

    #[test]
    fn a_payout_reads_as_its_state_then_its_history() {
        let text = render(&example("payout"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0], "payout 0193c6e5-7b7a-7c3e-9f1a-2b3c4d5e6f70",
            "{text}"
        );
        for expected in [
            "\nstatus succeeded (since 2026-01-15 10:00:09Z)\n",
            "\namount 500000 COP\n",
            "\nprovider cashy-co, attempt 1\n",
            "\nprovider ref CSH-88213\n",
            "\nfee 2500\n",
            "\nexternal id payout-2024-001\n",
            "\ncreated 2026-01-15 10:00:00Z\n",
            "\nupdated 2026-01-15 10:00:09Z (version 4)\n",
            "\nbeneficiary\naccount number ****6789\n",
            "\ndocument number ****5678\n",
        ] {
            assert!(
                flat(&text).contains(expected),
                "{expected:?} missing:\n{text}"
            );
        }
        // Columns line up: every value starts where the status's does.
        let at = lines[1].find("succeeded").unwrap();
        assert_eq!(lines[2].find("500000"), Some(at), "{text}");
        assert!(!text.contains("123456789"), "unmasked data:\n{text}");
        let history = text.split("\n\n").nth(1).expect("a history");
        let rows: Vec<&str> = history.lines().collect();
        assert!(rows[0].starts_with("TIME"), "{history}");
        assert_eq!(rows.len(), 5, "{history}");
        assert!(
            rows[1].contains("payout.requested") && rows[1].contains("500000 COP via cashy-co")
        );
        assert!(rows[3].contains("attempt 1, provider status PROCESSING, ref CSH-88213"));
        assert!(rows[4].starts_with("2026-01-15 10:00:09Z  payout.succeeded"));
    }

    #[test]
    fn a_beneficiary_reads_as_what_it_was_registered_with() {
        let text = render(&example("beneficiary"));
        assert!(text.starts_with("beneficiary 9b2d6c41-"), "{text}");
        for expected in [
            "\nstatus ACTIVE\n",
            "\naccount type PSE\n",
            "\nprovider ref acc_123\n",
            "\ndata\nfirst name M***\n",
            " beneficiary.status_changed ACTIVE, ref acc_123\n",
        ] {
            assert!(
                flat(&text).contains(expected),
                "{expected:?} missing:\n{text}"
            );
        }
    }

    #[test]
    fn facts_are_short_and_say_what_happened() {
        let fact = |v: Value| fact(&v);
        assert_eq!(
            fact(serde_json::json!({"code": "invalid_account", "message": "no such account"})),
            "invalid_account: no such account"
        );
        assert_eq!(
            fact(
                serde_json::json!({"attempt": 1, "code": "System_Maintenance",
                                    "message": "down", "wait_ms": 60000})
            ),
            "attempt 1, System_Maintenance: down, wait 60.0s"
        );
        assert_eq!(
            fact(serde_json::json!({"source": "report", "field": "amount",
                                    "expected": "500000", "reported": "499000"})),
            "amount: expected 500000, reported 499000"
        );
        assert_eq!(
            fact(
                serde_json::json!({"raw_status": "SUCCESS", "amount": {"amount": "500000.00"},
                                    "reason": "SUCCESS"})
            ),
            "amount 500000.00, provider status SUCCESS"
        );
        let long = fact(serde_json::json!({"reason": "x".repeat(300)}));
        assert_eq!(long.chars().count(), FACT_WIDTH + 1);
        assert!(long.ends_with('…'));
    }
}
