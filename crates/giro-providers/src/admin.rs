//! What a provider offers beyond orders, for the people who run Giro: one-off operations at the
//! provider (creating a pre-fund account, …) that would otherwise be done in its dashboard or with
//! curl. Each provider module declares its own ([`ProviderAdmin`]); `giro provider <instance>
//! <action> [name=value …]` lists and runs them without naming any provider.

use serde_json::Value;

use crate::capability::BoxFuture;

/// One administrative action a provider offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAction {
    /// How it is called (`prefund-create`).
    pub name: &'static str,
    /// What it does at the provider, for `giro provider <instance>`.
    pub about: &'static str,
    /// Its arguments, `name=value` on the command line: each with what it means.
    pub args: &'static [AdminArg],
}

/// One argument of an [`AdminAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminArg {
    pub name: &'static str,
    pub required: bool,
    pub about: &'static str,
}

/// Why an administrative action was not done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// The instance offers no such action.
    #[error("no action {action:?}; this provider offers: {offered}")]
    UnknownAction { action: String, offered: String },
    /// An argument is missing, unknown or malformed; nothing was sent.
    #[error("argument {name}: {reason}")]
    Argument { name: String, reason: String },
    /// The provider refused it (its reason, masked).
    #[error("the provider refused: {0}")]
    Refused(String),
    /// The provider could not be asked now; it may or may not have been done.
    #[error("the provider could not be asked: {0}")]
    Unavailable(String),
}

/// A provider's administrative actions. The result of an action is JSON as the provider answered
/// it, with personal data masked.
pub trait ProviderAdmin: Send + Sync {
    /// The actions this provider offers.
    fn actions(&self) -> &'static [AdminAction];

    /// Runs `action` with `args` (`name`, `value` pairs).
    fn run<'a>(
        &'a self,
        action: &'a str,
        args: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Value, AdminError>>;
}

impl AdminAction {
    /// Checks `args` against the action's: every required one given, none unknown or repeated.
    pub fn check(&self, args: &[(String, String)]) -> Result<(), AdminError> {
        for (i, (name, _)) in args.iter().enumerate() {
            if !self.args.iter().any(|a| a.name == name) {
                let known: Vec<&str> = self.args.iter().map(|a| a.name).collect();
                return Err(AdminError::Argument {
                    name: name.clone(),
                    reason: format!("{} takes {}", self.name, known.join(", ")),
                });
            }
            if args[..i].iter().any(|(n, _)| n == name) {
                return Err(AdminError::Argument {
                    name: name.clone(),
                    reason: "given twice".into(),
                });
            }
        }
        match self
            .args
            .iter()
            .find(|a| a.required && !args.iter().any(|(n, _)| n == a.name))
        {
            Some(missing) => Err(AdminError::Argument {
                name: missing.name.to_string(),
                reason: format!("is required: {}", missing.about),
            }),
            None => Ok(()),
        }
    }

    /// The value of argument `name`, if given.
    pub fn arg<'a>(args: &'a [(String, String)], name: &str) -> Option<&'a str> {
        args.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The action called `name` among `actions`, or the refusal naming those offered.
pub fn find_action<'a>(
    actions: &'a [AdminAction],
    name: &str,
) -> Result<&'a AdminAction, AdminError> {
    actions
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| AdminError::UnknownAction {
            action: name.to_string(),
            offered: actions
                .iter()
                .map(|a| a.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTION: AdminAction = AdminAction {
        name: "thing-create",
        about: "creates a thing",
        args: &[
            AdminArg {
                name: "currency",
                required: true,
                about: "its currency",
            },
            AdminArg {
                name: "network",
                required: false,
                about: "its network",
            },
        ],
    };

    fn args(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn arguments_are_checked_before_anything_is_sent() {
        assert!(ACTION.check(&args(&[("currency", "USDC")])).is_ok());
        let missing = ACTION.check(&args(&[("network", "POLYGON")])).unwrap_err();
        assert!(
            missing.to_string().contains("currency: is required"),
            "{missing}"
        );
        let unknown = ACTION.check(&args(&[("currency", "USDC"), ("colour", "red")]));
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("takes currency, network")
        );
        let twice = ACTION.check(&args(&[("currency", "USDC"), ("currency", "USDT")]));
        assert!(twice.unwrap_err().to_string().contains("given twice"));
        assert_eq!(
            AdminAction::arg(&args(&[("currency", "USDC")]), "currency"),
            Some("USDC")
        );
        let offered = find_action(&[ACTION], "thing-delete").unwrap_err();
        assert!(
            offered.to_string().contains("offers: thing-create"),
            "{offered}"
        );
    }
}
