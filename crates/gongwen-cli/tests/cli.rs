//! The real `gongwen` binary on temporary stores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn gongwen(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongwen"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GONGWEN_DATA_DIR")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn ids(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn import_takes_the_good_files_and_names_the_bad_ones() {
    let data = tempfile::tempdir().unwrap();
    let out = gongwen(
        data.path(),
        &[
            "import",
            fixture("notice.toml").to_str().unwrap(),
            fixture("request.toml").to_str().unwrap(),
            fixture("invalid.toml").to_str().unwrap(),
            fixture("broken.toml").to_str().unwrap(),
            fixture("misspelt.toml").to_str().unwrap(),
            fixture("badkind.toml").to_str().unwrap(),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let new_ids = ids(&out);
    assert_eq!(new_ids.len(), 2, "{}", stdout(&out));
    assert!(stdout(&out).contains("notice.toml") && stdout(&out).contains("request.toml"));

    // Each rejected file is named with what is wrong.
    assert!(
        err.contains("rejected") && err.contains("invalid.toml"),
        "{err}"
    );
    assert!(err.contains("doc_number"), "{err}");
    assert!(err.contains("萧政〔2026〕3号"), "suggestion missing: {err}");
    assert!(
        err.contains("a request goes to exactly one superior organ"),
        "{err}"
    );
    assert!(
        err.contains("broken.toml:3:"),
        "line of the syntax error: {err}"
    );
    assert!(
        err.contains("misspelt.toml:3: unknown key `titel` (did you mean `title`?)"),
        "{err}"
    );
    assert!(
        err.contains("badkind.toml:1:") && err.contains("notification"),
        "{err}"
    );
    assert!(err.contains("imported 2, rejected 4"), "{err}");

    let list = gongwen(data.path(), &["list", "--json"]);
    let page: serde_json::Value = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(page["total"], 2);
    // The 请示 kept the status written in its file.
    let request = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "request")
        .unwrap();
    assert_eq!(request["status"], "incoming");
    assert_eq!(request["doc_number"], "萧政〔2026〕3号");
}

#[test]
fn a_folder_imports_its_toml_files() {
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    for name in ["notice.toml", "request.toml"] {
        std::fs::copy(fixture(name), folder.path().join(name)).unwrap();
    }
    std::fs::write(folder.path().join("readme.txt"), "not a document").unwrap();
    let out = gongwen(data.path(), &["import", folder.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(ids(&out).len(), 2);
}

#[test]
fn a_folder_of_folders_imports_the_toml_files_of_every_subfolder() {
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    for (sub, name) in [("2026/03", "notice.toml"), ("2026/04", "request.toml")] {
        let dir = folder.path().join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
    }
    let out = gongwen(data.path(), &["import", folder.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert_eq!(ids(&out).len(), 2, "{printed}");
    assert!(printed.contains("2026/03/notice.toml"), "{printed}");
    assert!(printed.contains("2026/04/request.toml"), "{printed}");

    // A folder with no document anywhere below it says where it looked.
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(empty.path().join("a/b")).unwrap();
    let out = gongwen(data.path(), &["import", empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no .toml files found in"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("subfolders"), "{}", stderr(&out));
}

#[test]
fn export_round_trips_through_import() {
    let data = tempfile::tempdir().unwrap();
    let out = gongwen(
        data.path(),
        &["import", fixture("notice.toml").to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let id = ids(&out).remove(0);

    let exported = gongwen(data.path(), &["export", &id]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let text = stdout(&exported);
    assert!(text.starts_with("status = \"draft\""), "{text}");
    assert!(text.contains("宿州市人民政府办公室关于做好2026年防汛工作的通知"));

    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("again.toml");
    let o = gongwen(data.path(), &["export", &id, "-o", path.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    let again = gongwen(data.path(), &["import", path.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    let id2 = ids(&again).remove(0);
    assert_ne!(id, id2);
    let text2 = stdout(&gongwen(data.path(), &["export", &id2]));
    assert_eq!(text, text2);

    let bad = gongwen(data.path(), &["export", "not-an-id"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("not a document id"),
        "{}",
        stderr(&bad)
    );
    let missing = gongwen(
        data.path(),
        &["export", "67e55044-10b1-426f-9247-bb680e5fe0c8"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no document with id"));
}

#[test]
fn validate_prints_problems_and_fails_on_errors() {
    let data = tempfile::tempdir().unwrap();
    let ok = gongwen(
        data.path(),
        &["validate", fixture("notice.toml").to_str().unwrap()],
    );
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("0 error(s)"));

    let bad = gongwen(
        data.path(),
        &["validate", fixture("invalid.toml").to_str().unwrap()],
    );
    assert_eq!(bad.status.code(), Some(1));
    let text = stdout(&bad);
    let line = text
        .lines()
        .find(|l| l.contains("doc_number"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.starts_with("error"), "{line}");
    assert!(line.contains("did you mean 萧政〔2026〕3号"), "{line}");
    assert_eq!(line.matches("did you mean").count(), 1, "{line}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("warning") && l.contains("issuer_signature")),
        "{text}"
    );
    // Validation needs no store.
    assert!(!data.path().join("gongwen.db").exists());

    let broken = gongwen(
        data.path(),
        &["validate", fixture("broken.toml").to_str().unwrap()],
    );
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken).contains("broken.toml:3:"),
        "{}",
        stdout(&broken)
    );
}

#[test]
fn search_and_list_print_lines_or_json() {
    let data = tempfile::tempdir().unwrap();
    let out = gongwen(
        data.path(),
        &[
            "import",
            fixture("notice.toml").to_str().unwrap(),
            fixture("request.toml").to_str().unwrap(),
        ],
    );
    assert!(out.status.success());

    let s = gongwen(data.path(), &["search", "防汛"]);
    assert!(s.status.success());
    let text = stdout(&s);
    assert!(
        text.contains("宿州市人民政府办公室关于做好2026年防汛工作的通知"),
        "{text}"
    );
    assert!(
        text.contains("title: 宿州市人民政府办公室关于做好2026年【防汛】工作的通知"),
        "{text}"
    );
    assert!(!text.contains("请示"));

    let j = gongwen(data.path(), &["search", "资金", "--json", "--limit", "5"]);
    let hits: serde_json::Value = serde_json::from_str(&stdout(&j)).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["summary"]["kind"], "request");
    assert_eq!(hits[0]["field"], "title");
    assert!(hits[0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["highlighted"] == true && p["text"] == "资金"));

    let l = gongwen(data.path(), &["list", "--kind", "notice"]);
    let lines: Vec<_> = stdout(&l).lines().map(String::from).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("2026年5月10日  通知  草稿  宿政办〔2026〕12号"),
        "{}",
        lines[0]
    );
    let l = gongwen(
        data.path(),
        &[
            "list", "--kind", "请示", "--status", "incoming", "--year", "2026",
        ],
    );
    assert_eq!(stdout(&l).lines().count(), 1);
    let l = gongwen(data.path(), &["list", "--year", "2025"]);
    assert_eq!(stdout(&l).lines().count(), 0);
    assert!(stderr(&l).contains("0 of 0"));

    let bad = gongwen(data.path(), &["list", "--kind", "memo"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("notice (通知)"), "{}", stderr(&bad));
}

#[test]
fn a_damaged_store_is_reported_with_where_it_went() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("gongwen.db"),
        "garbage garbage garbage garbage",
    )
    .unwrap();
    let out = gongwen(data.path(), &["list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("damaged") && err.contains("gongwen.db.corrupt-"),
        "{err}"
    );
}

/// Every shared fixture under tests/fixtures (the documents the window and typesetting
/// tests use too) imports and exports back to the same document.
#[test]
fn shared_fixtures_round_trip() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let entries = std::fs::read_dir(&shared)
        .unwrap_or_else(|e| panic!("the shared fixtures {}: {e}", shared.display()));
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in files {
        let data = tempfile::tempdir().unwrap();
        // Some fixtures are classified: the store shows them only to an account
        // cleared for them.
        gongwen_store::Store::open(data.path())
            .unwrap()
            .set_account(Some(&gongwen_store::Account::new(
                "http://127.0.0.1:1",
                gongwen_core::wire::UserInfo {
                    username: "fgw-leader".into(),
                    display_name: "李华".into(),
                    unit: "sz-fgw".into(),
                    role: gongwen_core::wire::Role::Leader,
                    clearance: gongwen_core::Classification::TopSecret,
                },
            )))
            .unwrap();
        let out = gongwen(data.path(), &["import", file.to_str().unwrap()]);
        if !out.status.success() {
            // A fixture may be deliberately invalid; then it must say why.
            assert!(
                stderr(&out).contains("rejected"),
                "{}: {}",
                file.display(),
                stderr(&out)
            );
            continue;
        }
        let id = ids(&out).remove(0);
        let first = stdout(&gongwen(data.path(), &["export", &id]));
        // Nothing of the file was lost on the way in.
        let original: gongwen_core::Document =
            toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let exported: gongwen_core::Document = toml::from_str(&first).unwrap();
        assert_eq!(original, exported, "{}", file.display());
        let path = data.path().join("again.toml");
        std::fs::write(&path, &first).unwrap();
        let again = gongwen(data.path(), &["import", path.to_str().unwrap()]);
        assert!(
            again.status.success(),
            "{}: {}",
            file.display(),
            stderr(&again)
        );
        let second = stdout(&gongwen(data.path(), &["export", &ids(&again).remove(0)]));
        assert_eq!(first, second, "{}", file.display());
    }
}
