//! The applicant's secrets: random PINs and argon2id password hashes.

use argon2::{
    Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _, password_hash::SaltString,
};
use rand::Rng;
use zeroize::Zeroizing;

use crate::Error;

/// Shortest and longest passwords accepted.
pub const PASSWORD_LENGTH: std::ops::RangeInclusive<usize> = 10..=128;

/// A random 6-digit PIN (uniform over 000000 to 999999) from `rng`.
pub fn new_pin(rng: &mut (impl Rng + ?Sized)) -> Zeroizing<String> {
    Zeroizing::new(format!("{:06}", rng.gen_range(0..1_000_000)))
}

/// The lowest zxcvbn score accepted: 3 of 4, "safely unguessable" against
/// an attacker who has the hashes and guesses offline.
const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Outside [`PASSWORD_LENGTH`].
    #[error("a password has 10 to 128 characters")]
    Length,
    /// Common, a keyboard or repeated pattern, a date, or the document number.
    #[error(
        "this password is too easy to guess (a common password, a pattern such as \
         aaaaaaaaaa or 1234567890, a date, or your document number); \
         a few unrelated words make a strong one"
    )]
    Guessable,
}

/// Checks the password policy: length, then how guessable it is, counting
/// `context` (the document number, the name) as known to an attacker.
///
/// # Errors
/// [`Error::WeakPassword`] with the [`PasswordProblem`].
pub fn check_password(password: &str, context: &[&str]) -> Result<(), Error> {
    check_length(password)?;
    if zxcvbn::zxcvbn(password, context).score() < MIN_PASSWORD_SCORE {
        return Err(Error::WeakPassword(PasswordProblem::Guessable));
    }
    Ok(())
}

fn check_length(password: &str) -> Result<(), Error> {
    if PASSWORD_LENGTH.contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(Error::WeakPassword(PasswordProblem::Length))
    }
}

/// The argon2id hash of `password` (PHC string). CPU-heavy: call from a blocking thread.
///
/// # Errors
/// [`Error::WeakPassword`] for a length outside the policy.
pub fn hash_password(password: &str) -> Result<String, Error> {
    check_length(password)?;
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

    #[test]
    fn guessable_passwords_are_refused_and_strong_ones_pass() {
        let problem = |p: &str, context: &[&str]| match check_password(p, context) {
            Ok(()) => None,
            Err(Error::WeakPassword(problem)) => Some(problem),
            Err(e) => panic!("{e}"),
        };
        for weak in [
            "aaaaaaaaaa",
            "1234567890",
            "password123",
            "qwertyuiop",
            "iloveyou1234",
            "1990-01-01",
        ] {
            assert_eq!(
                problem(weak, &[]),
                Some(PasswordProblem::Guessable),
                "{weak}"
            );
        }
        // The applicant's own document number is known to whoever attacks them.
        assert_eq!(
            problem("A1234563A1234563", &["A1234563"]),
            Some(PasswordProblem::Guessable)
        );
        assert_eq!(problem("short", &[]), Some(PasswordProblem::Length));
        assert_eq!(
            problem(&"x9".repeat(65), &[]),
            Some(PasswordProblem::Length)
        );
        for strong in [
            "correct horse battery staple",
            "quick start password",
            "tram to Victoria Peak at dawn",
            "維港兩岸燈火通明的晚上",
        ] {
            assert_eq!(problem(strong, &[]), None, "{strong}");
        }
    }
}
