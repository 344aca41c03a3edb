//! Command dispatch: the one way the application sends a command to an aggregate.
//!
//! - **Group commit per aggregate**: commands to one aggregate queue in-process; the first to
//!   arrive becomes the aggregate's *leader* (a spawned task, so a caller that goes away does not
//!   strand the queue) and takes everything queued — up to [`DispatchOptions::max_batch`] — as one
//!   batch: it decides each command in arrival order on the state the previous ones left, then
//!   appends all their events in **one** append ([`EventStore::append`]). A storm on one hot
//!   inventory therefore costs one round trip per batch, not per guest, and never thrashes on
//!   optimistic conflicts inside one process. Answers (commits and rejections alike) are sent only
//!   after the append succeeded: a rejection decided on a state that then failed to commit is
//!   decided again.
//! - **Aggregate cache validated by sequence**: the last state of recently used aggregates
//!   (LRU, [`DispatchOptions::cache_capacity`] per aggregate type) with its sequence and snapshot
//!   number. A load reads only the events after the cached sequence (usually none: one cheap
//!   query instead of a snapshot and up to a hundred events to decode). Correctness never depends
//!   on the cache: the event store's optimistic concurrency is the guard (another node or the
//!   worker process may write too); a conflict evicts the entry and reloads.
//! - **Bounded retries**: a conflicting append reloads and decides the whole batch again, up to
//!   [`RetryPolicy::max_attempts`], with a short jittered backoff; then every command of the
//!   batch gets [`DispatchError::Conflict`], which the API reports as retryable.
//! - **Consistency token**: the log position of the last event a command appended (or of the
//!   aggregate's last event, for a command that appended nothing), which queries can wait for.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cqrs_es::persist::{PersistedEventRepository, PersistedEventStore, SerializedEvent};
use cqrs_es::{Aggregate, AggregateError, DomainEvent, EventStore as _};
use holdfast_domain::Decide;
use holdfast_eventstore::{
    Commit, CommitError, EventStore, Position, RequestRecord, SnapshotUpdate, StreamAppend,
};
use lru::LruCache;
use tokio::sync::oneshot;

/// How conflicts are retried.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all (the first included).
    pub max_attempts: u32,
    /// Longest pause between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            max_backoff: Duration::from_millis(50),
        }
    }
}

/// How a [`Dispatcher`] batches, caches, snapshots and retries.
#[derive(Clone, Copy, Debug)]
pub struct DispatchOptions {
    /// Write a snapshot whenever the stream crosses a multiple of this many events.
    pub snapshot_every: Option<usize>,
    /// Conflict retries.
    pub retry: RetryPolicy,
    /// Aggregates kept in the cache (per aggregate type; 0 turns the cache off).
    pub cache_capacity: usize,
    /// Most commands decided and appended together.
    pub max_batch: usize,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        Self {
            snapshot_every: None,
            retry: RetryPolicy::default(),
            cache_capacity: 4096,
            max_batch: 256,
        }
    }
}

/// A command that did not commit.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError<E: std::error::Error> {
    /// The aggregate refused it (a broken rule).
    #[error(transparent)]
    Rejected(E),
    /// Still conflicting after every retry: the aggregate is very hot; retry later.
    #[error("the aggregate kept changing concurrently ({attempts} attempts); retry")]
    Conflict {
        /// Attempts made.
        attempts: u32,
    },
    /// The request record attached to the command found its idempotency key taken: the request
    /// ran before. Nothing of the command was written; read the stored answer.
    #[error("the request's idempotency key is taken: it ran before")]
    KeyTaken,
    /// The event store did not answer.
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else (stored data that does not decode, …): logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl<E: std::error::Error> DispatchError<E> {
    /// The same failure for another command of the batch (rejections are per command).
    fn shared(&self) -> Option<Self> {
        match self {
            Self::Rejected(_) | Self::KeyTaken => None,
            Self::Conflict { attempts } => Some(Self::Conflict {
                attempts: *attempts,
            }),
            Self::Unavailable(m) => Some(Self::Unavailable(m.clone())),
            Self::Internal(m) => Some(Self::Internal(m.clone())),
        }
    }
}

/// A committed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The log position of the last event the command appended, or of the aggregate's last
    /// event if it appended none (a consistency token). `None` only if the aggregate still has
    /// no event (a command that emitted nothing on a new id).
    pub position: Option<Position>,
    /// Append attempts its batch took (1 = no conflict).
    pub attempts: u32,
}

/// What a command brings into its batch's transaction besides its own events.
#[derive(Clone, Debug, Default)]
pub struct Attached {
    /// Events of other aggregates, each stream guarded by the sequence its writer loaded. If one
    /// of them moved, the command is answered [`DispatchError::Conflict`] and the rest of the
    /// batch commits without it.
    pub streams: Vec<StreamAppend>,
    /// The request's idempotency record (its answer included). If its key is taken, the command
    /// is answered [`DispatchError::KeyTaken`] and the rest of the batch commits without it.
    pub record: Option<RequestRecord>,
}

/// Decides what a command attaches, from the aggregate's state after it (unchanged if it was
/// refused) and its outcome: `Ok(())` if it was accepted, its rejection otherwise. Called again
/// whenever the batch is decided again.
pub type Attach<A> =
    Arc<dyn Fn(&A, Result<(), &<A as Aggregate>::Error>) -> Result<Attached, String> + Send + Sync>;

/// A command's share of its batch's transaction (see [`Dispatcher::execute_attached`]).
pub struct Attachment<A: Aggregate> {
    /// Names of what the command attaches (other streams, its idempotency key): two commands
    /// with a name in common never share a batch (the later one waits for the next).
    pub tags: Vec<String>,
    /// What it attaches.
    pub attach: Attach<A>,
}

/// An aggregate's state as last seen, with where its stream was.
struct Cached<A> {
    aggregate: A,
    sequence: usize,
    snapshot: Option<usize>,
    /// When it was last known to be the stream's head (loaded, validated, or committed on).
    checked: Mutex<Instant>,
}

type Reply<A> = oneshot::Sender<Result<Committed, DispatchError<<A as Aggregate>::Error>>>;

struct Pending<A: Aggregate> {
    command: A::Command,
    metadata: HashMap<String, String>,
    attachment: Option<Attachment<A>>,
    queued: Instant,
    reply: Reply<A>,
}

struct Inner<A: Aggregate> {
    store: EventStore,
    services: A::Services,
    options: DispatchOptions,
    cache: Option<Mutex<LruCache<String, Arc<Cached<A>>>>>,
    /// Commands waiting per aggregate id; an entry exists while the id has a leader.
    queues: Mutex<HashMap<String, Vec<Pending<A>>>>,
}

/// Sends commands of aggregate `A` (see the module docs). Cheap to clone.
pub struct Dispatcher<A: Aggregate> {
    inner: Arc<Inner<A>>,
}

impl<A: Aggregate> Clone for Dispatcher<A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<A> Dispatcher<A>
where
    A: Decide + 'static,
    A::Command: Clone + Send + Sync + 'static,
    A::Error: Send + 'static,
    A::Services: Send + Sync + 'static,
{
    /// A dispatcher on `store`.
    pub fn new(store: &EventStore, services: A::Services, options: DispatchOptions) -> Self {
        let cache = NonZeroUsize::new(options.cache_capacity).map(|n| Mutex::new(LruCache::new(n)));
        Self {
            inner: Arc::new(Inner {
                store: store.clone(),
                services,
                options,
                cache,
                queues: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Executes `command` on aggregate `id` (batched with whatever else is queued for it),
    /// retrying conflicts.
    #[tracing::instrument(skip_all, fields(aggregate = A::TYPE, id = %id))]
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: HashMap<String, String>,
    ) -> Result<Committed, DispatchError<A::Error>> {
        self.submit(id, command, metadata, None).await
    }

    /// Like [`Dispatcher::execute`], and the command's batch commits what `attachment` decides
    /// (other aggregates' events, the request's idempotency record) in the same transaction.
    /// The answer's position is the latest of everything the command wrote.
    pub async fn execute_attached(
        &self,
        id: &str,
        command: A::Command,
        metadata: HashMap<String, String>,
        attachment: Attachment<A>,
    ) -> Result<Committed, DispatchError<A::Error>> {
        self.submit(id, command, metadata, Some(attachment)).await
    }

    async fn submit(
        &self,
        id: &str,
        command: A::Command,
        metadata: HashMap<String, String>,
        attachment: Option<Attachment<A>>,
    ) -> Result<Committed, DispatchError<A::Error>> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            command,
            metadata,
            attachment,
            queued: Instant::now(),
            reply,
        };
        let lead = {
            let mut queues = lock(&self.inner.queues);
            match queues.get_mut(id) {
                Some(queue) => {
                    queue.push(pending);
                    false
                }
                None => {
                    queues.insert(id.to_owned(), vec![pending]);
                    true
                }
            }
        };
        if lead {
            let inner = self.inner.clone();
            let id = id.to_owned();
            tokio::spawn(async move { inner.lead(id).await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(DispatchError::Internal(
                "the command's batch stopped before answering".to_owned(),
            ))
        })
    }

    /// The current state of aggregate `id` (the default state when it has no event), through
    /// the cache: only events after the cached sequence are read.
    pub async fn load(&self, id: &str) -> Result<A, DispatchError<A::Error>> {
        Ok(self.inner.load(id).await?.aggregate.clone())
    }

    /// The state of aggregate `id` and its sequence: the cached one as it is when cached (no
    /// read; it may be behind what other nodes wrote), else loaded. For decisions whose commit
    /// is guarded by that sequence (an [`Attached`] stream), and for what never changes.
    pub async fn cached(&self, id: &str) -> Result<(A, usize), DispatchError<A::Error>> {
        let cached = self.inner.cached(id);
        let entry = match cached {
            Some(entry) => entry,
            None => self.inner.load(id).await?,
        };
        Ok((entry.aggregate.clone(), entry.sequence))
    }

    /// The state of aggregate `id`: the cached one if it was known to be current less than
    /// `max_age` ago (no read), else brought up to date ([`Dispatcher::load`]). For reads that
    /// decide nothing on their own (the listing's policy and prices a placement reads): another
    /// node's change shows here within `max_age`; this node's own changes at once.
    pub async fn recent(&self, id: &str, max_age: Duration) -> Result<A, DispatchError<A::Error>> {
        match self.inner.cached(id) {
            Some(entry) if lock(&entry.checked).elapsed() < max_age => Ok(entry.aggregate.clone()),
            _ => self.load(id).await,
        }
    }

    /// The cached state of aggregate `id` if it is at `sequence` or later (no read; `None`
    /// otherwise). For a follower of the log that has seen the aggregate's events up to
    /// `sequence`: such a state reflects everything it saw.
    pub fn cached_at_least(&self, id: &str, sequence: usize) -> Option<A> {
        self.inner
            .cached(id)
            .filter(|entry| entry.sequence >= sequence)
            .map(|entry| entry.aggregate.clone())
    }

    /// The state of aggregate `id` and its sequence, without a read when it is not cached: the
    /// cached state, or a new aggregate at sequence 0. Only for decisions whose commit is guarded
    /// by that sequence (an [`Attached`] stream): if the guess was wrong, the commit conflicts.
    pub fn assumed(&self, id: &str) -> (A, usize) {
        match self.inner.cached(id) {
            Some(entry) => (entry.aggregate.clone(), entry.sequence),
            None => (A::default(), 0),
        }
    }

    /// Caches `aggregate` at `sequence` (its state after a commit made elsewhere, such as an
    /// [`Attached`] stream), unless a later state is cached.
    pub fn remember(&self, id: &str, aggregate: A, sequence: usize) {
        let snapshot = self.inner.cached(id).and_then(|c| c.snapshot);
        self.inner.remember(
            id,
            Cached {
                aggregate,
                sequence,
                snapshot,
                checked: Mutex::new(Instant::now()),
            },
        );
    }

    /// Drops the cached state of `id` (after a conflict on it).
    pub fn forget(&self, id: &str) {
        self.inner.forget(id);
    }
}

/// Removes the queue of an id whose leader stops without draining it (a panic): the waiting
/// callers get an error instead of waiting forever.
struct LeaderGuard<'a, A: Aggregate> {
    inner: &'a Inner<A>,
    id: &'a str,
    done: bool,
}

impl<A: Aggregate> Drop for LeaderGuard<'_, A> {
    fn drop(&mut self) {
        if !self.done {
            lock(&self.inner.queues).remove(self.id);
        }
    }
}

/// What one batch attempt decided.
struct Decided<A: Aggregate> {
    /// Per command of the batch (`None` for one no longer in it): the number of the batch's
    /// events up to and including its own, or its rejection.
    outcomes: Vec<Option<Result<usize, A::Error>>>,
    events: Vec<SerializedEvent>,
    /// What each command attaches (empty for none).
    attached: Vec<Attached>,
    state: A,
    sequence: usize,
    snapshot: Option<SnapshotUpdate>,
    /// The snapshot number after the append.
    snapshot_number: Option<usize>,
}

/// The commit of a decided batch, and who owns each stream and record in it.
struct Plan {
    commit: Commit,
    /// The command owning each stream (the aggregate's own stream: `None`).
    stream_owner: Vec<Option<usize>>,
    /// The command owning each record.
    record_owner: Vec<usize>,
    /// The records of commands that succeeded writing nothing (a no-op): their token is the
    /// aggregate's head, looked up before the commit.
    needs_head: Vec<usize>,
}

/// Takes the next batch off `queue`: up to `max` commands in arrival order, skipping (and
/// leaving queued, in order) any whose attachment shares a tag with one already taken.
fn take_batch<A: Aggregate>(queue: &mut Vec<Pending<A>>, max: usize) -> Vec<Pending<A>> {
    let exclusive = queue
        .iter()
        .any(|p| p.attachment.as_ref().is_some_and(|a| !a.tags.is_empty()));
    if !exclusive {
        let n = queue.len().min(max);
        return queue.drain(..n).collect();
    }
    let mut tags = std::collections::HashSet::new();
    let mut batch = Vec::new();
    let mut rest = Vec::new();
    for pending in queue.drain(..) {
        let free = batch.len() < max
            && pending
                .attachment
                .as_ref()
                .is_none_or(|a| a.tags.iter().all(|t| !tags.contains(t)));
        if free {
            if let Some(a) = &pending.attachment {
                tags.extend(a.tags.iter().cloned());
            }
            batch.push(pending);
        } else {
            rest.push(pending);
        }
    }
    *queue = rest;
    batch
}

type Answer<A> = Result<Committed, DispatchError<<A as Aggregate>::Error>>;

impl<A> Inner<A>
where
    A: Decide + 'static,
    A::Command: Clone + Send + Sync + 'static,
    A::Error: Send + 'static,
    A::Services: Send + Sync + 'static,
{
    async fn lead(&self, id: String) {
        let mut guard = LeaderGuard {
            inner: self,
            id: &id,
            done: false,
        };
        loop {
            let batch: Vec<Pending<A>> = {
                let mut queues = lock(&self.queues);
                let Some(queue) = queues.get_mut(&id) else {
                    break;
                };
                if queue.is_empty() {
                    queues.remove(&id);
                    break;
                }
                take_batch(queue, self.options.max_batch.max(1))
            };
            self.run_batch(&id, batch).await;
        }
        guard.done = true;
    }

    async fn run_batch(&self, id: &str, batch: Vec<Pending<A>>) {
        metrics::histogram!("holdfast_command_batch_size", "aggregate" => A::TYPE)
            .record(batch.len() as f64);
        // Commands answered before the batch commits (their key was taken, or a stream they
        // attach moved) leave it; the rest are decided again without them.
        let mut answers: Vec<Option<Answer<A>>> = batch.iter().map(|_| None).collect();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answered: Vec<bool> = answers.iter().map(Option::is_some).collect();
            let decided = match self.decide(id, &batch, &answered).await {
                Ok(d) => d,
                Err(e) => {
                    fill(&mut answers, &e);
                    break;
                }
            };
            let mut plan = match plan::<A>(id, &decided) {
                Ok(plan) => plan,
                Err(e) => {
                    fill(&mut answers, &e);
                    break;
                }
            };
            // A record of a command that wrote nothing (a no-op, a refusal) stores the token
            // its answer gets: the aggregate's head, so that a replay answers the same token.
            if !plan.needs_head.is_empty() {
                let head = match self.store.last_position(A::TYPE, id).await {
                    Ok(head) => head,
                    Err(e) => {
                        fill(&mut answers, &DispatchError::Unavailable(e.to_string()));
                        break;
                    }
                };
                for &i in &plan.needs_head {
                    plan.commit.records[i].position = head;
                }
            }
            match self.store.commit(&plan.commit).await {
                Ok(committed) => {
                    if !decided.events.is_empty() {
                        self.remember(
                            id,
                            Cached {
                                sequence: decided.sequence,
                                snapshot: decided.snapshot_number,
                                aggregate: decided.state,
                                checked: Mutex::new(Instant::now()),
                            },
                        );
                    }
                    let mut own = Vec::new();
                    let mut attached: Vec<Option<Position>> =
                        answers.iter().map(|_| None).collect();
                    for (i, positions) in committed.positions.into_iter().enumerate() {
                        match plan.stream_owner[i] {
                            None => own = positions,
                            Some(owner) => {
                                attached[owner] = attached[owner].max(positions.last().copied());
                            }
                        }
                    }
                    let mut head: Option<Option<Position>> = None;
                    for (i, outcome) in decided.outcomes.into_iter().enumerate() {
                        let Some(outcome) = outcome else { continue };
                        let position = match &outcome {
                            Ok(n) if *n > 0 => own.get(n - 1).copied(),
                            _ => None,
                        };
                        let position = match position.max(attached[i]) {
                            Some(p) => Some(p),
                            None => {
                                // Nothing written for this command: the aggregate's head before
                                // the batch (looked up once).
                                if head.is_none() {
                                    head = Some(
                                        self.store.last_position(A::TYPE, id).await.ok().flatten(),
                                    );
                                }
                                head.flatten()
                            }
                        };
                        answers[i] = Some(match outcome {
                            Err(e) => Err(DispatchError::Rejected(e)),
                            Ok(_) => Ok(Committed {
                                position,
                                attempts: attempt,
                            }),
                        });
                    }
                    break;
                }
                Err(CommitError::KeysTaken { records }) => {
                    for r in records {
                        answers[plan.record_owner[r]] = Some(Err(DispatchError::KeyTaken));
                    }
                }
                Err(CommitError::Conflict { streams }) => {
                    let mut own_moved = false;
                    let mut answered_any = false;
                    for s in streams {
                        match plan.stream_owner.get(s).copied().flatten() {
                            Some(owner) => {
                                answers[owner] =
                                    Some(Err(DispatchError::Conflict { attempts: attempt }));
                                answered_any = true;
                            }
                            None => own_moved = true,
                        }
                    }
                    if own_moved || !answered_any {
                        self.forget(id);
                        metrics::counter!("holdfast_command_conflicts_total", "aggregate" => A::TYPE)
                            .increment(batch.len() as u64);
                        if attempt >= self.options.retry.max_attempts {
                            fill(&mut answers, &DispatchError::Conflict { attempts: attempt });
                            break;
                        }
                        let cap = self
                            .options
                            .retry
                            .max_backoff
                            .min(Duration::from_millis(1 << attempt.min(10)));
                        tokio::time::sleep(cap.mul_f64(fastrand::f64())).await;
                    }
                }
                Err(e) if e.is_transient() => {
                    self.forget(id);
                    fill(&mut answers, &DispatchError::Unavailable(e.to_string()));
                    break;
                }
                Err(e) => {
                    self.forget(id);
                    tracing::error!(error = %e, "commit failed unexpectedly");
                    fill(&mut answers, &DispatchError::Internal(e.to_string()));
                    break;
                }
            }
            if answers.iter().all(Option::is_some) {
                break;
            }
        }
        for (pending, answer) in batch.into_iter().zip(answers) {
            let answer = answer.unwrap_or_else(|| {
                Err(DispatchError::Internal(
                    "the batch ended without an answer".to_owned(),
                ))
            });
            let outcome = match &answer {
                Ok(_) => "committed",
                Err(DispatchError::Rejected(_)) => "rejected",
                Err(DispatchError::Conflict { .. }) => "conflict",
                Err(DispatchError::KeyTaken) => "replayed",
                Err(DispatchError::Unavailable(_)) => "unavailable",
                Err(DispatchError::Internal(_)) => "internal",
            };
            metrics::histogram!("holdfast_command_seconds", "aggregate" => A::TYPE, "outcome" => outcome)
                .record(pending.queued.elapsed().as_secs_f64());
            // A caller that went away no longer needs its answer.
            let _ = pending.reply.send(answer);
        }
    }

    /// Decides every command of the batch still unanswered, in order, on the current state.
    ///
    /// The cached state is trusted without a read: if it is stale, the append collides on the
    /// next sequence (a conflict: the entry is evicted and the batch decided again on a fresh
    /// load), and an append that succeeds proves nothing came after the cached sequence, so
    /// every decision of the batch — rejections included — was made on the current state. Only
    /// a batch that appends nothing (all refused, or no-ops) proves nothing, so its cached state
    /// is first brought up to date.
    async fn decide(
        &self,
        id: &str,
        batch: &[Pending<A>],
        answered: &[bool],
    ) -> Result<Decided<A>, DispatchError<A::Error>> {
        let cached = self.cached(id);
        let mut validated = cached.is_none();
        let mut base = match cached {
            Some(cached) => cached,
            None => self.load(id).await?,
        };
        loop {
            let decided = self.decide_on(id, &base, batch, answered)?;
            if validated || !decided.events.is_empty() {
                return Ok(decided);
            }
            let current = self.load(id).await?;
            if current.sequence == base.sequence {
                return Ok(decided);
            }
            base = current;
            validated = true;
        }
    }

    fn decide_on(
        &self,
        id: &str,
        base: &Cached<A>,
        batch: &[Pending<A>],
        answered: &[bool],
    ) -> Result<Decided<A>, DispatchError<A::Error>> {
        let mut state = base.aggregate.clone();
        let mut sequence = base.sequence;
        let mut events = Vec::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut attached = Vec::with_capacity(batch.len());
        for (pending, answer) in batch.iter().zip(answered) {
            if *answer {
                outcomes.push(None);
                attached.push(Attached::default());
                continue;
            }
            let outcome = match state.decide(pending.command.clone(), &self.services) {
                Ok(new) => {
                    for event in new {
                        sequence += 1;
                        events.push(serialize::<A>(id, sequence, &event, &pending.metadata)?);
                        state.apply(event);
                    }
                    Ok(events.len())
                }
                Err(e) => Err(e),
            };
            attached.push(match &pending.attachment {
                None => Attached::default(),
                Some(a) => (a.attach)(&state, outcome.as_ref().map(|_| ()))
                    .map_err(DispatchError::Internal)?,
            });
            outcomes.push(Some(outcome));
        }
        let snapshot = match self.options.snapshot_every {
            Some(every)
                if every > 0
                    && !events.is_empty()
                    && base.sequence % every + events.len() >= every =>
            {
                Some(SnapshotUpdate {
                    payload: serde_json::to_value(&state)
                        .map_err(|e| DispatchError::Internal(e.to_string()))?,
                    number: base.snapshot.map_or(1, |n| n + 1),
                })
            }
            _ => None,
        };
        Ok(Decided {
            outcomes,
            events,
            attached,
            state,
            sequence,
            snapshot_number: snapshot.as_ref().map(|s| s.number).or(base.snapshot),
            snapshot,
        })
    }

    /// The cached state of `id`, as it is.
    fn cached(&self, id: &str) -> Option<Arc<Cached<A>>> {
        self.cache.as_ref().and_then(|c| lock(c).get(id).cloned())
    }

    /// The aggregate's current state: the cached one brought up to date with the events after
    /// its sequence, or loaded from the store (snapshot + later events).
    async fn load(&self, id: &str) -> Result<Arc<Cached<A>>, DispatchError<A::Error>> {
        let fresh = match self.cached(id) {
            Some(cached) => {
                let newer = self
                    .store
                    .repository()
                    .get_last_events::<A>(id, cached.sequence)
                    .await
                    .map_err(|e| load_error(AggregateError::from(e)))?;
                if newer.is_empty() {
                    // Still the head: known current as of now (so `recent` reads trust it for
                    // another while instead of reading again on every call).
                    *lock(&cached.checked) = Instant::now();
                    return Ok(cached);
                }
                let mut aggregate = cached.aggregate.clone();
                let mut sequence = cached.sequence;
                for event in newer {
                    sequence = event.sequence;
                    let event: A::Event = serde_json::from_value(event.payload)
                        .map_err(|e| DispatchError::Internal(e.to_string()))?;
                    aggregate.apply(event);
                }
                Cached {
                    aggregate,
                    sequence,
                    snapshot: cached.snapshot,
                    checked: Mutex::new(Instant::now()),
                }
            }
            None => {
                let repository = self.store.repository();
                let context = match self.options.snapshot_every {
                    Some(n) => {
                        PersistedEventStore::<_, A>::new_snapshot_store(repository, n)
                            .load_aggregate(id)
                            .await
                    }
                    None => {
                        PersistedEventStore::<_, A>::new_event_store(repository)
                            .load_aggregate(id)
                            .await
                    }
                }
                .map_err(load_error)?;
                Cached {
                    aggregate: context.aggregate,
                    sequence: context.current_sequence,
                    snapshot: context.current_snapshot,
                    checked: Mutex::new(Instant::now()),
                }
            }
        };
        // Aggregates without events are cached too: a new booking's first command then needs
        // no read (its append proves the id was still unused).
        let fresh = Arc::new(fresh);
        self.remember_arc(id, fresh.clone());
        Ok(fresh)
    }

    fn remember(&self, id: &str, entry: Cached<A>) {
        self.remember_arc(id, Arc::new(entry));
    }

    /// Caches `entry` unless the cache already holds a later state of the aggregate.
    fn remember_arc(&self, id: &str, entry: Arc<Cached<A>>) {
        if let Some(cache) = &self.cache {
            let mut cache = lock(cache);
            if cache.peek(id).is_none_or(|e| e.sequence <= entry.sequence) {
                cache.put(id.to_owned(), entry);
            }
        }
    }

    fn forget(&self, id: &str) {
        if let Some(cache) = &self.cache {
            lock(cache).pop(id);
        }
    }
}

/// Answers every command of the batch not answered yet with (a copy of) `e`.
fn fill<E: std::error::Error>(
    answers: &mut [Option<Result<Committed, DispatchError<E>>>],
    e: &DispatchError<E>,
) {
    for answer in answers.iter_mut().filter(|a| a.is_none()) {
        *answer = Some(Err(e
            .shared()
            .unwrap_or_else(|| DispatchError::Internal(e.to_string()))));
    }
}

/// The commit of a decided batch: the aggregate's own stream first (when it has events), then
/// what each command attaches.
fn plan<A: Aggregate>(id: &str, decided: &Decided<A>) -> Result<Plan, DispatchError<A::Error>> {
    let mut commit = Commit::default();
    let mut stream_owner = Vec::new();
    let mut record_owner = Vec::new();
    let mut needs_head = Vec::new();
    let own_stream = !decided.events.is_empty();
    if own_stream {
        commit.streams.push(StreamAppend {
            aggregate_type: A::TYPE.to_owned(),
            aggregate_id: id.to_owned(),
            events: decided.events.clone(),
            snapshot: decided.snapshot.clone(),
        });
        stream_owner.push(None);
    }
    for (owner, attached) in decided.attached.iter().enumerate() {
        // The events whose latest position is the command's token: its own (the batch's
        // events up to its own), then the last of each stream it attaches.
        let mut written = Vec::new();
        if let Some(Ok(n)) = decided.outcomes[owner]
            && own_stream
            && n > 0
        {
            written.push((0, n - 1));
        }
        for stream in &attached.streams {
            if stream.events.is_empty() {
                continue;
            }
            if stream.aggregate_type == A::TYPE && stream.aggregate_id == id {
                return Err(DispatchError::Internal(
                    "a command attached events of its own aggregate".to_owned(),
                ));
            }
            written.push((commit.streams.len(), stream.events.len() - 1));
            commit.streams.push(stream.clone());
            stream_owner.push(Some(owner));
        }
        if let Some(record) = &attached.record {
            let mut record = record.clone();
            if written.is_empty()
                && record.position.is_none()
                && matches!(decided.outcomes[owner], Some(Ok(_)))
            {
                needs_head.push(commit.records.len());
            }
            record.written = written;
            commit.records.push(record);
            record_owner.push(owner);
        }
    }
    Ok(Plan {
        commit,
        stream_owner,
        record_owner,
        needs_head,
    })
}

/// An event as the repository stores it (as cqrs-es' own store serialises it).
pub(crate) fn serialize<A: Aggregate>(
    id: &str,
    sequence: usize,
    event: &A::Event,
    metadata: &HashMap<String, String>,
) -> Result<SerializedEvent, DispatchError<A::Error>> {
    let internal = |e: serde_json::Error| DispatchError::Internal(e.to_string());
    Ok(SerializedEvent::new(
        id.to_owned(),
        sequence,
        A::TYPE.to_owned(),
        event.event_type(),
        event.event_version(),
        serde_json::to_value(event).map_err(internal)?,
        serde_json::to_value(metadata).map_err(internal)?,
    ))
}

fn load_error<E: std::error::Error>(e: AggregateError<E>) -> DispatchError<E> {
    match e {
        AggregateError::DatabaseConnectionError(e) => DispatchError::Unavailable(e.to_string()),
        AggregateError::UserError(e) => DispatchError::Rejected(e),
        AggregateError::AggregateConflict => DispatchError::Conflict { attempts: 1 },
        AggregateError::DeserializationError(e) | AggregateError::UnexpectedError(e) => {
            tracing::error!(error = %e, "loading an aggregate failed unexpectedly");
            DispatchError::Internal(e.to_string())
        }
    }
}
