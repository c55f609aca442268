//! Staff members and their API tokens (stored only as keyed hashes).

use std::{fmt, str::FromStr};

use healthcode_keys::b64;
use rand::RngCore as _;
use serde::Serialize;
use time::OffsetDateTime;

use super::{Store, new_id, to_db};
use crate::Error;

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Role {
    /// Reviews address proofs: approves or rejects applications.
    Reviewer,
    /// Checks identity documents at a designated post office.
    PostOffice,
    /// Submits health records (statuses of persons, designations of places).
    HealthAuthority,
    /// Submits arrivals into Hong Kong (the Immigration Department).
    Immigration,
    /// Operates the system: reads the SMS outbox and the audit log.
    Admin,
}

impl Role {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::PostOffice => "post_office",
            Role::HealthAuthority => "health_authority",
            Role::Immigration => "immigration",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        [
            Role::Reviewer,
            Role::PostOffice,
            Role::HealthAuthority,
            Role::Immigration,
            Role::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
        .ok_or_else(|| Error::Corrupt {
            what: "staff role",
            value: text.to_owned(),
        })
    }
}

/// An authenticated staff member.
#[derive(Debug, Clone)]
pub struct StaffMember {
    /// The staff id (in the audit log).
    pub id: String,
    /// The name given at `staff add`.
    pub name: String,
    /// The role.
    pub role: Role,
}

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
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = format!("{STAFF_TOKEN_PREFIX}{}", b64::encode(&bytes));
        let id = new_id();
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
        self.audit(&mut tx, now, "cli", "staff_added", &id, &detail)
            .await?;
        tx.commit().await?;
        Ok(token)
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
                role: role.parse()?,
            })
        })
        .transpose()
    }
}
