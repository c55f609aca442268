//! The audit log: append-only and chained with a keyed MAC (the audit key
//! derives from the data key, which lives outside the database), so that an
//! edited, inserted or deleted entry shows and the chain cannot be
//! recomputed by someone who has only the database. Its head is anchored
//! outside the database ([`super::audit_anchor`]), so that cutting the
//! newest entries shows too. Entries name actors and subjects by id, never
//! by personal data.

use healthcode_keys::hex;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use super::sql::SqlBuilder;

use super::{Store, Tx, from_db, push_list, to_db};
use crate::{Error, model::Actor};

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry as selected: seq, at, actor, action, subject, detail, hash.
type EntryRow = (i64, i64, String, String, String, String, String);

fn entry((seq, at, actor, action, subject, detail, hash): EntryRow) -> Result<AuditEntry, Error> {
    Ok(AuditEntry {
        seq,
        at: from_db(at)?,
        actor,
        action,
        subject,
        detail,
        hash,
    })
}

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

/// The `meta` row that says the chain is keyed.
const KEYED_CHAIN: &str = "audit_chain_keyed_v2";

/// One entry's fields as they are chained.
struct Link<'a> {
    seq: i64,
    at: i64,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    detail: &'a str,
}

impl<'a> Link<'a> {
    fn of(row: &'a ChainRow) -> Self {
        Link {
            seq: row.seq,
            at: row.at,
            actor: &row.actor,
            action: &row.action,
            subject: &row.subject,
            detail: &row.detail,
        }
    }
}

/// The keyed link: a MAC over the previous link and this entry.
fn entry_mac(key: &crate::privacy::DataKey, prev: &str, link: &Link<'_>) -> String {
    let (seq, at) = (link.seq.to_string(), link.at.to_string());
    key.audit_mac(&[
        b"HKHC/audit/v2",
        prev.as_bytes(),
        seq.as_bytes(),
        at.as_bytes(),
        link.actor.as_bytes(),
        link.action.as_bytes(),
        link.subject.as_bytes(),
        link.detail.as_bytes(),
    ])
}

/// The unkeyed SHA-256 link of databases written before the chain was
/// keyed; read only to upgrade them.
fn legacy_entry_hash(prev: &str, link: &Link<'_>) -> String {
    let (seq, at, actor, action, subject, detail) = (
        link.seq,
        link.at,
        link.actor,
        link.action,
        link.subject,
        link.detail,
    );
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
        if self.engine() == super::Engine::Postgres {
            // Applications write side by side (`write_application`): the head
            // is read after this lock, in a statement of its own, so that it
            // sees the entry of whoever held it last.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(super::engine::AUDIT_LOCK)
                .execute(&mut **tx)
                .await?;
        }
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut **tx)
                .await?;
        let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |(seq, hash)| (seq + 1, hash));
        let detail = detail.to_string();
        let actor = actor.to_string();
        let link = Link {
            seq,
            at: to_db(at),
            actor: &actor,
            action,
            subject,
            detail: &detail,
        };
        let hash = entry_mac(&self.key, &prev, &link);
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
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log ORDER BY seq DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(entry).collect()
    }

    /// The entries about any of `subjects` (an account's id and its
    /// document's blind index), oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit_about(
        &self,
        subjects: &[String],
        limit: i64,
    ) -> Result<Vec<AuditEntry>, Error> {
        let mut query = SqlBuilder::new(
            self.engine(),
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log WHERE subject IN ",
        );
        push_list(&mut query, subjects);
        query.push(" ORDER BY seq LIMIT ").push_bind(limit);
        let rows: Vec<EntryRow> = query.build_query_as().fetch_all(self.pool()).await?;
        rows.into_iter().map(entry).collect()
    }

    /// How many entries about `subject` have one of `actions` (served by
    /// the `(subject, seq)` index).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit_count(&self, subject: &str, actions: &[&str]) -> Result<i64, Error> {
        let mut query = SqlBuilder::new(
            self.engine(),
            "SELECT COUNT(*) FROM audit_log WHERE subject = ",
        );
        query.push_bind(subject).push(" AND action IN (");
        let mut list = query.separated(", ");
        for action in actions {
            list.push_bind(*action);
        }
        query.push(")");
        Ok(query.build_query_scalar().fetch_one(self.pool()).await?)
    }

    /// Walks the whole chain; returns the number of entries.
    ///
    /// # Errors
    /// [`Error::AuditChainBroken`] at the first entry that does not follow
    /// from the one before; [`Error::Db`].
    pub async fn verify_audit_chain(&self) -> Result<i64, Error> {
        let rows = self.chain_rows().await?;
        let key = &self.key;
        walk_chain(&rows, |prev, link| entry_mac(key, prev, link))
    }

    async fn chain_rows(&self) -> Result<Vec<ChainRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The newest entry's position and link, if any.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit_head(&self) -> Result<Option<(i64, String)>, Error> {
        Ok(
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The link stored at `seq`, if that entry exists.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit_link(&self, seq: i64) -> Result<Option<String>, Error> {
        let row: Option<(String,)> = sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(seq)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|(hash,)| hash))
    }

    /// The MAC of an anchor of the chain at (`seq`, `hash`) made at `at`.
    pub(super) fn anchor_mac(&self, seq: i64, hash: &str, at: i64) -> String {
        let (seq, at) = (seq.to_string(), at.to_string());
        self.key.audit_mac(&[
            b"HKHC/audit-anchor/v1",
            seq.as_bytes(),
            hash.as_bytes(),
            at.as_bytes(),
        ])
    }

    /// Re-links, once, a chain written before links were keyed: the old
    /// chain must verify as it was, then every link is recomputed with the
    /// key in one transaction. A chain that is already keyed is left alone.
    ///
    /// # Errors
    /// [`Error::AuditChainBroken`] if the old chain does not verify (the
    /// database was altered: nothing is changed); [`Error::Db`].
    pub(super) async fn key_audit_chain(&self) -> Result<(), Error> {
        let keyed: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
            .bind(KEYED_CHAIN)
            .fetch_optional(self.pool())
            .await?;
        if keyed.is_some() {
            return Ok(());
        }
        let rows = self.chain_rows().await?;
        let key = &self.key;
        let already_keyed = walk_chain(&rows, |prev, link| entry_mac(key, prev, link)).is_ok();
        let mut tx = self.write().await?;
        if !already_keyed {
            walk_chain(&rows, legacy_entry_hash)?;
            let mut prev = GENESIS.to_owned();
            for row in &rows {
                let hash = entry_mac(key, &prev, &Link::of(row));
                sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                    .bind(&prev)
                    .bind(&hash)
                    .bind(row.seq)
                    .execute(&mut *tx)
                    .await?;
                prev = hash;
            }
        }
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, 'yes')")
            .bind(KEYED_CHAIN)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Checks that each of `rows` follows from the one before under `link_of`;
/// returns their number.
fn walk_chain(
    rows: &[ChainRow],
    link_of: impl Fn(&str, &Link<'_>) -> String,
) -> Result<i64, Error> {
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    for row in rows {
        let computed = link_of(&prev, &Link::of(row));
        let same = bool::from(subtle::ConstantTimeEq::ct_eq(
            row.hash.as_bytes(),
            computed.as_bytes(),
        ));
        if row.seq != expected_seq || row.prev_hash != prev || !same {
            return Err(Error::AuditChainBroken { seq: row.seq });
        }
        prev.clone_from(&row.hash);
        expected_seq += 1;
    }
    Ok(expected_seq - 1)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    #[tokio::test]
    async fn an_edited_or_deleted_entry_breaks_the_chain() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        four_entries(&store).await?;
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

    /// Rewrites the stored links of the whole chain with `link_of`, as
    /// someone with the database file could.
    async fn relink(
        store: &Store,
        link_of: impl Fn(&str, &Link<'_>) -> String,
    ) -> Result<(), Error> {
        let rows = store.chain_rows().await?;
        let mut prev = GENESIS.to_owned();
        for row in &rows {
            let hash = link_of(&prev, &Link::of(row));
            sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                .bind(&prev)
                .bind(&hash)
                .bind(row.seq)
                .execute(store.pool())
                .await?;
            prev = hash;
        }
        Ok(())
    }

    async fn four_entries(store: &Store) -> Result<(), Error> {
        let mut tx = store.write().await?;
        for n in 0..4 {
            let at = datetime!(2022-12-10 01:00 UTC);
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
        Ok(())
    }

    #[tokio::test]
    async fn an_entry_deleted_and_the_chain_recomputed_without_the_key_shows() -> Result<(), Error>
    {
        let (_dir, store) = Store::open_temporary().await?;
        four_entries(&store).await?;
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(store.pool())
            .await?;
        sqlx::query("UPDATE audit_log SET seq = 3 WHERE seq = 4")
            .execute(store.pool())
            .await?;
        relink(&store, legacy_entry_hash).await?;
        assert!(matches!(
            store.verify_audit_chain().await,
            Err(Error::AuditChainBroken { seq: 1 })
        ));
        Ok(())
    }

    #[tokio::test]
    async fn a_chain_from_before_keying_is_keyed_once_if_it_verifies() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        four_entries(&store).await?;
        let forget_keying = || sqlx::query("DELETE FROM meta WHERE key = $1").bind(KEYED_CHAIN);
        // As an older version wrote it: unkeyed links, no marker.
        relink(&store, legacy_entry_hash).await?;
        forget_keying().execute(store.pool()).await?;
        store.key_audit_chain().await?;
        assert_eq!(store.verify_audit_chain().await?, 4);
        // Keyed and marked: nothing to do, even when asked again.
        store.key_audit_chain().await?;
        forget_keying().execute(store.pool()).await?;
        store.key_audit_chain().await?;
        assert_eq!(
            store.verify_audit_chain().await?,
            4,
            "a keyed chain is not keyed twice"
        );

        // An old chain altered before the upgrade is not blessed by it.
        relink(&store, legacy_entry_hash).await?;
        sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
            .execute(store.pool())
            .await?;
        forget_keying().execute(store.pool()).await?;
        assert!(matches!(
            store.key_audit_chain().await,
            Err(Error::AuditChainBroken { seq: 2 })
        ));
        Ok(())
    }
}
