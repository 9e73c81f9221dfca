//! [`Client`]: the exchange server's HTTP API, one method per endpoint.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use gongwen_core::digest::hex;
use gongwen_core::wire::{
    ChangesPage, Command, Directory, ErrorBody, LoginRequest, LoginResponse, PushResponse, UserInfo,
};
use reqwest::{header, RequestBuilder, Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::progress::{Meter, ProgressSink, TransferKind};
use crate::SyncError;

/// Bytes per `PATCH` of an upload: bounded requests, so a dropped connection costs at
/// most this much again, and a 200 MB file is never held in memory (each request
/// streams its part from the file).
const UPLOAD_CHUNK: u64 = 8 * 1024 * 1024;
/// A request that is not an attachment transfer must finish within this.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A transfer during which nothing moves for this long is given up: a half-open
/// connection (a dead NAT entry, a server that froze) otherwise leaves the round
/// waiting for ever. Generous, since a busy server may think before it answers.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// TCP keepalive on every connection, so the operating system notices a peer that
/// vanished even while this side only waits.
const KEEPALIVE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;
/// A pooled connection unused this long is dropped, not reused. The exchange closes a
/// kept-alive connection that sends no request within its `header_read_timeout_secs`
/// (30 s by default); a request written onto a connection the server is closing at that
/// moment fails with "connection closed before message completed". Dropping ours well
/// before the server's timer runs out keeps the two from racing.
const POOL_IDLE: Duration = Duration::from_secs(10);

/// One exchange server, as seen by this installation. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    server: String,
    client_id: String,
    idle_timeout: Duration,
    progress: Option<ProgressSink>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.server)
            .field("client_id", &self.client_id)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// A transfer (移交) as `GET /v1/transfers/{id}` answers it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TransferView {
    pub transfer: gongwen_core::transfer::Transfer,
    /// The receiving server's 四性检测 report (`gongwen_archive::CheckReport` as JSON).
    pub report: serde_json::Value,
}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadReport {
    /// The server had the whole file already.
    pub already_there: bool,
    /// Where this upload started (bytes the server held from an earlier try).
    pub resumed_from: u64,
    /// Bytes sent now.
    pub sent: u64,
}

fn network(server: &str, what: &'static str, e: reqwest::Error) -> SyncError {
    // The source chain says why (connection refused, reset, timed out …).
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    SyncError::Network {
        server: server.to_string(),
        what,
        reason,
    }
}

impl Client {
    /// A client of the server at `server_url` (`https://…`; plain `http://` only to a
    /// loopback address, for development and tests). `client_id` is this
    /// installation's id ([`gongwen_store::Store::client_id`]), sent with every request.
    pub fn new(server_url: &str, client_id: &str) -> Result<Client, SyncError> {
        let server = gongwen_store::exchange::normalize_server(server_url);
        let invalid = |reason: &str| SyncError::InvalidServer {
            url: server_url.to_string(),
            reason: reason.to_string(),
        };
        let url = url::Url::parse(&server).map_err(|e| invalid(&e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = match url.host() {
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    Some(url::Host::Domain(d)) => d == "localhost",
                    None => false,
                };
                if !loopback {
                    return Err(invalid(
                        "plain http is allowed only to this computer (127.0.0.1); use https",
                    ));
                }
            }
            other => return Err(invalid(&format!("unsupported scheme `{other}`"))),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("the address must not have a query or fragment"));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_keepalive(KEEPALIVE)
            .tcp_keepalive_interval(KEEPALIVE_INTERVAL)
            .tcp_keepalive_retries(KEEPALIVE_RETRIES)
            .pool_idle_timeout(POOL_IDLE)
            .user_agent(concat!("gongwen-desk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(Client {
            http,
            server,
            client_id: client_id.to_string(),
            idle_timeout: IDLE_TIMEOUT,
            progress: None,
        })
    }

    /// The same client reporting the progress of long transfers (the pull of a first
    /// sync, attachment downloads) to `sink`.
    pub fn with_progress(mut self, sink: ProgressSink) -> Client {
        self.progress = Some(sink);
        self
    }

    pub(crate) fn progress(&self) -> Option<&ProgressSink> {
        self.progress.as_ref()
    }

    /// The same client with another idle timeout (default [`IDLE_TIMEOUT`]): how long
    /// a request or a transfer may go without a byte moving before it fails as
    /// [`SyncError::Network`].
    pub fn with_idle_timeout(mut self, idle: Duration) -> Client {
        self.idle_timeout = idle;
        self
    }

    /// The error of a transfer that went silent.
    fn silent(&self, what: &'static str) -> SyncError {
        SyncError::Network {
            server: self.server.clone(),
            what,
            reason: format!(
                "the connection went silent: nothing moved for {:?}, so it was given up",
                self.idle_timeout
            ),
        }
    }

    /// Runs `fut` while bytes keep moving: fails once `progress` has not advanced
    /// for the idle timeout.
    async fn while_moving<F: std::future::Future>(
        &self,
        what: &'static str,
        progress: &Progress,
        fut: F,
    ) -> Result<F::Output, SyncError> {
        tokio::pin!(fut);
        loop {
            let wait = self.idle_timeout.saturating_sub(progress.idle_for());
            if wait.is_zero() {
                return Err(self.silent(what));
            }
            tokio::select! {
                out = &mut fut => return Ok(out),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The server's base URL as normalized (no trailing `/`).
    pub fn server(&self) -> &str {
        &self.server
    }

    fn request(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.server))
            .header("X-Gongwen-Client", &self.client_id);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req
    }

    async fn send(&self, what: &'static str, req: RequestBuilder) -> Result<Response, SyncError> {
        let resp = tokio::time::timeout(self.idle_timeout, req.send())
            .await
            .map_err(|_| self.silent(what))?
            .map_err(|e| network(&self.server, what, e))?;
        self.checked(what, resp).await
    }

    /// [`check`], with the idle timeout on reading an error's body.
    async fn checked(&self, what: &'static str, resp: Response) -> Result<Response, SyncError> {
        tokio::time::timeout(self.idle_timeout, check(what, resp))
            .await
            .map_err(|_| self.silent(what))?
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        req: RequestBuilder,
    ) -> Result<T, SyncError> {
        let resp = self.send(what, req.timeout(CALL_TIMEOUT)).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| network(&self.server, what, e))?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol {
            what,
            reason: e.to_string(),
        })
    }

    /// `POST /v1/login`. The token in the answer belongs in the keyring
    /// ([`crate::credentials`]), nowhere else.
    pub async fn login(&self, username: &str, password: &str) -> Result<LoginResponse, SyncError> {
        let body = LoginRequest {
            username: username.to_string(),
            password: password.to_string(),
        };
        self.json(
            "login",
            self.request(reqwest::Method::POST, "/v1/login", None)
                .json(&body),
        )
        .await
    }

    /// `POST /v1/logout`: the token stops working at once.
    pub async fn logout(&self, token: &str) -> Result<(), SyncError> {
        self.send(
            "logout",
            self.request(reqwest::Method::POST, "/v1/logout", Some(token))
                .timeout(CALL_TIMEOUT),
        )
        .await?;
        Ok(())
    }

    /// `GET /v1/me`: who the token belongs to.
    pub async fn me(&self, token: &str) -> Result<UserInfo, SyncError> {
        self.json(
            "me",
            self.request(reqwest::Method::GET, "/v1/me", Some(token)),
        )
        .await
    }

    /// `GET /v1/directory`: units and users.
    pub async fn directory(&self, token: &str) -> Result<Directory, SyncError> {
        self.json(
            "directory",
            self.request(reqwest::Method::GET, "/v1/directory", Some(token)),
        )
        .await
    }

    /// `GET /v1/delegations`: the delegations (代办) of the caller's unit.
    pub async fn delegations(
        &self,
        token: &str,
    ) -> Result<Vec<gongwen_core::delegation::Delegation>, SyncError> {
        self.json(
            "delegations",
            self.request(reqwest::Method::GET, "/v1/delegations", Some(token)),
        )
        .await
    }

    /// `GET /v1/transfers`: the transfers (移交) the caller's unit sent or received, as
    /// a 档案员 sees them (empty for other roles).
    pub async fn transfers(
        &self,
        token: &str,
    ) -> Result<Vec<gongwen_core::transfer::Transfer>, SyncError> {
        self.json(
            "transfers",
            self.request(reqwest::Method::GET, "/v1/transfers", Some(token)),
        )
        .await
    }

    /// `GET /v1/transfers/{id}`: one transfer with the receiving server's whole check
    /// report; `None` when there is none the caller may see.
    pub async fn transfer(
        &self,
        token: &str,
        id: uuid::Uuid,
    ) -> Result<Option<TransferView>, SyncError> {
        let req = self.request(
            reqwest::Method::GET,
            &format!("/v1/transfers/{id}"),
            Some(token),
        );
        match self.json("transfer", req).await {
            Ok(view) => Ok(Some(view)),
            Err(SyncError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/commands`: one outcome per command, in the order sent.
    pub async fn push(&self, token: &str, commands: &[Command]) -> Result<PushResponse, SyncError> {
        let payloads = commands
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Protocol {
                what: "push",
                reason: e.to_string(),
            })?;
        let payloads: Vec<&str> = payloads.iter().map(String::as_str).collect();
        self.push_stored(token, &payloads).await
    }

    /// `POST /v1/commands` of commands as the outbox stored them (JSON text, one
    /// [`Command`] each), sent byte for byte: the server recognises a re-send by its
    /// content, so what goes out must not depend on how this build would write it.
    pub async fn push_stored(
        &self,
        token: &str,
        commands: &[&str],
    ) -> Result<PushResponse, SyncError> {
        let mut body =
            String::with_capacity(16 + commands.iter().map(|c| c.len() + 1).sum::<usize>());
        body.push_str("{\"commands\":[");
        for (i, command) in commands.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(command);
        }
        body.push_str("]}");
        let resp: PushResponse = self
            .json(
                "push",
                self.request(reqwest::Method::POST, "/v1/commands", Some(token))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body),
            )
            .await?;
        if resp.outcomes.len() != commands.len() {
            return Err(SyncError::Protocol {
                what: "push",
                reason: format!(
                    "{} outcomes for {} commands",
                    resp.outcomes.len(),
                    commands.len()
                ),
            });
        }
        Ok(resp)
    }

    /// `GET /v1/changes?after=N&limit=M`.
    pub async fn pull(
        &self,
        token: &str,
        after: u64,
        limit: u32,
    ) -> Result<ChangesPage, SyncError> {
        Ok(self.pull_sized(token, after, limit).await?.0)
    }

    /// [`Client::pull`], with the size of the answer in bytes (for progress).
    pub(crate) async fn pull_sized(
        &self,
        token: &str,
        after: u64,
        limit: u32,
    ) -> Result<(ChangesPage, u64), SyncError> {
        let what = "pull";
        let req = self
            .request(reqwest::Method::GET, "/v1/changes", Some(token))
            .query(&[("after", after), ("limit", u64::from(limit))]);
        let resp = self.send(what, req.timeout(CALL_TIMEOUT)).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| network(&self.server, what, e))?;
        let page = serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol {
            what,
            reason: e.to_string(),
        })?;
        Ok((page, bytes.len() as u64))
    }

    /// `HEAD /v1/blobs/{sha}`: `None` when the server has the whole file, else how many
    /// bytes of it it holds.
    pub async fn blob_offset(&self, token: &str, sha256: &str) -> Result<Option<u64>, SyncError> {
        let what = "attachment status";
        let resp = self
            .request(
                reqwest::Method::HEAD,
                &format!("/v1/blobs/{sha256}"),
                Some(token),
            )
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(|e| network(&self.server, what, e))?;
        match resp.status() {
            s if s.is_success() => Ok(None),
            StatusCode::NOT_FOUND => Ok(Some(upload_offset(&resp).unwrap_or(0))),
            _ => check(what, resp).await.map(|_| None),
        }
    }

    /// `DELETE /v1/blobs/{sha}`: discards this user's upload of the file in progress
    /// (none is fine).
    pub async fn discard_upload(&self, token: &str, sha256: &str) -> Result<(), SyncError> {
        let what = "attachment upload reset";
        let resp = self
            .request(
                reqwest::Method::DELETE,
                &format!("/v1/blobs/{sha256}"),
                Some(token),
            )
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(|e| network(&self.server, what, e))?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        check(what, resp).await.map(|_| ())
    }

    /// Uploads the file at `path` as attachment `sha256`, resuming from what the server
    /// holds. The local file is hashed first: a file that does not match its name is
    /// not sent. When the server's partial is past the file's end, or the finished
    /// upload fails the server's hash check, it starts once more from 0. The bytes are
    /// streamed from the file in chunks of at most 8 MiB.
    pub async fn upload_blob(
        &self,
        token: &str,
        sha256: &str,
        path: &Path,
    ) -> Result<UploadReport, SyncError> {
        let what = "attachment upload";
        let (local_sha, length) = hash_file(path).await?;
        if !local_sha.eq_ignore_ascii_case(sha256) {
            return Err(SyncError::Attachment {
                sha256: sha256.to_string(),
                reason: format!(
                    "the local file {} has SHA-256 {local_sha}: it was changed or damaged; add the attachment again",
                    path.display()
                ),
            });
        }
        let Some(mut offset) = self.blob_offset(token, sha256).await? else {
            return Ok(UploadReport {
                already_there: true,
                resumed_from: length,
                sent: 0,
            });
        };
        let resumed_from = offset;
        let mut sent = 0u64;
        let mut conflicts = 0;
        // What the server holds is unusable at most once per call (a partial longer
        // than the file, or bytes that fail the final hash check): then the upload
        // starts again from 0. A second time is an error, not a loop.
        let mut restarted = false;
        // A new upload is announced by an empty first piece: a refusal of the whole
        // file (over `max_blob_bytes`, over the user's quota) then comes back as an
        // answer, instead of as a connection the server closed under a body still
        // being sent ("Broken pipe"), which would look like a network fault and be
        // retried for ever.
        let mut announced = offset > 0;
        loop {
            if offset > length {
                if restarted {
                    return Err(SyncError::Protocol {
                        what,
                        reason: format!("server holds {offset} bytes of a {length}-byte file"),
                    });
                }
                restarted = true;
                self.discard_upload(token, sha256).await?;
                offset = 0;
                continue;
            }
            let chunk = if announced {
                (length - offset).min(UPLOAD_CHUNK)
            } else {
                0
            };
            announced = true;
            let mut file = tokio::fs::File::open(path)
                .await
                .map_err(|source| SyncError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            file.seek(SeekFrom::Start(offset))
                .await
                .map_err(|source| SyncError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            // The body counts as progress each time the connection takes a piece of
            // it: a slow link goes on, a server that stopped reading does not.
            let progress = Progress::new();
            let moved = progress.clone();
            let body = reqwest::Body::wrap_stream(
                tokio_util::io::ReaderStream::with_capacity(file.take(chunk), 64 * 1024)
                    .inspect(move |_| moved.tick()),
            );
            let request = self
                .request(
                    reqwest::Method::PATCH,
                    &format!("/v1/blobs/{sha256}"),
                    Some(token),
                )
                .header("Upload-Offset", offset)
                .header("Upload-Length", length)
                .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                .header(header::CONTENT_LENGTH, chunk)
                .body(body)
                .send();
            let resp = self
                .while_moving(what, &progress, request)
                .await?
                .map_err(|e| network(&self.server, what, e))?;
            match resp.status() {
                StatusCode::CONFLICT
                    if !restarted
                        && header_u64(&resp, "Upload-Length").is_some_and(|l| l != length) =>
                {
                    // Our own earlier upload of this name announced another length.
                    restarted = true;
                    self.discard_upload(token, sha256).await?;
                    offset = 0;
                    continue;
                }
                StatusCode::CONFLICT if conflicts < 3 => {
                    // Another upload moved on, or our last chunk landed without its
                    // answer: continue from where the server is.
                    conflicts += 1;
                    offset = match upload_offset(&resp) {
                        Some(o) => o,
                        None => match self.blob_offset(token, sha256).await? {
                            Some(o) => o,
                            None => break,
                        },
                    };
                    continue;
                }
                StatusCode::UNPROCESSABLE_ENTITY if !restarted => {
                    // The server discarded its copy (bytes that were not this file's,
                    // e.g. from an earlier damaged try): send the whole file again.
                    restarted = true;
                    sent += chunk;
                    offset = 0;
                    continue;
                }
                StatusCode::UNPROCESSABLE_ENTITY => {
                    let e = self.checked(what, resp).await.err();
                    return Err(SyncError::Attachment {
                        sha256: sha256.to_string(),
                        reason: format!(
                            "the server's copy did not match its hash and was discarded{}",
                            e.map(|e| format!(" ({e})")).unwrap_or_default()
                        ),
                    });
                }
                _ => {}
            }
            let resp = self.checked(what, resp).await?;
            sent += chunk;
            offset = upload_offset(&resp).unwrap_or(offset + chunk);
            if offset >= length {
                break;
            }
        }
        Ok(UploadReport {
            already_there: false,
            resumed_from,
            sent,
        })
    }

    /// Downloads attachment `sha256` into a temporary file in `dir`, hashing while
    /// writing; returns the file only if its SHA-256 matches (else nothing is kept).
    pub async fn download_blob(
        &self,
        token: &str,
        sha256: &str,
        dir: &Path,
    ) -> Result<tempfile::NamedTempFile, SyncError> {
        let what = "attachment download";
        let resp = self
            .send(
                what,
                self.request(
                    reqwest::Method::GET,
                    &format!("/v1/blobs/{sha256}"),
                    Some(token),
                ),
            )
            .await?;
        let io_err = |source| SyncError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut temp = tempfile::Builder::new()
            .prefix(".download-")
            .tempfile_in(dir)
            .map_err(io_err)?;
        let mut hasher = Sha256::new();
        let mut meter = Meter::new(
            self.progress(),
            TransferKind::Download {
                sha256: sha256.to_string(),
            },
        );
        meter.state.total_bytes = resp.content_length();
        let mut stream = resp.bytes_stream();
        let received = async {
            loop {
                let next = tokio::time::timeout(self.idle_timeout, stream.next())
                    .await
                    .map_err(|_| self.silent(what))?;
                let Some(chunk) = next else { break };
                let chunk = chunk.map_err(|e| network(&self.server, what, e))?;
                hasher.update(&chunk);
                temp.write_all(&chunk).map_err(io_err)?;
                meter.state.bytes += chunk.len() as u64;
                meter.tick();
            }
            Ok::<(), SyncError>(())
        }
        .await;
        meter.finish();
        received?;
        temp.flush().map_err(io_err)?;
        let got = hex(&hasher.finalize());
        if !got.eq_ignore_ascii_case(sha256) {
            return Err(SyncError::Attachment {
                sha256: sha256.to_string(),
                reason: format!("the downloaded bytes have SHA-256 {got}; discarded"),
            });
        }
        Ok(temp)
    }

    /// `GET /v1/blobs/{sha}` into a file of the caller's choosing (hash-checked).
    pub async fn download_blob_to(
        &self,
        token: &str,
        sha256: &str,
        target: &Path,
    ) -> Result<PathBuf, SyncError> {
        let dir = target.parent().unwrap_or(Path::new("."));
        let temp = self.download_blob(token, sha256, dir).await?;
        temp.persist(target).map_err(|e| SyncError::Io {
            path: target.display().to_string(),
            source: e.error,
        })?;
        Ok(target.to_path_buf())
    }
}

/// When bytes last moved in a transfer.
#[derive(Clone)]
struct Progress {
    start: Instant,
    /// Milliseconds from `start` to the last move.
    last: Arc<AtomicU64>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            start: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    fn tick(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        self.start
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }
}

fn upload_offset(resp: &Response) -> Option<u64> {
    header_u64(resp, "Upload-Offset")
}

fn header_u64(resp: &Response, name: &str) -> Option<u64> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Turns a non-success answer into the error that says what the server said.
async fn check(what: &'static str, resp: Response) -> Result<Response, SyncError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().await.unwrap_or_default();
    let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
    let (code, message, message_zh) = match body {
        Some(b) => (b.code, b.message, b.message_zh),
        None => (
            String::new(),
            if text.trim().is_empty() {
                status.canonical_reason().unwrap_or("").to_string()
            } else {
                text.chars().take(300).collect()
            },
            String::new(),
        ),
    };
    Err(if status == StatusCode::UNAUTHORIZED {
        SyncError::Unauthorized { message }
    } else if status.is_client_error() {
        SyncError::Refused {
            what,
            status: status.as_u16(),
            message_zh: if message_zh.is_empty() {
                format!("交换服务器拒绝了请求：{message}")
            } else {
                message_zh
            },
            code,
            message,
        }
    } else {
        SyncError::Server {
            what,
            status: status.as_u16(),
            message,
        }
    })
}

/// SHA-256 and length of a file, read in a blocking thread (a 200 MB file takes a
/// while and must not stall the runtime).
async fn hash_file(path: &Path) -> Result<(String, u64), SyncError> {
    let owned = path.to_path_buf();
    let result = tokio::task::spawn_blocking(move || -> std::io::Result<(String, u64)> {
        let mut file = std::fs::File::open(&owned)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut len = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        file.seek(SeekFrom::Start(0))?;
        Ok((hex(&hasher.finalize()), len))
    })
    .await
    .map_err(|e| SyncError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    result.map_err(|source| SyncError::Io {
        path: path.display().to_string(),
        source,
    })
}
