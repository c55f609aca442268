//! What leaves the system for applicants: the SMS outbox and the letters to print.

use serde::Serialize;
use time::OffsetDateTime;

use super::{Engine, Store, Tx, engine::Flag, from_db, notify::Work, to_db};
use crate::Error;

/// One SMS, decrypted, as operators see the outbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sms {
    /// The message id.
    pub id: String,
    /// The account it concerns.
    pub account_id: Option<String>,
    /// `pin` or `notice`.
    pub purpose: String,
    /// E.164.
    pub phone: String,
    /// The text.
    pub body: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was queued (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

type SmsRow = (
    String,
    Option<String>,
    String,
    Vec<u8>,
    Vec<u8>,
    String,
    i64,
    i64,
);

const SMS_COLUMNS: &str =
    "id, account_id, purpose, phone_enc, body_enc, status, attempts, created_at";

/// A letter waiting to be printed.
#[derive(Debug, Clone)]
pub struct PendingLetter {
    /// The letter id.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// `activation` or `post_office`.
    pub kind: String,
}

impl Store {
    /// Queues an SMS (sealed: the phone number and the PIN inside are personal).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn queue_sms(
        &self,
        tx: &mut Tx,
        account_id: &str,
        purpose: &str,
        phone: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let id = self.new_id();
        let key = self.key();
        sqlx::query(
            "INSERT INTO sms_outbox (id, account_id, purpose, phone_enc, body_enc, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(purpose)
        .bind(key.seal("sms_outbox.phone", &id, phone.as_bytes()))
        .bind(key.seal("sms_outbox.body", &id, body.as_bytes()))
        .bind(to_db(now))
        .execute(&mut **tx)
        .await?;
        self.announce(tx, Work::Sms).await
    }

    /// How many `purpose` messages went to `account_id` since `since`, and when the last did.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn sms_sent_since(
        &self,
        tx: &mut Tx,
        account_id: &str,
        purpose: &str,
        since: OffsetDateTime,
    ) -> Result<(i64, Option<OffsetDateTime>), Error> {
        let (count, last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(created_at) FROM sms_outbox \
             WHERE account_id = $1 AND purpose = $2 AND created_at > $3",
        )
        .bind(account_id)
        .bind(purpose)
        .bind(to_db(since))
        .fetch_one(&mut **tx)
        .await?;
        Ok((count, last.map(from_db).transpose()?))
    }

    /// The outbox, newest first, as operators see it.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`].
    pub async fn outbox(&self, limit: i64) -> Result<Vec<Sms>, Error> {
        let rows: Vec<SmsRow> = sqlx::query_as(&format!(
            "SELECT {SMS_COLUMNS} FROM sms_outbox ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(|row| self.open_sms(row)).collect()
    }

    /// Claims up to `limit` queued messages due for a delivery attempt,
    /// oldest first, for `lease`: until then no other sender (another
    /// instance) takes them, and if this one dies they are due again after.
    /// On PostgreSQL senders claim side by side (`FOR UPDATE SKIP LOCKED`),
    /// each taking rows no other holds; SQLite has one writer anyway.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`].
    pub async fn claim_due_sms(
        &self,
        now: OffsetDateTime,
        limit: i64,
        lease: time::Duration,
    ) -> Result<Vec<Sms>, Error> {
        let skip_locked = match self.engine() {
            Engine::Postgres => "FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let sql = format!(
            "UPDATE sms_outbox SET next_attempt_at = $1 WHERE id IN \
             (SELECT id FROM sms_outbox WHERE status = 'queued' AND next_attempt_at <= $2 \
              ORDER BY created_at, id LIMIT $3 {skip_locked}) \
             RETURNING {SMS_COLUMNS}"
        );
        let mut tx = match self.engine() {
            Engine::Postgres => self.pool().begin().await?,
            Engine::Sqlite => self.write().await?,
        };
        let mut rows: Vec<SmsRow> = sqlx::query_as(&sql)
            .bind(to_db(now + lease))
            .bind(to_db(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.sort_by(|a, b| (a.7, &a.0).cmp(&(b.7, &b.0)));
        rows.into_iter().map(|row| self.open_sms(row)).collect()
    }

    fn open_sms(&self, row: SmsRow) -> Result<Sms, Error> {
        let (id, account_id, purpose, phone, body, status, attempts, created_at) = row;
        let key = self.key();
        Ok(Sms {
            phone: key.open_text("sms_outbox.phone", &id, &phone)?,
            body: key.open_text("sms_outbox.body", &id, &body)?,
            id,
            account_id,
            purpose,
            status,
            attempts,
            created_at: from_db(created_at)?,
        })
    }

    /// Records a delivery attempt: `sent` (no `error`), or still `queued`
    /// with the gateway's error and a later next try (doubling, at most 5
    /// minutes), or `failed` after `max_attempts`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn record_sms_attempt(
        &self,
        sms: &Sms,
        error: Option<&str>,
        max_attempts: i64,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let id = &sms.id;
        let backoff = (1_i64 << sms.attempts.clamp(0, 9)).min(300);
        let mut tx = self.write().await?;
        match error {
            None => sqlx::query(
                "UPDATE sms_outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1, \
                 last_error = NULL WHERE id = $2",
            )
            .bind(to_db(now))
            .bind(id),
            Some(error) => sqlx::query(
                "UPDATE sms_outbox SET attempts = attempts + 1, last_error = $1, \
                 next_attempt_at = $2, \
                 status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'queued' END WHERE id = $4",
            )
            .bind(error)
            .bind(to_db(now) + backoff)
            .bind(max_attempts)
            .bind(id),
        }
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a letter of `kind` for `account_id`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn queue_letter(
        &self,
        tx: &mut Tx,
        account_id: &str,
        kind: &str,
        priority: i64,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO letters (id, account_id, kind, priority, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(self.new_id())
        .bind(account_id)
        .bind(kind)
        .bind(priority)
        .bind(to_db(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// When the newest letter to `account_id` was queued, if any.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn last_letter_at(
        &self,
        tx: &mut Tx,
        account_id: &str,
    ) -> Result<Option<OffsetDateTime>, Error> {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(created_at) FROM letters WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(&mut **tx)
                .await?;
        last.map(from_db).transpose()
    }

    /// Whether a letter to `account_id` waits to be exported.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn letter_waiting(&self, tx: &mut Tx, account_id: &str) -> Result<bool, Error> {
        let Flag(waiting) = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM letters WHERE account_id = $1 AND exported_at IS NULL)",
        )
        .bind(account_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(waiting)
    }

    /// Letters not yet exported, in priority order then oldest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn pending_letters(&self) -> Result<Vec<PendingLetter>, Error> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, account_id, kind FROM letters WHERE exported_at IS NULL \
             ORDER BY priority, created_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, account_id, kind)| PendingLetter {
                id,
                account_id,
                kind,
            })
            .collect())
    }

    /// Marks a letter exported.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn mark_letter_exported(
        &self,
        tx: &mut Tx,
        letter_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE letters SET exported_at = $1 WHERE id = $2")
            .bind(to_db(now))
            .bind(letter_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
