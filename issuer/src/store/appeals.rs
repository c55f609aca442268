//! Appeals: a resident's request to correct a record, its sealed statement
//! and evidence, and the decision on it.

use sqlx::{AnyConnection, AnyExecutor};
use time::OffsetDateTime;

use super::{Store, Tx, from_db, parse_name, to_db};
use crate::{
    Error,
    model::{AppealGround, AppealState, proof::Proof, proof::ProofType},
};

/// One appeal, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    /// The reference.
    pub id: String,
    /// The appellant's account.
    pub account_id: String,
    /// What it contests.
    pub ground: AppealGround,
    /// Where it stands.
    pub state: AppealState,
    /// What the resident says.
    pub statement: String,
    /// The evidence's type, if evidence was given.
    pub evidence: Option<ProofType>,
    /// When lodged.
    pub lodged_at: OffsetDateTime,
    /// The decision deadline.
    pub due_at: OffsetDateTime,
    /// When decided.
    pub decided_at: Option<OffsetDateTime>,
    /// The decision's reason, told to the resident.
    pub reason: Option<String>,
    /// The feed batch that corrected the record (an upheld appeal).
    pub corrected_batch: Option<String>,
}

/// An appeal to store.
#[derive(Debug)]
pub struct NewAppeal<'a> {
    /// The reference.
    pub id: &'a str,
    /// The appellant.
    pub account_id: &'a str,
    /// What it contests.
    pub ground: AppealGround,
    /// What the resident says (checked).
    pub statement: &'a str,
    /// The evidence (checked as a proof is).
    pub evidence: Option<&'a Proof>,
    /// Now.
    pub lodged_at: OffsetDateTime,
    /// The deadline.
    pub due_at: OffsetDateTime,
}

/// A decision to record.
#[derive(Debug)]
pub struct Decision<'a> {
    /// `upheld` or `rejected`.
    pub state: AppealState,
    /// The staff id.
    pub decided_by: &'a str,
    /// Told to the resident.
    pub reason: &'a str,
    /// The correcting batch, for an upheld appeal.
    pub corrected_batch: Option<&'a str>,
}

const COLUMNS: &str = "id, account_id, ground, state, statement_enc, evidence_type, \
                       lodged_at, due_at, decided_at, reason_enc, corrected_batch";

type Row = (
    String,
    String,
    String,
    String,
    Vec<u8>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<Vec<u8>>,
    Option<String>,
);

impl Store {
    /// Stores a new appeal, its statement and evidence sealed.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn insert_appeal(&self, tx: &mut Tx, appeal: &NewAppeal<'_>) -> Result<(), Error> {
        let key = self.key();
        let id = appeal.id;
        sqlx::query(
            "INSERT INTO appeals (id, account_id, ground, state, statement_enc, evidence_type, \
             evidence_enc, lodged_at, due_at) VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(appeal.account_id)
        .bind(appeal.ground.as_str())
        .bind(key.seal("appeals.statement", id, appeal.statement.as_bytes()))
        .bind(appeal.evidence.map(|e| e.kind.media_type()))
        .bind(
            appeal
                .evidence
                .map(|e| key.seal("appeals.evidence", id, &e.bytes)),
        )
        .bind(to_db(appeal.lodged_at))
        .bind(to_db(appeal.due_at))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The appeals of `account_id`, newest first.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`], [`Error::Corrupt`].
    pub async fn appeals_of<'e>(
        &self,
        executor: impl AnyExecutor<'e>,
        account_id: &str,
    ) -> Result<Vec<Appeal>, Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM appeals WHERE account_id = $1 ORDER BY lodged_at DESC, id"
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(account_id)
            .fetch_all(executor)
            .await?;
        rows.into_iter().map(|row| self.opened(row)).collect()
    }

    /// The open appeals on `grounds`, the nearest deadline first.
    ///
    /// # Errors
    /// As [`Store::appeals_of`].
    pub async fn appeal_queue(
        &self,
        grounds: &[AppealGround],
        limit: i64,
    ) -> Result<Vec<Appeal>, Error> {
        let names: Vec<String> = grounds.iter().map(|g| g.as_str().to_owned()).collect();
        let mut query = crate::store::sql::SqlBuilder::new(
            self.engine(),
            format!("SELECT {COLUMNS} FROM appeals WHERE state = 'open' AND ground IN "),
        );
        super::push_list(&mut query, &names);
        query.push(" ORDER BY due_at, id LIMIT ").push_bind(limit);
        let rows: Vec<Row> = query.build_query_as().fetch_all(self.pool()).await?;
        rows.into_iter().map(|row| self.opened(row)).collect()
    }

    /// One appeal.
    ///
    /// # Errors
    /// As [`Store::appeals_of`].
    pub async fn appeal(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> Result<Option<Appeal>, Error> {
        let sql = format!("SELECT {COLUMNS} FROM appeals WHERE id = $1");
        let row: Option<Row> = sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?;
        row.map(|row| self.opened(row)).transpose()
    }

    /// The evidence of appeal `id`, decrypted.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`], [`Error::Corrupt`].
    pub async fn appeal_evidence(&self, id: &str) -> Result<Option<(ProofType, Vec<u8>)>, Error> {
        let row: Option<(Option<String>, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT evidence_type, evidence_enc FROM appeals WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let Some((Some(media_type), Some(sealed))) = row else {
            return Ok(None);
        };
        let kind = proof_type(media_type)?;
        let bytes = self.key().open("appeals.evidence", id, &sealed)?;
        Ok(Some((kind, bytes.to_vec())))
    }

    /// Records the decision on appeal `id` if it is still open; false if it
    /// was decided meanwhile (then nothing changes).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn decide_appeal(
        &self,
        tx: &mut Tx,
        id: &str,
        decision: &Decision<'_>,
        now: OffsetDateTime,
    ) -> Result<bool, Error> {
        let reason = self
            .key()
            .seal("appeals.reason", id, decision.reason.as_bytes());
        let done = sqlx::query(
            "UPDATE appeals SET state = $1, decided_at = $2, decided_by = $3, reason_enc = $4, \
             corrected_batch = $5 WHERE id = $6 AND state = 'open'",
        )
        .bind(decision.state.as_str())
        .bind(to_db(now))
        .bind(decision.decided_by)
        .bind(reason)
        .bind(decision.corrected_batch)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    fn opened(&self, row: Row) -> Result<Appeal, Error> {
        let (
            id,
            account_id,
            ground,
            state,
            statement,
            evidence,
            lodged,
            due,
            decided,
            reason,
            batch,
        ) = row;
        let key = self.key();
        Ok(Appeal {
            statement: key.open_text("appeals.statement", &id, &statement)?,
            reason: reason
                .map(|sealed| key.open_text("appeals.reason", &id, &sealed))
                .transpose()?,
            ground: parse_name(&ground)?,
            state: parse_name(&state)?,
            evidence: evidence.map(proof_type).transpose()?,
            lodged_at: from_db(lodged)?,
            due_at: from_db(due)?,
            decided_at: decided.map(from_db).transpose()?,
            corrected_batch: batch,
            account_id,
            id,
        })
    }
}

fn proof_type(media_type: String) -> Result<ProofType, Error> {
    ProofType::from_media_type(&media_type).ok_or(Error::Corrupt {
        what: "evidence media type",
        value: media_type,
    })
}
