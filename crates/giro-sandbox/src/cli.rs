//! `giro sandbox`: the command-line face of the simulators. Each simulator adds its own options
//! ([`crate::Simulator::augment_args`]); the run-wide ones (timing, faults, seed) are here.

mod help;
pub use help::after_help;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{ArgMatches, Args, Command, FromArgMatches};

use crate::simulator::SimulatorArgs;
use crate::{FaultSettings, SIMULATORS, Sandbox, SandboxConfig, Timing};

/// Options of `giro sandbox` (and of the sandboxes `giro up` starts): every simulator's, then the
/// run-wide ones. Every option also reads a `GIRO_SANDBOX_*` environment variable; the credential
/// defaults are sandbox credentials, not secrets.
#[derive(Debug, Clone)]
pub struct SandboxArgs {
    /// Timing, faults and seed of the run.
    pub run: RunArgs,
    simulators: Vec<Box<dyn SimulatorArgs>>,
}

/// The run-wide options of `giro sandbox`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Multiplier for documented schedules (callback retries): 1 is real time, 0.001 makes a minute 60 ms.
    #[arg(long, env = "GIRO_SANDBOX_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,
    /// Dwell in each in-flight status, in milliseconds.
    #[arg(long, env = "GIRO_SANDBOX_STEP_DELAY_MS", default_value_t = 2000)]
    pub step_delay_ms: u64,
    /// Delay before a reversal (SUCCESS→FAIL, COMPLETED→REFUNDED, paid→refunded), in milliseconds.
    #[arg(long, env = "GIRO_SANDBOX_REVERSAL_DELAY_MS", default_value_t = 10_000)]
    pub reversal_delay_ms: u64,
    /// Time-out of one callback attempt, in milliseconds.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CALLBACK_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub callback_timeout_ms: u64,

    /// Callbacks to HOST go to IP, without asking DNS (as curl's --resolve; the callback URL's port
    /// is kept): HOST=IP, repeatable or comma-separated. giro.localhost, the host of Giro's
    /// development public URL, is the loopback address unless mapped otherwise.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CALLBACK_RESOLVE",
        value_name = "HOST=IP",
        value_delimiter = ',',
        value_parser = parse_resolve
    )]
    pub callback_resolve: Vec<(String, IpAddr)>,
    /// Seed of all randomness (fault draws, card ending in 9, ids).
    #[arg(long, env = "GIRO_SANDBOX_SEED", default_value_t = 0)]
    pub seed: u64,
    /// Fault: latency added to every provider request (ms).
    #[arg(long, env = "GIRO_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault: probability of a 5xx before processing.
    #[arg(long, env = "GIRO_SANDBOX_ERROR_5XX", default_value_t = 0.0)]
    pub error_5xx: f64,
    /// Fault: probability of a rate-limit answer (429, or the provider's own form).
    #[arg(long, env = "GIRO_SANDBOX_RATE_LIMIT", default_value_t = 0.0)]
    pub rate_limit: f64,
    /// Fault: probability of a maintenance answer (503, or the provider's own form).
    #[arg(long, env = "GIRO_SANDBOX_MAINTENANCE", default_value_t = 0.0)]
    pub maintenance: f64,
    /// Fault: probability of processing then closing the connection without answering.
    #[arg(long, env = "GIRO_SANDBOX_LOSE_RESPONSE", default_value_t = 0.0)]
    pub lose_response: f64,
    /// Fault: probability of processing then holding the connection for --hang-ms, unanswered.
    #[arg(long, env = "GIRO_SANDBOX_HANG_RESPONSE", default_value_t = 0.0)]
    pub hang_response: f64,
    /// How long a hung response is held (ms; 0 means 60000).
    #[arg(long, env = "GIRO_SANDBOX_HANG_MS", default_value_t = 0)]
    pub hang_ms: u64,
    /// Fault: probability that a callback is never sent.
    #[arg(long, env = "GIRO_SANDBOX_DROP_CALLBACK", default_value_t = 0.0)]
    pub drop_callback: f64,
    /// Fault: probability that a callback is delivered twice.
    #[arg(long, env = "GIRO_SANDBOX_DUPLICATE_CALLBACK", default_value_t = 0.0)]
    pub duplicate_callback: f64,
    /// Fault: probability that a callback is delayed by --callback-delay-ms.
    #[arg(long, env = "GIRO_SANDBOX_DELAY_CALLBACK", default_value_t = 0.0)]
    pub delay_callback: f64,
    /// Extra wait of a delayed callback (ms; 0 means 5000).
    #[arg(long, env = "GIRO_SANDBOX_CALLBACK_DELAY_MS", default_value_t = 0)]
    pub callback_delay_ms: u64,
    /// Fault: probability (per order) that a callback is sent after the next one.
    #[arg(long, env = "GIRO_SANDBOX_REORDER_CALLBACKS", default_value_t = 0.0)]
    pub reorder_callbacks: f64,
    /// Fault: probability (per order) that the final result is reversed later.
    #[arg(long, env = "GIRO_SANDBOX_REVERSE_LATER", default_value_t = 0.0)]
    pub reverse_later: f64,
}

impl FromArgMatches for SandboxArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self {
            run: RunArgs::from_arg_matches(matches)?,
            simulators: SIMULATORS
                .iter()
                .map(|s| s.args(matches))
                .collect::<Result<_, _>>()?,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for SandboxArgs {
    fn augment_args(command: Command) -> Command {
        let command = SIMULATORS
            .iter()
            .fold(command, |command, s| s.augment_args(command));
        let labels: Vec<&str> = SIMULATORS.iter().map(|s| s.label()).collect();
        let about = match labels.split_last() {
            Some((last, [])) => format!("Run the {last} provider simulator"),
            Some((last, rest)) => {
                format!("Run the {} and {last} provider simulators", rest.join(", "))
            }
            None => "Run the provider simulators".to_owned(),
        };
        RunArgs::augment_args(command)
            .about(about)
            .after_help(after_help())
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl SandboxArgs {
    /// The options of an automated in-process run (the end-to-end harness, `giro bench e2e`):
    /// each simulator's [`crate::Simulator::harness_flags`], then `flags` (a later option wins over an
    /// earlier one); the environment and the defaults fill in the rest, as on the command line.
    pub fn automated(flags: &[String]) -> Result<Self, clap::Error> {
        let command = Self::augment_args(Command::new("giro")).args_override_self(true);
        let own = SIMULATORS
            .iter()
            .flat_map(|s| s.harness_flags().iter().map(|f| (*f).to_owned()));
        let matches = command.try_get_matches_from(
            std::iter::once("giro".to_owned())
                .chain(own)
                .chain(flags.iter().cloned()),
        )?;
        Self::from_arg_matches(&matches)
    }

    /// The engine's provider settings (`GIRO_*` names, as the adapters read them) that point it
    /// at `sandbox`'s simulators, with the credentials these arguments started them with.
    pub fn engine_settings(&self, sandbox: &Sandbox) -> Vec<(&'static str, String)> {
        self.simulators
            .iter()
            .filter_map(|s| Some(s.engine_settings(sandbox.url(s.name())?)))
            .flatten()
            .collect()
    }

    /// Tells the simulators that call back to one configured URL to call the ingress at
    /// `public`, unless set already (the others are told with each order).
    pub fn call_back_to(&mut self, public: &str) {
        let public = public.trim_end_matches('/');
        for s in &mut self.simulators {
            s.call_back_to(public);
        }
    }

    /// Sends callbacks to `host` to `ip` without asking DNS (what `--callback-resolve` does).
    pub fn resolve_callbacks(&mut self, host: &str, ip: IpAddr) {
        crate::config::resolve(&mut self.run.callback_resolve, host, ip);
    }

    /// Giro's development public URL for an ingress listening on `ingress`:
    /// `http://giro.localhost:<port>` ([`crate::LOCAL_CALLBACK_HOST`], a name because providers
    /// refuse IP addresses), which the simulators are told to call back (see
    /// [`SandboxArgs::call_back_to`]) and resolve to `ingress`'s address (the loopback address
    /// for an unspecified one) without DNS.
    pub fn call_back_locally(&mut self, ingress: SocketAddr) -> String {
        let ip = match ingress.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        self.resolve_callbacks(crate::LOCAL_CALLBACK_HOST, ip);
        let public = format!("http://{}:{}", crate::LOCAL_CALLBACK_HOST, ingress.port());
        self.call_back_to(&public);
        public
    }

    /// Lifts every simulator's limits for a load run (see [`SimulatorArgs::for_load`]).
    pub fn for_load(&mut self) {
        for s in &mut self.simulators {
            s.for_load();
        }
    }

    /// The library configuration these options describe.
    pub fn config(&self) -> SandboxConfig {
        SandboxConfig {
            simulators: self.simulators.iter().filter_map(|s| s.config()).collect(),
            timing: Timing {
                time_scale: self.run.time_scale,
                step_delay: Duration::from_millis(self.run.step_delay_ms),
                reversal_delay: Duration::from_millis(self.run.reversal_delay_ms),
                callback_timeout: Duration::from_millis(self.run.callback_timeout_ms),
            },
            faults: FaultSettings {
                latency_ms: self.run.latency_ms,
                error_5xx: self.run.error_5xx,
                rate_limit: self.run.rate_limit,
                maintenance: self.run.maintenance,
                lose_response: self.run.lose_response,
                hang_response: self.run.hang_response,
                hang_ms: self.run.hang_ms,
                drop_callback: self.run.drop_callback,
                duplicate_callback: self.run.duplicate_callback,
                delay_callback: self.run.delay_callback,
                callback_delay_ms: self.run.callback_delay_ms,
                reorder_callbacks: self.run.reorder_callbacks,
                reverse_later: self.run.reverse_later,
                down_for_maintenance: vec![],
            },
            seed: self.run.seed,
            callback_resolve: self.run.callback_resolve.iter().fold(
                SandboxConfig::default().callback_resolve,
                |mut map, (host, ip)| {
                    crate::config::resolve(&mut map, host, *ip);
                    map
                },
            ),
        }
    }
}

/// `HOST=IP` of `--callback-resolve`.
fn parse_resolve(raw: &str) -> Result<(String, IpAddr), String> {
    let (host, ip) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw:?} is not HOST=IP"))?;
    let host = host.trim();
    if host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return Err(format!("{host:?} is not a host name"));
    }
    let ip = ip
        .trim()
        .parse()
        .map_err(|_| format!("{ip:?} is not an IP address"))?;
    Ok((host.to_owned(), ip))
}

/// Runs the simulators until Ctrl-C.
pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(args.config()).await?;
    for (name, url) in sandbox.urls() {
        tracing::info!(provider = name, %url, "sandbox listening");
        println!("{name} sandbox listening on {url}");
    }
    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal?,
        () = sandbox.stopped() => {}
    }
    sandbox.shutdown();
    Ok(())
}
