//! The Cashy simulator in the sandbox's list ([`crate::SIMULATORS`]): its options, help and
//! samples, and the conveniences tests use to reach it.

use std::marker::PhantomData;
use std::net::SocketAddr;

use super::args::CashyArgs;
use super::config::CashyConfig;
use crate::Sandbox;
use crate::context::Common;
use crate::simulator::{Described, SimulatorConfig, SimulatorHelp, Starting};

const HELP: SimulatorHelp = SimulatorHelp {
    column: "Cashy (CO and TZ)",
    scenarios: [
        "FAIL  ACCOUNT NOT EXITS",
        "FAIL  GATEWAY_TIMEOUT",
        "FAIL  AMOUNT_ERROR",
        "FAIL  ACCOUNT_AND_MNO_NOT_MATCH",
        "FAIL  PAYMENT_OFFSET",
        "CANCEL ORDER_CANCELLED",
        "SUCCESS, later FAIL PAYMENT_OFFSET",
        "FAIL GATEWAY_TIMEOUT, later SUCCESS",
        "stuck in PAYING",
    ],
    example: "Cashy 10019 COP -> never completes",
    notes: "",
    faults: &[
        ("rate_limit", "System_busy"),
        ("maintenance", "System_Maintenance"),
        ("reverse_later", "SUCCESS<->FAIL"),
    ],
    introspection: "",
};

/// The Cashy simulator.
pub static CASHY: Described<CashyArgs> = Described {
    name: super::NAME,
    label: "Cashy",
    harness_flags: &["--cashy-addr=127.0.0.1:0"],
    help: &HELP,
    samples: super::samples::samples,
    args: PhantomData,
};

impl SimulatorConfig for CashyConfig {
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
    /// Where the Cashy simulator listens, if started.
    pub fn cashy_addr(&self) -> Option<SocketAddr> {
        self.addr(super::NAME)
    }

    /// `http://<addr>` of the Cashy simulator (its `baseUrl`), if started.
    pub fn cashy_url(&self) -> Option<String> {
        self.url(super::NAME)
    }
}
