//! The second step of a resident's sign-in: a one-time code sent by SMS,
//! bound to a challenge token held by the browser or app that gave the
//! right password. Both are stored as keyed hashes; a code works once, for
//! [`SIGN_IN_CODE_LIFETIME`], and dies after [`MAX_CODE_FAILURES`] wrong tries.

use healthcode_keys::b64;
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};

use super::{Store, Tx, to_db};
use crate::Error;

/// How long a sign-in code lives.
pub const SIGN_IN_CODE_LIFETIME: Duration = Duration::minutes(5);

/// Wrong codes before the challenge dies (a new sign-in sends a new code).
pub const MAX_CODE_FAILURES: i64 = 5;

/// What checking a sign-in code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right: the challenge is used up; the account signs in.
    Accepted {
        /// The account.
        account_id: String,
    },
    /// Wrong; this many tries remain.
    Wrong {
        /// Tries left.
        remaining: i64,
    },
    /// Expired, used, tried too often, or never issued.
    Spent,
}

impl Store {
    /// A new challenge for `account_id` whose code is `code`, in the
    /// caller's transaction (with the SMS that carries it); the token.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn start_sign_in_code(
        &self,
        tx: &mut Tx,
        account_id: &str,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        let mut bytes = [0u8; 32];
        self.with_rng(|rng| rng.fill_bytes(&mut bytes));
        let token = b64::encode(&bytes);
        // One live challenge per account, and expired ones go as new come.
        sqlx::query("DELETE FROM sign_in_codes WHERE account_id = $1 OR expires_at <= $2")
            .bind(account_id)
            .bind(to_db(now))
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO sign_in_codes (token_hash, account_id, code_hash, failures, created_at, expires_at) \
             VALUES ($1, $2, $3, 0, $4, $5)",
        )
        .bind(self.challenge_hash(&token))
        .bind(account_id)
        .bind(self.code_hash(&token, code))
        .bind(to_db(now))
        .bind(to_db(now + SIGN_IN_CODE_LIFETIME))
        .execute(&mut **tx)
        .await?;
        Ok(token)
    }

    fn challenge_hash(&self, token: &str) -> String {
        self.key().secret_hash("sign_in_challenge", "", token)
    }

    fn code_hash(&self, token: &str, code: &str) -> String {
        self.key().secret_hash("sign_in_code", token, code)
    }

    /// The account a live challenge is for (to say where the code went).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn sign_in_code_account(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar(
            "SELECT account_id FROM sign_in_codes WHERE token_hash = $1 AND expires_at > $2 AND failures < $3",
        )
        .bind(self.challenge_hash(token))
        .bind(to_db(now))
        .bind(MAX_CODE_FAILURES)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Checks `code` against challenge `token`, counting a wrong one; a right
    /// one ends the challenge.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn check_sign_in_code(
        &self,
        tx: &mut Tx,
        token: &str,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<CodeCheck, Error> {
        let token_hash = self.challenge_hash(token);
        let row: Option<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT account_id, code_hash, failures, expires_at FROM sign_in_codes WHERE token_hash = $1",
        )
        .bind(&token_hash)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((account_id, stored, failures, expires_at)) = row else {
            return Ok(CodeCheck::Spent);
        };
        if expires_at <= to_db(now) || failures >= MAX_CODE_FAILURES {
            return Ok(CodeCheck::Spent);
        }
        let given = self.code_hash(token, code);
        if bool::from(given.as_bytes().ct_eq(stored.as_bytes())) {
            sqlx::query("DELETE FROM sign_in_codes WHERE token_hash = $1")
                .bind(&token_hash)
                .execute(&mut **tx)
                .await?;
            return Ok(CodeCheck::Accepted { account_id });
        }
        sqlx::query("UPDATE sign_in_codes SET failures = failures + 1 WHERE token_hash = $1")
            .bind(&token_hash)
            .execute(&mut **tx)
            .await?;
        let remaining = MAX_CODE_FAILURES - failures - 1;
        Ok(if remaining > 0 {
            CodeCheck::Wrong { remaining }
        } else {
            CodeCheck::Spent
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::store::test_support::active_resident;

    const NOW: OffsetDateTime = datetime!(2026-11-30 10:00 UTC);

    async fn check(store: &Store, token: &str, code: &str, at: OffsetDateTime) -> CodeCheck {
        let mut tx = store.write().await.unwrap_or_else(|e| panic!("{e}"));
        let found = store.check_sign_in_code(&mut tx, token, code, at).await;
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        found.unwrap_or_else(|e| panic!("{e}"))
    }

    async fn start(store: &Store, account: &str, code: &str) -> String {
        let mut tx = store.write().await.unwrap_or_else(|e| panic!("{e}"));
        let token = store.start_sign_in_code(&mut tx, account, code, NOW).await;
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        token.unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn a_code_works_once_for_its_own_challenge_until_it_expires() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let account = active_resident(&store, "HKID:A123456(3)", "bldg-1", NOW).await?;
        let token = start(&store, &account.id, "123456").await;
        assert_eq!(
            store.sign_in_code_account(&token, NOW).await?,
            Some(account.id.clone())
        );
        assert_eq!(
            check(&store, "another", "123456", NOW).await,
            CodeCheck::Spent
        );
        let late = NOW + SIGN_IN_CODE_LIFETIME;
        assert_eq!(
            check(&store, &token, "123456", late).await,
            CodeCheck::Spent
        );
        assert_eq!(store.sign_in_code_account(&token, late).await?, None);
        let accepted = CodeCheck::Accepted {
            account_id: account.id.clone(),
        };
        assert_eq!(check(&store, &token, "123456", NOW).await, accepted);
        assert_eq!(
            check(&store, &token, "123456", NOW).await,
            CodeCheck::Spent,
            "once"
        );

        // A new challenge replaces the account's earlier one.
        let first = start(&store, &account.id, "111111").await;
        let second = start(&store, &account.id, "222222").await;
        assert_eq!(check(&store, &first, "111111", NOW).await, CodeCheck::Spent);
        assert_eq!(check(&store, &second, "222222", NOW).await, accepted);
        Ok(())
    }

    #[tokio::test]
    async fn five_wrong_codes_kill_the_challenge() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let account = active_resident(&store, "HKID:A123456(3)", "bldg-1", NOW).await?;
        let token = start(&store, &account.id, "123456").await;
        for remaining in (1..MAX_CODE_FAILURES).rev() {
            assert_eq!(
                check(&store, &token, "000000", NOW).await,
                CodeCheck::Wrong { remaining }
            );
        }
        assert_eq!(check(&store, &token, "000000", NOW).await, CodeCheck::Spent);
        assert_eq!(check(&store, &token, "123456", NOW).await, CodeCheck::Spent);
        assert_eq!(store.sign_in_code_account(&token, NOW).await?, None);
        Ok(())
    }
}
