//! A resident applies for today's code: the facts are gathered, the rules
//! evaluated, the token signed and stored, and the day's earlier codes
//! superseded, in one transaction.
//!
//! The transaction matters: feed records commit under the write lock, which
//! an application holds too (shared with other applications, never with a
//! batch), so a batch either committed before this application read the
//! facts (and the colour reflects it) or commits after the code is stored
//! (and the batch's re-evaluation finds the code). No code can slip between
//! the two.

use healthcode_keys::revocation::RevocationReason;
use healthcode_keys::{
    TokenId, UnverifiedToken,
    hktime::{end_of_hk_day, parse_date},
};
use time::{Duration, OffsetDateTime};

use super::{
    explain::{ReasonView, explain},
    gather::gather,
    signer::Signer,
};
use crate::{
    Error,
    issue::{Holder, sign_code},
    model::{AccountStatus, Actor},
    rules::{Evaluation, evaluation_of, findings},
    store::{
        Store,
        codes::{NewCode, revocation_of},
        visits::VenueNames,
    },
};

/// The most codes one resident may be issued in a Hong Kong day: every
/// re-application revokes the code before it, and each revocation goes to
/// every checkpoint, so a script must not be able to apply in a loop.
pub const MAX_CODES_PER_DAY: i64 = 20;

/// A code just issued.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The signed token.
    pub token: UnverifiedToken,
    /// The colour, validity and reasons.
    pub evaluation: Evaluation,
    /// The reasons in plain words, with their facts.
    pub reasons: Vec<ReasonView>,
    /// The day's earlier codes, now revoked as superseded.
    pub superseded: Vec<TokenId>,
}

/// Issues today's code to the holder of active account `account_id`.
///
/// # Errors
/// [`Error::NotFound`] for an account that is not active;
/// [`Error::RateLimited`] past [`MAX_CODES_PER_DAY`]; a signing key that
/// cannot sign now ([`Error::Keys`]); [`Error::Db`] (then nothing is issued).
pub async fn apply(
    store: &Store,
    signer: &Signer,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<Issued, Error> {
    let key = signer.key_at(now)?;
    // A resident past the day's limit is refused before the binding's
    // Argon2id is spent; the transaction checks again, authoritatively.
    let mut reader = store.pool().acquire().await?;
    within_daily_limit(store, &mut reader, account_id, now).await?;
    drop(reader);
    // The binding is made before the single writer is taken, so that it
    // holds up no one.
    let holder = holder_of(store, account_id).await?;
    let token_id = store.with_rng(TokenId::generate);
    let bound = signer.bind(token_id, holder, now).await?;
    let mut tx = store.write_application(account_id).await?;
    let account = store
        .account(&mut *tx, account_id)
        .await?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or(Error::NotFound { what: "account" })?;
    within_daily_limit(store, &mut tx, account_id, now).await?;
    let gathered = gather(
        store,
        &mut tx,
        std::slice::from_ref(&account),
        now,
        VenueNames::Read,
    )
    .await?;
    let person = gathered
        .people
        .first()
        .ok_or(Error::NotFound { what: "account" })?;
    let found = findings(person, &gathered.designations, now);
    let evaluation = evaluation_of(&found, now);
    let token = sign_code(&key, evaluation.colour, &bound)?;
    let claims = token.insecure_claims();
    let earlier = store.live_codes(&mut tx, account_id, now).await?;
    let text = token.to_text();
    store
        .insert_code(
            &mut tx,
            &NewCode {
                token_id: claims.token_id,
                account_id,
                kid: key.kid(),
                colour: evaluation.colour,
                reasons: &evaluation.reasons,
                token: &text,
                issued_at: claims.issued_at,
                valid_until: claims.valid_until,
            },
        )
        .await?;
    let actor = Actor::Resident(account_id.to_owned());
    let superseded: Vec<_> = earlier
        .iter()
        .map(|code| revocation_of(code, RevocationReason::Superseded, now))
        .collect();
    store
        .record_revocations(&mut tx, &superseded, &actor)
        .await?;
    let detail = serde_json::json!({
        "colour": evaluation.colour.as_str(),
        "reasons": evaluation.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "kid": key.kid().to_string(),
        "superseded": superseded.iter().map(|r| r.token_id.to_string()).collect::<Vec<_>>(),
    });
    let token_id = claims.token_id.to_string();
    store
        .audit(&mut tx, now, &actor, "code_issued", &token_id, &detail)
        .await?;
    tx.commit().await?;
    Ok(Issued {
        reasons: explain(&found, &gathered.venue_names),
        superseded: superseded.iter().map(|r| r.token_id).collect(),
        token,
        evaluation,
    })
}

/// [`Error::RateLimited`] once `account_id` has [`MAX_CODES_PER_DAY`] codes
/// of the Hong Kong day of `now`.
async fn within_daily_limit(
    store: &Store,
    conn: &mut sqlx::AnyConnection,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let day_end = end_of_hk_day(now);
    let issued_today = store
        .codes_issued_since(conn, account_id, day_end - Duration::DAY)
        .await?;
    if issued_today >= MAX_CODES_PER_DAY {
        return Err(Error::rate_limited(day_end - now + Duration::SECOND));
    }
    Ok(())
}

/// The document and date of issue of account `account_id`, as registered.
/// Stored values were checked at registration: one that no longer parses is
/// corrupt data (and is never echoed).
async fn holder_of(store: &Store, account_id: &str) -> Result<Holder, Error> {
    let details = store.details_of(store.pool(), account_id).await?;
    let corrupt = |what| Error::Corrupt {
        what,
        value: "<redacted>".into(),
    };
    Ok(Holder {
        document: details
            .id_document
            .parse()
            .map_err(|_| corrupt("stored ID document"))?,
        date_of_issue: parse_date(&details.date_of_issue)
            .map_err(|_| corrupt("stored date of issue"))?,
    })
}
