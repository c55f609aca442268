//! Residents: from registration, through each verification route of the press
//! release, to an activated account that uploads visit records.
//!
//! # Layout
//! - [`registration`]: choosing the verification route for an application.
//! - [`verification`]: staff review, the post-office identity check, letters.
//! - [`activation`]: PINs and passwords.
//! - [`sign_in`]: the password, then a one-time code by SMS.
//! - [`account`]: what the holder changes: language, phone, password.
//! - [`export`]: everything held about a resident, for them to download.
//! - [`counter`]: finding or registering a resident by the document in hand.
//! - [`letter_texts`]: the confirmation letter, in both languages.
//! - [`visits`]: visit records from the check-in app.
//! - [`housing`]: importing the public housing resident database.
//! - [`register`]: importing the register of identity cards.
//! - [`buildings`]: the building directory that maps addresses to building place ids.
//! - [`venues`]: the venue registry, the only source of venue names.

pub mod account;
pub mod activation;
pub mod buildings;
pub mod counter;
pub mod export;
pub mod housing;
pub mod letter_texts;
pub mod register;
pub mod registration;
pub mod sign_in;
pub mod venues;
pub mod verification;
pub mod visits;

use time::{Duration, OffsetDateTime};

use crate::{
    Error, secrets, sms_texts,
    store::{Store, Tx, pins::Channel},
};

/// How long an SMS PIN lives.
pub const SMS_PIN_LIFETIME: Duration = Duration::minutes(10);

/// How long a letter's PIN lives: post takes days.
pub const LETTER_PIN_LIFETIME: Duration = Duration::days(30);

/// Makes a PIN, stores its hash, and queues the SMS that carries it to the
/// account's phone. Runs inside the caller's transaction, so the PIN and the
/// change that earned it commit together.
///
/// # Errors
/// [`Error::Db`], [`Error::Undecryptable`], [`Error::NotFound`].
pub async fn send_sms_pin(
    store: &Store,
    tx: &mut Tx,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let details = store.details_of(&mut **tx, account_id).await?;
    let language = store.language_of(&mut **tx, account_id).await?;
    let pin = store.with_rng(secrets::new_pin);
    store
        .put_pin(
            tx,
            account_id,
            Channel::Sms,
            &pin,
            now + SMS_PIN_LIFETIME,
            now,
        )
        .await?;
    let body = sms_texts::activation_pin(language, &pin, SMS_PIN_LIFETIME.whole_minutes());
    store
        .queue_sms(tx, account_id, "pin", &details.phone, &body, now)
        .await
}
