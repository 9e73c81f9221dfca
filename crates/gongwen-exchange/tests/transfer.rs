//! 移交 end to end: a unit's 档案员 files a year offline, transfers the batch to the city
//! archive (宿州市档案馆, `sz-daj`) through a real server process with the real `gongwen`
//! CLI, the server re-checks it (四性检测, stage YJ), and the archive's 档案员 decides.
//! On SQLite and on PostgreSQL (the transfers table is new storage on both engines).
//! Each attack checks that nothing was recorded or leaked.

#[path = "../../gongwen-archive/tests/common/mod.rs"]
mod archive_fixture;
#[path = "common/cli.rs"]
mod cli;
mod clients;
mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::Ordering;

use cli::{gongwen, gongwen_bin, run};
use clients::{Proxy, Side};
use common::{TestServer, DEMO_PASSWORD};
use gongwen_core::transfer::{transfer_id, Transfer, TransferStatus};
use gongwen_core::wire::{Command, CommandBody, CommandId, CommandResult, RejectCode, UnitCode};

/// The server's settings for these tests: sz-daj is the archive, and the re-check's
/// virus scan uses a database holding only the EICAR signature (no network here).
fn archive_env(dir: &Path) -> Vec<(String, String)> {
    vec![
        ("GONGWEN_EXCHANGE_ARCHIVE_UNITS".into(), "sz-daj".into()),
        (
            "GONGWEN_EXCHANGE_ARCHIVE_CLAMAV_DB".into(),
            archive_fixture::eicar_database(dir).display().to_string(),
        ),
    ]
}

fn env_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The archivists the demo lacks: one of 市发改委 (the filing unit) and one of 市统计局.
fn add_archivists(server: &TestServer) {
    for (name, unit, display) in [
        ("fgw-archivist", "sz-fgw", "王档"),
        ("tjj-archivist", "sz-tjj", "吴案"),
    ] {
        let out = server.admin_with_stdin(
            &[
                "user",
                "add",
                name,
                "--unit",
                unit,
                "--role",
                "archivist",
                "--clearance",
                "confidential",
                "--name",
                display,
                "--password-stdin",
            ],
            Some(&format!("{DEMO_PASSWORD}\n")),
        );
        assert!(
            out.status.success(),
            "user add {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// 市发改委's year 2026 filed offline into `dir/batch` (three 件).
fn filed_batch(dir: &Path) -> PathBuf {
    let mut store = archive_fixture::year_store(dir);
    let (_, batch, _) = archive_fixture::filed(dir, &mut store);
    assert_eq!(batch.items.len(), 3);
    dir.join("batch")
}

/// A CLI desk (its own store folder) logged in to `url` as `user`.
struct Desk {
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl Desk {
    fn login(bin: &Path, url: &str, user: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        run(&mut gongwen(
            bin,
            dir.path(),
            &["login", "--server", url, "--user", user],
        ));
        Desk {
            bin: bin.to_path_buf(),
            dir,
        }
    }

    fn try_run(&self, args: &[&str]) -> Output {
        gongwen(&self.bin, self.dir.path(), args)
            .output()
            .expect("run gongwen")
    }

    fn run(&self, args: &[&str]) -> String {
        String::from_utf8_lossy(&run(&mut gongwen(&self.bin, self.dir.path(), args)).stdout)
            .into_owned()
    }

    /// `gongwen archive transfer BATCH --to TO`, whatever it answers.
    fn try_transfer(&self, batch: &Path, to: &str) -> Output {
        self.try_run(&["archive", "transfer", batch.to_str().unwrap(), "--to", to])
    }

    /// `gongwen archive transfer BATCH --to TO`, which must succeed; its output.
    fn transfer(&self, batch: &Path, to: &str) -> String {
        self.run(&["archive", "transfer", batch.to_str().unwrap(), "--to", to])
    }

    fn inbox(&self) -> Vec<Transfer> {
        serde_json::from_str(&self.run(&["archive", "inbox", "--json"])).expect("inbox JSON")
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The batches the server keeps (one folder per transfer), staging leftovers included.
fn kept(server: &TestServer) -> Vec<String> {
    let dir = server.data_dir().join("archive");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every package (`<档号>.xml` beside its 正本) under a folder.
fn packages(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(packages(&p));
        } else if p.extension().is_some_and(|x| x == "xml")
            && p.with_file_name("正本.pdf").is_file()
        {
            out.push(p.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

fn pdftotext(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The whole batch transferred through a connection cut mid-upload: the re-run
/// resumes, the archive receives it once with each 件 once, accepts it, and both
/// sides print the same 移交与接收登记表.
fn cut_upload_arrives_once(server: &TestServer) {
    let bin = gongwen_bin();
    let work = tempfile::tempdir().unwrap();
    let batch = filed_batch(work.path());
    let proxy = Proxy::start(server.port);
    let fgw = Desk::login(&bin, &proxy.url, "fgw-archivist");
    let daj = Desk::login(&bin, &server.url, "daj-archivist");

    let files = gongwen_archive::transfer::batch_files(&batch).unwrap();
    let total: u64 = files.iter().map(|f| f.size).sum();
    proxy.cut_after(total / 2);
    let first = fgw.try_transfer(&batch, "sz-daj");
    assert!(
        proxy.control.cut.load(Ordering::SeqCst),
        "the proxy never cut"
    );
    // The proxy cuts idle upstream halves while `cut` is set; the next run's login
    // (argon2 on the server) would be one.
    proxy.control.cut.store(false, Ordering::SeqCst);
    assert!(
        !first.status.success(),
        "the cut run succeeded: {}",
        text(&first)
    );
    assert!(
        daj.inbox().is_empty(),
        "a transfer arrived from the cut run"
    );
    assert!(kept(server).is_empty(), "{:?}", kept(server));

    // Again: the files on the server are not sent twice, the transfer arrives.
    let upstream = proxy.control.upstream.load(Ordering::SeqCst);
    let second = fgw.transfer(&batch, "sz-daj");
    let sent = proxy.control.upstream.load(Ordering::SeqCst) - upstream;
    assert!(second.contains("transferred to sz-daj"), "{second}");
    assert!(
        sent < total,
        "{sent} bytes went up again for a batch of {total}, of which half had arrived"
    );
    // A third run (as after an answer lost on the way back) makes no second transfer.
    let third = fgw.transfer(&batch, "sz-daj");
    assert!(third.contains("transferred already"), "{third}");

    let inbox = daj.inbox();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    let t = &inbox[0];
    assert_eq!(t.id, transfer_id("Z109", 2026, &files));
    assert_eq!((t.from.0.as_str(), t.to.0.as_str()), ("sz-fgw", "sz-daj"));
    assert_eq!((t.items, t.status), (3, TransferStatus::Arrived));
    assert_eq!(t.check.items_checked, 3);
    assert_eq!(t.check.failed, 0, "{:?}", t.check.findings);
    assert!(
        t.check
            .scanner
            .as_deref()
            .is_some_and(|s| s.starts_with("ClamAV")),
        "the server scanned: {:?}",
        t.check
    );
    // Each 件 once, on the server as in the batch.
    assert_eq!(kept(server), vec![t.id.to_string()]);
    let arrived = packages(&server.data_dir().join("archive").join(t.id.to_string()));
    assert_eq!(arrived, packages(&batch));
    assert_eq!(arrived.len(), 3);
    let mut codes = t.archival_codes.clone();
    codes.sort();
    assert_eq!(codes, arrived);

    daj.run(&["archive", "accept", &t.id.to_string()]);
    let again = daj.try_run(&["archive", "accept", &t.id.to_string()]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("accepted already"),
        "{}",
        text(&again)
    );
    // Accepted: the same batch cannot be transferred again.
    let after = fgw.transfer(&batch, "sz-daj");
    assert!(
        after.contains("transferred already") && after.contains("accepted"),
        "{after}"
    );

    // Both sides keep the 登记表, from their own log.
    for (desk, who) in [(&fgw, "fgw"), (&daj, "daj")] {
        let pdf = work.path().join(format!("receipt-{who}.pdf"));
        desk.run(&[
            "archive",
            "receipt",
            &t.id.to_string(),
            "--out",
            pdf.to_str().unwrap(),
        ]);
        let shown = pdftotext(&pdf);
        for expected in [
            "移交与接收登记表",
            "宿州市发展和改革委员会",
            "宿州市档案馆",
            "3 件",
            "通过",
            "王档",
            "周敏",
            "接收",
        ] {
            assert!(
                shown.contains(expected),
                "{who}: no {expected:?} in\n{shown}"
            );
        }
    }
}

/// A package changed after filing: the server's check names it by its YJ item code,
/// the archive sees it, cannot accept it, and returns it with a reason that reaches
/// the sender. A 退回 needs a reason.
async fn tampered_package_is_named(server: &TestServer) {
    let bin = gongwen_bin();
    let work = tempfile::tempdir().unwrap();
    let batch = filed_batch(work.path());
    // One byte of one 件's 正本 changed after filing.
    let mut codes = packages(&batch);
    let victim = codes.remove(0);
    let pdf = find(&batch, &victim).join("正本.pdf");
    let mut bytes = std::fs::read(&pdf).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&pdf, bytes).unwrap();

    let fgw = Desk::login(&bin, &server.url, "fgw-archivist");
    let out = fgw.try_transfer(&batch, "sz-daj");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("FAIL YJ-1-1"), "{}", text(&out));

    let daj = Desk::login(&bin, &server.url, "daj-archivist");
    let inbox = daj.inbox();
    assert_eq!(inbox.len(), 1);
    let t = &inbox[0];
    let named: Vec<_> = t
        .check
        .findings
        .iter()
        .filter(|f| f.status == "fail")
        .map(|f| (f.code.as_str(), f.subject.as_str()))
        .collect();
    assert!(named.contains(&("YJ-1-1", victim.as_str())), "{named:?}");
    assert!(
        named.iter().all(|(_, subject)| *subject == victim),
        "only the changed 件 fails: {named:?}"
    );
    let shown = daj.run(&["archive", "inbox"]);
    assert!(shown.contains(&format!("FAIL YJ-1-1 {victim}")), "{shown}");

    let id = t.id.to_string();
    let accept = daj.try_run(&["archive", "accept", &id]);
    assert!(!accept.status.success());
    assert!(text(&accept).contains("check failed"), "{}", text(&accept));
    // A 退回 without a reason: refused by the server too (sent as a hostile client would).
    let side = Side::login(&server.url, "daj-archivist").await;
    let bare = push(
        &side,
        CommandBody::ReturnTransfer {
            transfer_id: t.id,
            reason: "  ".into(),
        },
    )
    .await;
    assert_eq!(bare, Some(RejectCode::Invalid));
    daj.run(&[
        "archive",
        "return",
        &id,
        "--reason",
        "正本与封装包摘要不符，请重新导出",
    ]);

    // The sender learns it through its log.
    let fgw_side = Side::login(&server.url, "fgw-archivist").await;
    fgw_side.sync().await;
    let mine = fgw_side
        .store()
        .transfer(t.id)
        .unwrap()
        .expect("the log brought it");
    assert_eq!(mine.status, TransferStatus::Returned);
    assert_eq!(
        mine.reason.as_deref(),
        Some("正本与封装包摘要不符，请重新导出")
    );
    assert_eq!(
        mine.decided_by.map(|p| p.username).as_deref(),
        Some("daj-archivist")
    );
}

fn find(dir: &Path, code: &str) -> PathBuf {
    fn walk(dir: &Path, code: &str) -> Option<PathBuf> {
        for e in std::fs::read_dir(dir).ok()? {
            let p = e.ok()?.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == code) {
                    return Some(p);
                }
                if let Some(found) = walk(&p, code) {
                    return Some(found);
                }
            }
        }
        None
    }
    walk(dir, code).unwrap_or_else(|| panic!("no folder {code} under {}", dir.display()))
}

/// Pushes one command as `side` and returns its refusal code (None: accepted).
async fn push(side: &Side, body: CommandBody) -> Option<RejectCode> {
    let outcome = side
        .client
        .push(
            &side.token,
            &[Command {
                id: CommandId(uuid::Uuid::new_v4()),
                body,
            }],
        )
        .await
        .expect("push");
    match &outcome.outcomes[0].result {
        CommandResult::Accepted => None,
        CommandResult::Rejected { rejection } => Some(rejection.code),
    }
}

/// Uploads every file of the batch as `side`, then asks for its transfer to `to`.
async fn upload_and_transfer(side: &Side, batch: &Path, to: &str) -> Option<RejectCode> {
    let files = gongwen_archive::transfer::batch_files(batch).unwrap();
    for f in &files {
        side.client
            .upload_blob(&side.token, &f.sha256, &batch.join(&f.path))
            .await
            .expect("upload");
    }
    push(
        side,
        CommandBody::Transfer {
            transfer_id: transfer_id("Z109", 2026, &files),
            to: UnitCode(to.into()),
            fonds_code: "Z109".into(),
            year: 2026,
            files,
        },
    )
    .await
}

/// Nothing of a transfer anywhere: the archive's list, the server's folder, the
/// archive's log.
async fn nothing_recorded(server: &TestServer) {
    let daj = Side::login(&server.url, "daj-archivist").await;
    assert!(daj.client.transfers(&daj.token).await.unwrap().is_empty());
    assert!(kept(server).is_empty(), "{:?}", kept(server));
    daj.sync().await;
    assert!(daj.store().transfers().unwrap().is_empty());
}

/// Who must be refused, and nothing recorded or leaked for them.
async fn attacks_are_refused(server: &TestServer) {
    let bin = gongwen_bin();
    let work = tempfile::tempdir().unwrap();
    let batch = filed_batch(work.path());

    // A clerk of the filing unit: the CLI refuses, and so does the server.
    let clerk = Desk::login(&bin, &server.url, "fgw-clerk");
    let out = clerk.try_transfer(&batch, "sz-daj");
    assert!(
        !out.status.success() && text(&out).contains("not 档案员"),
        "{}",
        text(&out)
    );
    let side = Side::login(&server.url, "fgw-clerk").await;
    assert_eq!(
        upload_and_transfer(&side, &batch, "sz-daj").await,
        Some(RejectCode::Forbidden)
    );
    nothing_recorded(server).await;

    // Another unit's archivist sending 市发改委's batch.
    let tjj = Side::login(&server.url, "tjj-archivist").await;
    assert_eq!(
        upload_and_transfer(&tjj, &batch, "sz-daj").await,
        Some(RejectCode::Forbidden)
    );
    nothing_recorded(server).await;

    // A receiver that is not an archive.
    let fgw = Side::login(&server.url, "fgw-archivist").await;
    assert_eq!(
        upload_and_transfer(&fgw, &batch, "sz-tjj").await,
        Some(RejectCode::Invalid)
    );
    nothing_recorded(server).await;

    // A logged-out desk: the CLI refuses; without a token the server answers 401.
    let desk = Desk::login(&bin, &server.url, "fgw-archivist");
    desk.run(&["logout"]);
    let out = desk.try_transfer(&batch, "sz-daj");
    assert!(
        !out.status.success() && text(&out).contains("not logged in"),
        "{}",
        text(&out)
    );
    let anon = reqwest::Client::new();
    for path in [
        "/v1/transfers",
        "/v1/transfers/00000000-0000-0000-0000-000000000000",
    ] {
        let r = anon
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    nothing_recorded(server).await;

    // Now the real transfer; another unit's archivist, the archive's clerk and the
    // filing unit's clerk can neither read nor decide it.
    assert_eq!(upload_and_transfer(&fgw, &batch, "sz-daj").await, None);
    let id = fgw.client.transfers(&fgw.token).await.unwrap()[0].id;
    for user in ["tjj-archivist", "daj-clerk", "fgw-clerk"] {
        let s = Side::login(&server.url, user).await;
        assert!(
            s.client.transfers(&s.token).await.unwrap().is_empty(),
            "{user}"
        );
        assert!(
            s.client.transfer(&s.token, id).await.unwrap().is_none(),
            "{user}"
        );
        let accept = push(
            &s,
            CommandBody::AcceptTransfer {
                transfer_id: id,
                reason: None,
            },
        )
        .await;
        let ret = push(
            &s,
            CommandBody::ReturnTransfer {
                transfer_id: id,
                reason: "不要".into(),
            },
        )
        .await;
        assert_eq!(
            (accept, ret),
            (Some(RejectCode::NotFound), Some(RejectCode::NotFound)),
            "{user}"
        );
        s.sync().await;
        assert!(
            s.store().transfers().unwrap().is_empty(),
            "{user}: the log leaked it"
        );
    }
    let daj = Side::login(&server.url, "daj-archivist").await;
    let t = daj
        .client
        .transfer(&daj.token, id)
        .await
        .unwrap()
        .expect("the archive sees it");
    assert_eq!(t.transfer.status, TransferStatus::Arrived);
    assert!(
        t.report.get("results").is_some(),
        "the whole report is kept"
    );

    // The batch changed after that first attempt: refused, naming what changed, and
    // nothing more recorded.
    let readme = batch.join("其他").join("说明.txt");
    let mut note = std::fs::read(&readme).unwrap();
    note.extend_from_slice("补充说明。".as_bytes());
    std::fs::write(&readme, note).unwrap();
    let desk = Desk::login(&bin, &server.url, "fgw-archivist");
    let out = desk.try_transfer(&batch, "sz-daj");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("changed since") && text(&out).contains("changed: 其他/说明.txt"),
        "{}",
        text(&out)
    );
    assert_eq!(daj.client.transfers(&daj.token).await.unwrap().len(), 1);
    assert_eq!(kept(server), vec![id.to_string()]);
}

fn server_on_sqlite(dir: &Path) -> TestServer {
    let env = archive_env(dir);
    let server = TestServer::start_with_env(&env_refs(&env));
    add_archivists(&server);
    server
}

#[test]
fn a_batch_cut_mid_upload_arrives_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    cut_upload_arrives_once(&server_on_sqlite(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_package_is_named_by_its_yj_code_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    tampered_package_is_named(&server_on_sqlite(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_record_and_leak_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    attacks_are_refused(&server_on_sqlite(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let dir = tempfile::tempdir().unwrap();
    let env = archive_env(dir.path());
    let start = |name: &str| {
        let db = pg.create_database(name).expect("database");
        let server = TestServer::start_on_postgres(&db, &env_refs(&env));
        add_archivists(&server);
        server
    };
    let server = start("transfer_cut");
    tokio::task::block_in_place(|| cut_upload_arrives_once(&server));
    tampered_package_is_named(&start("transfer_tampered")).await;
    attacks_are_refused(&start("transfer_attacks")).await;
}
