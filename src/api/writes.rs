//! Group commit: calls that may write run one after another on a single
//! writer thread, and the calls that queued up while the previous group was
//! committing run as the next group, committed together.
//!
//! One commit (and one fsync) then serves many writes, and the writers no
//! longer contend for the store's write lock. Nothing is answered before its
//! group's commit: a call's answer, even an error, is sent only once the
//! writes of every call before it in the group are durable, and a failed
//! commit fails every call of the group. Other readers see a group's writes
//! only once it has committed.

use super::generated::dispatch::dispatch;
use super::http::Backend;
use super::{ApiError, Operation, RequestContext};
use axum::body::Bytes;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Calls waiting for the writer at most; more wait to be queued.
const QUEUE: usize = 4096;
/// Calls in one group at most.
const MAX_GROUP: usize = 256;

/// A call's answer, with the number of the last commit it may reflect (its
/// group's): it may be sent once that commit is durable.
pub struct Answer {
    pub result: Result<Bytes, ApiError>,
    pub through: u64,
}

/// A call waiting for the writer thread.
struct Job {
    cx: RequestContext,
    op: Operation,
    input: serde_json::Value,
    reply: oneshot::Sender<Answer>,
}

/// The queue in front of the writer thread.
pub struct WriteQueue {
    jobs: mpsc::Sender<Job>,
}

/// Whether a call may change the stored state, as the operation table says
/// (codegen/operations.toml; a read's lifecycle catch-up writes on its own).
pub fn writes(op: Operation) -> bool {
    !op.reads()
}

impl WriteQueue {
    /// Starts the writer thread for `backend`; `None` when its store cannot
    /// group writes (each call then commits on its own, as before).
    pub fn start(backend: Arc<dyn Backend>) -> Option<Self> {
        if !backend.groups_writes() {
            return None;
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("dxemu-writer".into())
            .spawn(move || writer(backend, rx));
        match spawned {
            Ok(_) => Some(Self { jobs: tx }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the writer thread; writes commit one by one");
                None
            }
        }
    }

    /// Runs a call on the writer thread; answers once its group has committed.
    pub async fn run(
        &self,
        cx: RequestContext,
        op: Operation,
        input: serde_json::Value,
    ) -> Result<Answer, ApiError> {
        let (reply, answer) = oneshot::channel();
        let gone = || {
            tracing::error!(operation = op.name(), "the writer thread is gone");
            ApiError::server("An internal error occurred")
        };
        self.jobs
            .send(Job {
                cx,
                op,
                input,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
    }
}

/// The writer thread: takes every queued call, runs them as one group, then
/// answers them; ends when the queue is dropped.
fn writer(backend: Arc<dyn Backend>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        // Before the group closes, the writer gives way once: a request an
        // HTTP thread is parsing on this processor can still join it, and
        // bigger groups spread each commit and fsync over more calls
        // (measured: about a tenth more creates a second on two cores).
        let mut yielded = false;
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) if !yielded => {
                    yielded = true;
                    std::thread::yield_now();
                }
                Err(_) => break,
            }
        }
        let mut answers = Vec::with_capacity(jobs.len());
        let mut pending = Some(jobs);
        let committed = backend.group(&mut || {
            for job in pending.take().into_iter().flatten() {
                let Job {
                    cx,
                    op,
                    input,
                    reply,
                } = job;
                answers.push((reply, run_one(backend.as_ref(), &cx, op, input)));
            }
        });
        // Nothing else commits while the group holds the store, so this is
        // the group's own commit (or, if another came in since, a later one:
        // waiting for it is merely longer).
        let through = backend.horizon();
        match committed {
            Ok(()) => {
                // Answers go out from the fsync thread once the group is on
                // disk: each caller wakes once, to a durable answer.
                backend.after_durable(
                    through,
                    Box::new(move |durable| {
                        for (reply, result) in answers {
                            let result = if durable {
                                result
                            } else {
                                Err(ApiError::server(
                                    "Internal error: the change could not be written to disk",
                                ))
                            };
                            // The caller may have given up (timeout); nothing to do.
                            let _ = reply.send(Answer { result, through });
                        }
                    }),
                );
                // Deferred housekeeping, while they wait for their fsync.
                backend.maintain();
            }
            Err(e) => {
                // The group did not commit, or did not start (then no call
                // of it ran): either way none of its writes happened.
                let replies: Vec<_> = answers
                    .into_iter()
                    .map(|(reply, _)| reply)
                    .chain(pending.into_iter().flatten().map(|job| job.reply))
                    .collect();
                tracing::error!(error = %e, calls = replies.len(), "a group of writes failed to commit");
                for reply in replies {
                    let _ = reply.send(Answer {
                        result: Err(ApiError::server(
                            "Internal error while storing the change; nothing was changed",
                        )),
                        through,
                    });
                }
            }
        }
    }
}

/// Runs one call; a panic in it is answered as an internal error.
fn run_one(
    backend: &dyn Backend,
    cx: &RequestContext,
    op: Operation,
    input: serde_json::Value,
) -> Result<Bytes, ApiError> {
    let call = AssertUnwindSafe(|| {
        backend.prepare(cx)?;
        dispatch(backend, cx, op, input).map(Bytes::from)
    });
    std::panic::catch_unwind(call).unwrap_or_else(|_| {
        tracing::error!(operation = op.name(), "operation panicked");
        Err(ApiError::server("An internal error occurred"))
    })
}
