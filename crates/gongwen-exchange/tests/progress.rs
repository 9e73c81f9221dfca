//! The progress a long transfer reports (the app's status bar shows it): a first sync
//! of more than one page of the log, and an attachment download, both through a TCP
//! proxy that slows the server's answers, so the transfers take long enough to move.

mod clients;
mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use clients::{random_file, sha256_of, Proxy, Side};
use common::TestServer;
use gongwen_sync::{Transfer, TransferKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_and_an_attachment_download_report_bytes_and_time_left_as_they_go() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.port);
    let fgw = Side::login(&server.url, "fgw-clerk").await;

    // More than one page of the recipient's log (the client pulls 500 entries a page),
    // and one document with a 3 MB file.
    for n in 0..520 {
        let id = fgw.draft(&format!("关于第{n}批重点项目的通知"));
        fgw.store()
            .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
            .expect("queue dispatch");
    }
    let with_file = fgw.draft("关于报送项目图纸的通知");
    let file = random_file(fgw.dir.path(), "图纸.pdf", 3 * 1024 * 1024, 7);
    let sha = sha256_of(&file);
    fgw.store()
        .add_attachment_file(with_file, "项目图纸", &file)
        .expect("attachment");
    fgw.store()
        .queue_dispatch(with_file, vec!["sz-tjj".into()], vec![])
        .expect("queue dispatch");
    let sent = fgw.sync().await;
    assert_eq!(sent.rejected, 0);

    let mut tjj = Side::login(&proxy.url, "tjj-clerk").await;
    let seen: Arc<Mutex<Vec<Transfer>>> = Arc::default();
    let sink = Arc::clone(&seen);
    tjj.client = tjj
        .client
        .clone()
        .with_progress(Arc::new(move |t: &Transfer| {
            sink.lock().unwrap().push(t.clone())
        }));
    // 16 KiB per 4 ms: about 4 MB/s, so the 3 MB file takes most of a second.
    proxy
        .control
        .throttle_down_us
        .store(4_000, Ordering::SeqCst);
    let report = tjj.sync().await;
    assert_eq!(report.downloaded, 1, "{report:?}");
    let seen = seen.lock().unwrap().clone();

    // The pull: entries counted against the log's length, bytes growing, then done.
    let pull: Vec<&Transfer> = seen
        .iter()
        .filter(|t| t.what == TransferKind::Pull)
        .collect();
    let last = pull.last().expect("the first sync reported its pull");
    assert!(last.finished, "the pull's last report ends it: {last:?}");
    let total = last.total_entries.expect("the log's length is known");
    assert!(total > 500, "{total} entries");
    assert_eq!(last.entries, total, "all entries read at the end");
    assert!(pull
        .windows(2)
        .all(|w| w[0].entries <= w[1].entries && w[0].bytes <= w[1].bytes));
    assert!(last.bytes > 0);

    // The download: its size known ahead, bytes growing over several reports, time left
    // told while it runs, the whole file at the end.
    let download: Vec<&Transfer> = seen
        .iter()
        .filter(|t| {
            t.what
                == TransferKind::Download {
                    sha256: sha.clone(),
                }
        })
        .collect();
    let size = 3 * 1024 * 1024;
    let running: Vec<&&Transfer> = download.iter().filter(|t| !t.finished).collect();
    assert!(
        running.len() >= 3,
        "the download should be seen moving, not only at its end: {download:?}"
    );
    assert!(running.iter().all(|t| t.total_bytes == Some(size)));
    assert!(running.windows(2).all(|w| w[0].bytes < w[1].bytes));
    assert!(
        running.iter().skip(1).any(|t| t.seconds_left.is_some()),
        "no time left told: {running:?}"
    );
    let end = download.last().expect("the download reported");
    assert!(end.finished && end.bytes == size, "{end:?}");
}
