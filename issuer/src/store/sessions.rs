//! Resident sessions: a random token given once, stored only as a keyed hash.

use healthcode_keys::b64;
use rand::RngCore as _;
use time::{Duration, OffsetDateTime};

use super::{Store, to_db};
use crate::Error;

/// How long a login lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

impl Store {
    /// Starts a session for `account_id`; returns the token and its expiry.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn create_session(
        &self,
        account_id: &str,
        now: OffsetDateTime,
    ) -> Result<(String, OffsetDateTime), Error> {
        let mut bytes = [0u8; 32];
        self.with_rng(|rng| rng.fill_bytes(&mut bytes));
        let token = b64::encode(&bytes);
        let expires_at = now + SESSION_LIFETIME;
        let mut tx = self.write().await?;
        // Expired sessions go as new ones come, so the table stays small.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_db(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(self.key().secret_hash("session", "", &token))
        .bind(account_id)
        .bind(to_db(now))
        .bind(to_db(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((token, expires_at))
    }

    /// The account of a live session.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn session_account(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar(
            "SELECT s.account_id FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.status = 'active'",
        )
        .bind(self.key().secret_hash("session", "", token))
        .bind(to_db(now))
        .fetch_optional(self.pool())
        .await?)
    }

    /// Ends a session.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn end_session(&self, token: &str) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(self.key().secret_hash("session", "", token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
