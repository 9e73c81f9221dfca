//! A TCP proxy on 127.0.0.1 that slows what the exchange sends back, so a transfer takes
//! long enough for the window to show it moving (as on a slow office line). Threads, not
//! async: it must keep forwarding whatever the test's runtime is doing.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct SlowProxy {
    pub url: String,
    closed: Arc<AtomicBool>,
}

/// Bytes forwarded at a time, server → client; after each, the proxy sleeps.
const CHUNK: usize = 16 * 1024;

impl SlowProxy {
    /// Forwards to `127.0.0.1:target_port`, sending at most `bytes_per_second` back.
    pub fn start(target_port: u16, bytes_per_second: u64) -> SlowProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().expect("proxy address").port();
        let closed = Arc::new(AtomicBool::new(false));
        let pause = Duration::from_secs_f64(CHUNK as f64 / bytes_per_second.max(1) as f64);
        let stop = Arc::clone(&closed);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                std::thread::spawn(move || pump(client, server, Duration::ZERO));
                std::thread::spawn(move || pump(server2, client2, pause));
            }
        });
        SlowProxy {
            url: format!("http://127.0.0.1:{port}"),
            closed,
        }
    }
}

impl Drop for SlowProxy {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `closed`.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, pause: Duration) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
