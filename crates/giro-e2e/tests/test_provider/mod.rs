//! TestPay: a provider that exists only in this test folder, proving that a provider is added
//! without touching the engine — an adapter registered at run time (payouts and a webhook at
//! `/webhooks/testpay`) and a tiny sandbox of its HTTP API ([`sandbox`]).
//!
//! Its API: `POST /payouts` `{handle, amount, currency, notify_url}` answers `{id, status}` and
//! later posts `{handle, id, status}` to `notify_url` with the shared token in `x-testpay-token`;
//! `GET /payouts/{handle}` answers `{id, status}` (404 when unknown).

pub mod sandbox;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use giro_domain::payout::{ProviderReport, ReportSource, ReportedOutcome};
use giro_domain::provider::{PayoutCorridor, ProviderProfile};
use giro_domain::rail::Rail;
use giro_domain::{AmountRule, Currency, Secret};
use giro_providers::webhook::HeaderMap;
use giro_providers::{
    Adapter, Answer, BoxFuture, Lookup, PayoutOrder, PayoutProvider, ProviderInstance, Received,
    Registry, RegistryError, Settings, Submission, WebhookReceiver, WebhookRefusal, WebhookReport,
    provider_id,
};
use rust_decimal::Decimal;
use serde::Deserialize;

pub const NAME: &str = "testpay";
pub const TOKEN_HEADER: &str = "x-testpay-token";

/// A payout as TestPay shows it (its API's answer and its webhook alike).
#[derive(Debug, Deserialize)]
pub struct Shown {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub handle: Option<String>,
}

impl Shown {
    fn report(&self, source: ReportSource) -> ProviderReport {
        let outcome = match self.status.as_str() {
            "PENDING" => ReportedOutcome::InFlight,
            "PAID" => ReportedOutcome::Succeeded,
            "FAILED" => ReportedOutcome::Failed,
            _ => ReportedOutcome::Unknown,
        };
        ProviderReport {
            source,
            raw_status: self.status.clone(),
            outcome,
            report_id: giro_providers::report::report_id(&self.id, &self.status),
            provider_ref: Some(self.id.clone()),
            reason: None,
            fee: None,
            attempt: None,
            amount: None,
            completed_at: None,
            channel_ref: None,
            reported_at: None,
        }
    }
}

/// Registers TestPay (instance `testpay`, COP to Colombian bank accounts) against the sandbox
/// at `url`, sharing `token` with it.
pub struct TestPayAdapter {
    pub url: String,
    pub token: String,
}

impl Adapter for TestPayAdapter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn register(&self, settings: &Settings, registry: &mut Registry) -> Result<(), RegistryError> {
        let id = provider_id(NAME)?;
        let profile = ProviderProfile {
            id: id.clone(),
            adapter: "testpay".into(),
            payouts: vec![PayoutCorridor {
                rail: Rail::CoBank,
                currency: Currency::COP,
                amounts: AmountRule {
                    min: Decimal::ONE,
                    max: Decimal::from(1_000_000_000i64),
                    scale: 2,
                },
                max_name_len: None,
                document_types: vec![],
            }],
            charges: vec![],
        };
        let client = TestPayClient {
            http: reqwest::Client::new(),
            url: self.url.clone(),
            notify_url: format!("{}/webhooks/{NAME}", settings.ingress_public_url()),
        };
        let mut instance = ProviderInstance::new(NAME, profile);
        instance.payouts = Some(Arc::new(client));
        registry.add(instance)?;
        let hook = TestPayWebhook {
            instance: id,
            token: Secret::new(self.token.clone()),
        };
        registry.webhook(NAME, Arc::new(hook))?;
        Ok(())
    }
}

struct TestPayClient {
    http: reqwest::Client,
    url: String,
    notify_url: String,
}

impl TestPayClient {
    async fn create(&self, order: PayoutOrder<'_>) -> Result<Shown, String> {
        let body = serde_json::json!({
            "handle": order.handle,
            "amount": order.request.money.amount().to_string(),
            "currency": order.request.money.currency().code(),
            "notify_url": self.notify_url,
        });
        let response = self
            .http
            .post(format!("{}/payouts", self.url))
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        response.json().await.map_err(|e| e.to_string())
    }

    async fn find(&self, handle: &str) -> Lookup {
        let failed = |reason: String| Lookup::Failed {
            reason,
            retry_after: None,
        };
        let url = format!("{}/payouts/{handle}", self.url);
        match self.http.get(url).send().await {
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => Lookup::NotFound,
            Ok(r) => match r.json::<Shown>().await {
                Ok(shown) => Lookup::Found(shown.report(ReportSource::Poll)),
                Err(e) => failed(e.to_string()),
            },
            Err(e) => failed(e.to_string()),
        }
    }
}

impl PayoutProvider for TestPayClient {
    fn submit<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Submission> {
        Box::pin(async move {
            match self.create(order).await {
                Ok(shown) => Submission::Accepted {
                    provider_ref: Some(shown.id),
                    raw_status: shown.status,
                    report: None,
                },
                // Any failure may have reached TestPay: only a lookup resolves it.
                Err(reason) => Submission::Refused(giro_providers::Refusal::unknown(reason)),
            }
        })
    }

    fn lookup<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Lookup> {
        Box::pin(self.find(order.handle))
    }

    fn balance<'a>(
        &'a self,
        _currency: Currency,
    ) -> BoxFuture<'a, Option<Result<Decimal, String>>> {
        Box::pin(async { None })
    }
}

struct TestPayWebhook {
    instance: giro_domain::ProviderId,
    token: Secret<String>,
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl WebhookReceiver for TestPayWebhook {
    fn receive<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Received, WebhookRefusal>> {
        Box::pin(async move {
            let token = headers
                .get(TOKEN_HEADER)
                .ok_or_else(|| WebhookRefusal::forged("missing x-testpay-token"))?;
            if !same(token.as_bytes(), self.token.expose().as_bytes()) {
                return Err(WebhookRefusal::forged("x-testpay-token does not match"));
            }
            let shown: Shown = serde_json::from_slice(body).map_err(|e| {
                WebhookRefusal::malformed(format!("unreadable webhook: {e}")).of(&self.instance)
            })?;
            Ok(Received {
                instance: self.instance.clone(),
                reports: vec![WebhookReport::Payout {
                    report: shown.report(ReportSource::Webhook),
                    handle: shown.handle,
                }],
                answer: Answer::OK,
            })
        })
    }
}
