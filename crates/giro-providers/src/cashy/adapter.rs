//! Cashy in the registry: one instance per merchant, `cashy-co` (COP to Colombian bank accounts)
//! and `cashy-tz` (TZS to Tanzanian mobile wallets), and one receiver at `/webhooks/cashy` serving
//! both (the callback's `MerchantId` picks the instance). Configured from `GIRO_CASHY_*` (keys
//! also from `<NAME>_FILE`); the defaults are the Cashy sandbox's. Each merchant has its own base
//! URL (`GIRO_CASHY_CO_URL`, `GIRO_CASHY_TZ_URL`, each falling back to `GIRO_CASHY_URL`), since
//! the two pages give each its own `baseUrl`, and its own start-up set-up ([`CashySetup`]).

use std::sync::Arc;

use giro_domain::provider::{PayoutCorridor, ProviderProfile, RouteRule};
use giro_domain::rail::Rail;
use giro_domain::{AmountRule, ProviderId, Secret};
use rust_decimal::Decimal;

use giro_domain::rail::TzOperator;

use crate::cashy::webhook::{CashyMerchantHook, CashyWebhook};
use crate::cashy::{CashyClient, CashyConfig, CashyCountry, CashySetup, SetupNames};
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
    url_var: &'static str,
    merchant_var: &'static str,
    merchant_default: &'static str,
    key_var: &'static str,
}

/// The base URL both merchants fall back to, and its default (the sandbox's).
const URL_VAR: &str = "GIRO_CASHY_URL";
const URL_DEFAULT: &str = "http://127.0.0.1:7102";

const MERCHANTS: [Merchant; 2] = [
    Merchant {
        id: "cashy-co",
        country: CashyCountry::Co,
        url_var: "GIRO_CASHY_CO_URL",
        merchant_var: "GIRO_CASHY_CO_MERCHANT",
        merchant_default: "100001",
        key_var: "GIRO_CASHY_CO_KEY",
    },
    Merchant {
        id: "cashy-tz",
        country: CashyCountry::Tz,
        url_var: "GIRO_CASHY_TZ_URL",
        merchant_var: "GIRO_CASHY_TZ_MERCHANT",
        merchant_default: "1002001",
        key_var: "GIRO_CASHY_TZ_KEY",
    },
];

/// The key of the merchant of `country` (the sandbox's by default).
fn api_key(settings: &Settings, m: &Merchant) -> Result<Secret<String>, RegistryError> {
    match m.country {
        CashyCountry::Co => settings.secret("GIRO_CASHY_CO_KEY", "cashy-co-sandbox-key"),
        CashyCountry::Tz => settings.secret("GIRO_CASHY_TZ_KEY", "cashy-tz-sandbox-key"),
    }
}

/// The setting of Tanzania's operator `bankId`s.
const TZ_BANK_IDS_VAR: &str = "GIRO_CASHY_TZ_BANK_IDS";

/// `GIRO_CASHY_TZ_BANK_IDS`: `airtel=1,tigo=2,halotel=3,vodacom=4` (any of them; empty: read
/// from `bankListQuery`).
fn tz_bank_ids(settings: &Settings) -> Result<Vec<(TzOperator, i64)>, RegistryError> {
    let Some(raw) = settings.value(TZ_BANK_IDS_VAR) else {
        return Ok(Vec::new());
    };
    let wrong = |reason: String| RegistryError::Setting {
        name: TZ_BANK_IDS_VAR.to_string(),
        reason,
    };
    raw.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (name, id) = pair
                .split_once('=')
                .ok_or_else(|| wrong(format!("{pair:?} is not operator=bankId")))?;
            let operator = [
                TzOperator::Airtel,
                TzOperator::Tigo,
                TzOperator::Halotel,
                TzOperator::Vodacom,
            ]
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| wrong(format!("{name:?} is not airtel, tigo, halotel or vodacom")))?;
            let id = id
                .trim()
                .parse::<i64>()
                .map_err(|_| wrong(format!("{id:?} is not a whole number")))?;
            Ok((operator, id))
        })
        .collect()
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
        let url = settings.get(URL_VAR, URL_DEFAULT);
        let notify = format!("{}/webhooks/{NAME}", settings.ingress_public_url());
        let timeout = settings.provider_timeout()?;
        let mut hook = CashyWebhook::default();
        for m in &MERCHANTS {
            let id = provider_id(m.id)?;
            let merchant_id = settings.get(m.merchant_var, m.merchant_default);
            let api_key = api_key(settings, m)?;
            let mut config = CashyConfig::new(
                settings.get(m.url_var, &url),
                merchant_id.clone(),
                api_key.clone(),
                m.country,
                notify.clone(),
            );
            config.timeout = timeout;
            config.instance = m.id.to_string();
            if m.country == CashyCountry::Tz {
                config.tz_bank_ids = tz_bank_ids(settings)?;
            }
            let client =
                Arc::new(
                    CashyClient::new(config).map_err(|e| RegistryError::Adapter {
                        adapter: NAME,
                        reason: e.to_string(),
                    })?,
                );
            let profile = profile(id.clone(), m.country);
            for corridor in &profile.payouts {
                registry.route(RouteRule::single(
                    corridor.rail,
                    corridor.currency,
                    id.clone(),
                ));
            }
            let mut instance = ProviderInstance::new(NAME, profile);
            instance.payouts = Some(client.clone());
            instance.setup = Some(Arc::new(CashySetup {
                client,
                names: SetupNames {
                    url: format!("{} (or {URL_VAR})", m.url_var),
                    merchant: m.merchant_var.to_string(),
                    key: m.key_var.to_string(),
                },
            }));
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
