//! Password hashing (argon2id with the crate's OWASP-recommended defaults) and the strength rule.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use rand::distributions::Alphanumeric;
use rand::rngs::OsRng;

use crate::error::FieldError;
use crate::i18n::Text;

pub const MIN_LENGTH: usize = 10;
/// Bounds the work an attacker can make the server do per login attempt.
pub const MAX_LENGTH: usize = 256;

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters does not fail")
        .to_string()
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the same time as a real verification, so that an unknown username cannot be told from a
/// wrong password by timing.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("dummy password for timing"));
    let _ = verify(password, dummy);
}

/// A random password for accounts created from the command line without one.
pub fn generate() -> String {
    OsRng
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

/// Refuses short, long and guessable passwords (zxcvbn score below 3, which also catches
/// passwords built from the username or display name).
pub fn check_strength(field: &str, password: &str, personal: &[&str]) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(FieldError::new(
            field,
            "too_short",
            Text::new(
                format!("Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự."),
                format!("The password must have at least {MIN_LENGTH} characters."),
            ),
        ));
    }
    if password.len() > MAX_LENGTH {
        return Err(FieldError::new(
            field,
            "too_long",
            Text::new(
                format!("Mật khẩu không được dài quá {MAX_LENGTH} byte."),
                format!("The password must not be longer than {MAX_LENGTH} bytes."),
            ),
        ));
    }
    let score: u8 = zxcvbn::zxcvbn(password, personal).score().into();
    if score < 3 {
        return Err(FieldError::new(
            field,
            "weak_password",
            Text::new(
                "Mật khẩu quá dễ đoán; hãy dùng cụm từ dài hơn, không chứa tên đăng nhập.",
                "The password is too easy to guess; use a longer passphrase without the username.",
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_password() {
        let stored = hash("correct horse battery staple");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("correct horse battery stapl", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert_eq!(
            check_strength("password", "short", &[]).unwrap_err().code,
            "too_short"
        );
        assert_eq!(
            check_strength("password", "password123", &[]).unwrap_err().code,
            "weak_password"
        );
        assert_eq!(
            check_strength("password", "nguyenvana2024", &["nguyenvana"])
                .unwrap_err()
                .code,
            "weak_password"
        );
        assert!(check_strength("password", "Tre-lang-Phu-Vinh-1987!", &[]).is_ok());
        assert!(check_strength("password", &generate(), &[]).is_ok());
    }
}
