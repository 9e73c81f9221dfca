//! Virus scanning (DA/T 70 安全性) behind a trait, with a ClamAV adapter. When no
//! scanner is available the check says 未扫描 (not scanned); it never passes silently.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// Every file was scanned; `infected` lists (file, signature name).
    Scanned {
        scanner: String,
        infected: Vec<(PathBuf, String)>,
    },
    /// The scanner could not scan (no signatures, crashed): why.
    NotScanned { reason: String },
}

/// A virus scanner over a folder.
pub trait VirusScanner {
    /// Name and version, for the report.
    fn name(&self) -> String;
    /// Scans every file under `dir`.
    fn scan(&self, dir: &Path) -> ScanOutcome;
}

/// ClamAV's `clamscan`, with an optional signature database (`-d`): tests give it a
/// file holding only the EICAR signature, since there is no network for `freshclam`.
#[derive(Debug, Clone)]
pub struct ClamAv {
    pub program: PathBuf,
    pub database: Option<PathBuf>,
}

impl ClamAv {
    /// `clamscan` from the PATH, if installed.
    pub fn detect(database: Option<PathBuf>) -> Option<ClamAv> {
        let ok = Command::new("clamscan")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| ClamAv {
            program: PathBuf::from("clamscan"),
            database,
        })
    }
}

impl VirusScanner for ClamAv {
    fn name(&self) -> String {
        Command::new(&self.program)
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "ClamAV".into())
    }

    fn scan(&self, dir: &Path) -> ScanOutcome {
        let mut cmd = Command::new(&self.program);
        cmd.args(["-r", "--no-summary", "--infected", "--stdout"]);
        if let Some(db) = &self.database {
            cmd.arg("-d").arg(db);
        }
        cmd.arg(dir);
        let out = match cmd.output() {
            Ok(o) => o,
            Err(e) => {
                return ScanOutcome::NotScanned {
                    reason: format!("clamscan could not run: {e}"),
                }
            }
        };
        // clamscan: 0 = clean, 1 = found, 2 = error (e.g. no signature database).
        match out.status.code() {
            Some(0) | Some(1) => {
                let text = String::from_utf8_lossy(&out.stdout);
                let infected = text
                    .lines()
                    .filter_map(|l| l.strip_suffix(" FOUND"))
                    .filter_map(|l| l.rsplit_once(": "))
                    .map(|(path, sig)| (PathBuf::from(path), sig.to_string()))
                    .collect();
                ScanOutcome::Scanned {
                    scanner: self.name(),
                    infected,
                }
            }
            _ => {
                let err = String::from_utf8_lossy(&out.stderr);
                let reason = err
                    .lines()
                    .find(|l| l.contains("Error") || l.contains("ERROR"))
                    .unwrap_or(err.trim())
                    .to_string();
                ScanOutcome::NotScanned {
                    reason: format!("clamscan failed: {reason}"),
                }
            }
        }
    }
}
