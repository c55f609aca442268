//! Registration: store the application and start its verification route.
//!
//! The answer is the same whatever happens inside (a new application, a
//! re-application, a document that already has an account), and each case
//! does the same database work, so neither answers nor timing tell a caller
//! whether an ID number is registered.

use time::OffsetDateTime;

use super::{buildings::building_of, send_sms_pin};
use crate::{
    Error,
    model::{AccountStatus, Actor, Route, address::address_match_key, application::Application},
    store::{
        Store, Tx,
        accounts::{Account, NewAccount},
    },
};

/// The verification route chosen for an application, and what it sets off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The route.
    pub route: Route,
    /// The status it starts in.
    pub status: AccountStatus,
    /// 0 (proof or public housing) before 1 (the others).
    pub priority: i64,
    /// Pending applications of the same document whose date of issue differs:
    /// someone is wrong, so they all go to a reviewer.
    pub conflicts: Vec<String>,
}

/// Chooses the route, as the press release lays them out.
///
/// - A document with an active account: refused (the holder is told by SMS).
/// - Not an HKID card: a letter, then an identity check at a post office.
/// - Pending applications of the same document with another date of issue:
///   a reviewer decides, since a number may be being squatted.
/// - Listed in the public housing database: verified now, PIN by SMS.
/// - A proof: the review queue.
/// - Otherwise: a confirmation letter with a PIN.
pub fn plan(
    is_hkid: bool,
    has_proof: bool,
    housing_match: bool,
    issue_index: &str,
    existing: &[Account],
) -> Plan {
    let priority = if has_proof || housing_match { 0 } else { 1 };
    let plan = |route, status| Plan {
        route,
        status,
        priority,
        conflicts: Vec::new(),
    };
    if existing.iter().any(|a| a.status == AccountStatus::Active) {
        return plan(Route::Refused, AccountStatus::Refused);
    }
    if !is_hkid {
        return plan(Route::PostOffice, AccountStatus::PostOffice);
    }
    let conflicts: Vec<String> = existing
        .iter()
        .filter(|a| a.status.is_pending() && a.issue_index != issue_index)
        .map(|a| a.id.clone())
        .collect();
    if !conflicts.is_empty() {
        let route = if has_proof {
            Route::Proof
        } else {
            Route::Letter
        };
        return Plan {
            conflicts,
            ..plan(route, AccountStatus::Review)
        };
    }
    match (housing_match, has_proof) {
        (true, _) => plan(Route::Housing, AccountStatus::PinSent),
        (false, true) => plan(Route::Proof, AccountStatus::Review),
        (false, false) => plan(Route::Letter, AccountStatus::Letter),
    }
}

/// Stores `app` and starts its route; returns the application reference.
///
/// # Errors
/// [`Error::Db`]; on error nothing is stored.
pub async fn register(
    store: &Store,
    app: &Application,
    now: OffsetDateTime,
) -> Result<String, Error> {
    let key = store.key();
    let document = app.document.normalised();
    let id_index = store.document_index(&app.document);
    let issue_index = key.blind_index(
        "document+issue",
        &format!("{document}\n{}", app.date_of_issue),
    );
    let housing_index = key.blind_index(
        "housing",
        &format!("{document}\n{}", address_match_key(&app.address)),
    );
    let id = store.new_id();
    let mut tx = store.write().await?;
    let existing = store.accounts_for_document(&mut *tx, &id_index).await?;
    let building = store.housing_match(&mut tx, &housing_index).await?;
    // Looked up on every path, refused ones too, so that timing tells nothing.
    let directory = building_of(store, &mut tx, &app.address).await?;
    let plan = plan(
        app.document.is_hkid(),
        app.proof.is_some(),
        building.is_some(),
        &issue_index,
        &existing,
    );
    let new = NewAccount {
        id: &id,
        application: app,
        id_index: &id_index,
        issue_index: &issue_index,
        route: plan.route,
        status: plan.status,
        priority: plan.priority,
        building_id: match plan.route {
            Route::Housing => building.as_deref(),
            Route::Refused => None,
            Route::Proof | Route::Letter | Route::PostOffice => directory.as_deref(),
        },
    };
    store.insert_account(&mut tx, &new, now).await?;
    for other in &plan.conflicts {
        store
            .set_status(&mut tx, other, AccountStatus::Review, now)
            .await?;
    }
    match plan.status {
        AccountStatus::PinSent => send_sms_pin(store, &mut tx, &id, now).await?,
        AccountStatus::Letter => {
            store
                .queue_letter(&mut tx, &id, "activation", plan.priority, now)
                .await?
        }
        AccountStatus::PostOffice => {
            store
                .queue_letter(&mut tx, &id, "post_office", plan.priority, now)
                .await?
        }
        AccountStatus::Refused => {
            if let Some(active) = existing.iter().find(|a| a.status == AccountStatus::Active) {
                notify_holder(store, &mut tx, &active.id, now).await?;
            }
        }
        AccountStatus::Review | AccountStatus::Active | AccountStatus::Superseded => {}
    }
    let detail = serde_json::json!({
        "route": plan.route.as_str(),
        "status": plan.status.as_str(),
        "conflicts": plan.conflicts,
    });
    store
        .audit(
            &mut tx,
            now,
            &Actor::Applicant,
            "application_received",
            &id,
            &detail,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// At most one notice a day to the holder of an account whose document
/// someone else tried to register with: enough to warn them, and no way to
/// flood a phone by registering its owner's number over and over.
const NOTICE_INTERVAL: time::Duration = time::Duration::days(1);

/// Tells the holder of account `id`, who may not know of this attempt.
async fn notify_holder(
    store: &Store,
    tx: &mut Tx,
    id: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let (recent, _) = store
        .sms_sent_since(tx, id, "notice", now - NOTICE_INTERVAL)
        .await?;
    if recent > 0 {
        return Ok(());
    }
    let phone = store.details_of(&mut **tx, id).await?.phone;
    let body = "Hong Kong Health Code: someone applied for an account with your identity document, which already has one. If this was not you, call 3142 2330.";
    store.queue_sms(tx, id, "notice", &phone, body, now).await
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn account(status: AccountStatus, issue_index: &str) -> Account {
        Account {
            id: format!("{status:?}"),
            id_index: "doc".into(),
            issue_index: issue_index.into(),
            doc_type: "HKID".into(),
            route: Route::Letter,
            status,
            priority: 1,
            password_hash: None,
            building_id: None,
            created_at: datetime!(2022-12-10 01:00 UTC),
        }
    }

    #[test]
    fn each_route_of_the_press_release() {
        let route = |hkid, proof, housing| {
            let p = plan(hkid, proof, housing, "i", &[]);
            (p.route, p.status, p.priority)
        };
        assert_eq!(
            route(true, false, true),
            (Route::Housing, AccountStatus::PinSent, 0)
        );
        assert_eq!(
            route(true, true, true),
            (Route::Housing, AccountStatus::PinSent, 0)
        );
        assert_eq!(
            route(true, true, false),
            (Route::Proof, AccountStatus::Review, 0)
        );
        assert_eq!(
            route(true, false, false),
            (Route::Letter, AccountStatus::Letter, 1)
        );
        assert_eq!(
            route(false, false, true),
            (Route::PostOffice, AccountStatus::PostOffice, 0)
        );
        assert_eq!(
            route(false, true, false),
            (Route::PostOffice, AccountStatus::PostOffice, 0)
        );
        assert_eq!(
            route(false, false, false),
            (Route::PostOffice, AccountStatus::PostOffice, 1)
        );
    }

    #[test]
    fn an_active_account_refuses_another() {
        let existing = [account(AccountStatus::Active, "i")];
        assert_eq!(plan(true, true, true, "i", &existing).route, Route::Refused);
        assert_eq!(
            plan(false, false, false, "x", &existing).route,
            Route::Refused
        );
    }

    #[test]
    fn a_pending_application_blocks_no_one() {
        // The same person again (same date of issue): a route of its own.
        let existing = [account(AccountStatus::Letter, "i")];
        let again = plan(true, false, true, "i", &existing);
        assert_eq!((again.route, again.conflicts.len()), (Route::Housing, 0));
        // Another date of issue: both go to a reviewer, nobody wins by racing.
        let squat = plan(true, false, true, "other", &existing);
        assert_eq!(squat.status, AccountStatus::Review);
        assert_eq!(squat.conflicts, ["Letter"]);
        // Superseded and refused rows are history, not conflicts.
        let history = [
            account(AccountStatus::Superseded, "x"),
            account(AccountStatus::Refused, "y"),
        ];
        assert!(plan(true, false, false, "i", &history).conflicts.is_empty());
    }
}
