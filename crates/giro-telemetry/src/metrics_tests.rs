//! The process-wide metrics render with their labels.

use super::*;

#[test]
fn every_family_renders_with_its_labels() {
    command("payout.create", "ok");
    event_appended("payout", "payout.requested");
    append_conflict("payout");
    provider_call("prov-a", "submit", "2xx", Duration::from_millis(12));
    dead_letter("executor", "prov-b");
    consumer_lag("giro-executor-prov-a", 3, 1);
    notification("payout", "succeeded");
    webhook_delivery("ledger", "retried");
    let mut own = Registry::with_prefix("giro_ingress");
    let c = Counter::<u64>::default();
    own.register("callbacks", "x", c.clone());
    c.inc();
    let text = render_with(Some(&own));
    for needle in [
        "giro_ingress_callbacks_total 1",
        r#"giro_commands_total{command="payout.create",result="ok"} 1"#,
        r#"giro_events_appended_total{kind="payout",type="payout.requested"} 1"#,
        r#"giro_append_conflicts_total{kind="payout"} 1"#,
        r#"giro_provider_call_seconds_count{provider="prov-a",operation="submit",outcome="2xx"} 1"#,
        r#"giro_dead_letters_total{component="executor",provider="prov-b"} 1"#,
        r#"giro_consumer_pending{consumer="giro-executor-prov-a"} 3"#,
        r#"giro_notifications_total{kind="payout",status="succeeded"} 1"#,
        r#"giro_webhook_deliveries_total{subscription="ledger",outcome="retried"} 1"#,
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
}
