//! KillB in the registry: one instance, `killb`, paying COP over PSE (`co_bank`) and Bre-B
//! (`co_alias`) from a pre-funded account, keeping beneficiary accounts, with its webhooks at
//! `/webhooks/killb`, which its set-up registers at KillB. Configured from `GIRO_KILLB_URL`,
//! `_EMAIL`, `_PASSWORD`, `_API_KEY` (sent as `x-api-key` when set), `_WEBHOOK_SECRET` (secrets
//! also from `<NAME>_FILE`, never logged), `_PREFUND_ACCOUNT`, `_USER_ID` (the user accounts are
//! linked to when a registration names none) and `_RATE_LIMIT`; the defaults are the KillB
//! sandbox's.

use std::sync::Arc;

use giro_domain::provider::{PayoutCorridor, ProviderProfile, RouteRule};
use giro_domain::rail::Rail;
use giro_domain::{AmountRule, Currency, ProviderId};
use rust_decimal::Decimal;

use crate::killb::webhook::KillbWebhook;
use crate::killb::{KillbClient, KillbConfig, KillbSetup};
use crate::ratelimit::RateLimit;
use crate::registry::{Adapter, ProviderInstance, Registry, RegistryError, provider_id};
use crate::settings::Settings;

const NAME: &str = "killb";

/// Registers KillB.
#[derive(Debug, Clone, Copy)]
pub struct KillbAdapter;

/// What KillB pays: COP from 1 to 1,000,000,000 with cents, on both Colombian rails.
pub fn profile(id: ProviderId) -> ProviderProfile {
    let cop = AmountRule {
        min: Decimal::from(1),
        max: Decimal::from(1_000_000_000i64),
        scale: 2,
    };
    ProviderProfile {
        id,
        adapter: "killb".into(),
        payouts: [Rail::CoBank, Rail::CoAlias]
            .map(|rail| PayoutCorridor {
                rail,
                currency: Currency::COP,
                amounts: cop,
                max_name_len: None,
                document_types: vec![],
            })
            .to_vec(),
        charges: vec![],
    }
}

/// The client configuration from `settings`.
pub fn config(settings: &Settings) -> Result<KillbConfig, RegistryError> {
    let mut config = KillbConfig::new(
        settings.get("GIRO_KILLB_URL", "http://127.0.0.1:7101"),
        settings.get("GIRO_KILLB_EMAIL", "sandbox@giro.local"),
        settings.secret("GIRO_KILLB_PASSWORD", "killb-sandbox-password")?,
        settings.get("GIRO_KILLB_PREFUND_ACCOUNT", "prefund-cop-001"),
        settings.secret("GIRO_KILLB_WEBHOOK_SECRET", "killb-sandbox-webhook-secret")?,
    );
    let api_key = settings.secret("GIRO_KILLB_API_KEY", "")?;
    config.api_key = (!api_key.expose().is_empty()).then_some(api_key);
    config.user_id = settings.get("GIRO_KILLB_USER_ID", super::DEFAULT_USER_ID);
    config.webhook_url = format!("{}/webhooks/{NAME}", settings.ingress_public_url());
    config.timeout = settings.provider_timeout()?;
    // KillB allows 50 calls/s in production (100 in its sandbox); 0 sends as fast as asked.
    let rate = settings.number("GIRO_KILLB_RATE_LIMIT", 50)?;
    config.rate_limit = (rate > 0).then(|| RateLimit {
        per_second: rate,
        burst: rate.saturating_mul(2),
    });
    Ok(config)
}

impl Adapter for KillbAdapter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn register(&self, settings: &Settings, registry: &mut Registry) -> Result<(), RegistryError> {
        let config = config(settings)?;
        let id = provider_id(NAME)?;
        let hook = KillbWebhook {
            instance: id.clone(),
            secret: config.webhook_secret.clone(),
        };
        // One client for payouts and accounts, so both stay under one rate limit.
        let client = Arc::new(
            KillbClient::new(config).map_err(|e| RegistryError::Adapter {
                adapter: NAME,
                reason: e.to_string(),
            })?,
        );
        let mut instance = ProviderInstance::new(NAME, profile(id.clone()));
        instance.payouts = Some(client.clone());
        instance.accounts = Some(client.clone());
        instance.setup = Some(Arc::new(KillbSetup(client.clone())));
        instance.admin = Some(Arc::new(super::admin::KillbAdmin(client)));
        instance.prefunded = true;
        registry.add(instance)?;
        registry.route(RouteRule::single(Rail::CoAlias, Currency::COP, id));
        registry.webhook(NAME, Arc::new(hook))?;
        Ok(())
    }
}
