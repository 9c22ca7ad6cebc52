//! Who may act on orders by hand. An operator is known by a verified token (see the `giro-auth`
//! crate); here are only the identity and roles it carries, so the deciders can record who acted
//! and the services can ask whether a role is enough. Nothing here verifies anything.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an operator may do. `viewer` reads the console and the query API; `operator` acts on
/// orders (resolve, retry, release, cancel, replay, note); `approver` decides approvals. A token
/// may carry several; no role implies another besides every role reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Operator,
    Approver,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Approver];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Approver => "approver",
        }
    }

    /// The role named `name`, as tokens and the CLI spell it.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person whose token was verified: its subject (the identity events record) and its roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// The token's `sub`: the only identity an event records, never a field a caller fills in.
    pub id: String,
    pub roles: Vec<Role>,
}

impl Operator {
    /// Whether the operator may do what `needed` allows: reading needs any role, everything else
    /// that very role.
    pub fn may(&self, needed: Role) -> bool {
        match needed {
            Role::Viewer => !self.roles.is_empty(),
            other => self.roles.contains(&other),
        }
    }
}
