//! The verification steps staff take: proof review, the post-office identity
//! check, and printing confirmation letters. Every step is audited.

use std::path::{Path, PathBuf};

use healthcode_keys::{IdDocument, files, hktime};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{
    LETTER_PIN_LIFETIME,
    letter_texts::{self, Letter, LetterKind},
    send_sms_pin,
};
use crate::{
    Error,
    model::{AccountStatus, Actor, StaffMember},
    store::{
        Store, Tx,
        messages::PendingLetter,
        pins::{Channel, PinCheck},
    },
};
use crate::{pdf::PdfFonts, secrets};

/// Why a reviewer could not verify an address from its proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The file cannot be read.
    Unreadable,
    /// The proof is not in the applicant's name or not for the address given.
    DoesNotMatch,
    /// The proof is too old or not an accepted kind of document.
    NotAccepted,
    /// Applications of one document disagree; the letter decides.
    Conflict,
}

/// The address (or identity) is verified by `staff`: the activation PIN goes
/// by SMS, and the step is audited as `action`, all in one commit.
async fn verified_by(
    store: &Store,
    mut tx: Tx,
    staff: &StaffMember,
    id: &str,
    action: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    send_sms_pin(store, &mut tx, id, now).await?;
    store
        .set_status(&mut tx, id, AccountStatus::PinSent, now)
        .await?;
    store
        .audit(
            &mut tx,
            now,
            &staff.actor(),
            action,
            id,
            &serde_json::json!({}),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A reviewer accepts the proof: the address is verified and the PIN goes by SMS.
///
/// # Errors
/// [`Error::NotFound`], [`Error::WrongStatus`] unless under review, [`Error::Db`].
pub async fn approve(
    store: &Store,
    staff: &StaffMember,
    id: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let mut tx = store.write().await?;
    store
        .account_in(&mut *tx, id, AccountStatus::Review)
        .await?;
    verified_by(store, tx, staff, id, "application_approved", now).await
}

/// A reviewer cannot verify the address: a confirmation letter goes instead.
///
/// # Errors
/// [`Error::NotFound`], [`Error::WrongStatus`] unless under review, [`Error::Db`].
pub async fn reject(
    store: &Store,
    staff: &StaffMember,
    id: &str,
    reason: RejectReason,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let mut tx = store.write().await?;
    let account = store
        .account_in(&mut *tx, id, AccountStatus::Review)
        .await?;
    store
        .set_status(&mut tx, id, AccountStatus::Letter, now)
        .await?;
    store
        .queue_letter(&mut tx, id, "activation", account.priority, now)
        .await?;
    let detail = serde_json::json!({ "reason": format!("{reason:?}") });
    store
        .audit(
            &mut tx,
            now,
            &staff.actor(),
            "application_rejected",
            id,
            &detail,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Post-office staff saw the applicant's letter and identity document: the
/// document must be the one applied with and the letter's PIN right; then
/// the activation PIN goes by SMS.
///
/// # Errors
/// [`Error::DocumentMismatch`], [`Error::BadCredentials`] for a wrong letter
/// PIN, [`Error::PinLocked`], [`Error::WrongStatus`], [`Error::NotFound`], [`Error::Db`].
pub async fn confirm_at_post_office(
    store: &Store,
    staff: &StaffMember,
    id: &str,
    document: &IdDocument,
    letter_pin: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let mut tx = store.write().await?;
    let account = store
        .account_in(&mut *tx, id, AccountStatus::PostOffice)
        .await?;
    if store.document_index(document) != account.id_index {
        return Err(Error::DocumentMismatch);
    }
    let check = store
        .check_pin(&mut tx, id, Channel::Letter, letter_pin, now)
        .await?;
    if check != PinCheck::Accepted {
        tx.commit().await?;
        return Err(match check {
            PinCheck::Locked => Error::PinLocked,
            _ => Error::BadCredentials,
        });
    }
    verified_by(store, tx, staff, id, "identity_confirmed", now).await
}

/// Writes every pending letter into `out_dir` as a text file and a tagged,
/// bilingual PDF beside it (mode 0600: they hold a PIN), each with a new
/// letter PIN, and marks them sent. A letter is marked only once its files
/// are safely written; returns the text files (`.pdf` beside each).
///
/// # Errors
/// [`Error::Keys`] if a file cannot be written (the letters not yet written
/// stay pending), [`Error::Pdf`], [`Error::Db`], [`Error::Undecryptable`].
pub async fn export_letters(
    store: &Store,
    out_dir: &Path,
    fonts: &PdfFonts,
    now: OffsetDateTime,
) -> Result<Vec<PathBuf>, Error> {
    files::ensure_dir(out_dir)?;
    let mut written = Vec::new();
    for letter in store.pending_letters().await? {
        let mut tx = store.write().await?;
        let details = store.details_of(&mut *tx, &letter.account_id).await?;
        let pin = store.with_rng(secrets::new_pin);
        store
            .put_pin(
                &mut tx,
                &letter.account_id,
                Channel::Letter,
                &pin,
                now + LETTER_PIN_LIFETIME,
                now,
            )
            .await?;
        store.mark_letter_exported(&mut tx, &letter.id, now).await?;
        store
            .audit(
                &mut tx,
                now,
                &Actor::Cli,
                "letter_exported",
                &letter.account_id,
                &serde_json::json!({ "kind": letter.kind }),
            )
            .await?;
        let path = out_dir.join(format!("letter-{:04}-{}.txt", written.len() + 1, letter.id));
        let language = store.language_of(&mut *tx, &letter.account_id).await?;
        let expires = hktime::minute(&hktime::format_hk(now + LETTER_PIN_LIFETIME));
        let fields = letter_fields(&letter, (&details.name, &details.address), &pin, &expires);
        files::write_secret(&path, letter_texts::letter(language, &fields).as_bytes())?;
        let pdf = letter_texts::letter_pdf(fonts, language, &fields)?;
        files::write_secret(&path.with_extension("pdf"), &pdf)?;
        tx.commit().await?;
        written.push(path);
    }
    Ok(written)
}

fn letter_fields<'a>(
    letter: &'a PendingLetter,
    (name, address): (&'a str, &'a str),
    pin: &'a str,
    expires: &'a str,
) -> Letter<'a> {
    let kind = match letter.kind.as_str() {
        "post_office" => LetterKind::PostOffice,
        _ => LetterKind::Activation,
    };
    Letter {
        name,
        address,
        reference: &letter.account_id,
        pin,
        expires,
        kind,
    }
}
