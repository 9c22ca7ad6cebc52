//! The scenario, fault and introspection tables printed by `giro sandbox --help` (kept in step
//! with the README): the run-wide parts here, each simulator's from its [`SimulatorHelp`].

use crate::SIMULATORS;
use crate::simulator::SimulatorHelp;

/// Run-wide faults: name (with its argument) and what it does.
const FAULTS: [(&str, &str); 11] = [
    ("latency=<ms>", "wait before processing"),
    (
        "error_5xx",
        "provider 5xx before processing (nothing stored)",
    ),
    ("rate_limit", "429 with X-RateLimit-* before processing"),
    ("maintenance", "503 before processing"),
    (
        "lose_response",
        "process and store, then close the connection unanswered",
    ),
    (
        "hang_response[=<ms>]",
        "process and store, then hold the connection (default 60 s) and close it",
    ),
    ("drop_callback", "the order's callbacks are never sent"),
    ("duplicate_callback", "each callback is delivered twice"),
    (
        "delay_callback[=<ms>]",
        "each callback's first attempt waits longer (default 5 s)",
    ),
    (
        "reorder_callbacks",
        "the next-to-last callback is sent after the last one",
    ),
    ("reverse_later", "the final result is reversed later"),
];

const INTROSPECTION: &str = "\
INTROSPECTION (on every simulator's address, never faulted or rate limited)
  GET  /_sandbox/summary                      totals; at_most_once / exactly_once
  GET  /_sandbox/orders?provider=&handle=&external_id=&status=
  GET  /_sandbox/orders/{provider}/{order_id} one order: submissions, history, callback attempts
  GET  /_sandbox/handles?provider=            submissions per idempotency handle
  GET|POST /_sandbox/faults[?seed=N]          read or replace the run's fault settings
  GET  /_sandbox/{simulator}/statement?date=YYYY-MM-DD
                                              CSV statement of the payouts and charges settled
                                              that UTC date
                                              (a simulator by name, or one of its instances)
";

/// What a simulator's column says for a code it does not implement.
const AS_ANY_OTHER: &str = "as any other amount";

/// Appended to `--help`.
pub fn after_help() -> String {
    let helps: Vec<(&str, &SimulatorHelp)> =
        SIMULATORS.iter().map(|s| (s.label(), s.help())).collect();
    let more: Vec<&[(u8, &str)]> = SIMULATORS.iter().map(|s| s.more_scenarios()).collect();
    let mut out = scenarios(&helps, &more);
    out.push('\n');
    out.push_str(&faults(&helps));
    out.push('\n');
    out.push_str(INTROSPECTION);
    for (_, help) in &helps {
        out.push_str(help.introspection);
    }
    out
}

/// The scenario table, one column per simulator (`more` holds each one's codes beyond 11–19), then
/// the examples and each one's notes.
fn scenarios(helps: &[(&str, &SimulatorHelp)], more: &[&[(u8, &str)]]) -> String {
    let mut out = String::from(
        "SCENARIOS (the last two digits of the amount's whole units pick the outcome; anything else succeeds)\n",
    );
    let mut extra: Vec<u8> = more
        .iter()
        .flat_map(|m| m.iter().map(|(c, _)| *c))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    let cell = |i: usize, code: u8| {
        more.get(i)
            .and_then(|m| m.iter().find(|(c, _)| *c == code))
            .map_or(AS_ANY_OTHER, |(_, what)| *what)
    };
    let widths: Vec<usize> = helps
        .iter()
        .enumerate()
        .map(|(i, (_, h))| {
            let extra_width = extra.iter().map(|c| cell(i, *c).len());
            h.scenarios
                .iter()
                .map(|c| c.len())
                .chain(extra_width)
                .max()
                .unwrap_or(0)
                .max(h.column.len())
                + 2
        })
        .collect();
    let row = |first: &str, cells: Vec<&str>| {
        let mut line = format!("  {first:<6}");
        for (cell, width) in cells.iter().zip(&widths) {
            line.push_str(&format!("{cell:<width$}"));
        }
        format!("{}\n", line.trim_end())
    };
    out.push_str(&row("code", helps.iter().map(|(_, h)| h.column).collect()));
    for (i, code) in (11..=19).enumerate() {
        let cells = helps.iter().map(|(_, h)| h.scenarios[i]).collect();
        out.push_str(&row(&code.to_string(), cells));
    }
    for code in extra {
        let cells = (0..helps.len()).map(|i| cell(i, code)).collect();
        out.push_str(&row(&code.to_string(), cells));
    }
    let examples: Vec<&str> = helps.iter().map(|(_, h)| h.example).collect();
    out.push_str(&format!("  e.g. {}.\n", examples.join("; ")));
    for (_, help) in helps {
        out.push_str(help.notes);
    }
    out
}

/// The fault table, each fault followed by the simulators' own forms of it.
fn faults(helps: &[(&str, &SimulatorHelp)]) -> String {
    let mut out = String::from(
        "FAULTS (run-wide: the options above, or POST /_sandbox/faults with the same names in JSON;\n        per request: header X-Sandbox-Fault: name[=ms], comma separated)\n",
    );
    for (name, what) in FAULTS {
        let key = name.split(['=', '[']).next().unwrap_or(name);
        let forms: Vec<String> = helps
            .iter()
            .flat_map(|(label, h)| {
                h.faults
                    .iter()
                    .filter(|(fault, _)| *fault == key)
                    .map(move |(_, form)| format!("{label}: {form}"))
            })
            .collect();
        let text = if forms.is_empty() {
            what.to_owned()
        } else {
            format!("{what} ({})", forms.join(", "))
        };
        out.push_str(&wrap(&format!("  {name:<24}"), &text));
    }
    out
}

/// `first` then `text`, wrapped at 100 columns under `first`'s width.
fn wrap(first: &str, text: &str) -> String {
    let indent = " ".repeat(first.len());
    let mut out = String::new();
    let mut line = first.to_owned();
    for word in text.split(' ') {
        if line.len() > first.len().max(indent.len()) && line.len() + 1 + word.len() > 100 {
            out.push_str(line.trim_end());
            out.push('\n');
            line.clone_from(&indent);
        } else if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}
