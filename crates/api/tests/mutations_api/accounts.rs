//! Accounts over GraphQL: sign-up with a verification link that goes out through the outbox,
//! sign-in failures that say nothing (in answer and in timing), lockout, refresh rotation with
//! replay detection, password reset, signing out, hostile input, and the mutations answering
//! `INVALID_STATE` where an outside identity provider signs people in.

use std::time::{Duration, Instant};

use holdfast_engine::Principal;
use serde_json::{Value, json};

use crate::support::{TestApp, admin, error_code, spawn_app};

pub const SIGN_UP: &str = "mutation($input: SignUpInput!) { signUp(input: $input) {
    accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt accountId guestId tenantId } }";
pub const SIGN_IN: &str = "mutation($email: String!, $password: String!, $tenantId: ID) {
    signIn(email: $email, password: $password, tenantId: $tenantId) {
      accessToken refreshToken accountId guestId tenantId } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) {
    accessToken refreshToken accountId guestId tenantId } }";
const ME: &str = "{ me { accountId guestId email emailVerified
    profile { guestId name phone email language } } }";
pub const PASSWORD: &str = "correct horse battery";

/// Signs up `email` with a profile named `name`; the `signUp` answer.
pub async fn sign_up(app: &TestApp, email: &str, name: &str) -> Value {
    app.ok(
        None,
        SIGN_UP,
        json!({"input": {"email": email, "password": PASSWORD, "name": name,
                         "phone": "010-1234-5678", "language": "EN"}}),
    )
    .await["signUp"]
        .clone()
}

/// The links queued to `account` (kind, link), oldest first, from the outbox's deliveries
/// to the log sink.
pub async fn links_to(app: &TestApp, account: &str) -> Vec<(String, String)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, payload->>'link' FROM notification_deliveries
          WHERE account_id = $1 AND sink = 'log' ORDER BY created_at, notification_id",
    )
    .bind(account)
    .fetch_all(&pg(app).await)
    .await
    .unwrap();
    rows
}

pub async fn pg(app: &TestApp) -> sqlx::PgPool {
    app.engine.store.pg_pool().unwrap().clone()
}

fn token_of(link: &str) -> &str {
    link.split("token=").nth(1).unwrap()
}

#[tokio::test]
async fn signing_up_sends_a_verification_link_through_the_outbox() {
    let app = spawn_app().await;
    let session = sign_up(&app, "  Mia@Example.com ", "Mia Kim").await;
    let access = session["accessToken"].as_str().unwrap();
    assert_eq!(session["tenantId"], Value::Null);
    // The access token is a guest's, for the account's guest id.
    let me = app.ok(Some(access), ME, json!({})).await["me"].clone();
    assert_eq!(me["accountId"], session["accountId"]);
    assert_eq!(me["guestId"], session["guestId"]);
    assert_eq!(me["email"], "mia@example.com");
    assert_eq!(me["emailVerified"], false);
    assert_eq!(me["profile"]["name"], "Mia Kim");
    assert_eq!(me["profile"]["phone"], "01012345678");
    assert_eq!(me["profile"]["language"], "EN");
    // The verification link went out through the outbox, naming the account, not the address.
    let account = session["accountId"].as_str().unwrap();
    let links = links_to(&app, account).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "verify_email");
    assert!(
        links[0]
            .1
            .starts_with(&format!("{}/account/verify-email?token=", app.base)),
        "{}",
        links[0].1
    );
    let (payload,): (Value,) =
        sqlx::query_as("SELECT payload FROM notification_deliveries WHERE account_id = $1 LIMIT 1")
            .bind(account)
            .fetch_one(&pg(&app).await)
            .await
            .unwrap();
    assert!(
        !payload.to_string().contains("mia@example.com"),
        "{payload}"
    );
    assert_eq!(payload["language"], "en");
    // An admin listing deliveries sees the message, not its one-time link.
    let listed = app
        .ok(
            Some(&crate::support::admin()),
            "{ notificationDeliveries(first: 20) { edges { node { kind payload } } } }",
            json!({}),
        )
        .await;
    let nodes = listed["notificationDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!nodes.is_empty(), "{listed}");
    for node in &nodes {
        assert_eq!(node["node"]["kind"], "VERIFY_EMAIL");
        assert!(!node.to_string().contains(token_of(&links[0].1)), "{node}");
    }
    let verify = "mutation($t: String!) { verifyEmail(token: $t) }";
    let token = token_of(&links[0].1);
    assert_eq!(
        app.ok(None, verify, json!({"t": token})).await["verifyEmail"],
        true
    );
    let me = app.ok(Some(access), ME, json!({})).await["me"].clone();
    assert_eq!(me["emailVerified"], true);
    // Once only; a made-up token does nothing.
    for t in [token.to_owned(), "0".repeat(64), "x".into()] {
        let again = app.graphql(None, verify, json!({"t": t})).await;
        assert_eq!(error_code(&again), Some("INVALID_INPUT"), "{again}");
    }
    // Verified already: asking again is INVALID_STATE.
    let ask = app
        .graphql(
            Some(access),
            "mutation { requestEmailVerification }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&ask), Some("INVALID_STATE"), "{ask}");
    // The address is in no event.
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM events WHERE payload::text ILIKE '%mia@example%'
            OR metadata::text ILIKE '%mia@example%'",
    )
    .fetch_one(&pg(&app).await)
    .await
    .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn hostile_sign_ups_are_refused_naming_the_field_and_keep_nothing() {
    let app = spawn_app().await;
    sign_up(&app, "taken@example.com", "First").await;
    let base = json!({"email": "new@example.com", "password": PASSWORD, "name": "New"});
    let with = |field: &str, value: Value| {
        let mut input = base.clone();
        input[field] = value;
        json!({"input": input})
    };
    for (variables, code, says) in [
        (
            with("email", json!("TAKEN@example.com")),
            "ALREADY_EXISTS",
            "exists",
        ),
        (
            with("email", json!("not-an-address")),
            "INVALID_INPUT",
            "e-mail",
        ),
        (
            with(
                "email",
                json!(format!("{}@example.com", "a".repeat(10_000))),
            ),
            "INVALID_INPUT",
            "e-mail",
        ),
        (with("email", json!("a@b..c")), "INVALID_INPUT", "e-mail"),
        (
            with("email", json!("mia\u{0}@example.com")),
            "INVALID_INPUT",
            "e-mail",
        ),
        (
            with("password", json!("short")),
            "INVALID_INPUT",
            "password",
        ),
        (
            with("password", json!("p".repeat(100_000))),
            "INVALID_INPUT",
            "password",
        ),
        (with("name", json!("   ")), "INVALID_INPUT", "name"),
        (
            with("name", json!("n".repeat(101))),
            "INVALID_INPUT",
            "name",
        ),
        (
            with("phone", json!("call me maybe")),
            "INVALID_INPUT",
            "phone",
        ),
    ] {
        let answer = app.graphql(None, SIGN_UP, variables.clone()).await;
        assert_eq!(
            error_code(&answer),
            Some(code),
            "{variables:.80} → {answer}"
        );
        let message = answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase();
        assert!(message.contains(says), "{message}");
    }
    // A wrong type never reaches the resolver.
    let answer = app
        .graphql(
            None,
            SIGN_UP,
            json!({"input": {"email": 7, "password": PASSWORD, "name": "x"}}),
        )
        .await;
    assert_eq!(error_code(&answer), Some("INVALID_INPUT"), "{answer}");
    // Hostile sign-ins: one answer, whatever is wrong (a 100,000-character password is not
    // hashed; a malformed address is just a wrong one).
    let reference = app
        .graphql(
            None,
            SIGN_IN,
            json!({"email": "taken@example.com", "password": "wrong password!!"}),
        )
        .await;
    for (email, password) in [
        ("taken@example.com".to_owned(), "p".repeat(100_000)),
        ("a".repeat(10_000), PASSWORD.to_owned()),
        ("not-an-address".to_owned(), PASSWORD.to_owned()),
        ("taken@example.com\u{0}".to_owned(), PASSWORD.to_owned()),
        (String::new(), String::new()),
    ] {
        let answer = app
            .graphql(None, SIGN_IN, json!({"email": email, "password": password}))
            .await;
        assert_eq!(answer["errors"], reference["errors"], "{answer}");
    }
    assert_eq!(error_code(&reference), Some("UNAUTHENTICATED"));
    // Only the first account, its profile and its one link exist.
    let pool = pg(&app).await;
    for (table, n) in [("accounts", 1), ("guest_profiles", 1), ("account_links", 1)] {
        let (count,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, n, "{table}");
    }
}

async fn timed_sign_in(app: &TestApp, email: &str, password: &str) -> (Value, Duration) {
    let started = Instant::now();
    let answer = app
        .graphql(None, SIGN_IN, json!({"email": email, "password": password}))
        .await;
    (answer, started.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test]
async fn no_such_account_and_wrong_password_are_one_answer_in_the_same_time() {
    let app = spawn_app().await;
    // Several accounts, so that no address reaches its lockout while timing.
    let accounts: Vec<String> = (0..6).map(|i| format!("known{i}@example.com")).collect();
    for a in &accounts {
        sign_up(&app, a, "Known").await;
    }
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    let mut answers = Vec::new();
    for round in 0..3 {
        for (i, a) in accounts.iter().enumerate() {
            let (answer, took) = timed_sign_in(&app, a, "wrong password!!").await;
            answers.push(answer);
            wrong.push(took);
            let nobody = format!("nobody{round}-{i}@example.com");
            let (answer, took) = timed_sign_in(&app, &nobody, "wrong password!!").await;
            answers.push(answer);
            unknown.push(took);
        }
    }
    // One answer: same code, same message, nothing else.
    let first = &answers[0];
    assert_eq!(error_code(first), Some("UNAUTHENTICATED"), "{first}");
    for a in &answers {
        assert_eq!(
            a["errors"][0]["message"], first["errors"][0]["message"],
            "{a}"
        );
        assert_eq!(
            a["errors"][0]["extensions"], first["errors"][0]["extensions"],
            "{a}"
        );
        assert_eq!(a["data"], first["data"]);
    }
    // The same work either way (an Argon2id check): the medians are within a factor of two.
    // (Skipping the check for unknown addresses would make them ~50× faster.)
    let (w, u) = (median(wrong), median(unknown));
    let ratio = w.as_secs_f64() / u.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "wrong password {w:?}, no such account {u:?}: ratio {ratio:.2}"
    );
    // The right password still works for each (no lock: three failures each).
    for a in &accounts {
        app.ok(None, SIGN_IN, json!({"email": a, "password": PASSWORD}))
            .await;
    }
}

#[tokio::test]
async fn guessing_a_password_locks_the_address_not_the_caller() {
    let app = spawn_app().await;
    sign_up(&app, "mia@example.com", "Mia").await;
    sign_up(&app, "ola@example.com", "Ola").await;
    for _ in 0..6 {
        let (answer, _) = timed_sign_in(&app, "mia@example.com", "guess guess guess").await;
        assert_eq!(error_code(&answer), Some("UNAUTHENTICATED"), "{answer}");
    }
    // Locked for 30 s, even with the right password; the answer says when to retry.
    let (locked, _) = timed_sign_in(&app, "mia@example.com", PASSWORD).await;
    assert_eq!(error_code(&locked), Some("CONFLICT"), "{locked}");
    assert!(
        locked["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("30 s"),
        "{locked}"
    );
    // Another address is not locked.
    app.ok(
        None,
        SIGN_IN,
        json!({"email": "ola@example.com", "password": PASSWORD}),
    )
    .await;
    // After the lock (the application clock), the right password works.
    app.clock.advance(chrono::Duration::seconds(31));
    app.ok(
        None,
        SIGN_IN,
        json!({"email": "mia@example.com", "password": PASSWORD}),
    )
    .await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session() {
    let app = spawn_app().await;
    let first = sign_up(&app, "mia@example.com", "Mia").await;
    let other = app
        .ok(
            None,
            SIGN_IN,
            json!({"email": "mia@example.com", "password": PASSWORD}),
        )
        .await["signIn"]
        .clone();
    let r1 = first["refreshToken"].as_str().unwrap();
    let next = app.ok(None, REFRESH, json!({"t": r1})).await["refreshSession"].clone();
    let r2 = next["refreshToken"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(next["guestId"], first["guestId"]);
    // The new access token works.
    let me = app.ok(next["accessToken"].as_str(), ME, json!({})).await;
    assert_eq!(me["me"]["email"], "mia@example.com");
    // r1 again: a replay. The session ends: r2 is refused too; the other session lives.
    let replay = app.graphql(None, REFRESH, json!({"t": r1})).await;
    assert_eq!(error_code(&replay), Some("UNAUTHENTICATED"), "{replay}");
    assert!(
        replay["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("elsewhere"),
        "{replay}"
    );
    let after = app.graphql(None, REFRESH, json!({"t": r2})).await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"), "{after}");
    let o2 = app
        .ok(None, REFRESH, json!({"t": other["refreshToken"]}))
        .await["refreshSession"]
        .clone();
    // Signing out everywhere ends it (one live session), and the next refresh fails.
    let ended = app
        .ok(
            o2["accessToken"].as_str(),
            "mutation { signOutEverywhere }",
            json!({}),
        )
        .await;
    assert_eq!(ended["signOutEverywhere"], 1);
    let gone = app
        .graphql(None, REFRESH, json!({"t": o2["refreshToken"]}))
        .await;
    assert_eq!(error_code(&gone), Some("UNAUTHENTICATED"), "{gone}");
    // Signing out one session: that one ends.
    let third = app
        .ok(
            None,
            SIGN_IN,
            json!({"email": "mia@example.com", "password": PASSWORD}),
        )
        .await["signIn"]
        .clone();
    app.ok(
        None,
        "mutation($t: String!) { signOut(refreshToken: $t) }",
        json!({"t": third["refreshToken"]}),
    )
    .await;
    let gone = app
        .graphql(None, REFRESH, json!({"t": third["refreshToken"]}))
        .await;
    assert_eq!(error_code(&gone), Some("UNAUTHENTICATED"), "{gone}");
}

#[tokio::test]
async fn a_password_reset_link_sets_a_new_password_and_ends_every_session() {
    let app = spawn_app().await;
    let first = sign_up(&app, "mia@example.com", "Mia").await;
    let account = first["accountId"].as_str().unwrap();
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    // Any address gets `true`; only an account's gets a link.
    assert_eq!(
        app.ok(None, ask, json!({"e": "nobody@example.com"})).await["requestPasswordReset"],
        true
    );
    assert_eq!(
        app.ok(None, ask, json!({"e": "not an address"})).await["requestPasswordReset"],
        true
    );
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM notification_deliveries WHERE kind = 'reset_password'",
    )
    .fetch_one(&pg(&app).await)
    .await
    .unwrap();
    assert_eq!(n, 0);
    assert_eq!(
        app.ok(None, ask, json!({"e": "MIA@example.com"})).await["requestPasswordReset"],
        true
    );
    let links = links_to(&app, account).await;
    let resets: Vec<_> = links
        .iter()
        .filter(|(k, _)| k == "reset_password")
        .collect();
    assert_eq!(resets.len(), 1, "{links:?}");
    let (_, link) = resets[0];
    assert!(link.contains("/account/reset-password?token="), "{link}");
    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    let short = app
        .graphql(None, reset, json!({"t": token_of(link), "p": "short"}))
        .await;
    assert_eq!(error_code(&short), Some("INVALID_INPUT"), "{short}");
    app.ok(
        None,
        reset,
        json!({"t": token_of(link), "p": "a new passphrase!"}),
    )
    .await;
    // Every session ended; the old password is wrong; the new one works; the link is spent.
    let refresh = app
        .graphql(None, REFRESH, json!({"t": first["refreshToken"]}))
        .await;
    assert_eq!(error_code(&refresh), Some("UNAUTHENTICATED"), "{refresh}");
    let (old, _) = timed_sign_in(&app, "mia@example.com", PASSWORD).await;
    assert_eq!(error_code(&old), Some("UNAUTHENTICATED"), "{old}");
    app.ok(
        None,
        SIGN_IN,
        json!({"email": "mia@example.com", "password": "a new passphrase!"}),
    )
    .await;
    let spent = app
        .graphql(
            None,
            reset,
            json!({"t": token_of(link), "p": "another passphrase"}),
        )
        .await;
    assert_eq!(error_code(&spent), Some("INVALID_INPUT"), "{spent}");
}

#[tokio::test]
async fn account_mutations_need_the_right_caller() {
    let app = spawn_app().await;
    // Anonymous: no account to act on.
    for doc in [
        "mutation { signOutEverywhere }",
        "mutation { requestEmailVerification }",
    ] {
        let answer = app.graphql(None, doc, json!({})).await;
        assert_eq!(
            error_code(&answer),
            Some("UNAUTHENTICATED"),
            "{doc}: {answer}"
        );
    }
    let me = app.graphql(None, ME, json!({})).await;
    assert_eq!(error_code(&me), Some("UNAUTHENTICATED"), "{me}");
    // A token `holdfast token` minted names no account here.
    let (_, minted) = crate::support::guest();
    let answer = app
        .graphql(Some(&minted), "mutation { signOutEverywhere }", json!({}))
        .await;
    assert_eq!(error_code(&answer), Some("NOT_FOUND"), "{answer}");
    let me = app.ok(Some(&minted), ME, json!({})).await;
    assert_eq!(me["me"]["accountId"], Value::Null);
    assert_eq!(me["me"]["profile"], Value::Null);
    // An admin is nobody's guest.
    let profile = app
        .graphql(
            Some(&admin()),
            "mutation { updateMyProfile(input: {name: \"x\", language: KO}) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&profile), Some("FORBIDDEN"), "{profile}");
}

#[tokio::test]
async fn with_an_outside_identity_provider_accounts_are_off() {
    let app = spawn_app().await;
    let schema = holdfast_api::schema::build(app.engine.clone());
    let request = async_graphql::Request::new(
        "mutation { signIn(email: \"mia@example.com\", password: \"correct horse battery\") { accessToken } }",
    )
    .data(Principal::Anonymous);
    let response = schema.execute(request).await;
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(error_code(&json), Some("INVALID_STATE"), "{json}");
}
