//! Attachment files, stored by the SHA-256 of their bytes, uploaded in resumable
//! pieces and streamed both ways (a 200 MB file is never held in memory).
//!
//! [`BlobStore`] is the seam: [`FsBlobStore`] keeps files on local disk; an
//! object-store implementation (the `object_store` crate: S3, Azure, GCS) can
//! implement the same trait later, with partial uploads as multipart uploads.

use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// A stream of body bytes, as an upload arrives.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A readable blob (or a range of it).
pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

/// Whether `s` is a SHA-256 as we name files: exactly 64 lower-case hex digits. Any
/// other text never reaches the file system (no `../`, no separators).
pub fn is_sha256(s: &str) -> bool {
    gongwen_core::digest::is_lower_sha256(s)
}

/// The fewest bytes an upload must deliver in each `upload_idle_timeout` window (see
/// [`with_idle_timeout`]). 8 KiB a minute is far below any working link; a body that
/// drips a byte now and then to dodge the idle timeout stays under it.
pub const STALL_FLOOR_BYTES: u64 = 8 * 1024;

/// `body`, ended by an [`std::io::ErrorKind::TimedOut`] error when no piece arrives
/// for `idle`, or when a whole `idle` window brings fewer than [`STALL_FLOOR_BYTES`].
/// Without it a client that opens an upload and then sends nothing (or a byte now and
/// then) would hold its connection, the blob's upload lock and the partial file open
/// for ever; [`BlobStore::append`] keeps what arrived before, so the upload stays
/// resumable. Applied outside the store, so every [`BlobStore`] gets it.
pub fn with_idle_timeout(body: ByteStream, idle: Duration) -> ByteStream {
    struct Window {
        started: tokio::time::Instant,
        bytes: u64,
    }
    impl Window {
        fn starting_now() -> Window {
            Window {
                started: tokio::time::Instant::now(),
                bytes: 0,
            }
        }
    }
    let stalled = |cause: String| std::io::Error::new(std::io::ErrorKind::TimedOut, cause);
    let state = Some((body, Window::starting_now()));
    futures_util::stream::unfold(state, move |state| async move {
        let (mut body, mut window) = state?;
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(piece))) => {
                window.bytes += piece.len() as u64;
                if window.started.elapsed() >= idle {
                    if window.bytes < STALL_FLOOR_BYTES {
                        let cause = format!(
                            "only {} bytes arrived in {:.0} s, fewer than {STALL_FLOOR_BYTES}",
                            window.bytes,
                            window.started.elapsed().as_secs_f64()
                        );
                        // The piece is not passed on: the upload ends at what came before.
                        return Some((Err(stalled(cause)), None));
                    }
                    window = Window::starting_now();
                }
                Some((Ok(piece), Some((body, window))))
            }
            Ok(Some(Err(e))) => Some((Err(e), Some((body, window)))),
            Ok(None) => None,
            // Dropping the body here (state None) ends the stream.
            Err(_) => Some((
                Err(stalled(format!(
                    "no bytes arrived for {} s",
                    idle.as_secs_f64()
                ))),
                None,
            )),
        }
    })
    .boxed()
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The upload's offset is not where the partial file ends.
    #[error("upload offset {given} does not match the {current} bytes received so far")]
    OffsetMismatch { given: u64, current: u64 },
    /// The body would go past the announced total length.
    #[error("upload goes past its announced length of {total} bytes")]
    TooLong { total: u64 },
    /// The first piece announced another `Upload-Length`; it stays fixed.
    #[error("this upload was started with Upload-Length {fixed}, not {given}")]
    LengthMismatch { given: u64, fixed: u64 },
    /// The complete file does not hash to its name; the partial was discarded.
    #[error("uploaded bytes hash to {actual}, not {expected}")]
    HashMismatch { expected: String, actual: String },
    /// The client's body stream broke off; what arrived before is kept.
    #[error("upload interrupted after {received} bytes: {cause}")]
    Interrupted { received: u64, cause: String },
    /// The client sent nothing for the idle timeout (see [`with_idle_timeout`]);
    /// what arrived before is kept.
    #[error("upload stalled after {received} bytes: {cause}")]
    Stalled { received: u64, cause: String },
    #[error("blob storage: {0}")]
    Io(#[from] std::io::Error),
}

/// The state after a piece of an upload was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// More bytes are expected; this many are stored.
    Partial(u64),
    /// This upload completed the file: verified and in place (or it was in place
    /// already, from another user's upload); its length.
    Complete(u64),
}

/// An upload in progress: bytes received, and the length its first piece announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    pub received: u64,
    pub total: u64,
}

/// A stored file or partial upload, as a sweep sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    /// The uploader of a partial; None for a complete file.
    pub uploader: Option<String>,
    /// Last written.
    pub modified: std::time::SystemTime,
}

/// Attachment storage by content hash. Every `sha256` passed in has been checked
/// with [`is_sha256`]. Uploads in progress belong to their uploader (`uploader`, a
/// username): nobody else sees, extends or discards them.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// The length of the complete blob, or None if it is not (yet) complete.
    async fn complete_len(&self, sha256: &str) -> Result<Option<u64>, BlobError>;
    /// The uploader's upload of this blob in progress, if any.
    async fn partial(&self, sha256: &str, uploader: &str) -> Result<Option<Partial>, BlobError>;
    /// The announced lengths of all the uploader's uploads in progress, summed (what
    /// their quota counts).
    async fn partial_bytes(&self, uploader: &str) -> Result<u64, BlobError>;
    /// Starts the uploader's upload of a blob of `total` bytes (fixes its announced
    /// length) unless their uploads in progress would then announce more than `quota`
    /// bytes: the check and the reservation are one step per uploader, so first pieces
    /// of two uploads at once cannot both pass. `Err(held)`: refused, `held` bytes
    /// already announced. An upload already in progress is left as it is.
    async fn start_upload(
        &self,
        sha256: &str,
        uploader: &str,
        total: u64,
        quota: u64,
    ) -> Result<Result<(), u64>, BlobError>;
    /// Appends `body` at `offset` (which must equal the bytes of the uploader's
    /// partial) to their upload of a blob of `total` bytes; `total` is fixed by the
    /// first piece ([`BlobError::LengthMismatch`] otherwise). When `total` is reached
    /// the content is verified against `sha256`: on a match the blob becomes complete,
    /// otherwise the partial is discarded and [`BlobError::HashMismatch`] returned.
    /// When `body` fails, what arrived before is kept (a clean prefix to resume from)
    /// and the error is [`BlobError::Stalled`] for an
    /// [`std::io::ErrorKind::TimedOut`] (see [`with_idle_timeout`]), else
    /// [`BlobError::Interrupted`].
    async fn append(
        &self,
        sha256: &str,
        uploader: &str,
        offset: u64,
        total: u64,
        body: ByteStream,
    ) -> Result<UploadState, BlobError>;
    /// Discards the uploader's upload of this blob in progress; whether there was one.
    async fn discard_partial(&self, sha256: &str, uploader: &str) -> Result<bool, BlobError>;
    /// Every complete file and every upload in progress.
    async fn list(&self) -> Result<Vec<StoredBlob>, BlobError>;
    /// Removes a complete file (a sweep found nothing lists it).
    async fn remove_complete(&self, sha256: &str) -> Result<(), BlobError>;
    /// Reads a complete blob from `start`, at most `len` bytes (None: to the end).
    async fn open(
        &self,
        sha256: &str,
        start: u64,
        len: Option<u64>,
    ) -> Result<Option<BlobReader>, BlobError>;
}

/// Blobs on the local file system:
/// `ROOT/<aa>/<sha256>` complete files (aa = first two hex digits),
/// `ROOT/partial/<uploader>/<sha256>` uploads in progress, with
/// `ROOT/partial/<uploader>/<sha256>.length` the length the first piece announced
/// (`<uploader>`: the username's UTF-8 in hex, so no name reaches a path as text).
pub struct FsBlobStore {
    root: PathBuf,
    /// One upload at a time per uploader and blob: two clients of one user resuming
    /// the same file must not interleave their appends.
    locks: Mutex<HashMap<UploadKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// (uploader, sha256): whose upload of which file.
type UploadKey = (String, String);

const LENGTH_SUFFIX: &str = ".length";

impl FsBlobStore {
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<FsBlobStore> {
        let root = root.into();
        std::fs::create_dir_all(root.join("partial"))?;
        Ok(FsBlobStore {
            root,
            locks: Mutex::new(HashMap::new()),
        })
    }

    fn complete_path(&self, sha: &str) -> PathBuf {
        self.root.join(&sha[..2]).join(sha)
    }

    fn uploader_dir(&self, uploader: &str) -> PathBuf {
        self.root
            .join("partial")
            .join(gongwen_core::digest::hex(uploader.as_bytes()))
    }

    fn partial_path(&self, sha: &str, uploader: &str) -> PathBuf {
        self.uploader_dir(uploader).join(sha)
    }

    fn length_path(&self, sha: &str, uploader: &str) -> PathBuf {
        self.uploader_dir(uploader)
            .join(format!("{sha}{LENGTH_SUFFIX}"))
    }

    fn lock_for(&self, sha: &str, uploader: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        // Drop locks nobody holds, so the map does not grow with every blob ever seen.
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks
            .entry((uploader.to_string(), sha.to_string()))
            .or_default()
            .clone()
    }

    async fn remove_partial_files(&self, sha: &str, uploader: &str) -> std::io::Result<bool> {
        let mut found = false;
        for path in [
            self.partial_path(sha, uploader),
            self.length_path(sha, uploader),
        ] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => found = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }
}

/// The announced length in a `.length` file.
async fn read_length(path: &Path) -> Result<Option<u64>, std::io::Error> {
    match tokio::fs::read_to_string(path).await {
        Ok(text) => text.trim().parse().map(Some).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} does not hold a length", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The username a partial-upload folder is named for (see [`FsBlobStore`]).
fn uploader_from_dir(name: &str) -> Option<String> {
    if !name.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..name.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(name.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

async fn file_len(path: &Path) -> Result<Option<u64>, std::io::Error> {
    match tokio::fs::metadata(path).await {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// SHA-256 of a file, read in pieces.
async fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(gongwen_core::digest::hex(&hasher.finalize()))
}

/// fsync a directory so a rename in it survives a power cut.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn complete_len(&self, sha256: &str) -> Result<Option<u64>, BlobError> {
        Ok(file_len(&self.complete_path(sha256)).await?)
    }

    async fn partial(&self, sha256: &str, uploader: &str) -> Result<Option<Partial>, BlobError> {
        let Some(total) = read_length(&self.length_path(sha256, uploader)).await? else {
            return Ok(None);
        };
        let received = file_len(&self.partial_path(sha256, uploader))
            .await?
            .unwrap_or(0);
        Ok(Some(Partial { received, total }))
    }

    async fn partial_bytes(&self, uploader: &str) -> Result<u64, BlobError> {
        let mut entries = match tokio::fs::read_dir(self.uploader_dir(uploader)).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let mut sum = 0u64;
        while let Some(entry) = entries.next_entry().await? {
            if entry.file_name().to_string_lossy().ends_with(LENGTH_SUFFIX) {
                sum = sum.saturating_add(read_length(&entry.path()).await?.unwrap_or(0));
            }
        }
        Ok(sum)
    }

    async fn start_upload(
        &self,
        sha256: &str,
        uploader: &str,
        total: u64,
        quota: u64,
    ) -> Result<Result<(), u64>, BlobError> {
        // One lock per uploader (no blob is named ""): their quota checks and
        // reservations happen one at a time.
        let quota_lock = self.lock_for("", uploader);
        let _quota = quota_lock.lock().await;
        let lock = self.lock_for(sha256, uploader);
        let _guard = lock.lock().await;
        if self.partial(sha256, uploader).await?.is_some() {
            return Ok(Ok(()));
        }
        let held = self.partial_bytes(uploader).await?;
        if held.saturating_add(total) > quota {
            return Ok(Err(held));
        }
        tokio::fs::create_dir_all(self.uploader_dir(uploader)).await?;
        tokio::fs::write(self.length_path(sha256, uploader), total.to_string()).await?;
        Ok(Ok(()))
    }

    async fn append(
        &self,
        sha256: &str,
        uploader: &str,
        offset: u64,
        total: u64,
        mut body: ByteStream,
    ) -> Result<UploadState, BlobError> {
        let lock = self.lock_for(sha256, uploader);
        let _guard = lock.lock().await;
        let partial = self.partial_path(sha256, uploader);
        let current = match self.partial(sha256, uploader).await? {
            Some(p) if p.total != total => {
                return Err(BlobError::LengthMismatch {
                    given: total,
                    fixed: p.total,
                })
            }
            Some(p) => p.received,
            None => 0,
        };
        if offset != current {
            return Err(BlobError::OffsetMismatch {
                given: offset,
                current,
            });
        }
        if current > total {
            return Err(BlobError::TooLong { total });
        }
        if current == 0 {
            // The first piece fixes the length, before any byte is kept.
            tokio::fs::create_dir_all(self.uploader_dir(uploader)).await?;
            let length = self.length_path(sha256, uploader);
            tokio::fs::write(&length, total.to_string()).await?;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)
            .await?;
        let mut written = current;
        let mut failure = None;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(bytes) => {
                    if written + bytes.len() as u64 > total {
                        // The piece that overflows is not written: the partial stays
                        // a clean prefix the client can resume from.
                        failure = Some(BlobError::TooLong { total });
                        break;
                    }
                    file.write_all(&bytes).await?;
                    written += bytes.len() as u64;
                }
                Err(e) => {
                    let (received, cause) = (written, e.to_string());
                    failure = Some(if e.kind() == std::io::ErrorKind::TimedOut {
                        BlobError::Stalled { received, cause }
                    } else {
                        BlobError::Interrupted { received, cause }
                    });
                    break;
                }
            }
        }
        // What we report as received must be on disk: a resumed upload starts there.
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        if let Some(e) = failure {
            return Err(e);
        }
        if written < total {
            return Ok(UploadState::Partial(written));
        }
        let actual = hash_file(&partial).await?;
        if actual != sha256 {
            self.remove_partial_files(sha256, uploader).await?;
            return Err(BlobError::HashMismatch {
                expected: sha256.to_string(),
                actual,
            });
        }
        let target = self.complete_path(sha256);
        if file_len(&target).await?.is_some() {
            // Another user's upload of the same bytes is in place already.
            self.remove_partial_files(sha256, uploader).await?;
            return Ok(UploadState::Complete(total));
        }
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::rename(&partial, &target).await?;
        sync_dir(&dir).await?;
        self.remove_partial_files(sha256, uploader).await?;
        Ok(UploadState::Complete(total))
    }

    async fn open(
        &self,
        sha256: &str,
        start: u64,
        len: Option<u64>,
    ) -> Result<Option<BlobReader>, BlobError> {
        let mut file = match tokio::fs::File::open(self.complete_path(sha256)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if start > 0 {
            file.seek(SeekFrom::Start(start)).await?;
        }
        Ok(Some(match len {
            Some(n) => Box::pin(file.take(n)),
            None => Box::pin(file),
        }))
    }

    async fn discard_partial(&self, sha256: &str, uploader: &str) -> Result<bool, BlobError> {
        let lock = self.lock_for(sha256, uploader);
        let _guard = lock.lock().await;
        Ok(self.remove_partial_files(sha256, uploader).await?)
    }

    async fn list(&self) -> Result<Vec<StoredBlob>, BlobError> {
        let mut out = Vec::new();
        let mut top = tokio::fs::read_dir(&self.root).await?;
        while let Some(dir) = top.next_entry().await? {
            let name = dir.file_name().to_string_lossy().to_string();
            if name == "partial" {
                let mut users = tokio::fs::read_dir(dir.path()).await?;
                while let Some(user_dir) = users.next_entry().await? {
                    // Partials of before they were kept per uploader are plain files
                    // here: not ours to judge, left alone.
                    if !user_dir.file_type().await?.is_dir() {
                        continue;
                    }
                    let Some(uploader) = uploader_from_dir(&user_dir.file_name().to_string_lossy())
                    else {
                        continue;
                    };
                    let mut files = tokio::fs::read_dir(user_dir.path()).await?;
                    while let Some(f) = files.next_entry().await? {
                        let fname = f.file_name().to_string_lossy().to_string();
                        let Some(sha) = fname.strip_suffix(LENGTH_SUFFIX) else {
                            continue;
                        };
                        if !is_sha256(sha) {
                            continue;
                        }
                        // The data file is written last; without it, the length file.
                        let data = user_dir.path().join(sha);
                        let meta = match tokio::fs::metadata(&data).await {
                            Ok(m) => m,
                            Err(_) => f.metadata().await?,
                        };
                        out.push(StoredBlob {
                            sha256: sha.to_string(),
                            uploader: Some(uploader.clone()),
                            modified: meta.modified()?,
                        });
                    }
                }
            } else if name.len() == 2 && dir.file_type().await?.is_dir() {
                let mut files = tokio::fs::read_dir(dir.path()).await?;
                while let Some(f) = files.next_entry().await? {
                    let fname = f.file_name().to_string_lossy().to_string();
                    if is_sha256(&fname) {
                        out.push(StoredBlob {
                            sha256: fname,
                            uploader: None,
                            modified: f.metadata().await?.modified()?,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    async fn remove_complete(&self, sha256: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.complete_path(sha256)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Uploads in progress untouched for `older_than`.
    pub partials: usize,
    /// Complete files no document lists, written at least `older_than` ago.
    pub unreferenced: usize,
}

/// Removes stale uploads in progress and complete files that no document lists, both
/// last written at least `older_than` ago; a removed file's upload grants go with it.
/// A file becomes listed only through a dispatch, which refuses a file that is gone,
/// so nothing a document lists is ever removed. Nor is a file with a live upload
/// grant, one given within `older_than`: its uploader may be about to list it, and a
/// complete file keeps the time it was first written when someone uploads the same
/// bytes again, so the file's age alone says nothing about its grants.
pub async fn sweep(
    storage: &dyn crate::storage::Storage,
    blobs: &dyn BlobStore,
    older_than: Duration,
) -> Result<SweepReport, SweepError> {
    let cutoff = std::time::SystemTime::now()
        .checked_sub(older_than)
        .unwrap_or(std::time::UNIX_EPOCH);
    let granted_since = chrono::DateTime::<chrono::Utc>::from(cutoff)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut report = SweepReport::default();
    for blob in blobs.list().await? {
        if blob.modified > cutoff {
            continue;
        }
        match &blob.uploader {
            Some(uploader) => {
                if blobs.discard_partial(&blob.sha256, uploader).await? {
                    report.partials += 1;
                }
            }
            None => {
                // The grant is asked first: a dispatch that lists the file ends its
                // grant in the same transaction, so one of the two answers sees it
                // whichever way that dispatch and this sweep interleave.
                if storage
                    .upload_granted_since(&blob.sha256, &granted_since)
                    .await?
                    || storage.blob_listed(&blob.sha256).await?
                {
                    continue;
                }
                // Grants first: a grant without its file would let a dispatch through
                // that lists nothing.
                storage.drop_upload_grants(&blob.sha256).await?;
                blobs.remove_complete(&blob.sha256).await?;
                report.unreferenced += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stalled_upload_is_cut_and_keeps_what_arrived() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let data = b"0123456789".to_vec();
        let sha = gongwen_core::digest::sha256_hex(&data);
        // Four bytes, then a body that never ends and never sends again.
        let first = futures_util::stream::iter([Ok(Bytes::from(data[..4].to_vec()))]);
        let stalled = first.chain(futures_util::stream::pending()).boxed();
        let body = with_idle_timeout(stalled, Duration::from_millis(50));
        let err = store.append(&sha, "u", 0, 10, body).await.unwrap_err();
        assert!(
            matches!(err, BlobError::Stalled { received: 4, .. }),
            "{err:?}"
        );
        assert_eq!(store.partial(&sha, "u").await.unwrap().unwrap().received, 4);
        // The lock was released: the rest can be appended, and completes the file.
        let rest = futures_util::stream::iter([Ok(Bytes::from(data[4..].to_vec()))]).boxed();
        let done = store
            .append(
                &sha,
                "u",
                4,
                10,
                with_idle_timeout(rest, Duration::from_secs(5)),
            )
            .await
            .unwrap();
        assert_eq!(done, UploadState::Complete(10));
    }

    /// `count` pieces of `size` bytes, `gap` apart.
    fn paced(count: usize, size: usize, gap: Duration) -> (Vec<u8>, ByteStream) {
        let data: Vec<u8> = (0..count * size).map(|i| (i % 251) as u8).collect();
        let pieces: Vec<Bytes> = data.chunks(size).map(Bytes::copy_from_slice).collect();
        let body = futures_util::stream::iter(pieces)
            .then(move |piece| async move {
                tokio::time::sleep(gap).await;
                Ok(piece)
            })
            .boxed();
        (data, body)
    }

    #[tokio::test]
    async fn a_trickling_upload_is_cut_and_a_steady_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let idle = Duration::from_millis(200);

        // A byte every 20 ms never trips the idle timeout, but a window brings ~10 bytes.
        let (data, body) = paced(1_000, 1, Duration::from_millis(20));
        let sha = gongwen_core::digest::sha256_hex(&data);
        let err = store
            .append(
                &sha,
                "u",
                0,
                data.len() as u64,
                with_idle_timeout(body, idle),
            )
            .await
            .unwrap_err();
        let BlobError::Stalled { received, cause } = &err else {
            panic!("{err:?}")
        };
        assert!(*received > 0 && *received < 1_000, "{err:?}");
        assert!(cause.contains("fewer than 8192"), "{cause}");
        assert_eq!(
            store.partial(&sha, "u").await.unwrap().unwrap().received,
            *received
        );

        // 16 KiB every 20 ms: over many windows, never under the floor.
        let (data, body) = paced(40, 16 * 1024, Duration::from_millis(20));
        let sha = gongwen_core::digest::sha256_hex(&data);
        let done = store
            .append(
                &sha,
                "u",
                0,
                data.len() as u64,
                with_idle_timeout(body, idle),
            )
            .await
            .unwrap();
        assert_eq!(done, UploadState::Complete(data.len() as u64));
    }

    #[tokio::test]
    async fn a_listing_skips_partials_of_the_old_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let sha = gongwen_core::digest::sha256_hex(b"old");
        std::fs::write(dir.path().join("partial").join(&sha), b"ol").unwrap();
        let body = futures_util::stream::iter([Ok(Bytes::from_static(b"n"))]).boxed();
        let new = gongwen_core::digest::sha256_hex(b"new");
        store.append(&new, "u", 0, 3, body).await.unwrap();
        let listed = store.list().await.unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].uploader.as_deref(), Some("u"));
        assert_eq!(listed[0].sha256, new);
    }

    #[test]
    fn uploader_folders_name_their_user() {
        let name = gongwen_core::digest::hex("张明/../x".as_bytes());
        assert_eq!(uploader_from_dir(&name).as_deref(), Some("张明/../x"));
        assert_eq!(uploader_from_dir("zz"), None);
    }

    #[test]
    fn only_lower_hex_names_pass() {
        assert!(is_sha256(&"a".repeat(64)));
        assert!(!is_sha256(&"A".repeat(64)));
        assert!(!is_sha256(&format!("../{}", "a".repeat(61))));
        assert!(!is_sha256(&"a".repeat(63)));
    }
}
