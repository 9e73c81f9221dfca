//! The story of the workflow issue through the `gongwen` command line: each user is a
//! client of their own (a store folder, logged in as them), two units, a real server
//! on SQLite and on PostgreSQL. 市发改委 drafts a 请示, reviews it, signs it off, numbers,
//! seals and dispatches it; 市政府办公室 签收s, 登记s, 初审s, 拟办s and 批办s it to two
//! units, who 承办 it; three people 传阅 it; it is 催办ed and 办结ed, and the sender sees
//! the 答复.

#[path = "common/cli.rs"]
mod cli;
mod common;

use std::path::Path;
use std::process::Output;

use cli::{gongwen, gongwen_bin};
use common::TestServer;
use gongwen_core::handling::Handling;
use gongwen_core::{DocumentFile, DocumentId};
use gongwen_store::Store;

struct Desk {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
}

impl Desk {
    fn login(bin: &Path, server: &TestServer, username: &str) -> Desk {
        let desk = Desk {
            dir: tempfile::tempdir().expect("store folder"),
            bin: bin.to_path_buf(),
        };
        desk.ok(&["login", "--server", &server.url, "--user", username]);
        desk
    }

    fn run(&self, args: &[&str]) -> Output {
        gongwen(&self.bin, self.dir.path(), args)
            .output()
            .expect("run gongwen")
    }

    /// Runs a command that must succeed (for a step: accepted by the server).
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "gongwen {args:?} failed: {text}");
        text
    }

    /// Runs a step that the server must refuse; its message.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "gongwen {args:?}: {text}");
        assert!(text.contains("rejected by the server"), "{text}");
        text
    }

    fn handlings(&self, id: &str) -> Vec<Handling> {
        self.ok(&["sync"]);
        let out = self.ok(&["flow", "show", id, "--json"]);
        serde_json::from_str(&out[..out.rfind(']').map_or(out.len(), |i| i + 1)])
            .unwrap_or_else(|e| panic!("flow show --json: {e}: {out}"))
    }

    fn handling(&self, id: &str, unit: &str) -> Handling {
        self.handlings(id)
            .into_iter()
            .find(|h| h.unit.0 == unit)
            .unwrap_or_else(|| panic!("no handling of {unit} in this store"))
    }
}

/// A 请示 of 市发改委 to 市政府, complete but for its 发文字号.
fn request_file(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/17-request-straw-subsidy.toml"
    ))
    .expect("demo file");
    let mut file = DocumentFile::from_toml(&text).expect("valid");
    file.status = None;
    let doc = &mut file.document;
    doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    doc.title = "宿州市发展和改革委员会关于申请追加秸秆综合利用补助资金的请示".into();
    doc.doc_number = "宿发改〔2026〕　号".into();
    doc.printing_office = "宿州市发展和改革委员会办公室".into();
    let path = dir.join("request.toml");
    std::fs::write(&path, file.to_toml()).expect("write");
    path
}

fn story(server: &TestServer) {
    let bin = gongwen_bin();
    let clerk = Desk::login(&bin, server, "fgw-clerk");
    let director = Desk::login(&bin, server, "fgw-director");
    let leader = Desk::login(&bin, server, "fgw-leader");

    let file = request_file(clerk.dir.path());
    let out = clerk.ok(&["import", file.to_str().expect("path")]);
    let id = out.split_whitespace().next().expect("id").to_string();
    id.parse::<DocumentId>().expect("import prints the id");

    // 送审, sent back once at 核稿, sent again, reviewed.
    clerk.ok(&["flow", "next", &id]);
    director.ok(&[
        "flow",
        "return",
        &id,
        "--to",
        "draft",
        "--reason",
        "请补充资金测算依据",
    ]);
    clerk.ok(&["sync"]);
    clerk.ok(&["flow", "next", &id]);
    // A clerk may not 核稿; nothing is recorded.
    clerk.refused(&["flow", "next", &id, "--step", "review"]);
    director.ok(&[
        "flow",
        "next",
        &id,
        "--to",
        "sign_off",
        "--opinion",
        "核稿同意",
    ]);
    // 签发 without 公开属性 is refused and names what is missing.
    let text = leader.refused(&["flow", "next", &id, "--opinion", "同意"]);
    assert!(text.contains("公开属性"), "{text}");
    // Two leaders sign it off at once, each on a laptop that has the document: one
    // wins; the other is refused, naming who signed, and keeps what they wrote.
    let deputy = Desk::login(&bin, server, "fgw-deputy");
    let signers = [
        (&leader, "fgw-leader", "同意，报市政府"),
        (&deputy, "fgw-deputy", "同意，请抓紧报送"),
    ];
    for (desk, _, opinion) in signers {
        desk.ok(&["sync"]);
        desk.ok(&[
            "flow",
            "next",
            &id,
            "--no-sync",
            "--opinion",
            opinion,
            "--publicity",
            "active",
        ]);
    }
    let synced: Vec<Output> = std::thread::scope(|s| {
        let running: Vec<_> = signers
            .iter()
            .map(|(desk, _, _)| s.spawn(|| desk.run(&["sync"])))
            .collect();
        running
            .into_iter()
            .map(|t| t.join().expect("sync thread"))
            .collect()
    });
    let won: Vec<usize> = (0..2)
        .filter(|&i| String::from_utf8_lossy(&synced[i].stdout).contains(" 1 accepted, 0 rejected"))
        .collect();
    assert_eq!(won.len(), 1, "exactly one 签发 wins: {synced:?}");
    let (winner, loser) = (signers[won[0]], signers[1 - won[0]]);
    let h = clerk.handling(&id, "sz-fgw");
    let sign_offs: Vec<_> = h
        .trail
        .iter()
        .filter(|e| e.step.as_str() == "sign_off")
        .collect();
    assert_eq!(sign_offs.len(), 1, "one 签发 on the record");
    assert_eq!(sign_offs[0].by, winner.1);
    assert_eq!(sign_offs[0].opinion.as_deref(), Some(winner.2));
    // The loser's opinion is kept in their store with the refusal and listed by
    // `flow show`: who wrote what, when, and why it did not count.
    let shown = loser.0.ok(&["flow", "show", &id]);
    assert!(shown.contains("未生效的意见"), "{shown}");
    let line = shown
        .lines()
        .skip_while(|l| !l.contains("未生效的意见"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        line.contains(loser.1) && line.contains(loser.2) && line.contains(winner.1),
        "{shown}"
    );
    {
        let store = Store::open(loser.0.dir.path()).expect("loser's store");
        let kept = store
            .unheeded_opinions(id.parse().expect("id"))
            .expect("read");
        let kept: Vec<_> = kept.iter().filter(|u| u.opinion == loser.2).collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].by.as_deref(), Some(loser.1));
        assert_eq!(kept[0].step.as_str(), "sign_off");
        assert!(kept[0].refused_at.is_some());
        assert!(
            kept[0].reason.contains(winner.1) && kept[0].reason.contains("签发"),
            "{}",
            kept[0].reason
        );
    }
    // A late 撤回 by the reviewer names who signed.
    let text = director.refused(&["flow", "withdraw", &id, "--step", "recheck"]);
    assert!(text.contains(winner.1), "{text}");

    // 复核, then 编号: the clerk's copy gets the real 发文字号.
    clerk.ok(&["sync"]);
    clerk.ok(&["flow", "next", &id]);
    clerk.ok(&["flow", "next", &id]);
    let h = clerk.handling(&id, "sz-fgw");
    assert_eq!(h.number.as_deref(), Some("宿发改〔2026〕1号"));
    {
        let store = Store::open(clerk.dir.path()).expect("clerk's store");
        let doc = store
            .get(id.parse().expect("id"))
            .expect("read")
            .expect("document");
        assert_eq!(doc.document.doc_number, "宿发改〔2026〕1号");
    }
    clerk.ok(&["flow", "next", &id]); // 用印
    clerk.ok(&["dispatch", &id, "--main", "sz-gov"]); // 核发
    let h = clerk.handling(&id, "sz-fgw");
    assert!(h.finished, "{h:?}");

    // 市政府办公室.
    let gov_clerk = Desk::login(&bin, server, "szgov-clerk");
    let gov_director = Desk::login(&bin, server, "szgov-director");
    let secretary = Desk::login(&bin, server, "szgov-leader");
    let deputy = Desk::login(&bin, server, "szgov-deputy");
    gov_clerk.ok(&["sync"]);
    gov_clerk.ok(&["ack", &id]);
    gov_clerk.ok(&["sync"]);
    gov_clerk.ok(&["flow", "next", &id]); // 登记
    let h = gov_clerk.handling(&id, "sz-gov");
    assert_eq!(h.number.as_deref(), Some("宿政办收〔2026〕1号"));
    gov_clerk.ok(&["flow", "next", &id, "--to", "propose"]); // 初审: a 办件
    gov_director.ok(&["flow", "next", &id, "--opinion", "拟请秘书长阅示"]);
    secretary.ok(&[
        "flow",
        "next",
        &id,
        "--to",
        "handle",
        "--participant",
        "unit:sz-tjj",
        "--participant",
        "unit:yq-gov",
        "--deadline",
        "2026-12-20",
        "--opinion",
        "请市统计局牵头办理，埇桥区政府配合",
    ]);
    // 催办 the lead unit while it handles.
    gov_clerk.ok(&[
        "flow",
        "remind",
        &id,
        "--step",
        "remind",
        "--note",
        "限办日期将至，请抓紧办理",
        "--participant",
        "unit:sz-tjj",
    ]);
    let tjj = Desk::login(&bin, server, "tjj-clerk");
    let yq = Desk::login(&bin, server, "yq-clerk");
    for desk in [&tjj, &yq] {
        desk.ok(&["sync"]);
        let todo = desk.ok(&["flow", "box", "todo"]);
        assert!(todo.contains(&id), "承办 is in the 待办 box: {todo}");
        desk.ok(&["flow", "next", &id, "--opinion", "已办理"]);
    }
    // 传阅 to three; each marks it read.
    for reader in [
        "user:szgov-leader",
        "user:szgov-deputy",
        "user:szgov-director",
    ] {
        gov_director.ok(&["flow", "add", &id, reader]);
    }
    // A 办件 passed round is in each reader's 待办, not in the 阅件 box: that holds
    // documents for reading only.
    for desk in [&secretary, &deputy, &gov_director] {
        desk.ok(&["sync"]);
        let reading = desk.ok(&["flow", "box", "reading"]);
        assert!(!reading.contains(&id), "a 办件 is not a 阅件: {reading}");
        let todo = desk.ok(&["flow", "box", "todo"]);
        assert!(todo.contains(&id), "{todo}");
        desk.ok(&["flow", "next", &id, "--opinion", "已阅"]);
    }
    gov_clerk.ok(&["flow", "next", &id, "--opinion", "已按批示办理，资金已追加"]);

    // Every step is on the record at 市政府办公室, with who and opinion.
    let h = gov_clerk.handling(&id, "sz-gov");
    assert!(h.finished);
    let steps: Vec<_> = h
        .trail
        .iter()
        .map(|e| format!("{}{}", e.kind.label(), e.action.label()))
        .collect();
    assert_eq!(
        steps,
        [
            "签收办理",
            "登记办理",
            "初审办理",
            "拟办办理",
            "批办办理",
            "催办催办",
            "承办办理",
            "承办办理",
            "传阅加签",
            "传阅加签",
            "传阅加签",
            "传阅办理",
            "传阅办理",
            "传阅办理",
            "办结办理"
        ]
    );
    assert!(h
        .trail
        .iter()
        .any(|e| e.by == "szgov-leader" && e.opinion.as_deref() == Some("已阅")));
    // The sender sees the 答复: the 收文 handling, finished.
    let answer = clerk.handling(&id, "sz-gov");
    assert!(answer.finished);
    assert_eq!(answer.status_label(), "已办结");
}

#[test]
fn the_story_through_the_cli_on_sqlite() {
    story(&TestServer::start());
}

#[test]
fn the_story_through_the_cli_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("flow_cli").expect("database");
    story(&TestServer::start_on_postgres(&db, &[]));
}

/// A leader signing a document whose PDF fails `gongwen check` hears of it from their
/// own client before anything is queued (offline too), naming what to fix.
#[test]
fn sign_off_of_a_pdf_that_fails_the_check_is_not_queued() {
    let server = TestServer::start();
    let bin = gongwen_bin();
    let clerk = Desk::login(&bin, &server, "fgw-clerk");
    let director = Desk::login(&bin, &server, "fgw-director");
    let leader = Desk::login(&bin, &server, "fgw-leader");
    let file = request_file(clerk.dir.path());
    // One line of 署名 longer than the 版心: validation has nothing against it.
    let text = std::fs::read_to_string(&file).expect("read");
    let text = text.replace(
        "issuer_signature = [\"宿州市发展和改革委员会\"]",
        "issuer_signature = [\"宿州市发展和改革委员会宿州市发展和改革委员会宿州市发展和改革委员会\"]",
    );
    assert!(text.contains("委员会宿州市"), "the fixture changed: {text}");
    std::fs::write(&file, text).expect("write");
    let out = clerk.ok(&["import", file.to_str().expect("path")]);
    let id = out.split_whitespace().next().expect("id").to_string();
    clerk.ok(&["flow", "next", &id]);
    director.ok(&["flow", "next", &id, "--to", "sign_off"]);
    // The leader's laptop has the document, then goes offline.
    leader.ok(&["sync"]);
    let out = leader.run(&[
        "flow",
        "next",
        &id,
        "--no-sync",
        "--opinion",
        "同意",
        "--publicity",
        "active",
    ]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("gongwen check")
            && text.contains("超出版心")
            && text.contains("nothing was queued"),
        "{text}"
    );
    let store = Store::open(leader.dir.path()).expect("leader's store");
    assert!(store.outbox().expect("outbox").is_empty(), "nothing queued");
}

/// 代办 through the CLI: the leader delegates 签发 and 批示 to the office director for
/// today and tomorrow; the director signs, and `flow show` names both.
#[test]
fn a_delegate_signs_off_in_the_leader_s_name_through_the_cli() {
    let server = TestServer::start();
    let bin = gongwen_bin();
    let clerk = Desk::login(&bin, &server, "fgw-clerk");
    let director = Desk::login(&bin, &server, "fgw-director");
    let leader = Desk::login(&bin, &server, "fgw-leader");
    let day = |d: i64| {
        let at = (chrono::Utc::now() + chrono::Duration::days(d)).to_rfc3339();
        gongwen_core::delegation::beijing_day(&at).expect("day")
    };
    let out = leader.ok(&[
        "flow",
        "delegate",
        "--to",
        "fgw-director",
        "--steps",
        "签发,批示",
        "--from",
        &day(0),
        "--until",
        &day(1),
    ]);
    assert!(out.contains("fgw-director"), "{out}");
    let listed = director.ok(&["flow", "delegations"]);
    assert!(
        listed.contains("fgw-leader → fgw-director") && listed.contains("签发、批办"),
        "{listed}"
    );
    // A bad date is refused by the server, naming it.
    let out = leader.run(&[
        "flow",
        "delegate",
        "--to",
        "fgw-director",
        "--from",
        "12月1日",
        "--until",
        &day(1),
    ]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && text.contains("12月1日"), "{text}");

    let file = request_file(clerk.dir.path());
    let out = clerk.ok(&["import", file.to_str().expect("path")]);
    let id = out.split_whitespace().next().expect("id").to_string();
    clerk.ok(&["flow", "next", &id]);
    director.ok(&["flow", "next", &id, "--to", "sign_off"]);
    director.ok(&[
        "flow",
        "next",
        &id,
        "--opinion",
        "同意",
        "--publicity",
        "active",
    ]);
    clerk.ok(&["sync"]);
    let shown = clerk.ok(&["flow", "show", &id]);
    assert!(shown.contains("fgw-leader（由fgw-director代）"), "{shown}");
}
