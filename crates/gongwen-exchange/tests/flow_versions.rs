//! An admin changes a unit's flow while documents are mid-way: a handling finishes
//! under the flow it started with, a handling started after the change follows the new
//! one, and the clients (the `gongwen` command line: its boxes, its steps, its 办理单)
//! go by the same flow as the server. The real server is restarted with changed flow
//! files between steps, twice, and the flow changed back; on SQLite and PostgreSQL.
//! Also `admin flows check`, which reads a flows folder without starting anything.

#[path = "common/cli.rs"]
mod cli;
mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use cli::{gongwen, gongwen_bin};
use common::TestServer;
use gongwen_core::handling::Handling;
use gongwen_core::DocumentFile;

struct Desk {
    dir: tempfile::TempDir,
    bin: PathBuf,
    username: &'static str,
}

impl Desk {
    fn login(bin: &Path, server: &TestServer, username: &'static str) -> Desk {
        let desk = Desk {
            dir: tempfile::tempdir().expect("store folder"),
            bin: bin.to_path_buf(),
            username,
        };
        desk.relogin(server);
        desk
    }

    /// Logs in again, which fetches the directory (and the flows in it) afresh.
    fn relogin(&self, server: &TestServer) {
        self.ok(&["login", "--server", &server.url, "--user", self.username]);
    }

    fn run(&self, args: &[&str]) -> Output {
        gongwen(&self.bin, self.dir.path(), args)
            .output()
            .expect("run gongwen")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "{} gongwen {args:?} failed: {text}",
            self.username
        );
        text
    }

    /// A step the server must refuse; its message.
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

    fn handling(&self, id: &str) -> Handling {
        self.ok(&["sync"]);
        let out = self.ok(&["flow", "show", id, "--json"]);
        let list: Vec<Handling> =
            serde_json::from_str(&out[..out.rfind(']').map_or(out.len(), |i| i + 1)])
                .unwrap_or_else(|e| panic!("flow show --json: {e}: {out}"));
        list.into_iter()
            .find(|h| h.unit.0 == "sz-fgw")
            .expect("市发改委's handling")
    }

    /// The 办理单 (`flow sheet`) as text, without the spaces poppler puts between runs.
    fn sheet(&self, id: &str) -> String {
        let pdf = self.dir.path().join("sheet.pdf");
        self.ok(&["flow", "sheet", id, "-o", pdf.to_str().expect("path")]);
        let out = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&pdf)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils)");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    fn import(&self) -> String {
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
        let path = self.dir.path().join("request.toml");
        std::fs::write(&path, file.to_toml()).expect("write");
        let out = self.ok(&["import", path.to_str().expect("path")]);
        out.split_whitespace().next().expect("id").to_string()
    }
}

const REVIEW: &str = "[[step]]\nid = \"review\"\nkind = \"review\"\nroles = [\"office_director\", \"leader\"]\nrepeat = true\nreturns_to = [\"draft\"]\nnext = [\"countersign\", \"sign_off\"]\n";
const SIGN_OFF_RETURNS: &str = "id = \"sign_off\"\nkind = \"sign_off\"\nroles = [\"leader\"]\nreturns_to = [\"draft\", \"review\"]";

/// 市发改委's first flow: after the office's 核稿, a second one by the leader in charge
/// (分管领导核稿), to which 签发 may also send the document back.
fn two_level_review() -> String {
    let default = gongwen_core::flow::DEFAULT_OUTGOING;
    assert!(
        default.contains(REVIEW) && default.contains(SIGN_OFF_RETURNS),
        "the default flow changed; adjust this test"
    );
    default
        .replace(
            REVIEW,
            "[[step]]\nid = \"review\"\nkind = \"review\"\nroles = [\"office_director\", \"leader\"]\nreturns_to = [\"draft\"]\nnext = [\"leader_review\"]\n\n\
             [[step]]\nid = \"leader_review\"\nkind = \"review\"\nname = \"分管领导核稿\"\nroles = [\"leader\"]\nreturns_to = [\"draft\"]\nnext = [\"countersign\", \"sign_off\"]\n",
        )
        .replace(
            SIGN_OFF_RETURNS,
            "id = \"sign_off\"\nkind = \"sign_off\"\nroles = [\"leader\"]\nreturns_to = [\"draft\", \"review\", \"leader_review\"]",
        )
}

/// Its second flow: one 核稿, the office's, called 科室核稿; no 分管领导核稿.
fn one_level_review() -> String {
    let default = gongwen_core::flow::DEFAULT_OUTGOING;
    default.replace(
        "id = \"review\"\nkind = \"review\"\n",
        "id = \"review\"\nkind = \"review\"\nname = \"科室核稿\"\n",
    )
}

fn set_flow(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir.join("sz-fgw")).expect("flows folder");
    std::fs::write(dir.join("sz-fgw/outgoing.toml"), text).expect("flow file");
}

fn admin_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn steps_taken(h: &Handling) -> Vec<String> {
    h.trail
        .iter()
        .map(|e| format!("{}:{}", e.step, e.action.label()))
        .collect()
}

fn mid_way_documents_keep_their_flow(server: &mut TestServer, flows: &Path) {
    let bin = gongwen_bin();
    let clerk = Desk::login(&bin, server, "fgw-clerk");
    let director = Desk::login(&bin, server, "fgw-director");
    let leader = Desk::login(&bin, server, "fgw-leader");

    // Under the first flow: A is 送审ed and passes the office's 核稿, on to the
    // leader's.
    let a = clerk.import();
    clerk.ok(&["flow", "next", &a]);
    director.ok(&["flow", "next", &a, "--opinion", "科室核稿同意"]);
    assert_eq!(clerk.handling(&a).step.as_str(), "leader_review");

    // The admin writes the second flow and checks it before restarting: A would keep
    // the first one.
    set_flow(flows, &one_level_review());
    let out = server.admin(&["flows", "check", flows.to_str().expect("path")]);
    let said = admin_text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("sz-fgw outgoing: OK"), "{said}");
    assert!(
        said.contains("sz-fgw outgoing: 1 handlings in progress keep the earlier flow")
            && said.contains("at: leader_review 1"),
        "{said}"
    );

    // First restart: the second flow is the unit's.
    server.restart();
    for desk in [&clerk, &director, &leader] {
        desk.relogin(server);
    }
    // A is still in the leader's 待办 (a step the new flow lacks), and its step is
    // accepted: it follows the flow it started with. So is a return to that step.
    leader.ok(&["sync"]);
    let todo = leader.ok(&["flow", "box", "todo"]);
    assert!(todo.contains(&a), "{todo}");
    leader.ok(&[
        "flow",
        "next",
        &a,
        "--to",
        "sign_off",
        "--opinion",
        "分管领导同意",
    ]);
    leader.ok(&[
        "flow",
        "return",
        &a,
        "--to",
        "leader_review",
        "--reason",
        "请再核一遍补助测算",
    ]);
    leader.ok(&[
        "flow",
        "next",
        &a,
        "--to",
        "sign_off",
        "--opinion",
        "已再核",
    ]);

    // B starts under the second flow: the leader's 核稿 is not a step of it.
    let b = clerk.import();
    clerk.ok(&["flow", "next", &b]);
    director.refused(&["flow", "next", &b, "--to", "leader_review"]);
    let h = clerk.handling(&b);
    assert_eq!(
        (h.step.as_str(), steps_taken(&h).len()),
        ("review", 1),
        "the refused step left nothing: {h:?}"
    );
    director.ok(&["flow", "next", &b, "--to", "sign_off", "--opinion", "同意"]);

    // A's 办理单, drawn while the second flow is the unit's, names the step A was sent
    // back to as the first flow calls it.
    let sheet = clerk.sheet(&a);
    assert!(
        sheet.contains("退回至“分管领导核稿”：请再核一遍补助测算"),
        "{sheet}"
    );
    assert!(
        sheet.contains("科室核稿同意") && sheet.contains("分管领导同意"),
        "{sheet}"
    );

    // Second restart, on the first flow again.
    set_flow(flows, &two_level_review());
    server.restart();
    for desk in [&clerk, &director, &leader] {
        desk.relogin(server);
    }
    // A finishes under the flow it started with (now the unit's again).
    leader.ok(&[
        "flow",
        "next",
        &a,
        "--opinion",
        "同意",
        "--publicity",
        "active",
    ]);
    clerk.ok(&["sync"]);
    clerk.ok(&["flow", "next", &a]); // 复核
    clerk.ok(&["flow", "next", &a]); // 编号
    clerk.ok(&["flow", "next", &a]); // 用印
    clerk.ok(&["dispatch", &a, "--main", "sz-gov"]);
    let h = clerk.handling(&a);
    assert!(h.finished, "{h:?}");
    assert_eq!(
        steps_taken(&h),
        [
            "draft:办理",
            "review:办理",
            "leader_review:办理",
            "sign_off:退回",
            "leader_review:办理",
            "sign_off:办理",
            "recheck:办理",
            "assign_number:办理",
            "seal:办理",
            "dispatch:办理",
        ]
    );
    // B keeps the second flow though the first is back: 签发 cannot send it to a step
    // that flow does not have.
    leader.refused(&[
        "flow",
        "return",
        &b,
        "--to",
        "leader_review",
        "--reason",
        "请分管领导核稿",
    ]);
    leader.ok(&[
        "flow",
        "next",
        &b,
        "--opinion",
        "同意",
        "--publicity",
        "active",
    ]);
    let h = clerk.handling(&b);
    assert_eq!(
        steps_taken(&h),
        ["draft:办理", "review:办理", "sign_off:办理"]
    );
    let sheet = clerk.sheet(&b);
    assert!(
        !sheet.contains("分管领导同意") && sheet.contains("同意"),
        "{sheet}"
    );
    // C, started now, follows the first flow again.
    let c = clerk.import();
    clerk.ok(&["flow", "next", &c]);
    director.ok(&["flow", "next", &c]);
    assert_eq!(clerk.handling(&c).step.as_str(), "leader_review");

    // The directory carries the second flow while B follows it; once B is finished, the
    // next start forgets it.
    let earlier = |desk: &Desk| {
        let store = gongwen_store::Store::open(desk.dir.path()).expect("store");
        store.directory().expect("directory").flow_versions
    };
    let kept = earlier(&clerk);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].source.contains("科室核稿"), "{kept:?}");
    clerk.ok(&["sync"]);
    clerk.ok(&["flow", "next", &b]); // 复核
    clerk.ok(&["flow", "next", &b]); // 编号
    clerk.ok(&["flow", "next", &b]); // 用印
    clerk.ok(&["dispatch", &b, "--main", "sz-gov"]);
    assert!(clerk.handling(&b).finished);
    server.restart();
    clerk.relogin(server);
    assert_eq!(earlier(&clerk), vec![]);
}

#[test]
fn a_flow_changed_mid_way_on_sqlite() {
    let root = tempfile::tempdir().expect("temp");
    let flows = root.path().join("flows");
    set_flow(&flows, &two_level_review());
    let mut server = TestServer::start_with_env(&[(
        "GONGWEN_EXCHANGE_FLOWS_DIR",
        flows.to_str().expect("path"),
    )]);
    mid_way_documents_keep_their_flow(&mut server, &flows);
}

#[test]
fn a_flow_changed_mid_way_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("flow_versions").expect("database");
    let root = tempfile::tempdir().expect("temp");
    let flows = root.path().join("flows");
    set_flow(&flows, &two_level_review());
    let mut server = TestServer::start_on_postgres(
        &db,
        &[("GONGWEN_EXCHANGE_FLOWS_DIR", flows.to_str().expect("path"))],
    );
    mid_way_documents_keep_their_flow(&mut server, &flows);
}

/// `admin flows check`: each file OK or its error with line and reason; exit 1 on any
/// bad file; reads the folder and changes nothing.
#[test]
fn flows_check_reports_each_file_and_changes_nothing() {
    let server = TestServer::start();
    let root = tempfile::tempdir().expect("temp");
    let check = |dir: &Path| {
        let out = server.admin(&["flows", "check", dir.to_str().expect("path")]);
        (out.status.code(), admin_text(&out))
    };

    // A good folder.
    let good = root.path().join("good");
    set_flow(&good, &two_level_review());
    std::fs::write(
        good.join("sz-fgw/incoming.toml"),
        gongwen_core::flow::DEFAULT_INCOMING,
    )
    .expect("write");
    let (code, said) = check(&good);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("sz-fgw incoming: OK") && said.contains("sz-fgw outgoing: OK"),
        "{said}"
    );
    assert!(
        said.contains("no handling in progress keeps an earlier flow"),
        "{said}"
    );

    // A bad folder: a cycle, an unknown role, an unreachable step, each in one unit's
    // file; every one is reported with its line, and the good one as OK.
    let bad = root.path().join("bad");
    let default = gongwen_core::flow::DEFAULT_OUTGOING;
    let write = |unit: &str, file: &str, text: &str| {
        std::fs::create_dir_all(bad.join(unit)).expect("folder");
        std::fs::write(bad.join(unit).join(file), text).expect("write");
    };
    let line_of = |text: &str, needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .expect("needle")
            + 1
    };
    // 复核 goes back to 签发 along `next`: a cycle.
    let cycle = default.replace(
        "id = \"recheck\"\nkind = \"recheck\"\n",
        "id = \"recheck\"\nkind = \"recheck\"\nnext = [\"sign_off\", \"assign_number\"]\n",
    );
    assert_ne!(cycle, default);
    write("sz-fgw", "outgoing.toml", &cycle);
    let unknown_role = default.replace("roles = [\"leader\"]", "roles = [\"chief\"]");
    write("sz-tjj", "outgoing.toml", &unknown_role);
    // 核稿 goes straight to 签发: 会签 can no longer be reached.
    let unreachable = default.replace(
        "next = [\"countersign\", \"sign_off\"]",
        "next = [\"sign_off\"]",
    );
    write("sz-gov", "outgoing.toml", &unreachable);
    write("yq-gov", "outgoing.toml", default);
    let (code, said) = check(&bad);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("sz-fgw outgoing: error: sz-fgw/outgoing.toml:")
            && said.contains("go round in a cycle"),
        "{said}"
    );
    let role_line = line_of(&unknown_role, "chief");
    assert!(
        said.contains("sz-tjj outgoing: error:")
            && said.contains(&format!("line {role_line}"))
            && said.contains("chief"),
        "line {role_line}: {said}"
    );
    let countersign_line = line_of(&unreachable, "id = \"countersign\"") - 1;
    assert!(
        said.contains("sz-gov outgoing: error:")
            && said.contains("`countersign` cannot be reached")
            && said.contains(&format!("line {countersign_line}")),
        "line {countersign_line}: {said}"
    );
    assert!(said.contains("yq-gov outgoing: OK"), "{said}");
    assert!(said.contains("would not start"), "{said}");

    // Only a folder on this computer is read: an address is not fetched.
    let (code, said) = check(Path::new("http://127.0.0.1:9/flows"));
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("cannot read"), "{said}");

    // The check changed nothing: no flow version recorded, no audit entry written.
    let audit_before = server.admin(&["audit", "verify"]);
    check(&good);
    check(&bad);
    let audit_after = server.admin(&["audit", "verify"]);
    assert_eq!(audit_before.stdout, audit_after.stdout);
    let conn = rusqlite::Connection::open(server.db_path()).expect("db");
    let versions: Vec<String> = conn
        .prepare("SELECT source FROM flow_versions")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .expect("flow versions");
    assert!(
        versions.iter().all(|v| !v.contains("leader_review")),
        "the check recorded a version: {versions:?}"
    );
}
