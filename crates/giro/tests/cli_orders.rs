//! `giro charge …`, `giro beneficiary …` and `show` as README.md describes them, against a running
//! `giro up` (real NATS, the sandboxes, the projection on a private PostgreSQL schema); and
//! `show` with no engine, which answers at once.

use crate::support;

use std::time::{Duration, Instant};

use support::{Up, giro, reply, run, show, until};

#[test]
fn charges_and_beneficiaries_from_the_command_line() {
    let up = Up::start();
    let cli = || up.cli();
    let stdout = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).to_string();

    // A charge the sandbox pays, shown until paid, then partly refunded.
    let out = run(cli().args(["charge", "create", "--file", "ops/examples/charge-a55.json"]));
    assert!(out.status.success(), "{}\n{}", show(&out), up.log());
    let created = reply(&out);
    assert_eq!(created["duplicate"], false, "{created}");
    let paid = created["order_id"].as_str().expect("order_id").to_string();
    until(
        Duration::from_secs(30),
        || run(cli().args(["charge", "show", "--json", &paid])),
        |out| reply(out)["status"] == "paid",
    );
    let out = run(cli().args(["charge", "show", &paid]));
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("\n  status "), "{text}");
    assert!(text.starts_with(&format!("charge {paid}\n")), "{text}");
    for expected in [
        "150",
        "BRL",
        "a55, attempt 1",
        "charge.requested",
        "charge.paid",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    let json = reply(&run(cli().args(["charge", "show", "--json", &paid])));
    assert_eq!(json["ok"], true, "{json}");
    assert_eq!(json["kind"], "charge", "{json}");
    let out = run(cli().args(["charge", "refund", &paid, "--amount", "50.00"]));
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(reply(&out)["order_id"], paid.as_str());
    let out = until(
        Duration::from_secs(30),
        || run(cli().args(["charge", "show", &paid])),
        |out| stdout(out).contains("charge.refunded"),
    );
    assert!(
        stdout(&out).contains("charge.refund_requested"),
        "{}",
        show(&out)
    );

    // A charge that stays pending at the provider is cancelled: asked of A55, whose webhook
    // completes it.
    let pending = [
        "charge",
        "create",
        "--file",
        "ops/examples/charge-a55-pending.json",
    ];
    let created = reply(&run(cli().args(pending)));
    assert_eq!(created["ok"], true, "{created}");
    let open = created["order_id"].as_str().expect("order_id").to_string();
    until(
        Duration::from_secs(30),
        || run(cli().args(["charge", "show", "--json", &open])),
        |out| reply(out)["status"] == "pending",
    );
    let out = run(cli().args(["charge", "cancel", &open]));
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(reply(&out)["ok"], true);
    until(
        Duration::from_secs(30),
        || run(cli().args(["charge", "show", "--json", &open])),
        |out| reply(out)["status"] == "cancelled",
    );
    // A paid charge is refunded, not cancelled.
    let out = run(cli().args(["charge", "cancel", &paid]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(reply(&out)["error"]["code"], "not_cancellable");

    // The charges' list, by status, and its next page keeps the filter.
    let out = until(
        Duration::from_secs(15),
        || run(cli().args(["charge", "list", "--provider", "a55", "--limit", "1"])),
        |out| stdout(out).contains("next cursor: "),
    );
    let table = stdout(&out);
    assert!(table.starts_with("ORDER ID"), "{table}");
    assert!(
        table.contains("(giro charge list --provider a55 --limit 1 --cursor "),
        "{table}"
    );
    let out = until(
        Duration::from_secs(15),
        || run(cli().args(["charge", "list", "--status", "cancelled", "--json"])),
        |out| reply(out)["items"].as_array().is_some_and(|i| i.len() == 1),
    );
    assert_eq!(reply(&out)["items"][0]["order_id"], open.as_str());

    // A beneficiary, registered and shown masked until the provider has made it ACTIVE.
    let register = [
        "beneficiary",
        "register",
        "--file",
        "ops/examples/beneficiary-pse.json",
    ];
    let out = run(cli().args(register));
    assert!(out.status.success(), "{}", show(&out));
    let registered = reply(&out);
    let beneficiary = registered["beneficiary_id"]
        .as_str()
        .expect("beneficiary_id")
        .to_string();
    let out = until(
        Duration::from_secs(30),
        || run(cli().args(["beneficiary", "show", &beneficiary])),
        |out| stdout(out).contains("ACTIVE"),
    );
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("beneficiary {beneficiary}\n")),
        "{text}"
    );
    for expected in ["account type", "PSE", "vendor-17", "beneficiary.registered"] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert!(
        !text.contains("123456789") && !text.contains("1234567890"),
        "unmasked:\n{text}"
    );
    let json = reply(&run(cli().args([
        "beneficiary",
        "show",
        "--json",
        &beneficiary,
    ])));
    assert_eq!(json["kind"], "beneficiary", "{json}");
    let out = until(
        Duration::from_secs(15),
        || {
            run(cli().args([
                "beneficiary",
                "list",
                "--external-id",
                "vendor-17",
                "--json",
            ]))
        },
        |out| reply(out)["items"][0]["status"] == "ACTIVE",
    );
    assert_eq!(
        reply(&out)["items"][0]["beneficiary_id"],
        beneficiary.as_str()
    );
    let out = run(cli().args(["beneficiary", "list", "--status", "ACTIVE"]));
    let table = stdout(&out);
    assert!(table.starts_with("BENEFICIARY ID"), "{}", show(&out));
    assert!(table.contains(&beneficiary), "{table}");
}

#[test]
fn show_without_an_engine_stops_at_the_first_no_responders() {
    // A prefix no intake serves: NATS answers "no responders" at once.
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let id = uuid::Uuid::new_v4().to_string();
    for kind in ["payout", "charge", "beneficiary"] {
        let started = Instant::now();
        let out = run(giro().args([kind, "show", &id, "--prefix", &prefix, "--timeout", "10s"]));
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        assert!(
            took < Duration::from_secs(5),
            "took {took:?}: {}",
            show(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("giro: unavailable: no giro-intake instance is serving"),
            "{}",
            show(&out)
        );
        assert!(out.stdout.is_empty(), "{}", show(&out));
    }
    let out = run(giro().args(["payout", "show", "--json", &id, "--prefix", &prefix]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let envelope = reply(&out);
    assert_eq!(envelope["ok"], false, "{envelope}");
    assert_eq!(envelope["error"]["code"], "unavailable", "{envelope}");
}
