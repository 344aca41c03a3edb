//! `holdfast serve`: start the engine (open and migrate the event store, load the demo
//! fixtures into an empty embedded store, connect the read side, start the projectors, the
//! booking worker and the outbox), serve HTTP until Ctrl-C or SIGTERM, drain in-flight
//! requests, then stop the engine.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use holdfast_api::{AppState, app, metrics};
use holdfast_domain::services::{DomainServices, ShiftedClock};
use holdfast_engine::{Engine, EngineSettings};
use holdfast_projections::runtime::ProjectorOptions;

use crate::settings::{
    AuthArgs, NotifyArgs, PaymentsWebhookArgs, ReadSideArgs, ReminderArgs, StoreArgs, WebArgs,
};

/// Arguments of `holdfast serve`.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    #[command(flatten)]
    auth: AuthArgs,
    /// Address to listen on.
    #[arg(long, env = "HOLDFAST_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Do not run projectors or the booking worker in this process (API-only node; run
    /// `holdfast worker` elsewhere).
    #[arg(long, env = "HOLDFAST_NO_WORKERS")]
    no_workers: bool,
    /// The site's public address: links in account messages (e-mail verification, password
    /// reset) start with it. Default: `http://<listen address>`.
    #[arg(long, env = "HOLDFAST_PUBLIC_URL")]
    public_url: Option<String>,
    /// Where listing photos are kept: a local directory, or a URL `object_store` reads
    /// (`s3://bucket/prefix` with the usual `AWS_*` variables, `file:///srv/photos`).
    #[arg(long, env = "HOLDFAST_PHOTO_STORE", default_value = "data/photos")]
    photo_store: String,
    /// Do not load the built-in demo fixtures into an empty embedded (SQLite) event store.
    #[arg(long, env = "HOLDFAST_NO_DEMO")]
    no_demo: bool,
    #[command(flatten)]
    notify: NotifyArgs,
    #[command(flatten)]
    reminders: ReminderArgs,
    #[command(flatten)]
    payments_webhook: PaymentsWebhookArgs,
    #[command(flatten)]
    web: WebArgs,
    /// Run the clock from this instant (RFC 3339) instead of now — for demos and browser
    /// tests ("as if it were 10:00 in Seoul"); the clock runs on at the normal pace.
    #[arg(long, env = "HOLDFAST_CLOCK_STARTS_AT", value_parser = parse_instant)]
    clock_starts_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("an instant like 2030-01-07T10:00:00+09:00: {e}"))
}

/// Gives the demo's businesses their booking sites and owners when the demo is in this store
/// (once; a failure is logged, the server runs on).
async fn demo_businesses(engine: &Engine, accounts: &holdfast_engine::accounts::Accounts) {
    use holdfast_engine::fixtures::{FixtureSet, businesses};
    let set = match FixtureSet::embedded() {
        Ok(set) => set,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the demo fixtures");
            return;
        }
    };
    match businesses::onboard(engine, accounts, &set).await {
        Ok(done) => {
            for business in done {
                println!(
                    "Demo business {} at /b/{}: operator {} / {}",
                    business.name,
                    business.slug,
                    business.owner_email,
                    businesses::DEMO_PASSWORD
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot set up the demo businesses' sites"),
    }
}

/// Runs the server.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let auth_config = args.auth.config(&args.store)?;
    let authenticator = holdfast_api::auth::Authenticator::connect(&auth_config).await?;
    if matches!(auth_config, holdfast_api::auth::AuthConfig::Outside(_)) {
        // The outside provider's keys rotate: read its JWKS again now and then.
        let refreshing = authenticator.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(holdfast_api::auth::JWKS_REFRESH).await;
                match refreshing.refresh().await {
                    Ok(keys) => tracing::debug!(keys, "read the identity provider's keys"),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the identity provider's keys; keeping the last ones")
                    }
                }
            }
        });
    }
    // Projectors, the booking worker (expiries, waitlist offers, late payments, refunds) and
    // the notifications outbox run here unless `--no-workers` leaves them to `holdfast
    // worker`. The in-memory read side is rebuilt from the log at every start; DynamoDB
    // resumes from its checkpoints. One active projector per table, one worker and one outbox
    // across nodes (leases).
    let workers = !args.no_workers;
    let web = args.web.settings(&args.store.database_url);
    let settings = EngineSettings {
        database_url: args.store.database_url.clone(),
        read_side: args.read_side.settings(),
        services: match args.clock_starts_at {
            Some(at) => DomainServices::with_clock(ShiftedClock::starting_at(at)),
            None => DomainServices::system(),
        },
        // Only the embedded default (SQLite) with no event at all gets the demo set: never a
        // store that has been used, never a production (Postgres) store.
        demo_fixtures: !args.no_demo,
        projectors: workers.then(ProjectorOptions::default),
        worker: workers.then(|| args.reminders.worker()),
        outbox: if workers {
            args.notify.settings()?
        } else {
            None
        },
        payments_webhook: args
            .payments_webhook
            .settings(web.checkout == holdfast_web::Checkout::Test)?,
    };
    metrics::install();
    let engine = Engine::start(settings).await?;
    // Listen only once the engine is up (a probe meanwhile is refused, not left hanging); a
    // port that cannot be had stops the engine again.
    let bound = async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} (pass another --listen / HOLDFAST_LISTEN)",
                    args.listen
                )
            })?;
        let address = listener.local_addr()?;
        anyhow::Ok((listener, address))
    }
    .await;
    let (listener, address) = match bound {
        Ok(bound) => bound,
        Err(e) => {
            engine.stop().await;
            return Err(e);
        }
    };
    tracing::info!(%address, "serving");
    // The one line a script (or a test) waits for.
    let shutdown = shutdown_signal();
    println!("Holdfast listening on http://{address}");
    let mut state = AppState::new(engine.clone(), authenticator);
    // Accounts are kept here when this deployment signs its own tokens (HS256); with an
    // outside identity provider's key, that provider signs people in.
    if let holdfast_api::auth::AuthConfig::Hs256(secret) = &auth_config {
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        let identity = holdfast_api::identity::Identity::hs256(&engine.store, secret, public_url)?;
        if !args.no_demo {
            demo_businesses(&engine, &identity.accounts).await;
        }
        state = state.with_identity(identity);
    }
    let photos = if args.photo_store.contains("://") {
        holdfast_engine::photos::PhotoStore::from_url(&args.photo_store)
    } else {
        holdfast_engine::photos::PhotoStore::local(std::path::Path::new(&args.photo_store))
    }
    .with_context(|| format!("--photo-store {}", args.photo_store))?;
    state = state.with_photos(photos).with_web(web);
    let served = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .context("the HTTP server failed");
    engine.stop().await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    // Register the handlers NOW (not when first polled), so a signal that arrives right after
    // the "listening" line is already caught.
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = interrupt => {},
                () = terminate => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
