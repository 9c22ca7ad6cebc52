//! `giro payout list`, `giro charge list` and `giro beneficiary list`: a page from the
//! projection's query API (`GET /v1/payouts`, `/v1/charges`, `/v1/beneficiaries`, CONTRACT.md §4),
//! as a table or as the API's JSON; the next page's command keeps the filters.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

use crate::cli::parse_duration;
use crate::show::{text, time};

/// What a list command pages through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    Payouts,
    Charges,
    Beneficiaries,
}

impl Listing {
    fn path(self) -> &'static str {
        match self {
            Listing::Payouts => "/v1/payouts",
            Listing::Charges => "/v1/charges",
            Listing::Beneficiaries => "/v1/beneficiaries",
        }
    }

    fn command(self) -> &'static str {
        match self {
            Listing::Payouts => "giro payout list",
            Listing::Charges => "giro charge list",
            Listing::Beneficiaries => "giro beneficiary list",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Listing::Payouts => "payouts",
            Listing::Charges => "charges",
            Listing::Beneficiaries => "beneficiaries",
        }
    }

    fn header(self) -> &'static [&'static str] {
        match self {
            Listing::Payouts => &[
                "ORDER ID",
                "PROVIDER",
                "STATUS",
                "AMOUNT",
                "EXTERNAL ID",
                "UPDATED",
            ],
            Listing::Charges => &[
                "ORDER ID",
                "PROVIDER",
                "STATUS",
                "AMOUNT",
                "METHOD",
                "EXTERNAL ID",
                "UPDATED",
            ],
            Listing::Beneficiaries => &[
                "BENEFICIARY ID",
                "TYPE",
                "STATUS",
                "EXTERNAL ID",
                "PROVIDER REF",
                "UPDATED",
            ],
        }
    }

    /// One item of a page as the cells of [`Listing::header`].
    fn row(self, item: &Value) -> Vec<String> {
        let amount = || format!("{} {}", text(&item["amount"]), text(&item["currency"]));
        match self {
            Listing::Payouts => vec![
                text(&item["order_id"]),
                text(&item["provider"]),
                text(&item["status"]),
                amount(),
                text(&item["external_id"]),
                time(&item["updated_at"]),
            ],
            Listing::Charges => vec![
                text(&item["order_id"]),
                text(&item["provider"]),
                text(&item["status"]),
                amount(),
                text(&item["method"]),
                text(&item["external_id"]),
                time(&item["updated_at"]),
            ],
            Listing::Beneficiaries => vec![
                text(&item["beneficiary_id"]),
                text(&item["account_type"]),
                text(&item["status"]),
                text(&item["external_id"]),
                text(&item["provider_ref"]),
                time(&item["updated_at"]),
            ],
        }
    }
}

/// Options of every list command.
#[derive(Args, Clone, Debug)]
pub struct ListArgs {
    /// Only those in this status (payouts: requested, held, submitting, submitted, processing,
    /// succeeded, failed, cancelled, reversed, refunded; charges: requested, submitting, pending,
    /// authorized, confirmed, paid, failed, cancelled, refunded, chargeback; beneficiaries:
    /// PENDING, ACTIVE, REJECTED, INACTIVE).
    #[arg(long)]
    pub status: Option<String>,
    /// Only those with this external id.
    #[arg(long)]
    pub external_id: Option<String>,
    /// Rows per page, 1 to 500 (the API's default is 50).
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

/// Options of `giro payout list` and `giro charge list`: orders are filtered by provider too.
#[derive(Args, Clone, Debug)]
pub struct OrderListArgs {
    /// Only orders of this provider instance.
    #[arg(long)]
    pub provider: Option<String>,
    #[command(flatten)]
    pub list: ListArgs,
}

/// One list command: what it lists, with which options.
pub struct List<'a> {
    pub listing: Listing,
    pub provider: Option<&'a str>,
    pub args: &'a ListArgs,
}

impl List<'_> {
    /// The query string's pairs, only for the filters given.
    fn query(&self) -> Vec<(&'static str, String)> {
        let args = self.args;
        let pairs = [
            ("status", args.status.clone()),
            ("provider", self.provider.map(str::to_string)),
            ("external_id", args.external_id.clone()),
            ("limit", args.limit.map(|n| n.to_string())),
            ("cursor", args.cursor.clone()),
        ];
        pairs
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .collect()
    }

    /// Runs the command: 0 when the API answered with a page, 1 otherwise (with the reason on
    /// standard error).
    pub async fn run(&self) -> ExitCode {
        let api = &self.args.api;
        let answer = crate::api::call(api, self.args.timeout, |http, base| {
            http.get(format!("{base}{}", self.listing.path()))
                .query(&self.query())
        })
        .await;
        match answer {
            Ok(body) if self.args.json => {
                crate::cli::out(&format!("{}\n", body.trim_end()));
                ExitCode::SUCCESS
            }
            Ok(body) => match serde_json::from_str::<Value>(&body) {
                Ok(page) => {
                    crate::cli::out(&self.table(&page));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("giro: the query API at {api} answered no JSON: {e}");
                    ExitCode::from(1)
                }
            },
            Err(message) => {
                eprintln!("giro: {message}");
                ExitCode::from(1)
            }
        }
    }

    /// The command that prints the page after this one: the same filters and limit, and
    /// `cursor`.
    fn next_page(&self, cursor: &str) -> String {
        let mut command = String::from(self.listing.command());
        for (name, value) in self.query() {
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

    /// The page as an aligned table, then the cursor of the next page and the command that
    /// shows it.
    pub fn table(&self, page: &Value) -> String {
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let rows: Vec<Vec<String>> = items.iter().map(|i| self.listing.row(i)).collect();
        let mut out = if rows.is_empty() {
            format!("no {} match\n", self.listing.noun())
        } else {
            let header: Vec<String> = self
                .listing
                .header()
                .iter()
                .map(|h| h.to_string())
                .collect();
            crate::show::columns(&header, &rows)
        };
        match page["next_cursor"].as_str().filter(|c| !c.is_empty()) {
            Some(cursor) => out.push_str(&format!(
                "next cursor: {cursor}  ({})\n",
                self.next_page(cursor)
            )),
            None => out.push_str("no more pages\n"),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args() -> ListArgs {
        ListArgs {
            status: None,
            external_id: None,
            limit: None,
            cursor: None,
            api: "http://127.0.0.1:8082".into(),
            json: false,
            timeout: Duration::from_secs(1),
        }
    }

    fn payouts(args: &ListArgs) -> List<'_> {
        List {
            listing: Listing::Payouts,
            provider: None,
            args,
        }
    }

    #[test]
    fn the_next_page_hint_keeps_the_filters() {
        let filtered = ListArgs {
            status: Some("failed".into()),
            external_id: Some("inv 7's".into()),
            limit: Some(5),
            cursor: Some("old".into()),
            ..args()
        };
        let list = List {
            provider: Some("cashy-co"),
            ..payouts(&filtered)
        };
        let t = list.table(&json!({"items": [], "next_cursor": "abc"}));
        assert!(
            t.contains(
                "(giro payout list --status failed --provider cashy-co --external-id 'inv 7'\\''s' --limit 5 --cursor abc)"
            ),
            "{t}"
        );
        let beneficiaries = List {
            listing: Listing::Beneficiaries,
            provider: None,
            args: &filtered,
        };
        let t = beneficiaries.table(&json!({"items": [], "next_cursor": "abc"}));
        assert!(
            t.contains("(giro beneficiary list --status failed --external-id 'inv 7'\\''s' --limit 5 --cursor abc)"),
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
        let args = args();
        let t = payouts(&args).table(&page);
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
    fn charges_and_beneficiaries_have_columns_of_their_own() {
        let args = args();
        let charges = List {
            listing: Listing::Charges,
            provider: None,
            args: &args,
        };
        let t = charges.table(&json!({"items": [
            {"order_id": "0193c6e5-0000-7000-8000-000000000003", "provider": "a55",
             "status": "paid", "amount": "150.00", "currency": "BRL", "method": "pix",
             "external_id": "order-42", "updated_at": "2025-01-31T12:00:00Z"}
        ]}));
        assert!(t.starts_with("ORDER ID"), "{t}");
        assert!(t.contains("METHOD"), "{t}");
        assert!(t.contains("150.00 BRL") && t.contains("pix"), "{t}");
        let beneficiaries = List {
            listing: Listing::Beneficiaries,
            provider: None,
            args: &args,
        };
        let t = beneficiaries.table(&json!({"items": [
            {"beneficiary_id": "9b2d6c41-0a7e-5f3b-8d19-6e4c2a1b0f93", "account_type": "PSE",
             "status": "ACTIVE", "external_id": "vendor-17", "provider_ref": "acc_123",
             "updated_at": "2025-01-31T12:00:00Z"}
        ]}));
        assert!(t.starts_with("BENEFICIARY ID"), "{t}");
        assert!(
            t.contains("PSE") && t.contains("ACTIVE") && t.contains("acc_123"),
            "{t}"
        );
        assert!(t.ends_with("no more pages\n"), "{t}");
    }

    #[test]
    fn an_empty_page_says_so() {
        let args = args();
        let t = payouts(&args).table(&json!({"items": [], "next_cursor": null}));
        assert_eq!(t, "no payouts match\nno more pages\n");
    }

    #[test]
    fn only_given_filters_are_sent() {
        let args = ListArgs {
            status: Some("failed".into()),
            limit: Some(5),
            ..args()
        };
        assert_eq!(
            payouts(&args).query(),
            vec![("status", "failed".to_string()), ("limit", "5".to_string())]
        );
    }
}
