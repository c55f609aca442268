//! What a signed-in resident changes on their account: the language of
//! their SMS and letters, their phone (confirmed by a PIN sent to the new
//! number, and told to the old one), and their password. A phone or
//! password change asks for the password again, so a session left open on
//! a shared computer is not enough to take the account.

use time::{Duration, OffsetDateTime};

use crate::sms_texts;
use crate::{
    Error,
    model::{Actor, Lang, password, phone::Phone},
    secrets,
    store::{
        Store, Tx,
        pins::{Channel, PinCheck},
    },
};

/// How long the PIN to a new phone lives.
pub const NEW_PHONE_PIN_LIFETIME: Duration = Duration::minutes(10);

/// At most this many PINs to new phones per account in a day.
pub const MAX_NEW_PHONE_PINS_PER_DAY: i64 = 5;

/// Sets the language of `account_id`'s SMS and letters.
///
/// # Errors
/// [`Error::Db`].
pub async fn set_language(
    store: &Store,
    account_id: &str,
    language: Lang,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let mut tx = store.write().await?;
    store
        .set_language(&mut tx, account_id, language, now)
        .await?;
    let detail = serde_json::json!({ "language": language.tag() });
    committed_with_audit(store, tx, account_id, "language_changed", &detail, now).await
}

/// Audits `action` on `account_id` as the applicant's, then commits `tx`:
/// the change and its audit entry land together.
async fn committed_with_audit(
    store: &Store,
    mut tx: Tx,
    account_id: &str,
    action: &str,
    detail: &serde_json::Value,
    now: OffsetDateTime,
) -> Result<(), Error> {
    store
        .audit(&mut tx, now, &Actor::Applicant, action, account_id, detail)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `given` is the password of `account_id` (argon2, off the runtime).
pub(crate) async fn password_matches(
    store: &Store,
    account_id: &str,
    given: &str,
) -> Result<bool, Error> {
    let account = store
        .account(store.pool(), account_id)
        .await?
        .ok_or(Error::NotFound { what: "account" })?;
    let owned = given.to_owned();
    tokio::task::spawn_blocking(move || {
        secrets::verify_password(&owned, account.password_hash.as_deref())
    })
    .await
    .map_err(|_| Error::TaskFailed)
}

/// Changes the password, given the current one; every other session of the
/// account ends.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong current password;
/// [`Error::WeakPassword`]; [`Error::Db`].
pub async fn change_password(
    store: &Store,
    account_id: &str,
    session_token: &str,
    current: &str,
    new: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if !password_matches(store, account_id, current).await? {
        return Err(Error::BadCredentials);
    }
    let details = store.details_of(store.pool(), account_id).await?;
    let number = details.id_document.split_once(':').map_or("", |(_, n)| n);
    password::check_password(new, &[number]).map_err(Error::WeakPassword)?;
    let owned = new.to_owned();
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&owned))
        .await
        .map_err(|_| Error::TaskFailed)??;
    let mut tx = store.write().await?;
    store
        .set_password_hash(&mut tx, account_id, &hash, now)
        .await?;
    let ended = store
        .end_other_sessions(&mut tx, account_id, session_token)
        .await?;
    let detail = serde_json::json!({ "other_sessions_ended": ended });
    committed_with_audit(store, tx, account_id, "password_changed", &detail, now).await
}

/// Sends a PIN to `phone`, given the password; the number replaces the
/// account's once [`confirm_phone`] gets the PIN.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong password; [`Error::RateLimited`]
/// past [`MAX_NEW_PHONE_PINS_PER_DAY`] or within a minute of the last;
/// [`Error::Db`].
pub async fn request_phone_change(
    store: &Store,
    account_id: &str,
    password: &str,
    phone: &Phone,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if !password_matches(store, account_id, password).await? {
        return Err(Error::BadCredentials);
    }
    let mut tx = store.write().await?;
    let (sent, last) = store
        .sms_sent_since(&mut tx, account_id, "new_phone", now - Duration::days(1))
        .await?;
    let next = last.map(|t| t + super::activation::PIN_RESEND_INTERVAL);
    if sent >= MAX_NEW_PHONE_PINS_PER_DAY || next.is_some_and(|t| t > now) {
        let wait = match next {
            Some(t) if sent < MAX_NEW_PHONE_PINS_PER_DAY => t - now,
            _ => Duration::days(1),
        };
        return Err(Error::RateLimited {
            retry_after_seconds: u64::try_from(wait.whole_seconds()).unwrap_or(0).max(1),
        });
    }
    let language = store.language_of(&mut *tx, account_id).await?;
    let pin = store.with_rng(secrets::new_pin);
    let expires_at = now + NEW_PHONE_PIN_LIFETIME;
    store
        .put_pin(
            &mut tx,
            account_id,
            Channel::NewPhone,
            &pin,
            expires_at,
            now,
        )
        .await?;
    store
        .set_new_phone(&mut tx, account_id, phone.e164())
        .await?;
    let minutes = NEW_PHONE_PIN_LIFETIME.whole_minutes();
    let body = sms_texts::phone_change_pin(language, &pin, minutes);
    store
        .queue_sms(&mut tx, account_id, "new_phone", phone.e164(), &body, now)
        .await?;
    committed_with_audit(
        store,
        tx,
        account_id,
        "phone_change_requested",
        &serde_json::json!({}),
        now,
    )
    .await
}

/// Confirms the new phone with the PIN sent to it; the old phone is told.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong, expired or missing PIN;
/// [`Error::PinLocked`] after too many wrong ones; [`Error::Db`].
pub async fn confirm_phone(
    store: &Store,
    account_id: &str,
    pin: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let mut tx = store.write().await?;
    let check = store
        .check_pin(&mut tx, account_id, Channel::NewPhone, pin, now)
        .await?;
    if check != PinCheck::Accepted {
        // The failure count commits, so wrong tries add up.
        tx.commit().await?;
        return Err(match check {
            PinCheck::Locked => Error::PinLocked,
            _ => Error::BadCredentials,
        });
    }
    let old = store.details_of(&mut *tx, account_id).await?.phone;
    if store
        .confirm_new_phone(&mut tx, account_id, now)
        .await?
        .is_none()
    {
        return Err(Error::BadCredentials);
    }
    let language = store.language_of(&mut *tx, account_id).await?;
    let notice = sms_texts::phone_changed(language);
    store
        .queue_sms(&mut tx, account_id, "notice", &old, &notice, now)
        .await?;
    committed_with_audit(
        store,
        tx,
        account_id,
        "phone_changed",
        &serde_json::json!({}),
        now,
    )
    .await
}

/// What closing an account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Live codes revoked (reason `holder_request`), to reach every checkpoint.
    pub codes_revoked: usize,
    /// Rows of personal data deleted (visits, proof, PINs, sessions, ...).
    pub rows_deleted: u64,
}

/// Closes `account_id` once `password` is its password: its live codes are
/// revoked, its personal fields erased and its personal data deleted, in
/// one transaction with the audit entry. The document may register again.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong password; [`Error::Db`].
pub async fn close(
    store: &Store,
    account_id: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<Closed, Error> {
    use healthcode_keys::revocation::RevocationReason;
    if !password_matches(store, account_id, password).await? {
        return Err(Error::BadCredentials);
    }
    let actor = Actor::Resident(account_id.to_owned());
    let mut tx = store.write().await?;
    let revocations: Vec<_> = store
        .live_codes(&mut tx, account_id, now)
        .await?
        .iter()
        .map(|code| crate::store::codes::revocation_of(code, RevocationReason::HolderRequest, now))
        .collect();
    store
        .record_revocations(&mut tx, &revocations, &actor)
        .await?;
    let rows_deleted = store.close_account(&mut tx, account_id, now).await?;
    let closed = Closed {
        codes_revoked: revocations.len(),
        rows_deleted,
    };
    let detail = serde_json::json!({
        "codes_revoked": closed.codes_revoked,
        "rows_deleted": closed.rows_deleted,
    });
    store
        .audit(&mut tx, now, &actor, "account_closed", account_id, &detail)
        .await?;
    tx.commit().await?;
    Ok(closed)
}
