//! The console's buttons: a payout page shows the operator actions its status allows, and
//! `POST /payouts/{id}/actions/{action}` sends the very command `giro ops …` sends
//! (`<prefix>.cmd.ops.payout.<action>`) with the signed-in person's token, so intake verifies it,
//! the domain decides and the audit records it exactly as for the CLI. The page shows intake's
//! answer; a refusal is intake's reply, never decided here.

use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Shared;
use super::auth::presented;
use super::html::{error_page, esc};
use crate::read::PayoutView;

/// How long intake has to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Every field any action's form sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionForm {
    reason: Option<String>,
    text: Option<String>,
    provider_ref: Option<String>,
    provider_status: Option<String>,
    outcome: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The command body of `action` on order `id`, from its form.
fn body(action: &str, id: Uuid, f: &ActionForm) -> Option<Value> {
    let reason = given(&f.reason).unwrap_or("");
    Some(match action {
        "note" => json!({"order_id": id, "text": given(&f.text).unwrap_or("")}),
        "retry" | "release" | "cancel" | "reject" => json!({"order_id": id, "reason": reason}),
        "approve" => match given(&f.reason) {
            Some(r) => json!({"order_id": id, "reason": r}),
            None => json!({"order_id": id}),
        },
        "resolve" => json!({
            "order_id": id, "reason": reason, "outcome": given(&f.outcome).unwrap_or(""),
            "evidence": {
                "provider_ref": given(&f.provider_ref).unwrap_or(""),
                "provider_status": given(&f.provider_status).unwrap_or(""),
            },
        }),
        _ => return None,
    })
}

/// `POST /payouts/{id}/actions/{action}`: sends the action to intake and returns to the page with
/// intake's answer.
pub(crate) async fn act(
    State(s): State<Arc<Shared>>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(StatusCode::BAD_REQUEST, "not a payout id (a UUID)");
    };
    let Some(body) = body(&action, id, &form) else {
        return error_page(
            StatusCode::NOT_FOUND,
            &format!("no action {action:?}; see the payout's page"),
        );
    };
    let mut nats_headers = async_nats::HeaderMap::new();
    if let Some(token) = presented(&headers) {
        nats_headers.insert(giro_auth::AUTHORIZATION_HEADER, token.as_str());
    }
    let subject = format!("{}.cmd.ops.payout.{action}", s.config.log.prefix);
    let sent = s
        .nats
        .request_with_headers(subject, nats_headers, body.to_string().into());
    let outcome = match tokio::time::timeout(ANSWER_WITHIN, sent).await {
        Ok(Ok(reply)) => match serde_json::from_slice::<Value>(&reply.payload) {
            Ok(v) if v["ok"] == true => format!("done={action}"),
            Ok(v) => format!(
                "refused={}",
                urlencode(&format!(
                    "{}: {}",
                    v["error"]["code"].as_str().unwrap_or("refused"),
                    v["error"]["message"].as_str().unwrap_or("")
                ))
            ),
            Err(_) => "refused=intake%20answered%20something%20unreadable".to_string(),
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, %action, "console action not delivered");
            "refused=intake%20is%20unavailable%3B%20try%20again".to_string()
        }
        Err(_) => "refused=intake%20did%20not%20answer%3B%20try%20again".to_string(),
    };
    Redirect::to(&format!("/payouts/{id}?{outcome}")).into_response()
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)])
        .map(|s| s.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

/// `?done=` / `?refused=` after an action: what intake answered.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Flash {
    done: Option<String>,
    refused: Option<String>,
}

impl Flash {
    pub(crate) fn render(&self) -> String {
        match (&self.done, &self.refused) {
            (Some(done), _) => format!(
                "<p class=\"flash ok\" id=\"action-done\">{} recorded.</p>",
                esc(done)
            ),
            (None, Some(refused)) => format!(
                "<p class=\"flash error\" id=\"action-refused\">Refused: {}</p>",
                esc(refused)
            ),
            (None, None) => String::new(),
        }
    }
}

fn form(id: Uuid, action: &str, label: &str, fields: &str) -> String {
    format!(
        "<form class=\"action\" method=\"post\" action=\"/payouts/{id}/actions/{action}\" \
         id=\"action-{action}\">{fields}<button type=\"submit\">{label}</button></form>"
    )
}

fn reason_field(required: bool) -> String {
    format!(
        "<label>reason <input name=\"reason\" size=\"40\"{}></label>",
        if required { " required" } else { "" }
    )
}

/// The actions `p`'s status allows, as forms (intake decides; these are only the offers).
pub(crate) fn forms(p: &PayoutView) -> String {
    let id = p.order_id;
    let mut out = Vec::new();
    match p.status.as_str() {
        "pending_approval" => {
            out.push(form(id, "approve", "Approve", &reason_field(false)));
            out.push(form(id, "reject", "Reject", &reason_field(true)));
        }
        "held" => {
            out.push(form(id, "release", "Release", &reason_field(true)));
            out.push(form(id, "cancel", "Cancel", &reason_field(true)));
        }
        "scheduled" | "requested" => out.push(form(id, "cancel", "Cancel", &reason_field(true))),
        "submitting" => out.push(form(
            id,
            "resolve",
            "Resolve with evidence",
            &format!(
                "<label>provider reference <input name=\"provider_ref\" required></label>\
                 <label>status as the provider shows it <input name=\"provider_status\" required></label>\
                 <label>outcome <select name=\"outcome\"><option>succeeded</option><option>failed</option></select></label>{}",
                reason_field(true)
            ),
        )),
        "failed" => out.push(form(id, "retry", "Retry as a new attempt", &reason_field(true))),
        _ => {}
    }
    out.push(form(
        id,
        "note",
        "Add note",
        "<label>note <input name=\"text\" size=\"50\" required></label>",
    ));
    format!(
        "<h2>Actions</h2><p class=\"meta\">Sent to intake with your token; refused ones are answered \
         here and audited.</p><div class=\"actions\">{}</div>",
        out.join("")
    )
}
