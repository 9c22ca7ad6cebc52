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
    /// Loads the pair in `dir`, making it first if there is none.
    pub fn ensure(dir: &Path) -> Result<DevKeys, Error> {
        let pem_path = dir.join("signing.pem");
        let shown = |p: &Path| p.display().to_string();
        let signing = match std::fs::read_to_string(&pem_path) {
            Ok(pem) => SigningKey::from_pkcs8_pem(&pem).map_err(|e| Error::Keys {
                path: shown(&pem_path),
                message: e.to_string(),
            })?,
            Err(_) => {
                let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
                let pem = signing
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| Error::Sign(e.to_string()))?;
                write(dir, &pem_path, pem.as_bytes())?;
                signing
            }
        };
        let keys = DevKeys {
            dir: dir.to_path_buf(),
            signing,
        };
        write(dir, &keys.keys_file(), keys.jwks().as_bytes())?;
        Ok(keys)
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

fn write(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    std::fs::write(path, bytes).map_err(failed)
}
