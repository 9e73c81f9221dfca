//! SHA-256 as every side writes it: lower-case hex. Attachment files, document
//! contents, command payloads, tokens and the audit chain are all named this way.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Lower-case hex of bytes (a finished digest, typically).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// SHA-256 of bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A SHA-256 in hex, in any case, as the one lower-case spelling every side stores and
/// compares; None for anything else (wrong length, a non-hex character, a path).
pub fn parse_sha256(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// Whether `s` is a SHA-256 in hex, in any case (see [`parse_sha256`]).
pub fn is_sha256(s: &str) -> bool {
    parse_sha256(s).is_some()
}

/// Whether `s` is a SHA-256 already in its stored spelling (lower case), for places
/// that take the name as given, such as a URL path.
pub fn is_lower_sha256(s: &str) -> bool {
    parse_sha256(s).is_some_and(|n| n == s)
}

/// SHA-256 of a value's JSON, in hex. Struct fields serialize in declaration order, so
/// the same value gives the same hash on every side.
pub fn json_sha256<T: Serialize + ?Sized>(value: &T) -> String {
    sha256_hex(&serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn sha256_names_are_parsed_to_lower_case() {
        let lower = "a".repeat(63) + "0";
        let upper = "A".repeat(63) + "0";
        assert_eq!(super::parse_sha256(&upper).as_deref(), Some(lower.as_str()));
        assert!(super::is_sha256(&upper) && super::is_lower_sha256(&lower));
        assert!(!super::is_lower_sha256(&upper));
        assert!(!super::is_sha256(&"a".repeat(63)));
        assert!(!super::is_sha256(&format!("../{}", "a".repeat(61))));
        assert!(!super::is_sha256(&("g".repeat(64))));
    }
}
