//! Who may read: with operator keys configured (`GIRO_OPERATOR_KEYS_FILE`), every page and API
//! call needs a verified operator token with at least the viewer role, in `Authorization: Bearer`
//! or, for a browser, the `giro_token` cookie that `POST /login` sets. Health, readiness, metrics
//! and the OpenAPI document stay open for the platform that probes them.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use giro_auth::{AuthError, Role, Verifier};
use serde::Deserialize;
use serde_json::json;

use super::html::page;

/// The cookie a browser keeps the token in.
const COOKIE: &str = "giro_token";

tokio::task_local! {
    /// Who the page being rendered is for (`olga (operator)`), when a token was verified: the
    /// console's navigation names them (see `html::page`).
    pub(crate) static SIGNED_IN: String;
}

/// `olga (operator, approver)`.
fn signed_in(operator: &giro_auth::Operator) -> String {
    let roles: Vec<&str> = operator.roles.iter().map(|r| r.as_str()).collect();
    format!("{} ({})", operator.id, roles.join(", "))
}

/// Paths open without a token.
const OPEN: [&str; 7] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/login",
    "/logout",
    "/favicon.ico",
];

/// The gate's verifier: `None` when no keys are configured (everything open, as before keys);
/// an error when the configured keys could not be read (everything refused, 503).
#[derive(Clone)]
pub(crate) struct Gate {
    pub verifier: Option<Result<Arc<Verifier>, String>>,
}

/// The token a request carries: its `Authorization` header, else its `giro_token` cookie.
pub(crate) fn presented(headers: &HeaderMap) -> Option<String> {
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        return h.to_str().ok().map(str::to_string);
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .map(|t| format!("Bearer {t}"))
        .next()
}

/// The middleware: lets a viewer through, answers others 401 or 403 (a login form for pages).
pub(crate) async fn require_viewer(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let Some(verifier) = &gate.verifier else {
        return next.run(req).await;
    };
    if OPEN.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let verifier = match verifier {
        Ok(v) => v,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, e.clone()).into_response(),
    };
    match verifier.require(presented(req.headers()).as_deref(), Role::Viewer) {
        Ok(operator) => SIGNED_IN.scope(signed_in(&operator), next.run(req)).await,
        Err(e) => refused(&e, req.uri().path()),
    }
}

fn refused(e: &AuthError, path: &str) -> Response {
    let status = match e {
        AuthError::Forbidden { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::UNAUTHORIZED,
    };
    if path.starts_with("/v1/") || path.starts_with("/api/") {
        let body = json!({"error": {"code": e.code().as_str(), "message": e.to_string()}});
        return (status, axum::Json(body)).into_response();
    }
    (status, Html(login_page(&e.to_string()))).into_response()
}

fn login_page(why: &str) -> String {
    let body = format!(
        "<h1>Sign in</h1><p class=\"meta\">{}</p><form method=\"post\" action=\"/login\">\
         <p><label>Operator token <input name=\"token\" type=\"password\" size=\"60\" \
         autocomplete=\"off\"></label></p><p><button type=\"submit\">Sign in</button></p></form>\
         <p class=\"meta\">On a developer machine, <code>giro up</code> printed a token per role; \
         <code>giro ops token --role viewer --sub you</code> mints another.</p>\
         <form method=\"post\" action=\"/logout\" id=\"sign-out\"><p><button type=\"submit\">Sign out\
         </button> <span class=\"meta\">forgets the token this browser holds</span></p></form>",
        super::html::esc(why)
    );
    page("Giro: sign in", None, &body)
}

/// `GET /login`.
pub(crate) async fn login_form() -> Html<String> {
    Html(login_page(
        "Paste an operator token with at least the viewer role.",
    ))
}

#[derive(Deserialize)]
pub(crate) struct Login {
    token: String,
}

/// `POST /login`: a token that verifies is kept in an HTTP-only cookie for the pages.
pub(crate) async fn login(State(gate): State<Gate>, Form(login): Form<Login>) -> Response {
    let token = login.token.trim().to_string();
    match &gate.verifier {
        // Reads are open, but the console's buttons still carry the token to intake, which
        // verifies it for every action.
        None => {}
        Some(Err(e)) => return (StatusCode::SERVICE_UNAVAILABLE, e.clone()).into_response(),
        Some(Ok(verifier)) => {
            if let Err(e) = verifier.require(Some(&format!("Bearer {token}")), Role::Viewer) {
                return refused(&e, "/login");
            }
        }
    }
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

/// `POST /logout`: forgets the browser's token and shows the sign-in form.
pub(crate) async fn logout() -> Response {
    let cookie = format!("{COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}
