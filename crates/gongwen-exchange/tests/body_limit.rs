//! A JSON body over `max_body_bytes` against a real server process on 127.0.0.1: the
//! 413 reaches a client that is still sending (the body is read and thrown away, up to
//! a bound, before the answer), and a body declared beyond that bound is refused at
//! once, unread. The client's side of it: `gongwen-sync`'s
//! `outbox_faults::a_command_over_the_body_limit_is_refused_alone`.

#[path = "common/api.rs"]
mod api;
mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use api::login_as;
use common::TestServer;

const LIMIT: &str = "65536";

fn connect(server: &TestServer) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

fn push_head(token: &str, length: usize) -> String {
    format!(
        "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// The status line of the answer, read to the end of its headers.
fn status_line(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).expect("read the answer");
        assert!(n > 0, "the server closed without an answer");
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    text.lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_still_sending_an_over_limit_body_gets_the_413() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_BODY_BYTES", LIMIT)]);
    let token = login_as(&server, "fgw-clerk").await;
    let body = format!(r#"{{"commands":["{}"]}}"#, "x".repeat(200_000));
    let mut s = connect(&server);
    s.write_all(push_head(&token, body.len()).as_bytes())
        .unwrap();
    let (first, rest) = body.as_bytes().split_at(100_000);
    s.write_all(first).unwrap();
    // Give a server that answers before reading the body the time to answer and
    // close: the rest of the body then meets a closed connection (a broken pipe, which
    // a client takes for a network fault and retries for ever).
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut peek = [0u8; 1];
    match s.peek(&mut peek) {
        // An answer before the body: let the close that follows it arrive too.
        Ok(_) => std::thread::sleep(Duration::from_millis(500)),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        Err(e) => panic!("waiting for an early answer: {e}"),
    }
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(rest)
        .expect("the rest of the body is taken, not refused by a closed connection");
    assert!(status_line(&mut s).starts_with("HTTP/1.1 413"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_declared_beyond_the_bound_is_refused_unread() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_BODY_BYTES", LIMIT)]);
    let token = login_as(&server, "fgw-clerk").await;
    // 1 GB announced, nothing sent: the server must not wait to read any of it.
    let mut s = connect(&server);
    s.write_all(push_head(&token, 1 << 30).as_bytes()).unwrap();
    assert!(status_line(&mut s).starts_with("HTTP/1.1 413"));
    // And it was not read: the connection is closed after the answer.
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("after the 413: {e}"),
        }
    }
}
