//! Signing in, as the real service did: the ID document and password, then
//! a one-time code sent by SMS to the verified phone. The code is bound to
//! the challenge token given to whoever gave the right password, so knowing
//! a victim's document is not enough to try codes, and a stolen password
//! alone opens nothing.

use healthcode_keys::IdDocument;
use time::{Duration, OffsetDateTime};

use crate::sms_texts;
use crate::{
    Error,
    model::AccountStatus,
    secrets,
    store::{
        Store,
        accounts::Account,
        sign_in_codes::{CodeCheck, SIGN_IN_CODE_LIFETIME},
    },
};

/// At most this many sign-in codes to one account in an hour.
pub const MAX_SIGN_IN_CODES_PER_HOUR: i64 = 10;

/// A right password's answer: the code is on its way.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Give it back with the code.
    pub token: String,
    /// When the code dies.
    pub expires_at: OffsetDateTime,
    /// The last digits of the phone the code went to.
    pub phone_ending: String,
}

/// Checks the password of the holder of `document` and sends a code.
///
/// # Errors
/// [`Error::BadCredentials`] for an unknown document, an account not active
/// or a wrong password (all alike, and alike in time);
/// [`Error::RateLimited`] past [`MAX_SIGN_IN_CODES_PER_HOUR`]; [`Error::Db`].
pub async fn check_password(
    store: &Store,
    document: &IdDocument,
    password: &str,
    now: OffsetDateTime,
) -> Result<Challenge, Error> {
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
        Some(account) if matches => send_code(store, &account, now).await,
        _ => Err(Error::BadCredentials),
    }
}

async fn send_code(
    store: &Store,
    account: &Account,
    now: OffsetDateTime,
) -> Result<Challenge, Error> {
    let mut tx = store.write().await?;
    let (sent, last) = store
        .sms_sent_since(&mut tx, &account.id, "sign_in", now - Duration::hours(1))
        .await?;
    if sent >= MAX_SIGN_IN_CODES_PER_HOUR {
        // The latest code's hour is an upper bound on the wait.
        let wait = last.map_or(Duration::hours(1), |t| t + Duration::hours(1) - now);
        return Err(Error::RateLimited {
            retry_after_seconds: u64::try_from(wait.whole_seconds()).unwrap_or(0).max(1),
        });
    }
    let details = store.details_of(&mut *tx, &account.id).await?;
    let code = store.with_rng(secrets::new_pin);
    let token = store
        .start_sign_in_code(&mut tx, &account.id, &code, now)
        .await?;
    let minutes = SIGN_IN_CODE_LIFETIME.whole_minutes();
    let body = sms_texts::sign_in_code(account.language, &code, minutes);
    store
        .queue_sms(&mut tx, &account.id, "sign_in", &details.phone, &body, now)
        .await?;
    tx.commit().await?;
    Ok(Challenge {
        token,
        expires_at: now + SIGN_IN_CODE_LIFETIME,
        phone_ending: phone_ending(&details.phone),
    })
}

/// The last four digits of a phone number, all a page shows of it.
pub fn phone_ending(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// Checks the code of challenge `token`; a new session's token and expiry.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong code; [`Error::SignInCodeSpent`]
/// for an expired, used or dead challenge; [`Error::Db`].
pub async fn check_code(
    store: &Store,
    token: &str,
    code: &str,
    now: OffsetDateTime,
) -> Result<(String, OffsetDateTime), Error> {
    let mut tx = store.write().await?;
    let check = store.check_sign_in_code(&mut tx, token, code, now).await?;
    tx.commit().await?;
    match check {
        CodeCheck::Accepted { account_id } => store.create_session(&account_id, now).await,
        CodeCheck::Wrong { .. } => Err(Error::BadCredentials),
        CodeCheck::Spent => Err(Error::SignInCodeSpent),
    }
}
