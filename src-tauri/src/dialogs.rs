//! Native file dialogs (添加附件文件, 另存为, 导出PDF), opened by the shell so the page
//! never names a path.
//!
//! On Linux the GTK dialog is built and run on the app's main thread, modal over the
//! window. tauri-plugin-dialog is not used there: its GTK backend (rfd) starts a second
//! thread that iterates GTK's main context beside Tauri's for the rest of the process,
//! so events of the whole window could be dispatched off the main thread. Elsewhere the
//! plugin's dialogs are the platform's own and are used as they are.

use std::path::PathBuf;

use tauri::AppHandle;

use crate::commands::Answer;

/// What to ask the user for.
pub(crate) enum Ask {
    /// An existing file to read.
    Open { title: &'static str },
    /// Where to write a new file; `file_name` is offered, `filter` narrows the list.
    Save {
        title: &'static str,
        file_name: String,
        filter: Option<(&'static str, &'static [&'static str])>,
    },
}

/// Shows the dialog and waits for it; the local path chosen, `None` when cancelled.
pub(crate) async fn choose(app: &AppHandle, ask: Ask) -> Answer<Option<PathBuf>> {
    imp::choose(app, ask).await
}

#[cfg(target_os = "linux")]
mod imp {
    use std::cell::RefCell;
    use std::path::PathBuf;

    use gtk::prelude::*;
    use tauri::{AppHandle, Manager};

    use super::Ask;
    use crate::commands::Answer;

    pub(super) async fn choose(app: &AppHandle, ask: Ask) -> Answer<Option<PathBuf>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let window = app.get_webview_window("main");
        app.run_on_main_thread(move || {
            let parent = window.and_then(|w| w.gtk_window().ok());
            show(ask, parent.as_ref(), tx);
        })
        .map_err(|e| {
            tracing::error!(error = %e, "cannot open the file dialog");
            "无法打开文件对话框。".to_string()
        })?;
        // A dropped sender (the window closed under the dialog) counts as cancelled.
        Ok(rx.await.ok().flatten())
    }

    fn show(
        ask: Ask,
        parent: Option<&gtk::ApplicationWindow>,
        answer: tokio::sync::oneshot::Sender<Option<PathBuf>>,
    ) {
        let (title, action, accept) = match &ask {
            Ask::Open { title } => (*title, gtk::FileChooserAction::Open, "打开"),
            Ask::Save { title, .. } => (*title, gtk::FileChooserAction::Save, "保存"),
        };
        let dialog = gtk::FileChooserDialog::with_buttons(
            Some(title),
            parent,
            action,
            &[
                ("取消", gtk::ResponseType::Cancel),
                (accept, gtk::ResponseType::Accept),
            ],
        );
        dialog.set_modal(true);
        dialog.set_local_only(true);
        dialog.set_default_response(gtk::ResponseType::Accept);
        if let Ask::Save {
            file_name, filter, ..
        } = &ask
        {
            dialog.set_do_overwrite_confirmation(true);
            dialog.set_current_name(file_name);
            if let Some((name, extensions)) = filter {
                let only = gtk::FileFilter::new();
                only.set_name(Some(name));
                for extension in *extensions {
                    only.add_pattern(&format!("*.{extension}"));
                }
                dialog.add_filter(only);
            }
        }
        let answer = RefCell::new(Some(answer));
        dialog.connect_response(move |dialog, response| {
            let chosen = match response {
                gtk::ResponseType::Accept => dialog.filename(),
                _ => None,
            };
            tracing::info!(title, chosen = chosen.is_some(), "file dialog answered");
            if let Some(answer) = answer.borrow_mut().take() {
                let _ = answer.send(chosen);
            }
            // SAFETY: the dialog is ours alone and nothing uses it after this answer.
            unsafe { dialog.destroy() };
        });
        dialog.show();
        fit_to_work_area(&dialog, parent);
        tracing::info!(title, "file dialog shown");
    }

    /// GTK's file dialog opens about 822 px tall by default (or as big as it was last
    /// left), taller than a 1366×768 laptop: its 保存/取消 buttons would be off screen.
    /// It gets at most this size, within the work area of the window's monitor.
    const MOST: (i32, i32) = (900, 640);
    /// Room for the window manager's title bar around the dialog.
    const FRAME: (i32, i32) = (16, 40);

    fn fit_to_work_area(dialog: &gtk::FileChooserDialog, parent: Option<&gtk::ApplicationWindow>) {
        let Some(display) = gtk::gdk::Display::default() else {
            return;
        };
        let monitor = parent
            .and_then(|p| p.window())
            .and_then(|w| display.monitor_at_window(&w))
            .or_else(|| display.primary_monitor())
            .or_else(|| display.monitor(0));
        let Some(monitor) = monitor else {
            tracing::warn!("no monitor for the file dialog; GTK sizes it");
            return;
        };
        let area = monitor.workarea();
        let width = MOST.0.min(area.width() - FRAME.0);
        let height = MOST.1.min(area.height() - FRAME.1);
        dialog.resize(width, height);
        dialog.move_(
            area.x() + (area.width() - width - FRAME.0).max(0) / 2,
            area.y() + (area.height() - height - FRAME.1).max(0) / 2,
        );
        tracing::info!(width, height, "file dialog fitted to the work area");
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::path::PathBuf;

    use tauri::AppHandle;
    use tauri_plugin_dialog::DialogExt;

    use super::Ask;
    use crate::commands::Answer;

    pub(super) async fn choose(app: &AppHandle, ask: Ask) -> Answer<Option<PathBuf>> {
        let dialog = app.dialog().file();
        let chosen = tauri::async_runtime::spawn_blocking(move || match ask {
            Ask::Open { title } => dialog.set_title(title).blocking_pick_file(),
            Ask::Save {
                title,
                file_name,
                filter,
            } => {
                let dialog = dialog.set_title(title).set_file_name(file_name);
                match filter {
                    Some((name, extensions)) => dialog.add_filter(name, extensions),
                    None => dialog,
                }
                .blocking_save_file()
            }
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "the file dialog failed");
            "无法打开文件对话框。".to_string()
        })?;
        chosen
            .map(|c| {
                c.into_path().map_err(|e| {
                    tracing::warn!(error = %e, "the file dialog returned no local path");
                    "只能选择本机文件。".to_string()
                })
            })
            .transpose()
    }
}
