//! Standard output that behaves in a pipe. `gongwen search 2026 | head -1` closes the pipe
//! after one line; Rust's `println!` then panics. Here the first broken pipe stops the
//! printing and nothing else: the command finishes its work (a sync round, an import's
//! commit, the revocation of a one-call token) and exits as it would have, quietly.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);
static FAILED: AtomicBool = AtomicBool::new(false);

/// Whether output was lost for another reason than a reader that went away (a full
/// disk behind `> file`): the command then exits 2 although its work was done.
pub fn failed() -> bool {
    FAILED.load(Ordering::Relaxed)
}

/// Writes one line (see [`outln!`]); after a failed write, nothing more is written.
pub fn line(args: std::fmt::Arguments<'_>) {
    write(format_args!("{args}\n"));
}

/// Writes text as is (see [`out!`]).
pub fn write(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        CLOSED.store(true, Ordering::Relaxed);
        // A reader that went away is normal in a pipe; any other failure is said once.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            FAILED.store(true, Ordering::Relaxed);
            eprintln!("error: cannot write to standard output: {e}");
        }
    }
}

/// `println!` for the CLI's output: see the module.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::output::line(format_args!($($arg)*)) };
}

/// `print!` for the CLI's output: see the module.
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*)) };
}

pub(crate) use {out, outln};

/// Writes `bytes` to `path` whole: into a temporary file beside it, then renamed over it,
/// so a failed write never leaves half a file. A classified document's file
/// (`private`) stays the account's own (0600), so another account on the computer
/// cannot read it where it was written; any other is an ordinary file (0644).
pub fn write_whole(path: &std::path::Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".gongwen-")
        .suffix(".part")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    #[cfg(unix)]
    if !private {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    std::io::Write::write_all(&mut tmp, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
