//! The identity of a provider report, shared by polls and webhooks.

/// The id under which a provider report is recorded (`ProviderReport::report_id`): the provider's
/// reference of the order and the status it reports. A poll and a webhook announcing the same status
/// (or a webhook delivered twice) give the same id, so the report is recorded once; a reversal
/// (Cashy SUCCESS → FAIL, KillB COMPLETED → REFUNDED) is a new status and so a new report.
///
/// Both parts are trimmed and the status is upper-cased: A55 writes statuses in lower case, KillB
/// and Cashy in upper case, and none of them distinguishes two statuses by case.
pub fn report_id(provider_ref: &str, raw_status: &str) -> String {
    format!(
        "{}:{}",
        provider_ref.trim(),
        raw_status.trim().to_ascii_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_status_same_id_whatever_the_source() {
        assert_eq!(report_id("PAYOUT123", "SUCCESS"), "PAYOUT123:SUCCESS");
        assert_eq!(
            report_id(" PAYOUT123", "success "),
            report_id("PAYOUT123", "SUCCESS")
        );
        assert_ne!(
            report_id("PAYOUT123", "SUCCESS"),
            report_id("PAYOUT123", "FAIL")
        );
    }
}
