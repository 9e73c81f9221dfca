//! Who may file: a filing is permanent, so it is made only by the logged-in 档案员 of
//! the unit, only of documents that account may see. Each refusal leaves nothing: no
//! batch folder, no half-written one beside it, no filing in the store.

mod common;

use std::path::Path;

use common::*;
use gongwen_archive::file::FileOptions;
use gongwen_archive::UnitKey;
use gongwen_archive::{ArchiveError, Proposal, RetentionTable};
use gongwen_core::flow::FlowKind;
use gongwen_core::wire::Role;
use gongwen_core::Classification;
use gongwen_store::{Account, Store};

fn try_file(store: &mut Store, dir: &Path, proposal: &Proposal) -> Result<(), ArchiveError> {
    let fonts = fonts();
    gongwen_archive::file(
        store,
        &config(),
        proposal,
        &FileOptions {
            out: &dir.join("batch"),
            key: &UnitKey::generate(),
            fonts: &fonts,
        },
    )
    .map(|_| ())
}

fn propose(store: &Store) -> Proposal {
    gongwen_archive::propose(store, &config(), &RetentionTable::default(), 2026).unwrap()
}

/// Nothing of a refused filing is left on disk or in the store (read as `reader`).
fn nothing_filed(store: &mut Store, dir: &Path, proposal: &Proposal, reader: &Account) {
    assert!(!dir.join("batch").exists(), "a batch folder was left");
    assert!(!dir.join(".batch.part").exists(), "a half batch was left");
    store.set_account(Some(reader)).unwrap();
    for item in &proposal.items {
        assert!(
            store.filing(item.document_id).unwrap().is_none(),
            "{} was recorded as filed",
            item.title
        );
    }
}

fn with(role: Role, unit: &str, clearance: Classification) -> Account {
    let mut a = archivist();
    a.user.username = format!("{unit}-{}", role.label());
    a.user.role = role;
    a.user.unit = unit.into();
    a.user.clearance = clearance;
    a
}

#[test]
fn only_the_logged_in_archivist_of_the_unit_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    let proposal = propose(&store);
    assert_eq!(proposal.items.len(), 3);

    // 退出登录: the account is remembered for the login dialog, but files nothing.
    store.sign_out().unwrap();
    let e =
        gongwen_archive::propose(&store, &config(), &RetentionTable::default(), 2026).unwrap_err();
    assert!(matches!(e, ArchiveError::NotSignedIn), "{e}");
    let e = try_file(&mut store, dir.path(), &proposal).unwrap_err();
    assert!(matches!(e, ArchiveError::NotSignedIn), "{e}");
    assert!(e.to_string().contains("log in"), "{e}");
    nothing_filed(&mut store, dir.path(), &proposal, &archivist());

    // A clerk of the same unit.
    let clerk = with(Role::Clerk, "sz-fgw", Classification::Secret);
    store.set_account(Some(&clerk)).unwrap();
    let e = try_file(&mut store, dir.path(), &proposal).unwrap_err();
    assert!(matches!(e, ArchiveError::NotArchivist { .. }), "{e}");
    assert!(e.to_string().contains("档案员"), "{e}");
    nothing_filed(&mut store, dir.path(), &proposal, &archivist());

    // Another unit's archivist on the same computer: nothing is proposed to them, and
    // the first unit's proposal, brought along, is refused.
    let other = with(Role::Archivist, "sz-tjj", Classification::Secret);
    store.set_account(Some(&other)).unwrap();
    assert!(propose(&store).items.is_empty());
    let e = try_file(&mut store, dir.path(), &proposal).unwrap_err();
    assert!(e.to_string().contains("not 办结 in this store"), "{e}");
    nothing_filed(&mut store, dir.path(), &proposal, &archivist());

    // The unit's own archivist files it all.
    store.set_account(Some(&archivist())).unwrap();
    try_file(&mut store, dir.path(), &proposal).unwrap();
    for item in &proposal.items {
        assert!(store.filing(item.document_id).unwrap().is_some());
    }
}

#[test]
fn a_document_above_the_archivists_clearance_is_neither_proposed_nor_filed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    let cleared = with(Role::Archivist, "sz-fgw", Classification::Secret);
    store.set_account(Some(&cleared)).unwrap();
    // A 收文 通知 (定期10年) sorts last, so the refusal comes after three 件 were
    // written: they must go too.
    let mut secret = notice(
        "关于开展重大风险隐患排查整治的通知",
        "宿统〔2026〕18号",
        "2026年11月26日",
    );
    secret.classification = Classification::Secret;
    secret.copy_number = "000001".into();
    secret.secrecy_term = "10年".into();
    let files = dir.path().join("files");
    let id = add_finished(
        &mut store,
        &files,
        &secret,
        FlowKind::Incoming,
        "2026-11-26",
        4,
        None,
    );
    let full = propose(&store);
    assert_eq!(
        full.items.len(),
        4,
        "the cleared archivist is proposed the 机密 件"
    );

    // The unit's archivist cleared for 秘密 only.
    store.set_account(Some(&archivist())).unwrap();
    let mine = propose(&store);
    assert_eq!(mine.items.len(), 3);
    assert!(mine.items.iter().all(|i| i.document_id != id));
    let e = try_file(&mut store, dir.path(), &full).unwrap_err();
    assert!(
        !e.to_string().contains(&secret.title),
        "names nothing of it: {e}"
    );
    nothing_filed(&mut store, dir.path(), &full, &cleared);
}
