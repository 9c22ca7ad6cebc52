//! A55 in the registry: one instance, `a55`, taking charges (pay-ins) in every currency but TZS,
//! with its webhooks at `/webhooks/a55`. Configured from `GIRO_A55_*` (secrets also from
//! `<NAME>_FILE`); the defaults are the A55 sandbox's. `GIRO_A55_LEGACY_WEBHOOKS` accepts A55's
//! older unsigned webhooks, each confirmed by reading the charge from A55.

use std::sync::Arc;

use giro_domain::provider::ProviderProfile;
use giro_domain::{AmountRule, Currency, ProviderId};
use rust_decimal::Decimal;

use crate::a55::webhook::A55Webhook;
use crate::a55::{A55Client, A55Config};
use crate::registry::{Adapter, ProviderInstance, Registry, RegistryError, provider_id};
use crate::settings::Settings;

const NAME: &str = "a55";

/// Registers A55.
#[derive(Debug, Clone, Copy)]
pub struct A55Adapter;

/// What A55 charges: up to 1,000,000,000 in every currency but TZS, whole in COP and CLP.
pub fn profile(id: ProviderId) -> ProviderProfile {
    let rule = |scale: u32, min: Decimal| AmountRule {
        min,
        max: Decimal::from(1_000_000_000i64),
        scale,
    };
    ProviderProfile {
        id,
        adapter: "a55".into(),
        payouts: vec![],
        charges: Currency::ALL
            .into_iter()
            .filter(|c| *c != Currency::TZS)
            .map(|c| match c {
                Currency::CLP | Currency::COP => (c, rule(0, Decimal::from(1))),
                _ => (c, rule(2, Decimal::new(1, 2))),
            })
            .collect(),
    }
}

/// The client configuration from `settings`.
pub fn config(settings: &Settings) -> Result<A55Config, RegistryError> {
    let mut config = A55Config::new(
        settings.get("GIRO_A55_URL", "http://127.0.0.1:7103"),
        settings.get("GIRO_A55_CLIENT_ID", "giro-sandbox"),
        settings.secret("GIRO_A55_CLIENT_SECRET", "a55-sandbox-client-secret")?,
        settings.get("GIRO_A55_WALLET", "f47ac10b-58cc-4372-a567-0e02b2c3d479"),
        settings.get(
            "GIRO_A55_MERCHANT_ID",
            "11111111-1111-1111-1111-111111111111",
        ),
        settings.secret("GIRO_A55_WEBHOOK_SECRET", "a55-sandbox-webhook-secret")?,
    );
    config.auth_url = settings.value("GIRO_A55_AUTH_URL");
    config.webhook_url = Some(format!("{}/webhooks/{NAME}", settings.ingress_public_url()));
    config.timeout = settings.provider_timeout()?;
    Ok(config)
}

impl Adapter for A55Adapter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn register(&self, settings: &Settings, registry: &mut Registry) -> Result<(), RegistryError> {
        let config = config(settings)?;
        let id = provider_id(NAME)?;
        let secret = config.webhook_secret.clone();
        let client = Arc::new(A55Client::new(config).map_err(|e| RegistryError::Adapter {
            adapter: NAME,
            reason: e.to_string(),
        })?);
        let hook = A55Webhook {
            instance: id.clone(),
            secret,
            legacy: settings
                .flag("GIRO_A55_LEGACY_WEBHOOKS")
                .then(|| client.clone()),
        };
        let mut instance = ProviderInstance::new(NAME, profile(id));
        instance.charges = Some(client.clone());
        instance.setup = Some(client);
        registry.add(instance)?;
        registry.webhook(NAME, Arc::new(hook))?;
        Ok(())
    }
}
