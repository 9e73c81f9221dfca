//! Passwords (argon2id PHC strings) and bearer tokens (32 random bytes, base64url;
//! only their SHA-256 is stored). A secret never reaches a log: [`Secret`] redacts
//! itself in `Debug` and `Display`.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the system random source failed: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// A password or token in memory. Prints as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    /// The secret text, for hashing or for handing to its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(buf)
}

/// A new bearer token: 32 random bytes, base64url without padding.
pub fn new_token() -> Result<Secret, AuthError> {
    Ok(Secret(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
}

/// A random password for accounts created without one (printed once by the CLI).
pub fn new_password() -> Result<Secret, AuthError> {
    Ok(Secret(URL_SAFE_NO_PAD.encode(random_bytes::<12>()?)))
}

/// SHA-256 hex of a token: what storage keeps and looks up.
pub fn token_hash(token: &str) -> String {
    gongwen_core::digest::sha256_hex(token.as_bytes())
}

/// Whether `given` is the secret `expected`, in time that does not depend on where they
/// differ (both are hashed first, so not on their lengths either).
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (token_hash(given), token_hash(expected));
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Longest username, in bytes.
pub const MAX_USERNAME_BYTES: usize = 64;

/// Whether `name` can be a username at all: 1–64 of lower-case letters, digits, `-`,
/// `.` and `_` (what `admin user add` accepts). Logins with anything else are refused
/// before any work, so what a client types never reaches storage, audit or log.
pub fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_USERNAME_BYTES
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_')
        })
}

/// argon2id (the crate's default parameters) PHC string of a password. Slow on
/// purpose: call it off the async runtime (`spawn_blocking`).
pub fn hash_password(password: &Secret) -> Result<String, AuthError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &Secret, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of a password nobody has, verified against when the username is
/// unknown so that a wrong username takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&Secret::new("gongwen-no-such-user")).unwrap_or_else(|_| String::new())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_roundtrip_and_redaction() {
        let pw = Secret::new("正确的密码");
        let phc = hash_password(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password(&pw, &phc));
        assert!(!verify_password(&Secret::new("wrong"), &phc));
        assert!(!verify_password(&pw, "not a hash"));
        assert_eq!(format!("{pw:?} {pw}"), "<redacted> <redacted>");
    }

    #[test]
    fn usernames_are_short_and_plain() {
        assert!(valid_username("fgw-clerk"));
        assert!(valid_username("a.b_c-1"));
        assert!(valid_username(&"x".repeat(64)));
        for bad in ["", "FGW", "a b", "a\nb", "张明", "a/b"] {
            assert!(!valid_username(bad), "{bad:?}");
        }
        assert!(!valid_username(&"x".repeat(65)));
    }

    #[test]
    fn tokens_are_32_bytes_and_distinct() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose()).unwrap().len(), 32);
        assert_eq!(token_hash(a.expose()).len(), 64);
    }
}
