//! Staff credentials for the web consoles (a password hash and a sealed
//! TOTP secret) and console sessions (random tokens stored as keyed hashes).
//! The checks themselves are in the `staff_access` workflow.

use healthcode_keys::b64;
use rand::RngCore as _;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::{Store, Tx, engine::Flag, from_db, parse_name, to_db};
use crate::{
    Error,
    model::{Actor, StaffMember},
};

/// How long a console session lasts: a working shift.
pub const STAFF_SESSION_LIFETIME: Duration = Duration::hours(8);

/// What the console sign-in checks, of an enabled staff member.
pub struct StaffCredentials {
    /// Who.
    pub member: StaffMember,
    /// The keyed hash of the set-up (API) token.
    pub token_hash: String,
    /// The argon2id hash, once set up.
    pub password_hash: Option<String>,
    /// The TOTP secret, once a set-up began.
    pub totp_secret: Option<Zeroizing<Vec<u8>>>,
    /// The last TOTP step used; a code of this step or an earlier one is refused.
    pub last_step: i64,
}

impl std::fmt::Debug for StaffCredentials {
    /// Names the member; never the hashes or the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StaffCredentials({})", self.member.name)
    }
}

/// A staff member as the administrators' list shows them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffListing {
    /// The name.
    pub name: String,
    /// The role.
    pub role: crate::model::Role,
    /// Whether console sign-in is set up.
    pub signs_in: bool,
    /// When added (UTC).
    pub created_at: OffsetDateTime,
    /// When disabled, if so (UTC).
    pub disabled_at: Option<OffsetDateTime>,
}

type CredentialRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<Vec<u8>>,
    i64,
);

impl Store {
    /// The console credentials of the enabled staff member named `name`.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`], [`Error::Undecryptable`].
    pub async fn staff_credentials(&self, name: &str) -> Result<Option<StaffCredentials>, Error> {
        let row: Option<CredentialRow> = sqlx::query_as(
            "SELECT id, name, role, token_hash, password_hash, totp_secret_enc, totp_last_step \
             FROM staff WHERE name = $1 AND disabled_at IS NULL",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        let Some((id, name, role, token_hash, password_hash, sealed, last_step)) = row else {
            return Ok(None);
        };
        let totp_secret = sealed
            .map(|s| self.key().open("staff.totp_secret", &id, &s))
            .transpose()?;
        Ok(Some(StaffCredentials {
            member: StaffMember {
                id,
                name,
                role: parse_name(&role)?,
            },
            token_hash,
            password_hash,
            totp_secret,
            last_step,
        }))
    }

    /// Keeps `secret` (sealed) as the TOTP secret of staff member `id`, who
    /// has not finished setting up, replacing any earlier one.
    ///
    /// # Errors
    /// [`Error::BadCredentials`] when the member is disabled or set up; [`Error::Db`].
    pub async fn begin_staff_setup(&self, id: &str, secret: &[u8]) -> Result<(), Error> {
        let sealed = self.key().seal("staff.totp_secret", id, secret);
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE staff SET totp_secret_enc = $1 \
             WHERE id = $2 AND password_hash IS NULL AND disabled_at IS NULL",
        )
        .bind(sealed)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::BadCredentials);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the password hash of `member`, who proved the TOTP secret with a
    /// code of `step`, and starts a session. Audited.
    ///
    /// # Errors
    /// [`Error::BadCredentials`] when the member was set up or disabled
    /// meanwhile; [`Error::Db`].
    pub async fn finish_staff_setup(
        &self,
        member: &StaffMember,
        password_hash: &str,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<(String, OffsetDateTime), Error> {
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE staff SET password_hash = $1, totp_last_step = $2 \
             WHERE id = $3 AND password_hash IS NULL AND totp_secret_enc IS NOT NULL \
             AND disabled_at IS NULL",
        )
        .bind(password_hash)
        .bind(step)
        .bind(&member.id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::BadCredentials);
        }
        self.start_staff_session(tx, member, "staff_sign_in_set_up", now)
            .await
    }

    /// Records a sign-in of `member` with a code of `step` and starts a
    /// session. Audited. The step must be later than any used before, so a
    /// code seen over a shoulder or replayed works for nobody.
    ///
    /// # Errors
    /// [`Error::BadCredentials`] when the step was used or the member
    /// disabled meanwhile; [`Error::Db`].
    pub async fn staff_signed_in(
        &self,
        member: &StaffMember,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<(String, OffsetDateTime), Error> {
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE staff SET totp_last_step = $1 \
             WHERE id = $2 AND totp_last_step < $1 AND password_hash IS NOT NULL \
             AND disabled_at IS NULL",
        )
        .bind(step)
        .bind(&member.id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::BadCredentials);
        }
        self.start_staff_session(tx, member, "staff_signed_in", now)
            .await
    }

    async fn start_staff_session(
        &self,
        mut tx: Tx,
        member: &StaffMember,
        action: &str,
        now: OffsetDateTime,
    ) -> Result<(String, OffsetDateTime), Error> {
        let mut bytes = [0u8; 32];
        self.with_rng(|rng| rng.fill_bytes(&mut bytes));
        let token = b64::encode(&bytes);
        let expires_at = now + STAFF_SESSION_LIFETIME;
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at <= $1")
            .bind(to_db(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(self.key().secret_hash("staff_session", "", &token))
        .bind(&member.id)
        .bind(to_db(now))
        .bind(to_db(expires_at))
        .execute(&mut *tx)
        .await?;
        self.audit(
            &mut tx,
            now,
            &member.actor(),
            action,
            &member.id,
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok((token, expires_at))
    }

    /// Writes a refused console sign-in of `member` to the audit log.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn audit_staff_refused(
        &self,
        member: &StaffMember,
        action: &str,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let detail = serde_json::json!({ "name": member.name });
        self.audit(&mut tx, now, &Actor::Applicant, action, &member.id, &detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The enabled staff member of a live console session.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn staff_for_session(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffMember>, Error> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, s.role FROM staff_sessions x JOIN staff s ON s.id = x.staff_id \
             WHERE x.token_hash = $1 AND x.expires_at > $2 AND s.disabled_at IS NULL",
        )
        .bind(self.key().secret_hash("staff_session", "", token))
        .bind(to_db(now))
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

    /// Ends a console session.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn end_staff_session(&self, token: &str) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(self.key().secret_hash("staff_session", "", token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Each staff member's role by staff id, disabled ones included: the
    /// audit log names staff by id.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn staff_roles(&self) -> Result<std::collections::HashMap<String, String>, Error> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, role FROM staff")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Every staff member, enabled first, by name.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn list_staff(&self) -> Result<Vec<StaffListing>, Error> {
        let rows: Vec<(String, String, Flag, i64, Option<i64>)> = sqlx::query_as(
            "SELECT name, role, password_hash IS NOT NULL, created_at, disabled_at FROM staff \
             ORDER BY disabled_at IS NOT NULL, name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(name, role, signs_in, created_at, disabled_at)| {
                Ok(StaffListing {
                    name,
                    role: parse_name(&role)?,
                    signs_in: signs_in.0,
                    created_at: from_db(created_at)?,
                    disabled_at: disabled_at.map(from_db).transpose()?,
                })
            })
            .collect()
    }
}
