//! Helpers for the store's and the workflows' unit tests.

use healthcode_keys::IdDocument;
use time::{OffsetDateTime, macros::date};

use super::{
    Store,
    accounts::{Account, NewAccount},
};
use crate::{
    Error,
    model::{AccountStatus, RegisterCheck, Route, application::Application, phone::Phone},
};

/// An active account on the housing route for the holder of `number`, in
/// `building`, created at `now`.
pub(crate) async fn active_resident(
    store: &Store,
    number: &str,
    building: &str,
    now: OffsetDateTime,
) -> Result<Account, Error> {
    let document: IdDocument = number.parse()?;
    let application = Application {
        name: "CHAN Tai Man".into(),
        document: document.clone(),
        date_of_issue: date!(2018 - 03 - 01),
        phone: Phone::parse("9123 4567").map_err(|_| Error::NotFound { what: "phone" })?,
        address: "Flat 1, Block A".into(),
        proof: None,
        language: crate::model::Lang::En,
    };
    let (id, index) = (store.new_id(), store.document_index(&document));
    let mut tx = store.write().await?;
    let new = NewAccount {
        id: &id,
        application: &application,
        id_index: &index,
        issue_index: "test",
        route: Route::Housing,
        status: AccountStatus::Active,
        priority: 0,
        building_id: Some(building),
        register_check: RegisterCheck::Unchecked,
    };
    store.insert_account(&mut tx, &new, now).await?;
    tx.commit().await?;
    let mut conn = store.pool().acquire().await?;
    store
        .account(&mut *conn, &id)
        .await?
        .ok_or(Error::NotFound { what: "account" })
}
