//! Webhook subscriptions, read from the file `GIRO_WEBHOOKS_FILE` names (README.md, "Notifications
//! out"): each an id, a URL, where its secret is (`secret_env` or `secret_file`, never the file
//! itself) and which status changes it wants. Checked at start-up: an error names the
//! subscription and the field.
//!
//! ```json
//! {"subscriptions": [
//!   {"id": "ledger", "url": "https://ledger.internal/giro", "secret_env": "LEDGER_WEBHOOK_SECRET",
//!    "events": ["payout.succeeded", "payout.failed", "charge.*"]}
//! ]}
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use giro_domain::Secret;
use giro_domain::charge::ChargeStatus;
use giro_domain::notification::{Notification, NotifiedKind};
use giro_domain::payout::PayoutStatus;
use serde::Deserialize;

use crate::error::Error;

/// One subscription as the file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: Option<String>,
    url: Option<String>,
    secret_env: Option<String>,
    secret_file: Option<PathBuf>,
    events: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    subscriptions: Vec<Entry>,
}

/// One checked subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// 1–64 characters of `a-z 0-9 _ -`: a subject token and a consumer-safe name.
    pub id: String,
    pub url: url::Url,
    /// The HMAC-SHA256 key of its signatures; masked in Debug and Display.
    pub secret: Secret<String>,
    /// `<kind>.<status>` patterns (`*` for any); empty is every status change.
    pub events: Vec<String>,
}

impl Subscription {
    /// Whether it wants `notification`.
    pub fn wants(&self, notification: &Notification) -> bool {
        self.events.is_empty()
            || self.events.iter().any(|pattern| {
                let (kind, status) = pattern.split_once('.').unwrap_or((pattern, "*"));
                (kind == "*" || kind == notification.kind.as_str())
                    && (status == "*" || status == notification.status)
            })
    }
}

/// Every subscription, in the file's order.
#[derive(Debug, Clone, Default)]
pub struct Subscriptions(pub Arc<Vec<Subscription>>);

impl Subscriptions {
    /// Reads and checks the subscriptions file at `path`.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "reading webhook subscriptions {}: {e}",
                path.display()
            ))
        })?;
        Self::parse(&text, path.parent().unwrap_or(Path::new(".")))
    }

    /// Checks the subscriptions of `text` (JSON); a relative `secret_file` is read from `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Self, Error> {
        let file: File = serde_json::from_str(text)
            .map_err(|e| Error::Config(format!("webhook subscriptions file: {e}")))?;
        let mut checked: Vec<Subscription> = Vec::new();
        for (at, entry) in file.subscriptions.into_iter().enumerate() {
            let subscription = check(entry, at + 1, dir)?;
            if checked.iter().any(|s| s.id == subscription.id) {
                return Err(Error::Subscription {
                    id: subscription.id,
                    reason: "id: given twice".into(),
                });
            }
            checked.push(subscription);
        }
        Ok(Subscriptions(Arc::new(checked)))
    }

    /// The subscription with id `id`.
    pub fn get(&self, id: &str) -> Option<&Subscription> {
        self.0.iter().find(|s| s.id == id)
    }

    /// The subscriptions that want `notification`.
    pub fn wanting<'a>(
        &'a self,
        notification: &'a Notification,
    ) -> impl Iterator<Item = &'a Subscription> {
        self.0.iter().filter(|s| s.wants(notification))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check(entry: Entry, position: usize, dir: &Path) -> Result<Subscription, Error> {
    let id = entry.id.unwrap_or_default();
    let fail = |reason: String| Error::Subscription {
        id: if id.is_empty() {
            format!("#{position}")
        } else {
            id.clone()
        },
        reason,
    };
    let id_ok = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !id_ok {
        return Err(fail(format!(
            "id: must be 1 to 64 characters of a-z, 0-9, _ and -, got {id:?}"
        )));
    }
    let url = entry.url.ok_or_else(|| fail("url: missing".into()))?;
    let url = url::Url::parse(&url).map_err(|e| fail(format!("url: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(fail("url: must be an absolute http or https URL".into()));
    }
    let secret = match (entry.secret_env, entry.secret_file) {
        (Some(name), None) => std::env::var(&name)
            .map_err(|_| fail(format!("secret_env: the variable {name} is not set")))?,
        (None, Some(file)) => {
            let path = dir.join(&file);
            std::fs::read_to_string(&path)
                .map_err(|e| fail(format!("secret_file: {}: {e}", path.display())))?
                .trim_end_matches(['\n', '\r'])
                .to_string()
        }
        _ => {
            return Err(fail(
                "give exactly one of secret_env and secret_file (secrets never stand in the file)"
                    .into(),
            ));
        }
    };
    if secret.len() < 16 {
        return Err(fail("the secret must be at least 16 bytes".into()));
    }
    let events = entry.events.unwrap_or_default();
    for pattern in &events {
        check_pattern(pattern).map_err(|reason| fail(format!("events: {pattern:?}: {reason}")))?;
    }
    Ok(Subscription {
        id,
        url,
        secret: Secret::new(secret),
        events,
    })
}

/// A pattern is `<kind>.<status>`, either of them `*`.
fn check_pattern(pattern: &str) -> Result<(), String> {
    let Some((kind, status)) = pattern.split_once('.') else {
        return Err("expected <kind>.<status>, e.g. payout.succeeded or charge.*".into());
    };
    let kinds: Vec<&str> = NotifiedKind::ALL.iter().map(|k| k.as_str()).collect();
    let statuses: Vec<&str> = match kind {
        "payout" => PayoutStatus::ALL.iter().map(|s| s.as_str()).collect(),
        "charge" => ChargeStatus::ALL.iter().map(|s| s.as_str()).collect(),
        "*" => {
            return (status == "*")
                .then_some(())
                .ok_or("after *, only *".into());
        }
        _ => return Err(format!("kind is one of {} or *", kinds.join(", "))),
    };
    if status == "*" || statuses.contains(&status) {
        Ok(())
    } else {
        Err(format!(
            "a {kind} status is one of {} or *",
            statuses.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Subscriptions, Error> {
        Subscriptions::parse(text, Path::new("/nonexistent"))
    }

    #[test]
    fn errors_name_the_subscription_and_the_field() {
        let cases = [
            (r#"{"subscriptions":[{"url":"http://a.b"}]}"#, "#1", "id"),
            (
                r#"{"subscriptions":[{"id":"Bad Id","url":"http://a.b"}]}"#,
                "Bad Id",
                "id",
            ),
            (
                r#"{"subscriptions":[{"id":"a","url":"ftp://a.b"}]}"#,
                "a",
                "url",
            ),
            (
                r#"{"subscriptions":[{"id":"a","url":"http://a.b"}]}"#,
                "a",
                "secret_env and secret_file",
            ),
            (
                r#"{"subscriptions":[{"id":"a","url":"http://a.b","secret_env":"GIRO_NOTIFY_TEST_UNSET"}]}"#,
                "a",
                "GIRO_NOTIFY_TEST_UNSET",
            ),
            (
                r#"{"subscriptions":[{"id":"a","url":"http://a.b","secret_file":"missing"}]}"#,
                "a",
                "secret_file",
            ),
        ];
        for (text, id, field) in cases {
            let e = parse(text).expect_err(text).to_string();
            assert!(e.contains(&format!("subscription {id}:")), "{text}: {e}");
            assert!(e.contains(field), "{text}: {e}");
        }
        let e = parse(r#"{"subscriptions":[{"id":"a","url":"http://a.b","secret":"x"}]}"#)
            .expect_err("a secret in the file");
        assert!(e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn patterns_name_known_kinds_and_statuses() {
        assert!(check_pattern("payout.succeeded").is_ok());
        assert!(check_pattern("charge.*").is_ok());
        assert!(check_pattern("*.*").is_ok());
        assert!(check_pattern("charge.paid").is_ok());
        assert!(
            check_pattern("payout.paid")
                .unwrap_err()
                .contains("succeeded")
        );
        assert!(check_pattern("order.*").unwrap_err().contains("payout"));
        assert!(check_pattern("payout").is_err());
    }
}
