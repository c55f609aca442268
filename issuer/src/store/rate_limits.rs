//! Rate limits and back-off kept in the database, so that every issuer
//! instance on it counts the same client together (docs/scale.md). Each
//! change is one atomic statement, outside the write lock: counting a
//! request must not queue behind applications.

use super::Store;
use crate::Error;

impl Store {
    /// Counts one request of `key` in the minute starting at
    /// `window_start`; the requests counted in it so far.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn count_request(&self, key: &str, window_start: i64) -> Result<i64, Error> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rate_counts (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counts.hits + 1 \
             RETURNING hits",
        )
        .bind(key)
        .bind(window_start)
        .fetch_one(self.pool())
        .await?)
    }

    /// Until when `key` must wait (Unix seconds), if it has failed before.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn backoff_until(&self, key: &str) -> Result<Option<i64>, Error> {
        Ok(
            sqlx::query_scalar("SELECT not_before FROM backoffs WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Counts a failed try of `key`; `wait(failures)` seconds from `now`
    /// is when it may try again.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn record_backoff_failure(
        &self,
        key: &str,
        now: i64,
        wait: impl Fn(i64) -> i64,
    ) -> Result<(), Error> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO backoffs (key, failures, not_before) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET failures = backoffs.failures + 1 \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        sqlx::query("UPDATE backoffs SET not_before = $1 WHERE key = $2 AND failures = $3")
            .bind(now + wait(failures))
            .bind(key)
            .bind(failures)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets the failures of `key`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn clear_backoff(&self, key: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM backoffs WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets minutes before `window_start` and back-offs over by `idle_before`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn forget_rate_counts(
        &self,
        window_start: i64,
        idle_before: i64,
    ) -> Result<(), Error> {
        sqlx::query("DELETE FROM rate_counts WHERE window_start < $1")
            .bind(window_start)
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM backoffs WHERE not_before < $1")
            .bind(idle_before)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_add_up_per_key_and_minute_and_back_off_grows() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        for expected in 1..=3 {
            assert_eq!(store.count_request("a", 600).await?, expected);
        }
        assert_eq!(store.count_request("b", 600).await?, 1, "another key");
        assert_eq!(store.count_request("a", 660).await?, 1, "the next minute");
        assert_eq!(store.backoff_until("k").await?, None);
        for failures in 1..=3_i64 {
            store.record_backoff_failure("k", 1000, |f| f * 10).await?;
            assert_eq!(store.backoff_until("k").await?, Some(1000 + failures * 10));
        }
        store.clear_backoff("k").await?;
        assert_eq!(store.backoff_until("k").await?, None);
        store.record_backoff_failure("k", 1000, |_| 5).await?;
        store.forget_rate_counts(660, 1010).await?;
        assert_eq!(
            store.count_request("a", 600).await?,
            1,
            "the old minute was forgotten"
        );
        assert_eq!(store.backoff_until("k").await?, None, "the wait was over");
        Ok(())
    }
}
