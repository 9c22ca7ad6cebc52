//! `giro routes check`: a rules file is checked against the configured providers (errors name
//! the rule, exit 1) and a payout is explained rule by rule to the provider it would go to.

use crate::support;

use serde_json::json;
use support::{giro, repo, run, show};

const EXAMPLE: &str = "ops/routing/routes.json";

/// A file of its own for one test, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{}-{name}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, text).expect("a temporary file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn payout(amount: &str) -> TempFile {
    let body = json!({
        "idempotency_key": format!("route-{amount}"), "amount": amount, "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "001", "account_number": "123456789", "account_type": "savings" }
    });
    TempFile::new("payout.json", &body.to_string())
}

#[test]
fn the_example_rules_fit_and_a_payout_is_explained_to_its_provider() {
    let out = run(giro().args(["routes", "check", EXAMPLE]));
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("4 routing rules fit the configured providers"),
        "{stdout}"
    );

    let large = payout("7000000");
    let out = run(giro()
        .args(["routes", "check", EXAMPLE, "--payout"])
        .arg(&large.0));
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("rule \"cop-large-to-killb\" (priority 10): matches")
            && stdout.contains("routed to killb by rule \"cop-large-to-killb\""),
        "{stdout}"
    );
    let small = payout("100000");
    let out = run(giro()
        .args(["routes", "check", EXAMPLE, "--payout"])
        .arg(&small.0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("does not match: amount 100000 is below 5000000")
            && stdout.contains("cashy-co (weight 3): eligible")
            && stdout.contains("by rule \"cop-bank-split\""),
        "{}",
        show(&out)
    );
    assert!(repo().join(EXAMPLE).exists());
}

#[test]
fn a_rule_that_does_not_fit_is_named_and_nothing_starts() {
    let bad = TempFile::new(
        "routes.json",
        r#"{"rules": [{"name": "to-nowhere", "providers": [{"provider": "pigeon-post"}]}]}"#,
    );
    let out = run(giro().args(["routes", "check"]).arg(&bad.0));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "routing rule \"to-nowhere\": pigeon-post is not a configured provider instance"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The engine refuses the same file at start-up.
    let out = run(giro().args(["intake"]).env("GIRO_ROUTES_FILE", &bad.0));
    assert_ne!(out.status.code(), Some(0), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("to-nowhere"), "{stderr}");
}
