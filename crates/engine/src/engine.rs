//! [`Engine`]: the application as one value. [`Engine::start`] opens the event store (and
//! migrates it), loads the demo into an empty embedded store when asked, connects the read
//! side, and starts what the [`EngineSettings`] ask for in this process: the projectors, the
//! booking worker and the notifications outbox. [`Engine::stop`] stops them gracefully.
//! `holdfast serve`, `holdfast worker` and every test harness start through here; adapters
//! (GraphQL, HTTP, webhooks) hold a clone.

use std::sync::{Arc, Mutex};

use holdfast_domain::services::DomainServices;
use holdfast_eventstore::{Backend, EventStore, EventStoreError, Position};
use holdfast_projections::models::all_projections;
use holdfast_projections::runtime::{ProjectionRuntime, ProjectorOptions};
use holdfast_projections::store::dynamo::{self, DynamoError};
use serde::Serialize;

use crate::commands::Commands;
use crate::feed::ChangeFeed;
use crate::fixtures::{FixtureError, FixtureSet};
use crate::notify::{Outbox, OutboxHandle, OutboxOptions, Sink};
use crate::payments::PaymentsWebhook;
use crate::read_models::AliasCache;
use crate::read_side::{ReadSide, ReadSideSettings};
use crate::worker::{BookingWorker, WorkerOptions};

/// The notifications outbox of this process.
#[derive(Clone, Debug, Default)]
pub struct OutboxSettings {
    /// Sinks besides the log sink (which is always on).
    pub sinks: Vec<Sink>,
    /// Retries, backoff, batch sizes.
    pub options: OutboxOptions,
}

/// Everything [`Engine::start`] needs.
#[derive(Clone)]
pub struct EngineSettings {
    /// The event store: `postgres://…` or `sqlite://path/to/file.db`.
    pub database_url: String,
    /// The read side.
    pub read_side: ReadSideSettings,
    /// The domain's services (the clock every rule reads).
    pub services: DomainServices,
    /// Load the embedded demo fixtures when the store is an embedded (SQLite) one with no
    /// event at all — never a store that has been used, never a Postgres store.
    pub demo_fixtures: bool,
    /// Run the projectors in this process (`None`: another node runs them).
    pub projectors: Option<ProjectorOptions>,
    /// Run the booking worker in this process (`None`: another node runs it).
    pub worker: Option<WorkerOptions>,
    /// Run the notifications outbox in this process (`None`: another node runs it).
    pub outbox: Option<OutboxSettings>,
    /// Accept payment reports (`None`: the webhook is disabled).
    pub payments_webhook: Option<PaymentsWebhook>,
}

impl EngineSettings {
    /// The embedded shape on `database_url`: in-memory read models, projectors, the booking
    /// worker and the outbox running here, the system clock, no demo, no payments webhook.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            read_side: ReadSideSettings::InMemory,
            services: DomainServices::system(),
            demo_fixtures: false,
            projectors: Some(ProjectorOptions::default()),
            worker: Some(WorkerOptions::default()),
            outbox: Some(OutboxSettings::default()),
            payments_webhook: None,
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The event store could not be opened or migrated.
    #[error("event store: {0}")]
    Store(#[from] EventStoreError),
    /// The read side could not be reached.
    #[error("the read side is unavailable: {0}")]
    ReadSide(#[from] DynamoError),
    /// The demo fixtures could not be loaded.
    #[error("demo fixtures: {0}")]
    Fixtures(#[from] FixtureError),
}

/// The parts running in this process, stopped by [`Engine::stop`].
#[derive(Default)]
struct Running {
    worker: Option<BookingWorker>,
    outbox: Option<OutboxHandle>,
}

/// The application: the event store, the read side, the command side and the parts running
/// in this process. Cheap to clone; every clone is the same engine.
#[derive(Clone)]
pub struct Engine {
    /// The event store (source of truth).
    pub store: EventStore,
    /// The read side.
    pub read_side: ReadSide,
    /// The projectors running in this process, if any (for lag and read-your-writes).
    pub projections: Option<Arc<ProjectionRuntime>>,
    /// The domain's services (the clock every rule reads).
    pub services: DomainServices,
    /// The command side.
    pub commands: Arc<Commands>,
    /// Which generation each read model's alias names (one per engine).
    pub aliases: Arc<AliasCache>,
    /// The change feed live subscriptions follow (one tailer of the log per engine).
    pub feed: ChangeFeed,
    /// How payment reports are verified (`None`: the webhook is disabled).
    pub payments_webhook: Option<Arc<PaymentsWebhook>>,
    /// Guests' contact details (erasable; never in the log).
    pub profiles: crate::profiles::Profiles,
    running: Arc<Mutex<Running>>,
}

impl Engine {
    /// Opens, migrates and connects everything `settings` name, then starts the projectors,
    /// the booking worker and the outbox it asks for.
    pub async fn start(settings: EngineSettings) -> Result<Self, StartError> {
        let store = EventStore::open(&settings.database_url).await?;
        store.migrate().await?;
        if settings.demo_fixtures
            && store.backend() == Backend::Sqlite
            && store.log().head().await? == Position::START
        {
            let set = FixtureSet::embedded()?;
            let today = settings.services.clock.now().date_naive();
            let report =
                crate::fixtures::load::load_set(&store, &set, today, &settings.services).await?;
            tracing::info!(
                groups = report.loaded.len(),
                "loaded the demo fixtures into the empty event store"
            );
        }
        let read_side = ReadSide::connect(&settings.read_side).await?;
        let projections = settings.projectors.map(|options| {
            Arc::new(ProjectionRuntime::start(
                read_side.store(),
                store.clone(),
                all_projections(),
                options,
            ))
        });
        let engine = Self::assemble(
            store,
            read_side,
            projections,
            settings.services,
            settings.payments_webhook,
        );
        let outbox = match settings.outbox {
            Some(outbox) => {
                let mut built = Outbox::new(engine.store.clone(), outbox.sinks, outbox.options);
                if let Some(runtime) = &engine.projections {
                    built = built.follow(runtime.shared_log());
                }
                Some(built.start())
            }
            None => None,
        };
        let worker = settings
            .worker
            .map(|options| BookingWorker::start(engine.clone(), options));
        *engine.running() = Running { worker, outbox };
        tracing::info!(backend = ?engine.store.backend(), read_side = engine.read_side.kind(), "engine started");
        Ok(engine)
    }

    /// The engine over parts opened elsewhere, with nothing running in the background (for
    /// commands that only read or write the log, such as the fixture loader and tests).
    pub fn assemble(
        store: EventStore,
        read_side: ReadSide,
        projections: Option<Arc<ProjectionRuntime>>,
        services: DomainServices,
        payments_webhook: Option<PaymentsWebhook>,
    ) -> Self {
        Self {
            commands: Arc::new(Commands::new(&store, &services)),
            feed: ChangeFeed::new(store.clone()),
            aliases: Arc::new(AliasCache::default()),
            payments_webhook: payments_webhook.map(Arc::new),
            profiles: crate::profiles::Profiles::new(&store),
            store,
            read_side,
            projections,
            services,
            running: Arc::default(),
        }
    }

    /// This engine, accepting payment reports verified by `config` (the same stores, command
    /// side and running parts).
    pub fn with_payments_webhook(mut self, config: PaymentsWebhook) -> Self {
        self.payments_webhook = Some(Arc::new(config));
        self
    }

    /// Forgets a guest (their request, or an admin's): their profile, account, sessions,
    /// links and queued messages are deleted ([`crate::accounts::forget_guest`]). Their
    /// bookings stay, naming only the guest id. Returns whether anything was kept about them.
    ///
    /// # Errors
    ///
    /// [`crate::accounts::AccountError::Store`].
    pub async fn forget_guest(
        &self,
        guest: holdfast_domain::common::GuestId,
    ) -> Result<bool, crate::accounts::AccountError> {
        let forgotten = crate::accounts::forget_guest(self.store.db(), guest).await?;
        tracing::info!(%guest, forgotten, "forgot a guest");
        Ok(forgotten)
    }

    fn running(&self) -> std::sync::MutexGuard<'_, Running> {
        // A panic while holding this lock cannot leave the handles inconsistent.
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The booking worker running in this process, if any.
    pub fn worker_status(&self) -> Option<crate::worker::WorkerStatus> {
        self.running().worker.as_ref().map(BookingWorker::status)
    }

    /// The outbox running in this process, if any.
    pub fn outbox_status(&self) -> Option<crate::notify::OutboxStatus> {
        self.running().outbox.as_ref().map(OutboxHandle::status)
    }

    /// Stops the booking worker, the outbox and the projectors of this process (each
    /// finishes the step under way; a later start resumes from the log). Idempotent.
    pub async fn stop(&self) {
        let Running { worker, outbox } = std::mem::take(&mut *self.running());
        if let Some(worker) = worker {
            worker.stop().await;
        }
        if let Some(outbox) = outbox
            && let Err(e) = outbox.stop().await
        {
            tracing::warn!(error = %e, "the notifications outbox stopped with an error");
        }
        if let Some(runtime) = &self.projections {
            for (table, result) in runtime.stop().await {
                if let Err(e) = result {
                    tracing::warn!(%table, error = %e, "projector stopped with an error");
                }
            }
        }
        tracing::info!("engine stopped");
    }

    /// Whether the engine can serve: the event store must answer; an unreachable DynamoDB
    /// only degrades reads.
    pub async fn readiness(&self) -> Readiness {
        let event_store = match self.store.ping().await {
            Ok(()) => Dependency::ok(None),
            Err(e) => Dependency::failed("unavailable", None, e.to_string()),
        };
        let kind = Some(self.read_side.kind());
        let read_models = match &self.read_side {
            ReadSide::InMemory(_) => Dependency::ok(kind),
            ReadSide::DynamoDb {
                client, settings, ..
            } => match dynamo::check_reachable(client, settings).await {
                Ok(()) => Dependency::ok(kind),
                Err(e) => Dependency::failed("degraded", kind, e.to_string()),
            },
        };
        let projectors = self
            .projections
            .as_ref()
            .map(|p| {
                p.statuses()
                    .into_iter()
                    .map(|s| ProjectorReadiness {
                        table: s.table.name().to_owned(),
                        generation: s.generation,
                        position: s.position.to_string(),
                        lag_events: s.lag_events,
                        lag_seconds: s.lag_seconds,
                        state: format!("{:?}", s.state),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Readiness {
            ready: event_store.status == "ok",
            event_store,
            read_models,
            projectors,
        }
    }
}

/// What [`Engine::readiness`] found.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// Whether the engine can take requests (its event store answers).
    pub ready: bool,
    /// The event store.
    pub event_store: Dependency,
    /// The read models.
    pub read_models: Dependency,
    /// The projectors of this process.
    pub projectors: Vec<ProjectorReadiness>,
}

/// One dependency's state.
#[derive(Clone, Debug, Serialize)]
pub struct Dependency {
    /// `ok`, `degraded` or `unavailable`.
    pub status: &'static str,
    /// Which kind it is (`in-memory`, `dynamodb`), where that matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// What failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Dependency {
    fn ok(kind: Option<&'static str>) -> Self {
        Self {
            status: "ok",
            kind,
            error: None,
        }
    }

    fn failed(status: &'static str, kind: Option<&'static str>, error: String) -> Self {
        Self {
            status,
            kind,
            error: Some(error),
        }
    }
}

/// One projector's progress.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectorReadiness {
    /// Its table.
    pub table: String,
    /// The generation it writes.
    pub generation: Option<u32>,
    /// The last position it applied.
    pub position: String,
    /// Events behind the log's head.
    pub lag_events: u64,
    /// Seconds behind the log's head.
    pub lag_seconds: f64,
    /// Its state.
    pub state: String,
}
