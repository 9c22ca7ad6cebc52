//! A three-node JetStream cluster of the test's own: nats-server (2.12 or later) processes on free
//! loopback ports, each with a temporary store, killed and removed when the cluster is dropped,
//! even when the test panics (kept, for reading the nodes' logs, with `GIRO_CLUSTER_KEEP` set).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::jetstream::consumer::pull;

/// One node: its name, client port and configuration file (its store is beside it).
struct Node {
    name: String,
    port: u16,
    config: PathBuf,
    child: Option<Child>,
}

pub struct Cluster {
    dir: PathBuf,
    bin: String,
    nodes: Vec<Node>,
}

fn free_ports(n: usize) -> Vec<u16> {
    // Held together so that no two are the same.
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("bound").port())
        .collect()
}

impl Cluster {
    /// Writes the three nodes' configurations and starts them.
    pub fn start() -> Cluster {
        let bin = giro_eventlog::test_support::nats_server_binary();
        let dir = std::env::temp_dir().join(format!("giro-cluster-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let ports = free_ports(6);
        let routes: Vec<String> = ports[3..]
            .iter()
            .map(|p| format!("nats-route://127.0.0.1:{p}"))
            .collect();
        let mut cluster = Cluster {
            dir,
            bin,
            nodes: vec![],
        };
        for i in 0..3 {
            let name = format!("n{}", i + 1);
            let store = cluster.dir.join(&name);
            let config = cluster.dir.join(format!("{name}.conf"));
            let text = format!(
                "server_name: {name}\nlisten: 127.0.0.1:{}\nlog_file: {:?}\n\
                 jetstream {{ store_dir: {:?} }}\n\
                 cluster {{ name: giro-test, listen: 127.0.0.1:{}, routes: [{}] }}\n",
                ports[i],
                cluster.dir.join(format!("{name}.log")),
                store,
                ports[3 + i],
                routes.join(", ")
            );
            std::fs::write(&config, text).expect("a node's configuration");
            cluster.nodes.push(Node {
                name,
                port: ports[i],
                config,
                child: None,
            });
        }
        for i in 0..3 {
            cluster.run(i);
        }
        cluster
    }

    /// The nodes' client URLs, as `NATS_URL` lists them.
    pub fn url(&self) -> String {
        let urls: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect();
        urls.join(",")
    }

    fn index(&self, name: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .unwrap_or_else(|| panic!("no node {name}"))
    }

    fn run(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(&node.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.bin));
        node.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", node.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "node {} did not start",
                node.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9` of node `name`.
    pub fn kill(&mut self, name: &str) {
        let i = self.index(name);
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `name` again on its store.
    pub fn restart(&mut self, name: &str) {
        let i = self.index(name);
        self.run(i);
    }

    /// Waits until the cluster can place a stream on all three nodes (a meta leader, every peer
    /// known), by creating and deleting a probe stream.
    pub async fn wait_ready(&self, client: async_nats::Client) {
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(1))
            .build(client);
        let deadline = Instant::now() + Duration::from_secs(30);
        let probe = jetstream::stream::Config {
            name: format!("PROBE_{}", uuid::Uuid::new_v4().simple()),
            subjects: vec![format!("probe.{}", uuid::Uuid::new_v4().simple())],
            num_replicas: 3,
            ..Default::default()
        };
        loop {
            match js.create_stream(probe.clone()).await {
                Ok(_) => break,
                Err(e) => assert!(Instant::now() < deadline, "cluster not ready: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // A busy machine may take longer than the 1 s time-out to answer: ask again until the
        // deadline (a probe already deleted answers "not found").
        loop {
            match js.delete_stream(&probe.name).await {
                Ok(_) => break,
                Err(e) if e.to_string().contains("not found") => break,
                Err(e) => assert!(Instant::now() < deadline, "probe not deleted: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// How long after `since` `stream` (or its durable `consumer`) has a leader other than
    /// `killed` (asked every 100 ms, each question answered within `js`'s time-out).
    pub async fn elected(
        js: jetstream::Context,
        stream: String,
        consumer: Option<String>,
        killed: String,
        since: Instant,
    ) -> Duration {
        loop {
            let leader = match (js.get_stream(&stream).await, &consumer) {
                (Ok(mut s), None) => s.info().await.ok().and_then(|i| i.cluster.clone()),
                (Ok(s), Some(name)) => match s.get_consumer::<pull::Config>(name).await {
                    Ok(mut c) => c.info().await.ok().and_then(|i| i.cluster.clone()),
                    Err(_) => None,
                },
                (Err(_), _) => None,
            }
            .and_then(|c| c.leader);
            if leader.is_some_and(|l| l != killed) {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(60),
                "{stream} {consumer:?} elected no leader"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The name of `stream`'s leader once it has one whose replicas are all current.
    pub async fn settled_leader(&self, js: &jetstream::Context, stream: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let info = match js.get_stream(stream).await {
                Ok(mut s) => s.info().await.ok().map(|i| i.cluster.clone()),
                Err(_) => None,
            };
            if let Some(Some(cluster)) = info {
                let current = cluster.replicas.iter().filter(|r| r.current).count();
                if let Some(leader) = cluster.leader.filter(|_| current == 2) {
                    return leader;
                }
            }
            assert!(
                Instant::now() < deadline,
                "stream {stream} has no settled leader"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() {
            eprintln!("cluster logs (removed now): {}", self.dir.display());
            for node in &self.nodes {
                let log = self.dir.join(format!("{}.log", node.name));
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                eprintln!("--- {} ---", node.name);
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        if std::env::var_os("GIRO_CLUSTER_KEEP").is_some() {
            eprintln!("cluster logs and stores kept: {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
