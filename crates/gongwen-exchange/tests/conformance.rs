//! One conformance suite for the storage trait, run against both engines: embedded
//! SQLite (a real file in a temporary folder) and a real PostgreSQL 15 started in a
//! temporary folder on a loopback port (`gongwen_exchange::testing::TempPostgres`).
//!
//! Every case is a function over `Harness` (an `Arc<dyn Storage>` plus raw SQL access
//! for tampering); `main` makes one test per case and engine (`sqlite::…`,
//! `postgres::…`), each on a fresh database. libtest-mimic instead of `#[test]`: one
//! PostgreSQL serves the whole binary and is stopped by `main` when every case has run
//! (the built-in harness has no suite-wide teardown, and a `static` is never dropped).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gongwen_core::wire::{
    CommandBody, CommandId, CommandOutcome, CommandResult, Role, Unit, UnitCode, UserInfo,
};
use gongwen_core::workflow::{decide, Actor, Context, Decision, DocumentState};
use gongwen_core::{Attachment, Classification, DocKind, Document, DocumentId};
use gongwen_exchange::storage::postgres::PostgresStorage;
use gongwen_exchange::storage::sqlite::SqliteStorage;
use gongwen_exchange::storage::{
    audit_hash, log_writes, verify_audit, AdminChange, AuditChain, AuditDraft, AuditHead,
    AuditRecord, CommandRecord, Commit, DocumentRecord, LogWrite, NumberEvent, NumberRecord,
    NumberWrite, Storage, StorageError, TokenRecord, UserRecord, WorkflowWrite, AUDIT_GENESIS,
};
use gongwen_exchange::testing::TempPostgres;
use libtest_mimic::{Arguments, Trial};
use uuid::Uuid;

/// A storage under test, with a side door for what no client can do (tampering).
struct Harness {
    storage: Arc<dyn Storage>,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

enum Raw {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Harness {
    /// Runs one SQL statement directly on the database, around the storage.
    async fn raw_execute(&self, sql: &str) -> u64 {
        match &self.raw {
            Raw::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).expect("open SQLite file directly");
                conn.execute(sql, []).expect("raw SQL on SQLite") as u64
            }
            Raw::Postgres(url) => {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .expect("connect to PostgreSQL directly");
                let task = tokio::spawn(conn);
                let n = client
                    .execute(sql, &[])
                    .await
                    .expect("raw SQL on PostgreSQL");
                drop(client);
                let _ = task.await;
                n
            }
        }
    }
}

impl Harness {
    /// One whole number from a query run directly on the database (`CAST(… AS BIGINT)`
    /// reads the same on both engines).
    async fn raw_number(&self, sql: &str) -> i64 {
        match &self.raw {
            Raw::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).expect("open SQLite file directly");
                conn.query_row(sql, [], |r| r.get(0))
                    .expect("raw query on SQLite")
            }
            Raw::Postgres(url) => {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .expect("connect to PostgreSQL directly");
                let task = tokio::spawn(conn);
                let n: i64 = client
                    .query_one(sql, &[])
                    .await
                    .expect("raw query on PostgreSQL")
                    .get(0);
                drop(client);
                let _ = task.await;
                n
            }
        }
    }
}

type CaseFn = fn(Arc<Harness>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), (|h| Box::pin($name(h))) as CaseFn)),*]
    };
}

fn main() {
    let args = Arguments::from_args();
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime"),
    );
    let all = cases![
        directory,
        tokens,
        dispatch_commit_is_atomic,
        rejected_command_writes_command_and_audit_only,
        duplicate_command_changes_nothing,
        stale_version_conflicts_and_changes_nothing,
        log_seqs_are_gapless_and_page,
        audit_chain_verifies_and_shows_tampering,
        access_and_blob_visibility,
        concurrent_writers_never_let_a_reader_skip,
        // Server hardening: the audit chain's head, admin changes with their audit
        // entry, expired tokens.
        audit_head_follows_every_append_and_a_deleted_tail_is_seen,
        an_admin_change_is_written_with_its_audit_entry_or_not_at_all,
        a_short_name_names_one_unit_only,
        expired_tokens_are_purged,
        // Attachment-file access (uploader grants, the document that gives access).
        upload_grants_are_per_user_and_end_when_listed,
        blob_access_names_the_document,
        // content stored once, access module
        content_is_stored_once_per_dispatch,
        a_dispatch_ends_only_its_users_upload_grant,
        a_live_upload_grant_is_found_by_the_time_it_was_given,
        // 文号 series: the counter's compare-and-set, cancellations, atomicity.
        fifty_concurrent_numberings_take_one_to_fifty,
        a_cancelled_number_is_recorded_and_never_given_again,
        a_failed_commit_leaves_the_series_and_its_register_unchanged,
        // 移交: one transfer per id, each 档号 in one open transfer, decided once.
        a_transfer_is_kept_once_and_decided_once,
    ];

    // Start PostgreSQL only when a postgres case is selected. A missing PostgreSQL is
    // a failure of every postgres case, never a skip.
    let wants_pg = !args.list
        && all
            .iter()
            .any(|(name, _)| selected(&args, &format!("postgres::{name}")));
    let pg: Option<Arc<Result<TempPostgres, String>>> =
        wants_pg.then(|| Arc::new(TempPostgres::start()));

    let mut trials = Vec::new();
    for (name, case) in &all {
        let (name, case) = (*name, *case);
        let rt2 = Arc::clone(&rt);
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            rt2.block_on(async {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                let path = dir.path().join("exchange.db");
                let storage = SqliteStorage::open(&path).map_err(|e| e.to_string())?;
                let h = Harness {
                    storage: Arc::new(storage),
                    raw: Raw::Sqlite(path),
                    _dir: Some(dir),
                };
                case(Arc::new(h)).await;
                Ok(())
            })
        }));
        let rt2 = Arc::clone(&rt);
        let pg = pg.clone();
        trials.push(Trial::test(format!("postgres::{name}"), move || {
            let pg = pg.ok_or("PostgreSQL was not started")?;
            let pg = match pg.as_ref() {
                Ok(pg) => pg,
                Err(e) => return Err(e.clone().into()),
            };
            // Each case gets its own database, so cases run in parallel.
            let url = pg.create_database(name)?;
            rt2.block_on(async {
                let storage = PostgresStorage::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                let h = Harness {
                    storage: Arc::new(storage),
                    raw: Raw::Postgres(url),
                    _dir: None,
                };
                case(Arc::new(h)).await;
                Ok(())
            })
        }));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    drop(pg); // stops PostgreSQL and removes its folder
    conclusion.exit();
}

/// Whether a test of this name passes the command line's filter.
fn selected(args: &Arguments, name: &str) -> bool {
    match &args.filter {
        None => true,
        Some(f) if args.exact => name == f,
        Some(f) => name.contains(f.as_str()),
    }
}

// ---------------------------------------------------------------------------------
// Fixtures: a small city of units and users, and commits built the way the server
// builds them, through gongwen-core's `decide`.

const NOW: &str = "2026-11-25T08:00:00Z";
const FGW: &str = "sz-fgw";
const TJJ: &str = "sz-tjj";
const YQ: &str = "yq-gov";
const OTHER: &str = "sz-jyj";

fn unit(code: &str, name: &str) -> Unit {
    Unit {
        code: code.into(),
        name: name.into(),
        short_name: None,
    }
}

fn user(username: &str, unit: &str, role: Role, clearance: Classification) -> UserRecord {
    UserRecord {
        info: UserInfo {
            username: username.into(),
            display_name: format!("{username} 同志"),
            unit: unit.into(),
            role,
            clearance,
        },
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$hash-of-{username}"),
        disabled: false,
    }
}

async fn seed_city(s: &dyn Storage) {
    for u in [
        unit(FGW, "宿州市发展和改革委员会"),
        unit(TJJ, "宿州市统计局"),
        unit(YQ, "埇桥区人民政府"),
        unit(OTHER, "宿州市教育局"),
    ] {
        s.add_unit(&u).await.expect("add unit");
    }
}

fn actor(username: &str, unit: &str) -> Actor {
    Actor {
        username: username.into(),
        unit: unit.into(),
        role: Role::Clerk,
        clearance: Classification::Secret,
    }
}

/// A 通知 from 市发改委 with one attached file.
fn notice(attachment_sha: &str) -> Document {
    let mut d = Document::new(DocKind::Notice);
    d.title = "宿州市发展和改革委员会关于报送2026年第四季度重点项目进展情况的通知".into();
    d.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    d.doc_number = "宿发改〔2026〕12号".into();
    d.main_recipients = vec!["市统计局".into()];
    d.cc_recipients = vec!["埇桥区人民政府".into()];
    d.date_of_issue = "2026年11月25日".into();
    d.body = gongwen_core::Body::from_text("请按附表报送重点项目进展情况。");
    d.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    d.attachments = vec![Attachment {
        name: "重点项目进展情况表".into(),
        sha256: Some(attachment_sha.into()),
        file_name: Some("重点项目进展情况表.xlsx".into()),
        ..Default::default()
    }];
    d
}

struct City;
impl Context for City {
    fn unit_exists(&self, unit: &UnitCode) -> bool {
        [FGW, TJJ, YQ, OTHER].contains(&unit.0.as_str())
    }
    fn blob_exists(&self, _sha256: &str) -> bool {
        true
    }
    // Storage conformance, not workflow: every unit here has a reader cleared for all.
    fn unit_clearance(&self, unit: &UnitCode) -> Option<Classification> {
        self.unit_exists(unit).then_some(Classification::TopSecret)
    }
}

fn sha(byte: u8) -> String {
    format!("{byte:02x}").repeat(32)
}

/// The commit the server would write for an accepted decision.
fn accepted_commit(
    command_id: Uuid,
    actor: &Actor,
    kind: &str,
    expected_version: Option<i64>,
    d: &Decision,
) -> Commit {
    let outcome = CommandOutcome {
        command_id: CommandId(command_id),
        result: CommandResult::Accepted,
        decided_at: NOW.into(),
    };
    let state = &d.state;
    Commit {
        command: CommandRecord {
            command_id,
            unit: actor.unit.clone(),
            username: actor.username.clone(),
            client: "install-7f3a".into(),
            kind: kind.into(),
            payload_hash: format!("payload-of-{command_id}"),
            outcome: serde_json::to_string(&outcome).expect("outcome JSON"),
            at: NOW.into(),
        },
        workflow: Some(WorkflowWrite {
            document_id: state.document_id,
            expected_version,
            owner: state.owner.clone(),
            classification: state.classification,
            state: serde_json::to_string(state).expect("state JSON"),
            access: state.units().cloned().collect(),
        }),
        document: d.document.as_ref().map(|doc| DocumentRecord {
            document_id: state.document_id,
            owner: state.owner.clone(),
            classification: doc.classification,
            content_hash: state.content_hash.clone(),
            content: serde_json::to_string(doc).expect("document JSON"),
        }),
        log: d
            .log
            .iter()
            .map(|(unit, entry)| LogWrite {
                unit: unit.clone(),
                classification: state.classification,
                entry: serde_json::to_string(entry).expect("entry JSON"),
                content: None,
            })
            .collect(),
        contents: Vec::new(),
        numbers: Vec::new(),
        delegation: None,
        transfer: None,
        audit: AuditDraft {
            at: NOW.into(),
            username: actor.username.clone(),
            unit: actor.unit.clone(),
            client: "install-7f3a".into(),
            action: format!("command {kind}"),
            detail: format!(r#"{{"command_id":"{command_id}","result":"accepted"}}"#),
        },
    }
}

/// 市发改委 dispatches a notice to 市统计局 (主送) and 埇桥区 (抄送).
fn dispatch(document_id: DocumentId, attachment_sha: &str) -> (Commit, DocumentState) {
    let body = CommandBody::Dispatch {
        document_id,
        document: Box::new(notice(attachment_sha)),
        main: vec![TJJ.into()],
        cc: vec![YQ.into()],
    };
    let a = actor("zhangming", FGW);
    let d = decide(None, &a, &body, &City, NOW).expect("dispatch is accepted");
    let c = accepted_commit(Uuid::new_v4(), &a, "dispatch", None, &d);
    (c, d.state)
}

/// 市统计局 signs for (签收) a document in `state`, which is at `version`.
fn acknowledge(state: &DocumentState, version: i64) -> (Commit, DocumentState) {
    let body = CommandBody::Acknowledge {
        document_id: state.document_id,
    };
    let a = actor("lihua", TJJ);
    let d = decide(Some(state), &a, &body, &City, NOW).expect("acknowledge is accepted");
    let c = accepted_commit(Uuid::new_v4(), &a, "acknowledge", Some(version), &d);
    (c, d.state)
}

fn doc_id() -> DocumentId {
    DocumentId(Uuid::new_v4())
}

/// Everything a commit could have changed, to compare before and after a refusal.
#[derive(Debug, PartialEq)]
struct Snapshot {
    logs: Vec<Vec<(i64, Uuid)>>,
    audit: Vec<AuditRecord>,
}

async fn snapshot(s: &dyn Storage) -> Snapshot {
    let mut logs = Vec::new();
    for u in [FGW, TJJ, YQ, OTHER] {
        let entries = s.log_after(&u.into(), 0, 10_000).await.expect("log_after");
        logs.push(entries.iter().map(|e| (e.seq, e.command_id)).collect());
    }
    let audit = s.audit_after(0, 10_000).await.expect("audit_after");
    Snapshot { logs, audit }
}

/// The first audit seq whose stored hashes do not follow from the entries, if any.
fn first_broken_link(records: &[AuditRecord]) -> Option<i64> {
    let mut chain = AuditChain::default();
    records
        .iter()
        .find_map(|r| chain.check(r).err().map(|(seq, _)| seq))
}

// ---------------------------------------------------------------------------------
// Cases.

async fn directory(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    assert!(s.units().await.unwrap().is_empty());
    seed_city(s).await;
    let codes: Vec<String> = s
        .units()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.code.0)
        .collect();
    let mut expected_codes = [FGW, TJJ, YQ, OTHER].map(String::from).to_vec();
    expected_codes.sort();
    assert_eq!(codes, expected_codes, "units in code order");
    match s.add_unit(&unit(FGW, "重名单位")).await {
        Err(StorageError::AlreadyExists { what: "unit", key }) => assert_eq!(key, FGW),
        other => panic!("adding unit {FGW} twice gave {other:?}"),
    }
    assert_eq!(
        s.units()
            .await
            .unwrap()
            .iter()
            .find(|u| u.code.0 == FGW)
            .unwrap()
            .name,
        "宿州市发展和改革委员会",
        "a refused add must not rename the unit"
    );
    // A 规范化简称 is kept and given back; a unit without one has none.
    let daj = Unit {
        short_name: Some("市档案馆".into()),
        ..unit("sz-daj", "宿州市档案馆")
    };
    s.add_unit(&daj).await.unwrap();
    let units = s.units().await.unwrap();
    assert_eq!(units.iter().find(|u| u.code.0 == "sz-daj"), Some(&daj));
    assert_eq!(
        units.iter().find(|u| u.code.0 == FGW).unwrap().short_name,
        None
    );

    let zhang = user("zhangming", FGW, Role::Clerk, Classification::Secret);
    let wang = user("wangfang", TJJ, Role::Leader, Classification::TopSecret);
    s.add_user(&zhang).await.unwrap();
    s.add_user(&wang).await.unwrap();
    assert_eq!(s.user("zhangming").await.unwrap(), Some(zhang.clone()));
    assert_eq!(s.user("nobody").await.unwrap(), None);
    assert_eq!(s.users().await.unwrap(), vec![wang.clone(), zhang.clone()]);
    match s
        .add_user(&user(
            "zhangming",
            TJJ,
            Role::Admin,
            Classification::Unclassified,
        ))
        .await
    {
        Err(StorageError::AlreadyExists { what: "user", key }) => assert_eq!(key, "zhangming"),
        other => panic!("adding user zhangming twice gave {other:?}"),
    }
    assert_eq!(s.user("zhangming").await.unwrap(), Some(zhang.clone()));
    match s
        .add_user(&user(
            "ghost",
            "no-such-unit",
            Role::Clerk,
            Classification::Unclassified,
        ))
        .await
    {
        Err(StorageError::NotFound { what: "unit", .. }) => {}
        other => panic!("a user of an unknown unit gave {other:?}"),
    }

    s.set_user_disabled("zhangming", true).await.unwrap();
    assert!(s.user("zhangming").await.unwrap().unwrap().disabled);
    s.set_user_disabled("zhangming", false).await.unwrap();
    assert!(!s.user("zhangming").await.unwrap().unwrap().disabled);
    s.set_password_hash("zhangming", "$argon2id$new")
        .await
        .unwrap();
    assert_eq!(
        s.user("zhangming").await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert!(matches!(
        s.set_user_disabled("nobody", true).await,
        Err(StorageError::NotFound { what: "user", .. })
    ));
    assert!(matches!(
        s.set_password_hash("nobody", "x").await,
        Err(StorageError::NotFound { what: "user", .. })
    ));
}

fn token(hash: &str, username: &str, expires_at: &str) -> TokenRecord {
    TokenRecord {
        token_hash: hash.into(),
        username: username.into(),
        expires_at: expires_at.into(),
        client: "install-7f3a".into(),
    }
}

/// The username a token stands for at `now`, if it is live.
async fn live(s: &dyn Storage, token_hash: &str, now: &str) -> Option<String> {
    s.token_user(token_hash, now)
        .await
        .expect("token_user")
        .map(|u| u.info.username)
}

async fn tokens(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    s.add_user(&user("zhangming", FGW, Role::Clerk, Classification::Secret))
        .await
        .unwrap();
    s.add_user(&user("lihua", TJJ, Role::Clerk, Classification::Secret))
        .await
        .unwrap();
    let zhang = Some("zhangming".to_string());
    let li = Some("lihua".to_string());
    let later = "2026-12-01T00:00:00Z";

    // Expiry, compared as instants (the expiry is written with an offset).
    let t = sha(1);
    s.add_token(&token(&t, "zhangming", "2026-11-25T16:00:00+08:00"))
        .await
        .unwrap();
    assert_eq!(live(s, &t, "2026-11-25T07:59:59Z").await, zhang);
    assert_eq!(
        live(s, &t, "2026-11-25T08:00:00Z").await,
        None,
        "expired at its expiry"
    );
    assert_eq!(live(s, &t, "2026-11-26T00:00:00Z").await, None);
    assert_eq!(live(s, &sha(9), NOW).await, None, "unknown token");
    assert!(matches!(
        s.add_token(&token(&sha(3), "nobody", later)).await,
        Err(StorageError::NotFound { what: "user", .. })
    ));

    // Revocation works at once.
    let t = sha(2);
    s.add_token(&token(&t, "zhangming", later)).await.unwrap();
    assert_eq!(live(s, &t, NOW).await, zhang);
    s.revoke_token(&t).await.unwrap();
    assert_eq!(live(s, &t, NOW).await, None);
    assert!(matches!(
        s.revoke_token(&sha(8)).await,
        Err(StorageError::NotFound { what: "token", .. })
    ));

    // Disabling revokes every token of the user, and re-enabling does not bring them
    // back; another user's token is untouched.
    let (a, b, c) = (sha(0x0a), sha(0x0b), sha(0x0c));
    s.add_token(&token(&a, "zhangming", later)).await.unwrap();
    s.add_token(&token(&b, "zhangming", later)).await.unwrap();
    s.add_token(&token(&c, "lihua", later)).await.unwrap();
    s.set_user_disabled("zhangming", true).await.unwrap();
    assert_eq!(live(s, &a, NOW).await, None);
    assert_eq!(live(s, &b, NOW).await, None);
    assert_eq!(live(s, &c, NOW).await, li);
    s.set_user_disabled("zhangming", false).await.unwrap();
    assert_eq!(
        live(s, &a, NOW).await,
        None,
        "re-enabling must not revive tokens"
    );

    // The check is on the user too: a token added while the user is disabled does
    // not work until the user is enabled again.
    s.set_user_disabled("zhangming", true).await.unwrap();
    let d = sha(0x0d);
    s.add_token(&token(&d, "zhangming", later)).await.unwrap();
    assert_eq!(
        live(s, &d, NOW).await,
        None,
        "a disabled user's token must not work"
    );
    s.set_user_disabled("zhangming", false).await.unwrap();
    assert_eq!(live(s, &d, NOW).await, zhang);

    // A new password revokes the old tokens, only the user's.
    s.set_password_hash("zhangming", "$argon2id$new")
        .await
        .unwrap();
    assert_eq!(live(s, &d, NOW).await, None);
    assert_eq!(live(s, &c, NOW).await, li);
}

async fn dispatch_commit_is_atomic(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let id = doc_id();
    let (c, state) = dispatch(id, &sha(0x51));
    let seqs = s.commit(&c).await.expect("commit dispatch");
    // Sent to the sender's log, Received to each recipient's: each the first entry.
    assert_eq!(seqs, vec![1, 1, 1]);

    assert_eq!(
        s.command(c.command.command_id).await.unwrap(),
        Some(c.command.clone())
    );
    let w = s.workflow(id).await.unwrap().expect("workflow written");
    assert_eq!(w.version, 1);
    assert_eq!(w.owner.0, FGW);
    let stored: DocumentState = serde_json::from_str(&w.state).expect("state JSON");
    assert_eq!(stored, state);
    assert_eq!(s.document(id).await.unwrap(), c.document.clone());

    for (i, u) in [FGW, TJJ, YQ].iter().enumerate() {
        let log = s.log_after(&(*u).into(), 0, 100).await.unwrap();
        assert_eq!(log.len(), 1, "one entry in {u}'s log");
        assert_eq!(log[0].seq, 1);
        assert_eq!(log[0].unit.0, *u);
        assert_eq!(log[0].command_id, c.command.command_id);
        assert_eq!(log[0].entry, c.log[i].entry);
    }
    assert!(s.log_after(&OTHER.into(), 0, 100).await.unwrap().is_empty());

    let audit = s.audit_after(0, 100).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "command dispatch");
    assert_eq!(audit[0].prev_hash, AUDIT_GENESIS);
    assert_eq!(first_broken_link(&audit), None);

    // The next command on the document: compare-and-set from version 1 to 2.
    let (ack, _) = acknowledge(&state, 1);
    let seqs = s.commit(&ack).await.expect("commit acknowledge");
    assert_eq!(
        seqs.len(),
        3,
        "the receipt goes to the sender and the recipient, and the recipient's 收文 \
         handling starts"
    );
    let w = s.workflow(id).await.unwrap().unwrap();
    assert_eq!(w.version, 2);
    assert_eq!(s.log_after(&FGW.into(), 0, 100).await.unwrap().len(), 2);
    assert_eq!(s.log_after(&TJJ.into(), 1, 100).await.unwrap()[0].seq, 2);
    assert_eq!(s.audit_after(1, 100).await.unwrap()[0].seq, 2);
}

async fn rejected_command_writes_command_and_audit_only(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let id = doc_id();
    let (mut c, _) = dispatch(id, &sha(0x52));
    c.workflow = None;
    c.document = None;
    c.log.clear();
    c.command.outcome = r#"{"status":"rejected"}"#.into();
    let before = snapshot(s).await;
    assert_eq!(s.commit(&c).await.unwrap(), Vec::<i64>::new());
    assert_eq!(
        s.command(c.command.command_id)
            .await
            .unwrap()
            .unwrap()
            .outcome,
        r#"{"status":"rejected"}"#
    );
    assert_eq!(s.workflow(id).await.unwrap(), None);
    assert_eq!(s.document(id).await.unwrap(), None);
    let after = snapshot(s).await;
    assert_eq!(after.logs, before.logs);
    assert_eq!(after.audit.len(), before.audit.len() + 1);
}

async fn duplicate_command_changes_nothing(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let (first, _) = dispatch(doc_id(), &sha(0x53));
    s.commit(&first).await.unwrap();
    let before = snapshot(s).await;

    // Another document under the same command id (a re-send that lost the race, or a
    // reused id): refused, and none of its parts is written.
    let other = doc_id();
    let (mut dup, _) = dispatch(other, &sha(0x54));
    dup.command.command_id = first.command.command_id;
    match s.commit(&dup).await {
        Err(StorageError::DuplicateCommand(id)) => assert_eq!(id, first.command.command_id),
        res => panic!("a second commit with the same command id gave {res:?}"),
    }
    assert_eq!(s.workflow(other).await.unwrap(), None);
    assert_eq!(s.document(other).await.unwrap(), None);
    assert!(!s.has_access(other, &TJJ.into()).await.unwrap());
    assert!(!s
        .blob_visible_to(&sha(0x54), &TJJ.into(), Classification::TopSecret)
        .await
        .unwrap());
    assert_eq!(snapshot(s).await, before);
    assert_eq!(
        s.command(first.command.command_id).await.unwrap(),
        Some(first.command)
    );
}

async fn stale_version_conflicts_and_changes_nothing(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let id = doc_id();
    let (d, state) = dispatch(id, &sha(0x55));
    s.commit(&d).await.unwrap();
    let (ack, _) = acknowledge(&state, 1);
    s.commit(&ack).await.unwrap();
    let before = snapshot(s).await;
    let workflow_before = s.workflow(id).await.unwrap();

    // Decided on version 1, which is gone.
    let (stale, _) = acknowledge(&state, 1);
    match s.commit(&stale).await {
        Err(StorageError::Conflict(doc)) => assert_eq!(doc, id),
        res => panic!("a stale version gave {res:?}"),
    }
    // A second dispatch of an existing document (expected: none).
    let (again, _) = dispatch(id, &sha(0x56));
    match s.commit(&again).await {
        Err(StorageError::Conflict(doc)) => assert_eq!(doc, id),
        res => panic!("creating an existing workflow gave {res:?}"),
    }
    // A version from the future.
    let (future, _) = acknowledge(&state, 7);
    assert!(matches!(
        s.commit(&future).await,
        Err(StorageError::Conflict(_))
    ));

    assert_eq!(s.command(stale.command.command_id).await.unwrap(), None);
    assert_eq!(s.command(again.command.command_id).await.unwrap(), None);
    assert_eq!(s.workflow(id).await.unwrap(), workflow_before);
    assert_eq!(s.document(id).await.unwrap(), d.document);
    assert!(!s
        .blob_visible_to(&sha(0x56), &TJJ.into(), Classification::TopSecret)
        .await
        .unwrap());
    assert_eq!(snapshot(s).await, before);
}

/// A hand-built commit appending one entry per listed unit (the same unit may repeat).
fn log_commit(units: &[&str], tag: &str) -> Commit {
    let command_id = Uuid::new_v4();
    Commit {
        command: CommandRecord {
            command_id,
            unit: FGW.into(),
            username: "zhangming".into(),
            client: "bench".into(),
            kind: "test".into(),
            payload_hash: sha(0),
            outcome: r#"{"status":"accepted"}"#.into(),
            at: NOW.into(),
        },
        workflow: None,
        document: None,
        log: units
            .iter()
            .map(|u| LogWrite {
                unit: (*u).into(),
                classification: Classification::Unclassified,
                entry: format!(r#"{{"tag":"{tag}"}}"#),
                content: None,
            })
            .collect(),
        contents: Vec::new(),
        numbers: Vec::new(),
        delegation: None,
        transfer: None,
        audit: AuditDraft {
            at: NOW.into(),
            username: "zhangming".into(),
            unit: FGW.into(),
            client: "bench".into(),
            action: "command test".into(),
            detail: format!(r#"{{"tag":"{tag}"}}"#),
        },
    }
}

async fn log_seqs_are_gapless_and_page(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let mut expected_fgw = 0;
    for i in 0..25 {
        let units: &[&str] = if i % 5 == 0 { &[FGW, TJJ, FGW] } else { &[FGW] };
        let seqs = s.commit(&log_commit(units, &i.to_string())).await.unwrap();
        if i % 5 == 0 {
            // Two entries for one unit in one commit: consecutive, in order.
            assert_eq!(seqs, vec![expected_fgw + 1, (i / 5) + 1, expected_fgw + 2]);
            expected_fgw += 2;
        } else {
            assert_eq!(seqs, vec![expected_fgw + 1]);
            expected_fgw += 1;
        }
    }
    assert_eq!(expected_fgw, 30);

    let mut cursor = 0;
    let mut pages = 0;
    loop {
        let page = s.log_after(&FGW.into(), cursor, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        let seqs: Vec<i64> = page.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (cursor + 1..=cursor + page.len() as i64).collect::<Vec<_>>()
        );
        cursor += page.len() as i64;
        pages += 1;
    }
    assert_eq!((cursor, pages), (30, 5));
    assert_eq!(s.log_after(&FGW.into(), 28, 0).await.unwrap(), vec![]);
    let tail: Vec<i64> = s
        .log_after(&FGW.into(), 28, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(tail, vec![29, 30]);
    let tjj: Vec<i64> = s
        .log_after(&TJJ.into(), 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(tjj, vec![1, 2, 3, 4, 5]);
    assert!(s
        .log_after(&"no-such-unit".into(), 0, 100)
        .await
        .unwrap()
        .is_empty());
}

async fn audit_chain_verifies_and_shows_tampering(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let login = AuditDraft {
        at: NOW.into(),
        username: "zhangming".into(),
        unit: FGW.into(),
        client: "install-7f3a".into(),
        action: "login".into(),
        detail: r#"{"result":"ok"}"#.into(),
    };
    let first = s.append_audit(&login).await.unwrap();
    assert_eq!(first.seq, 1);
    assert_eq!(first.prev_hash, AUDIT_GENESIS);
    assert_eq!(first.hash, audit_hash(AUDIT_GENESIS, 1, &login));
    let (c, state) = dispatch(doc_id(), &sha(0x57));
    s.commit(&c).await.unwrap();
    let (ack, _) = acknowledge(&state, 1);
    s.commit(&ack).await.unwrap();
    let fourth = s.append_audit(&login).await.unwrap();
    assert_eq!(fourth.seq, 4);

    let chain = s.audit_after(0, 100).await.unwrap();
    assert_eq!(chain.len(), 4);
    assert_eq!(chain[0], first);
    assert_eq!(chain[3], fourth);
    assert_eq!(chain[1].action, "command dispatch");
    assert_eq!(chain[2].action, "command acknowledge");
    assert_eq!(first_broken_link(&chain), None);
    assert_eq!(s.audit_after(2, 1).await.unwrap(), vec![chain[2].clone()]);

    // Someone with database access rewrites who did it.
    let n = h
        .raw_execute("UPDATE audit SET username = 'wangfang' WHERE seq = 2")
        .await;
    assert_eq!(n, 1);
    let tampered = s.audit_after(0, 100).await.unwrap();
    assert_eq!(tampered[1].username, "wangfang");
    assert_eq!(first_broken_link(&tampered), Some(2));
}

async fn access_and_blob_visibility(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let id = doc_id();
    let file = sha(0x58);
    assert!(!s.has_access(id, &FGW.into()).await.unwrap());
    assert!(!s
        .blob_visible_to(&file, &FGW.into(), Classification::TopSecret)
        .await
        .unwrap());
    let (c, _) = dispatch(id, &file);
    s.commit(&c).await.unwrap();
    for u in [FGW, TJJ, YQ] {
        assert!(
            s.has_access(id, &u.into()).await.unwrap(),
            "{u} may read it"
        );
        assert!(
            s.blob_visible_to(&file, &u.into(), Classification::TopSecret)
                .await
                .unwrap(),
            "{u} may download"
        );
    }
    assert!(!s.has_access(id, &OTHER.into()).await.unwrap());
    assert!(!s
        .blob_visible_to(&file, &OTHER.into(), Classification::TopSecret)
        .await
        .unwrap());
    assert!(!s.has_access(doc_id(), &FGW.into()).await.unwrap());
    assert!(!s
        .blob_visible_to(&sha(0x59), &FGW.into(), Classification::TopSecret)
        .await
        .unwrap());

    // Access is added by later writes, never removed.
    let mut w = c.workflow.clone().unwrap();
    w.expected_version = Some(1);
    w.access = vec![OTHER.into()];
    let mut more = log_commit(&[OTHER], "forwarded");
    more.workflow = Some(w);
    s.commit(&more).await.unwrap();
    assert!(s.has_access(id, &OTHER.into()).await.unwrap());
    assert!(s
        .blob_visible_to(&file, &OTHER.into(), Classification::TopSecret)
        .await
        .unwrap());
    assert!(s.has_access(id, &TJJ.into()).await.unwrap());

    // The file of a 机密 document is not for a user cleared only to 秘密.
    let secret_file = sha(0x5a);
    let (mut secret, _) = dispatch(doc_id(), &secret_file);
    if let Some(d) = secret.document.as_mut() {
        d.classification = Classification::Secret;
    }
    s.commit(&secret).await.unwrap();
    assert!(s
        .blob_visible_to(&secret_file, &TJJ.into(), Classification::Secret)
        .await
        .unwrap());
    assert!(!s
        .blob_visible_to(&secret_file, &TJJ.into(), Classification::Confidential)
        .await
        .unwrap());
}

// ---------------------------------------------------------------------------------
// Attachment-file access.

async fn upload_grants_are_per_user_and_end_when_listed(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let file = sha(0x61);
    let other_file = sha(0x62);
    assert!(!s
        .upload_granted(&file, "zhangming", Classification::TopSecret)
        .await
        .unwrap());
    s.grant_upload(&file, "zhangming", Classification::Secret, NOW)
        .await
        .unwrap();
    // Twice is once.
    s.grant_upload(&file, "zhangming", Classification::Secret, NOW)
        .await
        .unwrap();
    s.grant_upload(&other_file, "zhangming", Classification::Secret, NOW)
        .await
        .unwrap();
    assert!(s
        .upload_granted(&file, "zhangming", Classification::Secret)
        .await
        .unwrap());
    // The user's, not the unit's; and only at the clearance it was granted at.
    assert!(!s
        .upload_granted(&file, "wangfang", Classification::TopSecret)
        .await
        .unwrap());
    assert!(!s
        .upload_granted(&file, "zhangming", Classification::Confidential)
        .await
        .unwrap());
    assert!(!s.blob_listed(&file).await.unwrap());

    // A document lists the file: the grant ends in the same commit.
    let (c, _) = dispatch(doc_id(), &file);
    s.commit(&c).await.unwrap();
    assert!(s.blob_listed(&file).await.unwrap());
    assert!(!s
        .upload_granted(&file, "zhangming", Classification::Secret)
        .await
        .unwrap());
    assert!(s
        .upload_granted(&other_file, "zhangming", Classification::Secret)
        .await
        .unwrap());
    s.drop_upload_grants(&other_file).await.unwrap();
    assert!(!s
        .upload_granted(&other_file, "zhangming", Classification::Secret)
        .await
        .unwrap());

    // A rejected command (no document written) ends nothing.
    s.grant_upload(&file, "zhangming", Classification::Secret, NOW)
        .await
        .unwrap();
    let mut rejected = log_commit(&[], "rejected");
    rejected.command.outcome = r#"{"status":"rejected"}"#.into();
    s.commit(&rejected).await.unwrap();
    assert!(s
        .upload_granted(&file, "zhangming", Classification::Secret)
        .await
        .unwrap());
}

async fn blob_access_names_the_document(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let file = sha(0x63);
    assert_eq!(
        s.blob_access(&file, &TJJ.into(), Classification::TopSecret)
            .await
            .unwrap(),
        None
    );
    let plain_id = doc_id();
    let (plain, _) = dispatch(plain_id, &file);
    s.commit(&plain).await.unwrap();
    let secret_id = doc_id();
    let (mut secret, _) = dispatch(secret_id, &file);
    if let Some(d) = secret.document.as_mut() {
        d.classification = Classification::Secret;
    }
    s.commit(&secret).await.unwrap();
    // The most classified document the reader may see is the one named.
    assert_eq!(
        s.blob_access(&file, &TJJ.into(), Classification::TopSecret)
            .await
            .unwrap(),
        Some((secret_id, Classification::Secret))
    );
    assert_eq!(
        s.blob_access(&file, &TJJ.into(), Classification::Confidential)
            .await
            .unwrap(),
        Some((plain_id, Classification::Unclassified))
    );
    assert_eq!(
        s.blob_access(&file, &OTHER.into(), Classification::TopSecret)
            .await
            .unwrap(),
        None
    );
    // An upper-case name in a document is stored as the lower-case one.
    let upper = sha(0xab).to_ascii_uppercase();
    let upper_id = doc_id();
    let (c, _) = dispatch(upper_id, &upper);
    s.commit(&c).await.unwrap();
    assert!(s.blob_listed(&sha(0xab)).await.unwrap());
}

// ---------------------------------------------------------------------------------
// Concurrency: the cursor must never skip.
//
// A reader holds a cursor per unit and asks for "entries after n". If seq n+1 could
// become visible after n+2 (two transactions that took their numbers in one order and
// committed in the other), a reader that saw n+2 resumes after it and never sees n+1.
// A naive design — a global `bigserial` id as the cursor, or per-unit numbers taken
// from a sequence — fails this test: with 16 writers the numbers are taken at INSERT
// time but the transactions commit in another order, so a page comes back with a hole
// (`…, 104, 106`) that is filled later; and per-unit numbers from a shared sequence
// are not contiguous at all (`page starts at cursor+1` fails on the first page). The
// readers below assert that every page starts exactly at cursor+1 and is contiguous,
// and the writers spread commits over overlapping units so that concurrent commits
// race for the same units all the time.
//
// Checked by mutation while writing this: with per-unit seqs taken from one sequence
// per unit inside the transaction (no counter row lock; contiguous in the end, but
// visible out of order) the PostgreSQL run fails (`page after cursor 2 is not
// contiguous from 3: [7, 8]`); counted instead of stopping at the first, each unit's
// reader met about 150 such pages per run. With a global bigserial it fails on the
// first page. A black-box reader only catches a reordering while it lasts, so the
// test is sized (16 writers, entries of realistic size) to make that near certain.

const UNITS: [&str; 4] = [FGW, TJJ, YQ, OTHER];
const WRITERS: usize = 16;
const COMMITS_PER_WRITER: usize = 80;
/// Characters of padding per entry (~9 KB, about a real `Received` entry carrying a
/// document): writes that take a little time widen the window in which a wrong design
/// shows a later seq before an earlier one.
const PAD: usize = 3_000;

/// Which units commit `i` of writer `w` appends to: 1–3 distinct units, fixed by a
/// small deterministic mix so every run exercises the same overlaps.
fn units_for(w: usize, i: usize) -> Vec<&'static str> {
    let mut x = (w as u64 * 0x9E37_79B9 + i as u64 * 0x85EB_CA6B + 1) ^ 0xC2B2_AE35;
    x = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    let count = 1 + (x >> 60) as usize % 3;
    let start = (x >> 40) as usize % UNITS.len();
    (0..count)
        .map(|k| UNITS[(start + k) % UNITS.len()])
        .collect()
}

async fn concurrent_writers_never_let_a_reader_skip(h: Arc<Harness>) {
    let s = Arc::clone(&h.storage);
    seed_city(s.as_ref()).await;
    let mut expected: BTreeMap<&str, i64> = BTreeMap::new();
    for w in 0..WRITERS {
        for i in 0..COMMITS_PER_WRITER {
            for u in units_for(w, i) {
                *expected.entry(u).or_default() += 1;
            }
        }
    }

    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for u in UNITS {
        let s = Arc::clone(&s);
        let done = Arc::clone(&done);
        readers.push(tokio::spawn(async move {
            let unit: UnitCode = u.into();
            let mut cursor = 0i64;
            let mut seen = BTreeSet::new();
            let mut polls = 0u64;
            loop {
                // Read `done` before the page: if writers were done before this read,
                // an empty page means the reader has everything.
                let finished = done.load(Ordering::SeqCst);
                let page = s.log_after(&unit, cursor, 25).await.expect("log_after");
                polls += 1;
                for (k, e) in page.iter().enumerate() {
                    assert_eq!(
                        e.seq,
                        cursor + 1 + k as i64,
                        "{u}: page after cursor {cursor} is not contiguous from {}: {:?}",
                        cursor + 1,
                        page.iter().map(|e| e.seq).collect::<Vec<_>>()
                    );
                    let tag: serde_json::Value = serde_json::from_str(&e.entry).unwrap();
                    assert!(seen.insert((e.command_id, tag.to_string(), e.seq)));
                }
                if let Some(last) = page.last() {
                    cursor = last.seq;
                } else if finished {
                    break;
                } else {
                    tokio::task::yield_now().await;
                }
            }
            (u, cursor, polls)
        }));
    }

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let s = Arc::clone(&s);
        writers.push(tokio::spawn(async move {
            for i in 0..COMMITS_PER_WRITER {
                let units = units_for(w, i);
                let mut c = log_commit(&units, &format!("{w}-{i}"));
                for l in &mut c.log {
                    l.entry = format!(r#"{{"tag":"{w}-{i}","pad":"{}"}}"#, "公".repeat(PAD));
                }
                let seqs = s.commit(&c).await.expect("concurrent commit");
                assert_eq!(seqs.len(), units.len());
            }
        }));
    }
    for w in writers {
        w.await.expect("writer task");
    }
    done.store(true, Ordering::SeqCst);
    for r in readers {
        let (u, cursor, polls) = r.await.expect("reader task");
        assert_eq!(cursor, expected[u], "{u}: the reader saw every entry once");
        eprintln!("{u}: {cursor} entries read in {polls} polls");
    }
    for u in UNITS {
        let all = s.log_after(&u.into(), 0, 100_000).await.unwrap();
        let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=expected[u]).collect::<Vec<_>>(),
            "{u}: seqs 1..n"
        );
    }
    let audit = s.audit_after(0, 100_000).await.unwrap();
    assert_eq!(audit.len(), WRITERS * COMMITS_PER_WRITER);
    assert_eq!(first_broken_link(&audit), None);
}

// ---------------------------------------------------------------------------------
// Server hardening

fn admin_audit(action: &str) -> AuditDraft {
    AuditDraft {
        at: NOW.into(),
        username: "os:root".into(),
        unit: UnitCode(String::new()),
        client: "admin-cli".into(),
        action: action.into(),
        detail: "{}".into(),
    }
}

async fn audit_head_follows_every_append_and_a_deleted_tail_is_seen(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    assert_eq!(
        s.audit_head().await.unwrap(),
        AuditHead {
            seq: 0,
            hash: AUDIT_GENESIS.into()
        }
    );
    assert_eq!(verify_audit(s, None).await.unwrap().unwrap().seq, 0);
    seed_city(s).await;
    let login = s.append_audit(&admin_audit("login")).await.unwrap();
    let (c, _) = dispatch(doc_id(), &sha(0x61));
    s.commit(&c).await.unwrap();
    s.admin_change(
        &AdminChange::AddUser(user("zhangming", FGW, Role::Clerk, Classification::Secret)),
        &admin_audit("admin user add"),
    )
    .await
    .unwrap();
    let chain = s.audit_after(0, 100).await.unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(chain[0], login);
    let last = chain.last().unwrap();
    let head = s.audit_head().await.unwrap();
    assert_eq!(
        head,
        AuditHead {
            seq: last.seq,
            hash: last.hash.clone()
        }
    );
    assert_eq!(verify_audit(s, None).await.unwrap(), Ok(head.clone()));
    let anchor = AuditHead {
        seq: 2,
        hash: chain[1].hash.clone(),
    };
    assert!(verify_audit(s, Some(&anchor)).await.unwrap().is_ok());
    let wrong = AuditHead {
        seq: 2,
        hash: chain[0].hash.clone(),
    };
    assert_eq!(
        verify_audit(s, Some(&wrong))
            .await
            .unwrap()
            .unwrap_err()
            .seq,
        2
    );

    // The last entry deleted: each entry still checks out, but the head does not.
    assert_eq!(h.raw_execute("DELETE FROM audit WHERE seq = 3").await, 1);
    assert_eq!(
        first_broken_link(&s.audit_after(0, 100).await.unwrap()),
        None
    );
    let broken = verify_audit(s, None).await.unwrap().unwrap_err();
    assert!(broken.problem.contains("removed"), "{broken:?}");
    // A new entry does not quietly continue the shortened chain either.
    let next = s.append_audit(&admin_audit("login")).await.unwrap();
    assert_eq!(next.seq, 4);
    assert_eq!(next.prev_hash, head.hash);
    assert!(verify_audit(s, None).await.unwrap().is_err());
}

async fn an_admin_change_is_written_with_its_audit_entry_or_not_at_all(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    s.add_user(&user("zhangming", FGW, Role::Clerk, Classification::Secret))
        .await
        .unwrap();
    let before = s.audit_after(0, 100).await.unwrap().len();
    s.admin_change(
        &AdminChange::SetUserDisabled {
            username: "zhangming".into(),
            disabled: true,
        },
        &admin_audit("admin user disable"),
    )
    .await
    .unwrap();
    assert!(s.user("zhangming").await.unwrap().unwrap().disabled);
    let chain = s.audit_after(0, 100).await.unwrap();
    assert_eq!(chain.len(), before + 1);
    assert_eq!(chain.last().unwrap().action, "admin user disable");

    // The audit refuses new entries: the change is not made either.
    match &h.raw {
        Raw::Sqlite(_) => {
            h.raw_execute(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit
                 BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
            )
            .await;
        }
        Raw::Postgres(_) => {
            h.raw_execute(
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
            )
            .await;
            h.raw_execute(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit
                 FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            )
            .await;
        }
    }
    let changes = [
        AdminChange::SetUserDisabled {
            username: "zhangming".into(),
            disabled: false,
        },
        AdminChange::SetPasswordHash {
            username: "zhangming".into(),
            hash: "$argon2id$new".into(),
        },
        AdminChange::AddUnit(unit("sz-wsj", "宿州市卫生健康委员会")),
        AdminChange::AddUser(user("lihua", TJJ, Role::Leader, Classification::TopSecret)),
        AdminChange::SetUnitShortName {
            code: FGW.into(),
            short_name: "市发展改革委".into(),
        },
    ];
    for change in &changes {
        assert!(
            s.admin_change(change, &admin_audit("admin change"))
                .await
                .is_err(),
            "{change:?} must fail with its audit entry"
        );
    }
    let zhangming = s.user("zhangming").await.unwrap().unwrap();
    assert!(zhangming.disabled);
    assert!(zhangming.password_hash.contains("hash-of-zhangming"));
    assert!(!s
        .units()
        .await
        .unwrap()
        .iter()
        .any(|u| u.code.0 == "sz-wsj"));
    assert!(s.user("lihua").await.unwrap().is_none());
    assert!(s
        .units()
        .await
        .unwrap()
        .iter()
        .all(|u| u.short_name.is_none()));
}

/// `SetUnitShortName` sets and replaces a unit's 规范化简称 with its audit entry, and
/// refuses (changing and recording nothing) a name that already names another unit, by
/// its short or its full name, or a unit that does not exist; `AddUnit` refuses a taken
/// short name too.
async fn a_short_name_names_one_unit_only(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let set = |code: &str, short: &str| AdminChange::SetUnitShortName {
        code: code.into(),
        short_name: short.into(),
    };
    let short_of = |units: &[Unit], code: &str| {
        units
            .iter()
            .find(|u| u.code.0 == code)
            .and_then(|u| u.short_name.clone())
    };
    s.admin_change(&set(TJJ, "市统计局"), &admin_audit("admin unit set-short"))
        .await
        .unwrap();
    s.admin_change(&set(TJJ, "统计局"), &admin_audit("admin unit set-short"))
        .await
        .unwrap();
    let units = s.units().await.unwrap();
    assert_eq!(short_of(&units, TJJ).as_deref(), Some("统计局"));
    let audited = s.audit_after(0, 100).await.unwrap().len();

    let refused = [
        (set(FGW, "统计局"), TJJ),
        (set(FGW, "宿州市统计局"), TJJ),
        (
            AdminChange::AddUnit(Unit {
                short_name: Some("统计局".into()),
                ..unit("lb-tjj", "灵璧县统计局")
            }),
            TJJ,
        ),
    ];
    for (change, holder) in &refused {
        match s.admin_change(change, &admin_audit("admin change")).await {
            Err(StorageError::NameTaken { unit, .. }) => assert_eq!(unit.0, *holder),
            other => panic!("{change:?} gave {other:?}"),
        }
    }
    match s
        .admin_change(&set("sz-wsj", "市卫生健康委"), &admin_audit("admin change"))
        .await
    {
        Err(StorageError::NotFound { what: "unit", key }) => assert_eq!(key, "sz-wsj"),
        other => panic!("a unit that does not exist gave {other:?}"),
    }
    assert_eq!(s.units().await.unwrap(), units, "nothing changed");
    assert_eq!(s.audit_after(0, 100).await.unwrap().len(), audited);
    // Its own short name again is no conflict.
    s.admin_change(&set(TJJ, "统计局"), &admin_audit("admin unit set-short"))
        .await
        .unwrap();
}

async fn expired_tokens_are_purged(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    s.add_user(&user("zhangming", FGW, Role::Clerk, Classification::Secret))
        .await
        .unwrap();
    s.add_token(&token("old", "zhangming", "2026-11-25T07:59:59.999Z"))
        .await
        .unwrap();
    s.add_token(&token(
        "revoked-old",
        "zhangming",
        "2026-11-24T08:00:00.000Z",
    ))
    .await
    .unwrap();
    s.revoke_token("revoked-old").await.unwrap();
    s.add_token(&token("live", "zhangming", "2026-11-25T08:00:00.001Z"))
        .await
        .unwrap();
    assert_eq!(
        s.purge_expired_tokens("2026-11-25T08:00:00.000Z")
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        live(s, "live", "2026-11-25T08:00:00.000Z").await.as_deref(),
        Some("zhangming")
    );
    assert_eq!(
        h.raw_execute("DELETE FROM tokens WHERE token_hash = 'old'")
            .await,
        0
    );
    assert_eq!(
        s.purge_expired_tokens("2026-11-25T08:00:00.000Z")
            .await
            .unwrap(),
        0
    );
}

// ---------------------------------------------------------------------------------
// content stored once, access module

/// Accepts any unit: a dispatch to many units.
struct AnyUnit;
impl Context for AnyUnit {
    fn unit_exists(&self, _unit: &UnitCode) -> bool {
        true
    }
    fn blob_exists(&self, _sha256: &str) -> bool {
        true
    }
    fn unit_clearance(&self, _unit: &UnitCode) -> Option<Classification> {
        Some(Classification::TopSecret)
    }
}

async fn content_is_stored_once_per_dispatch(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    const N: usize = 40;
    let recipients: Vec<UnitCode> = (0..N).map(|i| UnitCode(format!("fo-{i:03}"))).collect();
    let mut doc = notice(&sha(0x61));
    // About 96 KB of body text: far more than any entry's own fields.
    let text: Vec<String> = (0..400)
        .map(|i| format!("第{i}段：{}", "各县区发展改革部门要按时报送。".repeat(5)))
        .collect();
    doc.body = gongwen_core::Body::from_text(&text.join("\n"));
    let document_id = doc_id();
    let body = CommandBody::Dispatch {
        document_id,
        document: Box::new(doc.clone()),
        main: recipients[..4].to_vec(),
        cc: recipients[4..].to_vec(),
    };
    let a = actor("zhangming", FGW);
    let d = decide(None, &a, &body, &AnyUnit, NOW).expect("dispatch is accepted");
    // What an earlier build stored (and served) for each unit: the entry whole.
    let whole: Vec<(UnitCode, String)> = d
        .log
        .iter()
        .map(|(u, e)| (u.clone(), serde_json::to_string(e).expect("entry JSON")))
        .collect();
    let content_len = serde_json::to_string(&doc).expect("document JSON").len() as i64;
    assert!(content_len > 90_000, "the document is {content_len} bytes");

    let mut c = accepted_commit(Uuid::new_v4(), &a, "dispatch", None, &d);
    let (log, contents) = log_writes(d.log.clone(), d.state.classification).expect("log writes");
    assert_eq!(contents.len(), 1, "one content for 1 + {N} entries");
    assert!(log.iter().all(|l| l.content.is_some()));
    c.log = log;
    c.contents = contents;
    s.commit(&c).await.expect("dispatch commit");

    let stored = |h: Arc<Harness>| async move {
        (
            h.raw_number("SELECT CAST(COUNT(*) AS BIGINT) FROM log_contents")
                .await,
            h.raw_number(
                "SELECT CAST(COALESCE(SUM(LENGTH(content)), 0) AS BIGINT) FROM log_contents",
            )
            .await,
            h.raw_number("SELECT CAST(COALESCE(SUM(LENGTH(entry)), 0) AS BIGINT) FROM log")
                .await,
        )
    };
    let (rows, content_chars, entry_chars) = stored(Arc::clone(&h)).await;
    assert_eq!(rows, 1, "the content is stored once");
    let chars = serde_json::to_string(&doc).unwrap().chars().count() as i64;
    assert_eq!(content_chars, chars, "and whole");
    assert!(
        entry_chars < chars,
        "the {} entries hold {entry_chars} characters: the document is not in them",
        N + 1
    );

    // Every unit reads its entry exactly as it was written whole.
    for (unit, text) in &whole {
        let got = s.log_after(unit, 0, 10).await.expect("log_after");
        assert_eq!(got.len(), 1, "{unit}");
        assert_eq!(&got[0].entry, text, "{unit} reads its entry byte for byte");
    }

    // The same content again (a second command carrying it to two more units): not
    // stored again.
    let more: Vec<(UnitCode, gongwen_core::wire::ChangeEntry)> = d
        .log
        .iter()
        .skip(1)
        .take(2)
        .map(|(_, e)| (UnitCode::from(OTHER), e.clone()))
        .collect();
    let mut again = log_commit(&[], "again");
    let (log, contents) = log_writes(more, d.state.classification).expect("log writes");
    again.log = log;
    again.contents = contents;
    s.commit(&again).await.expect("second commit");
    assert_eq!(stored(Arc::clone(&h)).await.0, 1, "still one content");
    let other = s.log_after(&OTHER.into(), 0, 10).await.unwrap();
    assert_eq!(other.len(), 2);
    assert_eq!(other[0].entry, whole[1].1);

    // An entry written whole, as earlier builds wrote every entry, is served as written.
    let (old, _) = dispatch(doc_id(), &sha(0x62));
    let old_text = old.log[0].entry.clone();
    assert!(old.log.iter().all(|l| l.content.is_none()) && old.contents.is_empty());
    s.commit(&old).await.expect("inline commit");
    let fgw = s.log_after(&FGW.into(), 0, 10).await.unwrap();
    assert_eq!(fgw.len(), 2);
    assert_eq!(fgw[0].entry, whole[0].1, "the referring entry");
    assert_eq!(fgw[1].entry, old_text, "the whole entry");
    assert!(old_text.contains("宿发改〔2026〕12号"));

    // A reference to a content that is gone is an error, never an entry without its
    // document.
    h.raw_execute("DELETE FROM log_contents").await;
    assert!(matches!(
        s.log_after(&FGW.into(), 0, 10).await,
        Err(StorageError::Backend(_))
    ));
}

async fn a_dispatch_ends_only_its_users_upload_grant(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let file = sha(0x63);
    for username in ["zhangming", "wangfang"] {
        s.grant_upload(&file, username, Classification::Secret, NOW)
            .await
            .unwrap();
    }
    // zhangming's dispatch lists the file.
    let (c, _) = dispatch(doc_id(), &file);
    assert_eq!(c.command.username, "zhangming");
    s.commit(&c).await.unwrap();
    assert!(!s
        .upload_granted(&file, "zhangming", Classification::Secret)
        .await
        .unwrap());
    assert!(
        s.upload_granted(&file, "wangfang", Classification::Secret)
            .await
            .unwrap(),
        "another uploader's grant outlives a dispatch that is not theirs"
    );
}

async fn a_live_upload_grant_is_found_by_the_time_it_was_given(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let file = sha(0x64);
    assert!(!s
        .upload_granted_since(&file, "2026-01-01T00:00:00.000Z")
        .await
        .unwrap());
    s.grant_upload(
        &file,
        "wangfang",
        Classification::Secret,
        "2026-03-01T08:00:00.000Z",
    )
    .await
    .unwrap();
    for (since, live) in [
        ("2026-02-28T08:00:00.000Z", true),
        ("2026-03-01T08:00:00.000Z", true),
        ("2026-03-01T08:00:00.001Z", false),
    ] {
        assert_eq!(
            s.upload_granted_since(&file, since).await.unwrap(),
            live,
            "given 2026-03-01T08:00:00.000Z, asked since {since}"
        );
    }
    // Uploaded again: the grant is given anew.
    s.grant_upload(
        &file,
        "wangfang",
        Classification::Secret,
        "2026-04-01T08:00:00.000Z",
    )
    .await
    .unwrap();
    assert!(s
        .upload_granted_since(&file, "2026-03-15T00:00:00.000Z")
        .await
        .unwrap());
    assert!(!s
        .upload_granted_since(&sha(0x65), "2026-01-01T00:00:00.000Z")
        .await
        .unwrap());
}

// ---------------------------------------------------------------------------------
// 文号 series.

/// The series 市发改委 numbers its documents in this year (`SeriesKey` text).
const SERIES: &str = "宿发改/2026";

fn number_write(
    number: i64,
    document_id: DocumentId,
    event: NumberEvent,
    reason: Option<&str>,
) -> NumberWrite {
    NumberWrite {
        series: SERIES.into(),
        number,
        document_id,
        event,
        by: "zhangming".into(),
        at: NOW.into(),
        reason: reason.map(str::to_string),
    }
}

/// A command that gives (or cancels) numbers and appends one entry to 市发改委's log,
/// as the 编号 step will.
fn number_commit(writes: Vec<NumberWrite>) -> Commit {
    let mut c = log_commit(&[FGW], "编号");
    c.command.kind = "assign_number".into();
    c.numbers = writes;
    c
}

/// Gives the series' next number to `document_id` the way the server will: read the
/// series' last number, commit last + 1, and on `NumberTaken` read again. Returns the
/// number and how many tries it took.
async fn take_next_number(s: &dyn Storage, document_id: DocumentId) -> (i64, u32) {
    for attempt in 1..=1000u32 {
        let n = s.series_last(SERIES).await.expect("series_last") + 1;
        let c = number_commit(vec![number_write(
            n,
            document_id,
            NumberEvent::Issued,
            None,
        )]);
        match s.commit(&c).await {
            Ok(_) => return (n, attempt),
            Err(StorageError::NumberTaken { series, number }) => {
                assert_eq!((series.as_str(), number), (SERIES, n));
            }
            Err(e) => panic!("numbering {document_id} failed: {e}"),
        }
    }
    panic!("{document_id} found no free number in 1000 tries");
}

/// The register as (number, event, document) rows.
async fn register(s: &dyn Storage) -> Vec<(i64, NumberEvent, DocumentId)> {
    s.number_register(SERIES)
        .await
        .expect("number_register")
        .iter()
        .map(|r| (r.number, r.event, r.document_id))
        .collect()
}

async fn fifty_concurrent_numberings_take_one_to_fifty(h: Arc<Harness>) {
    seed_city(h.storage.as_ref()).await;
    assert_eq!(h.storage.series_last(SERIES).await.unwrap(), 0);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let h = Arc::clone(&h);
            tokio::spawn(async move {
                let document_id = doc_id();
                let (n, tries) = take_next_number(h.storage.as_ref(), document_id).await;
                (document_id, n, tries)
            })
        })
        .collect();
    let mut given: BTreeMap<i64, DocumentId> = BTreeMap::new();
    let mut retries = 0;
    for t in tasks {
        let (document_id, n, tries) = t.await.expect("numbering task");
        retries += tries - 1;
        if let Some(other) = given.insert(n, document_id) {
            panic!("number {n} was given to {other} and to {document_id}");
        }
    }
    eprintln!("50 numberings on one series: {retries} retries after NumberTaken");
    let s = h.storage.as_ref();
    // Unique and consecutive: exactly 1..=50.
    assert_eq!(
        given.keys().copied().collect::<Vec<_>>(),
        (1..=50).collect::<Vec<_>>()
    );
    assert_eq!(s.series_last(SERIES).await.unwrap(), 50);
    // Each number in the register once, to the document that got it, by a recorded
    // command.
    let records = s.number_register(SERIES).await.unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| (r.number, r.event, r.document_id))
            .collect::<Vec<_>>(),
        given
            .iter()
            .map(|(n, d)| (*n, NumberEvent::Issued, *d))
            .collect::<Vec<_>>()
    );
    for r in &records {
        assert_eq!(
            (r.by.as_str(), r.at.as_str(), r.reason.as_deref()),
            ("zhangming", NOW, None)
        );
        assert!(s.command(r.command_id).await.unwrap().is_some());
    }
    // Other series are untouched.
    assert_eq!(s.series_last("宿发改函/2026").await.unwrap(), 0);
    assert!(s.number_register("宿发改/2027").await.unwrap().is_empty());
}

async fn a_cancelled_number_is_recorded_and_never_given_again(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let (a, b, c, d) = (doc_id(), doc_id(), doc_id(), doc_id());
    for (doc, expected) in [(a, 1), (b, 2), (c, 3)] {
        assert_eq!(take_next_number(s, doc).await.0, expected);
    }

    // 取消编号 of the last number given: recorded with who, when and why; the counter
    // stays, so 3 is never given again.
    let why = "签发后发现主送机关有误，撤回重新编号";
    let mut cancel = number_commit(vec![number_write(3, c, NumberEvent::Cancelled, Some(why))]);
    cancel.numbers[0].by = "fgw-leader".into();
    cancel.numbers[0].at = "2026-11-26T09:30:00Z".into();
    s.commit(&cancel).await.expect("cancellation is recorded");
    assert_eq!(s.series_last(SERIES).await.unwrap(), 3);
    let third = number_commit(vec![number_write(3, d, NumberEvent::Issued, None)]);
    match s.commit(&third).await {
        Err(StorageError::NumberTaken { series, number }) => {
            assert_eq!((series.as_str(), number), (SERIES, 3))
        }
        res => panic!("giving the cancelled number 3 again gave {res:?}"),
    }
    assert_eq!(s.command(third.command.command_id).await.unwrap(), None);
    // The next number is last + 1, whoever takes it (here the re-numbered document).
    assert_eq!(take_next_number(s, c).await, (4, 1));

    let records = s.number_register(SERIES).await.unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| (r.number, r.event, r.document_id))
            .collect::<Vec<_>>(),
        vec![
            (1, NumberEvent::Issued, a),
            (2, NumberEvent::Issued, b),
            (3, NumberEvent::Issued, c),
            (3, NumberEvent::Cancelled, c),
            (4, NumberEvent::Issued, c),
        ]
    );
    assert_eq!(
        records[3],
        NumberRecord {
            series: SERIES.into(),
            number: 3,
            document_id: c,
            event: NumberEvent::Cancelled,
            command_id: cancel.command.command_id,
            by: "fgw-leader".into(),
            at: "2026-11-26T09:30:00Z".into(),
            reason: Some(why.into()),
        }
    );

    // A cancellation must name a number given to that document, once.
    let before = (register(s).await, snapshot(s).await);
    let bad = [
        (3, c, "a second cancellation of 3"),
        (9, c, "a number never given"),
        (2, a, "number 2 of another document"),
    ];
    for (n, doc, what) in bad {
        let cancel = number_commit(vec![number_write(
            n,
            doc,
            NumberEvent::Cancelled,
            Some("误"),
        )]);
        match s.commit(&cancel).await {
            Err(StorageError::AlreadyExists { .. }) if n == 3 => {}
            Err(StorageError::NotFound {
                what: "issued number",
                ..
            }) if n != 3 => {}
            res => panic!("{what} gave {res:?}"),
        }
        assert_eq!(s.command(cancel.command.command_id).await.unwrap(), None);
    }
    assert_eq!((register(s).await, snapshot(s).await), before);
    assert_eq!(s.series_last(SERIES).await.unwrap(), 4);
}

async fn a_failed_commit_leaves_the_series_and_its_register_unchanged(h: Arc<Harness>) {
    let s = h.storage.as_ref();
    seed_city(s).await;
    let first = doc_id();
    let (n, _) = take_next_number(s, first).await;
    assert_eq!(n, 1);
    let (dispatched, _) = dispatch(doc_id(), &sha(0x60));
    s.commit(&dispatched).await.unwrap();
    let before = (register(s).await, snapshot(s).await);
    let before = &before;
    let unchanged = |label: &'static str| async move {
        assert_eq!(s.series_last(SERIES).await.unwrap(), 1, "{label}");
        assert_eq!(&(register(s).await, snapshot(s).await), before, "{label}");
    };

    // A command id already recorded (a re-send that lost the race).
    let mut dup = number_commit(vec![number_write(2, doc_id(), NumberEvent::Issued, None)]);
    dup.command.command_id = dispatched.command.command_id;
    assert!(matches!(
        s.commit(&dup).await,
        Err(StorageError::DuplicateCommand(_))
    ));
    unchanged("duplicate command").await;

    // A workflow that changed since it was read: the number goes back with it.
    let (mut stale, _) = dispatch(
        dispatched.workflow.as_ref().unwrap().document_id,
        &sha(0x61),
    );
    stale.numbers = vec![number_write(2, doc_id(), NumberEvent::Issued, None)];
    assert!(matches!(
        s.commit(&stale).await,
        Err(StorageError::Conflict(_))
    ));
    unchanged("workflow conflict").await;

    // A number already taken, after a first number of the same commit that was free:
    // neither is kept, nor the command's log and audit entries.
    let other = doc_id();
    let twice = number_commit(vec![
        number_write(2, other, NumberEvent::Issued, None),
        number_write(2, other, NumberEvent::Issued, None),
    ]);
    assert!(matches!(
        s.commit(&twice).await,
        Err(StorageError::NumberTaken { number: 2, .. })
    ));
    assert_eq!(s.command(twice.command.command_id).await.unwrap(), None);
    unchanged("number taken").await;

    // And the series goes on from where it was.
    assert_eq!(take_next_number(s, other).await, (2, 1));
}

// ---------------------------------------------------------------------------------
// 移交 (transfers).

fn transfer(id: Uuid, codes: &[&str]) -> gongwen_core::transfer::Transfer {
    use gongwen_core::transfer::{CheckSummary, Person, Transfer, TransferStatus};
    Transfer {
        id,
        from: FGW.into(),
        from_name: "宿州市发展和改革委员会".into(),
        to: "sz-daj".into(),
        to_name: "宿州市档案馆".into(),
        fonds_code: "Z109".into(),
        year: 2026,
        archival_codes: codes.iter().map(|c| c.to_string()).collect(),
        items: codes.len() as u64,
        bytes: 1000,
        files: Vec::new(),
        classification: Classification::Unclassified,
        sent_by: Person {
            username: "fgw-archivist".into(),
            name: "王档".into(),
        },
        sent_at: NOW.into(),
        status: TransferStatus::Arrived,
        check: CheckSummary {
            items_checked: codes.len() as u64,
            passed: 10,
            failed: 0,
            not_checked: 0,
            findings: Vec::new(),
            scanner: None,
        },
        decided_by: None,
        decided_at: None,
        reason: None,
    }
}

fn transfer_commit(
    t: gongwen_core::transfer::Transfer,
    expected: Option<gongwen_core::transfer::TransferStatus>,
) -> Commit {
    let mut c = log_commit(&[FGW, "sz-daj"], "移交");
    c.command.kind = "transfer".into();
    c.transfer = Some(gongwen_exchange::storage::TransferWrite {
        transfer: t,
        expected,
        report: expected.is_none().then(|| r#"{"results":[]}"#.to_string()),
    });
    c
}

async fn a_transfer_is_kept_once_and_decided_once(h: Arc<Harness>) {
    use gongwen_core::transfer::TransferStatus;
    let s = h.storage.as_ref();
    let (x, y) = (Uuid::new_v4(), Uuid::new_v4());
    let c1 = "Z109-WS·2026-Y-BGS-0001";
    let c2 = "Z109-WS·2026-Y-BGS-0002";
    s.commit(&transfer_commit(transfer(x, &[c1, c2]), None))
        .await
        .expect("the first transfer is kept");
    let before = snapshot(s).await;

    // The same id again, or another transfer holding one of its 档号: nothing written.
    let again = transfer_commit(transfer(x, &[c1, c2]), None);
    assert!(matches!(
        s.commit(&again).await,
        Err(StorageError::Conflict(_))
    ));
    let overlap = transfer_commit(transfer(y, &[c2]), None);
    assert!(matches!(
        s.commit(&overlap).await,
        Err(StorageError::Conflict(_))
    ));
    assert!(s
        .command(overlap.command.command_id)
        .await
        .unwrap()
        .is_none());
    assert!(s.transfer(y).await.unwrap().is_none());
    assert_eq!(snapshot(s).await, before);
    assert_eq!(
        s.transfers_holding(&[c1.into(), c2.into(), "Z109-WS·2026-Y-BGS-0003".into()])
            .await
            .unwrap(),
        vec![(c1.to_string(), x), (c2.to_string(), x)]
    );
    let kept = s.transfer(x).await.unwrap().expect("kept");
    assert_eq!(kept.report, r#"{"results":[]}"#);
    assert_eq!(s.transfers(&FGW.into()).await.unwrap().len(), 1);
    assert_eq!(s.transfers(&"sz-daj".into()).await.unwrap().len(), 1);
    assert!(s.transfers(&TJJ.into()).await.unwrap().is_empty());

    // Decided once: a second decision on the status it saw loses.
    let mut accepted = kept.transfer.clone();
    accepted.status = TransferStatus::Accepted;
    s.commit(&transfer_commit(
        accepted.clone(),
        Some(TransferStatus::Arrived),
    ))
    .await
    .expect("accepted");
    let mut returned = kept.transfer.clone();
    returned.status = TransferStatus::Returned;
    let late = transfer_commit(returned, Some(TransferStatus::Arrived));
    assert!(matches!(
        s.commit(&late).await,
        Err(StorageError::Conflict(_))
    ));
    assert!(s.command(late.command.command_id).await.unwrap().is_none());
    let now = s.transfer(x).await.unwrap().unwrap();
    assert_eq!(now.transfer.status, TransferStatus::Accepted);
    assert_eq!(now.report, r#"{"results":[]}"#, "the report stays");

    // A 退回 releases its 档号 for a corrected batch.
    let z = Uuid::new_v4();
    let c3 = "Z109-WS·2026-D10-BGS-0001";
    let t = transfer(z, &[c3]);
    s.commit(&transfer_commit(t.clone(), None)).await.unwrap();
    let mut back = t;
    back.status = TransferStatus::Returned;
    back.reason = Some("正本摘要不符".into());
    s.commit(&transfer_commit(back, Some(TransferStatus::Arrived)))
        .await
        .unwrap();
    assert!(s.transfers_holding(&[c3.into()]).await.unwrap().is_empty());
    assert_eq!(
        s.transfers_holding(&[c1.into()]).await.unwrap(),
        vec![(c1.to_string(), x)],
        "an accepted transfer keeps its 档号"
    );
}
