//! An outside identity provider: tokens verified by its JWKS (a file, or a URL read again on
//! refresh), its issuer and audience checked, its claims mapped to our roles; and everything
//! tenant-scoped working for its operators' tokens.

use chrono::Utc;
use holdfast_api::auth::{
    AuthConfig, AuthError, Authenticator, ClaimMapping, JwksSource, OutsideProvider, Principal,
    outside_guest,
};
use holdfast_api::{AppState, app};
use holdfast_domain::common::TenantId;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::{error_code, spawn_app};

const ISSUER: &str = "https://id.example.com/";
const AUDIENCE: &str = "holdfast-api";

/// A fresh RSA key pair (openssl), as (private PEM, public JWK with `kid`).
fn key_pair(kid: &str) -> (String, Jwk) {
    let dir = std::env::temp_dir().join(format!("holdfast-jwks-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("key.pem");
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .output()
        .expect("openssl is needed to make test keys");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let private = std::fs::read_to_string(&pem).unwrap();
    let _ = std::fs::remove_dir_all(dir);
    let encoding = EncodingKey::from_rsa_pem(private.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    (private, jwk)
}

fn sign(private: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn claims(sub: &str, extra: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut c = json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn provider(jwks: JwksSource) -> OutsideProvider {
    OutsideProvider {
        jwks,
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        claims: ClaimMapping {
            role_claim: "realm_access.roles".into(),
            tenant_claim: "holdfast_tenant".into(),
            admin_roles: vec!["platform-admin".into()],
            operator_roles: vec!["staff".into(), "manager".into()],
        },
    }
}

fn jwks_file(keys: Vec<Jwk>) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("holdfast-jwks-{}.json", ulid::Ulid::new()));
    std::fs::write(&path, serde_json::to_vec(&JwkSet { keys }).unwrap()).unwrap();
    path
}

#[test]
fn outside_tokens_verify_by_kid_with_issuer_audience_and_role_mapping() {
    let (private, jwk) = key_pair("k1");
    let (other_private, _) = key_pair("k2");
    let path = jwks_file(vec![jwk]);
    let auth = Authenticator::new(&AuthConfig::Outside(Box::new(provider(JwksSource::File(
        path.clone(),
    )))))
    .unwrap();
    let tenant = TenantId::new();
    let roles = |r: Value| json!({"realm_access": {"roles": r}});
    // Roles map: admin, operator (with its tenant), and everyone else a guest.
    assert_eq!(
        auth.verify(&sign(
            &private,
            "k1",
            &claims("u1", roles(json!(["x", "platform-admin"])))
        )),
        Ok(Principal::Admin {
            sub: format!("{ISSUER}|u1")
        })
    );
    let mut staff = claims("u2", roles(json!(["staff"])));
    staff["holdfast_tenant"] = json!(tenant.to_string());
    assert_eq!(
        auth.verify(&sign(&private, "k1", &staff)),
        Ok(Principal::Operator {
            tenant,
            sub: format!("{ISSUER}|u2")
        })
    );
    let guest = auth
        .verify(&sign(&private, "k1", &claims("u3", json!({}))))
        .unwrap();
    assert_eq!(
        guest,
        Principal::Guest {
            guest: outside_guest(ISSUER, "u3")
        }
    );
    // The same person is the same guest on every token; another is another.
    assert_eq!(
        auth.verify(&sign(&private, "k1", &claims("u3", roles(json!("reader")))))
            .unwrap(),
        guest
    );
    assert_ne!(outside_guest(ISSUER, "u4"), outside_guest(ISSUER, "u3"));
    // Refusals: an operator without a (valid) tenant; another issuer or audience; an
    // unknown kid, no kid, another key under a known kid; expired; an HS256 token.
    let no_tenant = claims("u2", roles(json!("manager")));
    assert!(matches!(
        auth.verify(&sign(&private, "k1", &no_tenant)),
        Err(AuthError::InvalidClaims(_))
    ));
    let mut bad_tenant = staff.clone();
    bad_tenant["holdfast_tenant"] = json!("acme");
    assert!(matches!(
        auth.verify(&sign(&private, "k1", &bad_tenant)),
        Err(AuthError::InvalidClaims(_))
    ));
    let mut wrong_iss = staff.clone();
    wrong_iss["iss"] = json!("https://evil.example.com/");
    assert_eq!(
        auth.verify(&sign(&private, "k1", &wrong_iss)),
        Err(AuthError::InvalidClaims(
            "the token's issuer is not trusted"
        ))
    );
    let mut wrong_aud = staff.clone();
    wrong_aud["aud"] = json!("another-api");
    assert_eq!(
        auth.verify(&sign(&private, "k1", &wrong_aud)),
        Err(AuthError::InvalidClaims("the token is not for this API"))
    );
    assert_eq!(
        auth.verify(&sign(&private, "nope", &staff)),
        Err(AuthError::InvalidSignature)
    );
    assert_eq!(
        auth.verify(&sign(&other_private, "k1", &staff)),
        Err(AuthError::InvalidSignature)
    );
    let no_kid = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &staff,
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(auth.verify(&no_kid), Err(AuthError::InvalidSignature));
    let mut expired = staff.clone();
    expired["exp"] = json!(Utc::now().timestamp() - 600);
    assert_eq!(
        auth.verify(&sign(&private, "k1", &expired)),
        Err(AuthError::Expired)
    );
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("k1".into());
    let confused = jsonwebtoken::encode(
        &hs,
        &staff,
        &EncodingKey::from_secret(b"k1-public-material"),
    )
    .unwrap();
    assert_eq!(auth.verify(&confused), Err(AuthError::InvalidSignature));
    // A JWKS with no usable key is refused at start.
    let empty = jwks_file(vec![]);
    assert!(
        Authenticator::new(&AuthConfig::Outside(Box::new(provider(JwksSource::File(
            empty
        )))))
        .is_err()
    );
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_jwks_url_is_read_again_when_keys_rotate_and_operators_act_for_their_tenant() {
    // The provider: a JWKS endpoint whose keys we rotate.
    let (old_private, old_jwk) = key_pair("old");
    let (new_private, new_jwk) = key_pair("new");
    let served = std::sync::Arc::new(std::sync::Mutex::new(JwkSet {
        keys: vec![old_jwk],
    }));
    let keys = served.clone();
    let jwks_app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let keys = keys.clone();
            async move { axum::Json(keys.lock().unwrap().clone()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, jwks_app).await.unwrap() });
    let config = AuthConfig::Outside(Box::new(provider(JwksSource::Url(url))));
    assert!(Authenticator::new(&config).is_err(), "a URL needs connect");
    let auth = Authenticator::connect(&config).await.unwrap();

    // Holdfast trusting it, on a real engine.
    let test = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app(AppState::new(test.engine.clone(), auth.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let gql = |token: String, query: &'static str, variables: Value| {
        let base = base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/graphql"))
                .bearer_auth(token)
                .json(&json!({"query": query, "variables": variables}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let tenant = TenantId::new();
    let mut staff = claims("staff-1", json!({"realm_access": {"roles": ["staff"]}}));
    staff["holdfast_tenant"] = json!(tenant.to_string());
    let create = "mutation($key: String!, $input: CreateListingInput!) {
        createListing(idempotencyKey: $key, input: $input) { listingId status } }";
    let input = crate::listing_input();
    let made = gql(
        sign(&old_private, "old", &staff),
        create,
        json!({"key": ulid::Ulid::new().to_string(), "input": input}),
    )
    .await;
    assert_eq!(error_code(&made), None, "{made}");
    assert_eq!(made["data"]["createListing"]["status"], "DRAFT");
    // Another tenant's operator cannot touch it.
    let listing = made["data"]["createListing"]["listingId"].clone();
    let mut other = staff.clone();
    other["holdfast_tenant"] = json!(TenantId::new().to_string());
    let publish = "mutation($key: String!, $id: ID!) {
        publishListing(idempotencyKey: $key, listingId: $id) { status } }";
    let refused = gql(
        sign(&old_private, "old", &other),
        publish,
        json!({"key": ulid::Ulid::new().to_string(), "id": listing}),
    )
    .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    // Sign-up and sign-in are the provider's business here.
    let signin = gql(
        sign(&old_private, "old", &staff),
        "mutation { signIn(email: \"a@example.com\", password: \"0123456789\") { accessToken } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&signin), Some("INVALID_STATE"), "{signin}");

    // The provider rotates: tokens of the new key are refused until the set is read again,
    // then accepted; the retired key's tokens are refused from then on.
    served.lock().unwrap().keys = vec![new_jwk];
    let fresh = sign(&new_private, "new", &staff);
    assert_eq!(auth.verify(&fresh), Err(AuthError::InvalidSignature));
    assert_eq!(auth.refresh().await.unwrap(), 1);
    let published = gql(
        fresh,
        publish,
        json!({"key": ulid::Ulid::new().to_string(), "id": listing}),
    )
    .await;
    assert_eq!(
        published["data"]["publishListing"]["status"], "PUBLISHED",
        "{published}"
    );
    assert_eq!(
        auth.verify(&sign(&old_private, "old", &staff)),
        Err(AuthError::InvalidSignature)
    );
    // A failed read keeps the keys it had.
    served.lock().unwrap().keys = vec![];
    assert!(auth.refresh().await.is_err());
    assert!(auth.verify(&sign(&new_private, "new", &staff)).is_ok());
}
