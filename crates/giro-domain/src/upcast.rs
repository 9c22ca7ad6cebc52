//! What the upcasters of both kinds of order share: reading the marks earlier versions wrote into
//! event text (`payout::upcast`, `charge::upcast` turn those events into today's types).

/// How the executors of earlier versions wrote a "come back later" refusal into a failure
/// message: `… [come back after 60s]`, `… [come back after 250ms]` or `… [come back later]`.
/// Only the upcasting of events stored that way reads it.
const LEGACY_MARK: &str = " [come back ";

/// Splits a failure message of the old form into the provider's message and the wait it named
/// (`Some(None)`: marked, no time named); `None` when the message carries no mark.
pub(crate) fn legacy_wait(message: &str) -> Option<(String, Option<u64>)> {
    let at = message.rfind(LEGACY_MARK)?;
    let rest = message[at + LEGACY_MARK.len()..].strip_suffix(']')?;
    let wait_ms = if rest == "later" {
        None
    } else {
        let wait = rest.strip_prefix("after ")?;
        Some(match wait.strip_suffix("ms") {
            Some(ms) => ms.parse().ok()?,
            None => wait
                .strip_suffix('s')?
                .parse::<u64>()
                .ok()?
                .checked_mul(1000)?,
        })
    };
    Some((message[..at].to_string(), wait_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_marks_are_read_back() {
        assert_eq!(
            legacy_wait("System_busy [come back after 60s]"),
            Some(("System_busy".into(), Some(60_000)))
        );
        assert_eq!(
            legacy_wait("429 [come back after 250ms]"),
            Some(("429".into(), Some(250)))
        );
        assert_eq!(
            legacy_wait("maintenance [come back later]"),
            Some(("maintenance".into(), None))
        );
        assert_eq!(legacy_wait("account not found"), None);
        assert_eq!(legacy_wait("odd [come back after soon]"), None);
    }
}
