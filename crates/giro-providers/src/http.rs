//! The HTTP plumbing every provider client shares: one pooled client with time-outs, calls whose
//! failures say whether the request was ever sent, and the provider's "retry after" hints.
//!
//! Whether a request was sent is what separates a safe retry from a possible double payout: a
//! refused connection means the provider never saw the request; a time-out or a connection closed
//! after sending means it may have processed it.

use std::error::Error as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode, Url};
use tracing::Instrument;

mod redact;

pub(crate) use redact::mask_text;

/// The HTTP client could not be built, or a base URL is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("base URL {url:?} is not an absolute http(s) URL: {reason}")]
    BaseUrl { url: String, reason: String },
}

/// A pooled client: `timeout` bounds a whole call (connect, send, answer); connecting alone gets at
/// most 10 s of it. Build one per provider instance and share it.
pub fn client(timeout: Duration) -> Result<reqwest::Client, BuildError> {
    // reqwest is built with `rustls-no-provider`: the process must pick the crypto provider. An
    // error here means one is installed already, which is what is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(50))
        .pool_max_idle_per_host(32)
        .user_agent(concat!("giro-executor/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BuildError::Client(describe(&e)))
}

/// Parses a provider's base URL, refusing anything a path cannot be appended to.
pub fn base_url(url: &str) -> Result<Url, BuildError> {
    let invalid = |reason: &str| BuildError::BaseUrl {
        url: without_userinfo(url),
        reason: reason.to_string(),
    };
    let parsed = Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
        return Err(invalid("expected http:// or https://"));
    }
    Ok(parsed)
}

/// `url` without the `user:password@` it may carry, for error messages.
fn without_userinfo(url: &str) -> String {
    let rest = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[rest..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| rest + i);
    match url[rest..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &url[..rest], &url[rest + at + 1..]),
        None => url.to_string(),
    }
}

/// `base` with `segments` appended, each percent-encoded (ids from a provider never change the
/// path). An empty last segment gives a trailing slash, as A55's paths have.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// A provider's answer, read to the end. Its `Debug` shows the header names and a masked snippet
/// of the body, never the body itself (a provider may echo the request).
#[derive(Clone)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as `T`, or why it is not one (masked: the parser's message may quote a value).
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("{} in {}", mask_text(&e.to_string()), snippet(&self.body)))
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body", &snippet(&self.body))
            .finish()
    }
}

/// Why a call produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallError {
    /// The request never left (connection refused, DNS failure, connect time-out).
    #[error("the request was not sent: {0}")]
    NotSent(String),
    /// The request was (or may have been) sent, and the answer did not arrive.
    #[error("the request was sent but its answer was lost: {0}")]
    Lost(String),
}

/// Sends `request` to `provider` and reads the whole answer, in a `provider.call` span whose
/// W3C trace context travels in the request's headers; its latency is recorded in
/// `giro_provider_call_seconds` by provider, operation (method and path, ids left out) and outcome.
pub(crate) async fn call(provider: &str, request: RequestBuilder) -> Result<Answer, CallError> {
    let (client, built) = request.build_split();
    let mut request = built.map_err(|e| CallError::NotSent(describe(&e)))?;
    let operation = operation(request.method(), request.url());
    let url = request.url();
    // A client span with HTTP's semantic-convention attributes; the URL without its query, which
    // may hold references.
    let span = tracing::info_span!(
        "provider.call",
        otel.name = %operation,
        otel.kind = "client",
        provider,
        operation = %operation,
        http.request.method = %request.method(),
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default().unwrap_or_default(),
        url.full = %format_args!(
            "{}://{}{}{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port().map(|p| format!(":{p}")).unwrap_or_default(),
            url.path()
        ),
        http.response.status_code = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    inject_trace(&span, request.headers_mut());
    let started = std::time::Instant::now();
    let result = send(&client, request).instrument(span.clone()).await;
    let outcome = match &result {
        Ok(answer) => {
            let status = answer.status.as_u16();
            span.record("status", status);
            span.record("http.response.status_code", status);
            if status >= 400 {
                giro_telemetry::trace::fail(
                    &span,
                    answer.status.as_str(),
                    answer.status.to_string(),
                );
            }
            match status {
                200..=299 => "2xx",
                300..=399 => "3xx",
                400..=499 => "4xx",
                _ => "5xx",
            }
        }
        Err(CallError::NotSent(_)) => "not_sent",
        Err(CallError::Lost(_)) => "lost",
    };
    if let Err(e) = &result {
        giro_telemetry::trace::fail(&span, outcome, e.to_string());
    }
    giro_telemetry::metrics::provider_call(provider, &operation, outcome, started.elapsed());
    result
}

async fn send(client: &reqwest::Client, request: reqwest::Request) -> Result<Answer, CallError> {
    let response = client.execute(request).await.map_err(|e| {
        if e.is_builder() || e.is_connect() {
            CallError::NotSent(describe(&e))
        } else {
            CallError::Lost(describe(&e))
        }
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| CallError::Lost(describe(&e)))?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `POST /api/v2/payouts/{id}`: the method and path with every segment holding a digit (ids,
/// references) replaced, so the label stays low-cardinality.
fn operation(method: &reqwest::Method, url: &Url) -> String {
    let path: Vec<&str> = url
        .path_segments()
        .map(|s| {
            s.filter(|seg| !seg.is_empty())
                .map(|seg| {
                    if seg.chars().any(|c| c.is_ascii_digit()) {
                        "{id}"
                    } else {
                        seg
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    format!("{method} /{}", path.join("/"))
}

/// Writes `span`'s W3C trace context into the outgoing request's headers.
fn inject_trace(span: &tracing::Span, headers: &mut HeaderMap) {
    for (name, value) in giro_telemetry::trace::w3c_headers(span) {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
}

/// A reqwest error with its causes, without the URL (which may carry ids, never credentials, but
/// is noise in an event).
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_string()
    } else {
        String::new()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.is_empty() {
        error.to_string()
    } else {
        text
    }
}

/// The first 200 characters of a body with credentials, e-mail addresses and long digit runs
/// masked ([`mask_text`]), for error messages, logs and the reasons stored in events.
pub(crate) fn snippet(body: &[u8]) -> String {
    const SHOWN: usize = 200;
    // Masked before it is cut, so a value cut in half is still recognised; the masked text of
    // these many characters holds the first 200 shown ones whatever masking shortened.
    const READ: usize = 4 * SHOWN;
    let text = String::from_utf8_lossy(body);
    let read: String = text.chars().take(READ).collect();
    let masked = mask_text(&read);
    let mut out: String = masked.chars().take(SHOWN).collect();
    if masked.chars().count() > SHOWN || text.chars().count() > READ {
        out.push('…');
    }
    out
}

/// How long a provider asked to wait: `X-RateLimit-Reset` as seconds to wait or as the unix time
/// of the reset (both are in use), else `Retry-After` in seconds. `now_unix` is the current unix
/// time in seconds.
pub(crate) fn retry_after(headers: &HeaderMap, now_unix: i64) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    // Below this it is a number of seconds; above, a unix time (2001-09-09 onwards).
    const EPOCH_FROM: u64 = 1_000_000_000;
    match number("x-ratelimit-reset") {
        Some(reset) if reset >= EPOCH_FROM => {
            let now = u64::try_from(now_unix).unwrap_or(0);
            Some(Duration::from_secs(reset.saturating_sub(now)))
        }
        Some(seconds) => Some(Duration::from_secs(seconds)),
        None => number("retry-after").map(Duration::from_secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn reset_is_read_as_seconds_or_as_a_unix_time() {
        let now = 1_700_000_000;
        let h = headers(&[("x-ratelimit-reset", "1700000003")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3)));
        let h = headers(&[("x-ratelimit-reset", "7")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let h = headers(&[("x-ratelimit-reset", "1600000000")]);
        assert_eq!(
            retry_after(&h, now),
            Some(Duration::ZERO),
            "a reset in the past"
        );
        let h = headers(&[("retry-after", "2")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(2)));
        let h = headers(&[("x-ratelimit-reset", "soon")]);
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn endpoints_encode_their_segments() {
        let base = base_url("http://127.0.0.1:7101").unwrap();
        let url = endpoint(&base, &["api", "v2", "payouts", "a/b c"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:7101/api/v2/payouts/a%2Fb%20c"
        );
        let base = base_url("https://example.com/prefix/").unwrap();
        let url = endpoint(&base, &["charge", "x", ""]);
        assert_eq!(url.as_str(), "https://example.com/prefix/charge/x/");
        assert!(base_url("mailto:ops@example.com").is_err());
        assert!(base_url("not a url").is_err());
    }

    #[test]
    fn snippets_are_short() {
        assert_eq!(snippet(b"short"), "short");
        assert_eq!(snippet(&[b'x'; 300]).chars().count(), 201);
        assert_eq!(snippet(&[b'x'; 2000]).chars().count(), 201);
    }

    /// A provider that echoes the request in an unreadable answer: what reaches errors, logs and
    /// `outcome_unknown` reasons holds none of it.
    const ECHO: &str = r#"<error>bad gateway; request was {"accountNo":"40087654321","idCard":"8001234567","email":"wilhelmina.q@example.org","phone":"3157654321","Authorization":"Bearer kb_at_5f3e9d","refreshToken":"kb_rt_77aa"}</error>"#;
    const RAW: [&str; 6] = [
        "40087654321",
        "8001234567",
        "wilhelmina.q@example.org",
        "3157654321",
        "kb_at_5f3e9d",
        "kb_rt_77aa",
    ];

    #[test]
    fn snippets_mask_echoed_personal_data_and_tokens() {
        let shown = snippet(ECHO.as_bytes());
        for raw in RAW {
            assert!(!shown.contains(raw), "{raw} in {shown}");
        }
        assert!(shown.contains("****4321"), "{shown}");
        assert!(shown.contains("w***@example.org"), "{shown}");
        // A value cut by the 200 characters is masked as a whole first.
        let long = format!("{}{}", "x".repeat(190), "account 40087654321");
        let shown = snippet(long.as_bytes());
        assert!(!shown.contains("4008765"), "{shown}");
    }

    #[test]
    fn unreadable_answers_and_their_debug_are_masked() {
        let answer = Answer {
            status: StatusCode::BAD_GATEWAY,
            headers: headers(&[("set-cookie", "session=kb_at_5f3e9d")]),
            body: Bytes::from_static(ECHO.as_bytes()),
        };
        let error = answer.json::<serde_json::Value>().unwrap_err();
        let debug = format!("{answer:?}");
        for text in [&error, &debug] {
            for raw in RAW {
                assert!(!text.contains(raw), "{raw} in {text}");
            }
        }
        assert!(debug.contains("set-cookie"), "{debug}");
        // serde's own message quotes the value it could not use.
        let answer = Answer {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(br#"{"n": "40087654321"}"#),
        };
        let error = answer
            .json::<std::collections::HashMap<String, u64>>()
            .unwrap_err();
        assert!(!error.contains("40087654321"), "{error}");
    }

    #[test]
    fn base_url_errors_hide_credentials() {
        let err = base_url("ftp://ops:hunter2@example.com/x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("ftp://***@example.com/x"), "{err}");
        assert_eq!(
            without_userinfo("https://example.com/a@b"),
            "https://example.com/a@b"
        );
    }
}
