//! Staff members and their API tokens (stored only as keyed hashes).

use healthcode_keys::b64;
use rand::RngCore as _;
use time::OffsetDateTime;

use super::{Store, Tx, parse_name, to_db};
use crate::{
    Error,
    model::{Actor, Role, StaffMember},
};

/// The prefix of staff tokens, so a leaked one is easy to spot in a scan.
pub const STAFF_TOKEN_PREFIX: &str = "hcstaff_";

impl Store {
    /// Adds a staff member; returns the API token, shown this once.
    ///
    /// # Errors
    /// [`Error::StaffExists`] for a name in use, [`Error::Db`].
    pub async fn add_staff(
        &self,
        name: &str,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        self.add_staff_by(&Actor::Cli, name, role, now).await
    }

    /// [`Store::add_staff`] by `actor` (an administrator in the console).
    ///
    /// # Errors
    /// As `add_staff`.
    pub async fn add_staff_by(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        let token = self.new_staff_token();
        let id = self.new_id();
        let mut tx = self.write().await?;
        let taken: Option<String> = sqlx::query_scalar("SELECT id FROM staff WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(Error::StaffExists {
                name: name.to_owned(),
            });
        }
        sqlx::query(
            "INSERT INTO staff (id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(name)
        .bind(role.as_str())
        .bind(self.key().secret_hash("staff", "", &token))
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "name": name, "role": role.as_str() });
        self.audit(&mut tx, now, actor, "staff_added", &id, &detail)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Disables the staff member named `name`: their token stops working at
    /// once, on every instance that shares this database. Audited.
    ///
    /// # Errors
    /// [`Error::NotFound`] for no such enabled member; [`Error::Db`].
    pub async fn disable_staff(&self, name: &str, now: OffsetDateTime) -> Result<(), Error> {
        self.disable_staff_by(&Actor::Cli, name, now).await
    }

    /// [`Store::disable_staff`] by `actor`.
    ///
    /// # Errors
    /// As `disable_staff`.
    pub async fn disable_staff_by(
        &self,
        actor: &Actor,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE staff SET disabled_at = $1 WHERE name = $2 AND disabled_at IS NULL RETURNING id",
        )
        .bind(to_db(now))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        self.end_sessions_of(&mut tx, id.as_deref()).await?;
        self.audit_staff_change(tx, (actor, id), name, "staff_disabled", now)
            .await
    }

    /// Ends every console session of staff member `id`.
    async fn end_sessions_of(&self, tx: &mut Tx, id: Option<&str>) -> Result<(), Error> {
        sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Gives the staff member named `name` a new token; the old one stops
    /// working at once, and so do their console password, authenticator and
    /// sessions: they set up console sign-in again with the new token (the
    /// way back for a lost phone or a forgotten password). Returns the new
    /// token, shown this once. Audited.
    ///
    /// # Errors
    /// [`Error::NotFound`] for no such enabled member; [`Error::Db`].
    pub async fn rotate_staff_token(
        &self,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        self.rotate_staff_token_by(&Actor::Cli, name, now).await
    }

    /// [`Store::rotate_staff_token`] by `actor`.
    ///
    /// # Errors
    /// As `rotate_staff_token`.
    pub async fn rotate_staff_token_by(
        &self,
        actor: &Actor,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        let token = self.new_staff_token();
        let mut tx = self.write().await?;
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE staff SET token_hash = $1, password_hash = NULL, totp_secret_enc = NULL              WHERE name = $2 AND disabled_at IS NULL RETURNING id",
        )
        .bind(self.key().secret_hash("staff", "", &token))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        self.end_sessions_of(&mut tx, id.as_deref()).await?;
        self.audit_staff_change(tx, (actor, id), name, "staff_token_rotated", now)
            .await?;
        Ok(token)
    }

    /// Ends a change to the enabled staff member `name` whose row, if the
    /// change found one, is `id`: audits `action` and commits.
    async fn audit_staff_change(
        &self,
        mut tx: Tx,
        (actor, id): (&Actor, Option<String>),
        name: &str,
        action: &str,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let id = id.ok_or(Error::NotFound {
            what: "enabled staff member",
        })?;
        let detail = serde_json::json!({ "name": name });
        self.audit(&mut tx, now, actor, action, &id, &detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new random staff token.
    fn new_staff_token(&self) -> String {
        let mut bytes = [0u8; 32];
        self.with_rng(|rng| rng.fill_bytes(&mut bytes));
        format!("{STAFF_TOKEN_PREFIX}{}", b64::encode(&bytes))
    }

    /// Allows `staff` to do `action` if their role is one of `roles`. The one
    /// role check of the system, for the API and the command line alike: a
    /// refusal is written to the audit log.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Db`].
    pub async fn authorize(
        &self,
        staff: &StaffMember,
        roles: &'static [Role],
        action: &str,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        if roles.contains(&staff.role) {
            return Ok(());
        }
        let detail = serde_json::json!({ "action": action, "role": staff.role.as_str() });
        let mut tx = self.write().await?;
        self.audit(
            &mut tx,
            now,
            &staff.actor(),
            "access_denied",
            action,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Err(Error::Forbidden {
            role: staff.role,
            needed: roles,
        })
    }

    /// Writes `action` on `subject` by `staff` to the audit log, alone in its
    /// transaction (a read of personal data, say).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit_staff(
        &self,
        staff: &StaffMember,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        self.audit(&mut tx, now, &staff.actor(), action, subject, detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The staff member named `name`, unless disabled.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn staff_by_name(&self, name: &str) -> Result<Option<StaffMember>, Error> {
        self.staff_where("name", name).await
    }

    /// The staff member holding `token`, unless disabled.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn staff_for_token(&self, token: &str) -> Result<Option<StaffMember>, Error> {
        let hash = self.key().secret_hash("staff", "", token);
        self.staff_where("token_hash", &hash).await
    }

    /// The staff member whose `column` (a unique one) is `value`, unless disabled.
    async fn staff_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<StaffMember>, Error> {
        let sql =
            format!("SELECT id, name, role FROM staff WHERE {column} = $1 AND disabled_at IS NULL");
        let row: Option<(String, String, String)> = sqlx::query_as(&sql)
            .bind(value)
            .fetch_optional(self.pool())
            .await?;
        row.map(|(id, name, role)| {
            Ok(StaffMember {
                id,
                name,
                role: parse_name(&role)?,
            })
        })
        .transpose()
    }
}
