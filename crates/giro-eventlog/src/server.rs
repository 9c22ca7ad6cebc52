//! Connecting to NATS the way every Giro entry point does: `NATS_URL` is one URL or a
//! comma-separated list of a cluster's nodes, credentials in it are used (as connect options) and
//! never printed, and a server older than [`MINIMUM_SERVER`] is refused at start-up with what to
//! run instead.

use std::fmt;
use std::sync::{Arc, OnceLock};

use async_nats::{ConnectOptions, ServerAddr};

/// The oldest nats-server Giro runs on: 2.12 brings atomic batch publish, message schedules and
/// multi-filter consumers, which the engine's streams are configured for.
pub const MINIMUM_SERVER: Version = Version {
    major: 2,
    minor: 12,
    patch: 0,
};

/// A nats-server release, as its INFO line announces it (`2.12.8`, `v2.11.0-RC.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    /// Reads `major.minor[.patch]`, with an optional leading `v` and any pre-release or build
    /// suffix ignored (a 2.12 release candidate counts as 2.12).
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let mut number = |required: bool| match parts.next() {
            Some(p) => p.parse::<u64>().ok(),
            None if required => None,
            None => Some(0),
        };
        let version = Version {
            major: number(true)?,
            minor: number(true)?,
            patch: number(false)?,
        };
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a connection was not made; every message names the servers with credentials masked.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("NATS_URL entry {entry:?} is not a NATS URL: {reason}")]
    InvalidUrl { entry: String, reason: String },
    #[error("NATS_URL is empty: give one URL or a comma-separated list of a cluster's nodes")]
    NoServer,
    #[error("cannot connect to NATS at {servers}: {reason}")]
    Unreachable { servers: String, reason: String },
    #[error(
        "nats-server {version} at {server} is older than {}.{}, which Giro needs \
         (atomic batches, schedules): run `ops/dev up`, or use the nats:2.12 image",
        MINIMUM_SERVER.major,
        MINIMUM_SERVER.minor
    )]
    TooOld { version: String, server: String },
}

/// `list` with the password or token of every URL in it replaced by `***`, for messages and logs.
pub fn redact(list: &str) -> String {
    list.split(',')
        .map(|entry| {
            let entry = entry.trim();
            let (scheme, rest) = match entry.find("://") {
                Some(i) => entry.split_at(i + 3),
                None => ("", entry),
            };
            match rest.rfind('@') {
                Some(at) => {
                    let (userinfo, host) = rest.split_at(at);
                    let user = match userinfo.split_once(':') {
                        Some((user, _)) => format!("{user}:***"),
                        None => "***".to_string(),
                    };
                    format!("{scheme}{user}{host}")
                }
                None => entry.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The servers of `list`: one NATS URL or several separated by commas (`nats://a:4222,nats://b:4222`).
pub fn servers(list: &str) -> Result<Vec<ServerAddr>, ConnectError> {
    let entries: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Err(ConnectError::NoServer);
    }
    entries
        .into_iter()
        .map(|entry| {
            entry
                .parse::<ServerAddr>()
                .map_err(|e| ConnectError::InvalidUrl {
                    entry: redact(entry),
                    reason: e.to_string(),
                })
        })
        .collect()
}

/// Credentials a `NATS_URL` carries: `nats://user:password@host` or `nats://token@host`.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    UserPassword { user: String, password: String },
    Token(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::UserPassword { user, .. } => write!(f, "UserPassword({user}, ***)"),
            Credentials::Token(_) => f.write_str("Token(***)"),
        }
    }
}

/// `%XX` sequences of a URL's user information decoded (anything else kept as written).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The servers of `list` with the credentials taken out of their URLs, and those credentials
/// (one set for the whole list: a cluster's nodes share their accounts). The NATS client neither
/// uses credentials written in a URL nor keeps them out of its debug log, so Giro passes them as
/// connect options and gives the client bare addresses.
pub fn servers_and_credentials(
    list: &str,
) -> Result<(Vec<ServerAddr>, Option<Credentials>), ConnectError> {
    let mut found: Option<Credentials> = None;
    let mut bare = Vec::new();
    for addr in servers(list)? {
        let credentials = match (addr.username(), addr.password()) {
            (Some(user), Some(password)) => Some(Credentials::UserPassword {
                user: percent_decoded(user),
                password: percent_decoded(password),
            }),
            (Some(token), None) => Some(Credentials::Token(percent_decoded(token))),
            _ => None,
        };
        let mut url = addr.into_inner();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let stripped = ServerAddr::from_url(url).map_err(|e| ConnectError::InvalidUrl {
            entry: redact(list),
            reason: e.to_string(),
        })?;
        match (&found, credentials) {
            (Some(known), Some(these)) if *known != these => {
                return Err(ConnectError::InvalidUrl {
                    entry: redact(list),
                    reason: "its URLs carry different credentials; give every node the same".into(),
                });
            }
            (None, Some(these)) => found = Some(these),
            _ => {}
        }
        bare.push(stripped);
    }
    Ok((bare, found))
}

/// Refuses a server older than [`MINIMUM_SERVER`]; `server` names it in the message.
pub fn check_version(version: &str, server: &str) -> Result<Version, ConnectError> {
    match Version::parse(version) {
        Some(v) if v >= MINIMUM_SERVER => Ok(v),
        _ => Err(ConnectError::TooOld {
            version: if version.is_empty() {
                "(version not announced)".to_string()
            } else {
                version.to_string()
            },
            server: server.to_string(),
        }),
    }
}

/// Connects to the servers of `list` with `options` and checks the version of the server it
/// reached. With `retry_on_initial_connect` set this waits until a server answers, however long.
pub async fn connect(
    list: &str,
    options: ConnectOptions,
) -> Result<async_nats::Client, ConnectError> {
    let unreachable = |e: &dyn fmt::Display| ConnectError::Unreachable {
        servers: redact(list),
        reason: e.to_string(),
    };
    let (servers, credentials) = servers_and_credentials(list)?;
    // A client reconnects on its own, perhaps to another node (a cluster mid-upgrade, a server
    // replaced by an older one): each reconnection checks the version again, loudly.
    let connected: Arc<OnceLock<async_nats::Client>> = Arc::default();
    let watched = connected.clone();
    let named = redact(list);
    let options = options.event_callback(move |event| {
        let watched = watched.clone();
        let named = named.clone();
        async move {
            if matches!(event, async_nats::Event::Connected)
                && let Some(client) = watched.get().cloned()
            {
                recheck(&client, &named).await;
            }
        }
    });
    let options = match credentials {
        Some(Credentials::UserPassword { user, password }) => {
            options.user_and_password(user, password)
        }
        Some(Credentials::Token(token)) => options.token(token),
        None => options,
    };
    let client = options
        .connect(servers)
        .await
        .map_err(|e| unreachable(&e))?;
    // The server's INFO is known once the connection is up: a flush waits for that.
    client.flush().await.map_err(|e| unreachable(&e))?;
    let info = client.server_info();
    let server = format!("{}:{} ({})", info.host, info.port, redact(list));
    let version = check_version(&info.version, &server)?;
    tracing::debug!(%version, server = %info.server_name, "connected to nats-server");
    giro_telemetry::metrics::nats_server_too_old(false);
    let _ = connected.set(client.clone());
    Ok(client)
}

/// After a reconnection: the new server's version, refused in the log and the metric
/// `giro_nats_server_too_old` when older than [`MINIMUM_SERVER`] (the connection stays up:
/// what needs 2.12 fails with the server's own error until the server is replaced).
async fn recheck(client: &async_nats::Client, list: &str) {
    // The connected event is sent just before the client records the new server's INFO.
    let before = client.server_info().server_id;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if client.server_info().server_id != before {
            break;
        }
    }
    let info = client.server_info();
    let server = format!("{}:{} ({list})", info.host, info.port);
    match check_version(&info.version, &server) {
        Ok(version) => {
            giro_telemetry::metrics::nats_server_too_old(false);
            tracing::info!(%version, server = %info.server_name, "reconnected to nats-server");
        }
        Err(e) => {
            giro_telemetry::metrics::nats_server_too_old(true);
            tracing::error!(error = %e, "reconnected to a nats-server Giro cannot run on");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_as_servers_announce_them() {
        let v = |major, minor, patch| {
            Some(Version {
                major,
                minor,
                patch,
            })
        };
        assert_eq!(Version::parse("2.12.8"), v(2, 12, 8));
        assert_eq!(Version::parse("v2.9.25"), v(2, 9, 25));
        assert_eq!(Version::parse("2.12.0-RC.3"), v(2, 12, 0));
        assert_eq!(Version::parse("2.15"), v(2, 15, 0));
        assert_eq!(Version::parse(" 2.14.1+build "), v(2, 14, 1));
        for bad in ["", "2", "two.twelve", "2.12.8.1", "2..1"] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn servers_older_than_2_12_are_refused_with_what_to_run() {
        assert!(check_version("2.12.0", "a").is_ok());
        assert!(check_version("2.12.8", "a").is_ok());
        assert!(check_version("2.15.1", "a").is_ok());
        assert!(check_version("3.0.0", "a").is_ok());
        for old in ["2.11.9", "2.9.25", "1.99.0", "", "garbage"] {
            assert!(check_version(old, "a").is_err(), "{old:?}");
        }
        let message = check_version("2.9.25", "127.0.0.1:4222")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "nats-server 2.9.25 at 127.0.0.1:4222 is older than 2.12, which Giro needs \
             (atomic batches, schedules): run `ops/dev up`, or use the nats:2.12 image"
        );
    }

    #[test]
    fn a_list_of_urls_is_every_node_of_a_cluster() {
        let list = servers("nats://127.0.0.1:4231, nats://127.0.0.1:4232,127.0.0.1:4233").unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[2].port(), 4233);
        assert!(matches!(servers(" , "), Err(ConnectError::NoServer)));
        let bad = servers("nats://u:secret@a:4222,nats://u:secret@b:notaport").unwrap_err();
        assert!(!bad.to_string().contains("secret"), "{bad}");
    }

    #[test]
    fn credentials_come_out_of_the_urls_once_for_the_whole_list() {
        let (bare, found) =
            servers_and_credentials("nats://giro:p%40ss@a:4222, nats://giro:p%40ss@b:4222")
                .unwrap();
        assert_eq!(
            found,
            Some(Credentials::UserPassword {
                user: "giro".into(),
                password: "p@ss".into()
            })
        );
        assert!(
            bare.iter()
                .all(|a| !a.has_user_pass() && a.password().is_none())
        );
        assert!(!format!("{bare:?} {found:?}").contains("p%40ss"));
        assert!(!format!("{found:?}").contains("p@ss"));
        let (_, token) = servers_and_credentials("nats://s3cr3t@a:4222").unwrap();
        assert_eq!(token, Some(Credentials::Token("s3cr3t".into())));
        let (_, none) = servers_and_credentials("nats://a:4222").unwrap();
        assert_eq!(none, None);
        let mixed = servers_and_credentials("nats://u:one@a:4222,nats://u:two@b:4222").unwrap_err();
        assert!(!mixed.to_string().contains("one") && !mixed.to_string().contains("two"));
    }

    #[test]
    fn credentials_in_urls_are_never_printed() {
        assert_eq!(
            redact("nats://intake:s3cr3t@nats:4222,nats://tok3n@b:4222,nats://c:4222"),
            "nats://intake:***@nats:4222,nats://***@b:4222,nats://c:4222"
        );
        assert_eq!(redact("u:p@host:4222"), "u:***@host:4222");
    }
}
