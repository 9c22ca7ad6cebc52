//! `giro payout list`: a page of payouts from the projection's query API (`GET /v1/payouts`,
//! CONTRACT.md §4), as a table or as the API's JSON.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

use crate::cli::parse_duration;

/// Options of `giro payout list`.
#[derive(Args, Clone, Debug)]
pub struct ListArgs {
    /// Only payouts in this status (requested, held, submitting, submitted, processing,
    /// succeeded, failed, cancelled, reversed, refunded).
    #[arg(long)]
    pub status: Option<String>,
    /// Only payouts of this provider instance.
    #[arg(long)]
    pub provider: Option<String>,
    /// Only payouts with this external id.
    #[arg(long)]
    pub external_id: Option<String>,
    /// Payouts per page, 1 to 500 (the API's default is 50).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Continue after an earlier page: the `next cursor` it printed.
    #[arg(long)]
    pub cursor: Option<String>,
    /// Base URL of the query API (`giro up` and `giro projection` serve it on
    /// GIRO_PROJECTION_LISTEN).
    #[arg(long, env = "GIRO_API_URL", default_value = "http://127.0.0.1:8082")]
    pub api: String,
    /// Print the API's JSON as it came instead of a table.
    #[arg(long)]
    pub json: bool,
    /// How long to wait for the API.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl ListArgs {
    /// The query string's pairs, only for the filters given.
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![];
        let pairs = [
            ("status", self.status.clone()),
            ("provider", self.provider.clone()),
            ("external_id", self.external_id.clone()),
            ("limit", self.limit.map(|n| n.to_string())),
            ("cursor", self.cursor.clone()),
        ];
        for (name, value) in pairs {
            if let Some(v) = value {
                q.push((name, v));
            }
        }
        q
    }
}

/// Runs `giro payout list`: 0 when the API answered with a page, 1 otherwise (with the reason on
/// standard error).
pub async fn run(args: &ListArgs) -> ExitCode {
    match fetch(args).await {
        Ok(body) if args.json => {
            crate::cli::out(&format!("{}\n", body.trim_end()));
            ExitCode::SUCCESS
        }
        Ok(body) => match serde_json::from_str::<Value>(&body) {
            Ok(page) => {
                crate::cli::out(&table(&page, args));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("giro: the query API at {} answered no JSON: {e}", args.api);
                ExitCode::from(1)
            }
        },
        Err(message) => {
            eprintln!("giro: {message}");
            ExitCode::from(1)
        }
    }
}

/// The page's body, or why there is none.
async fn fetch(args: &ListArgs) -> Result<String, String> {
    call(&args.api, args.timeout, |http, base| {
        http.get(format!("{base}/v1/payouts")).query(&args.query())
    })
    .await
}

/// Sends the request `build` makes (from a client and the API's base URL without a trailing
/// slash) to the query API at `api`: the answer's body when it succeeded, else why not, with the
/// API's error code and message.
pub(crate) async fn call(
    api: &str,
    timeout: Duration,
    build: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> Result<String, String> {
    // reqwest is built with `rustls-no-provider`: the process picks the crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let response = build(&http, api.trim_end_matches('/'))
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot reach the query API at {api}: {} (is `giro up` or `giro projection` \
                 running? set --api or GIRO_API_URL)",
                error_chain(&e)
            )
        })?;
    let status = response.status();
    let url = response.url().to_string();
    let body = response
        .text()
        .await
        .map_err(|e| format!("reading the answer of {url}: {}", error_chain(&e)))?;
    if status.is_success() {
        return Ok(body);
    }
    let reason = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            let e = &v["error"];
            Some(format!(
                "{}: {}",
                e["code"].as_str()?,
                e["message"].as_str().unwrap_or_default()
            ))
        })
        .unwrap_or_else(|| body.chars().take(300).collect());
    Err(format!("the query API answered {status}: {reason}"))
}

/// An error and its sources, one line ("connection refused" is in a source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::String(s) if s.is_empty() => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `2025-01-31T12:34:56.789012Z` as `2025-01-31 12:34:56Z` (UTC, to the second).
fn time(v: &Value) -> String {
    let t = text(v);
    match (t.get(..19), t.ends_with('Z')) {
        (Some(head), true) if t.as_bytes().get(10) == Some(&b'T') => {
            format!("{}Z", head.replacen('T', " ", 1))
        }
        _ => t,
    }
}

/// The command that prints the page after this one: the same filters and limit, and `cursor`.
fn next_page(args: &ListArgs, cursor: &str) -> String {
    let mut command = String::from("giro payout list");
    for (name, value) in args.query() {
        if name == "cursor" {
            continue;
        }
        let quoted = if value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c))
        {
            value
        } else {
            format!("'{}'", value.replace('\'', "'\\''"))
        };
        command.push_str(&format!(" --{} {quoted}", name.replace('_', "-")));
    }
    command.push_str(&format!(" --cursor {cursor}"));
    command
}

/// The page as an aligned table, then the cursor of the next page and the command that shows it.
pub fn table(page: &Value, args: &ListArgs) -> String {
    let header = [
        "ORDER ID",
        "PROVIDER",
        "STATUS",
        "AMOUNT",
        "EXTERNAL ID",
        "UPDATED",
    ];
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let rows: Vec<[String; 6]> = items
        .iter()
        .map(|p| {
            [
                text(&p["order_id"]),
                text(&p["provider"]),
                text(&p["status"]),
                format!("{} {}", text(&p["amount"]), text(&p["currency"])),
                text(&p["external_id"]),
                time(&p["updated_at"]),
            ]
        })
        .collect();
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("no payouts match\n");
    } else {
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i + 1 == cells.len() {
                    l.push_str(cell);
                } else {
                    l.push_str(&format!("{cell:<w$}  "));
                }
            }
            l.trim_end().to_string() + "\n"
        };
        out.push_str(&line(&header.map(str::to_string)));
        for row in &rows {
            out.push_str(&line(row));
        }
    }
    match page["next_cursor"].as_str().filter(|c| !c.is_empty()) {
        Some(cursor) => out.push_str(&format!(
            "next cursor: {cursor}  ({})\n",
            next_page(args, cursor)
        )),
        None => out.push_str("no more pages\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args() -> ListArgs {
        ListArgs {
            status: None,
            provider: None,
            external_id: None,
            limit: None,
            cursor: None,
            api: "http://127.0.0.1:8082".into(),
            json: false,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn the_next_page_hint_keeps_the_filters() {
        let filtered = ListArgs {
            status: Some("failed".into()),
            provider: Some("cashy-co".into()),
            external_id: Some("inv 7's".into()),
            limit: Some(5),
            cursor: Some("old".into()),
            ..args()
        };
        let t = table(&json!({"items": [], "next_cursor": "abc"}), &filtered);
        assert!(
            t.contains(
                "(giro payout list --status failed --provider cashy-co --external-id 'inv 7'\\''s' --limit 5 --cursor abc)"
            ),
            "{t}"
        );
    }

    #[test]
    fn a_page_prints_as_a_table_with_its_cursor() {
        let page = json!({
            "items": [
                {"order_id": "0193c6e5-0000-7000-8000-000000000001", "provider": "cashy-co",
                 "status": "succeeded", "amount": "500000", "currency": "COP",
                 "external_id": "payout-2024-001", "updated_at": "2025-01-31T12:34:56.789012Z"},
                {"order_id": "0193c6e5-0000-7000-8000-000000000002", "provider": "killb",
                 "status": "failed", "amount": 1200.5, "currency": "COP",
                 "external_id": null, "updated_at": "2025-01-31T12:00:00Z"}
            ],
            "next_cursor": "abc"
        });
        let t = table(&page, &args());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        assert!(lines[0].starts_with("ORDER ID"), "{t}");
        assert!(
            lines[1].contains("cashy-co") && lines[1].contains("500000 COP"),
            "{t}"
        );
        assert!(lines[1].ends_with("2025-01-31 12:34:56Z"), "{t}");
        assert!(
            lines[2].contains("1200.5 COP") && lines[2].contains(" - "),
            "{t}"
        );
        // Columns line up.
        let at = lines[0].find("STATUS").unwrap();
        assert_eq!(&lines[1][at..at + 9], "succeeded");
        assert!(lines[3].starts_with("next cursor: abc"), "{t}");
    }

    #[test]
    fn an_empty_page_says_so() {
        let t = table(&json!({"items": [], "next_cursor": null}), &args());
        assert_eq!(t, "no payouts match\nno more pages\n");
    }

    #[test]
    fn only_given_filters_are_sent() {
        let args = ListArgs {
            status: Some("failed".into()),
            provider: None,
            external_id: None,
            limit: Some(5),
            cursor: None,
            api: "http://127.0.0.1:8082".into(),
            json: false,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            args.query(),
            vec![("status", "failed".to_string()), ("limit", "5".to_string())]
        );
    }
}
