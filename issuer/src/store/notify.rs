//! Waking the workers of every instance when work is written, on
//! PostgreSQL: the transaction that queues work also sends a `NOTIFY` on
//! [`CHANNEL`], which the server delivers to every listening instance only
//! if that transaction commits, so a worker never wakes for work it cannot
//! yet see.
//!
//! Workers still poll: a notification missed while a listener reconnects
//! delays the work by one poll and loses nothing. SQLite has no such
//! channel; its other writers (the CLI) are found by the poll.

use sqlx::postgres::PgListener;

use super::{Database, Engine, Store, Tx};
use crate::Error;

/// The channel every instance listens on.
pub const CHANNEL: &str = "healthcode_work";

healthcode_keys::named_enum! {
    /// The kind of work a committed transaction left for the workers; its
    /// name is the notification's payload.
    pub enum Work("kind of work") {
        /// Re-evaluations were queued (feed records stored).
        Reevaluate = "reevaluate",
        /// Revocations were recorded: deliver them to Redis.
        Deliver = "deliver",
        /// SMS messages were queued.
        Sms = "sms",
    }
}

/// A connection listening on [`CHANNEL`].
#[derive(Debug)]
pub struct WorkListener(PgListener);

/// What a listener heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Work of this kind was committed.
    Work(Work),
    /// A notification this version does not know.
    Unknown,
    /// The connection was lost and remade: notifications sent meanwhile
    /// are gone, so every worker should look for work.
    Reconnected,
}

impl WorkListener {
    /// Waits for the next notification.
    ///
    /// # Errors
    /// [`Error::Db`] when the server cannot be reached again.
    pub async fn next(&mut self) -> Result<Heard, Error> {
        Ok(match self.0.try_recv().await? {
            Some(notification) => {
                Work::from_name(notification.payload()).map_or(Heard::Unknown, Heard::Work)
            }
            None => Heard::Reconnected,
        })
    }
}

impl Store {
    /// Tells every listening instance, when `tx` commits, that it left
    /// `work`. Nothing on SQLite.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn announce(&self, tx: &mut Tx, work: Work) -> Result<(), Error> {
        if self.engine() == Engine::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(work.as_str())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// A connection listening for work any instance commits; `None` on
    /// SQLite.
    ///
    /// # Errors
    /// [`Error::Db`] when the server cannot be reached.
    pub async fn listen(&self) -> Result<Option<WorkListener>, Error> {
        let Database::Postgres(url) = self.database() else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(WorkListener(listener)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn payloads_round_trip_and_strangers_are_not_work() {
        for work in Work::ALL {
            assert_eq!(Work::from_name(work.as_str()), Some(*work));
        }
        assert_eq!(Work::from_name(""), None);
        assert_eq!(Work::from_name("Deliver"), None);
    }

    /// The next thing heard within `wait`, if any.
    async fn heard_within(listener: &mut WorkListener, wait: Duration) -> Option<Heard> {
        tokio::time::timeout(wait, listener.next())
            .await
            .ok()
            .and_then(Result::ok)
    }

    #[tokio::test]
    async fn work_is_heard_when_its_transaction_commits_and_not_before() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        let Some(mut listener) = store.listen().await? else {
            assert_eq!(store.engine(), crate::store::Engine::Sqlite);
            return Ok(());
        };
        let mut rolled_back = store.write().await?;
        store.announce(&mut rolled_back, Work::Sms).await?;
        rolled_back.rollback().await?;
        let mut tx = store.write().await?;
        store.announce(&mut tx, Work::Reevaluate).await?;
        assert_eq!(
            heard_within(&mut listener, Duration::from_millis(300)).await,
            None,
            "heard before commit"
        );
        tx.commit().await?;
        assert_eq!(
            heard_within(&mut listener, Duration::from_secs(10)).await,
            Some(Heard::Work(Work::Reevaluate)),
            "the rolled-back Sms is never heard; the committed work is"
        );
        Ok(())
    }

    #[tokio::test]
    async fn recording_a_revocation_wakes_delivery_and_recording_none_does_not() -> Result<(), Error>
    {
        use healthcode_keys::{
            TokenId,
            revocation::{Revocation, RevocationReason},
        };
        let (_place, store) = Store::open_temporary().await?;
        let Some(mut listener) = store.listen().await? else {
            return Ok(());
        };
        let now = time::OffsetDateTime::now_utc();
        let revocation = Revocation {
            token_id: store.with_rng(TokenId::generate),
            reason: RevocationReason::Fraud,
            revoked_at: now,
            until: now + time::Duration::hours(1),
        };
        let by = crate::model::Actor::System;
        let mut tx = store.write().await?;
        store.record_revocations(&mut tx, &[], &by).await?;
        tx.commit().await?;
        assert_eq!(
            heard_within(&mut listener, Duration::from_millis(300)).await,
            None
        );
        let mut tx = store.write().await?;
        store
            .record_revocations(&mut tx, &[revocation], &by)
            .await?;
        tx.commit().await?;
        assert_eq!(
            heard_within(&mut listener, Duration::from_secs(10)).await,
            Some(Heard::Work(Work::Deliver))
        );
        Ok(())
    }
}
