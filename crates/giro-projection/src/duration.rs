//! Durations as people write them in flags and query strings: `250ms`, `30s`, `15m`, `1h`, `7d`.

use std::time::Duration;

/// Parses a whole number followed by `ms`, `s`, `m`, `h` or `d`. Refuses anything else, including
/// an overflow, with a message saying what is expected.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let expected = || format!("{s:?} is not a duration like 90s, 15m, 24h or 7d");
    let n: u64 = number.parse().map_err(|_| expected())?;
    let seconds_per_unit = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(expected()),
    };
    n.checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(expected)
}

/// Renders a duration in the largest unit that keeps it whole (days from two days on, so a day
/// reads `24h`), for messages and the dashboard.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_millis() != 0 || secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    if secs >= 2 * 86_400 && secs.is_multiple_of(86_400) {
        return format!("{}d", secs / 86_400);
    }
    for (unit, size) in [("h", 3_600), ("m", 60)] {
        if secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_each_unit() {
        for (text, secs) in [("90s", 90), ("15m", 900), ("24h", 86_400), ("7d", 604_800)] {
            assert_eq!(parse_duration(text), Ok(Duration::from_secs(secs)));
            assert_eq!(format_duration(Duration::from_secs(secs)), text);
        }
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn refuses_malformed_and_huge_values() {
        for bad in ["", "h", "1.5h", "-1h", "10", "10w", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("999999999999999999d").is_err());
    }
}
