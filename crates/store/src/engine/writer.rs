//! SQLite's group-commit writer: every write durable (`synchronous=FULL`) without paying one
//! fsync per write.
//!
//! SQLite allows one writer at a time, and at `synchronous=FULL` each COMMIT waits until the
//! WAL is on disk. With one transaction per write, writes could go no faster than the disk
//! syncs. Instead, one task owns SQLite's write connection and commits writes in groups:
//!
//! 1. A write (the body of a `with_pool!(…, write, …)`) queues a request and waits its turn.
//! 2. For the first request of a group the writer opens `BEGIN IMMEDIATE`. For every request it
//!    opens a savepoint and lends the connection to the caller: the body runs in the caller's
//!    own task, so it keeps borrowing its arguments, and a `pool.begin()` inside it makes a
//!    nested savepoint. When the body ends the connection comes back. A body that finished
//!    keeps its savepoint (RELEASE); one that returned an error, panicked or was cancelled is
//!    rolled back to it, so a failing write undoes its own changes and nobody else's.
//! 3. The writer takes the next queued request into the same group until the queue is empty,
//!    or the group holds [`GroupLimits::max_jobs`] writes, or it has been open
//!    [`GroupLimits::max_time`] (so a slow write holds back only its own group). Then one
//!    COMMIT, one fsync, for the whole group.
//! 4. Only after COMMIT has returned is any write of the group answered: success for the kept
//!    ones, or the commit's failure for all of them. A failed write's own error waits too,
//!    since what it read may have come from an earlier write of its group not yet committed.
//!
//! Groups form by themselves: while one group waits for the disk, the next writes queue up; a
//! lone write waits for nobody. Reads never come here (they use the read pool, and see only
//! committed data). [`Writer::drain`] (at shutdown) refuses new writes and finishes the queued
//! ones. A group that cannot commit is rolled back by closing its connection; the pool opens a
//! fresh one for the next group.
//!
//! With grouping off ([`crate::StoreOptions::group_commit`] `None`) each write runs alone with
//! no transaction around it, as on a single-connection pool: one transaction (and one fsync)
//! per write, the design the benchmark `bench/durable-writes` compares against.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{Sqlite, SqliteConnection, SqlitePool};
use sqlx::{Database, SqlSafeStr};
use sqlx_core::transaction::TransactionManager;
use tokio::sync::{mpsc, oneshot};

use crate::{Result, StoreError};

type Manager = <Sqlite as Database>::TransactionManager;

/// How large one group may grow before it commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupLimits {
    /// Writes in one group at most.
    pub max_jobs: usize,
    /// Time from the group's BEGIN after which no further write joins it.
    pub max_time: Duration,
}

impl Default for GroupLimits {
    fn default() -> Self {
        Self {
            max_jobs: 256,
            max_time: Duration::from_millis(20),
        }
    }
}

/// What the writer has done since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Transactions committed (with grouping off: writes run).
    pub groups: u64,
    /// Writes committed in them.
    pub writes: u64,
    /// The most writes one committed group held.
    pub largest_group: u64,
    /// Groups that could not commit (every write in them was answered with an error).
    pub failed_groups: u64,
    /// Writes queued now, waiting for their turn.
    pub waiting: u64,
}

#[derive(Default)]
struct Counters {
    groups: AtomicU64,
    writes: AtomicU64,
    largest_group: AtomicU64,
    failed_groups: AtomicU64,
    waiting: AtomicU64,
}

impl Counters {
    fn committed(&self, writes: usize) {
        let writes = writes as u64;
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(writes, Ordering::Relaxed);
        self.largest_group.fetch_max(writes, Ordering::Relaxed);
    }
}

/// The handle in [`crate::Store`]; clones share one writer task.
#[derive(Clone)]
pub(crate) struct Writer {
    shared: Arc<Shared>,
}

struct Shared {
    pool: SqlitePool,
    limits: Option<GroupLimits>,
    counters: Arc<Counters>,
    queue: Mutex<Queue>,
}

enum Queue {
    /// The task starts with the first write, inside whatever runtime makes it.
    NotStarted,
    Running(mpsc::UnboundedSender<Message>),
    Closed,
}

enum Message {
    Write(oneshot::Sender<Result<Job>>),
    Drain(oneshot::Sender<()>),
}

fn stopped() -> StoreError {
    StoreError::Uncommitted("the store is closed".into())
}

impl Writer {
    pub(crate) fn new(pool: SqlitePool, limits: Option<GroupLimits>) -> Writer {
        Writer {
            shared: Arc::new(Shared {
                pool,
                limits,
                counters: Arc::default(),
                queue: Mutex::new(Queue::NotStarted),
            }),
        }
    }

    pub(crate) fn stats(&self) -> WriteStats {
        let c = &self.shared.counters;
        WriteStats {
            groups: c.groups.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            largest_group: c.largest_group.load(Ordering::Relaxed),
            failed_groups: c.failed_groups.load(Ordering::Relaxed),
            waiting: c.waiting.load(Ordering::Relaxed),
        }
    }

    fn sender(&self) -> Result<mpsc::UnboundedSender<Message>> {
        let mut queue = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*queue {
            Queue::Running(sender) if !sender.is_closed() => return Ok(sender.clone()),
            Queue::Closed => return Err(stopped()),
            // Not started yet, or its runtime ended (a test's runtime, say): start one here.
            Queue::Running(_) | Queue::NotStarted => {}
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| StoreError::Config("SQLite writes need a Tokio runtime".into()))?;
        let (sender, receiver) = mpsc::unbounded_channel();
        // The task holds the pool and counters but not `Shared`, so it ends (with `recv`
        // returning None) once the last Store clone holding the sender is gone.
        let task = Task {
            pool: self.shared.pool.clone(),
            limits: self.shared.limits,
            counters: self.shared.counters.clone(),
            receiver,
            drained: Vec::new(),
        };
        runtime.spawn(task.run());
        *queue = Queue::Running(sender.clone());
        Ok(sender)
    }

    /// Waits for this write's turn and returns the connection lent for it.
    pub(crate) async fn job(&self) -> Result<Job> {
        let (request, turn) = oneshot::channel();
        let sender = self.sender()?;
        self.shared.counters.waiting.fetch_add(1, Ordering::Relaxed);
        if sender.send(Message::Write(request)).is_err() {
            self.shared.counters.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(stopped());
        }
        turn.await.map_err(|_| stopped())?
    }

    /// Refuses new writes, then waits until every queued one has been committed and answered.
    pub(crate) async fn drain(&self) {
        let sender = {
            let mut queue = self
                .shared
                .queue
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match std::mem::replace(&mut *queue, Queue::Closed) {
                Queue::Running(sender) => Some(sender),
                Queue::NotStarted | Queue::Closed => None,
            }
        };
        if let Some(sender) = sender {
            let (done, finished) = oneshot::channel();
            if sender.send(Message::Drain(done)).is_ok() {
                let _ = finished.await;
            }
        }
    }
}

/// One write's turn: the write connection, lent until [`Job::finish`] or drop.
pub(crate) struct Job {
    lent: Option<Lent>,
}

struct Lent {
    connection: PoolConnection<Sqlite>,
    back: oneshot::Sender<Returned>,
}

struct Returned {
    connection: PoolConnection<Sqlite>,
    kept: bool,
    /// Told the group's outcome once it has committed or failed; None when nobody waits.
    answer: Option<oneshot::Sender<Result<()>>>,
}

impl Job {
    pub(crate) fn connection(&mut self) -> Result<&mut SqliteConnection> {
        match &mut self.lent {
            Some(lent) => Ok(&mut *lent.connection),
            None => Err(StoreError::Uncommitted(
                "the write connection was already given back".into(),
            )),
        }
    }

    /// Gives the connection back, keeping the write's changes or undoing them, and waits
    /// until its group has ended. A kept write gets the group's outcome: `Ok` only once its
    /// COMMIT has returned. An undone write gets `Ok` (its caller reports its own error).
    pub(crate) async fn finish(mut self, kept: bool) -> Result<()> {
        let Some(lent) = self.lent.take() else {
            return Err(StoreError::Uncommitted(
                "the write connection was already given back".into(),
            ));
        };
        let (answer, outcome) = oneshot::channel();
        lent.back
            .send(Returned {
                connection: lent.connection,
                kept,
                answer: Some(answer),
            })
            .map_err(|_| stopped())?;
        let committed = outcome.await.map_err(|_| stopped())?;
        if kept { committed } else { Ok(()) }
    }
}

impl Drop for Job {
    /// An error returned early, a panic or a cancelled request: the write is undone.
    fn drop(&mut self) {
        if let Some(lent) = self.lent.take() {
            let _ = lent.back.send(Returned {
                connection: lent.connection,
                kept: false,
                answer: None,
            });
        }
    }
}

struct Task {
    pool: SqlitePool,
    limits: Option<GroupLimits>,
    counters: Arc<Counters>,
    receiver: mpsc::UnboundedReceiver<Message>,
    drained: Vec<oneshot::Sender<()>>,
}

type Request = oneshot::Sender<Result<Job>>;

/// A write of the open group, back from its caller, waiting for the group's outcome.
struct Ended {
    kept: bool,
    answer: Option<oneshot::Sender<Result<()>>>,
}

impl Task {
    async fn run(mut self) {
        while let Some(message) = self.receiver.recv().await {
            match message {
                Message::Drain(done) => self.close(done),
                Message::Write(first) => {
                    self.counters.waiting.fetch_sub(1, Ordering::Relaxed);
                    match self.limits {
                        Some(limits) => self.group(first, limits).await,
                        None => self.alone(first).await,
                    }
                }
            }
        }
        for done in self.drained.drain(..) {
            let _ = done.send(());
        }
    }

    /// No new writes; those already queued are still received (and run) before `recv` ends.
    fn close(&mut self, done: oneshot::Sender<()>) {
        self.receiver.close();
        self.drained.push(done);
    }

    /// The next write already queued, without waiting for one.
    fn queued(&mut self) -> Option<Request> {
        loop {
            match self.receiver.try_recv() {
                Ok(Message::Write(request)) => {
                    self.counters.waiting.fetch_sub(1, Ordering::Relaxed);
                    return Some(request);
                }
                Ok(Message::Drain(done)) => self.close(done),
                Err(_) => return None,
            }
        }
    }

    async fn connect(&self, first: Request) -> Option<(PoolConnection<Sqlite>, Request)> {
        match self.pool.acquire().await {
            Ok(connection) => Some((connection, first)),
            Err(error) => {
                let _ = first.send(Err(error.into()));
                None
            }
        }
    }

    /// Grouping off: the write runs with no transaction around it and commits on its own.
    async fn alone(&mut self, first: Request) {
        let Some((connection, request)) = self.connect(first).await else {
            return;
        };
        if let Some(returned) = lend(connection, request).await {
            if returned.kept {
                self.counters.committed(1);
            }
            if let Some(answer) = returned.answer {
                let _ = answer.send(Ok(()));
            }
        }
    }

    async fn group(&mut self, first: Request, limits: GroupLimits) {
        let Some((mut connection, first)) = self.connect(first).await else {
            return;
        };
        if let Err(error) = Manager::begin(&mut connection, Some("BEGIN IMMEDIATE".into_sql_str())).await {
            let _ = first.send(Err(error.into()));
            discard(connection).await;
            return;
        }
        let started = Instant::now();
        let mut ended: Vec<Ended> = Vec::new();
        let mut failure: Option<String> = None;
        let mut next = Some(first);
        while let Some(request) = next.take() {
            // This write's savepoint (sqlx's nested transaction, so its depth count stays right).
            if let Err(error) = Manager::begin(&mut connection, None).await {
                failure = Some(format!("cannot open a savepoint: {error}"));
                let _ = request.send(Err(error.into()));
                break;
            }
            let Some(Returned {
                connection: mut back,
                kept,
                answer,
            }) = lend(connection, request).await
            else {
                // Unreachable in practice (a Job always sends its connection back); with the
                // connection gone nothing of this group can commit.
                self.fail(ended, "the write connection was lost");
                return;
            };
            let result = if kept {
                Manager::commit(&mut back).await
            } else {
                Manager::rollback(&mut back).await
            };
            connection = back;
            ended.push(Ended { kept, answer });
            if let Err(error) = result {
                failure = Some(format!("cannot end a write's savepoint: {error}"));
                break;
            }
            if Manager::get_transaction_depth(&connection) != 1 {
                failure = Some("a write left a transaction open".into());
                break;
            }
            if ended.len() >= limits.max_jobs || started.elapsed() >= limits.max_time {
                break;
            }
            next = self.queued();
        }
        let outcome = match failure {
            None => Manager::commit(&mut connection)
                .await
                .map_err(|error| format!("COMMIT failed: {error}")),
            Some(reason) => Err(reason),
        };
        match outcome {
            Ok(()) => {
                drop(connection);
                self.counters.committed(ended.iter().filter(|r| r.kept).count());
                for write in ended {
                    if let Some(answer) = write.answer {
                        let _ = answer.send(Ok(()));
                    }
                }
            }
            Err(reason) => {
                // Closing the connection rolls back whatever is open; its state is not trusted.
                discard(connection).await;
                self.fail(ended, &reason);
            }
        }
    }

    fn fail(&self, ended: Vec<Ended>, reason: &str) {
        tracing::error!(%reason, writes = ended.len(), "a group of SQLite writes was rolled back");
        self.counters.failed_groups.fetch_add(1, Ordering::Relaxed);
        for write in ended {
            if let Some(answer) = write.answer {
                let _ = answer.send(Err(StoreError::Uncommitted(reason.to_owned())));
            }
        }
    }
}

/// Lends the connection to the request's caller and waits for it to come back; None when it
/// cannot come back.
async fn lend(connection: PoolConnection<Sqlite>, request: Request) -> Option<Returned> {
    let (back, returned) = oneshot::channel();
    let job = Job {
        lent: Some(Lent { connection, back }),
    };
    if let Err(unsent) = request.send(Ok(job)) {
        // The caller gave up before its turn came: nothing ran.
        return match unsent {
            Ok(mut job) => job.lent.take().map(|lent| Returned {
                connection: lent.connection,
                kept: false,
                answer: None,
            }),
            Err(_) => None,
        };
    }
    returned.await.ok()
}

async fn discard(connection: PoolConnection<Sqlite>) {
    let _ = connection.close().await;
}
