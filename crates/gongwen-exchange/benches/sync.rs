//! Sync benchmark: the exchange's speed targets, measured against a real
//! `gongwen-exchange serve` process on 127.0.0.1 with real client stores in temporary
//! folders (release build via `cargo bench`).
//!
//! 1. Initial sync of N documents (~10 KB of body text each) into an empty client store,
//!    timed around `gongwen_sync::sync_once`, and in the same run the floor: the same
//!    change-log bytes downloaded as one file from the same server (its attachment GET)
//!    plus inserted into a SQLite table with plain SQL in one transaction.
//! 2. Incremental sync of 10 new changes into that client after it was filled to
//!    100,000 documents (the 10,000 received ones plus local ones via `Store::import`).
//!    Between rounds the store's upkeep (`Store::maintain`: search-index merging and
//!    the WAL checkpoint) runs as the app's sync loop runs it, timed apart. The store
//!    alone, without a server and with a reusable 100,000-document store, is
//!    `cargo bench -p gongwen-store --bench apply`.
//! 3. Dispatch of one document to 300 units: the `POST /v1/commands` round trip; and
//!    of one 5 MB document to the same units, reported as how much the server's
//!    database grew, as a multiple of the document's size (its content is stored once).
//! 4. 200 concurrent clients pushing and pulling for 60 s, on SQLite and on a temporary
//!    PostgreSQL (`gongwen_exchange::testing::TempPostgres`).
//!
//! The server is seeded over its HTTP API (batches of 100 dispatch commands), the way
//! clients fill it, so every seeded document went through the same decision and commit
//! path as the ones measured. Units and users are created with `gongwen-exchange admin`.
//!
//! `cargo bench -p gongwen-exchange --bench sync`. Environment (defaults are the sizes
//! the targets are stated for):
//! * `GONGWEN_BENCH_OUT` — JSON rows (default `bench/sync.json` in the workspace)
//! * `GONGWEN_BENCH_SYNC_PARTS` — `initial,incremental,fanout,load` (any subset)
//! * `GONGWEN_BENCH_SYNC_DOCS` 10000 · `GONGWEN_BENCH_DOC_BYTES` 10000 (UTF-8 body bytes)
//! * `GONGWEN_BENCH_CLIENT_DOCS` 100000 · `GONGWEN_BENCH_INCR_CHANGES` 10 ·
//!   `GONGWEN_BENCH_INCR_REPS` 7
//! * `GONGWEN_BENCH_FANOUT_UNITS` 300 · `GONGWEN_BENCH_FANOUT_REPS` 7
//! * `GONGWEN_BENCH_CLIENTS` 200 · `GONGWEN_BENCH_SECS` 60 · `GONGWEN_BENCH_LOAD_UNITS` 20 ·
//!   `GONGWEN_BENCH_THINK_MS` `3000;50-100` · `GONGWEN_BENCH_ENGINES` `sqlite,postgres`
//!
//! The load runs once per think-time profile (`;`-separated, each `MS` or `MIN-MAX`):
//! 3 s is the app's own rhythm (its sync loop runs every 3 s), and 50–100 ms is a
//! stress profile that asks far more of the server than 200 people could.
//!
//! Benchmarks measure; they assert nothing about speed. A part that fails is reported as
//! a row without a value and with the error in its note.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use gongwen_core::wire::{
    ChangeEntry, Command as ExCommand, CommandBody, CommandId, CommandResult, UnitCode,
};
use gongwen_core::{Attachment, DocStatus, Document, DocumentId};
use gongwen_store::{ListFilter, Store};
use gongwen_sync::{sync_once, Client};

/// Every bench user's password (a throwaway server; never a real secret).
const PASSWORD: &str = "bench-password-2026";
/// Commands per push while seeding: the server's default per-request limit.
const SEED_BATCH: usize = 100;

// ---------------------------------------------------------------------------------
// Parameters

#[derive(Clone)]
struct Params {
    out: PathBuf,
    parts: Vec<String>,
    docs: usize,
    doc_bytes: usize,
    client_docs: usize,
    incr_changes: usize,
    incr_reps: usize,
    fanout_units: usize,
    fanout_reps: usize,
    clients: usize,
    secs: u64,
    load_units: usize,
    think_ms: (u64, u64),
    think_profiles: Vec<(u64, u64)>,
    engines: Vec<String>,
}

/// How a think-time profile is named in a row.
fn think_label(t: (u64, u64)) -> String {
    if t.0 == t.1 && t.0.is_multiple_of(1000) {
        format!("every {} s", t.0 / 1000)
    } else if t.0 == t.1 {
        format!("every {} ms", t.0)
    } else {
        format!("every {}–{} ms", t.0, t.1)
    }
}

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => match v.trim().parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("{name}={v:?} is not a number; using the default");
                default
            }
        },
        Err(_) => default,
    }
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Params {
    fn from_env() -> Params {
        let parse = |think: &str| match think.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    a.trim().parse().unwrap_or(50),
                    b.trim().parse().unwrap_or(100),
                );
                (a.min(b), a.max(b))
            }
            None => {
                let v = think.trim().parse().unwrap_or(3000);
                (v, v)
            }
        };
        let think_profiles: Vec<(u64, u64)> = std::env::var("GONGWEN_BENCH_THINK_MS")
            .unwrap_or_else(|_| "3000;50-100".into())
            .split(';')
            .filter(|t| !t.trim().is_empty())
            .map(parse)
            .collect();
        let think_ms = think_profiles.first().copied().unwrap_or((3000, 3000));
        Params {
            out: std::env::var_os("GONGWEN_BENCH_OUT")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("bench/sync.json")),
            parts: env_list(
                "GONGWEN_BENCH_SYNC_PARTS",
                "initial,incremental,fanout,load",
            ),
            docs: env_num("GONGWEN_BENCH_SYNC_DOCS", 10_000),
            doc_bytes: env_num("GONGWEN_BENCH_DOC_BYTES", 10_000),
            client_docs: env_num("GONGWEN_BENCH_CLIENT_DOCS", 100_000),
            incr_changes: env_num("GONGWEN_BENCH_INCR_CHANGES", 10),
            incr_reps: env_num("GONGWEN_BENCH_INCR_REPS", 7).max(1),
            fanout_units: env_num("GONGWEN_BENCH_FANOUT_UNITS", 300).max(1),
            fanout_reps: env_num("GONGWEN_BENCH_FANOUT_REPS", 7).max(1),
            clients: env_num("GONGWEN_BENCH_CLIENTS", 200).max(1),
            secs: env_num("GONGWEN_BENCH_SECS", 60).max(1),
            load_units: env_num("GONGWEN_BENCH_LOAD_UNITS", 20).max(2),
            think_ms,
            think_profiles,
            engines: env_list("GONGWEN_BENCH_ENGINES", "sqlite,postgres"),
        }
    }

    fn wants(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ---------------------------------------------------------------------------------
// Rows

struct Rows(Vec<Value>);

impl Rows {
    fn push(&mut self, metric: &str, value: f64, unit: &str, target: &str, note: String) {
        eprintln!("  => {metric}: {value:.2} {unit} (target {target}) — {note}");
        self.0.push(json!({
            "group": "sync", "metric": metric, "value": value, "unit": unit,
            "target": target, "note": note,
        }));
    }

    /// A part that could not be measured: no value, the reason in the note.
    fn failed(&mut self, metric: &str, unit: &str, target: &str, error: &anyhow::Error) {
        eprintln!("  => {metric}: NOT MEASURED: {error:#}");
        self.0.push(json!({
            "group": "sync", "metric": metric, "value": null, "unit": unit,
            "target": target, "note": format!("not measured: {error:#}"),
        }));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`-quantile (0..=1) of samples in ms, nearest rank.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// CPU seconds (user + system) of a process, from /proc (Linux). The bench, the server
/// and PostgreSQL share two cores, so CPU time shows who used them.
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let Some(after) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// All processes below `pid` (PostgreSQL's backends), from /proc parent links.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            if let Some(ppid) = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u32>().ok())
            {
                parent_of.push((p, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for &(p, pp) in &parent_of {
            if pp == parent {
                out.push(p);
                frontier.push(p);
            }
        }
    }
    out
}

fn tree_cpu(pid: u32) -> f64 {
    cpu_seconds(&pid.to_string())
        + descendants(pid)
            .iter()
            .map(|p| cpu_seconds(&p.to_string()))
            .sum::<f64>()
}

// ---------------------------------------------------------------------------------
// Documents: the same realistic 公文 text as the store's `apply` bench

#[path = "../../gongwen-store/benches/corpus/mod.rs"]
mod corpus;
use corpus::generate;

fn dispatch(document: Document, main: &[UnitCode], cc: &[UnitCode]) -> ExCommand {
    ExCommand {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::new_v4()),
            document: Box::new(document),
            main: main.to_vec(),
            cc: cc.to_vec(),
        },
    }
}

/// Pushes commands and insists every one was accepted (a refusal would make the
/// figures meaningless).
async fn push_accepted(client: &Client, token: &str, commands: &[ExCommand]) -> Result<()> {
    let resp = client.push(token, commands).await?;
    for o in &resp.outcomes {
        if let CommandResult::Rejected { rejection } = &o.result {
            bail!("command {} refused: {}", o.command_id, rejection.message_en);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// The server process

fn server_exe() -> &'static str {
    env!("CARGO_BIN_EXE_gongwen-exchange")
}

struct Server {
    child: Child,
    url: String,
    data: PathBuf,
    database: Option<String>,
    /// Kept open so the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// `gongwen-exchange serve --data DATA [--database URL] --listen 127.0.0.1:0`, with
    /// its log (stderr, default level) in DATA/server.log.
    fn start(data: &Path, database: Option<&str>) -> Result<Server> {
        std::fs::create_dir_all(data)?;
        let log = std::fs::File::create(data.join("server.log"))?;
        let mut cmd = Server::command(data);
        cmd.arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"]);
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", server_exe()))?;
        let mut stdout = BufReader::new(child.stdout.take().context("server stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
            bail!("the server did not start: {line:?}; log: {log}");
        };
        Ok(Server {
            url: url.to_string(),
            child,
            data: data.to_path_buf(),
            database: database.map(str::to_string),
            _stdout: stdout,
        })
    }

    fn command(data: &Path) -> Command {
        let mut cmd = Command::new(server_exe());
        // Settings come only from here, not from the developer's shell.
        for (k, _) in std::env::vars() {
            if k.starts_with("GONGWEN_EXCHANGE_") {
                cmd.env_remove(k);
            }
        }
        cmd.current_dir(data);
        cmd
    }

    /// `gongwen-exchange admin --data … [--database …] ARGS`, with `stdin` as input.
    fn admin(&self, args: &[&str], stdin: Option<&str>) -> Result<()> {
        let mut cmd = Server::command(&self.data);
        cmd.arg("admin").arg("--data").arg(&self.data);
        if let Some(db) = &self.database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut input) = child.stdin.take() {
            if let Some(text) = stdin {
                input.write_all(text.as_bytes())?;
            }
        }
        let out = child.wait_with_output()?;
        ensure!(
            out.status.success(),
            "admin {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    fn add_unit(&self, code: &str, name: &str) -> Result<()> {
        self.admin(&["unit", "add", code, name], None)
    }

    fn add_user(&self, username: &str, unit: &str, name: &str) -> Result<()> {
        self.admin(
            &[
                "user",
                "add",
                username,
                "--unit",
                unit,
                "--role",
                "clerk",
                "--clearance",
                "secret",
                "--name",
                name,
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
    }

    fn cpu(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM: graceful shutdown; killed if it hangs.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------
// Parts 1–3: initial sync (+ floor), incremental sync, fan-out, on one SQLite server

const SENDER: &str = "sz-fgw";
const RECEIVER: &str = "sz-tjj";

async fn exchange_parts(p: &Params, temp: &Path, rows: &mut Rows) -> Result<()> {
    let server = Server::start(&temp.join("exchange-sqlite"), None)?;
    eprintln!("server at {}", server.url);
    server.add_unit(SENDER, "宿州市发展和改革委员会")?;
    server.add_unit(RECEIVER, "宿州市统计局")?;
    server.add_user("fgw-clerk", SENDER, "张明")?;
    server.add_user("tjj-clerk", RECEIVER, "李华")?;
    let sender = Client::new(&server.url, "bench-sender")?;
    let stoken = sender.login("fgw-clerk", PASSWORD).await?.token;
    let to = [UnitCode::from(RECEIVER)];
    let mut rng = fastrand::Rng::with_seed(20261125);

    let wants_sync = p.wants("initial") || p.wants("incremental");
    let mut receiver = None;
    if wants_sync {
        match initial(p, &server, &sender, &stoken, &mut rng, temp, rows).await {
            Ok(r) => receiver = Some(r),
            Err(e) => {
                rows.failed(
                    &format!("initial sync of {} documents", p.docs),
                    "s",
                    "<= 10",
                    &e,
                );
            }
        }
    }
    if p.wants("incremental") {
        match &receiver {
            Some(r) => {
                if let Err(e) = incremental(p, &sender, &stoken, &to, &mut rng, r, rows).await {
                    rows.failed(
                        &format!("incremental sync of {} changes, p50", p.incr_changes),
                        "ms",
                        "<= 100",
                        &e,
                    );
                }
            }
            None => rows.failed(
                &format!("incremental sync of {} changes, p50", p.incr_changes),
                "ms",
                "<= 100",
                &anyhow::anyhow!("needs the client of the initial sync, which failed"),
            ),
        }
    }
    if p.wants("fanout") {
        if let Err(e) = fanout(p, &server, &sender, &stoken, &mut rng, rows).await {
            rows.failed(
                &format!("dispatch to {} units, median", p.fanout_units),
                "ms",
                "<= 500",
                &e,
            );
        }
    }
    Ok(())
}

/// The receiving client of parts 1 and 2.
struct Receiver {
    store: Mutex<Store>,
    client: Client,
    token: String,
    dir: PathBuf,
}

async fn initial(
    p: &Params,
    server: &Server,
    sender: &Client,
    stoken: &str,
    rng: &mut fastrand::Rng,
    temp: &Path,
    rows: &mut Rows,
) -> Result<Receiver> {
    let n = p.docs;
    eprintln!("seeding {n} dispatches over HTTP …");
    let to = [UnitCode::from(RECEIVER)];
    let t = Instant::now();
    let mut body_bytes = 0usize;
    let mut serial = 0;
    while serial < n {
        let k = SEED_BATCH.min(n - serial);
        let commands: Vec<ExCommand> = (0..k)
            .map(|i| {
                let d = generate(rng, serial + i, p.doc_bytes);
                body_bytes += d.body.to_text().len();
                dispatch(d, &to, &[])
            })
            .collect();
        push_accepted(sender, stoken, &commands).await?;
        serial += k;
    }
    let seed_secs = t.elapsed().as_secs_f64();
    eprintln!(
        "seeded in {seed_secs:.1} s ({:.0} dispatches/s), body {:.1} KB average",
        n as f64 / seed_secs,
        body_bytes as f64 / n.max(1) as f64 / 1000.0
    );

    let dir = temp.join("client-tjj");
    let mut store = Store::open(&dir)?;
    let client = Client::new(&server.url, &store.client_id()?)?;
    let store = Mutex::new(store);
    let login = gongwen_sync::login(&client, &store, "tjj-clerk", PASSWORD).await?;
    let token = login.token;

    let cpu_server = server.cpu();
    let cpu_self = cpu_seconds("self");
    let t = Instant::now();
    let report = sync_once(&client, &token, &store).await?;
    let sync = t.elapsed();
    let cpu_server = server.cpu() - cpu_server;
    let cpu_self = cpu_seconds("self") - cpu_self;
    ensure!(
        report.pulled == n && report.new_documents == n,
        "the sync applied {} changes and {} new documents; {n} expected",
        report.pulled,
        report.new_documents
    );

    // Where the time goes: the same pull loop as sync_once's, into a second empty
    // store, with the network (request, server, JSON parse) and the store's apply
    // timed apart.
    let account = gongwen_store::Account::new(&server.url, login.user.clone());
    let (net, apply, pages) =
        pull_breakdown(&client, &token, &account, &temp.join("client-tjj-2")).await?;
    // A few hundred MB that nothing reads again.
    let _ = std::fs::remove_dir_all(temp.join("client-tjj-2"));

    // The floor: the same change-log bytes (one JSON line per change, as served) as
    // one file on the same server, downloaded and inserted with plain SQL.
    let file = temp.join("changes.ndjson");
    let (lines, size) = write_changes_file(&client, &token, &file).await?;
    let sha = sha256_file(&file)?;
    let report_up = sender.upload_blob(stoken, &sha, &file).await?;
    ensure!(
        report_up.sent == size || report_up.already_there,
        "uploaded {} of {size} bytes",
        report_up.sent
    );
    let mut carrier = generate(rng, 0, 2000);
    carrier.title = "宿州市发展和改革委员会关于报送同步基准数据的函".into();
    carrier.attachments = vec![Attachment {
        name: "同步基准数据".into(),
        sha256: Some(sha.clone()),
        file_name: Some("changes.ndjson".into()),
        size: Some(size),
    }];
    push_accepted(sender, stoken, &[dispatch(carrier, &to, &[])]).await?;
    let (download, total) = floor(&server.url, &token, &sha, size, lines, temp).await?;

    let secs = sync.as_secs_f64();
    let mb = size as f64 / 1e6;
    rows.push(
        &format!("initial sync of {n} documents"),
        secs,
        "s",
        "<= 10",
        format!(
            "sync_once into an empty store: {:.0} docs/s, {mb:.0} MB of change log; CPU: server {cpu_server:.1} s, client {cpu_self:.1} s; the same loop timed apart: pull (HTTP + JSON) {:.1} s, store apply {:.1} s in {pages} pages of 500; server seeded over HTTP at {:.0} dispatches/s",
            n as f64 / secs,
            net.as_secs_f64(),
            apply.as_secs_f64(),
            n as f64 / seed_secs
        ),
    );
    rows.push(
        "initial sync vs download+insert floor",
        secs / total.as_secs_f64(),
        "ratio",
        "",
        format!(
            "floor {:.2} s: GET of the same {mb:.0} MB as one attachment {:.2} s + {lines} rows inserted in one transaction (WAL, synchronous=FULL) {:.2} s",
            total.as_secs_f64(),
            download.as_secs_f64(),
            (total - download).as_secs_f64()
        ),
    );
    Ok(Receiver {
        store,
        client,
        token,
        dir,
    })
}

/// sync_once's pull loop (pages of 500, each applied with its cursor) into a new
/// store, returning (time in `Client::pull`, time in `Store::apply_changes`, pages).
async fn pull_breakdown(
    client: &Client,
    token: &str,
    account: &gongwen_store::Account,
    dir: &Path,
) -> Result<(Duration, Duration, usize)> {
    let mut store = Store::open(dir)?;
    store.set_account(Some(account))?;
    let (mut net, mut apply, mut pages) = (Duration::ZERO, Duration::ZERO, 0);
    let mut cursor = 0;
    loop {
        let t = Instant::now();
        let page = client.pull(token, cursor, 500).await?;
        net += t.elapsed();
        let t = Instant::now();
        let applied = store.apply_changes(account, &page)?;
        apply += t.elapsed();
        pages += 1;
        cursor = applied.cursor;
        if !page.has_more {
            break;
        }
    }
    Ok((net, apply, pages))
}

/// Pulls the receiver's whole log again and writes each change as one JSON line.
async fn write_changes_file(client: &Client, token: &str, path: &Path) -> Result<(usize, u64)> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut after = 0;
    let mut lines = 0;
    loop {
        let page = client.pull(token, after, 1000).await?;
        for change in &page.changes {
            serde_json::to_writer(&mut out, change)?;
            out.write_all(b"\n")?;
            lines += 1;
        }
        after = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    out.flush()?;
    drop(out);
    Ok((lines, std::fs::metadata(path)?.len()))
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// GET the file from the server's attachment endpoint into memory, then insert each
/// line as a row in one transaction. Returns (download time, total time).
async fn floor(
    url: &str,
    token: &str,
    sha: &str,
    size: u64,
    lines: usize,
    temp: &Path,
) -> Result<(Duration, Duration)> {
    let db_path = temp.join("floor.db");
    let mut db = rusqlite::Connection::open(&db_path)?;
    // The client store's durability settings, so the floor pays the same fsyncs.
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.execute_batch("CREATE TABLE changes(seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")?;
    let http = reqwest::Client::new();

    let t = Instant::now();
    let bytes = http
        .get(format!("{url}/v1/blobs/{sha}"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let download = t.elapsed();
    ensure!(
        bytes.len() as u64 == size,
        "downloaded {} of {size} bytes",
        bytes.len()
    );
    let tx = db.transaction()?;
    let mut inserted = 0;
    {
        let mut stmt = tx.prepare("INSERT INTO changes(seq, body) VALUES (?1, ?2)")?;
        for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let text = std::str::from_utf8(line)?;
            inserted += 1;
            stmt.execute(rusqlite::params![inserted as i64, text])?;
        }
    }
    tx.commit()?;
    let total = t.elapsed();
    ensure!(inserted == lines, "inserted {inserted} rows of {lines}");
    Ok((download, total))
}

async fn incremental(
    p: &Params,
    sender: &Client,
    stoken: &str,
    to: &[UnitCode],
    rng: &mut fastrand::Rng,
    r: &Receiver,
    rows: &mut Rows,
) -> Result<()> {
    // Fill the store to CLIENT_DOCS with local documents (drafts, signed-off, archived
    // ones: what a unit's own work adds), then catch up so the cursor is at the end.
    let have = lock(&r.store)?.list(&ListFilter::default())?.total as usize;
    let need = p.client_docs.saturating_sub(have);
    eprintln!("importing {need} local documents (store has {have}) …");
    let t = Instant::now();
    let mut serial = 0;
    while serial < need {
        let k = 1000.min(need - serial);
        let batch: Vec<(Document, DocStatus)> = (0..k)
            .map(|i| {
                let status =
                    [DocStatus::Draft, DocStatus::SignedOff, DocStatus::Archived][rng.usize(..3)];
                (generate(rng, serial + i, p.doc_bytes), status)
            })
            .collect();
        lock(&r.store)?.import(&batch)?;
        serial += k;
    }
    eprintln!("imported in {:.1} s", t.elapsed().as_secs_f64());
    sync_once(&r.client, &r.token, &r.store).await?;
    let total = lock(&r.store)?.list(&ListFilter::default())?.total;
    let db_mb = std::fs::metadata(r.dir.join(gongwen_store::DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0) as f64
        / 1e6;

    // The app's SyncLoop runs the store's upkeep (search-index merging, WAL checkpoint)
    // after each round, outside the round; so does this loop, timed apart. The import
    // above left merging work behind, as a user's own import would.
    lock(&r.store)?.maintain()?;
    let mut samples = Vec::new();
    let mut upkeep = Vec::new();
    for _ in 0..p.incr_reps {
        let commands: Vec<ExCommand> = (0..p.incr_changes)
            .map(|i| dispatch(generate(rng, i, p.doc_bytes), to, &[]))
            .collect();
        push_accepted(sender, stoken, &commands).await?;
        let t = Instant::now();
        let report = sync_once(&r.client, &r.token, &r.store).await?;
        samples.push(ms(t.elapsed()));
        ensure!(
            report.pulled == p.incr_changes,
            "pulled {} changes, {} expected",
            report.pulled,
            p.incr_changes
        );
        let t = Instant::now();
        lock(&r.store)?.maintain()?;
        upkeep.push(ms(t.elapsed()));
    }
    let in_order = fmt_samples(&samples);
    let upkeep_note = format!(
        "store upkeep between rounds (Store::maintain, as the app's sync loop runs it) p50 {:.1} ms, max {:.1} ms",
        quantile(&sorted(upkeep.clone()), 0.5),
        sorted(upkeep).last().copied().unwrap_or(f64::NAN)
    );
    let s = sorted(samples);

    // Where the time goes: as many rounds again, each step of sync_once timed apart
    // (directory when stale, pull request, apply in the store). Not part of the figure.
    let account = lock(&r.store)?
        .account()?
        .context("the receiving store has no account")?;
    let (mut dir_ms, mut pull_ms, mut apply_ms) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..p.incr_reps {
        let commands: Vec<ExCommand> = (0..p.incr_changes)
            .map(|i| dispatch(generate(rng, i, p.doc_bytes), to, &[]))
            .collect();
        push_accepted(sender, stoken, &commands).await?;
        // As the round does: the directory only when the cached copy is stale.
        let t = Instant::now();
        let fresh = lock(&r.store)?
            .directory_is_fresh(r.client.server(), gongwen_sync::DIRECTORY_MAX_AGE)?;
        if !fresh {
            let directory = r.client.directory(&r.token).await?;
            lock(&r.store)?.set_fetched_directory(r.client.server(), &directory)?;
        }
        dir_ms.push(ms(t.elapsed()));
        let cursor = lock(&r.store)?.cursor(&account)?;
        let t = Instant::now();
        let page = r.client.pull(&r.token, cursor, 500).await?;
        pull_ms.push(ms(t.elapsed()));
        let t = Instant::now();
        lock(&r.store)?.apply_changes(&account, &page)?;
        apply_ms.push(ms(t.elapsed()));
        lock(&r.store)?.maintain()?;
    }
    let split = format!(
        "steps timed apart over {} more rounds, p50 (max): directory {:.1} ({:.1}) ms, pull {:.1} ({:.1}) ms, apply {:.1} ({:.1}) ms",
        p.incr_reps,
        quantile(&sorted(dir_ms.clone()), 0.5),
        sorted(dir_ms).last().copied().unwrap_or(f64::NAN),
        quantile(&sorted(pull_ms.clone()), 0.5),
        sorted(pull_ms).last().copied().unwrap_or(f64::NAN),
        quantile(&sorted(apply_ms.clone()), 0.5),
        sorted(apply_ms).last().copied().unwrap_or(f64::NAN),
    );
    eprintln!("incremental rounds in order: {in_order}; {split}; {upkeep_note}");
    rows.push(
        &format!("incremental sync of {} changes, p50", p.incr_changes),
        quantile(&s, 0.5),
        "ms",
        "<= 100",
        format!(
            "max {:.1} ms over {} rounds; sync_once (directory when stale + pull + apply) into a store of {total} documents ({db_mb:.0} MB), cursor caught up; {upkeep_note}",
            s[s.len() - 1],
            s.len()
        ),
    );
    rows.push(
        &format!("incremental sync of {} changes, max", p.incr_changes),
        s[s.len() - 1],
        "ms",
        "<= 100",
        format!("same rounds in order: {in_order}; {split}; {upkeep_note}"),
    );
    Ok(())
}

fn fmt_samples(s: &[f64]) -> String {
    s.iter()
        .map(|v| format!("{v:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
        + " ms"
}

fn lock(store: &Mutex<Store>) -> Result<std::sync::MutexGuard<'_, Store>> {
    store
        .lock()
        .map_err(|_| anyhow::anyhow!("the store lock is poisoned"))
}

const COUNTIES: &[&str] = &["萧县", "砀山县", "灵璧县", "泗县", "埇桥区", "宿州市"];
const OFFICES: &[&str] = &[
    "人民政府办公室",
    "发展和改革委员会",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "林业局",
    "数据资源管理局",
    "信访局",
    "城市管理局",
    "乡村振兴局",
];

/// A plausible unit name for fan-out unit `i`.
fn unit_name(i: usize) -> String {
    let county = COUNTIES[i % COUNTIES.len()];
    let office = OFFICES[(i / COUNTIES.len()) % OFFICES.len()];
    let round = i / (COUNTIES.len() * OFFICES.len());
    if round == 0 {
        format!("{county}{office}")
    } else {
        format!("{county}{office}（{}）", round + 1)
    }
}

async fn fanout(
    p: &Params,
    server: &Server,
    sender: &Client,
    stoken: &str,
    rng: &mut fastrand::Rng,
    rows: &mut Rows,
) -> Result<()> {
    let n = p.fanout_units;
    eprintln!("adding {n} units with `admin unit add` …");
    let t = Instant::now();
    let codes: Vec<UnitCode> = (0..n).map(|i| UnitCode(format!("fo-{i:03}"))).collect();
    for (i, code) in codes.iter().enumerate() {
        server.add_unit(&code.0, &unit_name(i))?;
    }
    eprintln!("units added in {:.1} s", t.elapsed().as_secs_f64());
    // 主送 the first tenth (e.g. the county governments), 抄送 the rest.
    let main_n = (n / 10).max(1);
    let (main, cc) = codes.split_at(main_n);
    let mut samples = Vec::new();
    for i in 0..p.fanout_reps {
        let command = dispatch(generate(rng, i, p.doc_bytes), main, cc);
        let t = Instant::now();
        push_accepted(sender, stoken, &[command]).await?;
        samples.push(ms(t.elapsed()));
    }
    let s = sorted(samples);
    rows.push(
        &format!("dispatch to {n} units, median"),
        quantile(&s, 0.5),
        "ms",
        "<= 500",
        format!(
            "POST /v1/commands round trip, one ~{:.0} KB document, {} 主送 + {} 抄送 ({} log entries), SQLite; {} rounds: {}",
            p.doc_bytes as f64 / 1000.0,
            main.len(),
            cc.len(),
            n + 1,
            s.len(),
            fmt_samples(&s)
        ),
    );

    // A document's content is stored once however many units receive it.
    let big = generate(rng, p.fanout_reps, BIG_DOC_BYTES);
    let big_bytes = serde_json::to_string(&big)?.len() as u64;
    let before = db_used_bytes(&server.data.join("exchange.db"))?;
    let t = Instant::now();
    push_accepted(sender, stoken, &[dispatch(big, main, cc)]).await?;
    let took = ms(t.elapsed());
    let grew = db_used_bytes(&server.data.join("exchange.db"))?.saturating_sub(before);
    rows.push(
        &format!("dispatch of a 5 MB document to {n} units, database growth"),
        grew as f64 / big_bytes as f64,
        "× document",
        "<= 3",
        format!(
            "the SQLite database grew by {:.1} MB for a document of {:.1} MB (its JSON) sent to {} 主送 + {} 抄送 ({} log entries); round trip {took:.0} ms",
            grew as f64 / 1e6,
            big_bytes as f64 / 1e6,
            main.len(),
            cc.len(),
            n + 1,
        ),
    );
    Ok(())
}

/// Body text of the large document of the fan-out part.
const BIG_DOC_BYTES: usize = 5_000_000;

/// Bytes of the SQLite database in use (pages not on the free list), the WAL's
/// committed pages included: what the server has stored, not what the file has
/// reserved.
fn db_used_bytes(path: &Path) -> Result<u64> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let pragma = |name: &str| -> Result<u64> {
        Ok(conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))? as u64)
    };
    Ok((pragma("page_count")? - pragma("freelist_count")?) * pragma("page_size")?)
}

// ---------------------------------------------------------------------------------
// Part 4: many clients pushing and pulling at once

#[derive(Default)]
struct LoadStats {
    /// Request latencies in µs: pushes and pulls.
    push: Vec<u32>,
    pull: Vec<u32>,
    errors: usize,
    first_errors: Vec<String>,
    rejected: usize,
    dispatches: usize,
    acknowledges: usize,
    changes: usize,
}

async fn load(p: &Params, engine: &str, temp: &Path, rows: &mut Rows) -> Result<()> {
    let pg = match engine {
        "sqlite" => None,
        "postgres" => Some(
            tokio::task::spawn_blocking(gongwen_exchange::testing::TempPostgres::start)
                .await?
                .map_err(|e| anyhow::anyhow!(e))?,
        ),
        other => bail!("unknown engine `{other}`; expected sqlite or postgres"),
    };
    let server = Server::start(
        &temp.join(format!(
            "exchange-load-{engine}-{}-{}",
            p.think_ms.0, p.think_ms.1
        )),
        pg.as_ref().map(|pg| pg.url()).as_deref(),
    )?;
    eprintln!("[{engine}] server at {}", server.url);

    let units: Vec<UnitCode> = (0..p.load_units)
        .map(|i| UnitCode(format!("ld-{i:02}")))
        .collect();
    let t = Instant::now();
    for (i, u) in units.iter().enumerate() {
        server.add_unit(&u.0, &unit_name(i * 7))?;
    }
    // Users spread round-robin over the units; each knows its index within its unit
    // so that exactly one user of a unit signs for each received document.
    let per_unit = p.clients.div_ceil(p.load_units);
    let mut users = Vec::new();
    for c in 0..p.clients {
        let unit = c % p.load_units;
        let index = c / p.load_units;
        let username = format!("ld-{unit:02}-clerk{index}");
        server.add_user(&username, &units[unit].0, &format!("文书{c}"))?;
        users.push((username, unit, index));
    }
    eprintln!(
        "[{engine}] {} units, {} users added in {:.1} s",
        units.len(),
        users.len(),
        t.elapsed().as_secs_f64()
    );

    // Log in (each client its own HTTP client and token).
    let mut logins = Vec::new();
    for (c, (username, _, _)) in users.iter().enumerate() {
        let client = Client::new(&server.url, &format!("bench-load-{c}"))?;
        let username = username.clone();
        logins.push(tokio::spawn(async move {
            let token = client.login(&username, PASSWORD).await?.token;
            anyhow::Ok((client, token))
        }));
    }
    let mut sessions = Vec::new();
    for l in logins {
        sessions.push(l.await??);
    }

    let secs = Duration::from_secs(p.secs);
    let metrics_before = route_times(&server.url).await;
    let (cpu_server, cpu_self) = (server.cpu(), cpu_seconds("self"));
    let postmaster = pg.as_ref().and_then(|pg| postmaster_pid(pg.port()));
    let cpu_pg = pg.as_ref().map(|_| pg_cpu(postmaster));
    let start = Instant::now();
    let deadline = start + secs;
    let mut tasks = Vec::new();
    for (c, (client, token)) in sessions.into_iter().enumerate() {
        let (_, unit, index) = users[c].clone();
        let units = units.clone();
        let (think, doc_bytes) = (p.think_ms, p.doc_bytes);
        tasks.push(tokio::spawn(async move {
            client_loop(ClientSpec {
                client,
                token,
                seed: c as u64,
                unit,
                index,
                per_unit,
                units,
                think,
                doc_bytes,
                deadline,
            })
            .await
        }));
    }
    // What PostgreSQL's backends are doing during the run, sampled 5 times a second.
    let pg_waits = pg
        .as_ref()
        .map(|pg| tokio::spawn(sample_pg(pg.url(), deadline)));
    let mut all = LoadStats::default();
    for t in tasks {
        let s = t.await?;
        all.push.extend(s.push);
        all.pull.extend(s.pull);
        all.errors += s.errors;
        all.rejected += s.rejected;
        all.dispatches += s.dispatches;
        all.acknowledges += s.acknowledges;
        all.changes += s.changes;
        for e in s.first_errors {
            if all.first_errors.len() < 3 {
                all.first_errors.push(e);
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu_server = server.cpu() - cpu_server;
    if all.errors > 0 {
        if let Some(line) = first_server_error(&server) {
            all.first_errors.push(format!("server log: {line}"));
        }
    }
    let cpu_self = cpu_seconds("self") - cpu_self;
    let cpu_pg = cpu_pg.map(|before| pg_cpu(postmaster) - before);
    let inside = match (metrics_before, route_times(&server.url).await) {
        (Ok(before), Ok(after)) => {
            let mean = |route: &str| {
                let (s1, c1) = after.get(route).copied().unwrap_or_default();
                let (s0, c0) = before.get(route).copied().unwrap_or_default();
                if c1 > c0 {
                    (s1 - s0) / (c1 - c0) * 1000.0
                } else {
                    f64::NAN
                }
            };
            format!(
                "; mean time inside the server (its /metrics): push {:.1} ms, pull {:.1} ms",
                mean("POST /v1/commands"),
                mean("GET /v1/changes")
            )
        }
        (Err(e), _) | (_, Err(e)) => format!("; server metrics not read: {e:#}"),
    };
    let pg_waits = match pg_waits {
        Some(task) => match task.await {
            Ok(Ok(w)) => format!("; pg_stat_activity sampled 5/s: {w}"),
            Ok(Err(e)) => format!("; pg_stat_activity not sampled: {e:#}"),
            Err(e) => format!("; pg_stat_activity not sampled: {e}"),
        },
        None => String::new(),
    };
    drop(server);
    drop(pg);

    let to_ms = |v: &[u32]| sorted(v.iter().map(|&us| us as f64 / 1000.0).collect());
    let both = to_ms(&[all.push.as_slice(), all.pull.as_slice()].concat());
    let push = to_ms(&all.push);
    let pull = to_ms(&all.pull);
    let requests = both.len() + all.errors;
    let rps = requests as f64 / elapsed;
    let cpu = format!(
        "CPU over {elapsed:.0} s on {} cores: server {cpu_server:.0} s{}, clients {cpu_self:.0} s",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_pg.map_or(String::new(), |c| format!(", PostgreSQL {c:.0} s"))
    );
    // Durability differs: the SQLite engine commits each command with
    // synchronous=FULL; the temporary cluster runs without fsync (testing.rs).
    let durability = match engine {
        "postgres" => "; PostgreSQL 15 from TempPostgres: fsync=off, synchronous_commit=off",
        _ => "; SQLite: WAL, synchronous=FULL, one writer",
    };
    let errors = if all.first_errors.is_empty() {
        String::new()
    } else {
        format!("; first errors: {}", all.first_errors.join(" | "))
    };
    rows.push(
        &format!(
            "{} clients {}, p99 latency ({engine})",
            p.clients,
            think_label(p.think_ms)
        ),
        quantile(&both, 0.99),
        "ms",
        "<= 200",
        format!(
            "all requests: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.0} ms; push p50/p99 {:.1}/{:.1} ms (mean {:.1}), pull p50/p99 {:.1}/{:.1} ms (mean {:.1}){inside}; {} errors, {} refused{pg_waits}",
            quantile(&both, 0.5),
            quantile(&both, 0.95),
            quantile(&both, 0.99),
            both.last().copied().unwrap_or(f64::NAN),
            quantile(&push, 0.5),
            quantile(&push, 0.99),
            mean(&push),
            quantile(&pull, 0.5),
            quantile(&pull, 0.99),
            mean(&pull),
            all.errors,
            all.rejected
        ),
    );
    rows.push(
        &format!(
            "{} clients {}, requests/s ({engine})",
            p.clients,
            think_label(p.think_ms)
        ),
        rps,
        "req/s",
        "",
        format!(
            "{requests} requests ({} errors) in {elapsed:.0} s; mix per client: push one command ({} dispatches of a ~{:.0} KB document to 1 主送 + 0–2 抄送 of {} units, {} 签收 of documents received), then pull until caught up ({} changes pulled), think {}–{} ms (offered if answered at once: ~{:.0} commands/s); {} users, {} per unit; {cpu}{durability}{errors}",
            all.errors,
            all.dispatches,
            p.doc_bytes as f64 / 1000.0,
            p.load_units,
            all.acknowledges,
            all.changes,
            p.think_ms.0,
            p.think_ms.1,
            p.clients as f64 * 2000.0 / (p.think_ms.0 + p.think_ms.1).max(1) as f64,
            p.clients,
            per_unit
        ),
    );
    Ok(())
}

/// The postmaster of the temporary cluster listening on `port` (found by its command
/// line), so its CPU time and its backends' can be summed.
fn postmaster_pid(port: u16) -> Option<u32> {
    let port = port.to_string();
    let dir = std::fs::read_dir("/proc").ok()?;
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let is_postgres = args
            .first()
            .is_some_and(|a| a.ends_with(b"/postgres") || *a == b"postgres");
        let on_port = args
            .windows(2)
            .any(|w| w[0] == b"-p" && w[1] == port.as_bytes());
        if is_postgres && on_port {
            return Some(pid);
        }
    }
    None
}

/// CPU seconds of the cluster: the postmaster, its live backends, and the backends
/// that have exited (the postmaster's reaped-children time).
fn pg_cpu(postmaster: Option<u32>) -> f64 {
    let Some(pid) = postmaster else {
        return 0.0;
    };
    let reaped = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit(')').next()?.to_string();
            let f: Vec<f64> = after
                .split_whitespace()
                .map(|v| v.parse().unwrap_or(0.0))
                .collect();
            Some((f.get(13)? + f.get(14)?) / 100.0)
        })
        .unwrap_or(0.0);
    tree_cpu(pid) + reaped
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Seconds spent and requests answered per `METHOD route` (status 2xx), from the
/// server's Prometheus histogram `exchange_http_request_duration_seconds`.
async fn route_times(url: &str) -> Result<std::collections::HashMap<String, (f64, f64)>> {
    let text = reqwest::get(format!("{url}/metrics"))
        .await?
        .error_for_status()?
        .text()
        .await?;
    let mut out: std::collections::HashMap<String, (f64, f64)> = Default::default();
    for line in text.lines() {
        let (is_sum, rest) = if let Some(r) =
            line.strip_prefix("exchange_http_request_duration_seconds_sum{")
        {
            (true, r)
        } else if let Some(r) = line.strip_prefix("exchange_http_request_duration_seconds_count{") {
            (false, r)
        } else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let label = |name: &str| {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
                .unwrap_or_default()
        };
        if !label("status").starts_with('2') {
            continue;
        }
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let entry = out
            .entry(format!("{} {}", label("method"), label("route")))
            .or_default();
        if is_sum {
            entry.0 += value;
        } else {
            entry.1 += value;
        }
    }
    ensure!(
        !out.is_empty(),
        "no exchange_http_request_duration_seconds in /metrics"
    );
    Ok(out)
}

/// Samples `pg_stat_activity` until `until` and sums, over the server's backends,
/// what each was doing (`state: wait_event_type/wait_event`, or running), and for
/// backends waiting on a lock, what the backend blocking them was doing. Returns the
/// most frequent of each as shares of their samples.
async fn sample_pg(url: String, until: Instant) -> Result<String> {
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    let conn = tokio::spawn(connection);
    let mut backends = Tally::default();
    let mut blockers = Tally::default();
    while Instant::now() < until {
        let rows = client
            .query(
                "SELECT coalesce(state, '?') || ': ' ||
                        coalesce(wait_event_type || '/' || wait_event, 'running')
                 FROM pg_stat_activity
                 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
                &[],
            )
            .await?;
        backends.add(rows.iter().map(|r| r.get::<_, String>(0)));
        let rows = client
            .query(
                "SELECT coalesce(h.state, '?') || ': ' ||
                        coalesce(h.wait_event_type || '/' || h.wait_event, 'running')
                 FROM pg_stat_activity w
                 CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS b(pid)
                 JOIN pg_stat_activity h ON h.pid = b.pid
                 WHERE w.wait_event_type = 'Lock'",
                &[],
            )
            .await?;
        blockers.add(rows.iter().map(|r| r.get::<_, String>(0)));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(client);
    let _ = conn.await;
    Ok(format!(
        "backends {}; the backends blocking a lock waiter were {}",
        backends.top(5),
        blockers.top(3)
    ))
}

#[derive(Default)]
struct Tally {
    counts: std::collections::HashMap<String, usize>,
    total: usize,
}

impl Tally {
    fn add(&mut self, items: impl Iterator<Item = String>) {
        for item in items {
            *self.counts.entry(item).or_default() += 1;
            self.total += 1;
        }
    }

    fn top(&self, n: usize) -> String {
        if self.total == 0 {
            return "(none seen)".into();
        }
        let mut top: Vec<_> = self.counts.iter().collect();
        top.sort_by_key(|t| std::cmp::Reverse(*t.1));
        top.iter()
            .take(n)
            .map(|(what, k)| format!("{what} {:.0}%", **k as f64 * 100.0 / self.total as f64))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The first ERROR line of the server's log, shortened, to say why requests failed.
fn first_server_error(server: &Server) -> Option<String> {
    let log = std::fs::read_to_string(server.data.join("server.log")).ok()?;
    let line = log.lines().find(|l| l.contains("ERROR"))?;
    Some(line.chars().take(300).collect())
}

struct ClientSpec {
    client: Client,
    token: String,
    seed: u64,
    unit: usize,
    index: usize,
    per_unit: usize,
    units: Vec<UnitCode>,
    think: (u64, u64),
    doc_bytes: usize,
    deadline: Instant,
}

/// One simulated clerk: push one command (sign for a received document when one is
/// waiting and a coin says so, else dispatch a new one), then pull until caught up,
/// then think.
async fn client_loop(s: ClientSpec) -> LoadStats {
    let mut rng = fastrand::Rng::with_seed(s.seed);
    let mut stats = LoadStats::default();
    let mut cursor = 0u64;
    let mut to_sign: Vec<DocumentId> = Vec::new();
    let think = |rng: &mut fastrand::Rng| Duration::from_millis(rng.u64(s.think.0..=s.think.1));
    // Start staggered, as real clients do.
    tokio::time::sleep(Duration::from_millis(rng.u64(0..=s.think.1))).await;
    let mut serial = 0;
    let note_error = |stats: &mut LoadStats, e: String| {
        stats.errors += 1;
        if stats.first_errors.len() < 3 {
            stats.first_errors.push(e);
        }
    };
    while Instant::now() < s.deadline {
        let command = if !to_sign.is_empty() && rng.bool() {
            stats.acknowledges += 1;
            let document_id = to_sign.swap_remove(rng.usize(..to_sign.len()));
            ExCommand {
                id: CommandId(uuid::Uuid::new_v4()),
                body: CommandBody::Acknowledge { document_id },
            }
        } else {
            stats.dispatches += 1;
            serial += 1;
            let mut others: Vec<&UnitCode> = s
                .units
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != s.unit)
                .map(|(_, u)| u)
                .collect();
            rng.shuffle(&mut others);
            let cc_n = rng.usize(0..=2).min(others.len() - 1);
            let main = vec![others[0].clone()];
            let cc: Vec<UnitCode> = others[1..=cc_n].iter().map(|u| (*u).clone()).collect();
            dispatch(generate(&mut rng, serial, s.doc_bytes), &main, &cc)
        };
        let t = Instant::now();
        match s
            .client
            .push(&s.token, std::slice::from_ref(&command))
            .await
        {
            Ok(resp) => {
                stats.push.push(t.elapsed().as_micros() as u32);
                if resp
                    .outcomes
                    .iter()
                    .any(|o| matches!(o.result, CommandResult::Rejected { .. }))
                {
                    stats.rejected += 1;
                }
            }
            Err(e) => note_error(&mut stats, format!("push: {e}")),
        }
        loop {
            let t = Instant::now();
            match s.client.pull(&s.token, cursor, 500).await {
                Ok(page) => {
                    stats.pull.push(t.elapsed().as_micros() as u32);
                    stats.changes += page.changes.len();
                    for change in &page.changes {
                        if let ChangeEntry::Received { document_id, .. } = &change.entry {
                            // One user of the unit signs for each document.
                            if (document_id.0.as_u128() % s.per_unit as u128) as usize == s.index {
                                to_sign.push(*document_id);
                            }
                        }
                    }
                    cursor = page.next_cursor;
                    if !page.has_more {
                        break;
                    }
                }
                Err(e) => {
                    note_error(&mut stats, format!("pull: {e}"));
                    break;
                }
            }
        }
        tokio::time::sleep(think(&mut rng)).await;
    }
    stats
}

// ---------------------------------------------------------------------------------

enum Kept {
    Temp(tempfile::TempDir),
    Path(PathBuf),
}

impl Kept {
    fn path(&self) -> &Path {
        match self {
            Kept::Temp(t) => t.path(),
            Kept::Path(p) => p,
        }
    }
}

fn main() {
    let p = Params::from_env();
    eprintln!(
        "sync bench: parts {:?}; {} docs of ~{} B; client {} docs; fan-out {} units; {} clients × {} s on {:?}",
        p.parts, p.docs, p.doc_bytes, p.client_docs, p.fanout_units, p.clients, p.secs, p.engines
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    let temp = match tempfile::Builder::new()
        .prefix("gongwen-bench-sync-")
        .tempdir()
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot create a temporary folder: {e}");
            std::process::exit(2);
        }
    };
    let mut rows = Rows(Vec::new());
    // GONGWEN_BENCH_KEEP=1 keeps the folder (server logs, stores) for a look afterwards.
    let temp = if std::env::var_os("GONGWEN_BENCH_KEEP").is_some() {
        let path = temp.keep();
        eprintln!("keeping {}", path.display());
        Kept::Path(path)
    } else {
        Kept::Temp(temp)
    };
    runtime.block_on(async {
        if p.wants("initial") || p.wants("incremental") || p.wants("fanout") {
            if let Err(e) = exchange_parts(&p, temp.path(), &mut rows).await {
                rows.failed(
                    &format!("initial sync of {} documents", p.docs),
                    "s",
                    "<= 10",
                    &e,
                );
            }
        }
        if p.wants("load") {
            for (engine, think) in p
                .engines
                .iter()
                .flat_map(|e| p.think_profiles.iter().map(move |t| (e, *t)))
            {
                let p = Params {
                    think_ms: think,
                    ..p.clone()
                };
                if let Err(e) = load(&p, engine, temp.path(), &mut rows).await {
                    rows.failed(
                        &format!(
                            "{} clients {}, p99 latency ({engine})",
                            p.clients,
                            think_label(think)
                        ),
                        "ms",
                        "<= 200",
                        &e,
                    );
                }
            }
        }
    });
    drop(runtime);

    if let Some(dir) = p.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match serde_json::to_string_pretty(&rows.0) {
        Ok(text) => {
            if let Err(e) = std::fs::write(&p.out, text) {
                eprintln!("cannot write {}: {e}", p.out.display());
                std::process::exit(1);
            }
            eprintln!("wrote {}", p.out.display());
        }
        Err(e) => {
            eprintln!("cannot serialize the rows: {e}");
            std::process::exit(1);
        }
    }
}
