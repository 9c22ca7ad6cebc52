//! Verifying a bearer token against the configured public keys.

use std::path::{Path, PathBuf};

use giro_domain::operator::{Operator, Role};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::{AuthError, Error};

/// Where the keys are and what a token must name (from `GIRO_OPERATOR_KEYS_FILE`,
/// `GIRO_OPERATOR_ISSUER`, `GIRO_OPERATOR_AUDIENCE`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// A JWK Set of the issuers' public keys (Ed25519 `OKP` or P-256 `EC`).
    pub keys_file: Option<PathBuf>,
    /// The `iss` every token must carry, when set.
    pub issuer: Option<String>,
    /// An `aud` every token must include, when set.
    pub audience: Option<String>,
}

impl AuthConfig {
    /// The configuration the environment names; `None` keys mean no verification is configured.
    pub fn from_env() -> AuthConfig {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        AuthConfig {
            keys_file: var("GIRO_OPERATOR_KEYS_FILE").map(PathBuf::from),
            issuer: var("GIRO_OPERATOR_ISSUER"),
            audience: var("GIRO_OPERATOR_AUDIENCE"),
        }
    }

    /// The verifier for this configuration, or `None` when no keys file is configured.
    pub fn verifier(&self) -> Result<Option<Verifier>, Error> {
        self.keys_file
            .as_deref()
            .map(|path| Verifier::from_file(path, self.issuer.clone(), self.audience.clone()))
            .transpose()
    }
}

/// One public key of the set.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Verifies operators' tokens. Cheap to clone; shared by every request.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<Key>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// The claims Giro reads.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl Verifier {
    /// Reads a JWK Set file. Only EdDSA (Ed25519) and ES256 (P-256) keys are taken: a shared
    /// secret (HMAC) would let whoever verifies also mint, and is refused.
    pub fn from_file(
        path: &Path,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Result<Verifier, Error> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: shown.clone(),
            source,
        })?;
        Verifier::from_jwks(&text, issuer, audience).map_err(|message| Error::Keys {
            path: shown,
            message,
        })
    }

    /// Parses a JWK Set (`{"keys": [...]}`); the error says which key is unusable and why.
    pub fn from_jwks(
        text: &str,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Result<Verifier, String> {
        let set: JwkSet = serde_json::from_str(text).map_err(|e| format!("not a JWK Set: {e}"))?;
        let mut keys = Vec::new();
        for (i, jwk) in set.keys.iter().enumerate() {
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => {
                    return Err(format!(
                        "key {i}: only Ed25519 (OKP) and P-256 (EC) public keys are accepted"
                    ));
                }
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {i}: {e}"))?;
            keys.push(Key {
                kid: jwk.common.key_id.clone(),
                algorithm,
                key,
            });
        }
        if keys.is_empty() {
            return Err("the set has no keys".into());
        }
        Ok(Verifier {
            keys,
            issuer,
            audience,
        })
    }

    /// The operator an `Authorization` header value (`Bearer <token>`) names.
    pub fn verify_header(&self, header: Option<&str>) -> Result<Operator, AuthError> {
        let header = header.map(str::trim).filter(|h| !h.is_empty());
        let header = header.ok_or(AuthError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::NotBearer)?;
        self.verify_token(token)
    }

    /// Like [`Verifier::verify_header`], and the operator must hold `needed`.
    pub fn require(&self, header: Option<&str>, needed: Role) -> Result<Operator, AuthError> {
        let operator = self.verify_header(header)?;
        if operator.may(needed) {
            Ok(operator)
        } else {
            Err(AuthError::Forbidden {
                operator: operator.id,
                needed,
            })
        }
    }

    /// Verifies a token's signature, expiry (no leeway beyond a minute of clock skew), issuer and
    /// audience, and reads its identity and roles. Role names Giro does not know are ignored.
    pub fn verify_token(&self, token: &str) -> Result<Operator, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let candidates = self
            .keys
            .iter()
            .filter(|k| k.algorithm == header.alg && (header.kid.is_none() || header.kid == k.kid));
        let mut last = AuthError::Invalid(format!("no configured key for {:?}", header.alg));
        for key in candidates {
            let mut validation = Validation::new(key.algorithm);
            validation.leeway = 60;
            validation.set_required_spec_claims(&["exp", "sub"]);
            match &self.issuer {
                Some(iss) => validation.set_issuer(&[iss]),
                None => validation.iss = None,
            }
            match &self.audience {
                Some(aud) => validation.set_audience(&[aud]),
                None => validation.validate_aud = false,
            }
            match jsonwebtoken::decode::<Claims>(token, &key.key, &validation) {
                Ok(data) => return operator(data.claims),
                Err(e) => last = AuthError::Invalid(e.to_string()),
            }
        }
        Err(last)
    }
}

fn operator(claims: Claims) -> Result<Operator, AuthError> {
    let id = claims.sub.trim().to_string();
    if id.is_empty() {
        return Err(AuthError::Invalid("the token's sub is empty".into()));
    }
    let roles = claims.roles.iter().filter_map(|r| Role::parse(r)).collect();
    Ok(Operator { id, roles })
}
