//! Revoking one code by hand (an operator, or an admin for fraud or at the
//! holder's request): recorded in the database with an audit entry, and
//! delivered to Redis like every other revocation.

use healthcode_keys::revocation::{Revocation, RevocationReason};
use healthcode_keys::{TokenId, hktime::end_of_hk_day};
use time::OffsetDateTime;

use crate::{Error, model::Actor, store::Store};

/// A revocation recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The revocation in force: this one, or the earlier one that stands.
    pub revocation: Revocation,
    /// False when the code was revoked already (the first revocation stands).
    pub new: bool,
}

/// Revokes `token_id` for `reason` on behalf of `by` (an operator, a staff member),
/// until `until` (default: when the code expires, if this issuer issued it,
/// else the end of today in Hong Kong).
///
/// # Errors
/// [`Error::RevocationExpired`] for a code that has
/// already expired; [`Error::Db`].
pub async fn revoke(
    store: &Store,
    token_id: TokenId,
    reason: RevocationReason,
    until: Option<OffsetDateTime>,
    by: &Actor,
    now: OffsetDateTime,
) -> Result<Revoked, Error> {
    let until = match until {
        Some(until) => until,
        None => store
            .code_valid_until(&token_id)
            .await?
            .unwrap_or_else(|| end_of_hk_day(now)),
    };
    if until < now {
        return Err(Error::RevocationExpired { until });
    }
    let revocation = Revocation {
        token_id,
        reason,
        revoked_at: now,
        until,
    };
    let mut tx = store.write().await?;
    let new = store
        .record_revocations(&mut tx, std::slice::from_ref(&revocation), by)
        .await?
        == 1;
    let detail = serde_json::json!({ "reason": reason.as_str(), "new": new });
    store
        .audit(
            &mut tx,
            now,
            by,
            "code_revoked",
            &token_id.to_string(),
            &detail,
        )
        .await?;
    tx.commit().await?;
    let standing = match new {
        true => revocation,
        false => store.revocation(&token_id).await?.unwrap_or(revocation),
    };
    Ok(Revoked {
        revocation: standing,
        new,
    })
}
