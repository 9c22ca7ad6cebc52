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

/// A server that speaks just enough of the NATS protocol to be connected to, announcing
/// `version` in its INFO, on `port` until the returned task is aborted.
fn old_server(port: u16, version: &'static str) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener =
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
    listener.set_nonblocking(true).expect("non-blocking");
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((socket, _)) = listener.accept().await {
            connections.spawn(async move {
                let (read, mut write) = socket.into_split();
                let info = format!(
                    "INFO {{\"server_id\":\"NOLDSERVER\",\"server_name\":\"old\",\"version\":\"{version}\",\
                     \"proto\":1,\"go\":\"go1.20\",\"host\":\"127.0.0.1\",\"port\":{port},\
                     \"headers\":true,\"max_payload\":1048576}}\r\n"
                );
                if write.write_all(info.as_bytes()).await.is_err() {
                    return;
                }
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.starts_with("PING") && write.write_all(b"PONG\r\n").await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}

/// The gauge `giro_nats_server_too_old` as this process exposes it.
fn too_old_gauge() -> Option<String> {
    giro_telemetry::metrics::render()
        .lines()
        .find(|l| l.starts_with("giro_nats_server_too_old "))
        .map(|l| {
            l.trim_start_matches("giro_nats_server_too_old ")
                .to_string()
        })
}

async fn wait_for_gauge(value: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while too_old_gauge().as_deref() != Some(value) {
        assert!(
            std::time::Instant::now() < deadline,
            "giro_nats_server_too_old is {:?}, not {value}, 30 s after {what}",
            too_old_gauge()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_reconnection_to_an_older_server_is_refused_loudly_and_cleared_by_a_current_one() {
    let mut nats = giro_eventlog::test_support::PrivateNats::start();
    let client = server::connect(&nats.url(), ConnectOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(too_old_gauge().as_deref(), Some("0"), "a current server");
    // The server is replaced by a 2.9 on the same address: the client reconnects to it.
    nats.stop();
    let old = old_server(nats.port, "2.9.25");
    wait_for_gauge("1", "the server was replaced by 2.9.25").await;
    // And back to a current one.
    old.abort();
    let _ = old.await;
    nats.run(true);
    wait_for_gauge("0", "a current server came back").await;
    client
        .flush()
        .await
        .expect("connected to the current server");
}
