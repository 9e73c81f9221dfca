//! What is on the X screen, as a user sees it: the screen's size, where a top-level
//! window (the app's, a GTK file dialog) is drawn, which window has the keyboard, and
//! where an element of the page is drawn inside the window. For the tests that the app
//! fits a small screen (`cargo xtask window --screen 1366x768`) and that a second start
//! brings the running window forward.

use std::time::{Duration, Instant};

use fantoccini::Client;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{self, ConnectionExt as _, MapState};
use x11rb::rust_connection::RustConnection;

use crate::app::WAIT;
use crate::page::find;

/// A rectangle in pixels: left, top, width, height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.width
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }
    /// Whether all of `self` lies inside `outer` (half a pixel of rounding allowed).
    pub fn inside(&self, outer: &Rect) -> bool {
        self.x >= outer.x - 0.5
            && self.y >= outer.y - 0.5
            && self.right() <= outer.right() + 0.5
            && self.bottom() <= outer.bottom() + 0.5
    }
}

fn connect() -> (RustConnection, usize) {
    // A loaded Xvfb sometimes resets a new connection; a moment later it takes it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match x11rb::connect(None) {
            Ok(connected) => return connected,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("cannot reach the X display; run the test under xvfb-run: {e}"),
        }
    }
}

/// The whole screen.
pub fn screen_rect() -> Rect {
    let (conn, screen) = connect();
    let s = &conn.setup().roots[screen];
    Rect {
        x: 0.0,
        y: 0.0,
        width: f64::from(s.width_in_pixels),
        height: f64::from(s.height_in_pixels),
    }
}

/// The top-level windows shown now whose title is `title`, with where each is on screen.
pub fn windows_titled(title: &str) -> Vec<(u32, Rect)> {
    let (conn, screen) = connect();
    let atom = |name: &str| {
        conn.intern_atom(false, name.as_bytes())
            .expect("intern atom")
            .reply()
            .expect("intern atom reply")
            .atom
    };
    let (net_wm_name, utf8) = (atom("_NET_WM_NAME"), atom("UTF8_STRING"));
    let root = conn.setup().roots[screen].root;
    let children = conn
        .query_tree(root)
        .expect("query windows")
        .reply()
        .expect("query windows reply")
        .children;
    let mut found = Vec::new();
    for window in children {
        let Ok(Ok(name)) = conn
            .get_property(false, window, net_wm_name, utf8, 0, 256)
            .map(|c| c.reply())
        else {
            continue;
        };
        let viewable = conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        if name.value != title.as_bytes() || !viewable {
            continue;
        }
        let Some(geometry) = conn.get_geometry(window).ok().and_then(|c| c.reply().ok()) else {
            continue;
        };
        let Some(at) = conn
            .translate_coordinates(window, root, 0, 0)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            continue;
        };
        found.push((
            window,
            Rect {
                x: f64::from(at.dst_x),
                y: f64::from(at.dst_y),
                width: f64::from(geometry.width),
                height: f64::from(geometry.height),
            },
        ));
    }
    found
}

/// Where the one window titled `title` is, once it is shown (waits for it).
pub fn window_rect(title: &str) -> (u32, Rect) {
    let deadline = Instant::now() + WAIT;
    loop {
        let mut shown = windows_titled(title);
        match shown.len() {
            1 => return shown.remove(0),
            0 if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            n => panic!("expected one window titled {title:?} on screen, found {n}"),
        }
    }
}

/// Whether the keyboard focus is in `window` (on it or on one of its sub-windows).
pub fn has_focus(window: u32) -> bool {
    let (conn, _) = connect();
    let Some(mut focus) = conn
        .get_input_focus()
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| r.focus)
    else {
        return false;
    };
    // Walk up from the focused window: GTK may focus a child of its top-level.
    for _ in 0..16 {
        if focus == window {
            return true;
        }
        match conn.query_tree(focus).ok().and_then(|c| c.reply().ok()) {
            Some(tree) if tree.parent != x11rb::NONE && tree.parent != tree.root => {
                focus = tree.parent
            }
            _ => return false,
        }
    }
    false
}

/// A plain window of another program, mapped and holding the keyboard focus until
/// dropped: the app's window is then in the background, as when the user is in another
/// program.
pub struct OtherProgram {
    conn: RustConnection,
    pub window: u32,
}

impl OtherProgram {
    pub fn take_focus() -> OtherProgram {
        let (conn, screen) = connect();
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().expect("an X id");
        conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            window,
            root,
            0,
            0,
            400,
            300,
            0,
            xproto::WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &xproto::CreateWindowAux::new(),
        )
        .expect("create a window");
        conn.map_window(window).expect("map the window");
        conn.flush().expect("flush X requests");
        // Focus can only go to a window once it is viewable.
        let deadline = Instant::now() + WAIT;
        loop {
            let viewable = conn
                .get_window_attributes(window)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|a| a.map_state == MapState::VIEWABLE);
            if viewable {
                break;
            }
            assert!(Instant::now() < deadline, "our window never showed");
            std::thread::sleep(Duration::from_millis(50));
        }
        conn.set_input_focus(xproto::InputFocus::PARENT, window, x11rb::CURRENT_TIME)
            .expect("focus our window");
        // A round trip: the focus has moved once the server answers.
        conn.get_input_focus()
            .expect("ask for the focus")
            .reply()
            .expect("the focus");
        OtherProgram { conn, window }
    }
}

impl Drop for OtherProgram {
    fn drop(&mut self) {
        let _ = self.conn.destroy_window(self.window);
        // A round trip, so the window is gone before this connection closes (a loaded
        // X server may drop requests it had not read when it sees the hang-up).
        let _ = self.conn.get_input_focus().map(|c| c.reply());
    }
}

/// The page's viewport (the window's inner size) in CSS pixels.
pub async fn viewport(c: &Client) -> Rect {
    let size = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .expect("read the viewport size");
    let at = |i: usize| size[i].as_f64().expect("a number");
    Rect {
        x: 0.0,
        y: 0.0,
        width: at(0),
        height: at(1),
    }
}

/// Where an element is drawn in the viewport.
pub async fn element_rect(c: &Client, xpath: &str) -> Rect {
    let (x, y, width, height) = find(c, xpath)
        .await
        .rectangle()
        .await
        .unwrap_or_else(|e| panic!("cannot read where {xpath} is: {e}"));
    Rect {
        x,
        y,
        width,
        height,
    }
}

/// Fails unless the element is wholly inside the viewport, and the viewport wholly on
/// the screen: then the user can see it without moving the window.
pub async fn assert_fully_visible(c: &Client, xpath: &str, what: &str) {
    let viewport = viewport(c).await;
    let rect = element_rect(c, xpath).await;
    assert!(
        rect.width > 0.0 && rect.height > 0.0 && rect.inside(&viewport),
        "{what} is drawn at {rect:?}, outside the window's {viewport:?}"
    );
    let (_, window) = window_rect("公文桌");
    let screen = screen_rect();
    assert!(
        window.inside(&screen),
        "the window is at {window:?}, not within the {screen:?} screen, so {what} at \
         {rect:?} is off screen"
    );
}
