//! `/metrics` in the format the scraper asks for: the Prometheus text format (0.0.4) by default,
//! which Prometheus, promtool and most agents read, and OpenMetrics 1.0 when the `Accept` header
//! names `application/openmetrics-text`. The metrics are encoded as OpenMetrics
//! (prometheus-client's format) and rewritten for the text format: a counter family is named with
//! its `_total` in `# HELP` and `# TYPE` (so its samples have their help text), `_created`
//! samples, exemplars, `# UNIT` and `# EOF` are dropped.

use std::collections::HashSet;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The content type of OpenMetrics 1.0.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The answer to a scrape of `openmetrics` (an OpenMetrics exposition) with `request_headers`.
pub fn respond(request_headers: &HeaderMap, openmetrics: String) -> Response {
    let wants_openmetrics = request_headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let (content_type, body) = if wants_openmetrics {
        (OPENMETRICS, openmetrics)
    } else {
        (PROMETHEUS_TEXT, prometheus_text(&openmetrics))
    };
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// `openmetrics` rewritten in the Prometheus text format.
pub fn prometheus_text(openmetrics: &str) -> String {
    let mut counters = HashSet::new();
    let mut created = HashSet::new();
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            if let (Some(name), Some(kind)) = (parts.next(), parts.next()) {
                if kind == "counter" {
                    counters.insert(name.to_string());
                }
                if matches!(kind, "counter" | "histogram" | "summary") {
                    created.insert(format!("{name}_created"));
                }
            }
        }
    }
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            let name = family_name(name, &counters);
            out.push_str(&format!("# HELP {name} {help}\n"));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let kind = match kind {
                "counter" | "gauge" | "histogram" | "summary" => kind,
                _ => "untyped",
            };
            out.push_str(&format!("# TYPE {} {kind}\n", family_name(name, &counters)));
            continue;
        }
        if line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        if created.contains(name) {
            continue;
        }
        // An exemplar follows the value after ` # `; the text format has none.
        let sample = match line.find(" # ") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(sample);
        out.push('\n');
    }
    out
}

/// A counter family's name as its samples are written (`x` → `x_total`).
fn family_name(name: &str, counters: &HashSet<String>) -> String {
    if counters.contains(name) && !name.ends_with("_total") {
        format!("{name}_total")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENMETRICS_SAMPLE: &str = "# HELP giro_commands Commands handled.\n\
# TYPE giro_commands counter\n\
giro_commands_total{command=\"payout.create\",result=\"ok\"} 3\n\
giro_commands_created{command=\"payout.create\",result=\"ok\"} 1700000000.0\n\
# HELP giro_call_seconds Provider call time.\n\
# TYPE giro_call_seconds histogram\n\
# UNIT giro_call_seconds seconds\n\
giro_call_seconds_bucket{le=\"0.1\"} 1 # {trace_id=\"abc\"} 0.05 1700000000.0\n\
giro_call_seconds_bucket{le=\"+Inf\"} 1\n\
giro_call_seconds_sum 0.05\n\
giro_call_seconds_count 1\n\
# HELP giro_balance A balance.\n\
# TYPE giro_balance gauge\n\
giro_balance{provider=\"killb\"} 10.5\n\
# EOF\n";

    #[test]
    fn counters_are_named_with_total_and_openmetrics_only_lines_go() {
        let text = prometheus_text(OPENMETRICS_SAMPLE);
        assert_eq!(
            text,
            "# HELP giro_commands_total Commands handled.\n\
# TYPE giro_commands_total counter\n\
giro_commands_total{command=\"payout.create\",result=\"ok\"} 3\n\
# HELP giro_call_seconds Provider call time.\n\
# TYPE giro_call_seconds histogram\n\
giro_call_seconds_bucket{le=\"0.1\"} 1\n\
giro_call_seconds_bucket{le=\"+Inf\"} 1\n\
giro_call_seconds_sum 0.05\n\
giro_call_seconds_count 1\n\
# HELP giro_balance A balance.\n\
# TYPE giro_balance gauge\n\
giro_balance{provider=\"killb\"} 10.5\n"
        );
    }

    #[test]
    fn the_accept_header_chooses_the_format() {
        let mut headers = HeaderMap::new();
        let plain = respond(&headers, OPENMETRICS_SAMPLE.to_string());
        assert_eq!(plain.headers()[header::CONTENT_TYPE], PROMETHEUS_TEXT);
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            ),
        );
        let open = respond(&headers, OPENMETRICS_SAMPLE.to_string());
        assert_eq!(open.headers()[header::CONTENT_TYPE], OPENMETRICS);
    }
}
