//! Counters for people without a smartphone: staff at a counter see the
//! resident's identity document in person, so they can find the resident's
//! account by it, or register them: the in-person check satisfies the
//! identity route, and the account is active at once (without a password:
//! its holder gets codes at a counter). Every step is audited with the
//! counter staff's identity and the consent the resident gave.

use healthcode_keys::IdDocument;
use time::{Date, OffsetDateTime};

use super::buildings::building_of;
use crate::{
    Error,
    model::{AccountStatus, RegisterCheck, Route, StaffMember, application::Application},
    store::{Store, accounts::Account, accounts::NewAccount},
};

/// The document as the counter sees it: type and number, and its date of issue.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The document.
    pub document: IdDocument,
    /// Its date of issue, from the card in hand.
    pub date_of_issue: Date,
}

/// The blind index of a document and its date of issue, as accounts keep it.
fn issue_index(store: &Store, document: &IdDocument, date_of_issue: Date) -> String {
    store.key().blind_index(
        "document+issue",
        &format!("{}\n{date_of_issue}", document.normalised()),
    )
}

/// The active account of the document shown (number and date of issue must
/// both match), read by `staff`; the read is audited against the account.
///
/// # Errors
/// [`Error::NotFound`] when no active account has this document and date of
/// issue (the attempt is audited too); [`Error::Db`].
pub async fn look_up(
    store: &Store,
    staff: &StaffMember,
    shown: &Shown,
    now: OffsetDateTime,
) -> Result<Account, Error> {
    let id_index = store.document_index(&shown.document);
    let issue = issue_index(store, &shown.document, shown.date_of_issue);
    let mut tx = store.write().await?;
    let found = store
        .accounts_for_document(&mut *tx, &id_index)
        .await?
        .into_iter()
        .find(|a| a.status == AccountStatus::Active && a.issue_index == issue);
    let subject = found.as_ref().map_or("none", |a| a.id.as_str());
    let detail = serde_json::json!({ "found": found.is_some() });
    store
        .audit(
            &mut tx,
            now,
            &staff.actor(),
            "counter_account_viewed",
            subject,
            &detail,
        )
        .await?;
    tx.commit().await?;
    found.ok_or(Error::NotFound {
        what: "active account with this document and date of issue",
    })
}

/// Registers `app` at the counter, as `staff`, who saw the document: the
/// account is active at once (route `counter`, no password), any pending
/// application of the document is superseded, and the consent is audited.
///
/// # Errors
/// [`Error::AlreadyRegistered`] when the document has an active account (look
/// it up instead); [`Error::Db`].
pub async fn register_at_counter(
    store: &Store,
    staff: &StaffMember,
    app: &Application,
    now: OffsetDateTime,
) -> Result<String, Error> {
    let id_index = store.document_index(&app.document);
    let issue = issue_index(store, &app.document, app.date_of_issue);
    let id = store.new_id();
    let mut tx = store.write().await?;
    let existing = store.accounts_for_document(&mut *tx, &id_index).await?;
    if existing.iter().any(|a| a.status == AccountStatus::Active) {
        return Err(Error::AlreadyRegistered);
    }
    let building = building_of(store, &mut tx, &app.address).await?;
    let new = NewAccount {
        id: &id,
        application: app,
        id_index: &id_index,
        issue_index: &issue,
        route: Route::Counter,
        status: AccountStatus::Active,
        priority: 0,
        building_id: building.as_deref(),
        register_check: RegisterCheck::Unchecked,
    };
    store.insert_account(&mut tx, &new, now).await?;
    let account = store
        .account(&mut *tx, &id)
        .await?
        .ok_or(Error::NotFound { what: "account" })?;
    store.activate_account(&mut tx, &account, None, now).await?;
    let detail = serde_json::json!({
        "route": Route::Counter.as_str(),
        "consent": "in_person",
        "superseded": existing.iter().filter(|a| a.status.is_pending()).count(),
    });
    store
        .audit(
            &mut tx,
            now,
            &staff.actor(),
            "registered_at_counter",
            &id,
            &detail,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::model::{Lang, Role, phone::Phone};

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn clerk() -> StaffMember {
        StaffMember {
            id: "counter-1".into(),
            name: "cora".into(),
            role: Role::Counter,
        }
    }

    fn application() -> Application {
        Application {
            name: "WONG Siu Ming".into(),
            document: "HKID:A123456(3)".parse().unwrap_or_else(|e| panic!("{e}")),
            date_of_issue: date!(2018 - 03 - 01),
            phone: Phone::parse("9123 4567").unwrap_or_else(|e| panic!("{e:?}")),
            address: "Flat 1, Block A".into(),
            proof: None,
            language: Lang::ZhHk,
        }
    }

    #[tokio::test]
    async fn a_resident_registered_at_the_counter_is_found_by_the_card_in_hand() -> Result<(), Error>
    {
        let (_dir, store) = Store::open_temporary().await?;
        let app = application();
        let id = register_at_counter(&store, &clerk(), &app, NOW).await?;
        let shown = Shown {
            document: app.document.clone(),
            date_of_issue: app.date_of_issue,
        };
        let found = look_up(&store, &clerk(), &shown, NOW).await?;
        assert_eq!(
            (found.id.as_str(), found.status, found.route),
            (id.as_str(), AccountStatus::Active, Route::Counter)
        );
        assert_eq!(
            found.password_hash, None,
            "no password: codes come from a counter"
        );
        // Another date of issue is another card: not found.
        let old_card = Shown {
            date_of_issue: date!(2010 - 01 - 01),
            ..shown
        };
        assert!(matches!(
            look_up(&store, &clerk(), &old_card, NOW).await,
            Err(Error::NotFound { .. })
        ));
        // One active account per document.
        assert!(matches!(
            register_at_counter(&store, &clerk(), &app, NOW).await,
            Err(Error::AlreadyRegistered)
        ));
        store.verify_audit_chain().await?;
        Ok(())
    }
}
