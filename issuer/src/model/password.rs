//! The password policy: long enough, and not guessable by someone who
//! knows the applicant's document number.

/// Shortest and longest passwords accepted.
pub const PASSWORD_LENGTH: std::ops::RangeInclusive<usize> = 10..=128;

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
/// The [`PasswordProblem`].
pub fn check_password(password: &str, context: &[&str]) -> Result<(), PasswordProblem> {
    check_length(password)?;
    if zxcvbn::zxcvbn(password, context).score() < MIN_PASSWORD_SCORE {
        return Err(PasswordProblem::Guessable);
    }
    Ok(())
}

/// Checks the length alone.
///
/// # Errors
/// [`PasswordProblem::Length`].
pub fn check_length(password: &str) -> Result<(), PasswordProblem> {
    if PASSWORD_LENGTH.contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(PasswordProblem::Length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guessable_passwords_are_refused_and_strong_ones_pass() {
        let problem = |p: &str, context: &[&str]| check_password(p, context).err();
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
            "load test password",
            "timing test tram to the peak",
            "tram to Victoria Peak at dawn",
            "維港兩岸燈火通明的晚上",
        ] {
            assert_eq!(problem(strong, &[]), None, "{strong}");
        }
    }
}
