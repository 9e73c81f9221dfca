//! The window's first size: 1280×800 where that fits, otherwise the screen's work area
//! (a 1366×768 laptop's, less its panels), so the status bar at the bottom is on screen.

use tauri::{LogicalPosition, LogicalSize, Runtime, WebviewWindow};

/// The size the window was designed at.
const PREFERRED: (f64, f64) = (1280.0, 800.0);
/// `minWidth`/`minHeight` in tauri.conf.json: below this the layout breaks.
const MINIMUM: (f64, f64) = (960.0, 600.0);
/// Room for the window manager's title bar and frame, which the inner size excludes.
const FRAME: (f64, f64) = (16.0, 40.0);

/// The inner size for a work area of `area` logical pixels.
pub(crate) fn fitting_size(area: (f64, f64)) -> (f64, f64) {
    let fit = |preferred: f64, minimum: f64, area: f64, frame: f64| {
        if preferred + frame <= area {
            preferred
        } else {
            (area - frame).floor().max(minimum)
        }
    };
    (
        fit(PREFERRED.0, MINIMUM.0, area.0, FRAME.0),
        fit(PREFERRED.1, MINIMUM.1, area.1, FRAME.1),
    )
}

/// Sizes and centres the window within the work area of its monitor.
pub(crate) fn fit_window<R: Runtime>(window: &WebviewWindow<R>) {
    let monitor = match window.current_monitor() {
        Ok(Some(m)) => Some(m),
        _ => window.primary_monitor().ok().flatten(),
    };
    let Some(monitor) = monitor else {
        tracing::warn!("no monitor reported; the window keeps its configured size");
        return;
    };
    let scale = monitor.scale_factor();
    let area = monitor.work_area();
    let (x, y) = (
        f64::from(area.position.x) / scale,
        f64::from(area.position.y) / scale,
    );
    let (w, h) = (
        f64::from(area.size.width) / scale,
        f64::from(area.size.height) / scale,
    );
    let (width, height) = fitting_size((w, h));
    tracing::info!(area = ?(w, h), size = ?(width, height), "window fitted to the work area");
    if let Err(e) = window.set_size(LogicalSize::new(width, height)) {
        tracing::warn!(error = %e, "cannot size the window");
    }
    let left = x + ((w - width - FRAME.0) / 2.0).max(0.0);
    let top = y + ((h - height - FRAME.1) / 2.0).max(0.0);
    if let Err(e) = window.set_position(LogicalPosition::new(left, top)) {
        tracing::warn!(error = %e, "cannot place the window");
    }
}

#[cfg(test)]
mod tests {
    use super::fitting_size;

    #[test]
    fn the_window_fits_the_work_area() {
        assert_eq!(fitting_size((1920.0, 1040.0)), (1280.0, 800.0));
        // A 1366×768 laptop with a 32-px panel: the height shrinks, the width fits.
        assert_eq!(fitting_size((1366.0, 736.0)), (1280.0, 696.0));
        assert_eq!(fitting_size((1280.0, 1024.0)), (1264.0, 800.0));
        // Never below the minimum the layout needs.
        assert_eq!(fitting_size((800.0, 500.0)), (960.0, 600.0));
    }
}
