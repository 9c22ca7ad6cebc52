//! Where adapters read their configuration: `GIRO_*` environment variables, secrets from
//! `<NAME>_FILE` when set, and values set in code (which win: `giro up` points the adapters at
//! its in-process sandboxes, tests at theirs). Credentials never come from code in production;
//! each adapter's defaults are its sandbox's own credentials, so the sandboxes and the engine
//! work together out of the box.

use std::collections::BTreeMap;
use std::time::Duration;

use giro_domain::Secret;

use crate::registry::RegistryError;

/// The URL providers call the ingress at, unless `GIRO_INGRESS_PUBLIC_URL` says otherwise: the
/// development one, on a host name rather than an IP address because providers refuse callback
/// addresses on IP addresses, and under `.localhost` (RFC 6761), a name that never leaves the
/// machine. Nothing asks DNS for it: the sandbox delivers callbacks to it by a resolve map
/// (`giro sandbox --callback-resolve`, the loopback address by default), and `giro up` calls the
/// ingress `http://giro.localhost:<its port>`. In production set the ingress's public URL.
pub const DEFAULT_INGRESS_PUBLIC_URL: &str = "http://giro.localhost:8081";
/// The time-out of one provider call, unless `GIRO_PROVIDER_TIMEOUT` says otherwise.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(20);

/// Named settings with defaults.
#[derive(Clone, Default)]
pub struct Settings {
    values: BTreeMap<String, String>,
    environment: bool,
}

impl std::fmt::Debug for Settings {
    /// Names only: values may be credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("set", &self.values.keys().collect::<Vec<_>>())
            .field("environment", &self.environment)
            .finish()
    }
}

impl Settings {
    /// Settings from the process environment (and what is set on top).
    pub fn from_env() -> Self {
        Settings {
            values: BTreeMap::new(),
            environment: true,
        }
    }

    /// Settings that ignore the environment: only what is set, else defaults (tests).
    pub fn isolated() -> Self {
        Settings::default()
    }

    /// Sets `name` to `value`, over the environment.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.values.insert(name.into(), value.into());
        self
    }

    /// The value of `name` when set (in code, else in the environment) and not empty.
    pub fn value(&self, name: &str) -> Option<String> {
        if let Some(v) = self.values.get(name) {
            return Some(v.clone());
        }
        if !self.environment {
            return None;
        }
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    /// The value of `name`, else `default`.
    pub fn get(&self, name: &str, default: &str) -> String {
        self.value(name).unwrap_or_else(|| default.to_string())
    }

    /// A secret: the trimmed content of the file `<name>_FILE` names when set, else the value
    /// of `name`, else `default`.
    pub fn secret(&self, name: &str, default: &str) -> Result<Secret<String>, RegistryError> {
        let file = format!("{name}_FILE");
        match self.value(&file) {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Secret::new(text.trim().to_string())),
                Err(e) => Err(RegistryError::Setting {
                    name: file,
                    reason: format!("cannot read the file it names: {e}"),
                }),
            },
            None => Ok(Secret::new(self.get(name, default))),
        }
    }

    /// Whether `name` is set to a true value (`1`, `true`, `yes`, `on`).
    pub fn flag(&self, name: &str) -> bool {
        self.value(name).is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
    }

    /// A number, else `default`.
    pub fn number(&self, name: &str, default: u32) -> Result<u32, RegistryError> {
        match self.value(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| RegistryError::Setting {
                name: name.to_string(),
                reason: format!("{v:?} is not a whole number"),
            }),
        }
    }

    /// The public URL of the ingress (`GIRO_INGRESS_PUBLIC_URL`), without a trailing `/`:
    /// providers are told to call `<it>/webhooks/<path>`.
    pub fn ingress_public_url(&self) -> String {
        self.get("GIRO_INGRESS_PUBLIC_URL", DEFAULT_INGRESS_PUBLIC_URL)
            .trim_end_matches('/')
            .to_string()
    }

    /// The time-out of one provider call (`GIRO_PROVIDER_TIMEOUT`: `250ms`, `20s`, `1m`).
    pub fn provider_timeout(&self) -> Result<Duration, RegistryError> {
        const NAME: &str = "GIRO_PROVIDER_TIMEOUT";
        match self.value(NAME) {
            None => Ok(DEFAULT_PROVIDER_TIMEOUT),
            Some(v) => parse_duration(&v).ok_or_else(|| RegistryError::Setting {
                name: NAME.to_string(),
                reason: format!("{v:?} is not a duration like 20s"),
            }),
        }
    }
}

/// Parses `250ms`, `10s`, `2m` (a bare number is seconds).
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" | "" => Some(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_values_win_and_isolated_settings_ignore_the_environment() {
        let mut s = Settings::isolated();
        assert_eq!(s.get("PATH", "none"), "none");
        s.set("GIRO_X", "1").set("GIRO_PROVIDER_TIMEOUT", "250ms");
        assert!(s.flag("GIRO_X"));
        assert_eq!(
            s.provider_timeout().expect("duration"),
            Duration::from_millis(250)
        );
        assert_eq!(s.secret("GIRO_Y", "dflt").expect("secret").expose(), "dflt");
        s.set("GIRO_Y_FILE", "/nonexistent/giro-secret");
        assert!(s.secret("GIRO_Y", "dflt").is_err());
        s.set("GIRO_N", "x");
        assert!(s.number("GIRO_N", 1).is_err());
    }
}
