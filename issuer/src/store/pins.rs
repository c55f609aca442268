//! Activation PINs: stored as keyed hashes, single use, expiring, locked after
//! [`MAX_PIN_FAILURES`] wrong tries.

use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use super::{Store, Tx, to_db};
use crate::Error;

/// Wrong tries before a PIN is locked.
pub const MAX_PIN_FAILURES: i64 = 5;

/// How a PIN reached the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// By SMS: valid 10 minutes.
    Sms,
    /// In the confirmation letter: valid 30 days, as post is slow.
    Letter,
    /// By SMS to a new phone number, confirming it: valid 10 minutes.
    NewPhone,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Letter => "letter",
            Channel::NewPhone => "new_phone",
        }
    }
}

/// What checking a PIN found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    /// Right, and now used up.
    Accepted,
    /// Wrong; this many tries remain.
    Wrong {
        /// Tries left before the lock.
        remaining: i64,
    },
    /// Locked after too many wrong tries: a new PIN is needed.
    Locked,
    /// No live PIN: none sent, expired, or already used.
    Missing,
}

impl Store {
    /// Stores a new PIN for `account_id` on `channel`, replacing any earlier one.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn put_pin(
        &self,
        tx: &mut Tx,
        account_id: &str,
        channel: Channel,
        pin: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO pins (account_id, channel, pin_hash, created_at, expires_at, failures, used_at) \
             VALUES ($1, $2, $3, $4, $5, 0, NULL) \
             ON CONFLICT (account_id, channel) DO UPDATE SET pin_hash = excluded.pin_hash, \
             created_at = excluded.created_at, expires_at = excluded.expires_at, failures = 0, used_at = NULL",
        )
        .bind(account_id)
        .bind(channel.as_str())
        .bind(self.pin_hash(account_id, channel, pin))
        .bind(to_db(now))
        .bind(to_db(expires_at))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    fn pin_hash(&self, account_id: &str, channel: Channel, pin: &str) -> String {
        let owner = format!("{account_id}/{}", channel.as_str());
        self.key().secret_hash("pin", &owner, pin)
    }

    /// Checks `pin`, counting a wrong one; a right one is used up.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn check_pin(
        &self,
        tx: &mut Tx,
        account_id: &str,
        channel: Channel,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<PinCheck, Error> {
        let row: Option<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT pin_hash, expires_at, failures, used_at FROM pins WHERE account_id = $1 AND channel = $2",
        )
        .bind(account_id)
        .bind(channel.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        let Some((stored, expires_at, failures, used_at)) = row else {
            return Ok(PinCheck::Missing);
        };
        if used_at.is_some() || expires_at <= to_db(now) {
            return Ok(PinCheck::Missing);
        }
        if failures >= MAX_PIN_FAILURES {
            return Ok(PinCheck::Locked);
        }
        let given = self.pin_hash(account_id, channel, pin);
        let right: bool = given.as_bytes().ct_eq(stored.as_bytes()).into();
        let update = if right {
            sqlx::query("UPDATE pins SET used_at = $1 WHERE account_id = $2 AND channel = $3")
                .bind(to_db(now))
        } else {
            sqlx::query(
                "UPDATE pins SET failures = failures + 1 WHERE account_id = $1 AND channel = $2",
            )
        };
        update
            .bind(account_id)
            .bind(channel.as_str())
            .execute(&mut **tx)
            .await?;
        Ok(if right {
            PinCheck::Accepted
        } else if failures + 1 >= MAX_PIN_FAILURES {
            PinCheck::Locked
        } else {
            PinCheck::Wrong {
                remaining: MAX_PIN_FAILURES - failures - 1,
            }
        })
    }

    /// Whether the PIN of `account_id` on `channel` was killed by wrong tries.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn pin_is_dead(
        &self,
        tx: &mut Tx,
        account_id: &str,
        channel: Channel,
    ) -> Result<bool, Error> {
        let failures: Option<i64> = sqlx::query_scalar(
            "SELECT failures FROM pins WHERE account_id = $1 AND channel = $2 AND used_at IS NULL",
        )
        .bind(account_id)
        .bind(channel.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        Ok(failures.is_some_and(|f| f >= MAX_PIN_FAILURES))
    }
}
