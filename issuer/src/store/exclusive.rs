//! Work that one process at a time may do, whichever instance it runs in:
//! delivering revocations (in order of decision), running re-evaluations
//! (one runner per batch).
//!
//! On PostgreSQL the holder keeps a session-level advisory lock on a
//! connection of its own, taken out of the pool; dropping the holder closes
//! that connection, and the server frees the lock, so a crashed instance
//! frees it too. On SQLite one process serves, and its workers are one of
//! each kind, so the holder is empty.

use sqlx::{Acquire as _, AnyConnection, pool::PoolConnection};

use super::{Engine, Store, engine::Flag};
use crate::Error;

/// A kind of work done by one process at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Delivering revocations to Redis.
    Delivery,
    /// Running due re-evaluations.
    Reevaluation,
}

impl Job {
    /// The advisory lock's key: "HKHC" and the job.
    fn key(self) -> i64 {
        let job = match self {
            Job::Delivery => 1,
            Job::Reevaluation => 2,
        };
        (0x484B_4843_i64 << 8) | job
    }
}

/// The right to do a [`Job`], held until dropped.
#[derive(Debug)]
pub struct Exclusive {
    _holder: Option<AnyConnection>,
}

impl Store {
    /// Takes the right to do `job` if no other process holds it.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn exclusive(&self, job: Job) -> Result<Option<Exclusive>, Error> {
        if self.engine() == Engine::Sqlite {
            return Ok(Some(Exclusive { _holder: None }));
        }
        let mut conn: PoolConnection<sqlx::Any> = self.pool.acquire().await?;
        let Flag(taken) = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(job.key())
            .fetch_one(conn.acquire().await?)
            .await?;
        if !taken {
            return Ok(None);
        }
        Ok(Some(Exclusive {
            _holder: Some(conn.detach()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_and_the_next_after_it_lets_go() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        let first = store.exclusive(Job::Delivery).await?;
        assert!(first.is_some());
        let other_job = store.exclusive(Job::Reevaluation).await?;
        assert!(other_job.is_some(), "jobs do not block one another");
        if store.engine() == Engine::Postgres {
            assert!(store.exclusive(Job::Delivery).await?.is_none(), "held");
        }
        drop(first);
        // The server frees the lock when it sees the connection close.
        let mut again = None;
        for _ in 0..100 {
            again = store.exclusive(Job::Delivery).await?;
            if again.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(again.is_some(), "free once the holder let go");
        Ok(())
    }
}
