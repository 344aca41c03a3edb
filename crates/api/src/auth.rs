//! Authentication: JWT bearer tokens carrying a role: `guest` (the subject is the guest id),
//! `operator` (of one tenant), or `admin`. No token means [`Principal::Anonymous`], which may
//! read public data only. Authorisation decisions live with the resolvers; this module only
//! says who is asking.
//!
//! Tokens are verified one of three ways ([`AuthConfig`]):
//! - **HS256** with a shared secret: Holdfast's own tokens (the embedded identity provider,
//!   `holdfast token`);
//! - **RS256** with one PEM public key;
//! - **an outside identity provider** ([`OutsideProvider`]): its keys from a JWKS (a file, or
//!   a URL re-read every [`JWKS_REFRESH`]), the key picked by the token's `kid`, its issuer and
//!   audience checked, and its claims mapped to our roles ([`ClaimMapping`]): a role claim
//!   (a string or a list, at a dotted path such as `realm_access.roles`) whose values name
//!   admins and operators, a tenant claim for operators, and anyone else a guest whose guest
//!   id is derived from the issuer and subject (stable across sign-ins).

use std::sync::{Arc, RwLock};

use chrono::Utc;
use holdfast_domain::common::{GuestId, TenantId};
pub use holdfast_engine::{Principal, Secret};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

/// A role a token grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A guest: their own bookings and wallet.
    Guest,
    /// An operator of one tenant: that tenant's data.
    Operator,
    /// Everything, including the event history.
    Admin,
}

/// The claims Holdfast reads and writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the guest id for guests; an operator's or admin's user id.
    pub sub: String,
    /// The role.
    pub role: Role,
    /// The tenant of an operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The Authorization header is not `Bearer <token>`.
    #[error("the Authorization header must be `Bearer <token>`")]
    NotBearer,
    /// The token is not a well-formed JWT.
    #[error("malformed token")]
    Malformed,
    /// The token has expired.
    #[error("token expired")]
    Expired,
    /// The signature does not verify, or the algorithm is not the configured one.
    #[error("invalid token signature or algorithm")]
    InvalidSignature,
    /// The claims do not describe a valid principal.
    #[error("invalid token claims: {0}")]
    InvalidClaims(&'static str),
}

/// How tokens are verified.
#[derive(Clone, Debug)]
pub enum AuthConfig {
    /// HS256 with a shared secret.
    Hs256(Secret),
    /// RS256 with a PEM public key.
    Rs256PublicKeyPem(String),
    /// An outside identity provider's tokens.
    Outside(Box<OutsideProvider>),
}

/// How often a JWKS URL is read again (keys rotate).
pub const JWKS_REFRESH: std::time::Duration = std::time::Duration::from_secs(300);

/// Where an outside provider's keys are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS file.
    File(std::path::PathBuf),
    /// A JWKS URL (`https://…/.well-known/jwks.json`).
    Url(String),
}

/// How an outside provider's claims become our roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimMapping {
    /// The claim naming roles: a string or a list of strings, at a dotted path.
    pub role_claim: String,
    /// The claim with an operator's tenant id (a dotted path).
    pub tenant_claim: String,
    /// Role values that make an admin.
    pub admin_roles: Vec<String>,
    /// Role values that make an operator (of the tenant claim's tenant).
    pub operator_roles: Vec<String>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            role_claim: "role".into(),
            tenant_claim: "tenant".into(),
            admin_roles: vec!["admin".into()],
            operator_roles: vec!["operator".into()],
        }
    }
}

/// An outside identity provider whose tokens the API trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutsideProvider {
    /// Its keys.
    pub jwks: JwksSource,
    /// The `iss` its tokens must carry.
    pub issuer: String,
    /// The `aud` its tokens must carry (this API).
    pub audience: String,
    /// How its claims map to roles.
    pub claims: ClaimMapping,
}

/// Why the token configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// Neither a secret nor a public key, and no embedded store to keep a development secret by.
    #[error(
        "no JWT verification key: set HOLDFAST_JWT_SECRET (--jwt-secret) or HOLDFAST_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file)"
    )]
    NoKey,
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done (`read the JWT public key`, `write the development secret`, …).
        action: &'static str,
        /// The file or folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Where the embedded default keeps its development signing secret: beside its SQLite
/// database (`None` for any other store).
pub fn dev_secret_path(database_url: &str) -> Option<std::path::PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    Some(
        std::path::Path::new(path)
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("jwt-dev-secret"),
    )
}

impl AuthConfig {
    /// The token configuration of a process on `database_url`: an HS256 `secret`, else an
    /// RS256 public key read from `public_key_file`, else — on the embedded default (SQLite)
    /// only — a development secret kept beside the database, created on first use (so
    /// `holdfast serve`, `holdfast token` and `holdfast-bench` share it). A Postgres
    /// deployment must configure one.
    pub fn resolve(
        secret: Option<&str>,
        public_key_file: Option<&std::path::Path>,
        database_url: &str,
    ) -> Result<Self, AuthSetupError> {
        let io = |action, path: &std::path::Path| {
            let path = path.display().to_string();
            move |source| AuthSetupError::Io {
                action,
                path,
                source,
            }
        };
        if let Some(secret) = secret {
            return Ok(AuthConfig::Hs256(Secret::new(secret.as_bytes())));
        }
        if let Some(file) = public_key_file {
            let pem = std::fs::read_to_string(file).map_err(io("read the JWT public key", file))?;
            return Ok(AuthConfig::Rs256PublicKeyPem(pem));
        }
        let path = dev_secret_path(database_url).ok_or(AuthSetupError::NoKey)?;
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io("create", dir))?;
            }
            let secret = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            std::fs::write(&path, secret).map_err(io("write the development secret", &path))?;
            tracing::warn!(path = %path.display(), "generated a development JWT secret (set HOLDFAST_JWT_SECRET in production)");
        }
        let secret =
            std::fs::read_to_string(&path).map_err(io("read the development secret", &path))?;
        Ok(AuthConfig::Hs256(Secret::new(secret.trim().as_bytes())))
    }
}

/// A key that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid JWT key: {0}")]
pub struct KeyError(String);

/// Keys by id, with the algorithm each verifies.
type KeySet = std::collections::HashMap<String, (DecodingKey, Algorithm)>;

#[derive(Clone)]
enum Keys {
    One(DecodingKey),
    Set {
        keys: Arc<RwLock<KeySet>>,
        provider: Arc<OutsideProvider>,
    },
}

/// Verifies bearer tokens.
#[derive(Clone)]
pub struct Authenticator {
    keys: Keys,
    validation: Validation,
}

/// The keys of a JWKS document usable for verifying signatures: asymmetric keys with a `kid`
/// (a symmetric key in a public key set is refused: it would let anyone who can read the set
/// sign tokens), each with its algorithm (its `alg`, else RS256 for RSA, ES256/ES384 for EC
/// P-256/P-384, EdDSA for OKP).
///
/// # Errors
///
/// [`KeyError`] when the document is not a JWKS or has no usable key.
pub fn jwks_keys(document: &[u8]) -> Result<KeySet, KeyError> {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
    let set: JwkSet =
        serde_json::from_slice(document).map_err(|e| KeyError(format!("not a JWKS: {e}")))?;
    let mut keys = KeySet::new();
    for jwk in &set.keys {
        let Some(kid) = &jwk.common.key_id else {
            continue;
        };
        let inferred = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Some(Algorithm::ES256),
                EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => None,
            },
            AlgorithmParameters::OctetKeyPair(_) => Some(Algorithm::EdDSA),
            _ => None,
        };
        if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
            continue;
        }
        let algorithm = match jwk.common.key_algorithm {
            Some(alg) => Algorithm::try_from(alg).ok(),
            None => inferred,
        };
        let Some(algorithm) = algorithm
            .filter(|a| !matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
        else {
            continue;
        };
        if let Ok(key) = DecodingKey::from_jwk(jwk) {
            keys.insert(kid.clone(), (key, algorithm));
        }
    }
    if keys.is_empty() {
        return Err(KeyError(
            "the JWKS has no usable signing key (with a kid)".into(),
        ));
    }
    Ok(keys)
}

async fn read_jwks(source: &JwksSource) -> Result<KeySet, KeyError> {
    let document = match source {
        JwksSource::File(path) => tokio::fs::read(path)
            .await
            .map_err(|e| KeyError(format!("cannot read {}: {e}", path.display())))?,
        JwksSource::Url(url) => {
            let response = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .map_err(|e| KeyError(e.to_string()))?
                .get(url)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| KeyError(format!("cannot fetch the JWKS {url}: {e}")))?;
            response
                .bytes()
                .await
                .map_err(|e| KeyError(format!("cannot fetch the JWKS {url}: {e}")))?
                .to_vec()
        }
    };
    jwks_keys(&document)
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("algorithms", &self.validation.algorithms)
            .finish()
    }
}

impl Authenticator {
    /// An authenticator for `config`, reading an outside provider's JWKS (file or URL).
    ///
    /// # Errors
    ///
    /// [`KeyError`].
    pub async fn connect(config: &AuthConfig) -> Result<Self, KeyError> {
        match config {
            AuthConfig::Outside(provider) => {
                let keys = read_jwks(&provider.jwks).await?;
                Ok(Self::outside(provider, keys))
            }
            other => Self::new(other),
        }
    }

    fn outside(provider: &OutsideProvider, keys: KeySet) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[&provider.issuer]);
        validation.set_audience(&[&provider.audience]);
        Self {
            keys: Keys::Set {
                keys: Arc::new(RwLock::new(keys)),
                provider: Arc::new(provider.clone()),
            },
            validation,
        }
    }

    /// Reads an outside provider's JWKS again (keys rotate); how many keys it has now. A
    /// failed read keeps the keys it had. `Ok(0)` for the other configurations.
    ///
    /// # Errors
    ///
    /// [`KeyError`].
    pub async fn refresh(&self) -> Result<usize, KeyError> {
        let Keys::Set { keys, provider } = &self.keys else {
            return Ok(0);
        };
        let fresh = read_jwks(&provider.jwks).await?;
        let n = fresh.len();
        *keys.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(n)
    }

    /// An authenticator for `config`. Only the configured algorithm is accepted (so `alg: none`
    /// and algorithm-confusion tokens are refused). An outside provider's JWKS is read from
    /// its file here (a URL needs [`Authenticator::connect`]).
    pub fn new(config: &AuthConfig) -> Result<Self, KeyError> {
        let (key, algorithm) = match config {
            AuthConfig::Outside(provider) => {
                let JwksSource::File(path) = &provider.jwks else {
                    return Err(KeyError(
                        "a JWKS URL is read with Authenticator::connect".into(),
                    ));
                };
                let document = std::fs::read(path)
                    .map_err(|e| KeyError(format!("cannot read {}: {e}", path.display())))?;
                return Ok(Self::outside(provider, jwks_keys(&document)?));
            }
            AuthConfig::Hs256(secret) => {
                if secret.expose().len() < 16 {
                    return Err(KeyError("an HS256 secret needs at least 16 bytes".into()));
                }
                (DecodingKey::from_secret(secret.expose()), Algorithm::HS256)
            }
            AuthConfig::Rs256PublicKeyPem(pem) => (
                DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| KeyError(e.to_string()))?,
                Algorithm::RS256,
            ),
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            keys: Keys::One(key),
            validation,
        })
    }

    /// The principal of an `Authorization` header value (`None` = anonymous).
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let Some(header) = authorization else {
            return Ok(Principal::Anonymous);
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::NotBearer)?
            .trim();
        self.verify(token)
    }

    /// The principal of a bare token.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if token.len() > 8 * 1024 {
            return Err(AuthError::Malformed);
        }
        // The header first: an unknown algorithm (`none`) or one other than the configured one
        // is refused before any claim is read.
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        match &self.keys {
            Keys::One(key) => {
                if !self.validation.algorithms.contains(&header.alg) {
                    return Err(AuthError::InvalidSignature);
                }
                let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
                    .map_err(refusal)?;
                principal(data.claims)
            }
            Keys::Set { keys, provider } => {
                let kid = header.kid.as_deref().ok_or(AuthError::InvalidSignature)?;
                let (key, algorithm) = keys
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(kid)
                    .cloned()
                    .ok_or(AuthError::InvalidSignature)?;
                // The key's algorithm only (no confusion with another, or with HMAC).
                if header.alg != algorithm {
                    return Err(AuthError::InvalidSignature);
                }
                let mut validation = self.validation.clone();
                validation.algorithms = vec![algorithm];
                let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
                    .map_err(refusal)?;
                outside_principal(provider, &data.claims)
            }
        }
    }
}

fn refusal(e: jsonwebtoken::errors::Error) -> AuthError {
    match e.kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::InvalidKeyFormat => AuthError::InvalidSignature,
        ErrorKind::InvalidIssuer => AuthError::InvalidClaims("the token's issuer is not trusted"),
        ErrorKind::InvalidAudience => AuthError::InvalidClaims("the token is not for this API"),
        ErrorKind::ImmatureSignature => AuthError::InvalidClaims("the token is not valid yet"),
        ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => {
            AuthError::InvalidClaims("missing or ill-typed claims")
        }
        _ => AuthError::Malformed,
    }
}

/// The value at a dotted `path` of `claims`.
fn claim<'a>(claims: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.')
        .try_fold(claims, |value, part| value.get(part))
}

/// Our principal for an outside provider's verified claims (see [`ClaimMapping`]).
fn outside_principal(
    provider: &OutsideProvider,
    claims: &serde_json::Value,
) -> Result<Principal, AuthError> {
    let sub = claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(AuthError::InvalidClaims("the token has no subject"))?;
    let mapping = &provider.claims;
    let roles: Vec<&str> = match claim(claims, &mapping.role_claim) {
        Some(serde_json::Value::String(role)) => vec![role.as_str()],
        Some(serde_json::Value::Array(list)) => {
            list.iter().filter_map(serde_json::Value::as_str).collect()
        }
        _ => Vec::new(),
    };
    let has = |names: &[String]| roles.iter().any(|r| names.iter().any(|n| n == r));
    if has(&mapping.admin_roles) {
        return Ok(Principal::Admin {
            sub: format!("{}|{sub}", provider.issuer),
        });
    }
    if has(&mapping.operator_roles) {
        let tenant = claim(claims, &mapping.tenant_claim)
            .and_then(serde_json::Value::as_str)
            .ok_or(AuthError::InvalidClaims("an operator token needs a tenant"))?;
        let tenant = TenantId::parse(tenant)
            .map_err(|_| AuthError::InvalidClaims("the tenant must be a tenant id (a ULID)"))?;
        return Ok(Principal::Operator {
            tenant,
            sub: format!("{}|{sub}", provider.issuer),
        });
    }
    Ok(Principal::Guest {
        guest: outside_guest(&provider.issuer, sub),
    })
}

/// The guest id of an outside provider's subject: the same for every token of that person.
pub fn outside_guest(issuer: &str, sub: &str) -> GuestId {
    GuestId(holdfast_engine::ids::derived_ulid(&[
        b"outside-guest\0",
        issuer.as_bytes(),
        b"\0",
        sub.as_bytes(),
    ]))
}

fn principal(claims: Claims) -> Result<Principal, AuthError> {
    match claims.role {
        Role::Guest => GuestId::parse(&claims.sub)
            .map(|guest| Principal::Guest { guest })
            .map_err(|_| AuthError::InvalidClaims("a guest's sub must be its guest id (a ULID)")),
        Role::Operator => {
            let tenant = claims
                .tenant
                .as_deref()
                .ok_or(AuthError::InvalidClaims("an operator token needs a tenant"))?;
            let tenant = TenantId::parse(tenant)
                .map_err(|_| AuthError::InvalidClaims("the tenant must be a tenant id (a ULID)"))?;
            Ok(Principal::Operator {
                tenant,
                sub: claims.sub,
            })
        }
        Role::Admin => Ok(Principal::Admin { sub: claims.sub }),
    }
}

/// Mints tokens (for `holdfast token`, tests and benchmarks).
pub struct TokenIssuer {
    key: EncodingKey,
    algorithm: Algorithm,
}

impl TokenIssuer {
    /// An HS256 issuer.
    pub fn hs256(secret: &Secret) -> Self {
        Self {
            key: EncodingKey::from_secret(secret.expose()),
            algorithm: Algorithm::HS256,
        }
    }

    /// An RS256 issuer from a PEM private key.
    pub fn rs256(private_key_pem: &str) -> Result<Self, KeyError> {
        Ok(Self {
            key: EncodingKey::from_rsa_pem(private_key_pem.as_bytes())
                .map_err(|e| KeyError(e.to_string()))?,
            algorithm: Algorithm::RS256,
        })
    }

    /// A token for `role`, valid for `ttl`.
    pub fn mint(
        &self,
        role: Role,
        sub: &str,
        tenant: Option<TenantId>,
        ttl: chrono::Duration,
    ) -> Result<String, KeyError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            tenant: tenant.map(|t| t.to_string()),
            iat: now,
            exp: now + ttl.num_seconds(),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.key)
            .map_err(|e| KeyError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("a-test-secret-of-enough-bytes")
    }

    fn auth() -> Authenticator {
        Authenticator::new(&AuthConfig::Hs256(secret())).unwrap()
    }

    fn mint(role: Role, sub: &str, tenant: Option<TenantId>, ttl: i64) -> String {
        TokenIssuer::hs256(&secret())
            .mint(role, sub, tenant, chrono::Duration::seconds(ttl))
            .unwrap()
    }

    #[test]
    fn no_header_is_anonymous() {
        assert_eq!(auth().authenticate(None), Ok(Principal::Anonymous));
    }

    #[test]
    fn each_role_yields_its_principal() {
        let guest = GuestId::new();
        let tenant = TenantId::new();
        let a = auth();
        assert_eq!(
            a.authenticate(Some(&format!(
                "Bearer {}",
                mint(Role::Guest, &guest.to_string(), None, 60)
            ))),
            Ok(Principal::Guest { guest })
        );
        assert_eq!(
            a.verify(&mint(Role::Operator, "op-1", Some(tenant), 60)),
            Ok(Principal::Operator {
                tenant,
                sub: "op-1".into()
            })
        );
        assert_eq!(
            a.verify(&mint(Role::Admin, "root", None, 60)),
            Ok(Principal::Admin { sub: "root".into() })
        );
    }

    #[test]
    fn it_should_refuse_expired_tokens() {
        assert_eq!(
            auth().verify(&mint(Role::Admin, "root", None, -120)),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn it_should_refuse_a_token_signed_with_another_secret() {
        let other = TokenIssuer::hs256(&Secret::new("another-secret-of-enough-bytes"))
            .mint(Role::Admin, "root", None, chrono::Duration::seconds(60))
            .unwrap();
        assert_eq!(auth().verify(&other), Err(AuthError::InvalidSignature));
    }

    #[test]
    fn it_should_refuse_alg_none() {
        use base64_url as b64;
        let header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        let exp = Utc::now().timestamp() + 60;
        let claims = b64(&format!(
            "{{\"sub\":\"root\",\"role\":\"admin\",\"exp\":{exp},\"iat\":0}}"
        ));
        let token = format!("{header}.{claims}.");
        let result = auth().verify(&token);
        assert_eq!(result, Err(AuthError::Malformed));
    }

    #[test]
    fn it_should_refuse_malformed_tokens_and_headers() {
        assert_eq!(
            auth().authenticate(Some("Basic abc")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(auth().verify("not.a.jwt"), Err(AuthError::Malformed));
        assert_eq!(
            auth().verify(&"x".repeat(10_000)),
            Err(AuthError::Malformed)
        );
    }

    #[test]
    fn it_should_refuse_principals_the_claims_cannot_describe() {
        let a = auth();
        assert!(matches!(
            a.verify(&mint(Role::Guest, "alice", None, 60)),
            Err(AuthError::InvalidClaims(_))
        ));
        assert!(matches!(
            a.verify(&mint(Role::Operator, "op", None, 60)),
            Err(AuthError::InvalidClaims(_))
        ));
    }

    #[test]
    fn the_development_secret_lives_beside_the_sqlite_database_and_is_made_once() {
        use std::path::PathBuf;
        assert_eq!(
            dev_secret_path("sqlite://data/holdfast.db"),
            Some(PathBuf::from("data/jwt-dev-secret"))
        );
        assert_eq!(
            dev_secret_path("sqlite:/tmp/x/h.db?mode=rwc"),
            Some(PathBuf::from("/tmp/x/jwt-dev-secret"))
        );
        assert_eq!(dev_secret_path("postgres://u@h/db"), None);
        assert!(matches!(
            AuthConfig::resolve(None, None, "postgres://u@h/db"),
            Err(AuthSetupError::NoKey)
        ));
        let dir = std::env::temp_dir().join(format!("holdfast-auth-{}", ulid::Ulid::new()));
        let url = format!("sqlite://{}/events.db", dir.display());
        let secret = |c: AuthConfig| match c {
            AuthConfig::Hs256(s) => s.expose().to_vec(),
            other => panic!("not HS256: {other:?}"),
        };
        let first = secret(AuthConfig::resolve(None, None, &url).unwrap());
        assert_eq!(first.len(), 64);
        assert_eq!(
            secret(AuthConfig::resolve(None, None, &url).unwrap()),
            first
        );
        assert_eq!(
            secret(AuthConfig::resolve(Some("given-secret-0123456"), None, &url).unwrap()),
            b"given-secret-0123456"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_short_secret_is_refused_and_secrets_never_print() {
        assert!(Authenticator::new(&AuthConfig::Hs256(Secret::new("short"))).is_err());
        assert_eq!(format!("{:?}", secret()), "Secret(***)");
    }

    fn base64_url(s: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = s.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
