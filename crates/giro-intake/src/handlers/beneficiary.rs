//! `giro.cmd.beneficiary.register`.

use giro_domain::beneficiary::{self, BeneficiaryDecider, BeneficiaryStatus};
use giro_domain::{ErrorCode, EventMeta, Rejection};
use serde_json::json;

use super::{executed, fields, with_correlation};
use crate::reply::Reply;
use crate::service::Intake;

pub(super) async fn register_beneficiary(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let command = beneficiary::parse_register(body)?;
    let beneficiary::BeneficiaryCommand::Register { id, .. } = &command else {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            "not a registration",
        ));
    };
    let id = *id;
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<BeneficiaryDecider>(id, &command, &meta, true)
            .await,
    )?;
    let status = done
        .order
        .state
        .as_ref()
        .map(|b| b.status)
        .unwrap_or(BeneficiaryStatus::Pending);
    Ok(Reply::success(fields(json!({
        "beneficiary_id": id,
        "status": status,
        "duplicate": done.appended.is_empty(),
    }))))
}
