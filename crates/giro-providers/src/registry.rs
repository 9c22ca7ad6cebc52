//! The provider registry: every configured provider instance with its catalog profile and its
//! capabilities, the routing rules, and the webhook receivers by URL path segment. It is built
//! from configuration by the adapters listed in [`crate::ADAPTERS`] (one line per provider) and
//! may be extended at run time (tests register providers of their own). Everything that runs
//! providers (executors, ingress, intake's catalog) reads it; nothing outside a provider's folder
//! names the provider.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use giro_domain::ProviderId;
use giro_domain::provider::{Catalog, ProviderProfile, RouteRule};
use giro_domain::routing::RoutesFile;

use crate::admin::ProviderAdmin;
use crate::capability::{AccountProvider, ChargeProvider, PayoutProvider, ProviderSetup};
use crate::settings::Settings;
use crate::webhook::WebhookReceiver;

/// Why a registry cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A setting is unusable (an unreadable `<NAME>_FILE`, a malformed value).
    #[error("setting {name}: {reason}")]
    Setting { name: String, reason: String },
    /// A provider's client cannot be built from its settings.
    #[error("provider {adapter}: {reason}")]
    Adapter {
        adapter: &'static str,
        reason: String,
    },
    /// Two instances under one id.
    #[error("provider instance {0} is registered twice")]
    DuplicateInstance(ProviderId),
    /// The routing rules (`GIRO_ROUTES_FILE`, else the adapters' defaults) do not fit the
    /// providers; each line names its rule.
    #[error("routing rules{}: {}", .file.as_deref().map(|f| format!(" in {f}")).unwrap_or_default(), .errors.join("; "))]
    Routes {
        file: Option<String>,
        errors: Vec<String>,
    },
    /// Two receivers at one webhook path.
    #[error("webhook path /webhooks/{0} is registered twice")]
    DuplicateWebhook(String),
}

/// The setting naming a file of routing rules (`{"rules": [...]}`, see `giro_domain::routing`)
/// that replace the adapters' default rule per corridor.
pub const ROUTES_FILE: &str = "GIRO_ROUTES_FILE";

/// The routing rules in the file at `path`.
pub fn read_routes(path: &str) -> Result<Vec<RouteRule>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    RoutesFile::parse(&text)
}

/// `id` as a provider id, or why it is not one.
pub fn provider_id(id: &str) -> Result<ProviderId, RegistryError> {
    ProviderId::try_from(id.to_string()).map_err(|e| RegistryError::Setting {
        name: "provider id".into(),
        reason: format!("{id:?}: {e}"),
    })
}

/// A provider adapter: registers its instances, routes and webhook receiver from `settings`.
/// Each provider folder has one (`<name>/adapter.rs`); [`crate::ADAPTERS`] lists them.
pub trait Adapter: Send + Sync {
    /// The adapter's name (the provider's folder).
    fn name(&self) -> &'static str;

    /// Adds what this provider contributes, configured from `settings`.
    fn register(&self, settings: &Settings, registry: &mut Registry) -> Result<(), RegistryError>;
}

/// One configured provider instance.
#[derive(Clone)]
pub struct ProviderInstance {
    /// The adapter it was built by.
    pub adapter: &'static str,
    /// What it accepts (its id, payout corridors and charge currencies).
    pub profile: ProviderProfile,
    pub payouts: Option<Arc<dyn PayoutProvider>>,
    pub charges: Option<Arc<dyn ChargeProvider>>,
    pub accounts: Option<Arc<dyn AccountProvider>>,
    /// Whether its payouts are paid from a pre-funded balance Giro reserves against.
    pub prefunded: bool,
    /// What it sets up at the provider when the engine starts (webhooks, bank list, checks).
    pub setup: Option<Arc<dyn ProviderSetup>>,
    /// The administrative actions it offers (`giro provider <instance> <action>`).
    pub admin: Option<Arc<dyn ProviderAdmin>>,
}

impl ProviderInstance {
    /// An instance with no capability yet.
    pub fn new(adapter: &'static str, profile: ProviderProfile) -> Self {
        ProviderInstance {
            adapter,
            profile,
            payouts: None,
            charges: None,
            accounts: None,
            prefunded: false,
            setup: None,
            admin: None,
        }
    }

    pub fn id(&self) -> &ProviderId {
        &self.profile.id
    }
}

impl fmt::Debug for ProviderInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderInstance")
            .field("adapter", &self.adapter)
            .field("id", &self.profile.id)
            .field("payouts", &self.payouts.is_some())
            .field("charges", &self.charges.is_some())
            .field("accounts", &self.accounts.is_some())
            .field("prefunded", &self.prefunded)
            .field("setup", &self.setup.is_some())
            .field("admin", &self.admin.is_some())
            .finish()
    }
}

/// The configured providers.
#[derive(Clone, Default)]
pub struct Registry {
    instances: Vec<ProviderInstance>,
    routes: Vec<RouteRule>,
    webhooks: BTreeMap<String, Arc<dyn WebhookReceiver>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("instances", &self.instances)
            .field("routes", &self.routes)
            .field("webhooks", &self.webhooks.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// A registry with every adapter of [`crate::ADAPTERS`] configured from `settings`.
    pub fn from_settings(settings: &Settings) -> Result<Registry, RegistryError> {
        let mut registry = Registry::default();
        for adapter in crate::ADAPTERS {
            adapter.register(settings, &mut registry)?;
        }
        let file = settings.value(ROUTES_FILE);
        if let Some(path) = &file {
            registry.routes = read_routes(path).map_err(|error| RegistryError::Routes {
                file: file.clone(),
                errors: vec![error],
            })?;
        }
        registry
            .catalog()
            .validate_routes()
            .map_err(|errors| RegistryError::Routes { file, errors })?;
        Ok(registry)
    }

    /// Replaces the routing rules (`giro routes check` tries a file's rules this way).
    pub fn set_routes(&mut self, rules: Vec<RouteRule>) -> &mut Self {
        self.routes = rules;
        self
    }

    /// Adds an instance; its id must be new.
    pub fn add(&mut self, instance: ProviderInstance) -> Result<&mut Self, RegistryError> {
        if self.instance(instance.id().as_str()).is_some() {
            return Err(RegistryError::DuplicateInstance(instance.id().clone()));
        }
        self.instances.push(instance);
        Ok(self)
    }

    /// Adds a routing rule, after those already there (of equal priority, the first matching
    /// rule wins).
    pub fn route(&mut self, rule: RouteRule) -> &mut Self {
        self.routes.push(rule);
        self
    }

    /// Serves `POST /webhooks/<path>` with `receiver`; the path must be new.
    pub fn webhook(
        &mut self,
        path: impl Into<String>,
        receiver: Arc<dyn WebhookReceiver>,
    ) -> Result<&mut Self, RegistryError> {
        let path = path.into();
        if self.webhooks.contains_key(&path) {
            return Err(RegistryError::DuplicateWebhook(path));
        }
        self.webhooks.insert(path, receiver);
        Ok(self)
    }

    /// Every instance, in the order registered.
    pub fn instances(&self) -> &[ProviderInstance] {
        &self.instances
    }

    /// The instance `id`.
    pub fn instance(&self, id: &str) -> Option<&ProviderInstance> {
        self.instances.iter().find(|i| i.id().as_str() == id)
    }

    /// The instances that make payouts.
    pub fn payout_instances(&self) -> impl Iterator<Item = &ProviderInstance> {
        self.instances.iter().filter(|i| i.payouts.is_some())
    }

    /// The receiver at `POST /webhooks/<path>`.
    pub fn receiver(&self, path: &str) -> Option<&Arc<dyn WebhookReceiver>> {
        self.webhooks.get(path)
    }

    /// The webhook path segments served, in order.
    pub fn webhook_paths(&self) -> impl Iterator<Item = &str> {
        self.webhooks.keys().map(String::as_str)
    }

    /// The catalog intake validates and routes orders with: every instance's profile and the
    /// routing rules.
    pub fn catalog(&self) -> Catalog {
        Catalog {
            providers: self.instances.iter().map(|i| i.profile.clone()).collect(),
            routes: self.routes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adapters_declare_the_default_catalog() {
        let registry = Registry::from_settings(&Settings::isolated()).expect("registry");
        let (catalog, default) = (registry.catalog(), Catalog::default());
        assert_eq!(catalog.providers, default.providers);
        // Each rail is routed once, so the order of the rules does not matter.
        assert_eq!(catalog.routes.len(), default.routes.len());
        assert!(default.routes.iter().all(|r| catalog.routes.contains(r)));
        assert_eq!(
            registry.webhook_paths().collect::<Vec<_>>(),
            ["a55", "cashy", "killb"]
        );
        let payouts: Vec<_> = registry
            .payout_instances()
            .map(|i| (i.id().as_str(), i.prefunded))
            .collect();
        assert_eq!(
            payouts,
            [("killb", true), ("cashy-co", false), ("cashy-tz", false)]
        );
    }

    #[test]
    fn an_instance_or_a_webhook_path_is_registered_once() {
        let mut registry = Registry::from_settings(&Settings::isolated()).expect("registry");
        let again = registry.instances()[0].clone();
        assert!(matches!(
            registry.add(again),
            Err(RegistryError::DuplicateInstance(_))
        ));
        let receiver = registry.receiver("killb").expect("killb receiver").clone();
        assert!(matches!(
            registry.webhook("killb", receiver),
            Err(RegistryError::DuplicateWebhook(_))
        ));
    }
}
