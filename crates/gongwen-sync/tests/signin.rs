//! `log_in` and `log_out`, which the app and the CLI share, against a real
//! `gongwen-exchange` process on 127.0.0.1: the account is remembered, the token kept
//! in the keyring when there is one (or said to be not kept), and a logout ends the
//! store's view, revokes the token on the server and forgets it in the keyring.
//!
//! Runs with or without a keyring (inside `dbus-run-session` with gnome-keyring, or
//! not); each outcome is checked for what it must be.
//! Needs the server binary: `cargo build -p gongwen-exchange` first (or set
//! `GONGWEN_EXCHANGE_BIN`).

#[path = "../../gongwen-exchange/tests/common/mod.rs"]
mod exchange_server;

use std::sync::Mutex;

use exchange_server::{TestServer, DEMO_PASSWORD};
use gongwen_store::Store;
use gongwen_sync::credentials::{self, CredentialError};
use gongwen_sync::{log_in, log_out, Client, SyncError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_is_kept_and_a_logout_ends_it_everywhere() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opened = Store::open(dir.path()).unwrap();
    let client = Client::new(&server.url, &opened.client_id().unwrap()).unwrap();
    let store = Mutex::new(opened);

    let wrong = log_in(&client, &store, "fgw-clerk", "not the password").await;
    assert!(matches!(wrong, Err(SyncError::Unauthorized { .. })));
    assert!(store.lock().unwrap().signed_in().unwrap().is_none());

    let logged_in = log_in(&client, &store, "fgw-clerk", DEMO_PASSWORD)
        .await
        .unwrap();
    let token = logged_in.response.token.clone();
    let account = store.lock().unwrap().signed_in().unwrap().unwrap();
    assert_eq!(account.user.username, "fgw-clerk");
    let kept = credentials::load_token(client.server(), "fgw-clerk");
    match &logged_in.not_kept {
        None => assert_eq!(kept.unwrap().as_deref(), Some(token.as_str())),
        Some(CredentialError::Unavailable(_)) => {
            assert!(matches!(kept, Err(CredentialError::Unavailable(_))))
        }
        Some(other) => panic!("the keyring refused: {other}"),
    }
    client.directory(&token).await.expect("the token works");

    // The app passes the token it holds; the CLI passes none and the keyring's is used.
    let out = log_out(&store, Some(token.clone())).await.unwrap();
    assert_eq!(out.account.as_ref(), Some(&account));
    assert!(out.not_revoked.is_none(), "{:?}", out.not_revoked);
    if logged_in.not_kept.is_none() {
        assert!(out.keyring.is_none(), "{:?}", out.keyring);
        assert_eq!(
            credentials::load_token(client.server(), "fgw-clerk").unwrap(),
            None
        );
    }
    assert!(matches!(
        client.directory(&token).await,
        Err(SyncError::Unauthorized { .. })
    ));
    let s = store.lock().unwrap();
    assert!(s.signed_in().unwrap().is_none(), "the store's view ended");
    assert_eq!(s.account().unwrap(), Some(account), "still remembered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_without_a_login_only_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mutex::new(Store::open(dir.path()).unwrap());
    let out = log_out(&store, None).await.unwrap();
    assert!(out.account.is_none());
    assert!(out.not_revoked.is_none());
}
