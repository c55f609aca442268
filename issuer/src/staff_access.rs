//! Staff signing in to the web consoles: set up once with the token that
//! `issuer staff add` printed (a new authenticator secret, then a password
//! and the first code), then a name, the password and a fresh one-time code
//! each time. Every answer that refuses says only "not right", whether the
//! name, the password or the code was wrong.

use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::{
    Error,
    model::StaffMember,
    secrets,
    store::{Store, staff_sessions::StaffCredentials},
    totp,
};

/// The issuer named in authenticator apps.
pub const TOTP_ISSUER: &str = "HK Health Code staff";

/// A new authenticator secret for `name`, who holds their set-up `token`
/// and has not set up sign-in: kept sealed until the first code proves it.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong name or token, a disabled member or
/// one already set up; [`Error::Db`].
pub async fn begin_setup(
    store: &Store,
    name: &str,
    token: &str,
) -> Result<(StaffMember, Zeroizing<Vec<u8>>), Error> {
    let credentials = holder_of_token(store, name, token).await?;
    let mut secret = Zeroizing::new(vec![0u8; totp::SECRET_BYTES]);
    store.with_rng(|rng| rand::RngCore::fill_bytes(rng, &mut secret));
    store
        .begin_staff_setup(&credentials.member.id, &secret)
        .await?;
    Ok((credentials.member, secret))
}

/// Finishes setting up: the token again, a new password and the first code
/// of the secret from [`begin_setup`]. Returns a session token and its expiry.
///
/// # Errors
/// [`Error::WeakPassword`]; [`Error::BadCredentials`] for a wrong name, token
/// or code; [`Error::TaskFailed`], [`Error::Db`].
pub async fn finish_setup(
    store: &Store,
    (name, token): (&str, &str),
    password: &str,
    code: &str,
    now: OffsetDateTime,
) -> Result<(String, OffsetDateTime), Error> {
    crate::model::password::check_password(password, &[name]).map_err(Error::WeakPassword)?;
    let credentials = holder_of_token(store, name, token).await?;
    let step = credentials
        .totp_secret
        .as_ref()
        .and_then(|secret| totp::matching_step(secret, code, now.unix_timestamp()))
        .ok_or(Error::BadCredentials)?;
    let owned = Zeroizing::new(password.to_owned());
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&owned))
        .await
        .map_err(|_| Error::TaskFailed)??;
    store
        .finish_staff_setup(&credentials.member, &hash, step, now)
        .await
}

/// Signs `name` in with their password and a one-time code not used before.
/// Returns a session token and its expiry. A refusal of a known member is
/// audited.
///
/// # Errors
/// [`Error::BadCredentials`]; [`Error::TaskFailed`], [`Error::Db`].
pub async fn sign_in(
    store: &Store,
    name: &str,
    password: &str,
    code: &str,
    now: OffsetDateTime,
) -> Result<(String, OffsetDateTime), Error> {
    let credentials = store.staff_credentials(name).await?;
    let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let owned = Zeroizing::new(password.to_owned());
    // Spent whether or not the name exists, so timing tells nothing.
    let password_matches =
        tokio::task::spawn_blocking(move || secrets::verify_password(&owned, hash.as_deref()))
            .await
            .map_err(|_| Error::TaskFailed)?;
    let Some(credentials) = credentials else {
        return Err(Error::BadCredentials);
    };
    let step = credentials
        .totp_secret
        .as_ref()
        .and_then(|secret| totp::matching_step(secret, code, now.unix_timestamp()))
        .filter(|&step| step > credentials.last_step);
    match step {
        Some(step) if password_matches => {
            store.staff_signed_in(&credentials.member, step, now).await
        }
        _ => {
            store
                .audit_staff_refused(&credentials.member, "staff_sign_in_refused", now)
                .await?;
            Err(Error::BadCredentials)
        }
    }
}

/// The secret that [`begin_setup`] kept for `name`, to show again after a
/// wrong first code.
///
/// # Errors
/// [`Error::BadCredentials`] for a wrong name or token, or no set-up begun; [`Error::Db`].
pub async fn pending_secret(
    store: &Store,
    name: &str,
    token: &str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    holder_of_token(store, name, token)
        .await?
        .totp_secret
        .ok_or(Error::BadCredentials)
}

/// The enabled member named `name` whose set-up token is `token`.
async fn holder_of_token(
    store: &Store,
    name: &str,
    token: &str,
) -> Result<StaffCredentials, Error> {
    let given = store.key().secret_hash("staff", "", token.trim());
    let credentials = store
        .staff_credentials(name)
        .await?
        .ok_or(Error::BadCredentials)?;
    let matches = bool::from(given.as_bytes().ct_eq(credentials.token_hash.as_bytes()));
    if matches && credentials.password_hash.is_none() {
        Ok(credentials)
    } else {
        Err(Error::BadCredentials)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::model::Role;

    const NOW: OffsetDateTime = datetime!(2026-11-30 06:00 UTC);
    const PASSWORD: &str = "violet harbour tram quietly 1862";

    fn code_at(secret: &[u8], at: OffsetDateTime) -> String {
        totp::code(secret, totp::step_at(at.unix_timestamp()), totp::DIGITS)
    }

    async fn set_up(store: &Store, name: &str) -> Result<(String, Zeroizing<Vec<u8>>), Error> {
        let token = store.add_staff(name, Role::Reviewer, NOW).await?;
        let (_, secret) = begin_setup(store, name, &token).await?;
        finish_setup(store, (name, &token), PASSWORD, &code_at(&secret, NOW), NOW).await?;
        Ok((token, secret))
    }

    #[tokio::test]
    async fn set_up_then_each_code_signs_in_once() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let (token, secret) = set_up(&store, "rita").await?;
        // Set up once only: the token cannot set it up again.
        assert!(matches!(
            begin_setup(&store, "rita", &token).await,
            Err(Error::BadCredentials)
        ));
        // The set-up's code is spent; the next step's works, once.
        let later = NOW + time::Duration::seconds(30);
        let spent = code_at(&secret, NOW);
        assert!(matches!(
            sign_in(&store, "rita", PASSWORD, &spent, later).await,
            Err(Error::BadCredentials)
        ));
        let fresh = code_at(&secret, later);
        let (session, _) = sign_in(&store, "rita", PASSWORD, &fresh, later).await?;
        assert!(matches!(
            sign_in(&store, "rita", PASSWORD, &fresh, later).await,
            Err(Error::BadCredentials)
        ));
        let member = store.staff_for_session(&session, later).await?;
        assert_eq!(member.map(|m| m.name).as_deref(), Some("rita"));
        // A wrong password with a good code, and a wrong name, are refused alike.
        let next = NOW + time::Duration::seconds(60);
        for (name, password) in [("rita", "not the pass phrase"), ("nobody", PASSWORD)] {
            assert!(matches!(
                sign_in(&store, name, password, &code_at(&secret, next), next).await,
                Err(Error::BadCredentials)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn rotating_or_disabling_ends_sessions_and_rotating_allows_a_new_set_up()
    -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let (old_token, secret) = set_up(&store, "rita").await?;
        let later = NOW + time::Duration::seconds(30);
        let (session, _) =
            sign_in(&store, "rita", PASSWORD, &code_at(&secret, later), later).await?;
        let new_token = store.rotate_staff_token("rita", later).await?;
        assert!(store.staff_for_session(&session, later).await?.is_none());
        assert!(begin_setup(&store, "rita", &old_token).await.is_err());
        let (_, secret) = begin_setup(&store, "rita", &new_token).await?;
        let at = NOW + time::Duration::seconds(60);
        let (session, _) = finish_setup(
            &store,
            ("rita", &new_token),
            PASSWORD,
            &code_at(&secret, at),
            at,
        )
        .await?;
        store.disable_staff("rita", at).await?;
        assert!(store.staff_for_session(&session, at).await?.is_none());
        Ok(())
    }

    #[tokio::test]
    async fn a_wrong_first_code_or_a_short_password_sets_nothing_up() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let token = store.add_staff("rita", Role::Reviewer, NOW).await?;
        let (_, secret) = begin_setup(&store, "rita", &token).await?;
        let wrong = if code_at(&secret, NOW) == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert!(matches!(
            finish_setup(&store, ("rita", &token), PASSWORD, wrong, NOW).await,
            Err(Error::BadCredentials)
        ));
        assert!(matches!(
            finish_setup(
                &store,
                ("rita", &token),
                "short",
                &code_at(&secret, NOW),
                NOW
            )
            .await,
            Err(Error::WeakPassword(_))
        ));
        // Still not set up: the token begins again.
        assert!(begin_setup(&store, "rita", &token).await.is_ok());
        Ok(())
    }
}
