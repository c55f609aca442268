//! Resident sessions: a random token given once, stored only as a keyed hash.
//! A session lasts [`SESSION_LIFETIME`] from its start or its last
//! extension (as the real service's form allowed 45 minutes), and never
//! beyond [`MAX_SESSION_AGE`] from the sign-in, so a stolen cookie cannot be
//! kept alive for ever.

use healthcode_keys::b64;
use rand::RngCore as _;
use time::{Duration, OffsetDateTime};

use super::{Store, from_db, to_db};
use crate::Error;

/// How long a session lasts from its start or its last extension.
pub const SESSION_LIFETIME: Duration = Duration::minutes(45);

/// No extension reaches past this long after the sign-in.
pub const MAX_SESSION_AGE: Duration = Duration::hours(12);

/// A live session: whose, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    /// The account.
    pub account_id: String,
    /// When it ends unless extended.
    pub expires_at: OffsetDateTime,
}

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

    /// The account of a live session, and when the session ends.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn session_account(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<LiveSession>, Error> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT s.account_id, s.expires_at FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.status = 'active'",
        )
        .bind(self.key().secret_hash("session", "", token))
        .bind(to_db(now))
        .fetch_optional(self.pool())
        .await?;
        row.map(|(account_id, expires_at)| {
            Ok(LiveSession {
                account_id,
                expires_at: from_db(expires_at)?,
            })
        })
        .transpose()
    }

    /// Extends a live session to [`SESSION_LIFETIME`] from `now`, but not
    /// past [`MAX_SESSION_AGE`] from its start; the new end, or `None` when
    /// the session has already ended.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn extend_session(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, Error> {
        let token_hash = self.key().secret_hash("session", "", token);
        let mut tx = self.write().await?;
        let created: Option<i64> = sqlx::query_scalar(
            "SELECT created_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(&token_hash)
        .bind(to_db(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(created) = created else {
            return Ok(None);
        };
        let expires_at = (now + SESSION_LIFETIME).min(from_db(created)? + MAX_SESSION_AGE);
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
            .bind(to_db(expires_at))
            .bind(&token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(expires_at))
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

    /// Ends every session of `account_id` but the one presented (after a
    /// password change, whoever else was signed in is out).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn end_other_sessions(
        &self,
        tx: &mut super::Tx,
        account_id: &str,
        kept_token: &str,
    ) -> Result<u64, Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
            .bind(account_id)
            .bind(self.key().secret_hash("session", "", kept_token))
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::store::test_support::active_resident;

    const NOW: OffsetDateTime = datetime!(2026-11-30 10:00 UTC);

    #[tokio::test]
    async fn an_extension_gives_45_minutes_from_now_but_never_past_12_hours() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let account = active_resident(&store, "HKID:A123456(3)", "bldg-1", NOW).await?;
        let (token, ends) = store.create_session(&account.id, NOW).await?;
        assert_eq!(ends, NOW + SESSION_LIFETIME);
        let live = store.session_account(&token, NOW).await?;
        assert_eq!(live.map(|l| l.expires_at), Some(ends));

        let later = NOW + Duration::minutes(40);
        assert_eq!(
            store.extend_session(&token, later).await?,
            Some(later + SESSION_LIFETIME)
        );
        let near_the_cap = NOW + MAX_SESSION_AGE - Duration::minutes(10);
        // Kept alive by extensions until near the cap, it stops at the cap.
        let mut at = later;
        while at + Duration::minutes(40) < near_the_cap {
            at += Duration::minutes(40);
            store.extend_session(&token, at).await?;
        }
        assert_eq!(
            store.extend_session(&token, near_the_cap).await?,
            Some(NOW + MAX_SESSION_AGE)
        );
        assert_eq!(
            store.session_account(&token, NOW + MAX_SESSION_AGE).await?,
            None
        );
        assert_eq!(
            store.extend_session(&token, NOW + MAX_SESSION_AGE).await?,
            None
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_ended_session_is_not_brought_back() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let account = active_resident(&store, "HKID:A123456(3)", "bldg-1", NOW).await?;
        let (token, _) = store.create_session(&account.id, NOW).await?;
        let (other, _) = store.create_session(&account.id, NOW).await?;
        let mut tx = store.write().await?;
        assert_eq!(
            store
                .end_other_sessions(&mut tx, &account.id, &token)
                .await?,
            1
        );
        tx.commit().await?;
        assert_eq!(store.extend_session(&other, NOW).await?, None);
        assert!(store.session_account(&token, NOW).await?.is_some());
        store.end_session(&token).await?;
        assert_eq!(store.extend_session(&token, NOW).await?, None);
        Ok(())
    }
}
