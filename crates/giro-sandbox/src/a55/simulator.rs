//! The A55 simulator in the sandbox's list ([`crate::SIMULATORS`]): its options, help and
//! samples, and the conveniences tests use to reach it.

use std::marker::PhantomData;
use std::net::SocketAddr;

use super::args::A55Args;
use super::config::A55Config;
use crate::Sandbox;
use crate::context::Common;
use crate::simulator::{Described, SimulatorConfig, SimulatorHelp, Starting};

const HELP: SimulatorHelp = SimulatorHelp {
    column: "A55 (no card data)",
    scenarios: [
        "error payment_declined",
        "error errors.unexpected",
        "error antifraud_rejected",
        "paid, later refunded",
        "error error_threeds_authentication",
        "canceled",
        "paid, later refunded",
        "paid",
        "stuck in pending",
    ],
    example: "A55 150.13 BRL -> error",
    notes: "  A55 host-to-host card data: the card number's last digit wins: 0/1/4 approved (confirmed -> paid;
  pre_captured with capture=false; pending -> confirmed with 3DS), 2 declined, 3 expired, 5 blocked,
  6 timeout (pending -> error), 7 canceled, 8 card problem, 9 random (seeded).
",
    faults: &[("reverse_later", "paid->refunded")],
    introspection: "",
};

/// The A55 simulator.
pub static A55: Described<A55Args> = Described {
    name: super::NAME,
    label: "A55",
    harness_flags: &["--a55-addr=127.0.0.1:0"],
    help: &HELP,
    samples: super::samples::samples,
    args: PhantomData,
};

impl SimulatorConfig for A55Config {
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
    /// Where the A55 simulator (API and OAuth2 host) listens, if started.
    pub fn a55_addr(&self) -> Option<SocketAddr> {
        self.addr(super::NAME)
    }

    /// `http://<addr>` of the A55 simulator, if started.
    pub fn a55_url(&self) -> Option<String> {
        self.url(super::NAME)
    }
}
