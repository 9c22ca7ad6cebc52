//! The projection's query API (CONTRACT.md §4) as the command line reads it: one request, its
//! body, or why there is none in words a user can act on.

use std::path::Path;
use std::time::Duration;

use giro_auth::Role;
use serde_json::Value;

/// Sends the request `build` makes (from a client and the API's base URL without a trailing
/// slash) to the query API at `api`: the answer's body when it succeeded, else why not, with the
/// API's error code and message.
pub(crate) async fn call(
    api: &str,
    timeout: Duration,
    build: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> Result<String, String> {
    // reqwest is built with `rustls-no-provider`: the process picks the crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let mut request = build(&http, api.trim_end_matches('/'));
    if let Some(token) = reader_token() {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| {
        format!(
            "cannot reach the query API at {api}: {} (is `giro up` or `giro projection` \
                 running? set --api or GIRO_API_URL)",
            error_chain(&e)
        )
    })?;
    let status = response.status();
    let url = response.url().to_string();
    let body = response
        .text()
        .await
        .map_err(|e| format!("reading the answer of {url}: {}", error_chain(&e)))?;
    if status.is_success() {
        return Ok(body);
    }
    let reason = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            let e = &v["error"];
            Some(format!(
                "{}: {}",
                e["code"].as_str()?,
                e["message"].as_str().unwrap_or_default()
            ))
        })
        .unwrap_or_else(|| body.chars().take(300).collect());
    Err(format!("the query API answered {status}: {reason}"))
}

/// The token the query API is read with (it needs a viewer's when operator keys are set):
/// `GIRO_OPERATOR_TOKEN` when set; else, where `giro up` made development keys (`.giro/dev-keys/`
/// of the working folder), a viewer token minted from them for ten minutes; else none.
fn reader_token() -> Option<String> {
    if let Some(token) = std::env::var("GIRO_OPERATOR_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        return Some(token);
    }
    let keys = giro_auth::dev::DevKeys::open(Path::new(crate::ops::DEV_KEYS_DIR)).ok()??;
    keys.mint("dev-cli", &[Role::Viewer], Duration::from_secs(600))
        .ok()
}

/// An error and its sources, one line ("connection refused" is in a source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
