//! CPU time spent during a run, read from `/proc`: this process (the engine with its sandboxes
//! and the load generator) and the local nats-server processes, apart.

use std::time::Duration;

/// Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every architecture Giro runs on.
const TICK: Duration = Duration::from_millis(10);

/// CPU time used so far: by this process, and by every nats-server on this machine (none when
/// `/proc` shows none, e.g. NATS runs elsewhere).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct CpuTimes {
    pub(super) process: Duration,
    pub(super) nats: Option<Duration>,
}

impl CpuTimes {
    pub(super) fn now() -> Self {
        CpuTimes {
            process: stat_cpu("/proc/self/stat").unwrap_or_default(),
            nats: nats_servers_cpu(),
        }
    }

    /// What was used between `self` and `later`.
    pub(super) fn until(&self, later: &CpuTimes) -> CpuTimes {
        CpuTimes {
            process: later.process.saturating_sub(self.process),
            nats: match (self.nats, later.nats) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                _ => None,
            },
        }
    }
}

/// Prints the CPU milliseconds per terminal payout, this process and nats-server apart.
pub(super) fn print(used: &CpuTimes, terminal: usize) {
    if terminal == 0 {
        return;
    }
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / terminal as f64;
    let nats = used.nats.map_or_else(
        || "not measured (no nats-server process on this machine)".to_string(),
        |d| format!("{:.3} ms", per(d)),
    );
    println!(
        "  CPU per payout: engine process {:.3} ms (intake, executors, ingress, the sandboxes and the load generator), nats-server {nats}",
        per(used.process)
    );
}

/// User plus system time of the process whose `stat` file is `path`.
fn stat_cpu(path: &str) -> Option<Duration> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_stat(&text).map(|(_, cpu)| cpu)
}

/// The command name and user plus system time of a `/proc/<pid>/stat` line. The name is in
/// parentheses and may itself hold spaces and parentheses: the fields follow the last `)`.
fn parse_stat(text: &str) -> Option<(&str, Duration)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?;
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // Fields 14 and 15 of the line (utime, stime); the slice starts at field 3.
    let utime: u32 = fields.get(11)?.parse().ok()?;
    let stime: u32 = fields.get(12)?.parse().ok()?;
    Some((name, TICK * (utime + stime)))
}

/// The CPU time of every process named `nats-server`, summed (a local cluster counts whole).
fn nats_servers_cpu() -> Option<Duration> {
    let mut total = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(("nats-server", cpu)) = parse_stat(&text) {
            total = Some(total.unwrap_or(Duration::ZERO) + cpu);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks_after_the_name() {
        let line =
            "4242 (nats-server) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 50 0 0 20 0 12 0 100 0 0";
        assert_eq!(
            parse_stat(line),
            Some(("nats-server", Duration::from_millis(3000)))
        );
        // A name with a space and a parenthesis does not shift the fields.
        let odd = "7 (a b) c) S 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0";
        assert_eq!(parse_stat(odd), Some(("a b) c", Duration::from_millis(70))));
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let before = CpuTimes::now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let used = before.until(&CpuTimes::now());
        assert!(used.process > Duration::ZERO, "{used:?}");
    }
}
