//! What is held about one resident, as they may download it: the account
//! with its personal fields opened, the visits and codes still held, the
//! health records in force about their document, and the audit entries
//! about their account or document. Staff are named by role, not by name:
//! the resident learns who looked, the staff member is not exposed.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    Error,
    model::Actor,
    store::{Store, accounts::Account, audit::AuditEntry, codes::StoredCode, visits::StoredVisit},
};

/// At most this many audit entries in one export; a resident's account
/// gathers a few dozen in its life.
const MAX_AUDIT_ENTRIES: i64 = 10_000;

/// Everything held about one resident.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldData {
    /// When this export was made (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: OffsetDateTime,
    /// The account and the application it came from.
    pub account: HeldAccount,
    /// The visit records held, oldest first; each is deleted 31 days after its check-in.
    pub visits: Vec<StoredVisit>,
    /// The codes held, newest first.
    pub codes: Vec<HeldCode>,
    /// The health authority's statuses in force about the document.
    pub statuses: Vec<HeldStatus>,
    /// The arrivals in force about the document.
    pub arrivals: Vec<HeldArrival>,
    /// The appeals lodged, newest first, with their decisions (evidence
    /// files are not repeated here: they are the resident's own).
    pub appeals: Vec<HeldAppeal>,
    /// What was done with the account or the document, oldest first.
    pub audit: Vec<HeldAuditEntry>,
}

/// The account, its personal fields opened.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldAccount {
    /// The application reference.
    pub reference: String,
    /// `review`, `letter`, `post_office`, `pin_sent`, `active`, `refused`, `superseded`.
    pub status: String,
    /// How the address was verified: `housing`, `proof`, `letter`, `post_office`, `refused`.
    pub route: String,
    /// `HKID`, `PERMIT`, `PASSPORT-GBR`, ...
    pub document_type: String,
    /// The document number as given.
    pub id_document: String,
    /// The document's date of issue.
    pub date_of_issue: String,
    /// The name as given.
    pub name: String,
    /// The verified mobile phone.
    pub phone: String,
    /// The residential address as given.
    pub address: String,
    /// The language of SMS and letters.
    pub language: String,
    /// The public-housing block matched to the address, if any.
    pub building_id: Option<String>,
    /// When the application was made (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: OffsetDateTime,
}

/// A code issued to the resident.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldCode {
    /// The code's serial (24 hex digits).
    pub token_id: String,
    /// `green`, `amber` or `red`.
    pub colour: String,
    /// The reasons for an amber or red code.
    pub reasons: Vec<String>,
    /// When it was issued (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    /// When it stops being valid (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub valid_until: OffsetDateTime,
    /// Why and when it was revoked, if it was.
    pub revoked: Option<HeldRevocation>,
}

/// A code's revocation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldRevocation {
    /// `superseded`, `risk_changed`, ...
    pub reason: String,
    /// When (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// A status from the health authority.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldStatus {
    /// `confirmed_case`, `close_contact`, ...
    pub kind: String,
    /// When it starts (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// When it ends (UTC); absent while ongoing.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end: Option<OffsetDateTime>,
}

/// An arrival into Hong Kong recorded by immigration.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldArrival {
    /// When (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub arrived_at: OffsetDateTime,
    /// `mainland`, `macao`, `taiwan`, `overseas`.
    pub origin: String,
    /// `return2hk`, `come2hk`, if any.
    pub scheme: Option<String>,
    /// `completed`, `exempted`, `ongoing`, `none`.
    pub quarantine: String,
}

/// An appeal and its decision.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldAppeal {
    /// The reference.
    pub reference: String,
    /// `status`, `designation`, `residence`, `arrival`.
    pub ground: String,
    /// `open`, `upheld`, `rejected`.
    pub state: String,
    /// What was said.
    pub statement: String,
    /// Whether evidence was attached.
    pub evidence: bool,
    /// When lodged (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub lodged_at: OffsetDateTime,
    /// When decided (UTC).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    /// The decision's reason.
    pub reason: Option<String>,
}

/// One audit entry about the account or its document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldAuditEntry {
    /// When (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `you`, `applicant` (someone registering or activating with the
    /// document), `staff`, `service`, `operator` or `reevaluation`.
    pub by: String,
    /// The staff member's role when `by` is `staff`.
    pub role: Option<String>,
    /// What was done, e.g. `application_viewed`.
    pub action: String,
}

impl HeldAuditEntry {
    /// Whether a staff member read the resident's personal data.
    #[must_use]
    pub fn is_staff_read(&self) -> bool {
        self.by == "staff" && self.action.ends_with("_viewed")
    }
}

/// Gathers what is held about `account_id` once `password` is its
/// password, and audits the export.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong password; [`Error::NotFound`] for
/// an account that does not exist; [`Error::Db`], [`Error::Undecryptable`],
/// [`Error::Corrupt`].
pub async fn held_data(
    store: &Store,
    account_id: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<HeldData, Error> {
    if !super::account::password_matches(store, account_id, password).await? {
        return Err(Error::BadCredentials);
    }
    let not_found = || Error::NotFound { what: "account" };
    let account = store
        .account(store.pool(), account_id)
        .await?
        .ok_or_else(not_found)?;
    let details = store.details_of(store.pool(), account_id).await?;
    let mut conn = store.pool().acquire().await?;
    let visits = store
        .visits_since(&mut conn, account_id, OffsetDateTime::UNIX_EPOCH)
        .await?;
    let person = [account.id_index.clone()];
    let statuses = store.statuses_of(&mut conn, &person).await?;
    let arrivals = store.arrivals_of(&mut conn, &person).await?;
    drop(conn);
    let audit = audit_trail(store, &account).await?;
    let held = HeldData {
        exported_at: now,
        account: HeldAccount {
            reference: account.id.clone(),
            status: account.status.as_str().to_owned(),
            route: account.route.as_str().to_owned(),
            document_type: account.doc_type,
            id_document: details.id_document,
            date_of_issue: details.date_of_issue,
            name: details.name,
            phone: details.phone,
            address: details.address,
            language: account.language.tag().to_owned(),
            building_id: account.building_id,
            registered_at: account.created_at,
        },
        visits,
        codes: store
            .codes_of(account_id)
            .await?
            .into_iter()
            .map(code)
            .collect(),
        statuses: statuses
            .into_iter()
            .map(|(_, s)| HeldStatus {
                kind: s.kind.as_str().to_owned(),
                start: s.start,
                end: s.end,
            })
            .collect(),
        arrivals: arrivals
            .into_iter()
            .map(|(_, a)| HeldArrival {
                arrived_at: a.at,
                origin: a.origin.as_str().to_owned(),
                scheme: a.scheme.map(|s| s.as_str().to_owned()),
                quarantine: a.quarantine.as_str().to_owned(),
            })
            .collect(),
        appeals: store
            .appeals_of(store.pool(), account_id)
            .await?
            .into_iter()
            .map(|a| HeldAppeal {
                reference: a.id,
                ground: a.ground.as_str().to_owned(),
                state: a.state.as_str().to_owned(),
                statement: a.statement,
                evidence: a.evidence.is_some(),
                lodged_at: a.lodged_at,
                decided_at: a.decided_at,
                reason: a.reason,
            })
            .collect(),
        audit,
    };
    let mut tx = store.write().await?;
    let actor = Actor::Resident(account_id.to_owned());
    let detail = serde_json::json!({});
    store
        .audit(&mut tx, now, &actor, "data_exported", account_id, &detail)
        .await?;
    tx.commit().await?;
    Ok(held)
}

/// The audit entries about `account` or its document, oldest first, as the
/// resident sees them.
///
/// # Errors
/// [`Error::Db`].
pub async fn audit_trail(store: &Store, account: &Account) -> Result<Vec<HeldAuditEntry>, Error> {
    let subjects = [account.id.clone(), account.id_index.clone()];
    let roles = store.staff_roles().await?;
    Ok(store
        .audit_about(&subjects, MAX_AUDIT_ENTRIES)
        .await?
        .into_iter()
        .map(|entry| audit_entry(entry, &account.id, &roles))
        .collect())
}

fn code(stored: StoredCode) -> HeldCode {
    HeldCode {
        token_id: stored.token_id.to_string(),
        colour: stored.colour.as_str().to_owned(),
        reasons: stored
            .reasons
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        issued_at: stored.issued_at,
        valid_until: stored.valid_until,
        revoked: stored.revocation.map(|r| HeldRevocation {
            reason: r.reason.as_str().to_owned(),
            at: r.revoked_at,
        }),
    }
}

/// The entry as the resident sees it: who by kind (and staff by role).
fn audit_entry(
    entry: AuditEntry,
    account_id: &str,
    roles: &HashMap<String, String>,
) -> HeldAuditEntry {
    let (by, role) = match entry.actor.split_once(':') {
        Some(("resident", id)) if id == account_id => ("you", None),
        Some(("staff", id)) => ("staff", roles.get(id).cloned()),
        Some(("reevaluation", _)) => ("reevaluation", None),
        _ => match entry.actor.as_str() {
            "system" => ("service", None),
            "cli" => ("operator", None),
            _ => ("applicant", None),
        },
    };
    HeldAuditEntry {
        at: entry.at,
        by: by.to_owned(),
        role,
        action: entry.action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(actor: &str) -> AuditEntry {
        AuditEntry {
            seq: 1,
            at: OffsetDateTime::UNIX_EPOCH,
            actor: actor.to_owned(),
            action: "application_viewed".to_owned(),
            subject: "acct".to_owned(),
            detail: "{}".to_owned(),
            hash: String::new(),
        }
    }

    #[test]
    fn staff_are_named_by_role_and_the_resident_as_you() {
        let roles = HashMap::from([("s1".to_owned(), "reviewer".to_owned())]);
        let seen = |actor: &str| {
            let e = audit_entry(entry(actor), "acct", &roles);
            let read = e.is_staff_read();
            (e.by, e.role, read)
        };
        assert_eq!(
            seen("staff:s1"),
            ("staff".into(), Some("reviewer".into()), true)
        );
        assert_eq!(seen("resident:acct"), ("you".into(), None, false));
        assert_eq!(seen("resident:other"), ("applicant".into(), None, false));
        assert_eq!(seen("system"), ("service".into(), None, false));
        assert_eq!(seen("cli"), ("operator".into(), None, false));
        assert_eq!(seen("applicant"), ("applicant".into(), None, false));
        assert_eq!(
            seen("reevaluation:r1"),
            ("reevaluation".into(), None, false)
        );
    }
}
