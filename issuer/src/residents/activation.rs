//! Activation with a PIN, and PIN resends.
//!
//! Wrong ID numbers, wrong, expired and dead PINs all get the same answer,
//! after the same work (an argon2 hash, then one audited write), so the
//! activation form cannot be used to find out who has applied. A resend is
//! answered alike whatever the document's state, also after one audited
//! write.

use healthcode_keys::IdDocument;
use time::{Duration, OffsetDateTime};

use super::send_sms_pin;
use crate::secrets;
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

/// At least this long between two PIN letters to one account.
pub const LETTER_RESEND_INTERVAL: Duration = Duration::days(7);

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
/// [`Error::WeakPassword`]; [`Error::BadCredentials`] for a wrong, expired,
/// dead (5 wrong tries) or missing PIN or an unknown document, all alike;
/// [`Error::Db`].
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
    for account in &candidates {
        let Some(channel) = activating_channel(account) else {
            continue;
        };
        match store
            .check_pin(&mut tx, &account.id, channel, pin, now)
            .await?
        {
            PinCheck::Accepted => {
                store
                    .activate_account(&mut tx, account, Some(&hash), now)
                    .await?;
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
            PinCheck::Locked | PinCheck::Wrong { .. } | PinCheck::Missing => {}
        }
    }
    // The refusal is audited whether or not an application exists: the same
    // write either way, and the failure counts commit with it.
    let subject = candidates.first().map_or("none", |a| a.id.as_str());
    store
        .audit(
            &mut tx,
            now,
            &Actor::Applicant,
            "activation_refused",
            subject,
            &serde_json::json!({}),
        )
        .await?;
    tx.commit().await?;
    Err(Error::BadCredentials)
}

/// Sends a new PIN to the application of `document` whose phone is `phone`:
/// by SMS to that phone once the address is verified (at most once a minute
/// and five times a day), or, on the letter route, a new letter to the
/// address (at most once a week). Past a limit, or when nothing matches,
/// nothing is sent; the caller is never told which.
///
/// # Errors
/// [`Error::Db`].
pub async fn resend_pin(
    store: &Store,
    document: &IdDocument,
    phone: &Phone,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let id_index = store.document_index(document);
    let mut tx = store.write().await?;
    let mut subject = "none".to_owned();
    let mut sent = "none";
    let accounts = store.accounts_for_document(&mut *tx, &id_index).await?;
    if accounts.is_empty() {
        // The lookup a registered document costs, so that time tells nothing.
        store.account_details(&mut *tx, "none").await?;
    }
    for account in accounts {
        let channel = activating_channel(&account);
        let details = store.account_details(&mut *tx, &account.id).await?;
        if channel.is_none() || details.is_none_or(|d| d.phone != phone.e164()) {
            continue;
        }
        subject.clone_from(&account.id);
        sent = match channel {
            Some(Channel::Sms) if sms_allowed(store, &mut tx, &account.id, now).await? => {
                send_sms_pin(store, &mut tx, &account.id, now).await?;
                "sms"
            }
            Some(Channel::Letter) if letter_allowed(store, &mut tx, &account.id, now).await? => {
                store
                    .queue_letter(&mut tx, &account.id, "activation", account.priority, now)
                    .await?;
                "letter"
            }
            _ => "limited",
        };
        break;
    }
    let detail = serde_json::json!({ "sent": sent });
    store
        .audit(
            &mut tx,
            now,
            &Actor::Applicant,
            "pin_resend_requested",
            &subject,
            &detail,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn sms_allowed(
    store: &Store,
    tx: &mut crate::store::Tx,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<bool, Error> {
    let (count, last) = store
        .sms_sent_since(tx, account_id, "pin", now - Duration::days(1))
        .await?;
    let waited = last.is_none_or(|last| last + PIN_RESEND_INTERVAL <= now);
    Ok(count < MAX_PIN_SMS_PER_DAY && waited)
}

/// A new letter while none is waiting to be printed, and either the last
/// letter's PIN was killed by wrong tries (the holder's way back) or a week
/// has passed (a letter lost in the post).
async fn letter_allowed(
    store: &Store,
    tx: &mut crate::store::Tx,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<bool, Error> {
    if store.letter_waiting(tx, account_id).await? {
        return Ok(false);
    }
    let dead = store.pin_is_dead(tx, account_id, Channel::Letter).await?;
    let last = store.last_letter_at(tx, account_id).await?;
    Ok(dead || last.is_none_or(|last| last + LETTER_RESEND_INTERVAL <= now))
}
