//! Cashy in the registry: one instance per merchant, `cashy-co` (COP to Colombian bank accounts)
//! and `cashy-tz` (TZS to Tanzanian mobile wallets), and one receiver at `/webhooks/cashy` serving
//! both (the callback's `MerchantId` picks the instance). Configured from `GIRO_CASHY_*` (keys
//! also from `<NAME>_FILE`); the defaults are the Cashy sandbox's.

use std::sync::Arc;

use giro_domain::provider::{PayoutCorridor, ProviderProfile, RouteRule};
use giro_domain::rail::Rail;
use giro_domain::{AmountRule, ProviderId, Secret};
use rust_decimal::Decimal;

use crate::cashy::webhook::{CashyMerchantHook, CashyWebhook};
use crate::cashy::{CashyClient, CashyConfig, CashyCountry};
use crate::registry::{Adapter, ProviderInstance, Registry, RegistryError, provider_id};
use crate::settings::Settings;

const NAME: &str = "cashy";

/// Registers Cashy's merchants.
#[derive(Debug, Clone, Copy)]
pub struct CashyAdapter;

/// One merchant: its instance id, country and the setting naming its merchant id.
struct Merchant {
    id: &'static str,
    country: CashyCountry,
    merchant_var: &'static str,
    merchant_default: &'static str,
}

const MERCHANTS: [Merchant; 2] = [
    Merchant {
        id: "cashy-co",
        country: CashyCountry::Co,
        merchant_var: "GIRO_CASHY_CO_MERCHANT",
        merchant_default: "100001",
    },
    Merchant {
        id: "cashy-tz",
        country: CashyCountry::Tz,
        merchant_var: "GIRO_CASHY_TZ_MERCHANT",
        merchant_default: "1002001",
    },
];

/// The key of the merchant of `country` (the sandbox's by default).
fn api_key(settings: &Settings, country: CashyCountry) -> Result<Secret<String>, RegistryError> {
    match country {
        CashyCountry::Co => settings.secret("GIRO_CASHY_CO_KEY", "cashy-co-sandbox-key"),
        CashyCountry::Tz => settings.secret("GIRO_CASHY_TZ_KEY", "cashy-tz-sandbox-key"),
    }
}

/// What a merchant of `country` pays: Colombia COP 10,000–5,000,000 to bank accounts (names up
/// to 32 characters, Colombian documents), Tanzania TZS 500–3,000,000 whole to mobile wallets.
pub fn profile(id: ProviderId, country: CashyCountry) -> ProviderProfile {
    let corridor = match country {
        CashyCountry::Co => PayoutCorridor {
            rail: Rail::CoBank,
            currency: country.currency(),
            amounts: AmountRule {
                min: Decimal::from(10_000),
                max: Decimal::from(5_000_000),
                scale: 2,
            },
            max_name_len: Some(32),
            document_types: ["CC", "CE", "TI", "NIT", "PA", "PASSPORT"]
                .map(String::from)
                .to_vec(),
        },
        CashyCountry::Tz => PayoutCorridor {
            rail: Rail::TzMobile,
            currency: country.currency(),
            amounts: AmountRule {
                min: Decimal::from(500),
                max: Decimal::from(3_000_000),
                scale: 0,
            },
            max_name_len: Some(64),
            document_types: vec![],
        },
    };
    ProviderProfile {
        id,
        adapter: "cashy".into(),
        payouts: vec![corridor],
        charges: vec![],
    }
}

impl Adapter for CashyAdapter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn register(&self, settings: &Settings, registry: &mut Registry) -> Result<(), RegistryError> {
        let url = settings.get("GIRO_CASHY_URL", "http://127.0.0.1:7102");
        let notify = format!("{}/webhooks/{NAME}", settings.ingress_public_url());
        let timeout = settings.provider_timeout()?;
        let mut hook = CashyWebhook::default();
        for m in &MERCHANTS {
            let id = provider_id(m.id)?;
            let merchant_id = settings.get(m.merchant_var, m.merchant_default);
            let api_key = api_key(settings, m.country)?;
            let mut config = CashyConfig::new(
                url.clone(),
                merchant_id.clone(),
                api_key.clone(),
                m.country,
                notify.clone(),
            );
            config.timeout = timeout;
            config.instance = m.id.to_string();
            let client = CashyClient::new(config).map_err(|e| RegistryError::Adapter {
                adapter: NAME,
                reason: e.to_string(),
            })?;
            let profile = profile(id.clone(), m.country);
            for corridor in &profile.payouts {
                registry.route(RouteRule {
                    rail: corridor.rail,
                    currency: corridor.currency,
                    provider: id.clone(),
                });
            }
            let mut instance = ProviderInstance::new(NAME, profile);
            instance.payouts = Some(Arc::new(client));
            registry.add(instance)?;
            hook.merchants.push(CashyMerchantHook {
                instance: id,
                merchant_id,
                api_key,
                country: m.country,
            });
        }
        registry.webhook(NAME, Arc::new(hook))?;
        Ok(())
    }
}
