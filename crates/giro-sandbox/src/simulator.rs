//! One shape for every simulator, so that the sandbox, `giro sandbox` / `giro up`, the
//! end-to-end harness, `giro demo` and `giro bench e2e` run each of them without naming it. Each
//! provider's folder implements these traits; [`crate::SIMULATORS`] lists them.

use std::any::Any;
use std::fmt::Debug;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use crate::context::Common;
use crate::error::Error;

/// A simulator being started: resolves to the address it listens on.
pub type Starting = Pin<Box<dyn Future<Output = Result<SocketAddr, Error>> + Send>>;

/// A provider simulator as the sandbox's users see it: its name, its command-line options, its
/// help and the orders it knows the outcome of.
pub trait Simulator: Sync {
    /// Its name in paths, options and introspection (`/_sandbox/<name>/…`, `--no-<name>`).
    fn name(&self) -> &'static str;
    /// How people write the provider's name.
    fn label(&self) -> &'static str;
    /// Adds its options (`--<name>-…`, each also read from `GIRO_SANDBOX_<NAME>_…`) to `command`.
    fn augment_args(&self, command: clap::Command) -> clap::Command;
    /// Reads back the options [`Simulator::augment_args`] added.
    fn args(&self, matches: &clap::ArgMatches) -> Result<Box<dyn SimulatorArgs>, clap::Error>;
    /// Options an automated run (the end-to-end harness) starts it with before its own: a free
    /// port, and whatever else such a run needs (e.g. funds no test exhausts).
    fn harness_flags(&self) -> &'static [&'static str];
    /// Its part of `giro sandbox --help`.
    fn help(&self) -> &'static SimulatorHelp;
    /// Orders whose outcome it decides, for `giro demo`, `giro bench e2e` and the harness.
    fn samples(&self) -> Vec<Sample>;
    /// Scenario codes beyond 11–19 it implements, with what each does (see
    /// [`SimulatorArgs::more_scenarios`]).
    fn more_scenarios(&self) -> &'static [(u8, &'static str)];
}

/// A simulator described by data, its options read into `A`: every simulator in
/// [`crate::SIMULATORS`] is one of these, so a provider's folder says what it is rather than
/// implementing [`Simulator`] again.
pub struct Described<A> {
    pub name: &'static str,
    pub label: &'static str,
    pub harness_flags: &'static [&'static str],
    pub help: &'static SimulatorHelp,
    pub samples: fn() -> Vec<Sample>,
    pub args: std::marker::PhantomData<fn() -> A>,
}

impl<A> Simulator for Described<A>
where
    A: clap::Args + clap::FromArgMatches + SimulatorArgs + 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn label(&self) -> &'static str {
        self.label
    }

    fn augment_args(&self, command: clap::Command) -> clap::Command {
        A::augment_args(command)
    }

    fn args(&self, matches: &clap::ArgMatches) -> Result<Box<dyn SimulatorArgs>, clap::Error> {
        Ok(Box::new(A::from_arg_matches(matches)?))
    }

    fn harness_flags(&self) -> &'static [&'static str] {
        self.harness_flags
    }

    fn help(&self) -> &'static SimulatorHelp {
        self.help
    }

    fn samples(&self) -> Vec<Sample> {
        (self.samples)()
    }

    fn more_scenarios(&self) -> &'static [(u8, &'static str)] {
        A::more_scenarios()
    }
}

/// One simulator's options as parsed: what it is started with and what the engine needs to
/// talk to it.
pub trait SimulatorArgs: Debug + Send + Sync {
    /// The simulator's [`Simulator::name`].
    fn name(&self) -> &'static str;
    /// A copy, boxed.
    fn clone_box(&self) -> Box<dyn SimulatorArgs>;
    /// Its configuration, or `None` when told not to start (`--no-<name>`).
    fn config(&self) -> Option<Box<dyn SimulatorConfig>>;
    /// Tells it to call the ingress at `public` where it calls back to one configured URL,
    /// unless set already.
    fn call_back_to(&mut self, public: &str);
    /// The engine's settings (`GIRO_*`, as its adapter reads them) pointing at it on `url`, with
    /// the credentials it was started with.
    fn engine_settings(&self, url: String) -> Vec<(&'static str, String)>;
    /// Lifts its limits for a load run (`giro bench e2e`): no rate limit on either side and
    /// balances no run exhausts.
    fn for_load(&mut self);
    /// Scenario codes beyond 11–19 the simulator implements, with what each does, for its column
    /// of `giro sandbox --help` ([`SimulatorHelp::scenarios`] covers 11–19). None by default: an
    /// amount with such a code then behaves there as any other amount.
    fn more_scenarios() -> &'static [(u8, &'static str)]
    where
        Self: Sized,
    {
        &[]
    }
}

impl Clone for Box<dyn SimulatorArgs> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// What one simulator is started with (its folder's `…Config`).
pub trait SimulatorConfig: Any + Debug + Send + Sync {
    /// The simulator's [`Simulator::name`].
    fn name(&self) -> &'static str;
    /// A copy, boxed.
    fn clone_box(&self) -> Box<dyn SimulatorConfig>;
    /// Starts it with the run's shared pieces.
    fn start(self: Box<Self>, common: Common) -> Starting;
}

impl Clone for Box<dyn SimulatorConfig> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A simulator's part of `giro sandbox --help`.
#[derive(Debug)]
pub struct SimulatorHelp {
    /// Heading of its column in the scenario table.
    pub column: &'static str,
    /// What scenario codes 11 to 19 do, in order.
    pub scenarios: [&'static str; 9],
    /// One amount and what it does, e.g. `KillB 500011 COP -> FAILED`.
    pub example: &'static str,
    /// More lines under the scenario table (each ends with a newline; may be empty).
    pub notes: &'static str,
    /// Its own form of run-wide faults: the fault's name and what it does here.
    pub faults: &'static [(&'static str, &'static str)],
    /// Its own introspection endpoints (each line ends with a newline; may be empty).
    pub introspection: &'static str,
}

/// Which command a [`Sample`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SampleKind {
    /// `giro.cmd.payout.create`.
    Payout,
    /// `giro.cmd.charge.create`.
    Charge,
}

impl SampleKind {
    /// `payout` or `charge`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payout => "payout",
            Self::Charge => "charge",
        }
    }
}

/// An order to send to the engine whose outcome the simulator decides.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// The provider instance the order names.
    pub instance: &'static str,
    /// Which command.
    pub kind: SampleKind,
    /// Whole units; the last two digits pick the simulator's scenario.
    pub amount: u64,
    /// For charges, the payment method (empty for payouts).
    pub method: &'static str,
    /// The engine's final status of the order.
    pub outcome: &'static str,
    /// The command's JSON for one order.
    pub body: fn(&SampleOrder<'_>) -> serde_json::Value,
}

/// One order made from a [`Sample`].
#[derive(Clone, Copy, Debug)]
pub struct SampleOrder<'a> {
    /// The provider instance it names.
    pub instance: &'a str,
    /// Its idempotency key (also its external id where the command has one).
    pub key: &'a str,
    /// The amount as sent.
    pub amount: &'a str,
    /// The payment method of a charge.
    pub method: &'a str,
    /// Its place in a run: varies names and numbers from one order to the next.
    pub n: usize,
}

impl Sample {
    /// Order `n` of a run, with this sample's instance and method.
    pub fn order<'a>(&self, key: &'a str, amount: &'a str, n: usize) -> SampleOrder<'a> {
        SampleOrder {
            instance: self.instance,
            key,
            amount,
            method: self.method,
            n,
        }
    }

    /// The command's JSON for `order`.
    pub fn body(&self, order: &SampleOrder<'_>) -> serde_json::Value {
        (self.body)(order)
    }
}

/// A Colombian bank payout (`co_bank`), as the simulators paying to Colombian banks take it.
pub(crate) fn co_bank_payout(order: &SampleOrder<'_>) -> serde_json::Value {
    const NAMES: [(&str, &str); 4] = [
        ("Maria", "Garcia"),
        ("Andres", "Lopez"),
        ("Camila", "Rojas"),
        ("Juan", "Moreno"),
    ];
    let n = order.n;
    let (first, last) = NAMES[n % NAMES.len()];
    serde_json::json!({
        "idempotency_key": order.key, "provider": order.instance, "amount": order.amount,
        "currency": "COP", "external_id": order.key,
        "beneficiary": {"rail": "co_bank", "first_name": first, "last_name": last,
                        "email": "beneficiary@example.com", "phone": "3001234567",
                        "document": {"type": "CC", "number": format!("{}", 12_345_678 + n)},
                        "bank_code": "007", "account_number": format!("{}", 123_456_789 + n),
                        "account_type": "savings"}
    })
}

/// Every sample of every simulator, in [`crate::SIMULATORS`] order.
pub fn samples() -> Vec<Sample> {
    crate::SIMULATORS.iter().flat_map(|s| s.samples()).collect()
}

/// The first payout sample of each instance that ends `succeeded`, in instance order: the
/// payouts a throughput run sends round-robin.
pub fn payout_successes() -> Vec<Sample> {
    let mut found: Vec<Sample> = Vec::new();
    for sample in samples() {
        if sample.kind == SampleKind::Payout
            && sample.outcome == "succeeded"
            && !found.iter().any(|f| f.instance == sample.instance)
        {
            found.push(sample);
        }
    }
    found
}

/// The first sample of `kind` for `instance` (any instance when `None`).
pub fn sample_for(kind: SampleKind, instance: Option<&str>) -> Option<Sample> {
    samples()
        .into_iter()
        .find(|s| s.kind == kind && instance.is_none_or(|i| i == s.instance))
}

/// Every sample, interleaved by instance (the first of each instance, then the second, …), so
/// a short run still reaches every instance.
pub fn rotation() -> Vec<Sample> {
    let mut by_instance: Vec<Vec<Sample>> = Vec::new();
    for sample in samples() {
        match by_instance
            .iter_mut()
            .find(|group| group[0].instance == sample.instance)
        {
            Some(group) => group.push(sample),
            None => by_instance.push(vec![sample]),
        }
    }
    let rounds = by_instance.iter().map(Vec::len).max().unwrap_or(0);
    (0..rounds)
        .flat_map(|r| by_instance.iter().filter_map(move |g| g.get(r).copied()))
        .collect()
}
