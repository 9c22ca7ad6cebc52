//! The A55 simulator in the sandbox's list ([`crate::SIMULATORS`]): its options, help and
//! samples, and the conveniences tests use to reach it.

use std::net::SocketAddr;

use clap::{Args, FromArgMatches};

use super::args::A55Args;
use super::config::A55Config;
use crate::Sandbox;
use crate::context::Common;
use crate::simulator::{
    Sample, Simulator, SimulatorArgs, SimulatorConfig, SimulatorHelp, Starting,
};

/// The A55 simulator (API and OAuth2 host on one server).
#[derive(Debug, Clone, Copy)]
pub struct A55Simulator;

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

impl Simulator for A55Simulator {
    fn name(&self) -> &'static str {
        super::NAME
    }

    fn label(&self) -> &'static str {
        "A55"
    }

    fn augment_args(&self, command: clap::Command) -> clap::Command {
        A55Args::augment_args(command)
    }

    fn args(&self, matches: &clap::ArgMatches) -> Result<Box<dyn SimulatorArgs>, clap::Error> {
        Ok(Box::new(A55Args::from_arg_matches(matches)?))
    }

    fn harness_flags(&self) -> &'static [&'static str] {
        &["--a55-addr=127.0.0.1:0"]
    }

    fn help(&self) -> &'static SimulatorHelp {
        &HELP
    }

    fn samples(&self) -> Vec<Sample> {
        super::samples::samples()
    }
}

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
