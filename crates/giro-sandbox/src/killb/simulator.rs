//! The KillB simulator in the sandbox's list ([`crate::SIMULATORS`]): its options, help and
//! samples, and the conveniences tests use to reach it.

use std::marker::PhantomData;
use std::net::SocketAddr;

use super::args::KillbArgs;
use super::config::KillbConfig;
use crate::Sandbox;
use crate::context::Common;
use crate::simulator::{Described, SimulatorConfig, SimulatorHelp, Starting};

const HELP: SimulatorHelp = SimulatorHelp {
    column: "KillB",
    scenarios: [
        "FAILED",
        "ERROR",
        "REJECTED",
        "COMPLETED, later REFUNDED",
        "REVIEW_NEEDED, then COMPLETED",
        "COMPLETED",
        "COMPLETED, later REFUNDED",
        "COMPLETED",
        "stuck in PROCESSING",
    ],
    example: "KillB 500011 COP -> FAILED",
    notes: "  KillB accounts (POST /api/v2/accounts): PENDING, then the last digit of the account number /
  CLABE / phone / wallet address (non-digit = 0) decides: ...1 REJECTED, ...2 stays PENDING,
  ...3 ACTIVE then later INACTIVE, else ACTIVE; each change is a signed ACCOUNT webhook.
",
    faults: &[("reverse_later", "COMPLETED->REFUNDED")],
    introspection: "  POST /_sandbox/killb/balances/{accountId}/topup {\"amount\": ...}
  POST /_sandbox/killb/users {\"id\", \"firstName\", \"lastName\" | \"companyName\"}  a user accounts link to
  GET  /_sandbox/orders?provider=killb-accounts  KillB accounts: history and ACCOUNT webhooks
",
};

/// The KillB simulator.
pub static KILLB: Described<KillbArgs> = Described {
    name: super::NAME,
    label: "KillB",
    harness_flags: &["--killb-addr=127.0.0.1:0", "--killb-balance=1000000000"],
    help: &HELP,
    samples: super::samples::samples,
    args: PhantomData,
};

impl SimulatorConfig for KillbConfig {
    fn name(&self) -> &'static str {
        super::NAME
    }

    fn clone_box(&self) -> Box<dyn SimulatorConfig> {
        Box::new(self.clone())
    }

    fn start(self: Box<Self>, common: Common) -> Starting {
        Box::pin(super::start(*self, common))
    }
}

impl Sandbox {
    /// Where the KillB simulator listens, if started.
    pub fn killb_addr(&self) -> Option<SocketAddr> {
        self.addr(super::NAME)
    }

    /// `http://<addr>` of the KillB simulator, if started.
    pub fn killb_url(&self) -> Option<String> {
        self.url(super::NAME)
    }
}
