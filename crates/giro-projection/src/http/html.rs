//! Server-rendered HTML: escaping, the page frame and small formatters. Every value from the read
//! models goes through [`esc`].

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2430;background:#f7f8fa}\
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.6rem 0 .5rem}\
.meta{color:#5b6473}table{border-collapse:collapse;background:#fff;min-width:40%}\
th,td{border:1px solid #dde1e7;padding:.3rem .6rem;text-align:left;vertical-align:top}\
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.succeeded{color:#13795b}.failed,.reversed{color:#b42318}.refunded,.cancelled{color:#8a5a00}\
.stuck{background:#fff4e5}pre{margin:0;white-space:pre-wrap;font-size:12px}a{color:#1857b8}\
.empty{color:#5b6473;font-style:italic}nav{display:flex;gap:1rem;align-items:center;margin:-1.5rem -1.5rem 1.2rem;padding:.6rem 1.5rem;background:#1d2430}nav a{color:#e8ecf2;text-decoration:none}nav a:hover{text-decoration:underline}nav .brand{font-weight:700;color:#fff}nav .who{margin-left:auto;color:#b8c2d0}form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;background:#fff;border:1px solid #dde1e7;padding:.6rem;margin:.4rem 0 1rem}form.filters label{display:flex;flex-direction:column;font-size:12px;color:#5b6473}input,select,button,textarea{font:inherit;padding:.25rem .4rem}button{cursor:pointer}.chips a.chip{display:inline-block;padding:.15rem .55rem;border:1px solid #c5ccd6;border-radius:1rem;background:#fff;margin:.15rem 0;text-decoration:none}.chips a.on{background:#1857b8;color:#fff}.error{color:#b42318}.flash{padding:.4rem .6rem;border:1px solid}.flash.ok{background:#e7f6ee;border-color:#13795b}.flash.error{background:#fdecea;border-color:#b42318}.actions{display:flex;flex-direction:column;gap:.5rem}form.action{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;background:#fff;border:1px solid #dde1e7;padding:.5rem}form.action label{display:flex;flex-direction:column;font-size:12px;color:#5b6473}.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts>div{background:#fff;border:1px solid #dde1e7;flex:1 1 440px;max-width:920px;min-height:120px}";

/// The console's navigation, on every page; it ends with who is signed in, when a token was
/// verified for the page.
const NAV: &str = "<nav><a class=\"brand\" href=\"/\">Giro</a><a href=\"/\">Overview</a>\
<a href=\"/payouts\">Payouts</a><a href=\"/charges\">Charges</a>\
<a href=\"/beneficiaries\">Beneficiaries</a><a href=\"/exceptions\">Exceptions</a>\
<a href=\"/audit\">Audit</a>";

/// The end of the navigation: who the page is for and a way out, or a way in.
fn nav_end() -> String {
    match super::auth::SIGNED_IN.try_with(|who| esc(who)) {
        Ok(who) => format!(
            "<span class=\"who\" id=\"signed-in\">Signed in as {who}</span>\
             <a href=\"/login\">Sign out</a></nav>"
        ),
        Err(_) => "<a href=\"/login\">Sign in or out</a></nav>".to_string(),
    }
}

/// A whole page; `refresh` makes the browser reload it (the dashboard stays current).
pub(crate) fn page(title: &str, refresh: Option<Duration>, body: &str) -> String {
    let refresh = refresh
        .map(|d| {
            format!(
                "<meta http-equiv=\"refresh\" content=\"{}\">",
                d.as_secs().max(1)
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">{refresh}\
         <title>{}</title><style>{STYLE}</style></head><body>{NAV}{}{body}</body></html>",
        esc(title),
        nav_end()
    )
}

/// An error page with its status.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/\">Back to the dashboard</a></p>",
        status.as_u16(),
        esc(message)
    );
    (status, Html(page("Giro: error", None, &body))).into_response()
}

/// `2026-01-02 03:04:05 UTC`.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// How long ago, coarsely: `42s`, `17m`, `3h 5m`, `2d 4h`.
pub(crate) fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - since).num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h {}m", s / 3_600, s % 3_600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert!(page("<b>", None, "").contains("<title>&lt;b&gt;</title>"));
    }

    #[test]
    fn ages_are_coarse() {
        let now = Utc::now();
        let ago = |s: i64| age(now - chrono::Duration::seconds(s), now);
        assert_eq!(
            [ago(5), ago(120), ago(3_900), ago(90_000)],
            ["5s", "2m", "1h 5m", "1d 1h"]
        );
    }
}
