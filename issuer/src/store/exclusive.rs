//! Work that one process at a time may do, whichever instance it runs in:
//! delivering revocations (in order of decision), running re-evaluations
//! (one runner per batch).
//!
//! On PostgreSQL the holder keeps a session-level advisory lock on a
//! connection of its own, taken out of the pool; dropping the holder closes
//! that connection, and the server frees the lock, so a crashed instance
//! frees it too. On SQLite one process serves, and its workers are one of
//! each kind, so the holder is empty.
//!
//! A worker keeps its right across rounds rather than taking it for each:
//! every right let go closes a connection, and the pool then opens a new
//! one (a server process started, its statements prepared again), which
//! at a round every 250 ms cost PostgreSQL four new sessions a second. A
//! right kept is checked before each round ([`Exclusive::still_held`]): if
//! its connection died, the server freed the lock and another instance may
//! hold it now.

use sqlx::{Acquire as _, AnyConnection, Connection as _, pool::PoolConnection};

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
    holder: Option<AnyConnection>,
}

impl Exclusive {
    /// Whether the right is still held: its connection still answers (a
    /// session that ended freed its lock). Once this says no, the right is
    /// gone for good; drop it and ask again with [`Store::exclusive`].
    pub async fn still_held(&mut self) -> bool {
        match &mut self.holder {
            None => true,
            Some(conn) => conn.ping().await.is_ok(),
        }
    }
}

impl Store {
    /// Takes the right to do `job` if no other process holds it.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn exclusive(&self, job: Job) -> Result<Option<Exclusive>, Error> {
        if self.engine() == Engine::Sqlite {
            return Ok(Some(Exclusive { holder: None }));
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
            holder: Some(conn.detach()),
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

    #[tokio::test]
    async fn a_right_kept_is_known_lost_once_its_connection_ends() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        let mut right = store
            .exclusive(Job::Reevaluation)
            .await?
            .ok_or(Error::NotFound { what: "right" })?;
        assert!(right.still_held().await, "held across rounds");
        assert!(right.still_held().await, "and asking again changes nothing");
        if store.engine() == Engine::Sqlite {
            return Ok(());
        }
        // As a server restart or a dropped link would: the holder's session ends.
        let ended: i64 = sqlx::query_scalar(
            "SELECT COUNT(pg_terminate_backend(l.pid)) FROM pg_locks l \
             JOIN pg_database d ON d.oid = l.database AND d.datname = current_database() \
             WHERE l.locktype = 'advisory' AND l.granted \
             AND l.classid::bigint = $1 AND l.objid::bigint = $2",
        )
        .bind(Job::Reevaluation.key() >> 32)
        .bind(Job::Reevaluation.key() & 0xFFFF_FFFF)
        .fetch_one(store.pool())
        .await?;
        assert_eq!(ended, 1, "the holder's session was found by its lock");
        let mut freed = false;
        for _ in 0..100 {
            if store.exclusive(Job::Reevaluation).await?.is_some() {
                freed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(freed, "the server freed the lock with the session");
        assert!(
            !right.still_held().await,
            "so the old right says it is gone"
        );
        Ok(())
    }
}
