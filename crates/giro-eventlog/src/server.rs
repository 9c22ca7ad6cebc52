//! Connecting to NATS the way every Giro entry point does: `NATS_URL` is one URL or a
//! comma-separated list of a cluster's nodes, credentials in it are never printed, and a server
//! older than [`MINIMUM_SERVER`] is refused at start-up with what to run instead.

use std::fmt;

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
    let client = options
        .connect(servers(list)?)
        .await
        .map_err(|e| unreachable(&e))?;
    // The server's INFO is known once the connection is up: a flush waits for that.
    client.flush().await.map_err(|e| unreachable(&e))?;
    let info = client.server_info();
    let server = format!("{}:{} ({})", info.host, info.port, redact(list));
    let version = check_version(&info.version, &server)?;
    tracing::debug!(%version, server = %info.server_name, "connected to nats-server");
    Ok(client)
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
    fn credentials_in_urls_are_never_printed() {
        assert_eq!(
            redact("nats://intake:s3cr3t@nats:4222,nats://tok3n@b:4222,nats://c:4222"),
            "nats://intake:***@nats:4222,nats://***@b:4222,nats://c:4222"
        );
        assert_eq!(redact("u:p@host:4222"), "u:***@host:4222");
    }
}
