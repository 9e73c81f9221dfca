//! SHA-256 and SM3 of a file, read once.

use std::io::Read;
use std::path::Path;

use sha2::Digest as _;

/// Both digests of one file and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigests {
    pub size: u64,
    pub sha256: String,
    pub sm3: String,
}

impl FileDigests {
    pub fn of_bytes(bytes: &[u8]) -> FileDigests {
        FileDigests {
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            sm3: sm3_hex(bytes),
        }
    }

    /// Streams the file through both hashes at once (one read of the bytes).
    pub fn of_file(path: &Path) -> std::io::Result<FileDigests> {
        let mut f = std::fs::File::open(path)?;
        let mut sha = sha2::Sha256::new();
        let mut sm = sm3::Sm3::default();
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            sha.update(&buf[..n]);
            sm3::Digest::update(&mut sm, &buf[..n]);
        }
        Ok(FileDigests {
            size,
            sha256: hex::encode(sha.finalize()),
            sm3: hex::encode(sm3::Digest::finalize(sm)),
        })
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn sm3_hex(bytes: &[u8]) -> String {
    hex::encode(<sm3::Sm3 as sm3::Digest>::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sm3_matches_the_standards_test_vector() {
        // GB/T 32905-2016 Appendix A.
        assert_eq!(
            super::sm3_hex(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }
}
