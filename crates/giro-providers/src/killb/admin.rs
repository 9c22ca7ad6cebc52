//! KillB's administrative actions ([`ProviderAdmin`]), run by `giro provider killb <action>`:
//!
//! - `prefund-create currency=<COP|USD|USDC|USDT> [network=<POLYGON|…>]`:
//!   `POST /api/v2/customers/pre-fund/create` (page 000), a new pre-fund account to pay from. Its
//!   id is what `GIRO_KILLB_PREFUND_ACCOUNT` names; set-up then finds it among the balances. Not
//!   idempotent at KillB: run again, it creates another account.

use std::sync::Arc;

use serde_json::{Value, json};

use super::client::{KillbClient, KillbError};
use super::wire::CreatePrefund;
use crate::admin::{AdminAction, AdminArg, AdminError, ProviderAdmin, find_action};
use crate::capability::BoxFuture;

const PREFUND_CREATE: AdminAction = AdminAction {
    name: "prefund-create",
    about: "creates a pre-fund account at KillB (POST /api/v2/customers/pre-fund/create); \
            set GIRO_KILLB_PREFUND_ACCOUNT to its id to pay from it",
    args: &[
        AdminArg {
            name: "currency",
            required: true,
            about: "the account's currency: COP, USD, USDC or USDT",
        },
        AdminArg {
            name: "network",
            required: false,
            about: "the blockchain of a USDC or USDT account (POLYGON, SOLANA, ETHEREUM, \
                    ARBITRUM, TRON, BSC)",
        },
    ],
};

const ACTIONS: &[AdminAction] = &[PREFUND_CREATE];

/// KillB's actions over a shared client.
#[derive(Debug, Clone)]
pub struct KillbAdmin(pub Arc<KillbClient>);

/// A failed call as the CLI reports it: KillB's refusals (credentials included) are final, the
/// rest may pass.
fn admin_error(e: KillbError) -> AdminError {
    match e {
        KillbError::Refused { .. } | KillbError::Auth(_) => AdminError::Refused(e.to_string()),
        KillbError::Token(ref inner) if matches!(**inner, KillbError::Auth(_)) => {
            AdminError::Refused(e.to_string())
        }
        other => AdminError::Unavailable(other.to_string()),
    }
}

impl KillbAdmin {
    async fn prefund_create(&self, args: &[(String, String)]) -> Result<Value, AdminError> {
        let body = CreatePrefund {
            currency: AdminAction::arg(args, "currency").unwrap_or_default(),
            network: AdminAction::arg(args, "network"),
        };
        let created = self.0.create_prefund(&body).await.map_err(admin_error)?;
        Ok(json!({
            "id": created.id,
            "currency": created.currency,
            "network": created.network,
            "status": created.status,
        }))
    }
}

impl ProviderAdmin for KillbAdmin {
    fn actions(&self) -> &'static [AdminAction] {
        ACTIONS
    }

    fn run<'a>(
        &'a self,
        action: &'a str,
        args: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Value, AdminError>> {
        Box::pin(async move {
            // `prefund-create` is KillB's only action so far.
            find_action(ACTIONS, action)?.check(args)?;
            self.prefund_create(args).await
        })
    }
}
