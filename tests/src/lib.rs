//! The harness of Gongwen Desk's end-to-end tests; the stories are in `tests/*.rs`.
//!
//! `tests/window.rs` drives the real app window through tauri-driver and WebKitWebDriver
//! under Xvfb (see its module docs), beside a real exchange server and the `gongwen` CLI
//! acting for other units. This library is that harness: starting the app
//! ([`app`]), reading and acting on the page ([`page`]), the app's dialogs ([`dialogs`]),
//! the exchange server and CLI ([`server`]), a slow line to it ([`proxy`]), data folders
//! seeded before a start ([`seed`]) and the X screen: sizes, windows and focus ([`screen`]).
//! Nothing here is used by the app.

pub mod app;
pub mod dialogs;
pub mod notifications;
pub mod page;
pub mod proxy;
pub mod screen;
pub mod seed;
pub mod server;
