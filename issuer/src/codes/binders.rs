//! The threads that make identity bindings: one per core, each at a lower
//! scheduling priority than the threads that serve requests.
//!
//! A binding is 8.5 ms of Argon2id, made before any lock is taken. On
//! threads of the same priority, an application that holds a lock (its
//! account's row, the audit chain's head, the write lock's share) waits
//! behind the bindings of others at each of its round trips, so locks are
//! held several times longer than their work (docs/benchmarks.md, *Several
//! issuer instances*). Lowered, the bindings take only the CPU that the
//! rest leaves, and there is no less of it: every core still binds whenever
//! nothing else is ready to run.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Mutex, mpsc},
    thread,
};

use tokio::sync::oneshot;

use crate::Error;

/// How much lower than the rest the binders run: `nice` 10 above the
/// process's, about a tenth of the CPU share of a thread at the process's
/// own priority when both are ready to run.
pub const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of low-priority threads, fed in order of arrival.
#[derive(Debug)]
pub struct Binders {
    jobs: mpsc::Sender<Job>,
    /// Whether the pool's threads run [`NICENESS`] lower (lowering may be
    /// refused, for example in a sandbox; the binders then run as the rest).
    lowered: bool,
}

impl Binders {
    /// Starts `threads` binder threads (at least one).
    ///
    /// # Errors
    /// [`Error::Thread`] when the system refuses a thread.
    pub fn start(threads: usize) -> Result<Self, Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let (lowered_tx, lowered_rx) = mpsc::channel();
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let lowered = lowered_tx.clone();
            thread::Builder::new()
                .name(format!("binder-{n}"))
                .spawn(move || {
                    let _ = lowered.send(lower_own_priority());
                    drop(lowered);
                    work(&queue);
                })
                .map_err(|source| Error::Thread {
                    what: "binder",
                    source,
                })?;
        }
        drop(lowered_tx);
        let lowered = lowered_rx.iter().all(|ok| ok);
        if !lowered {
            tracing::warn!("binder threads run at normal priority: lowering it was refused");
        }
        Ok(Binders { jobs, lowered })
    }

    /// One thread per core.
    ///
    /// # Errors
    /// As [`Binders::start`].
    pub fn per_core() -> Result<Self, Error> {
        Self::start(thread::available_parallelism().map_or(1, |cores| cores.get()))
    }

    /// Whether the threads run below normal priority.
    pub fn lowered(&self) -> bool {
        self.lowered
    }

    /// Runs `job` on a binder thread once one is free; its result.
    ///
    /// # Errors
    /// [`Error::TaskFailed`] if the job panicked or the pool is gone.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // The caller may have gone (a request cancelled): nothing to tell.
                let _ = reply.send(job());
            }))
            .map_err(|_| Error::TaskFailed)?;
        answer.await.map_err(|_| Error::TaskFailed)
    }
}

/// Runs jobs until the pool is dropped. A job that panics loses its answer
/// (its caller gets [`Error::TaskFailed`]), not the thread.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The guard is dropped at the end of this statement, so the other
        // threads take jobs while this one runs its own.
        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match job {
            Ok(job) => {
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

/// The lowest priority there is (the highest nice value).
const LOWEST: i32 = 19;

/// Lowers the calling thread's priority by [`NICENESS`]; whether it could.
/// On Linux the nice value belongs to the thread, not the process.
fn lower_own_priority() -> bool {
    let me = rustix::thread::gettid();
    rustix::process::getpriority_process(Some(me))
        .and_then(|nice| {
            rustix::process::setpriority_process(Some(me), (nice + NICENESS).min(LOWEST))
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nice_of_this_thread() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap_or(i32::MIN)
    }

    #[tokio::test]
    async fn jobs_run_on_lowered_threads_and_the_caller_keeps_its_priority() -> Result<(), Error> {
        let before = nice_of_this_thread();
        let binders = Binders::start(2)?;
        assert!(
            binders.lowered(),
            "an unprivileged thread may always lower itself"
        );
        let (nice, name) = binders
            .run(|| {
                (
                    nice_of_this_thread(),
                    thread::current().name().map(str::to_owned),
                )
            })
            .await?;
        assert_eq!(nice, (before + NICENESS).min(LOWEST));
        assert!(name.is_some_and(|n| n.starts_with("binder-")));
        assert_eq!(nice_of_this_thread(), before);
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_pool_goes_on() -> Result<(), Error> {
        let binders = Binders::start(1)?;
        #[allow(clippy::panic)]
        let failed = binders.run(|| -> u32 { panic!("test-only panic") }).await;
        assert!(matches!(failed, Err(Error::TaskFailed)));
        assert_eq!(binders.run(|| 7).await?, 7);
        Ok(())
    }

    #[tokio::test]
    async fn every_job_of_many_callers_is_answered_with_its_own_result() -> Result<(), Error> {
        let binders = Arc::new(Binders::start(3)?);
        let mut tasks = Vec::new();
        for n in 0..64u64 {
            let binders = Arc::clone(&binders);
            tasks.push(tokio::spawn(
                async move { binders.run(move || n * n).await },
            ));
        }
        for (n, task) in tasks.into_iter().enumerate() {
            let n = n as u64;
            assert_eq!(task.await.map_err(|_| Error::TaskFailed)??, n * n);
        }
        Ok(())
    }
}
