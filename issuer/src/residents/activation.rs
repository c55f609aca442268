//! Activation with a PIN, PIN resends, and login.
//!
//! Wrong ID numbers, wrong PINs and expired PINs all get the same answer, so
//! the activation form cannot be used to find out who has applied.

use healthcode_keys::IdDocument;
use time::{Duration, OffsetDateTime};

use super::{secrets, send_sms_pin};
use crate::{
    Error,
    model::{AccountStatus, Actor, phone::Phone},
    store::{
        Store,
        accounts::Account,
        pins::{Channel, PinCheck},
    },
};

/// At most this many SMS PINs per account in 24 hours.
pub const MAX_PIN_SMS_PER_DAY: i64 = 5;

/// At least this long between two SMS PINs to one account.
pub const PIN_RESEND_INTERVAL: Duration = Duration::seconds(60);

/// The channel whose PIN activates `account`, if any: the SMS PIN once the
/// address is verified; the letter's PIN for an HKID holder on the letter
/// route. A non-HKID holder's letter PIN is for the post office only.
fn activating_channel(account: &Account) -> Option<Channel> {
    match account.status {
        AccountStatus::PinSent => Some(Channel::Sms),
        AccountStatus::Letter if account.doc_type == "HKID" => Some(Channel::Letter),
        _ => None,
    }
}

/// Activates the application of `document` whose PIN is `pin`, setting
/// `password`; returns the account id.
///
/// # Errors
/// [`Error::WeakPassword`]; [`Error::BadCredentials`] for a wrong, expired or
/// missing PIN or an unknown document; [`Error::PinLocked`] after too many
/// wrong tries; [`Error::Db`].
pub async fn activate(
    store: &Store,
    document: &IdDocument,
    pin: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<String, Error> {
    let number = document.normalised().split_once(':').map_or("", |(_, n)| n);
    crate::model::password::check_password(password, &[number]).map_err(Error::WeakPassword)?;
    // Hashed before taking the write lock: argon2 takes tens of milliseconds.
    let owned = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&owned))
        .await
        .map_err(|_| Error::TaskFailed)??;
    let id_index = store.document_index(document);
    let mut tx = store.write().await?;
    let candidates = store.accounts_for_document(&mut *tx, &id_index).await?;
    let mut locked = false;
    for account in &candidates {
        let Some(channel) = activating_channel(account) else {
            continue;
        };
        match store
            .check_pin(&mut tx, &account.id, channel, pin, now)
            .await?
        {
            PinCheck::Accepted => {
                store.activate_account(&mut tx, account, &hash, now).await?;
                let detail =
                    serde_json::json!({ "channel": format!("{channel:?}").to_lowercase() });
                store
                    .audit(
                        &mut tx,
                        now,
                        &Actor::Applicant,
                        "account_activated",
                        &account.id,
                        &detail,
                    )
                    .await?;
                tx.commit().await?;
                return Ok(account.id.clone());
            }
            PinCheck::Locked => locked = true,
            PinCheck::Wrong { .. } | PinCheck::Missing => {}
        }
    }
    // Commit the failure counts before refusing.
    tx.commit().await?;
    Err(if locked {
        Error::PinLocked
    } else {
        Error::BadCredentials
    })
}

/// Sends a new SMS PIN to a verified application of `document` whose phone is
/// `phone`, within the resend limits. Does nothing (and says nothing) when no
/// application matches.
///
/// # Errors
/// [`Error::RateLimited`] past the resend limits; [`Error::Db`].
pub async fn resend_pin(
    store: &Store,
    document: &IdDocument,
    phone: &Phone,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let id_index = store.document_index(document);
    let mut tx = store.write().await?;
    for account in store.accounts_for_document(&mut *tx, &id_index).await? {
        if account.status != AccountStatus::PinSent {
            continue;
        }
        let details = store.account_details(&mut *tx, &account.id).await?;
        if details.is_none_or(|d| d.phone != phone.e164()) {
            continue;
        }
        let (count, last) = store
            .sms_sent_since(&mut tx, &account.id, "pin", now - Duration::days(1))
            .await?;
        let wait = last.map_or(Duration::ZERO, |last| last + PIN_RESEND_INTERVAL - now);
        if count >= MAX_PIN_SMS_PER_DAY || wait > Duration::ZERO {
            let retry_after = if count >= MAX_PIN_SMS_PER_DAY {
                Duration::hours(1)
            } else {
                wait
            };
            return Err(Error::rate_limited(retry_after));
        }
        send_sms_pin(store, &mut tx, &account.id, now).await?;
        store
            .audit(
                &mut tx,
                now,
                &Actor::Applicant,
                "pin_resent",
                &account.id,
                &serde_json::json!({}),
            )
            .await?;
        tx.commit().await?;
        return Ok(());
    }
    Ok(())
}

/// Logs in the holder of `document`; returns the session token and its expiry.
///
/// # Errors
/// [`Error::BadCredentials`] for an unknown document, an account not active
/// or a wrong password (all alike, and alike in time); [`Error::Db`].
pub async fn login(
    store: &Store,
    document: &IdDocument,
    password: &str,
    now: OffsetDateTime,
) -> Result<(String, OffsetDateTime), Error> {
    let id_index = store.document_index(document);
    let accounts = store.accounts_for_document(store.pool(), &id_index).await?;
    let active = accounts
        .into_iter()
        .find(|a| a.status == AccountStatus::Active);
    let hash = active.as_ref().and_then(|a| a.password_hash.clone());
    let owned = password.to_owned();
    let matches =
        tokio::task::spawn_blocking(move || secrets::verify_password(&owned, hash.as_deref()))
            .await
            .map_err(|_| Error::TaskFailed)?;
    match active {
        Some(account) if matches => store.create_session(&account.id, now).await,
        _ => Err(Error::BadCredentials),
    }
}
