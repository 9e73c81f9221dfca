//! 移交, the offline half: what a batch folder holds, as the transfer sends it (every
//! file with its SHA-256, and the catalogue's 全宗号, 年度, 档号 and 密级), and what
//! changed in a batch since a first attempt. The network half is the CLI's
//! (`gongwen archive transfer`); the receiving server re-checks the batch with
//! [`crate::check_batch`] at stage YJ.

use std::io::Read;
use std::path::Path;

use gongwen_core::transfer::TransferFile;
use gongwen_core::Classification;
use sha2::{Digest, Sha256};

use crate::file::CATALOGUE_XML;
use crate::ArchiveError;

/// What 文件目录.XML says of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub fonds_code: String,
    pub unit_name: String,
    pub year: u16,
    /// 档号 in catalogue order.
    pub archival_codes: Vec<String>,
    /// 总件数 and 总字节数 as stated.
    pub items: u64,
    pub bytes: u64,
    /// The highest 密级 of its 件.
    pub classification: Classification,
}

/// Reads the batch's 文件目录.XML; names what is missing or wrong.
pub fn read_catalogue(dir: &Path) -> Result<Catalogue, ArchiveError> {
    let path = dir.join(CATALOGUE_XML);
    let text = String::from_utf8(crate::read(&path)?)
        .map_err(|_| ArchiveError::Config(format!("{} is not UTF-8", path.display())))?;
    let bad = |what: String| ArchiveError::Config(format!("{}: {what}", path.display()));
    let doc = roxmltree::Document::parse(&text).map_err(|e| bad(format!("does not parse: {e}")))?;
    let root = doc.root_element();
    if !root.has_tag_name("文件目录") {
        return Err(bad("the root element is not 文件目录".into()));
    }
    let attr = |name: &str| {
        root.attribute(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| bad(format!("the attribute {name} is missing")))
    };
    let number = |name: &str| -> Result<u64, ArchiveError> {
        attr(name)?
            .parse()
            .map_err(|_| bad(format!("{name} is not a number")))
    };
    let year: u16 = attr("年度")?
        .parse()
        .map_err(|_| bad("年度 is not a year".into()))?;
    let mut codes = Vec::new();
    let mut classification = Classification::Unclassified;
    for f in root.children().filter(|c| c.has_tag_name("文件")) {
        let leaf = |name: &str| {
            f.children()
                .find(|c| c.has_tag_name(name))
                .and_then(|c| c.text())
                .map(|t| t.trim().to_string())
        };
        let code = leaf("档号").ok_or_else(|| bad("a 文件 has no 档号".into()))?;
        let level = leaf("密级").unwrap_or_default();
        let level = Classification::ALL
            .into_iter()
            .find(|c| c.label() == level)
            .ok_or_else(|| {
                bad(format!(
                    "{code}: 密级 {level:?} is not one of 非密/秘密/机密/绝密"
                ))
            })?;
        classification = classification.max(level);
        codes.push(code);
    }
    if codes.is_empty() {
        return Err(bad("it lists no 文件".into()));
    }
    Ok(Catalogue {
        fonds_code: attr("全宗号")?.to_string(),
        unit_name: attr("立档单位名称")?.to_string(),
        year,
        archival_codes: codes,
        items: number("总件数")?,
        bytes: number("总字节数")?,
        classification,
    })
}

/// Every file under the batch folder, by `/`-separated path, with its SHA-256 and
/// size, sorted by path. Symbolic links and anything but plain files are refused: a
/// batch is a carrier of plain files.
pub fn batch_files(dir: &Path) -> Result<Vec<TransferFile>, ArchiveError> {
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<TransferFile>) -> Result<(), ArchiveError> {
    let read_err = |source| ArchiveError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let name = entry.file_name();
        let name = name.to_str().ok_or_else(|| {
            ArchiveError::Config(format!("{}: a file name is not UTF-8", dir.display()))
        })?;
        let rel = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(read_err)?;
        if kind.is_dir() {
            walk(&entry.path(), &rel, out)?;
        } else if kind.is_file() {
            let (sha256, size) = sha256_of(&entry.path())?;
            out.push(TransferFile {
                path: rel,
                sha256,
                size,
            });
        } else {
            return Err(ArchiveError::Config(format!(
                "{rel} is not a plain file (a link?); a batch holds plain files only"
            )));
        }
    }
    Ok(())
}

/// SHA-256 and length of a file, read in pieces (a 件's attachment may be large).
pub fn sha256_of(path: &Path) -> Result<(String, u64), ArchiveError> {
    let err = |source| ArchiveError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((gongwen_core::digest::hex(&hasher.finalize()), size))
}

/// What differs between the files a transfer sent first and the batch now, one line
/// per file (`changed: PATH`, `added: PATH`, `removed: PATH`); empty when the same.
pub fn changes(sent: &[TransferFile], now: &[TransferFile]) -> Vec<String> {
    let before: std::collections::BTreeMap<&str, &str> = sent
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let after: std::collections::BTreeMap<&str, &str> = now
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let mut out = Vec::new();
    for (path, hash) in &after {
        match before.get(path) {
            Some(h) if h == hash => {}
            Some(_) => out.push(format!("changed: {path}")),
            None => out.push(format!("added: {path}")),
        }
    }
    for path in before.keys() {
        if !after.contains_key(path) {
            out.push(format!("removed: {path}"));
        }
    }
    out
}
