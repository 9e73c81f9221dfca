//! The unit's SM2 key that signs each package (DA/T 48 电子签名块).
//!
//! `gongwen archive keygen FILE` writes the secret key to FILE (hex of the 32-byte
//! scalar, readable by its owner only) and the public key to FILE.pub (hex of the SEC1
//! uncompressed point), which goes with every batch (其他/单位签名公钥.txt) and which the
//! receiving archive pins. There is no certificate authority here: the unit's key is
//! trusted because the archive was given its public key, not because a CA signed it.

use std::path::{Path, PathBuf};

use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};

use crate::ArchiveError;

/// The SM2 user ID (ZA) every signature here uses: the default of GB/T 35276.
pub const DIST_ID: &str = "1234567812345678";

/// OID of SM2 with SM3 (GB/T 33560).
pub const SM2_SM3_OID: &str = "1.2.156.10197.1.501";

/// A unit's signing key.
pub struct UnitKey {
    key: SigningKey,
}

impl std::fmt::Debug for UnitKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        write!(f, "UnitKey({})", self.public_hex())
    }
}

impl UnitKey {
    /// A new random key.
    pub fn generate() -> UnitKey {
        use sm2::elliptic_curve::Generate;
        let secret = sm2::SecretKey::generate();
        UnitKey {
            key: SigningKey::new(DIST_ID, &secret).expect("a fresh key is valid"),
        }
    }

    /// Reads a key file written by [`keygen`].
    pub fn load(path: &Path) -> Result<UnitKey, ArchiveError> {
        let bad = |reason: &str| ArchiveError::Key {
            path: path.to_path_buf(),
            reason: reason.into(),
        };
        let text = std::fs::read_to_string(path).map_err(|source| ArchiveError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let hex_text = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(|| bad("it holds no key"))?;
        let bytes = hex::decode(hex_text).map_err(|_| bad("the key is not hexadecimal"))?;
        if bytes.len() != 32 {
            return Err(bad("an SM2 secret key is 32 bytes"));
        }
        let key = SigningKey::from_slice(DIST_ID, &bytes)
            .map_err(|_| bad("not a valid SM2 secret key"))?;
        Ok(UnitKey { key })
    }

    /// Hex of the SEC1 uncompressed public key.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_sec1_bytes())
    }

    /// SM2 signature (r‖s, 64 bytes) of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(message);
        sig.to_bytes().to_vec()
    }
}

/// Writes a new key to `path` (mode 0600 on Unix) and its public half to `path.pub`.
/// Refuses to overwrite an existing key: losing it would orphan every signed package.
pub fn keygen(path: &Path) -> Result<(UnitKey, PathBuf), ArchiveError> {
    if path.exists() {
        return Err(ArchiveError::Key {
            path: path.to_path_buf(),
            reason: "the file exists; refusing to overwrite a key".into(),
        });
    }
    let key = UnitKey::generate();
    let secret = format!(
        "# Gongwen Desk unit signing key (SM2). Keep it secret; the archive has the .pub file.\n{}\n",
        hex::encode(key.key.to_bytes())
    );
    write_private(path, secret.as_bytes())?;
    let public = public_path(path);
    crate::write(&public, format!("{}\n", key.public_hex()).as_bytes())?;
    Ok((key, public))
}

/// `FILE.pub` beside `FILE`.
pub fn public_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|source| ArchiveError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    f.write_all(bytes).map_err(|source| ArchiveError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a public key file (hex of SEC1), e.g. `FILE.pub` or 其他/单位签名公钥.txt.
pub fn read_public(path: &Path) -> Result<String, ArchiveError> {
    let text = std::fs::read_to_string(path).map_err(|source| ArchiveError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let hex_text = text.trim().to_ascii_lowercase();
    verifying_key(&hex_text).map_err(|reason| ArchiveError::Key {
        path: path.to_path_buf(),
        reason,
    })?;
    Ok(hex_text)
}

fn verifying_key(public_hex: &str) -> Result<VerifyingKey, String> {
    let bytes = hex::decode(public_hex.trim()).map_err(|_| "the public key is not hexadecimal")?;
    VerifyingKey::from_sec1_bytes(DIST_ID, &bytes).map_err(|_| "not an SM2 public key".to_string())
}

/// Whether `signature` (r‖s) is `public_hex`'s SM2 signature of `message`; `Err` says
/// why not.
pub fn verify(public_hex: &str, message: &[u8], signature: &[u8]) -> Result<(), String> {
    let key = verifying_key(public_hex)?;
    let sig =
        Signature::from_slice(signature).map_err(|_| "the signature is not 64 bytes of r‖s")?;
    key.verify(message, &sig)
        .map_err(|_| "the signature does not match the signed data and the key".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_written_reads_back_and_signs_what_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unit.key");
        let (key, public) = keygen(&path).unwrap();
        let again = UnitKey::load(&path).unwrap();
        assert_eq!(key.public_hex(), again.public_hex());
        assert_eq!(read_public(&public).unwrap(), key.public_hex());
        let sig = again.sign(b"package");
        verify(&key.public_hex(), b"package", &sig).unwrap();
        assert!(verify(&key.public_hex(), b"packagf", &sig).is_err());
        assert!(
            keygen(&path).is_err(),
            "an existing key is never overwritten"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
