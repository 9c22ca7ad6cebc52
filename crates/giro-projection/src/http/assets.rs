//! The console's static files, built into the binary (no CDN at run time): the uPlot chart
//! library (npm `uplot` 1.6.32, MIT; see `assets/README.md`) and `console.js`, which draws the
//! overview's charts from `/v1/stats/series`.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Name, content type and bytes of each file.
const FILES: [(&str, &str, &str); 3] = [
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/uPlot.min.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/console.js"),
    ),
];

async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// `/assets/{name}`.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/{name}", get(file))
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::FILES;

    /// The vendored files are the ones `assets/README.md` names (fetched and checked by
    /// `ops/tools/console-assets/fetch`), not an edited copy.
    #[test]
    fn vendored_files_are_the_pinned_release() {
        let readme = include_str!("../../assets/README.md");
        for (name, _, body) in FILES.iter().filter(|(n, _, _)| n.starts_with("uPlot")) {
            let digest = hex::encode(Sha256::digest(body.as_bytes()));
            assert!(
                readme.contains(&format!("`{name}` `{digest}`")),
                "{name} has sha256 {digest}, not the one assets/README.md names"
            );
        }
    }
}
