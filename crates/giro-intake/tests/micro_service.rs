//! `giro-intake` speaks the NATS micro service protocol (`io.nats.micro.v1`): `$SRV.PING`,
//! `$SRV.INFO` and `$SRV.STATS` answer in its schemas, and a refused command counts as an error of
//! its endpoint (`num_errors`, `last_error`) while its reply still carries the contract's envelope.

use crate::common;

use common::*;
use giro_eventlog::test_support::TestLog;

fn endpoint<'a>(instance: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    instance["endpoints"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["name"] == name))
        .unwrap_or_else(|| panic!("no {name} endpoint: {instance}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_commands_count_as_errors_in_stats_and_keep_their_envelope() {
    let t = TestLog::new().await;
    let prefix = t.config.prefix.as_str();
    let nats = connect().await;
    let _intake = start_intake(connect().await, &t.config).await;

    let info = service_instances(&nats, "INFO", prefix, 1).await;
    assert_eq!(info.len(), 1, "{info:?}");
    let instance = &info[0];
    assert_eq!(instance["type"], "io.nats.micro.v1.info_response");
    assert_eq!(instance["name"], "giro-intake");
    assert_eq!(instance["version"], env!("CARGO_PKG_VERSION"));
    let id = instance["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 22, "{instance}");
    assert!(
        !instance["description"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );

    // PING to this instance's own subject.
    let pong = nats
        .request(format!("$SRV.PING.giro-intake.{id}"), "".into())
        .await
        .expect("PING answered");
    let pong: serde_json::Value = serde_json::from_slice(&pong.payload).unwrap();
    assert_eq!(pong["type"], "io.nats.micro.v1.ping_response", "{pong}");
    assert_eq!(pong["id"], id.as_str());
    assert_eq!(pong["metadata"]["prefix"], prefix, "{pong}");

    // One accepted create and two refused ones.
    let subject = format!("{prefix}.cmd.payout.create");
    let ok = raw(&nats, &subject, payout("micro-1").to_string().into_bytes()).await;
    assert_eq!(ok.body["ok"], true, "{}", ok.body);
    assert_eq!(ok.status, None, "an accepted command has no error headers");
    let bad = raw(&nats, &subject, b"{not json".to_vec()).await;
    expect(&bad, "invalid_json", None, "400");
    let mut wrong = payout("micro-2");
    wrong["amount"] = "1.001".into();
    let wrong = raw(&nats, &subject, wrong.to_string().into_bytes()).await;
    assert_eq!(wrong.body["ok"], false, "{}", wrong.body);
    assert_eq!(wrong.status.as_deref(), Some("400"));

    let stats = nats
        .request(format!("$SRV.STATS.giro-intake.{id}"), "".into())
        .await
        .expect("STATS answered");
    let stats: serde_json::Value = serde_json::from_slice(&stats.payload).unwrap();
    assert_eq!(stats["type"], "io.nats.micro.v1.stats_response", "{stats}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(stats["started"].as_str().unwrap_or_default()).is_ok(),
        "{stats}"
    );
    let create = endpoint(&stats, "payout-create");
    assert_eq!(create["subject"], subject.as_str(), "{create}");
    assert_eq!(create["queue_group"], "giro-intake", "{create}");
    assert_eq!(create["num_requests"], 3, "{create}");
    assert_eq!(create["num_errors"], 2, "{create}");
    let last = create["last_error"].as_str().unwrap_or_default();
    assert!(
        last.starts_with("400:") && last[4..] == *wrong.error.as_deref().unwrap_or_default(),
        "last_error is `code:description` of the last refusal: {create}"
    );
    assert!(
        create["processing_time"].as_u64().unwrap_or(0) > 0,
        "{create}"
    );
    assert!(create["average_processing_time"].as_u64().unwrap_or(0) > 0);
    let by_code = &create["data"]["errors_by_code"];
    let counted: u64 = by_code
        .as_object()
        .map(|m| m.values().filter_map(|v| v.as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(counted, 2, "{create}");
    assert_eq!(by_code["invalid_json"], 1, "{create}");
    // Endpoints nobody called are there, at zero.
    let cancel = endpoint(&stats, "payout-cancel");
    assert_eq!(cancel["num_requests"], 0, "{cancel}");
    assert_eq!(cancel["num_errors"], 0, "{cancel}");
    assert_eq!(cancel["last_error"], "", "{cancel}");
}
