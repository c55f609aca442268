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
    model::{
        AccountStatus, Actor, RegisterCheck, Route, address::address_match_key,
        application::Application,
    },
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
    /// Pending applications of the same document, with another date of
    /// issue, that this one proves more than: they go to a reviewer.
    pub conflicts: Vec<String>,
    /// Tell the tenant, on the phone their tenancy record holds, that an
    /// application came with their document, address and another phone.
    pub notify_tenant: bool,
}

/// What the public housing database says of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Housing {
    /// Document and address are not a tenancy.
    NotListed,
    /// A tenancy; the applicant's phone is the one on its record.
    SamePhone,
    /// A tenancy whose record has another phone, or none.
    OtherPhone {
        /// Whether the record has a phone to tell.
        record_has_phone: bool,
    },
}

/// What an application brings, for choosing its route.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// An HKID card (the others go to a post office).
    pub is_hkid: bool,
    /// An address proof was uploaded.
    pub has_proof: bool,
    /// The housing database's answer.
    pub housing: Housing,
    /// The register of identity cards' answer.
    pub register: RegisterCheck,
    /// The blind index of document and date of issue.
    pub issue_index: &'a str,
}

/// Chooses the route, as the press release lays them out, so that knowing
/// a document number (and an address) is never enough to get its PIN:
///
/// - A document with an active account: refused (the holder is told by SMS).
/// - Not an HKID card: a letter, then an identity check at a post office.
/// - Not in a loaded register of identity cards as given: a reviewer.
/// - Pending applications of the same document with another date of issue:
///   if this one is in the register and they are not, they go to a
///   reviewer; otherwise this one does. Nothing else moves another's
///   application.
/// - A tenancy: a PIN by SMS if the phone is the tenancy record's; else a
///   letter to the tenancy address, and a notice to the record's phone.
/// - A proof: the review queue.
/// - Otherwise: a confirmation letter with a PIN.
pub fn plan(evidence: Evidence<'_>, existing: &[Account]) -> Plan {
    let has_proof_or_tenancy = evidence.has_proof || evidence.housing != Housing::NotListed;
    let priority = if has_proof_or_tenancy { 0 } else { 1 };
    let plan = |route, status| Plan {
        route,
        status,
        priority,
        conflicts: Vec::new(),
        notify_tenant: false,
    };
    let review_route = if evidence.has_proof {
        Route::Proof
    } else {
        Route::Letter
    };
    if existing.iter().any(|a| a.status == AccountStatus::Active) {
        return plan(Route::Refused, AccountStatus::Refused);
    }
    if !evidence.is_hkid {
        return plan(Route::PostOffice, AccountStatus::PostOffice);
    }
    if evidence.register == RegisterCheck::Mismatched {
        return plan(review_route, AccountStatus::Review);
    }
    let competing: Vec<&Account> = existing
        .iter()
        .filter(|a| a.status.is_pending() && a.issue_index != evidence.issue_index)
        .collect();
    let mut conflicts = Vec::new();
    if !competing.is_empty() {
        if evidence.register != RegisterCheck::Matched {
            return plan(review_route, AccountStatus::Review);
        }
        conflicts = competing
            .iter()
            .filter(|a| {
                a.register_check != RegisterCheck::Matched && a.status != AccountStatus::Review
            })
            .map(|a| a.id.clone())
            .collect();
    }
    let chosen = match (evidence.housing, evidence.has_proof) {
        (Housing::SamePhone, _) => plan(Route::Housing, AccountStatus::PinSent),
        (Housing::OtherPhone { record_has_phone }, _) => Plan {
            notify_tenant: record_has_phone,
            ..plan(Route::Housing, AccountStatus::Letter)
        },
        (Housing::NotListed, true) => plan(Route::Proof, AccountStatus::Review),
        (Housing::NotListed, false) => plan(Route::Letter, AccountStatus::Letter),
    };
    Plan {
        conflicts,
        ..chosen
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
    let register_index =
        super::register::entry_index(store, &app.document, app.date_of_issue, &app.name);
    let id = store.new_id();
    let mut tx = store.write().await?;
    let existing = store.accounts_for_document(&mut *tx, &id_index).await?;
    let tenancy = store.housing_match(&mut tx, &housing_index).await?;
    // Looked up on every path, refused ones too, so that timing tells nothing.
    let directory = building_of(store, &mut tx, &app.address).await?;
    let register = match app.document.is_hkid() {
        true => store.register_check(&mut tx, &register_index).await?,
        false => RegisterCheck::Unchecked,
    };
    let housing = match &tenancy {
        None => Housing::NotListed,
        Some(t) if t.phone.as_deref() == Some(app.phone.e164()) => Housing::SamePhone,
        Some(t) => Housing::OtherPhone {
            record_has_phone: t.phone.is_some(),
        },
    };
    let evidence = Evidence {
        is_hkid: app.document.is_hkid(),
        has_proof: app.proof.is_some(),
        housing,
        register,
        issue_index: &issue_index,
    };
    let plan = plan(evidence, &existing);
    let building = tenancy.as_ref().map(|t| t.building_id.clone());
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
            Route::Proof | Route::Letter | Route::PostOffice | Route::Counter => {
                directory.as_deref()
            }
        },
        register_check: register,
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
        AccountStatus::Review
        | AccountStatus::Active
        | AccountStatus::Superseded
        | AccountStatus::Closed => {}
    }
    if let (true, Some(phone)) = (plan.notify_tenant, tenancy.and_then(|t| t.phone)) {
        notify_tenant(store, &mut tx, &id, &phone, now).await?;
    }
    let detail = serde_json::json!({
        "route": plan.route.as_str(),
        "status": plan.status.as_str(),
        "register": register.as_str(),
        "conflicts": plan.conflicts,
        "tenant_notified": plan.notify_tenant,
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

/// Tells a tenant, on the phone their tenancy record holds, that someone
/// applied with their document and address from another phone: the PIN
/// goes by letter to the tenancy address, so it reaches them, not the caller.
async fn notify_tenant(
    store: &Store,
    tx: &mut Tx,
    id: &str,
    phone: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let body = "Hong Kong Health Code: an application was made with your identity document and address from a phone not on your tenancy record. Its PIN comes by letter to your address. If this was not you, do not use the letter and call 3142 2330.";
    store.queue_sms(tx, id, "notice", phone, body, now).await
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
            register_check: RegisterCheck::Unchecked,
            created_at: datetime!(2022-12-10 01:00 UTC),
            language: crate::model::Lang::En,
        }
    }

    fn evidence(is_hkid: bool, has_proof: bool, housing: Housing) -> Evidence<'static> {
        Evidence {
            is_hkid,
            has_proof,
            housing,
            register: RegisterCheck::Unchecked,
            issue_index: "i",
        }
    }

    #[test]
    fn each_route_of_the_press_release() {
        let route = |hkid, proof, housing| {
            let p = plan(evidence(hkid, proof, housing), &[]);
            (p.route, p.status, p.priority)
        };
        let other = Housing::OtherPhone {
            record_has_phone: true,
        };
        assert_eq!(
            route(true, false, Housing::SamePhone),
            (Route::Housing, AccountStatus::PinSent, 0)
        );
        assert_eq!(
            route(true, true, Housing::SamePhone),
            (Route::Housing, AccountStatus::PinSent, 0)
        );
        assert_eq!(
            route(true, false, other),
            (Route::Housing, AccountStatus::Letter, 0)
        );
        assert_eq!(
            route(true, true, Housing::NotListed),
            (Route::Proof, AccountStatus::Review, 0)
        );
        assert_eq!(
            route(true, false, Housing::NotListed),
            (Route::Letter, AccountStatus::Letter, 1)
        );
        assert_eq!(
            route(false, false, Housing::SamePhone),
            (Route::PostOffice, AccountStatus::PostOffice, 0)
        );
        assert_eq!(
            route(false, true, Housing::NotListed),
            (Route::PostOffice, AccountStatus::PostOffice, 0)
        );
        assert_eq!(
            route(false, false, Housing::NotListed),
            (Route::PostOffice, AccountStatus::PostOffice, 1)
        );
    }

    #[test]
    fn a_tenancy_sends_a_pin_by_sms_only_to_its_own_phone() {
        let other = plan(
            evidence(
                true,
                false,
                Housing::OtherPhone {
                    record_has_phone: true,
                },
            ),
            &[],
        );
        assert_eq!(
            (other.status, other.notify_tenant),
            (AccountStatus::Letter, true)
        );
        let none = plan(
            evidence(
                true,
                false,
                Housing::OtherPhone {
                    record_has_phone: false,
                },
            ),
            &[],
        );
        assert_eq!(
            (none.status, none.notify_tenant),
            (AccountStatus::Letter, false)
        );
    }

    #[test]
    fn an_active_account_refuses_another() {
        let existing = [account(AccountStatus::Active, "i")];
        assert_eq!(
            plan(evidence(true, true, Housing::SamePhone), &existing).route,
            Route::Refused
        );
        assert_eq!(
            plan(evidence(false, false, Housing::NotListed), &existing).route,
            Route::Refused
        );
    }

    #[test]
    fn details_not_in_the_register_go_to_a_reviewer() {
        let mismatched = Evidence {
            register: RegisterCheck::Mismatched,
            ..evidence(true, false, Housing::SamePhone)
        };
        let p = plan(mismatched, &[]);
        assert_eq!((p.route, p.status), (Route::Letter, AccountStatus::Review));
    }

    #[test]
    fn a_competing_application_moves_no_one_unless_it_proves_more() {
        // The same person again (same date of issue): a route of its own.
        let existing = [account(AccountStatus::PinSent, "i")];
        let again = plan(evidence(true, false, Housing::SamePhone), &existing);
        assert_eq!(
            (again.status, again.conflicts.len()),
            (AccountStatus::PinSent, 0)
        );
        // Another date of issue, no register: the newcomer waits for a
        // reviewer; the pending application is untouched.
        let squat = plan(
            Evidence {
                issue_index: "other",
                ..evidence(true, false, Housing::SamePhone)
            },
            &existing,
        );
        assert_eq!(
            (squat.status, squat.conflicts.len()),
            (AccountStatus::Review, 0)
        );
        // In the register, against one that is not: that one goes to a reviewer.
        let proven = Evidence {
            issue_index: "other",
            register: RegisterCheck::Matched,
            ..evidence(true, false, Housing::SamePhone)
        };
        let p = plan(proven, &existing);
        assert_eq!(
            (p.status, p.conflicts.as_slice()),
            (AccountStatus::PinSent, &["PinSent".to_owned()][..])
        );
        let mut matched = account(AccountStatus::PinSent, "i");
        matched.register_check = RegisterCheck::Matched;
        assert!(
            plan(proven, &[matched]).conflicts.is_empty(),
            "both cannot match; the register decides"
        );
        // Superseded and refused rows are history, not conflicts.
        let history = [
            account(AccountStatus::Superseded, "x"),
            account(AccountStatus::Refused, "y"),
        ];
        assert!(
            plan(evidence(true, false, Housing::NotListed), &history)
                .conflicts
                .is_empty()
        );
    }
}
