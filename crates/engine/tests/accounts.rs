//! The account store on Postgres and SQLite: sign-up, sign-in failures that say nothing and
//! lock an address, refresh-token rotation with replay detection, signing out everywhere,
//! forgetting a person.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_domain::guest::Language;
use holdfast_engine::Secret;
use holdfast_engine::accounts::{
    AccountError, Accounts, FREE_FAILURES, LinkPurpose, RESET_LIFETIME_MINUTES,
    VERIFY_LIFETIME_HOURS, forget_guest, lock_for,
};
use holdfast_engine::notify::{NotificationKind, OutboxStore};
use holdfast_engine::profiles::{ProfileError, ProfileInput, Profiles};
use holdfast_eventstore::EventStore;
use holdfast_testkit::{TestSqlite, fresh_postgres_database, fresh_sqlite_database};

struct Harness {
    accounts: Accounts,
    store: EventStore,
    _sqlite: Option<TestSqlite>,
}

impl Harness {
    async fn postgres() -> Self {
        let db = fresh_postgres_database().await;
        Self::on(&db.url, None).await
    }

    async fn sqlite() -> Self {
        let db = fresh_sqlite_database();
        let url = db.url.clone();
        Self::on(&url, Some(db)).await
    }

    async fn on(url: &str, sqlite: Option<TestSqlite>) -> Self {
        let store = EventStore::open(url).await.unwrap();
        store.migrate().await.unwrap();
        let accounts = Accounts::new(&store, Secret::new("accounts-test-key-0123456789")).unwrap();
        Self {
            accounts,
            store,
            _sqlite: sqlite,
        }
    }

    async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = self
            .store
            .db()
            .fetch_optional_as(format!("SELECT count(*) FROM {table}").as_str(), &[])
            .await
            .unwrap()
            .unwrap();
        n
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-07-01T09:00:00Z")
        .unwrap()
        .to_utc()
}

const PASSWORD: &str = "correct horse battery";

async fn sign_up_and_in(h: Harness) {
    let account = h
        .accounts
        .sign_up("  Mia@Example.COM ", PASSWORD, now())
        .await
        .unwrap();
    // The address is normalised: signing in with any case works, signing up again does not.
    assert_eq!(
        h.accounts
            .sign_in("mia@example.com", PASSWORD, now())
            .await
            .unwrap(),
        account
    );
    assert_eq!(account.email, "mia@example.com");
    assert_eq!(account.email_verified_at, None);
    assert_eq!(
        h.accounts
            .sign_up("MIA@example.com", "another password!", now())
            .await,
        Err(AccountError::EmailTaken)
    );
    // Bad input is refused with a reason, and nothing is stored.
    for email in [
        "",
        "mia",
        "mia@",
        "@example.com",
        "mia@example",
        "mi a@example.com",
        "a@b..c",
    ] {
        assert_eq!(
            h.accounts.sign_up(email, PASSWORD, now()).await,
            Err(AccountError::InvalidEmail),
            "{email:?}"
        );
    }
    let long = format!("{}@example.com", "m".repeat(65));
    assert_eq!(
        h.accounts.sign_up(&long, PASSWORD, now()).await,
        Err(AccountError::InvalidEmail)
    );
    for password in ["short", &"p".repeat(129)] {
        assert!(matches!(
            h.accounts.sign_up("new@example.com", password, now()).await,
            Err(AccountError::InvalidPassword { .. })
        ));
    }
    assert_eq!(h.count("accounts").await, 1);
    // The stored hash is Argon2id, never the password.
    let (hash,): (String,) = h
        .store
        .db()
        .fetch_optional_as("SELECT password_hash FROM accounts", &[])
        .await
        .unwrap()
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

async fn failures_say_nothing_and_lock_the_address(h: Harness) {
    h.accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap();
    // No such account and a wrong password: one answer.
    let unknown = h
        .accounts
        .sign_in("nobody@example.com", PASSWORD, now())
        .await;
    let wrong = h
        .accounts
        .sign_in("mia@example.com", "wrong password!!", now())
        .await;
    assert_eq!(unknown, Err(AccountError::InvalidCredentials));
    assert_eq!(wrong, unknown);
    assert_eq!(
        h.accounts.sign_in("not an address", PASSWORD, now()).await,
        Err(AccountError::InvalidCredentials)
    );
    // A success clears the count.
    h.accounts
        .sign_in("mia@example.com", PASSWORD, now())
        .await
        .unwrap();
    for _ in 0..FREE_FAILURES {
        assert_eq!(
            h.accounts
                .sign_in("mia@example.com", "wrong password!!", now())
                .await,
            Err(AccountError::InvalidCredentials)
        );
    }
    // The sixth failure locks for 30 s; meanwhile even the right password is refused.
    assert_eq!(
        h.accounts
            .sign_in("mia@example.com", "wrong password!!", now())
            .await,
        Err(AccountError::InvalidCredentials)
    );
    assert_eq!(
        h.accounts
            .sign_in("mia@example.com", PASSWORD, now() + Duration::seconds(10))
            .await,
        Err(AccountError::Locked {
            retry_after_seconds: 20
        })
    );
    // Unknown addresses lock the same way (a lock says nothing about an account).
    for _ in 0..=FREE_FAILURES {
        let _ = h
            .accounts
            .sign_in("nobody@example.com", PASSWORD, now())
            .await;
    }
    assert!(matches!(
        h.accounts
            .sign_in("nobody@example.com", PASSWORD, now() + Duration::seconds(1))
            .await,
        Err(AccountError::Locked { .. })
    ));
    // After the lock, the right password works.
    h.accounts
        .sign_in("mia@example.com", PASSWORD, now() + Duration::seconds(31))
        .await
        .unwrap();
}

async fn refresh_tokens_rotate_and_a_replay_ends_the_session(h: Harness) {
    let id = h
        .accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap()
        .id;
    let first = h.accounts.start_session(id, None, now()).await.unwrap();
    let other = h.accounts.start_session(id, None, now()).await.unwrap();
    assert_ne!(first.family, other.family);
    let (who, second) = h.accounts.refresh(&first.token, now()).await.unwrap();
    assert_eq!((who.account, who.tenant), (id, None));
    assert_eq!(second.family, first.family);
    assert_ne!(second.token, first.token);
    // The first token again: a replay. The family (the second token too) is revoked; the
    // other session lives on.
    assert_eq!(
        h.accounts.refresh(&first.token, now()).await,
        Err(AccountError::RefreshReused)
    );
    assert_eq!(
        h.accounts.refresh(&second.token, now()).await,
        Err(AccountError::RefreshInvalid)
    );
    let (_, other_next) = h.accounts.refresh(&other.token, now()).await.unwrap();
    // Unknown and expired tokens.
    assert_eq!(
        h.accounts.refresh(&"0".repeat(64), now()).await,
        Err(AccountError::RefreshInvalid)
    );
    assert_eq!(
        h.accounts
            .refresh(&other_next.token, other_next.expires_at)
            .await,
        Err(AccountError::RefreshInvalid)
    );
    // Signing out everywhere revokes what is left.
    assert_eq!(h.accounts.sign_out_everywhere(id, now()).await.unwrap(), 1);
    assert_eq!(
        h.accounts.refresh(&other_next.token, now()).await,
        Err(AccountError::RefreshInvalid)
    );
    // Only digests are stored.
    let (stored,): (String,) = h
        .store
        .db()
        .fetch_optional_as("SELECT token_digest FROM refresh_tokens LIMIT 1", &[])
        .await
        .unwrap()
        .unwrap();
    assert!(![&first.token, &second.token, &other.token].contains(&&stored));
}

async fn concurrent_uses_of_one_token_leave_one_winner_and_end_the_session(h: Harness) {
    let id = h
        .accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap()
        .id;
    let token = h
        .accounts
        .start_session(id, None, now())
        .await
        .unwrap()
        .token;
    let accounts = Arc::new(h.accounts.clone());
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (accounts, token) = (accounts.clone(), token.clone());
            tokio::spawn(async move { accounts.refresh(&token, now()).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tries {
        outcomes.push(t.await.unwrap());
    }
    let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert!(won.len() <= 1, "{outcomes:?}");
    assert!(
        outcomes.iter().filter(|o| o.is_err()).all(|o| matches!(
            o,
            Err(AccountError::RefreshReused | AccountError::RefreshInvalid)
        )),
        "{outcomes:?}"
    );
    // The replay ended the session: the winner's next token is revoked too.
    if let Some((_, next)) = won.first() {
        assert_eq!(
            h.accounts.refresh(&next.token, now()).await,
            Err(AccountError::RefreshInvalid)
        );
    }
}

async fn forgetting_an_account_deletes_its_address_and_tokens(h: Harness) {
    let id = h
        .accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap()
        .id;
    let keep = h
        .accounts
        .sign_up("ola@example.com", PASSWORD, now())
        .await
        .unwrap()
        .id;
    h.accounts.start_session(id, None, now()).await.unwrap();
    h.accounts.start_session(keep, None, now()).await.unwrap();
    let _ = h
        .accounts
        .sign_in("mia@example.com", "wrong password!!", now())
        .await;
    assert_eq!(h.count("sign_in_failures").await, 1);
    let digest = h.accounts.email_digest("mia@example.com");
    h.accounts.forget(id).await.unwrap();
    assert_eq!(h.count("accounts").await, 1);
    assert_eq!(h.count("refresh_tokens").await, 1);
    assert_eq!(h.count("sign_in_failures").await, 0);
    assert_eq!(
        h.accounts.sign_in("mia@example.com", PASSWORD, now()).await,
        Err(AccountError::InvalidCredentials)
    );
    // Nothing in the database still says the address, or its digest.
    let (n,): (i64,) = h
        .store
        .db()
        .fetch_optional_as(
            "SELECT count(*) FROM accounts WHERE email = 'mia@example.com' OR email_digest = $1",
            &[digest.as_str().into()],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0);
    // The address can sign up again, as a new account.
    let again = h
        .accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap()
        .id;
    assert_ne!(again, id);
}

async fn verification_links_prove_the_address_once(h: Harness) {
    let account = h
        .accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap();
    let token = h
        .accounts
        .create_link(account.id, LinkPurpose::VerifyEmail, now())
        .await
        .unwrap();
    // A reset link's token does not verify, nor does a malformed or unknown one.
    let reset = h
        .accounts
        .create_link(account.id, LinkPurpose::ResetPassword, now())
        .await
        .unwrap();
    for wrong in [
        reset.as_str(),
        "",
        "x",
        &*"0".repeat(64),
        &*"é".repeat(10_000),
    ] {
        assert_eq!(
            h.accounts.verify_email(wrong, now()).await,
            Err(AccountError::LinkInvalid)
        );
    }
    let later = now() + Duration::hours(1);
    assert_eq!(h.accounts.verify_email(&token, later).await, Ok(account.id));
    assert_eq!(
        h.accounts
            .account(account.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified_at,
        Some(later)
    );
    // Once only.
    assert_eq!(
        h.accounts.verify_email(&token, later).await,
        Err(AccountError::LinkInvalid)
    );
    // Expired links do nothing.
    let old = h
        .accounts
        .create_link(account.id, LinkPurpose::VerifyEmail, now())
        .await
        .unwrap();
    assert_eq!(
        h.accounts
            .verify_email(&old, now() + Duration::hours(VERIFY_LIFETIME_HOURS))
            .await,
        Err(AccountError::LinkInvalid)
    );
    // Only digests are stored.
    let (n,): (i64,) = h
        .store
        .db()
        .fetch_optional_as(
            "SELECT count(*) FROM account_links WHERE token_digest IN ($1, $2)",
            &[token.as_str().into(), old.as_str().into()],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0);
}

async fn a_password_reset_sets_the_password_once_and_ends_every_session(h: Harness) {
    let account = h
        .accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap();
    let session = h
        .accounts
        .start_session(account.id, None, now())
        .await
        .unwrap();
    // Unknown and malformed addresses get no link (and the caller says the same either way).
    assert_eq!(
        h.accounts
            .request_password_reset("nobody@example.com", now())
            .await,
        Ok(None)
    );
    assert_eq!(
        h.accounts
            .request_password_reset("not an address", now())
            .await,
        Ok(None)
    );
    let (to, token) = h
        .accounts
        .request_password_reset(" MIA@example.com", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(to.id, account.id);
    // Some failed sign-ins; the reset forgets them.
    for _ in 0..3 {
        let _ = h
            .accounts
            .sign_in("mia@example.com", "wrong password!!", now())
            .await;
    }
    assert!(matches!(
        h.accounts.reset_password(&token, "short", now()).await,
        Err(AccountError::InvalidPassword { .. })
    ));
    let new = "a brand new passphrase";
    assert_eq!(
        h.accounts.reset_password(&token, new, now()).await,
        Ok(account.id)
    );
    assert_eq!(h.count("sign_in_failures").await, 0);
    assert_eq!(
        h.accounts.refresh(&session.token, now()).await,
        Err(AccountError::RefreshInvalid)
    );
    assert_eq!(
        h.accounts.sign_in("mia@example.com", PASSWORD, now()).await,
        Err(AccountError::InvalidCredentials)
    );
    h.accounts
        .sign_in("mia@example.com", new, now())
        .await
        .unwrap();
    // The link worked once; a stale one not at all.
    assert_eq!(
        h.accounts
            .reset_password(&token, "yet another passphrase", now())
            .await,
        Err(AccountError::LinkInvalid)
    );
    let (_, stale) = h
        .accounts
        .request_password_reset("mia@example.com", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        h.accounts
            .reset_password(
                &stale,
                "yet another passphrase",
                now() + Duration::minutes(RESET_LIFETIME_MINUTES)
            )
            .await,
        Err(AccountError::LinkInvalid)
    );
}

async fn an_operator_session_keeps_its_business_across_refreshes(h: Harness) {
    let account = h
        .accounts
        .sign_up("owner@example.com", PASSWORD, now())
        .await
        .unwrap();
    let tenant = TenantId::new();
    let first = h
        .accounts
        .start_session(account.id, Some(tenant), now())
        .await
        .unwrap();
    let (session, next) = h.accounts.refresh(&first.token, now()).await.unwrap();
    assert_eq!(session.account, account.id);
    assert_eq!(session.guest, account.guest);
    assert_eq!(session.tenant, Some(tenant));
    let (again, _) = h.accounts.refresh(&next.token, now()).await.unwrap();
    assert_eq!(again.tenant, Some(tenant));
    // Signing out on one device ends that session only.
    let other = h
        .accounts
        .start_session(account.id, None, now())
        .await
        .unwrap();
    h.accounts.end_session(&other.token, now()).await.unwrap();
    assert_eq!(
        h.accounts.refresh(&other.token, now()).await,
        Err(AccountError::RefreshInvalid)
    );
    assert_eq!(
        h.accounts.sign_out_everywhere(account.id, now()).await,
        Ok(1)
    );
}

async fn profiles_are_checked_kept_and_read_in_bulk(h: Harness) {
    let profiles = Profiles::new(&h.store);
    let (mia, ola, nobody) = (GuestId::new(), GuestId::new(), GuestId::new());
    let input = ProfileInput {
        name: "  김민지 ".into(),
        phone: Some("010-1234-5678".into()),
        email: Some(" Mia@Example.com".into()),
        language: "ko".into(),
    };
    let kept = profiles.put(mia, &input, now()).await.unwrap();
    assert_eq!(kept.name.as_str(), "김민지");
    assert_eq!(kept.phone.as_ref().unwrap().as_str(), "01012345678");
    assert_eq!(kept.email.as_deref(), Some("mia@example.com"));
    assert_eq!(profiles.get(mia).await.unwrap(), Some(kept.clone()));
    let ola_input = ProfileInput {
        name: "Ola".into(),
        phone: Some("  ".into()),
        email: None,
        language: "en-GB".into(),
    };
    let ola_kept = profiles.put(ola, &ola_input, now()).await.unwrap();
    assert_eq!((ola_kept.phone, ola_kept.language), (None, Language::En));
    // Each bad field is named, and nothing changes.
    for (field, bad) in [
        (
            "name",
            ProfileInput {
                name: " ".into(),
                ..input.clone()
            },
        ),
        (
            "phone",
            ProfileInput {
                phone: Some("call me".into()),
                ..input.clone()
            },
        ),
        (
            "email",
            ProfileInput {
                email: Some("mia@".into()),
                ..input.clone()
            },
        ),
        (
            "language",
            ProfileInput {
                language: "fr".into(),
                ..input.clone()
            },
        ),
    ] {
        assert!(
            matches!(profiles.put(mia, &bad, now()).await, Err(ProfileError::Invalid { field: f, .. }) if f == field),
            "{field}"
        );
    }
    assert_eq!(profiles.get(mia).await.unwrap(), Some(kept.clone()));
    // An edit replaces the profile.
    let edited = profiles
        .put(
            mia,
            &ProfileInput {
                name: "Minji Kim".into(),
                language: "en".into(),
                ..input.clone()
            },
            now() + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(profiles.get(mia).await.unwrap(), Some(edited.clone()));
    // Bulk reads return what exists (across chunks).
    let mut asked: Vec<GuestId> = (0..450).map(|_| GuestId::new()).collect();
    asked.extend([mia, ola, nobody, mia]);
    let found = profiles.many(&asked).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[&mia], edited);
    assert_eq!(profiles.get(nobody).await.unwrap(), None);
}

async fn forgetting_a_guest_deletes_every_row_about_them(h: Harness) {
    let profiles = Profiles::new(&h.store);
    let account = h
        .accounts
        .sign_up("mia@example.com", PASSWORD, now())
        .await
        .unwrap();
    let keep = h
        .accounts
        .sign_up("ola@example.com", PASSWORD, now())
        .await
        .unwrap();
    for (who, name) in [
        (account.guest, "Mia Forgettable"),
        (keep.guest, "Ola Stays"),
    ] {
        profiles
            .put(
                who,
                &ProfileInput {
                    name: name.into(),
                    phone: Some("+82 10 5555 0101".into()),
                    email: None,
                    language: "en".into(),
                },
                now(),
            )
            .await
            .unwrap();
    }
    h.accounts
        .start_session(account.id, None, now())
        .await
        .unwrap();
    let token = h
        .accounts
        .create_link(account.id, LinkPurpose::VerifyEmail, now())
        .await
        .unwrap();
    let outbox = OutboxStore::new(&h.store);
    for who in [account.id, keep.id] {
        outbox
            .enqueue_message(
                Some(&who.to_string()),
                NotificationKind::VerifyEmail,
                serde_json::json!({ "link": format!("https://example.com/verify?token={token}") }),
                now(),
            )
            .await
            .unwrap();
    }
    let _ = h
        .accounts
        .sign_in("mia@example.com", "wrong password!!", now())
        .await;
    assert!(forget_guest(h.store.db(), account.guest).await.unwrap());
    for (table, left) in [
        ("accounts", 1),
        ("guest_profiles", 1),
        ("refresh_tokens", 0),
        ("account_links", 0),
        ("sign_in_failures", 0),
        ("notification_deliveries", 1),
    ] {
        assert_eq!(h.count(table).await, left, "{table}");
    }
    assert_eq!(profiles.get(account.guest).await.unwrap(), None);
    assert!(profiles.get(keep.guest).await.unwrap().is_some());
    assert_eq!(h.accounts.account(account.id).await.unwrap(), None);
    // Forgetting again (or someone never known) finds nothing.
    assert!(!forget_guest(h.store.db(), account.guest).await.unwrap());
    assert!(!forget_guest(h.store.db(), GuestId::new()).await.unwrap());
}

async fn opt_outs_turn_off_optional_kinds_only(h: Harness) {
    use holdfast_engine::notify::preferences::{OptOuts, PreferenceError};
    let opt_outs = OptOuts::new(&h.store);
    let (mia, ola) = (GuestId::new(), GuestId::new());
    for kind in NotificationKind::ALL {
        assert!(opt_outs.wants(mia, kind).await.unwrap(), "{kind}");
    }
    for kind in [
        NotificationKind::Confirmed,
        NotificationKind::Cancelled,
        NotificationKind::Refunded,
        NotificationKind::Rejected,
        NotificationKind::LatePayment,
        NotificationKind::VerifyEmail,
    ] {
        assert_eq!(
            opt_outs.set(mia, kind, false, now()).await,
            Err(PreferenceError::Required(kind.as_str()))
        );
        assert!(opt_outs.wants(mia, kind).await.unwrap());
    }
    for kind in NotificationKind::OPTIONAL {
        opt_outs.set(mia, kind, false, now()).await.unwrap();
        // Twice is the same.
        opt_outs.set(mia, kind, false, now()).await.unwrap();
        assert!(!opt_outs.wants(mia, kind).await.unwrap());
        assert!(
            opt_outs.wants(ola, kind).await.unwrap(),
            "another guest's is theirs"
        );
    }
    assert_eq!(
        opt_outs.off(mia).await.unwrap().len(),
        NotificationKind::OPTIONAL.len()
    );
    opt_outs
        .set(mia, NotificationKind::Waitlisted, true, now())
        .await
        .unwrap();
    assert!(
        opt_outs
            .wants(mia, NotificationKind::Waitlisted)
            .await
            .unwrap()
    );
    assert_eq!(
        opt_outs.off(mia).await.unwrap().len(),
        NotificationKind::OPTIONAL.len() - 1
    );
    // Forgetting the guest forgets their choices too.
    forget_guest(h.store.db(), mia).await.unwrap();
    assert_eq!(opt_outs.off(mia).await.unwrap(), vec![]);
}

#[test]
fn locks_double_from_thirty_seconds_to_an_hour() {
    assert_eq!(lock_for(0), None);
    assert_eq!(lock_for(FREE_FAILURES), None);
    assert_eq!(lock_for(FREE_FAILURES + 1).unwrap().as_secs(), 30);
    assert_eq!(lock_for(FREE_FAILURES + 2).unwrap().as_secs(), 60);
    assert_eq!(lock_for(FREE_FAILURES + 7).unwrap().as_secs(), 1920);
    assert_eq!(lock_for(FREE_FAILURES + 8).unwrap().as_secs(), 3600);
    assert_eq!(lock_for(i64::MAX).unwrap().as_secs(), 3600);
}

#[test]
fn digests_are_keyed_and_stable() {
    // No database needed: the digest is a pure function of the key and the address.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = fresh_sqlite_database();
        let store = EventStore::open(&db.url).await.unwrap();
        let a = Accounts::new(&store, Secret::new("key-one-0123456789")).unwrap();
        let b = Accounts::new(&store, Secret::new("key-two-0123456789")).unwrap();
        assert_eq!(
            a.email_digest("mia@example.com"),
            a.email_digest("mia@example.com")
        );
        assert_ne!(
            a.email_digest("mia@example.com"),
            b.email_digest("mia@example.com")
        );
        assert_ne!(
            a.email_digest("mia@example.com"),
            a.email_digest("ola@example.com")
        );
    });
}

async fn calendar_feeds_are_one_per_subject_until_reset_or_forgotten(h: Harness) {
    use holdfast_engine::calendar::{CalendarFeeds, FeedKind};
    let feeds = CalendarFeeds::new(&h.store);
    let mia = GuestId::new();
    let subject = mia.to_string();
    let first = feeds
        .get_or_create(FeedKind::Guest, &mia.to_string(), "", now())
        .await
        .unwrap();
    assert_eq!(first.token.len(), 64);
    // Asked again, concurrently: one feed.
    let again = futures::future::join_all(
        (0..8).map(|_| feeds.get_or_create(FeedKind::Guest, &subject, "", now())),
    )
    .await;
    assert!(
        again
            .iter()
            .all(|f| f.as_ref().unwrap().token == first.token)
    );
    assert_eq!(feeds.find(&first.token).await.unwrap(), Some(first.clone()));
    // An inventory with the same id text is another feed.
    let inventory = feeds
        .get_or_create(FeedKind::Inventory, &mia.to_string(), "t1", now())
        .await
        .unwrap();
    assert_ne!(inventory.token, first.token);
    assert_eq!(inventory.tenant_id, "t1");
    // Reset: a new secret, the old one finds nothing.
    let reset = feeds
        .reset(FeedKind::Guest, &mia.to_string(), "", now())
        .await
        .unwrap();
    assert_ne!(reset.token, first.token);
    assert_eq!(feeds.find(&first.token).await.unwrap(), None);
    // Forgetting the guest forgets their feed, not the inventory's.
    forget_guest(h.store.db(), mia).await.unwrap();
    assert_eq!(feeds.find(&reset.token).await.unwrap(), None);
    assert!(feeds.find(&inventory.token).await.unwrap().is_some());
}

macro_rules! on_both {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::Harness::postgres().await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::Harness::sqlite().await).await;
                }
            )*
        }
    };
}

on_both!(
    sign_up_and_in,
    failures_say_nothing_and_lock_the_address,
    refresh_tokens_rotate_and_a_replay_ends_the_session,
    concurrent_uses_of_one_token_leave_one_winner_and_end_the_session,
    forgetting_an_account_deletes_its_address_and_tokens,
    verification_links_prove_the_address_once,
    a_password_reset_sets_the_password_once_and_ends_every_session,
    an_operator_session_keeps_its_business_across_refreshes,
    profiles_are_checked_kept_and_read_in_bulk,
    forgetting_a_guest_deletes_every_row_about_them,
    opt_outs_turn_off_optional_kinds_only,
    calendar_feeds_are_one_per_subject_until_reset_or_forgotten,
);
