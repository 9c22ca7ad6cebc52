//! Cashy's start-up set-up ([`ProviderSetup`]), run when the engine starts and again at every
//! `GIRO_PROVIDER_SETUP_EVERY`, for one merchant:
//!
//! 1. `notifyUrl` must be an http(s) URL on a host name, not an IP address (seed 001: "If the
//!    address is an ip address, be sure to use a public domain name"): otherwise Cashy would
//!    refuse every payout, so start-up stops, naming `GIRO_INGRESS_PUBLIC_URL`.
//! 2. `getBalance` proves the merchant id and key: a refusal in Cashy's envelope
//!    (`MerchantId_is_error`, `Sign_verify_error`, `Request_ip_notWhiteList`, …) or an HTTP 404
//!    (a wrong base URL) stops start-up naming the variables to fix.
//! 3. `bankListQuery` is read again and replaces the list the client holds (Colombia's `bankId`s,
//!    Tanzania's operators), so the list is fresh without a payout waiting for it. A Colombian
//!    merchant's bank codes are published by the engine ([`ProviderSetup::bank_codes`]): intake
//!    checks the bank code of payouts routed to this instance against them.
//!
//! Each step is a read: running the set-up again changes nothing at Cashy.

use std::sync::Arc;

use super::client::{CashyClient, CashyError};
use crate::capability::{BoxFuture, ProviderSetup, SetupError};

/// The settings that configure one merchant, named in refusals.
#[derive(Debug, Clone)]
pub struct SetupNames {
    /// The base URL's variable(s), e.g. `GIRO_CASHY_CO_URL (or GIRO_CASHY_URL)`.
    pub url: String,
    /// `GIRO_CASHY_CO_MERCHANT`.
    pub merchant: String,
    /// `GIRO_CASHY_CO_KEY`.
    pub key: String,
}

/// The set-up of one Cashy merchant.
#[derive(Debug, Clone)]
pub struct CashySetup {
    pub client: Arc<CashyClient>,
    pub names: SetupNames,
}

/// Why `url` cannot be Cashy's `notifyUrl`: not http(s), no host, or a host that is an IP address
/// (v4 or v6) or the bare name `localhost`. `None` when Cashy takes it.
pub fn notify_url_problem(url: &str) -> Option<String> {
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(e) => return Some(format!("{url:?} is not a URL ({e})")),
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return Some(format!(
            "{url} is not an http(s) URL: Cashy calls back http or https only"
        ));
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Some(format!("{url} has no host"));
    };
    let name = host.trim_start_matches('[').trim_end_matches(']');
    if name.parse::<std::net::IpAddr>().is_ok() {
        return Some(format!(
            "{url} is on an IP address: Cashy wants a (public) domain name there"
        ));
    }
    if name.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
        return Some(format!(
            "{url} names localhost: Cashy calls back a domain name"
        ));
    }
    None
}

impl CashySetup {
    async fn run(&self) -> Result<Vec<String>, SetupError> {
        let config = self.client.config();
        let instance = &config.instance;
        if let Some(problem) = notify_url_problem(&config.notify_url) {
            return Err(SetupError::Refused(format!(
                "{instance}: notifyUrl {problem}; set GIRO_INGRESS_PUBLIC_URL to the public URL \
                 of the webhook ingress on a domain name (in development the default \
                 http://giro.localhost:<port> does)"
            )));
        }
        let balance = self
            .client
            .get_balance()
            .await
            .map_err(|e| self.judged("getBalance", e))?;
        let banks = self
            .client
            .refresh_banks()
            .await
            .map_err(|e| self.judged("bankListQuery", e))?;
        Ok(vec![
            format!("notifyUrl {}", config.notify_url),
            format!(
                "merchant {} accepted (getBalance: balance {}, in flight {})",
                config.merchant_id,
                balance.balance,
                balance.un_balance.unwrap_or_default()
            ),
            format!("bank list read again: {} entries", banks.len()),
        ])
    }

    /// A failed call as a set-up error: Cashy's refusals and a base URL that is not Cashy's stop
    /// start-up; anything that may pass is tried again later.
    fn judged(&self, call: &str, e: CashyError) -> SetupError {
        let config = self.client.config();
        let SetupNames { url, merchant, key } = &self.names;
        let instance = &config.instance;
        match e {
            CashyError::Refused { msg } => SetupError::Refused(format!(
                "{instance}: Cashy refused {call} for merchant {} ({msg}); check {merchant} and \
                 {key} (or {key}_FILE), and that Cashy allows this server's IP address",
                config.merchant_id
            )),
            CashyError::Http {
                status: status @ (404 | 405),
                ..
            } => SetupError::Refused(format!(
                "{instance}: {call} answered HTTP {status}: {} is not Cashy's baseUrl; check {url}",
                config.base_url
            )),
            other => SetupError::Unavailable(format!("{instance}: {call}: {other}")),
        }
    }
}

impl ProviderSetup for CashySetup {
    fn set_up(&self) -> BoxFuture<'_, Result<Vec<String>, SetupError>> {
        Box::pin(self.run())
    }

    fn bank_codes(&self) -> Option<giro_domain::bank_lists::BankCodes> {
        self.client.bank_codes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_url_needs_http_and_a_name() {
        for good in [
            "https://giro.example.com/webhooks/cashy",
            "http://giro.localhost:8081/webhooks/cashy",
            "http://ingress:8081/webhooks/cashy",
        ] {
            assert_eq!(notify_url_problem(good), None, "{good}");
        }
        for bad in [
            "http://127.0.0.1:8081/webhooks/cashy",
            "https://[::1]/webhooks/cashy",
            "http://localhost:8081/webhooks/cashy",
            "ftp://giro.example.com/webhooks/cashy",
            "giro.example.com/webhooks/cashy",
        ] {
            assert!(notify_url_problem(bad).is_some(), "{bad}");
        }
    }
}
