//! `giro sandbox`: options, environment fallbacks, the help text and `run`.

use clap::{CommandFactory, Parser};
use giro_sandbox::cli::{SandboxArgs, run};
use giro_sandbox::{Ack, Sandbox};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

#[test]
fn defaults_environment_and_flags() {
    let cli = Cli::parse_from(["giro"]);
    let config = cli.args.config();
    assert_eq!(
        config
            .get::<giro_sandbox::killb::KillbConfig>()
            .unwrap()
            .email,
        "sandbox@giro.local"
    );
    assert_eq!(
        config
            .get::<giro_sandbox::cashy::CashyConfig>()
            .unwrap()
            .merchants
            .len(),
        2
    );
    assert_eq!(
        config
            .get::<giro_sandbox::cashy::CashyConfig>()
            .unwrap()
            .merchants[0]
            .ack,
        Ack::BodySuccess
    );
    assert_eq!(
        config
            .get::<giro_sandbox::cashy::CashyConfig>()
            .unwrap()
            .merchants[1]
            .ack,
        Ack::Status200Or3xx
    );
    assert_eq!(config.timing.time_scale, 1.0);

    // SAFETY: this is the only test in the binary that touches the environment.
    unsafe { std::env::set_var("GIRO_SANDBOX_CASHY_CO_MERCHANT", "777") };
    let cli = Cli::parse_from([
        "giro",
        "--no-a55",
        "--lose-response",
        "0.3",
        "--seed",
        "9",
        "--time-scale",
        "0.001",
    ]);
    unsafe { std::env::remove_var("GIRO_SANDBOX_CASHY_CO_MERCHANT") };
    let config = cli.args.config();
    assert_eq!(
        config
            .get::<giro_sandbox::cashy::CashyConfig>()
            .unwrap()
            .merchants[0]
            .merchant_id,
        "777"
    );
    assert!(config.get::<giro_sandbox::a55::A55Config>().is_none());
    assert_eq!(config.faults.lose_response, 0.3);
    assert_eq!(config.seed, 9);
    assert_eq!(config.timing.time_scale, 0.001);
}

#[test]
fn help_documents_every_scenario_and_fault() {
    let help = Cli::command().render_long_help().to_string();
    for code in (11..=19).chain([21]) {
        assert!(help.contains(&format!("  {code}  ")), "scenario {code}");
    }
    for fault in [
        "latency",
        "error_5xx",
        "rate_limit",
        "maintenance",
        "lose_response",
        "hang_response",
        "drop_callback",
        "duplicate_callback",
        "delay_callback",
        "reorder_callbacks",
        "reverse_later",
    ] {
        assert!(help.contains(fault), "{fault}");
    }
    for flag in [
        "--seed",
        "--time-scale",
        "--killb-signature",
        "--callback-resolve",
        "--a55-legacy-webhooks",
        "GIRO_SANDBOX_SEED",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
    assert!(help.contains("X-Sandbox-Fault") && help.contains("/_sandbox/summary"));
}

#[tokio::test]
async fn run_reports_a_taken_address_and_config_starts_on_free_ports() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let cli = Cli::parse_from(["giro", "--killb-addr", &addr, "--no-cashy", "--no-a55"]);
    let error = run(cli.args).await.unwrap_err();
    assert!(error.to_string().contains("killb"), "{error}");

    let cli = Cli::parse_from([
        "giro",
        "--killb-addr",
        "127.0.0.1:0",
        "--cashy-addr",
        "127.0.0.1:0",
        "--a55-addr",
        "127.0.0.1:0",
    ]);
    let sandbox = Sandbox::start(cli.args.config()).await.unwrap();
    assert_ne!(sandbox.killb_addr().unwrap().port(), 0);
    assert_ne!(sandbox.cashy_addr().unwrap().port(), 0);
    assert_ne!(sandbox.a55_addr().unwrap().port(), 0);
}

/// The README's scenario table and the help's list the same codes, and the help names the
/// statement route.
#[test]
fn readme_scenario_table_matches_the_help() {
    let help = Cli::command().render_long_help().to_string();
    let readme = include_str!("../../README.md");
    let (_, scenarios) = help.split_once("SCENARIOS").expect("a SCENARIOS section");
    let scenarios = scenarios.split("FAULTS").next().unwrap_or_default();
    let two_digits = |t: &&str| t.len() == 2 && t.chars().all(|c| c.is_ascii_digit());
    let in_help: Vec<&str> = scenarios
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(two_digits)
        .collect();
    let (_, table) = readme
        .split_once("## Scenarios")
        .expect("a Scenarios section");
    let in_readme: Vec<&str> = table
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(two_digits)
        .collect();
    assert!(in_help.contains(&"21"), "{in_help:?}");
    assert_eq!(in_help, in_readme);
    assert!(help.contains("/_sandbox/{simulator}/statement?date=YYYY-MM-DD"));
}
