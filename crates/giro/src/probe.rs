//! `giro probe URL`: a health check for containers whose image holds nothing but `giro` (no curl,
//! no shell): GET the URL and exit 0 on a 2xx answer within the time-out, 1 otherwise, saying why
//! on standard error.

use std::process::ExitCode;
use std::time::Duration;

/// `giro probe`.
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// What to GET, e.g. http://127.0.0.1:8082/readyz.
    pub url: String,
    /// How long the answer may take.
    #[arg(long, default_value = "3s", value_parser = humantime_secs)]
    pub timeout: Duration,
}

/// `3s`, `500ms` or a number of seconds.
fn humantime_secs(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = if let Some(ms) = text.strip_suffix("ms") {
        ms.parse::<u64>().map(Duration::from_millis).ok()
    } else {
        text.strip_suffix('s')
            .unwrap_or(text)
            .parse::<u64>()
            .map(Duration::from_secs)
            .ok()
    };
    parsed.ok_or_else(|| format!("{text:?} is not a duration like 3s or 500ms"))
}

pub async fn run(args: &ProbeArgs) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match reqwest::Client::builder().timeout(args.timeout).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("giro probe: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(&args.url).send().await {
        Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
        Ok(r) => {
            eprintln!("giro probe: {} answered {}", args.url, r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("giro probe: {}: {e}", args.url);
            ExitCode::FAILURE
        }
    }
}
