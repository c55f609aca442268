//! Secrets people type: random PINs and argon2id password hashes (of
//! residents and of staff).

use argon2::{
    Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _, password_hash::SaltString,
};
use rand::Rng;
use zeroize::Zeroizing;

use crate::{
    Error,
    model::password::{self, PasswordProblem},
};

/// A random 6-digit PIN (uniform over 000000 to 999999) from `rng`.
pub fn new_pin(rng: &mut (impl Rng + ?Sized)) -> Zeroizing<String> {
    Zeroizing::new(format!("{:06}", rng.gen_range(0..1_000_000)))
}

/// The argon2id hash of `password` (PHC string). CPU-heavy: call from a blocking thread.
///
/// # Errors
/// [`Error::WeakPassword`] for a length outside the policy.
pub fn hash_password(password: &str) -> Result<String, Error> {
    password::check_length(password).map_err(Error::WeakPassword)?;
    // The salt needs only to be unique, not reproducible: the system's source.
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| Error::WeakPassword(PasswordProblem::Length))
}

/// A hash of no one's password, checked when an account is missing so that
/// a failed login takes the same time whether or not the account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// Whether `password` matches `hash` (or, with no hash, the dummy, to spend the same time).
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or_else(|| dummy_hash())) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && hash.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_six_digits() {
        for _ in 0..100 {
            let pin = new_pin(&mut rand::rngs::OsRng);
            assert_eq!(pin.len(), 6);
            assert!(pin.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn passwords_hash_and_verify() -> Result<(), Error> {
        let hash = hash_password("correct horse battery")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("wrong horse battery", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
        assert!(hash_password("short").is_err());
        Ok(())
    }
}
