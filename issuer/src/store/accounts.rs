//! Applications and accounts, their address proofs, and the public housing
//! resident database they are matched against.

use serde::Serialize;
use sqlx::{AnyExecutor, FromRow};
use time::OffsetDateTime;

use super::{
    Store, Tx,
    engine::Flag,
    from_db, parse_name,
    sql::{SqlBuilder, from_json_rows, json_rows},
    to_db,
};
use crate::{
    Error,
    model::{
        AccountStatus, Lang, RegisterCheck, Route, application::Application, proof::ProofType,
    },
};

/// Register rows per `INSERT` (two values each: far under SQLite's 32,766).
const REGISTER_ROWS_PER_STATEMENT: usize = 1000;

/// An account's non-personal fields: what routing and activation decide on.
#[derive(Debug, Clone)]
pub struct Account {
    /// The reference.
    pub id: String,
    /// The blind index of the document.
    pub id_index: String,
    /// The blind index of document and date of issue.
    pub issue_index: String,
    /// The document type (`HKID`, `PERMIT` ...).
    pub doc_type: String,
    /// How it is verified.
    pub route: Route,
    /// Where it stands.
    pub status: AccountStatus,
    /// 0 for proof or public housing, 1 for the others.
    pub priority: i64,
    /// The argon2id hash, once activated.
    pub password_hash: Option<String>,
    /// The place id of the residential building, when the address was matched.
    pub building_id: Option<String>,
    /// Whether the register of identity cards had its details.
    pub register_check: RegisterCheck,
    /// When it was received.
    pub created_at: OffsetDateTime,
    /// The language of the holder's SMS and letters.
    pub language: Lang,
}

/// A tenant as the public housing database has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HousingRecord {
    /// Their block.
    pub building_id: String,
    /// The phone the Housing Authority holds for them (E.164), if any.
    pub phone: Option<String>,
}

/// A row of the housing database as it is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HousingRow {
    /// The blind index of document and address.
    pub match_index: String,
    /// The block.
    pub building_id: String,
    /// The tenancy record's phone (E.164), if any.
    pub phone: Option<String>,
}

#[derive(FromRow, serde::Deserialize)]
struct AccountRow {
    id: String,
    id_index: String,
    issue_index: String,
    doc_type: String,
    route: String,
    status: String,
    priority: i64,
    password_hash: Option<String>,
    building_id: Option<String>,
    register_check: String,
    created_at: i64,
    language: String,
}

impl TryFrom<AccountRow> for Account {
    type Error = Error;

    fn try_from(row: AccountRow) -> Result<Self, Error> {
        Ok(Account {
            route: parse_name(&row.route)?,
            status: parse_name(&row.status)?,
            register_check: parse_name(&row.register_check)?,
            id: row.id,
            id_index: row.id_index,
            issue_index: row.issue_index,
            doc_type: row.doc_type,
            priority: row.priority,
            password_hash: row.password_hash,
            building_id: row.building_id,
            created_at: from_db(row.created_at)?,
            language: Lang::from_tag(&row.language).ok_or_else(|| Error::Corrupt {
                what: "an account's language",
                value: row.language.clone(),
            })?,
        })
    }
}

#[derive(FromRow)]
struct QueueRow {
    #[sqlx(flatten)]
    account: AccountRow,
    has_proof: Flag,
}

const ACCOUNT_COLUMNS: &str = "id, id_index, issue_index, doc_type, route, status, priority, \
     password_hash, building_id, register_check, created_at, language";

/// The personal fields of an account, decrypted, for the staff who need them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Details {
    /// The name.
    pub name: String,
    /// `TYPE:NUMBER`.
    pub id_document: String,
    /// `YYYY-MM-DD`.
    pub date_of_issue: String,
    /// E.164.
    pub phone: String,
    /// The address.
    pub address: String,
}

/// What a new row holds besides the application.
#[derive(Debug)]
pub struct NewAccount<'a> {
    /// The reference.
    pub id: &'a str,
    /// The checked application.
    pub application: &'a Application,
    /// The blind index of the document.
    pub id_index: &'a str,
    /// The blind index of document and date of issue.
    pub issue_index: &'a str,
    /// How it will be verified.
    pub route: Route,
    /// Where it starts.
    pub status: AccountStatus,
    /// Queue priority.
    pub priority: i64,
    /// The public housing block, when matched.
    pub building_id: Option<&'a str>,
    /// Whether the register of identity cards had the details.
    pub register_check: RegisterCheck,
}

impl Store {
    /// The blind index that finds every application of `document`, and the
    /// health records about its holder.
    pub fn document_index(&self, document: &healthcode_keys::IdDocument) -> String {
        self.key().blind_index("document", document.normalised())
    }

    /// Inserts an application with its personal fields sealed, and its proof.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn insert_account(
        &self,
        tx: &mut Tx,
        new: &NewAccount<'_>,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let (key, id, app) = (self.key(), new.id, new.application);
        let date = app.date_of_issue.to_string();
        sqlx::query(
            "INSERT INTO accounts (id, id_index, issue_index, doc_type, name_enc, id_document_enc, \
             date_of_issue_enc, phone_enc, address_enc, route, status, priority, building_id, \
             register_check, created_at, updated_at, language) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)",
        )
        .bind(id)
        .bind(new.id_index)
        .bind(new.issue_index)
        .bind(app.document.doc_type())
        .bind(key.seal("accounts.name", id, app.name.as_bytes()))
        .bind(key.seal(
            "accounts.id_document",
            id,
            app.document.normalised().as_bytes(),
        ))
        .bind(key.seal("accounts.date_of_issue", id, date.as_bytes()))
        .bind(key.seal("accounts.phone", id, app.phone.e164().as_bytes()))
        .bind(key.seal("accounts.address", id, app.address.as_bytes()))
        .bind(new.route.as_str())
        .bind(new.status.as_str())
        .bind(new.priority)
        .bind(new.building_id)
        .bind(new.register_check.as_str())
        .bind(to_db(now))
        .bind(app.language.tag())
        .execute(&mut **tx)
        .await?;
        if let Some(proof) = &app.proof {
            sqlx::query(
                "INSERT INTO proofs (account_id, media_type, size, content_enc, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(proof.kind.media_type())
            .bind(proof.bytes.len() as i64)
            .bind(key.seal("proofs.content", id, &proof.bytes))
            .bind(to_db(now))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The account with reference `id`.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn account<'e>(
        &self,
        executor: impl AnyExecutor<'e>,
        id: &str,
    ) -> Result<Option<Account>, Error> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        sqlx::query_as::<_, AccountRow>(&sql)
            .bind(id)
            .fetch_optional(executor)
            .await?
            .map(Account::try_from)
            .transpose()
    }

    /// The active accounts among `ids`, in no particular order.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn active_accounts(
        &self,
        conn: &mut sqlx::AnyConnection,
        ids: &[String],
    ) -> Result<Vec<Account>, Error> {
        // By id alone, the status checked here: with `status = 'active'` in
        // the WHERE, SQLite searches the review queue's index (status first)
        // and reads every active account for each group, 0.73 ms a resident
        // at a million instead of 0.07 (docs/scale.md). One JSON value, not
        // a row per account: a re-evaluation reads them by the hundred.
        let rows = json_rows(self.engine(), ACCOUNT_COLUMNS);
        let mut query = SqlBuilder::new(
            self.engine(),
            format!("SELECT {rows} FROM accounts WHERE id IN "),
        );
        super::push_list(&mut query, ids);
        let text: Option<String> = query.build_query_scalar().fetch_one(conn).await?;
        from_json_rows::<AccountRow>(text, "an account as stored")?
            .into_iter()
            .map(Account::try_from)
            .filter(|a| !matches!(a, Ok(a) if a.status != AccountStatus::Active))
            .collect()
    }

    /// The live applications and the account of the document with blind
    /// index `id_index`. Refused and superseded ones are history: leaving them
    /// out keeps this small however often a document is tried, and keeps a
    /// refused registration as fast as a new one.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn accounts_for_document<'e>(
        &self,
        executor: impl AnyExecutor<'e>,
        id_index: &str,
    ) -> Result<Vec<Account>, Error> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id_index = $1 \
             AND status NOT IN ('refused', 'superseded') ORDER BY created_at, id"
        );
        sqlx::query_as::<_, AccountRow>(&sql)
            .bind(id_index)
            .fetch_all(executor)
            .await?
            .into_iter()
            .map(Account::try_from)
            .collect()
    }

    /// Moves an account to `status`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn set_status(
        &self,
        tx: &mut Tx,
        id: &str,
        status: AccountStatus,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        // Leaving review is the reviewer's decision: it starts the proof's
        // appeal window (the right-hand side reads the old status).
        sqlx::query(
            "UPDATE accounts SET status = $1, updated_at = $2, decided_at = CASE \
             WHEN status = 'review' AND $1 <> 'review' THEN $2 ELSE decided_at END WHERE id = $3",
        )
        .bind(status.as_str())
        .bind(to_db(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Closes account `id` at its holder's request: see [`Store::erase_account`].
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn close_account(
        &self,
        tx: &mut Tx,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<u64, Error> {
        self.erase_account(tx, id, Some(AccountStatus::Closed), now)
            .await
    }

    /// Erases account `id` (and sets its status to `status`, if given): the
    /// personal fields are sealed again as empty text, the password and
    /// phone change dropped; its visits, proof, PINs, sign-in codes,
    /// sessions and unexported letters are deleted. Codes, revocations and
    /// the audit log stay (they hold no personal data). Returns the rows
    /// deleted.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn erase_account(
        &self,
        tx: &mut Tx,
        id: &str,
        status: Option<AccountStatus>,
        now: OffsetDateTime,
    ) -> Result<u64, Error> {
        let key = self.key();
        let empty = |field: &str| key.seal(field, id, b"");
        sqlx::query(
            "UPDATE accounts SET status = COALESCE($1, status), updated_at = $2, erased_at = $2, \
             name_enc = $3, id_document_enc = $4, date_of_issue_enc = $5, phone_enc = $6, \
             address_enc = $7, password_hash = NULL, new_phone_enc = NULL, building_id = NULL \
             WHERE id = $8",
        )
        .bind(status.map(AccountStatus::as_str))
        .bind(to_db(now))
        .bind(empty("accounts.name"))
        .bind(empty("accounts.id_document"))
        .bind(empty("accounts.date_of_issue"))
        .bind(empty("accounts.phone"))
        .bind(empty("accounts.address"))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        let mut deleted = 0;
        for sql in [
            "DELETE FROM visits WHERE account_id = $1",
            "DELETE FROM proofs WHERE account_id = $1",
            "DELETE FROM appeals WHERE account_id = $1",
            "DELETE FROM pins WHERE account_id = $1",
            "DELETE FROM sign_in_codes WHERE account_id = $1",
            "DELETE FROM sessions WHERE account_id = $1",
            "DELETE FROM letters WHERE account_id = $1 AND exported_at IS NULL",
        ] {
            deleted += sqlx::query(sql)
                .bind(id)
                .execute(&mut **tx)
                .await?
                .rows_affected();
        }
        Ok(deleted)
    }

    /// Activates `account` with its password hash and supersedes every other
    /// pending application for the same document.
    ///
    /// # Errors
    /// [`Error::Db`], including the unique-index error if another
    /// application of the document became active meanwhile.
    pub async fn activate_account(
        &self,
        tx: &mut Tx,
        account: &Account,
        password_hash: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        // History stays history: a closed or superseded account is not touched.
        sqlx::query(
            "UPDATE accounts SET status = 'superseded', updated_at = $1 \
             WHERE id_index = $2 AND id <> $3 \
             AND status NOT IN ('active', 'refused', 'closed', 'superseded')",
        )
        .bind(to_db(now))
        .bind(&account.id_index)
        .bind(&account.id)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE accounts SET status = 'active', password_hash = $1, activated_at = $2, \
             updated_at = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(to_db(now))
        .bind(&account.id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Account `id`, which must stand at `expected`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::WrongStatus`] for another status; [`Error::Db`].
    pub async fn account_in<'e>(
        &self,
        executor: impl AnyExecutor<'e>,
        id: &str,
        expected: AccountStatus,
    ) -> Result<Account, Error> {
        let account = self.account(executor, id).await?.ok_or(Error::NotFound {
            what: "application",
        })?;
        if account.status != expected {
            return Err(Error::WrongStatus {
                status: account.status,
                expected,
            });
        }
        Ok(account)
    }

    /// The language of `id`'s SMS and letters.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Corrupt`], [`Error::Db`].
    pub async fn language_of<'e>(
        &self,
        executor: impl AnyExecutor<'e>,
        id: &str,
    ) -> Result<Lang, Error> {
        let tag: Option<String> = sqlx::query_scalar("SELECT language FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(executor)
            .await?;
        let tag = tag.ok_or(Error::NotFound { what: "account" })?;
        Lang::from_tag(&tag).ok_or(Error::Corrupt {
            what: "an account's language",
            value: tag,
        })
    }

    /// Sets the language of `id`'s SMS and letters.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn set_language(
        &self,
        tx: &mut Tx,
        id: &str,
        language: Lang,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE accounts SET language = $1, updated_at = $2 WHERE id = $3")
            .bind(language.tag())
            .bind(to_db(now))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Replaces the password hash of an active account.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn set_password_hash(
        &self,
        tx: &mut Tx,
        id: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3 AND status = 'active'",
        )
        .bind(password_hash)
        .bind(to_db(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Keeps `phone` (E.164) sealed beside the account until its PIN confirms it.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn set_new_phone(&self, tx: &mut Tx, id: &str, phone: &str) -> Result<(), Error> {
        sqlx::query("UPDATE accounts SET new_phone_enc = $1 WHERE id = $2")
            .bind(self.key().seal("accounts.new_phone", id, phone.as_bytes()))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Makes the waiting new phone the account's phone; the new number, or
    /// `None` when none was waiting.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`].
    pub async fn confirm_new_phone(
        &self,
        tx: &mut Tx,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        let sealed: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT new_phone_enc FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(sealed) = sealed.flatten() else {
            return Ok(None);
        };
        let key = self.key();
        let phone = key.open_text("accounts.new_phone", id, &sealed)?;
        sqlx::query(
            "UPDATE accounts SET phone_enc = $1, new_phone_enc = NULL, updated_at = $2 WHERE id = $3",
        )
        .bind(key.seal("accounts.phone", id, phone.as_bytes()))
        .bind(to_db(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(Some(phone))
    }

    /// The applications waiting for a reviewer, proof and housing first, then oldest first.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn review_queue(&self, limit: i64) -> Result<Vec<(Account, bool)>, Error> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, EXISTS (SELECT 1 FROM proofs p WHERE p.account_id = a.id) AS has_proof \
             FROM accounts a WHERE status = 'review' ORDER BY priority, created_at, id LIMIT $1"
        );
        let rows = sqlx::query_as::<_, QueueRow>(&sql)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter()
            .map(|row| Ok((Account::try_from(row.account)?, row.has_proof.0)))
            .collect()
    }

    /// The personal fields of account `id`, decrypted.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`].
    pub async fn account_details<'e>(
        &self,
        executor: impl AnyExecutor<'e>,
        id: &str,
    ) -> Result<Option<Details>, Error> {
        type Sealed = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);
        let row: Option<Sealed> = sqlx::query_as(
            "SELECT name_enc, id_document_enc, date_of_issue_enc, phone_enc, address_enc \
             FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(executor)
        .await?;
        let Some((name, document, date, phone, address)) = row else {
            return Ok(None);
        };
        let key = self.key();
        Ok(Some(Details {
            name: key.open_text("accounts.name", id, &name)?,
            id_document: key.open_text("accounts.id_document", id, &document)?,
            date_of_issue: key.open_text("accounts.date_of_issue", id, &date)?,
            phone: key.open_text("accounts.phone", id, &phone)?,
            address: key.open_text("accounts.address", id, &address)?,
        }))
    }

    /// [`Store::account_details`] of an account that must exist.
    ///
    /// # Errors
    /// [`Error::NotFound`], and as `account_details`.
    pub async fn details_of<'e>(
        &self,
        executor: impl AnyExecutor<'e>,
        id: &str,
    ) -> Result<Details, Error> {
        self.account_details(executor, id)
            .await?
            .ok_or(Error::NotFound {
                what: "application",
            })
    }

    /// The type of an application's proof, without opening it.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`] for a type we never store.
    pub async fn proof_type(&self, id: &str) -> Result<Option<ProofType>, Error> {
        let media_type: Option<String> =
            sqlx::query_scalar("SELECT media_type FROM proofs WHERE account_id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        media_type
            .map(|t| {
                ProofType::from_media_type(&t).ok_or(Error::Corrupt {
                    what: "proof media type",
                    value: t,
                })
            })
            .transpose()
    }

    /// The address proof of account `id`, decrypted.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Undecryptable`], [`Error::Corrupt`].
    pub async fn proof(&self, id: &str) -> Result<Option<(ProofType, Vec<u8>)>, Error> {
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT media_type, content_enc FROM proofs WHERE account_id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let Some((media_type, sealed)) = row else {
            return Ok(None);
        };
        let kind = ProofType::from_media_type(&media_type).ok_or_else(|| Error::Corrupt {
            what: "proof media type",
            value: media_type,
        })?;
        let bytes = self.key().open("proofs.content", id, &sealed)?;
        Ok(Some((kind, bytes.to_vec())))
    }

    /// The public housing block of the resident whose document and address
    /// give `match_index`, if the housing database lists them.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn housing_match(
        &self,
        tx: &mut Tx,
        match_index: &str,
    ) -> Result<Option<HousingRecord>, Error> {
        let row: Option<(String, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT building_id, phone_enc FROM housing_residents WHERE match_index = $1",
        )
        .bind(match_index)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((building_id, phone)) = row else {
            return Ok(None);
        };
        let phone = phone
            .map(|sealed| {
                self.key()
                    .open_text("housing_residents.phone", match_index, &sealed)
            })
            .transpose()?;
        Ok(Some(HousingRecord { building_id, phone }))
    }

    /// Whether the register of identity cards is loaded, and if so whether
    /// it has `entry_index` (document, date of issue and name).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn register_check(
        &self,
        tx: &mut Tx,
        entry_index: &str,
    ) -> Result<RegisterCheck, Error> {
        let (Flag(loaded), Flag(found)): (Flag, Flag) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM id_register), \
             EXISTS (SELECT 1 FROM id_register WHERE entry_index = $1)",
        )
        .bind(entry_index)
        .fetch_one(&mut **tx)
        .await?;
        Ok(match (loaded, found) {
            (_, true) => RegisterCheck::Matched,
            (true, false) => RegisterCheck::Mismatched,
            (false, false) => RegisterCheck::Unchecked,
        })
    }

    /// Replaces the register of identity cards with `entries` (blind indexes),
    /// a thousand rows to an `INSERT`.
    ///
    /// # Errors
    /// [`Error::Db`]; on error nothing changes.
    pub async fn replace_register(
        &self,
        entries: &[String],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM id_register")
            .execute(&mut *tx)
            .await?;
        for chunk in entries.chunks(REGISTER_ROWS_PER_STATEMENT) {
            let mut insert = SqlBuilder::new(
                self.engine(),
                "INSERT INTO id_register (entry_index, imported_at) ",
            );
            insert.push_values(chunk, |mut row, entry| {
                row.push_bind(entry).push_bind(to_db(now));
            });
            insert.push(" ON CONFLICT (entry_index) DO NOTHING");
            insert.build().execute(&mut *tx).await?;
        }
        let detail = serde_json::json!({ "entries": entries.len() });
        self.audit(
            &mut tx,
            now,
            &crate::model::Actor::Cli,
            "id_register_imported",
            "id_register",
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the housing database with `rows` of (match index, building id).
    ///
    /// # Errors
    /// [`Error::Db`]; on error nothing changes.
    pub async fn replace_housing(
        &self,
        rows: &[HousingRow],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM housing_residents")
            .execute(&mut *tx)
            .await?;
        for row in rows {
            let phone = row.phone.as_ref().map(|phone| {
                self.key().seal(
                    "housing_residents.phone",
                    &row.match_index,
                    phone.as_bytes(),
                )
            });
            sqlx::query(
                "INSERT INTO housing_residents (match_index, building_id, phone_enc, imported_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (match_index) DO UPDATE SET \
                 building_id = excluded.building_id, phone_enc = excluded.phone_enc",
            )
            .bind(&row.match_index)
            .bind(&row.building_id)
            .bind(phone)
            .bind(to_db(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::store::test_support::active_resident;

    const NOW: OffsetDateTime = datetime!(2022-12-10 02:00 UTC);

    #[tokio::test]
    async fn active_accounts_leaves_out_closed_and_unknown_ones() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let open = active_resident(&store, "HKID:A1234563", "bldg-1", NOW).await?;
        let closed = active_resident(&store, "HKID:B1234566", "bldg-1", NOW).await?;
        let mut tx = store.write().await?;
        store.close_account(&mut tx, &closed.id, NOW).await?;
        tx.commit().await?;
        let mut conn = store.pool().acquire().await?;
        let ids = [
            open.id.clone(),
            closed.id.clone(),
            "no-such-account".to_owned(),
        ];
        let found = store.active_accounts(&mut conn, &ids).await?;
        let found: Vec<&str> = found.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(found, [open.id.as_str()]);
        Ok(())
    }
}
