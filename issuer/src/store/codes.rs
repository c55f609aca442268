//! The codes issued, and their revocations: the source of truth for every
//! revocation, and the outbox from which they reach Redis.

use std::collections::BTreeSet;

use futures_util::TryStreamExt as _;
use healthcode_keys::revocation::{Revocation, RevocationReason, filtered::IssuedCode};
use healthcode_keys::{Colour, KeyId, TokenId};
use sqlx::{AnyConnection, any::AnyRow};
use time::OffsetDateTime;

use super::{
    Store, Tx,
    engine::Engine,
    from_db,
    notify::Work,
    sql::{SqlBuilder, from_json_rows, json_rows},
    to_db,
};
use crate::{Error, model::Actor, rules::Reason};

/// A code about to be stored.
#[derive(Debug)]
pub struct NewCode<'a> {
    /// The token id.
    pub token_id: TokenId,
    /// The holder's account.
    pub account_id: &'a str,
    /// The signing key.
    pub kid: KeyId,
    /// The colour signed.
    pub colour: Colour,
    /// Why.
    pub reasons: &'a BTreeSet<Reason>,
    /// The `HC1:` text.
    pub token: &'a str,
    /// When issued.
    pub issued_at: OffsetDateTime,
    /// 23:59:59 Hong Kong time that day.
    pub valid_until: OffsetDateTime,
}

/// A stored code, as its holder sees it.
#[derive(Debug, Clone)]
pub struct StoredCode {
    /// The token id.
    pub token_id: TokenId,
    /// The colour.
    pub colour: Colour,
    /// Why.
    pub reasons: BTreeSet<Reason>,
    /// The `HC1:` text.
    pub token: String,
    /// When issued.
    pub issued_at: OffsetDateTime,
    /// When it expires.
    pub valid_until: OffsetDateTime,
    /// Its revocation, if it was revoked.
    pub revocation: Option<Revocation>,
}

/// A code still valid and not revoked, as re-evaluation reads it.
#[derive(Debug, Clone)]
pub struct LiveCode {
    /// The token id.
    pub token_id: TokenId,
    /// The holder's account.
    pub account_id: String,
    /// The colour it was issued with.
    pub colour: Colour,
    /// When it expires.
    pub valid_until: OffsetDateTime,
}

/// Rows per multi-row insert of revocations (6 parameters each).
const REVOCATIONS_PER_STATEMENT: usize = 500;

/// Rows per page of a read of what is in force (`InForce`): a few
/// megabytes of JSON at a time.
const ROWS_PER_PAGE: i64 = 50_000;

type LiveRow = (String, String, String, i64);

fn live_code((token_id, account_id, colour, valid_until): LiveRow) -> Result<LiveCode, Error> {
    Ok(LiveCode {
        token_id: parse_token_id(&token_id)?,
        account_id,
        colour: parse_colour(&colour)?,
        valid_until: from_db(valid_until)?,
    })
}

fn parse_token_id(text: &str) -> Result<TokenId, Error> {
    text.parse().map_err(|_| Error::Corrupt {
        what: "token id",
        value: text.to_owned(),
    })
}

fn parse_colour(text: &str) -> Result<Colour, Error> {
    text.parse().map_err(|_| Error::Corrupt {
        what: "colour",
        value: text.to_owned(),
    })
}

fn parse_reasons(text: &str) -> Result<BTreeSet<Reason>, Error> {
    text.split_whitespace()
        .map(|id| {
            Reason::from_name(id).ok_or_else(|| Error::Corrupt {
                what: "reason",
                value: id.to_owned(),
            })
        })
        .collect()
}

type RevocationRow = (String, String, i64, i64);

fn revocation((token_id, reason, revoked_at, until): RevocationRow) -> Result<Revocation, Error> {
    Ok(Revocation {
        token_id: parse_token_id(&token_id)?,
        reason: reason.parse().map_err(|_| Error::Corrupt {
            what: "revocation reason",
            value: reason,
        })?,
        revoked_at: from_db(revoked_at)?,
        until: from_db(until)?,
    })
}

/// A revocation's columns, in [`RevocationRow`]'s order.
const REVOCATION_COLUMNS: &str = "r.token_id, r.reason, r.revoked_at, r.until_at";

/// What a table holds in force at an instant. On SQLite it is read in
/// pages by `(expiry, token_id)` from the table's covering index
/// (migration 0013), each page one JSON value: a population's millions are
/// never all text at once, never a row each (`sql::json_rows`), and the 90
/// days of history kept beside them are never read.
struct InForce<T, U> {
    table: &'static str,
    /// The column that says until when a row is in force.
    expiry: &'static str,
    /// What else is read, after the expiry and the token id.
    columns: &'static str,
    what: &'static str,
    key: fn(&T) -> (i64, &str),
    into: fn(T) -> Result<U, Error>,
}

type CodeInForceRow = (i64, String, i64);
type RevocationInForceRow = (i64, String, String, i64);

const CODES_IN_FORCE: InForce<CodeInForceRow, IssuedCode> = InForce {
    table: "codes",
    expiry: "valid_until",
    columns: "issued_at",
    what: "a code as stored",
    key: |row| (row.0, &row.1),
    into: |(_, token_id, issued_at)| {
        Ok(IssuedCode {
            token_id: parse_token_id(&token_id)?,
            issued_at: from_db(issued_at)?,
        })
    },
};

const REVOCATIONS_IN_FORCE: InForce<RevocationInForceRow, Revocation> = InForce {
    table: "revocations",
    expiry: "until_at",
    columns: "reason, revoked_at",
    what: "a revocation as stored",
    key: |row| (row.0, &row.1),
    into: |(until, token_id, reason, revoked_at)| revocation((token_id, reason, revoked_at, until)),
};

impl<T, U> InForce<T, U>
where
    T: serde::de::DeserializeOwned + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
{
    /// Every row in force at `now`: on SQLite in pages of `page`, one JSON
    /// value each; on PostgreSQL streamed as rows, which its driver reads
    /// at a fraction of SQLite's cost a row, while its index-only pages
    /// fetch each of today's rows from the table as well (they are too
    /// young to be marked all-visible): 559 against 203 ms for 200,000
    /// codes, docs/benchmarks.md.
    async fn read(
        &self,
        conn: &mut AnyConnection,
        engine: Engine,
        now: OffsetDateTime,
        page: i64,
    ) -> Result<Vec<U>, Error> {
        match engine {
            Engine::Sqlite => self.read_pages(conn, now, page).await,
            Engine::Postgres => self.stream_rows(conn, now).await,
        }
    }

    fn columns(&self) -> String {
        format!("{}, token_id, {}", self.expiry, self.columns)
    }

    async fn stream_rows(
        &self,
        conn: &mut AnyConnection,
        now: OffsetDateTime,
    ) -> Result<Vec<U>, Error> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} >= $1",
            self.columns(),
            self.table,
            self.expiry
        );
        let mut rows = sqlx::query_as::<_, T>(&sql).bind(to_db(now)).fetch(conn);
        let mut all = Vec::new();
        while let Some(row) = rows.try_next().await? {
            all.push((self.into)(row)?);
        }
        Ok(all)
    }

    async fn read_pages(
        &self,
        conn: &mut AnyConnection,
        now: OffsetDateTime,
        page: i64,
    ) -> Result<Vec<U>, Error> {
        let (columns, table, expiry) = (self.columns(), self.table, self.expiry);
        let rows = json_rows(Engine::Sqlite, &columns);
        let sql = format!(
            "SELECT {rows} FROM (SELECT {columns} FROM {table} \
             WHERE ({expiry}, token_id) > ($1, $2) ORDER BY {expiry}, token_id LIMIT $3) p"
        );
        let mut all = Vec::new();
        // Every token id is longer than "", so the first page starts at `now`.
        let mut after = (to_db(now), String::new());
        loop {
            let text: Option<String> = sqlx::query_scalar(&sql)
                .bind(after.0)
                .bind(&after.1)
                .bind(page)
                .fetch_one(&mut *conn)
                .await?;
            let rows: Vec<T> = from_json_rows(text, self.what)?;
            // Token ids are lowercase hex of one length: Rust's order of them
            // is every collation's, so the next page starts where SQL's ended.
            let Some(last) = rows.iter().map(self.key).max() else {
                return Ok(all);
            };
            after = (last.0, last.1.to_owned());
            for row in rows {
                all.push((self.into)(row)?);
            }
        }
    }
}

const LIVE: &str = "c.valid_until >= $2 \
     AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.token_id = c.token_id)";

impl Store {
    /// Stores an issued code, after the account's earlier ones in issue order.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn insert_code(&self, tx: &mut Tx, code: &NewCode<'_>) -> Result<(), Error> {
        let reasons: Vec<&str> = code.reasons.iter().map(|r| r.as_str()).collect();
        sqlx::query(
            "INSERT INTO codes (token_id, account_id, seq, kid, colour, reasons, token, issued_at, valid_until) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM codes WHERE account_id = $2), \
             $3, $4, $5, $6, $7, $8)",
        )
        .bind(code.token_id.to_string())
        .bind(code.account_id)
        .bind(code.kid.to_string())
        .bind(code.colour.as_str())
        .bind(reasons.join(" "))
        .bind(code.token)
        .bind(to_db(code.issued_at))
        .bind(to_db(code.valid_until))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The codes of `account_id` still valid at `now` and not revoked.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn live_codes(
        &self,
        conn: &mut AnyConnection,
        account_id: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<LiveCode>, Error> {
        let sql = format!(
            "SELECT c.token_id, c.account_id, c.colour, c.valid_until FROM codes c \
             WHERE c.account_id = $1 AND {LIVE}"
        );
        let rows: Vec<LiveRow> = sqlx::query_as(&sql)
            .bind(account_id)
            .bind(to_db(now))
            .fetch_all(conn)
            .await?;
        rows.into_iter().map(live_code).collect()
    }

    /// When the code `token_id` expires, if this issuer issued it.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn code_valid_until(
        &self,
        token_id: &TokenId,
    ) -> Result<Option<OffsetDateTime>, Error> {
        let until: Option<i64> =
            sqlx::query_scalar("SELECT valid_until FROM codes WHERE token_id = $1")
                .bind(token_id.to_string())
                .fetch_optional(self.pool())
                .await?;
        until.map(from_db).transpose()
    }

    /// How many codes `account_id` was issued after `since`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn codes_issued_since(
        &self,
        conn: &mut AnyConnection,
        account_id: &str,
        since: OffsetDateTime,
    ) -> Result<i64, Error> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM codes WHERE account_id = $1 AND issued_at > $2",
        )
        .bind(account_id)
        .bind(to_db(since))
        .fetch_one(conn)
        .await?)
    }

    /// The newest code of `account_id` still valid at `now`, with its revocation if any.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn latest_code(
        &self,
        account_id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StoredCode>, Error> {
        let codes = self.codes_valid_at(account_id, now, 1).await?;
        Ok(codes.into_iter().next())
    }

    /// Every code of `account_id` still held, newest first: what a
    /// resident's export lists.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn codes_of(&self, account_id: &str) -> Result<Vec<StoredCode>, Error> {
        self.codes_valid_at(account_id, OffsetDateTime::UNIX_EPOCH, i64::MAX)
            .await
    }

    /// The newest `limit` codes of `account_id` valid at or after `from`.
    async fn codes_valid_at(
        &self,
        account_id: &str,
        from: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<StoredCode>, Error> {
        type Row = (
            String,
            String,
            String,
            String,
            i64,
            i64,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.token_id, c.colour, c.reasons, c.token, c.issued_at, c.valid_until, \
             r.reason, r.revoked_at, r.until_at FROM codes c \
             LEFT JOIN revocations r ON r.token_id = c.token_id \
             WHERE c.account_id = $1 AND c.valid_until >= $2 \
             ORDER BY c.seq DESC LIMIT $3",
        )
        .bind(account_id)
        .bind(to_db(from))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(
                |(token_id, colour, reasons, token, issued_at, valid_until, reason, at, until)| {
                    let revocation = match (reason, at, until) {
                        (Some(reason), Some(at), Some(until)) => {
                            Some(revocation((token_id.clone(), reason, at, until))?)
                        }
                        _ => None,
                    };
                    Ok(StoredCode {
                        token_id: parse_token_id(&token_id)?,
                        colour: parse_colour(&colour)?,
                        reasons: parse_reasons(&reasons)?,
                        token,
                        issued_at: from_db(issued_at)?,
                        valid_until: from_db(valid_until)?,
                        revocation,
                    })
                },
            )
            .collect()
    }

    /// Records `revocations` (made by `by`) for delivery to Redis. A code
    /// already revoked keeps its first revocation. Returns how many are new.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn record_revocations(
        &self,
        tx: &mut Tx,
        revocations: &[Revocation],
        by: &Actor,
    ) -> Result<u64, Error> {
        let by = by.to_string();
        let mut added = 0;
        for chunk in revocations.chunks(REVOCATIONS_PER_STATEMENT) {
            let mut insert = SqlBuilder::new(
                self.engine(),
                "INSERT INTO revocations (token_id, reason, revoked_at, until_at, revoked_by) ",
            );
            insert.push_values(chunk, |mut row, r| {
                row.push_bind(r.token_id.to_string())
                    .push_bind(r.reason.as_str())
                    .push_bind(to_db(r.revoked_at))
                    .push_bind(to_db(r.until))
                    .push_bind(by.clone());
            });
            insert.push(" ON CONFLICT (token_id) DO NOTHING");
            added += insert.build().execute(&mut **tx).await?.rows_affected();
        }
        if added > 0 {
            self.announce(tx, Work::Deliver).await?;
        }
        Ok(added)
    }

    /// Up to `limit` revocations not yet delivered to Redis, oldest first.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn undelivered_revocations(&self, limit: i64) -> Result<Vec<Revocation>, Error> {
        let oldest = "SELECT token_id, reason, revoked_at, until_at FROM revocations \
                      WHERE published_at IS NULL ORDER BY revoked_at, token_id LIMIT $1";
        let rows: Vec<RevocationRow> = match self.engine() {
            // One JSON value on SQLite, where a designation's hundred
            // thousand cost more as rows than the rest of their delivery
            // (`sql::json_rows`); PostgreSQL's driver reads rows cheaply, and
            // building the JSON on its server made the path slower there.
            Engine::Sqlite => {
                let rows = json_rows(Engine::Sqlite, REVOCATION_COLUMNS);
                let text: Option<String> =
                    sqlx::query_scalar(&format!("SELECT {rows} FROM ({oldest}) r"))
                        .bind(limit)
                        .fetch_one(self.pool())
                        .await?;
                let mut rows: Vec<RevocationRow> = from_json_rows(text, "a revocation as stored")?;
                // An aggregate need not keep its input's order: restore it.
                rows.sort_unstable_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
                rows
            }
            Engine::Postgres => {
                sqlx::query_as(oldest)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.into_iter().map(revocation).collect()
    }

    /// Marks `delivered` as published to Redis at `now`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn mark_delivered(
        &self,
        delivered: &[Revocation],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        for chunk in delivered.chunks(REVOCATIONS_PER_STATEMENT) {
            let mut update =
                SqlBuilder::new(self.engine(), "UPDATE revocations SET published_at = ");
            update.push_bind(to_db(now)).push(" WHERE token_id IN (");
            let mut ids = update.separated(", ");
            for r in chunk {
                ids.push_bind(r.token_id.to_string());
            }
            update.push(")");
            update.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every revocation of a code that has not yet expired at `now`.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn revocations_in_force(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<Revocation>, Error> {
        let mut conn = self.pool().acquire().await?;
        REVOCATIONS_IN_FORCE
            .read(&mut conn, self.engine(), now, ROWS_PER_PAGE)
            .await
    }

    /// Every code in force at `now` and every revocation in force, read in
    /// one state of the database: what a filtered snapshot is made of, in
    /// pages of [`ROWS_PER_PAGE`] (see `InForce`).
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn codes_and_revocations_in_force(
        &self,
        now: OffsetDateTime,
    ) -> Result<(Vec<IssuedCode>, Vec<Revocation>), Error> {
        self.codes_and_revocations_in_force_by(now, ROWS_PER_PAGE)
            .await
    }

    /// [`Store::codes_and_revocations_in_force`] in pages of `page` rows
    /// (on SQLite; PostgreSQL streams them, see `InForce::read`).
    pub(crate) async fn codes_and_revocations_in_force_by(
        &self,
        now: OffsetDateTime,
        page: i64,
    ) -> Result<(Vec<IssuedCode>, Vec<Revocation>), Error> {
        let mut tx = self.snapshot().await?;
        let codes = CODES_IN_FORCE
            .read(&mut tx, self.engine(), now, page)
            .await?;
        let revocations = REVOCATIONS_IN_FORCE
            .read(&mut tx, self.engine(), now, page)
            .await?;
        tx.rollback().await?;
        Ok((codes, revocations))
    }

    /// The revocation of `token_id`, if it is revoked.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn revocation(&self, token_id: &TokenId) -> Result<Option<Revocation>, Error> {
        let row: Option<RevocationRow> = sqlx::query_as(
            "SELECT token_id, reason, revoked_at, until_at FROM revocations WHERE token_id = $1",
        )
        .bind(token_id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(revocation).transpose()
    }

    /// How many revocations wait for delivery to Redis.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn undelivered_count(&self) -> Result<i64, Error> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM revocations WHERE published_at IS NULL")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// The live codes (see [`Store::live_codes`]) that `sql` selects as
    /// `(token_id, account_id, colour, valid_until)` from codes `c`, where
    /// `{LIVE}` stands for "live at `$2`", `$1` is a batch and `$3`..`$4` a
    /// range of record starts.
    pub(crate) async fn live_codes_where(
        &self,
        sql: &str,
        batch: &str,
        now: OffsetDateTime,
        starts: (i64, i64),
    ) -> Result<Vec<LiveCode>, Error> {
        // One JSON value: a large designation's candidates number in the
        // hundred thousands (see `sql::json_rows`).
        let rows = json_rows(
            self.engine(),
            "live.token_id, live.account_id, live.colour, live.valid_until",
        );
        let sql = format!("SELECT {rows} FROM ({}) live", sql.replace("{LIVE}", LIVE));
        let text: Option<String> = sqlx::query_scalar(&sql)
            .bind(batch)
            .bind(to_db(now))
            .bind(starts.0)
            .bind(starts.1)
            .fetch_one(self.pool())
            .await?;
        from_json_rows::<LiveRow>(text, "a code as stored")?
            .into_iter()
            .map(live_code)
            .collect()
    }
}

/// A revocation of `code` for `reason` at `now`, until the code expires.
pub fn revocation_of(code: &LiveCode, reason: RevocationReason, now: OffsetDateTime) -> Revocation {
    Revocation {
        token_id: code.token_id,
        reason,
        revoked_at: now,
        until: code.valid_until,
    }
}
