//! Applying change-log pages to a large store: the store's half of the sync numbers,
//! without a server, so a slow round can be taken apart.
//!
//! 1. Builds (or reuses) a base store of N documents of ~10 KB body text with
//!    `Store::import`, then works on a copy of it so every run starts from the same
//!    file.
//! 2. Incremental: R rounds, each one `Store::apply_changes` of a page of C `Received`
//!    changes (new documents), timed one by one, with the WAL size before and after
//!    and the time of `Store::maintain` after each round when it is on.
//! 3. Initial: P pages of 500 `Received` changes into an empty store, timed per page.
//!
//! `cargo bench -p gongwen-store --bench apply`. Environment:
//! * `GONGWEN_BENCH_APPLY_BASE=DIR` — keep the base store in DIR and reuse it next time
//!   (building 100,000 documents takes minutes); default: a temporary folder.
//! * `GONGWEN_BENCH_CLIENT_DOCS` 100000 · `GONGWEN_BENCH_DOC_BYTES` 10000 ·
//!   `GONGWEN_BENCH_INCR_CHANGES` 10 · `GONGWEN_BENCH_INCR_REPS` 40 ·
//!   `GONGWEN_BENCH_INITIAL_DOCS` 10000 (0: skip part 3)
//! * `GONGWEN_BENCH_BASE_RECEIVED` 0 — build the base as the sync bench's client is
//!   built: this many documents received in pages of 500, then the rest imported. The FTS5 segments it leaves differ from an import-only base.
//! * `GONGWEN_BENCH_MAINTAIN=1` — call `Store::maintain` (search-index merging and WAL
//!   checkpoint) after each round, as the app's sync loop does, and time it apart.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandId, RecipientRole, Role, UnitCode, UserInfo,
};
use gongwen_core::{Classification, DocStatus, Document, DocumentId};
use gongwen_store::{Account, Store};

mod corpus;
use corpus::generate;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn account() -> Account {
    Account::new(
        "http://127.0.0.1:1",
        UserInfo {
            username: "tjj-clerk".into(),
            display_name: "李华".into(),
            unit: UnitCode::from("sz-tjj"),
            role: Role::Clerk,
            clearance: Classification::Secret,
        },
    )
}

/// A page of `n` received documents, log positions `after + 1 ..= after + n`.
fn page(rng: &mut fastrand::Rng, after: u64, n: usize, body_bytes: usize) -> ChangesPage {
    let changes = (0..n)
        .map(|i| {
            let document = generate(rng, i, body_bytes);
            Change {
                seq: after + 1 + i as u64,
                command_id: CommandId(uuid::Uuid::new_v4()),
                entry: ChangeEntry::Received {
                    document_id: DocumentId(uuid::Uuid::new_v4()),
                    content_hash: gongwen_core::workflow::content_hash(&document),
                    document: Box::new(document),
                    from: UnitCode::from("sz-fgw"),
                    role: RecipientRole::Main,
                    by: "fgw-clerk".into(),
                    at: "2026-11-25T09:00:00.000Z".into(),
                },
            }
        })
        .collect();
    ChangesPage {
        changes,
        next_cursor: after + n as u64,
        has_more: false,
        ..ChangesPage::default()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn wal_mb(dir: &Path) -> f64 {
    std::fs::metadata(dir.join(format!("{}-wal", gongwen_store::DB_FILE)))
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0)
}

fn summary(label: &str, samples: &[f64]) {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "{label}: n {} p50 {:.1} p90 {:.1} max {:.1} ms",
        s.len(),
        q(0.5),
        q(0.9),
        s[s.len() - 1]
    );
}

fn build_base(dir: &Path, n: usize, body_bytes: usize, received: usize) {
    let mut store = Store::open(dir).expect("open the base store");
    let mut rng = fastrand::Rng::with_seed(20261125);
    let t = Instant::now();
    // First what the sync bench's client receives (pages of 500), as its initial sync
    // writes them; then its local documents.
    if received > 0 {
        let account = account();
        store.set_account(Some(&account)).expect("set account");
        let mut cursor = 0;
        let mut sizes = vec![500; received / 500];
        sizes.push(received % 500);
        for k in sizes.into_iter().filter(|k| *k > 0) {
            let p = page(&mut rng, cursor, k, body_bytes);
            cursor = store.apply_changes(&account, &p).expect("apply").cursor;
        }
        eprintln!(
            "  received {cursor} documents, {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    let mut serial = received;
    while serial < n {
        let k = 1000.min(n - serial);
        let batch: Vec<(Document, DocStatus)> = (0..k)
            .map(|i| {
                let status =
                    [DocStatus::Draft, DocStatus::SignedOff, DocStatus::Archived][rng.usize(..3)];
                (generate(&mut rng, serial + i, body_bytes), status)
            })
            .collect();
        store.import(&batch).expect("import a batch");
        serial += k;
        if serial.is_multiple_of(10_000) {
            eprintln!("  {serial} documents, {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    drop(store);
    std::fs::write(dir.join("complete"), n.to_string()).expect("mark the base complete");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join(gongwen_store::ATTACHMENTS_DIR)).expect("make the copy");
    let db = gongwen_store::DB_FILE;
    std::fs::copy(from.join(db), to.join(db)).expect("copy the base store");
}

fn main() {
    let n = env_num("GONGWEN_BENCH_CLIENT_DOCS", 100_000);
    let body_bytes = env_num("GONGWEN_BENCH_DOC_BYTES", 10_000);
    let changes = env_num("GONGWEN_BENCH_INCR_CHANGES", 10);
    let reps = env_num("GONGWEN_BENCH_INCR_REPS", 40).max(1);
    let initial = env_num("GONGWEN_BENCH_INITIAL_DOCS", 10_000);
    let checkpoint = std::env::var_os("GONGWEN_BENCH_MAINTAIN").is_some();
    let base_received = env_num("GONGWEN_BENCH_BASE_RECEIVED", 0);
    let temp = tempfile::tempdir().expect("temporary folder");
    let base: PathBuf = std::env::var_os("GONGWEN_BENCH_APPLY_BASE")
        .map(PathBuf::from)
        .unwrap_or_else(|| temp.path().join("base"));
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().next().unwrap_or("?").to_string())
            .unwrap_or_default()
    };

    if n > 0 {
        if !base.join("complete").exists() {
            if base.join(gongwen_store::DB_FILE).exists() {
                eprintln!(
                    "{} holds an unfinished base store; remove it",
                    base.display()
                );
                std::process::exit(2);
            }
            eprintln!(
                "building a base store of {n} documents in {} …",
                base.display()
            );
            build_base(&base, n, body_bytes, base_received);
        }
        let work = temp.path().join("work");
        let t = Instant::now();
        copy_dir(&base, &work);
        eprintln!(
            "copied the base store in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let mut store = Store::open(&work).expect("open the copy");
        let account = account();
        store.set_account(Some(&account)).expect("set account");
        let mut rng = fastrand::Rng::with_seed(7);
        let mut cursor = store.cursor(&account).expect("cursor");
        let (mut apply, mut ckpt) = (Vec::new(), Vec::new());
        let mut line = Vec::new();
        eprintln!(
            "incremental: {reps} rounds of {changes} changes, maintain after each: {checkpoint}, load {}",
            load()
        );
        for round in 0..reps {
            let p = page(&mut rng, cursor, changes, body_bytes);
            let wal_before = wal_mb(&work);
            let t = Instant::now();
            let report = store.apply_changes(&account, &p).expect("apply");
            let a = ms(t.elapsed());
            let wal_after = wal_mb(&work);
            cursor = report.cursor;
            apply.push(a);
            let mut c = 0.0;
            if checkpoint {
                let t = Instant::now();
                store.maintain().expect("checkpoint");
                c = ms(t.elapsed());
                ckpt.push(c);
            }
            line.push(format!(
                "#{round}: {a:.0} ms (WAL {wal_before:.1}→{wal_after:.1} MB{})",
                if checkpoint {
                    format!(", then maintain {c:.0} ms → WAL {:.1} MB", wal_mb(&work))
                } else {
                    String::new()
                }
            ));
        }
        for l in &line {
            eprintln!("  {l}");
        }
        summary("apply_changes of a page", &apply);
        if checkpoint {
            summary("maintain after the round", &ckpt);
        }
        eprintln!("load at the end {}", load());
    }

    if initial > 0 {
        let dir = temp.path().join("initial");
        let mut store = Store::open(&dir).expect("open an empty store");
        let account = account();
        store.set_account(Some(&account)).expect("set account");
        let mut rng = fastrand::Rng::with_seed(11);
        let pages: Vec<ChangesPage> = (0..initial.div_ceil(500))
            .map(|i| {
                let k = 500.min(initial - i * 500);
                let mut p = page(&mut rng, (i * 500) as u64, k, body_bytes);
                p.has_more = true;
                p
            })
            .collect();
        let mut per_page = Vec::new();
        let t = Instant::now();
        for p in &pages {
            let tp = Instant::now();
            store.apply_changes(&account, p).expect("apply a page");
            per_page.push(ms(tp.elapsed()));
            if checkpoint {
                store.maintain().expect("checkpoint");
            }
        }
        let total = t.elapsed().as_secs_f64();
        eprintln!(
            "initial: {initial} documents in {} pages of 500: {total:.2} s ({:.0} docs/s), load {}",
            pages.len(),
            initial as f64 / total,
            load()
        );
        summary("apply_changes of a page of 500", &per_page);
    }
}
