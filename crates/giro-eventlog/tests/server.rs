//! Connecting as every Giro entry point does, against the real server the suite runs on: it is
//! 2.12 or later (so the suite runs on the baseline), and a `NATS_URL` list reaches it even when
//! the other node it names is down.

use std::net::TcpListener;

use async_nats::ConnectOptions;
use giro_eventlog::server::{self, MINIMUM_SERVER, Version};
use giro_eventlog::test_support::nats_url;

#[tokio::test]
async fn the_suites_server_is_2_12_or_later_and_accepted() {
    let client = server::connect(&nats_url(), ConnectOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let announced = client.server_info().version;
    let version = Version::parse(&announced).expect("a version in the server's INFO");
    assert!(version >= MINIMUM_SERVER, "{announced}");
}

#[tokio::test]
async fn a_list_reaches_the_live_node_when_another_is_down() {
    let down = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let list = format!("nats://127.0.0.1:{down}, {}", nats_url());
    let client = server::connect(&list, ConnectOptions::new().retain_servers_order())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client.flush().await.expect("connected");
}

#[tokio::test]
async fn an_unreachable_list_is_named_without_its_passwords() {
    let down = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let list = format!("nats://giro:hunter2@127.0.0.1:{down}");
    let refused = server::connect(&list, ConnectOptions::new())
        .await
        .expect_err("nothing listens there");
    let message = refused.to_string();
    assert!(
        message.contains(&format!("giro:***@127.0.0.1:{down}")),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}
