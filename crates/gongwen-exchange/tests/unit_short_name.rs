//! `gongwen-exchange admin unit set-short`: an administrator gives an existing unit its
//! 规范化简称, or replaces it, and the directory carries it to every client that asks. A
//! blank name, one not shorter than the full name, one that already names another unit
//! (its full or its short name), or an unknown unit is refused with the reason, and
//! nothing is changed or recorded. On SQLite and PostgreSQL.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::wire::Directory;

/// Runs `admin ARGS…`, which must succeed; its standard output.
fn admin_ok(server: &TestServer, args: &[&str]) -> String {
    let out = server.admin(args);
    assert!(
        out.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The short name the directory gives a logged-in user for `code`.
async fn short_in_directory(server: &TestServer, username: &str, code: &str) -> Option<String> {
    let token = login_as(server, username).await;
    let directory: Directory = http()
        .get(format!("{}/v1/directory", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("directory request")
        .json()
        .await
        .expect("directory as JSON");
    directory
        .units
        .into_iter()
        .find(|u| u.code.0 == code)
        .unwrap_or_else(|| panic!("no unit {code} in the directory"))
        .short_name
}

/// The audit chain's length, as `admin audit verify` counts it ("OK: N audit entries
/// verified").
fn audited(server: &TestServer) -> u64 {
    let said = admin_ok(server, &["audit", "verify"]);
    said.strip_prefix("OK: ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("audit verify said {said:?}"))
}

async fn a_unit_is_given_a_short_name_and_a_bad_one_is_refused(server: &TestServer) {
    assert_eq!(
        short_in_directory(server, "yq-clerk", "sz-tjj")
            .await
            .as_deref(),
        Some("市统计局")
    );
    let before = audited(server);
    let said = admin_ok(server, &["unit", "set-short", "sz-tjj", " 统计局 "]);
    assert!(
        said.contains("sz-tjj 宿州市统计局: short name 统计局"),
        "{said}"
    );
    assert_eq!(audited(server), before + 1, "the change is audited");
    assert!(
        admin_ok(server, &["unit", "list"]).contains("sz-tjj\t宿州市统计局\t统计局\n"),
        "the list shows the new short name"
    );
    // Another unit's user asks for the directory (as a client's next sync does): the
    // new short name is there.
    assert_eq!(
        short_in_directory(server, "yq-clerk", "sz-tjj")
            .await
            .as_deref(),
        Some("统计局")
    );

    let set = audited(server);
    let listed = admin_ok(server, &["unit", "list"]);
    for (args, says) in [
        (["sz-tjj", "  "], "the short name is empty"),
        (["sz-tjj", "宿州市统计局"], "is the full name"),
        (
            ["sz-tjj", "安徽省宿州市统计局"],
            "is not shorter than the full name",
        ),
        // Another unit's short name, or another unit's full name: a 主送 written with
        // it would name two units.
        (["sz-tjj", "市档案馆"], "already names unit `sz-daj`"),
        (["sz-fgw", "宿州市统计局"], "already names unit `sz-tjj`"),
        (["sz-wsj", "市卫生健康委"], "no unit `sz-wsj`"),
    ] {
        let out = server.admin(&["unit", "set-short", args[0], args[1]]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "set-short {args:?}: {err}"
        );
    }
    assert_eq!(
        admin_ok(server, &["unit", "list"]),
        listed,
        "nothing changed"
    );
    assert_eq!(audited(server), set, "a refusal is not recorded");
    assert_eq!(
        short_in_directory(server, "fgw-clerk", "sz-fgw")
            .await
            .as_deref(),
        Some("市发展改革委")
    );
    // A unit added later may not take a short name in use either.
    let out = server.admin(&["unit", "add", "lb-tjj", "灵璧县统计局", "--short", "统计局"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("already names unit `sz-tjj`"),
        "{err}"
    );
    assert!(!admin_ok(server, &["unit", "list"]).contains("lb-tjj"));
}

#[tokio::test]
async fn a_unit_is_given_a_short_name_and_a_bad_one_is_refused_on_sqlite() {
    a_unit_is_given_a_short_name_and_a_bad_one_is_refused(&TestServer::start()).await;
}

#[tokio::test]
async fn a_unit_is_given_a_short_name_and_a_bad_one_is_refused_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("unit_short_name").expect("database");
    let server = TestServer::start_on_postgres(&db, &[]);
    a_unit_is_given_a_short_name_and_a_bad_one_is_refused(&server).await;
}
