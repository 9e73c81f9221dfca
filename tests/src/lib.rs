//! End-to-end tests of Gongwen Desk live in `tests/*.rs`; this library is empty.
//!
//! `tests/window.rs` drives the real app window through tauri-driver and WebKitWebDriver
//! (run it under Xvfb, see the test's module docs). Nothing here is used by the app.
