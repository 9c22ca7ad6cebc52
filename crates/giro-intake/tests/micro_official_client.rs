//! `giro-intake`'s micro service as the NATS ecosystem's own client sees it: the official NATS
//! JavaScript service client (`@nats-io/services`, run by `ops/tools/nats-micro/check.mjs`) pings,
//! queries and reads the stats of one intake, and checks each reply against the schema it declares
//! and against the replies of a service the same library runs. Installed by `ops/dev test`.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use giro_eventlog::test_support::TestLog;
use serde_json::Value;

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ops/tools/nats-micro")
}

fn endpoint<'a>(reply: &'a Value, name: &str) -> &'a Value {
    reply["endpoints"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["name"] == name))
        .unwrap_or_else(|| panic!("no {name} endpoint: {reply}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_nats_service_client_reads_counted_errors_and_metadata() {
    let tools = tools();
    assert!(
        tools.join("node_modules/@nats-io/services").is_dir(),
        "the official NATS service client is not installed in {}: run ops/dev test",
        tools.display()
    );
    let t = TestLog::new().await;
    let prefix = t.config.prefix.as_str();
    let nats = connect().await;
    let _intake = start_intake(connect().await, &t.config).await;
    // Answering INFO means subscribed at the server, endpoints included.
    let instances = service_instances(&nats, "INFO", prefix, 1).await;
    assert_eq!(instances.len(), 1, "{instances:?}");

    let subject = format!("{prefix}.cmd.payout.create");
    let ok = raw(
        &nats,
        &subject,
        payout("official-1").to_string().into_bytes(),
    )
    .await;
    assert_eq!(ok.body["ok"], true, "{}", ok.body);
    let bad = raw(&nats, &subject, b"{not json".to_vec()).await;
    expect(&bad, "invalid_json", None, "400");
    let mut wrong = payout("official-2");
    wrong["amount"] = "1.001".into();
    let wrong = raw(&nats, &subject, wrong.to_string().into_bytes()).await;
    assert_eq!(wrong.body["ok"], false, "{}", wrong.body);

    let url = giro_eventlog::test_support::nats_url();
    let out = tokio::task::spawn_blocking({
        let check = tools.join("check.mjs");
        let prefix = prefix.to_string();
        move || {
            Command::new("node")
                .arg(check)
                .arg(url)
                .arg(prefix)
                .output()
        }
    })
    .await
    .unwrap()
    .expect("node runs (Node.js 20 or later, installed by ops/dev test)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the official client refused giro-intake's replies: {stderr}"
    );
    let parsed: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check.mjs printed no JSON ({e}): {stderr}"));
    assert!(
        parsed["client"]
            .as_str()
            .is_some_and(|c| c.starts_with("@nats-io/services@")),
        "{parsed}"
    );

    let (ping, info, stats) = (&parsed["ping"], &parsed["info"], &parsed["stats"]);
    assert_eq!(ping["type"], "io.nats.micro.v1.ping_response", "{ping}");
    assert_eq!(info["type"], "io.nats.micro.v1.info_response", "{info}");
    assert_eq!(stats["type"], "io.nats.micro.v1.stats_response", "{stats}");
    let id = ping["id"].as_str().expect("ping has an id");
    assert_eq!(instances[0]["id"], id, "the instance of this test: {ping}");
    for reply in [ping, info, stats] {
        assert_eq!(reply["name"], "giro-intake", "{reply}");
        assert_eq!(reply["id"], id, "one instance answered all three: {reply}");
        assert_eq!(reply["version"], env!("CARGO_PKG_VERSION"), "{reply}");
        let metadata = &reply["metadata"];
        assert_eq!(metadata["prefix"], prefix, "{reply}");
        assert_eq!(metadata["stream"], t.config.stream.as_str(), "{reply}");
        assert_eq!(metadata["version"], env!("CARGO_PKG_VERSION"), "{reply}");
    }
    assert!(
        chrono::DateTime::parse_from_rfc3339(stats["started"].as_str().unwrap_or_default()).is_ok(),
        "{stats}"
    );

    let create = endpoint(stats, "payout-create");
    assert_eq!(create["subject"], subject.as_str(), "{create}");
    assert_eq!(create["num_requests"], 3, "{create}");
    assert_eq!(create["num_errors"], 2, "{create}");
    let last = create["last_error"].as_str().unwrap_or_default();
    assert!(
        !last.is_empty() && last.ends_with(wrong.error.as_deref().unwrap_or("<no error>")),
        "last_error is the last refusal: {create}"
    );
    assert_eq!(
        create["data"]["errors_by_code"]["invalid_json"], 1,
        "{create}"
    );
    for reply in [info, stats] {
        let endpoints = reply["endpoints"].as_array().expect("endpoints");
        assert!(endpoints.len() > 1, "{reply}");
        for e in endpoints {
            assert_eq!(e["queue_group"], "giro-intake", "{e}");
        }
    }
    assert_eq!(
        endpoint(info, "payout-create")["subject"],
        subject.as_str(),
        "{info}"
    );
}
