//! The audit log: append-only and hash-chained, so that an edited, inserted or
//! deleted entry shows. Entries name actors and subjects by id, never by
//! personal data.

use healthcode_keys::hex;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use super::{Store, Tx, from_db, to_db};
use crate::{Error, model::Actor};

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `staff:<id>`, `resident:<id>`, `system` or `cli`.
    pub actor: String,
    /// What was done, e.g. `application_approved`.
    pub action: String,
    /// What it was done to (an account or staff id).
    pub subject: String,
    /// Details as JSON text (no personal data).
    pub detail: String,
    /// This entry's hash.
    pub hash: String,
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    subject: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

fn entry_hash(
    prev: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"HKHC/audit/v1");
    for part in [
        prev,
        &seq.to_string(),
        &at.to_string(),
        actor,
        action,
        subject,
        detail,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(&hasher.finalize())
}

impl Store {
    /// Appends an entry inside `tx`, so it commits with the change it records.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit(
        &self,
        tx: &mut Tx,
        at: OffsetDateTime,
        actor: &Actor,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
    ) -> Result<(), Error> {
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut **tx)
                .await?;
        let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |(seq, hash)| (seq + 1, hash));
        let detail = detail.to_string();
        let actor = actor.to_string();
        let hash = entry_hash(&prev, seq, to_db(at), &actor, action, subject, &detail);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(to_db(at))
        .bind(&actor)
        .bind(action)
        .bind(subject)
        .bind(&detail)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, Error> {
        let rows: Vec<(i64, i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log ORDER BY seq DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(seq, at, actor, action, subject, detail, hash)| {
                Ok(AuditEntry {
                    seq,
                    at: from_db(at)?,
                    actor,
                    action,
                    subject,
                    detail,
                    hash,
                })
            })
            .collect()
    }

    /// Walks the whole chain; returns the number of entries.
    ///
    /// # Errors
    /// [`Error::AuditChainBroken`] at the first entry that does not follow
    /// from the one before; [`Error::Db`].
    pub async fn verify_audit_chain(&self) -> Result<i64, Error> {
        let rows: Vec<ChainRow> = sqlx::query_as(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch_all(self.pool())
        .await?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        for row in rows {
            let computed = entry_hash(
                &prev,
                row.seq,
                row.at,
                &row.actor,
                &row.action,
                &row.subject,
                &row.detail,
            );
            if row.seq != expected_seq || row.prev_hash != prev || row.hash != computed {
                return Err(Error::AuditChainBroken { seq: row.seq });
            }
            prev = row.hash;
            expected_seq += 1;
        }
        Ok(expected_seq - 1)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    #[tokio::test]
    async fn an_edited_or_deleted_entry_breaks_the_chain() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let at = datetime!(2022-12-10 01:00 UTC);
        let mut tx = store.write().await?;
        for n in 0..4 {
            store
                .audit(
                    &mut tx,
                    at,
                    &Actor::System,
                    "test",
                    &format!("s{n}"),
                    &json!({ "n": n }),
                )
                .await?;
        }
        tx.commit().await?;
        assert_eq!(store.verify_audit_chain().await?, 4);

        sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
            .execute(store.pool())
            .await?;
        assert!(matches!(
            store.verify_audit_chain().await,
            Err(Error::AuditChainBroken { seq: 2 })
        ));
        sqlx::query("UPDATE audit_log SET actor = 'system' WHERE seq = 2")
            .execute(store.pool())
            .await?;
        assert_eq!(store.verify_audit_chain().await?, 4, "restored");
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(store.pool())
            .await?;
        assert!(matches!(
            store.verify_audit_chain().await,
            Err(Error::AuditChainBroken { seq: 4 })
        ));
        Ok(())
    }
}
