//! Development keys: on a developer machine `giro up` makes an Ed25519 key pair in a local folder
//! (`.giro/dev-keys/`, never committed) and mints a token per role, so the stack runs with
//! verification on from the first command. Never for production: the private key lies in a file.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use giro_domain::operator::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::Error;

/// The issuer and audience of development tokens.
pub const DEV_ISSUER: &str = "giro-dev";
pub const DEV_AUDIENCE: &str = "giro";
/// The key id of the development key.
const DEV_KID: &str = "giro-dev-1";

/// A development key pair on disk: `signing.pem` (PKCS#8) and `keys.json` (its JWK Set).
#[derive(Debug, Clone)]
pub struct DevKeys {
    dir: PathBuf,
    signing: SigningKey,
}

impl DevKeys {
    /// Loads the pair in `dir`, making it first if there is none. Safe when several processes
    /// start at once on a fresh folder (the tests' `giro up`s): the first key file published
    /// wins, every process loads that one, and no reader sees a half-written file.
    pub fn ensure(dir: &Path) -> Result<DevKeys, Error> {
        let pem_path = dir.join("signing.pem");
        if !pem_path.exists() {
            let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
            let pem = signing
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| Error::Sign(e.to_string()))?;
            publish(dir, &pem_path, pem.as_bytes(), false)?;
        }
        let keys = DevKeys::open(dir)?.ok_or_else(|| Error::Keys {
            path: pem_path.display().to_string(),
            message: "written but not found".into(),
        })?;
        publish(dir, &keys.keys_file(), keys.jwks().as_bytes(), true)?;
        Ok(keys)
    }

    /// The pair in `dir` when `giro up` made one there; never makes one.
    pub fn open(dir: &Path) -> Result<Option<DevKeys>, Error> {
        let pem_path = dir.join("signing.pem");
        let pem = match std::fs::read_to_string(&pem_path) {
            Ok(pem) => pem,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Keys {
                    path: pem_path.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| Error::Keys {
            path: pem_path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(Some(DevKeys {
            dir: dir.to_path_buf(),
            signing,
        }))
    }

    /// The JWK Set file to give `GIRO_OPERATOR_KEYS_FILE`.
    pub fn keys_file(&self) -> PathBuf {
        self.dir.join("keys.json")
    }

    fn jwks(&self) -> String {
        let x = URL_SAFE_NO_PAD.encode(self.signing.verifying_key().to_bytes());
        json!({ "keys": [{
            "kty": "OKP", "crv": "Ed25519", "x": x, "kid": DEV_KID, "alg": "EdDSA", "use": "sig",
        }]})
        .to_string()
    }

    /// A token for `sub` with `roles`, valid for `ttl`.
    pub fn mint(&self, sub: &str, roles: &[Role], ttl: Duration) -> Result<String, Error> {
        mint_with(&self.signing, sub, roles, ttl)
    }
}

/// Signs a development token with `signing` (tests use it with keys of their own).
pub fn mint_with(
    signing: &SigningKey,
    sub: &str,
    roles: &[Role],
    ttl: Duration,
) -> Result<String, Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let claims = json!({
        "sub": sub,
        "roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "iat": now.as_secs(),
        "exp": (now + ttl).as_secs(),
    });
    sign(signing, &claims)
}

/// Signs any claims with `signing` under the development key id (tests make expired or
/// otherwise odd tokens with it).
pub fn sign(signing: &SigningKey, claims: &serde_json::Value) -> Result<String, Error> {
    let der = signing
        .to_pkcs8_der()
        .map_err(|e| Error::Sign(e.to_string()))?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(DEV_KID.to_string());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
        .map_err(|e| Error::Sign(e.to_string()))
}

/// Writes `bytes` to a file of its own in `dir`, then puts it at `path` in one step: replacing
/// what is there when `replace`, else only when nothing is (a file already there is kept).
fn publish(dir: &Path, path: &Path, bytes: &[u8], replace: bool) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let temp = dir.join(format!(
        ".{}.{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = write_private(&temp, bytes).and_then(|()| {
        if replace {
            std::fs::rename(&temp, path)
        } else {
            match std::fs::hard_link(&temp, path) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
                _ => Ok(()),
            }
        }
    });
    let _ = std::fs::remove_file(&temp);
    written.map_err(failed)
}

/// A new file readable by its owner only (the private key lies in one).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Several `giro up`s starting at once on a fresh checkout end with one key pair, and a
    /// token any of them mints verifies against the key file every one of them reads.
    #[test]
    fn processes_starting_at_once_share_one_key_pair() {
        let dir =
            std::env::temp_dir().join(format!("giro-dev-keys-{:016x}", rand::random::<u64>()));
        let made: Vec<DevKeys> = std::thread::scope(|s| {
            let started: Vec<_> = (0..8)
                .map(|_| s.spawn(|| DevKeys::ensure(&dir).expect("keys")))
                .collect();
            started.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let verifier = crate::Verifier::from_file(
            &dir.join("keys.json"),
            Some(DEV_ISSUER.into()),
            Some(DEV_AUDIENCE.into()),
        )
        .expect("one readable key file");
        for keys in &made {
            let token = keys
                .mint("dev", &[Role::Viewer], Duration::from_secs(60))
                .unwrap();
            let bearer = format!("Bearer {token}");
            assert!(verifier.require(Some(&bearer), Role::Viewer).is_ok());
        }
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 2, "temporary files left: {left:?}");
        assert!(DevKeys::open(&dir.join("none")).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
