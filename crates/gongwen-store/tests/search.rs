//! Full-text search as a clerk uses it: Chinese words of any length, numbers, Latin.

mod common;

use common::{notice, request};
use gongwen_core::DocStatus;
use gongwen_store::{marked_snippet, SearchHit, Store};

fn rendered(hit: &SearchHit) -> String {
    marked_snippet(&hit.snippet, "[", "]")
}

fn sample_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut flood = notice(
        "关于做好2026年防汛工作的通知",
        "2026年5月10日",
        "为切实做好今年防汛抗旱工作，确保人民群众生命财产安全，现就有关事项通知如下。\n一、提高思想认识\n全市GDP增长6%，各地要压实责任。",
    );
    flood.doc_number = "宿政办〔2026〕12号".into();
    let mut fund = request(
        "关于申请拨付农村公路建设资金的请示",
        "2025年8月3日",
        "我县农村公路建设任务繁重，资金缺口较大。\n特请示拨付专项资金。",
    );
    fund.cc_recipients = vec!["市财政局".into()];
    let mut school = notice(
        "关于开展校园安全检查的通知",
        "2026年9月1日",
        "各学校要开展安全隐患排查，做好防汛准备。",
    );
    school.doc_number = "宿政办〔2026〕30号".into();
    store
        .import(&[
            (flood, DocStatus::Draft),
            (fund, DocStatus::Incoming),
            (school, DocStatus::Dispatched),
        ])
        .unwrap();
    (dir, store)
}

#[test]
fn two_character_words_are_found_and_titles_rank_first() {
    let (_dir, store) = sample_store();
    let hits = store.search("防汛", 10).unwrap();
    assert_eq!(hits.len(), 2);
    // Title match beats a body-only match, even though the body match is newer.
    assert_eq!(hits[0].summary.title, "关于做好2026年防汛工作的通知");
    assert_eq!(hits[0].field, "title");
    assert_eq!(rendered(&hits[0]), "关于做好2026年[防汛]工作的通知");
    assert!(hits[0].score >= 1.0);
    assert_eq!(hits[1].summary.title, "关于开展校园安全检查的通知");
    assert_eq!(hits[1].field, "body");
    assert_eq!(
        rendered(&hits[1]),
        "各学校要开展安全隐患排查，做好[防汛]准备。"
    );
    assert!(hits[1].score < 1.0);
}

#[test]
fn one_character_queries_find_matches() {
    let (_dir, store) = sample_store();
    let hits = store.search("县", 10).unwrap();
    // 萧县 is the issuer of the 请示; 各县 appears in the notices' recipients.
    assert_eq!(hits.len(), 3);
    let fund = hits
        .iter()
        .find(|h| h.summary.title.contains("资金"))
        .unwrap();
    assert_eq!(fund.field, "issuer");
    assert_eq!(rendered(fund), "萧[县]人民政府、萧[县]人民政府文件");

    let hits = store.search("旱", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].field, "body");
    assert!(
        rendered(&hits[0]).contains("防汛抗[旱]工作"),
        "{}",
        rendered(&hits[0])
    );
    assert!(store.search("鑫", 10).unwrap().is_empty());
}

#[test]
fn longer_phrases_must_occur_in_order() {
    let (_dir, store) = sample_store();
    let hits = store.search("生命财产安全", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(rendered(&hits[0]).contains("[生命财产安全]"));
    // The same characters out of order are not a match.
    assert!(store.search("安全财产", 10).unwrap().is_empty());
    // Parts separated by a space must all occur, anywhere in the document.
    let hits = store.search("萧县 资金缺口", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(store.search("萧县 防汛", 10).unwrap().is_empty());
}

#[test]
fn numbers_doc_numbers_and_latin_are_found() {
    let (_dir, store) = sample_store();
    let hits = store.search("GDP", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(rendered(&hits[0]).contains("全市[GDP]增长"));
    assert_eq!(store.search("gdp", 10).unwrap().len(), 1);
    assert_eq!(store.search("ＧＤＰ", 10).unwrap().len(), 1);

    let hits = store.search("2026", 10).unwrap();
    assert_eq!(hits.len(), 2);
    let hits = store.search("宿政办〔2026〕30号", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].summary.title, "关于开展校园安全检查的通知");
    assert_eq!(hits[0].field, "doc_number");
    assert_eq!(rendered(&hits[0]), "[宿政办]〔[2026]〕[30号]");
    let hits = store.search("2026年防汛", 10).unwrap();
    assert_eq!(hits.len(), 1);
}

#[test]
fn recipients_are_searchable() {
    let (_dir, store) = sample_store();
    let hits = store.search("财政局", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].field, "recipients");
}

#[test]
fn query_syntax_is_never_an_error() {
    let (_dir, store) = sample_store();
    for q in [
        "\"",
        "防汛*",
        "-防汛",
        "防汛 AND",
        "NOT OR",
        "(防汛",
        "\"防汛\"",
        "*",
        "",
        "   ",
        "防汛 NEAR(",
        "'; DROP TABLE documents; --",
    ] {
        let r = store.search(q, 10);
        assert!(r.is_ok(), "{q}: {r:?}");
    }
    assert_eq!(store.search("\"防汛\"", 10).unwrap().len(), 2);
    assert_eq!(store.search("防汛*", 10).unwrap().len(), 2);
    assert!(store.search("*", 10).unwrap().is_empty());
}

#[test]
fn limit_is_respected() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let docs: Vec<_> = (1..=40)
        .map(|i| {
            (
                notice(
                    &format!("第{i}批防汛物资的通知"),
                    &format!("2026年{}月{}日", 1 + i % 12, 1 + i % 28),
                    "正文写了防汛。",
                ),
                DocStatus::Draft,
            )
        })
        .collect();
    store.import(&docs).unwrap();
    assert_eq!(store.search("防汛", 7).unwrap().len(), 7);
    assert_eq!(store.search("汛", 100).unwrap().len(), 40);
    assert!(store.search("防汛", 0).unwrap().is_empty());
}

#[test]
fn edits_reindex_and_the_old_text_is_no_longer_found() {
    let (_dir, mut store) = sample_store();
    // The sample's 防汛 notice is its draft (only a draft may be edited; 已分发 is never
    // a 草稿 again).
    let id = store.search("思想认识", 1).unwrap()[0].summary.id;
    let mut doc = store.get(id).unwrap().unwrap().document;
    doc.title = "关于开展消防安全检查的通知".into();
    doc.body = gongwen_core::Body::from_text("请各单位开展消防安全检查。");
    doc.date_of_issue = "2026年10月8日".into();
    store.save_draft(id, &doc).unwrap();
    assert!(store.search("思想认识", 10).unwrap().is_empty());
    assert_eq!(store.search("消防", 10).unwrap().len(), 1);
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn an_import_leaves_index_merging_switched_on() {
    // import() switches FTS5's incremental merging off while it writes; later saves
    // must merge again, or the index would only ever be merged in crises.
    let (dir, _store) = sample_store();
    let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
    for (table, key, expected) in [
        ("search_head", "automerge", 4),
        ("search_all", "automerge", 16),
        ("search_chars", "automerge", 16),
        ("search_all", "crisismerge", 64),
        ("search_chars", "crisismerge", 64),
    ] {
        let value: i64 = conn
            .query_row(
                &format!("SELECT v FROM {table}_config WHERE k = ?1"),
                [key],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(value, expected, "{table} {key}");
    }
}

#[test]
fn many_imports_find_what_each_batch_holds() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for batch in 0..12 {
        let docs: Vec<_> = (0..5)
            .map(|i| {
                (
                    notice(
                        &format!("第{batch}批第{i}号关于防汛的通知"),
                        &format!("2026年{}月{}日", 1 + batch % 12, 1 + i),
                        &format!("批次{batch}编号{i}。请做好防汛准备。"),
                    ),
                    DocStatus::Draft,
                )
            })
            .collect();
        store.import(&docs).unwrap();
    }
    assert_eq!(store.search("防汛准备", 100).unwrap().len(), 60);
    assert_eq!(store.search("第7批第3号", 10).unwrap().len(), 1);
    assert_eq!(store.search("汛", 100).unwrap().len(), 60);
    assert!(store.verify().unwrap().is_empty());
}

/// Documents with Latin letters and digits inside longer words: standard numbers,
/// years, model names.
fn latin_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut standard = notice(
        "关于执行党政机关公文格式标准的通知",
        "2025年3月2日",
        "公文格式按GB/T 9704执行。",
    );
    standard.doc_number = "宿政办〔2025〕5号".into();
    let mut compact = notice(
        "关于公文用纸的通知",
        "2025年4月2日",
        "用纸幅面依照GB/T9704-2012确定。",
    );
    compact.doc_number = "宿政办〔2025〕7号".into();
    let mut year = notice(
        "关于做好2026年防汛工作的通知",
        "2026年5月10日",
        "今年汛期较常年偏早。",
    );
    year.doc_number = "宿政办〔2026〕12号".into();
    let mut gb = notice("关于字符集的通知", "2025年6月2日", "汉字编码采用GB 2312。");
    gb.doc_number = "宿政办〔2025〕9号".into();
    store
        .import(&[
            (standard, DocStatus::Draft),
            (compact, DocStatus::Draft),
            (year, DocStatus::Draft),
            (gb, DocStatus::Draft),
        ])
        .unwrap();
    (dir, store)
}

fn titles(hits: &[SearchHit]) -> Vec<&str> {
    let mut t: Vec<&str> = hits.iter().map(|h| h.summary.title.as_str()).collect();
    t.sort_unstable();
    t
}

#[test]
fn digits_inside_a_number_are_found() {
    let (_dir, store) = latin_store();
    let hits = store.search("026", 10).unwrap();
    assert_eq!(titles(&hits), vec!["关于做好2026年防汛工作的通知"]);
    // In the title: ranked as a header match, the match inside the word highlighted.
    assert!(hits[0].score >= 1.0);
    assert_eq!(rendered(&hits[0]), "关于做好2[026]年防汛工作的通知");
    // Full width is the same digits.
    assert_eq!(store.search("０２６", 10).unwrap().len(), 1);
    // With a Chinese part as a separate part of the query.
    assert_eq!(store.search("026 防汛", 10).unwrap().len(), 1);
    assert!(store.search("026 公文", 10).unwrap().is_empty());
}

#[test]
fn latin_prefixes_and_infixes_of_standard_numbers_are_found() {
    let (_dir, store) = latin_store();
    let hits = store.search("GB", 10).unwrap();
    assert_eq!(
        titles(&hits),
        vec![
            "关于公文用纸的通知",
            "关于字符集的通知",
            "关于执行党政机关公文格式标准的通知"
        ]
    );
    let hits = store.search("9704", 10).unwrap();
    assert_eq!(
        titles(&hits),
        vec!["关于公文用纸的通知", "关于执行党政机关公文格式标准的通知"]
    );
    let compact = hits
        .iter()
        .find(|h| h.summary.title == "关于公文用纸的通知")
        .unwrap();
    assert_eq!(compact.field, "body");
    assert!(
        rendered(compact).contains("GB/T[9704]-2012"),
        "{}",
        rendered(compact)
    );
    // Inside the word t9704 and inside 2012.
    assert_eq!(store.search("970", 10).unwrap().len(), 2);
    let hits = store.search("01", 10).unwrap();
    assert_eq!(titles(&hits), vec!["关于公文用纸的通知"]);
    assert!(
        rendered(&hits[0]).contains("GB/T9704-2[01]2"),
        "{}",
        rendered(&hits[0])
    );
    // 312 inside 2312.
    assert_eq!(
        titles(&store.search("312", 10).unwrap()),
        vec!["关于字符集的通知"]
    );
    assert!(store.search("9705", 10).unwrap().is_empty());
}

#[test]
fn a_latin_infix_does_not_match_across_a_separator() {
    let (_dir, store) = latin_store();
    // GB/T is the words gb and t: BT is in neither.
    assert!(store.search("BT", 10).unwrap().is_empty());
    assert_eq!(store.search("T 97", 10).unwrap().len(), 2);
    // B/T is two parts, b and t, that must both occur: GB 2312 has no t.
    let hits = store.search("B/T", 10).unwrap();
    assert_eq!(
        titles(&hits),
        vec!["关于公文用纸的通知", "关于执行党政机关公文格式标准的通知"]
    );
    // 9704 and 2012 are two words: 042 spans the hyphen.
    assert!(store.search("042", 10).unwrap().is_empty());
}

#[test]
fn hidden_documents_stay_hidden_for_latin_infixes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut secret = notice(
        "关于涉密载体管理的通知",
        "2026年2月2日",
        "载体编号SM2026A0101统一登记。",
    );
    secret.classification = gongwen_core::Classification::Confidential;
    store.import(&[(secret, DocStatus::Draft)]).unwrap();
    // Nobody logged in: only 非密 documents. (M2026A0101 is longer than the pieces
    // and found as the start of a suffix.)
    let queries = ["026a", "M2026", "A01", "M2026A0101"];
    for q in queries {
        assert!(store.search(q, 10).unwrap().is_empty(), "{q}");
    }
    store
        .set_account(Some(&common::account(
            "https://exchange.example.gov.cn",
            "fgw-clerk",
            "sz-fgw",
        )))
        .unwrap();
    for q in queries {
        assert_eq!(store.search(q, 10).unwrap().len(), 1, "{q}");
    }
    assert!(store.search("M2026A0102", 10).unwrap().is_empty());
}

#[test]
fn a_store_from_before_latin_infixes_finds_them_after_opening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        let mut doc = notice(
            "关于做好2026年防汛工作的通知",
            "2026年5月10日",
            "执行GB/T9704-2012。",
        );
        doc.doc_number = "宿政办〔2026〕12号".into();
        let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
        // A second version: the index must hold the latest one only.
        doc.body = gongwen_core::Body::from_text("执行GB/T9704-2013。");
        store.save_draft(id, &doc).unwrap();
        // No Latin letter or digit anywhere: an index row all the same.
        let mut plain = notice("关于节日值班的通知", "二〇二六年一月五日", "做好值班。");
        plain.doc_number = String::new();
        store.create_document(&plain, DocStatus::Draft).unwrap();
        assert!(store.verify().unwrap().is_empty());
    }
    {
        // Back to schema 4, whose character table had no Latin pieces: emptied here,
        // since the upgrade writes every row of it anew (and without schema 6's columns).
        let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
        conn.execute_batch(common::UNDO_SCHEMAS_6_TO_13).unwrap();
        conn.execute_batch(
            "INSERT INTO search_chars(search_chars) VALUES ('delete-all');
             PRAGMA user_version = 4;",
        )
        .unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.search("026", 10).unwrap().len(), 1);
    assert_eq!(store.search("9704", 10).unwrap().len(), 1);
    assert_eq!(store.search("013", 10).unwrap().len(), 1);
    assert!(store.search("012", 10).unwrap().is_empty());
    // The single characters are back too (执 and, in the plain one, 做 only in bodies).
    assert_eq!(store.search("执", 10).unwrap().len(), 1);
    assert_eq!(store.search("做", 10).unwrap().len(), 2);
    assert!(store.verify().unwrap().is_empty());
    // Written after the upgrade: indexed as on a new store.
    let mut doc = notice("关于报送数据的通知", "2026年6月1日", "按DB34/T 5201报送。");
    doc.doc_number = "宿政办〔2026〕40号".into();
    store.create_document(&doc, DocStatus::Draft).unwrap();
    assert_eq!(store.search("520", 10).unwrap().len(), 1);
    assert_eq!(store.search("026", 10).unwrap().len(), 2);
    assert!(store.verify().unwrap().is_empty());
}
