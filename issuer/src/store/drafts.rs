//! Registrations in progress on the web site: answers and proof sealed
//! under a random token that only the applicant's browser holds.

use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::{Store, to_db};
use crate::Error;

/// How long a draft lasts after its last step: the real form allowed 45 minutes.
pub const DRAFT_LIFETIME: Duration = Duration::minutes(45);

/// A draft as stored: the answers (the page's own encoding) and the proof.
pub type Draft = (Zeroizing<Vec<u8>>, Option<Zeroizing<Vec<u8>>>);

impl Store {
    /// Saves the answers of draft `token`, and its proof when `proof` is
    /// given (else the one saved before stays); the draft lives
    /// [`DRAFT_LIFETIME`] from `now`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn save_draft(
        &self,
        token: &str,
        answers: &[u8],
        proof: Option<&[u8]>,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let row = self.key().secret_hash("draft", "", token);
        let answers = self.key().seal("drafts.answers", &row, answers);
        let proof = proof.map(|p| self.key().seal("drafts.proof", &row, p));
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM registration_drafts WHERE expires_at <= $1")
            .bind(to_db(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO registration_drafts (token_hash, answers_enc, proof_enc, expires_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO UPDATE SET \
             answers_enc = excluded.answers_enc, \
             proof_enc = COALESCE(excluded.proof_enc, registration_drafts.proof_enc), \
             expires_at = excluded.expires_at",
        )
        .bind(&row)
        .bind(answers)
        .bind(proof)
        .bind(to_db(now + DRAFT_LIFETIME))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live draft of `token`.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`].
    pub async fn draft(&self, token: &str, now: OffsetDateTime) -> Result<Option<Draft>, Error> {
        let row = self.key().secret_hash("draft", "", token);
        let found: Option<(Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT answers_enc, proof_enc FROM registration_drafts \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(&row)
        .bind(to_db(now))
        .fetch_optional(self.pool())
        .await?;
        let Some((answers, proof)) = found else {
            return Ok(None);
        };
        let answers = self.key().open("drafts.answers", &row, &answers)?;
        let proof = proof
            .map(|p| self.key().open("drafts.proof", &row, &p))
            .transpose()?;
        Ok(Some((answers, proof)))
    }

    /// Deletes the draft of `token`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn delete_draft(&self, token: &str) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM registration_drafts WHERE token_hash = $1")
            .bind(self.key().secret_hash("draft", "", token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
