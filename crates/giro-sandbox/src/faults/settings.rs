//! Fault settings for a whole run, and the per-request `X-Sandbox-Fault` header.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Probabilities (0.0–1.0) and durations of the faults injected into a run.
///
/// Request faults are drawn once per provider request (not for `/_sandbox/*`); callback faults once
/// per notification (drop, duplicate, delay) or once per order (reorder, reverse later). All draws use
/// the sandbox's seeded randomness, so a run with the same seed and requests fails the same way.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSettings {
    /// Added to every provider request before it is processed, in milliseconds.
    pub latency_ms: u64,
    /// Probability of answering the provider's 5xx *before* processing (nothing is stored).
    pub error_5xx: f64,
    /// Probability of answering as rate limited (KillB/A55: HTTP 429; Cashy: `System_busy`).
    pub rate_limit: f64,
    /// Probability of answering "down for maintenance" before processing (KillB/A55: HTTP 503;
    /// Cashy: `System_Maintenance`).
    pub maintenance: f64,
    /// Probability of processing the request (the order is stored) and then closing the connection
    /// without any response: the caller cannot know whether its payout exists.
    pub lose_response: f64,
    /// Probability of processing the request and then holding the connection for `hang_ms` before
    /// closing it without a response, so the caller's own time-out fires first.
    pub hang_response: f64,
    /// How long a hung response is held, in milliseconds (default 60000 when 0).
    pub hang_ms: u64,
    /// Probability that a notification is never sent (no attempt, no retry).
    pub drop_callback: f64,
    /// Probability that a notification is delivered twice (two independent deliveries).
    pub duplicate_callback: f64,
    /// Probability that a notification's first attempt waits `callback_delay_ms` more.
    pub delay_callback: f64,
    /// Extra wait of a delayed notification, in milliseconds (default 5000 when 0).
    pub callback_delay_ms: u64,
    /// Probability (per order) that a notification is held back and sent after the next one.
    pub reorder_callbacks: f64,
    /// Probability (per order) that a final result is reversed later: Cashy SUCCESS↔FAIL, KillB
    /// COMPLETED→REFUNDED, A55 paid→refunded.
    pub reverse_later: f64,
    /// Simulators (`cashy`, `killb`, `a55`) down for maintenance: every provider request they get
    /// is answered as `maintenance` is, until they are taken out of the list. A provider outage
    /// for failover drills, where `maintenance` would hit every simulator alike.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub down_for_maintenance: Vec<String>,
}

impl FaultSettings {
    /// How long a hung response is held.
    pub fn hang_for(&self) -> Duration {
        Duration::from_millis(if self.hang_ms == 0 {
            60_000
        } else {
            self.hang_ms
        })
    }

    /// Extra wait of a delayed notification.
    pub fn callback_delay(&self) -> Duration {
        Duration::from_millis(if self.callback_delay_ms == 0 {
            5_000
        } else {
            self.callback_delay_ms
        })
    }

    /// Every probability must be a number in 0..=1.
    pub fn validate(&self) -> Result<(), Error> {
        let probabilities = [
            ("error_5xx", self.error_5xx),
            ("rate_limit", self.rate_limit),
            ("maintenance", self.maintenance),
            ("lose_response", self.lose_response),
            ("hang_response", self.hang_response),
            ("drop_callback", self.drop_callback),
            ("duplicate_callback", self.duplicate_callback),
            ("delay_callback", self.delay_callback),
            ("reorder_callbacks", self.reorder_callbacks),
            ("reverse_later", self.reverse_later),
        ];
        match probabilities.iter().find(|(_, p)| !(0.0..=1.0).contains(p)) {
            Some((name, p)) => Err(Error::Config(format!(
                "{name} is {p}, expected a probability in 0..=1"
            ))),
            None => Ok(()),
        }
    }
}

/// Faults forced on one request by the `X-Sandbox-Fault` header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForcedFaults {
    /// `latency=<ms>`
    pub latency: Option<Duration>,
    /// `error_5xx`
    pub error_5xx: bool,
    /// `rate_limit`
    pub rate_limit: bool,
    /// `maintenance`
    pub maintenance: bool,
    /// `lose_response`
    pub lose_response: bool,
    /// `hang_response` or `hang_response=<ms>`
    pub hang_response: Option<Option<Duration>>,
    /// `drop_callback`: every notification of the order created by this request is dropped.
    pub drop_callback: bool,
    /// `duplicate_callback`: every notification of the order is delivered twice.
    pub duplicate_callback: bool,
    /// `delay_callback` or `delay_callback=<ms>`: every notification of the order is delayed.
    pub delay_callback: Option<Option<Duration>>,
    /// `reorder_callbacks`: the order's next-to-last notification is sent after its last.
    pub reorder_callbacks: bool,
    /// `reverse_later`: the order's final result is reversed later.
    pub reverse_later: bool,
}

/// The name of the per-request fault header.
pub const FAULT_HEADER: &str = "x-sandbox-fault";

impl ForcedFaults {
    /// Parses `lose_response, latency=250, delay_callback=1000`; unknown tokens are an error so that a
    /// typo in a test does not silently test nothing.
    pub fn parse(header: &str) -> Result<Self, String> {
        let mut forced = Self::default();
        for token in header.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (name, value) = match token.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim())),
                None => (token, None),
            };
            let millis = || -> Result<Option<Duration>, String> {
                value
                    .map(|v| {
                        v.parse::<u64>()
                            .map(Duration::from_millis)
                            .map_err(|_| format!("{name}={v}: expected a number of milliseconds"))
                    })
                    .transpose()
            };
            match name {
                "latency" => {
                    forced.latency = Some(millis()?.ok_or("latency needs =<ms>")?);
                }
                "error_5xx" => forced.error_5xx = true,
                "rate_limit" => forced.rate_limit = true,
                "maintenance" => forced.maintenance = true,
                "lose_response" => forced.lose_response = true,
                "hang_response" => forced.hang_response = Some(millis()?),
                "drop_callback" => forced.drop_callback = true,
                "duplicate_callback" => forced.duplicate_callback = true,
                "delay_callback" => forced.delay_callback = Some(millis()?),
                "reorder_callbacks" => forced.reorder_callbacks = true,
                "reverse_later" => forced.reverse_later = true,
                other => return Err(format!("unknown fault {other:?} in X-Sandbox-Fault")),
            }
        }
        Ok(forced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_tokens_parse() {
        let forced = ForcedFaults::parse("lose_response, latency=250,delay_callback").unwrap();
        assert!(forced.lose_response);
        assert_eq!(forced.latency, Some(Duration::from_millis(250)));
        assert_eq!(forced.delay_callback, Some(None));
        assert!(ForcedFaults::parse("lose_respons").is_err());
        assert!(ForcedFaults::parse("latency=abc").is_err());
        assert!(ForcedFaults::parse("latency").is_err());
    }

    #[test]
    fn probabilities_are_checked() {
        let bad = FaultSettings {
            error_5xx: 1.5,
            ..FaultSettings::default()
        };
        assert!(bad.validate().is_err());
        assert!(FaultSettings::default().validate().is_ok());
    }
}
