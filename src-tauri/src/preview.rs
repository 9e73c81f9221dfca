//! 预览 / 导出PDF / 打印: the current draft typeset by gongwen-typeset, exactly as the CLI
//! does it. Fonts are found once, on the first render (not at start-up: the cold start
//! and idle memory of the app are benchmarked), and kept for the rest of the run.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use gongwen_core::handling::Handling;
use gongwen_core::wire::Directory;
use gongwen_core::{Classification, Document};
use gongwen_typeset::fonts::DEFAULT_FONTS_TOML;
use gongwen_typeset::{
    FontConfig, FontSet, RedInk, RenderOptions, SheetForm, SheetKind, TypesetError, WarningKind,
};
use serde::Serialize;
use tauri::ipc::Response;
use tauri::{AppHandle, State};

use crate::AppState;

type Answer<T> = Result<T, String>;

/// The installed fonts by role, loaded on first use.
#[derive(Default)]
pub struct Typesetter {
    fonts: OnceLock<Result<FontSet, String>>,
}

impl Typesetter {
    fn fonts(&self) -> Answer<&FontSet> {
        self.fonts
            .get_or_init(|| {
                let started = std::time::Instant::now();
                // The role table is compiled in, so the installed app needs no repo.
                let loaded =
                    FontConfig::from_toml(DEFAULT_FONTS_TOML).and_then(|c| FontSet::load(&c));
                match loaded {
                    Ok(set) => {
                        tracing::info!(ms = started.elapsed().as_millis() as u64, "fonts loaded");
                        Ok(set)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot load the fonts for typesetting");
                        Err(format!(
                            "无法排版：找不到所需字体（{e}）。请安装 fonts-noto-cjk。"
                        ))
                    }
                }
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The 办理单 of `handling` (发文稿纸, 收文处理笺 or 阅文单).
    pub fn render_sheet(
        &self,
        doc: &Document,
        handling: &Handling,
        directory: &Directory,
        form: SheetForm,
    ) -> Answer<Rendered> {
        let fonts = self.fonts()?;
        let started = std::time::Instant::now();
        let rendered = gongwen_typeset::handling_sheet(doc, handling, directory, fonts, form)
            .map_err(|e| {
                tracing::error!(error = %e, "the handling sheet could not be typeset");
                format!("办理单排版失败：{e}")
            })?;
        Ok(framed_meta(rendered, started))
    }

    /// Typesets `doc` with its red-header template (if it names one).
    pub fn render(&self, doc: &Document, red: RedInk) -> Answer<Rendered> {
        let fonts = self.fonts()?;
        let started = std::time::Instant::now();
        let opts = RenderOptions {
            red,
            ..RenderOptions::default()
        };
        let rendered = gongwen_typeset::render(doc, fonts, &opts).map_err(|e| match e {
            TypesetError::UnknownTemplate(name) => {
                tracing::warn!(template = name, "unknown red-header template");
                format!("红头模板“{name}”不存在，请重新选择。")
            }
            e => {
                tracing::error!(error = %e, "typesetting failed");
                format!("排版失败：{e}")
            }
        })?;
        Ok(framed_meta(rendered, started))
    }
}

/// What the preview says about a typeset PDF, with it.
fn framed_meta(rendered: gongwen_typeset::Rendered, started: std::time::Instant) -> Rendered {
    let ms = started.elapsed().as_millis() as u64;
    tracing::debug!(ms, pages = rendered.pages, "typeset");
    Rendered {
        meta: PreviewMeta {
            pages: rendered.pages as u32,
            warnings: rendered
                .warnings
                .iter()
                .map(|w| PreviewWarning {
                    kind: w.kind,
                    message: w.message.clone(),
                })
                .collect(),
            render_ms: ms as u32,
        },
        pdf: rendered.pdf,
    }
}

/// One typeset document: the PDF and what the preview says about it.
pub struct Rendered {
    pub meta: PreviewMeta,
    pub pdf: Vec<u8>,
}

/// What comes with the PDF bytes of a preview.
#[derive(Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PreviewMeta {
    pub pages: u32,
    /// Font substitutions first, then characters no font has, etc. (Chinese).
    pub warnings: Vec<PreviewWarning>,
    /// Time spent typesetting, for the status line.
    pub render_ms: u32,
}

#[derive(Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PreviewWarning {
    /// What it is about: the preview lists font substitutions apart from the rest.
    pub kind: WarningKind,
    pub message: String,
}

/// The preview's answer as one binary body (no JSON/base64 round trip for the PDF):
/// the byte length of the metadata JSON (u32, little-endian), that JSON, then the PDF.
pub fn frame(meta: &PreviewMeta, pdf: &[u8]) -> Vec<u8> {
    // Serialising plain strings and numbers cannot fail.
    let json = serde_json::to_vec(meta).unwrap_or_else(|_| b"{}".to_vec());
    let mut out = Vec::with_capacity(4 + json.len() + pdf.len());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(pdf);
    out
}

/// A red-header template the editor offers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TemplateChoice {
    /// Built-in name, stored in `Document::template`.
    pub name: String,
    /// What the dropdown shows, e.g. 宿州市人民政府.
    pub label: String,
    /// The 发文机关标志 lines choosing it fills in, e.g. 宿州市人民政府文件.
    pub issuer_mark: Vec<String>,
    /// The logged-in unit issues under it (`gongwen_core::issuer::owns_template`).
    pub own: bool,
}

/// Every built-in template, the ones `unit` (its full name) issues under first.
pub fn template_choices(unit: Option<&str>) -> Vec<TemplateChoice> {
    let mut choices: Vec<TemplateChoice> = gongwen_typeset::TEMPLATES
        .iter()
        .filter_map(|(name, _)| match gongwen_typeset::template(name) {
            Ok(t) => Some(TemplateChoice {
                name: name.to_string(),
                issuer_mark: t.issuer_mark(),
                own: unit.is_some_and(|u| gongwen_core::issuer::owns_template(u, &t.marks)),
                label: t.name,
            }),
            Err(e) => {
                tracing::error!(template = name, error = %e, "built-in template does not parse");
                None
            }
        })
        .collect();
    // Stable: each group keeps the built-in order.
    choices.sort_by_key(|c| !c.own);
    choices
}

/// The file name 导出PDF offers: the title, without characters file systems refuse.
pub fn pdf_file_name(title: &str) -> String {
    let clean: String = title
        .trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let clean = clean.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if clean.is_empty() {
        "公文.pdf".to_string()
    } else {
        format!("{clean}.pdf")
    }
}

/// Writes `bytes` to `path` all or nothing: a temporary file beside it, synced, then
/// renamed over it, so a full disk or a crash never leaves half a PDF.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Answer<()> {
    write_atomic_with(path, private, |file| file.write_all(bytes))
}

/// As [`write_atomic`], with `write` filling the temporary file (e.g. streaming a copy).
pub fn write_atomic_with(
    path: &Path,
    private: bool,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Answer<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| {
        tracing::error!(path = %path.display(), error = %e, "cannot write the file");
        let why = match e.kind() {
            std::io::ErrorKind::PermissionDenied => "没有写入权限",
            std::io::ErrorKind::NotFound => "文件夹不存在",
            std::io::ErrorKind::StorageFull => "磁盘空间不足",
            std::io::ErrorKind::ReadOnlyFilesystem => "磁盘为只读",
            _ => "写入出错",
        };
        format!("无法保存到“{}”：{why}。", path.display())
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".gongwen-export-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(fail)?;
    // A temporary file is private (0600). An exported 非密 document is an ordinary
    // file; a classified one stays the account's own, so that another account on this
    // computer cannot read it where the clerk saved it.
    #[cfg(unix)]
    if !private {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(fail)?;
    }
    write(tmp.as_file_mut()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

async fn render_off_main(
    state: &State<'_, AppState>,
    document: Document,
    red: RedInk,
) -> Answer<Rendered> {
    let typesetter = Arc::clone(&state.typesetter);
    tauri::async_runtime::spawn_blocking(move || typesetter.render(&document, red))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "the typesetting task failed");
            "排版失败：内部错误。".to_string()
        })?
}

/// 预览 (and 打印, which prints the preview's pages): the draft as it stands (unsaved
/// edits included), as a framed binary body (see [`frame`]), with the red pdf.js draws
/// as a PDF viewer does (see [`RedInk::Screen`]).
#[tauri::command]
pub async fn render_preview(state: State<'_, AppState>, document: Document) -> Answer<Response> {
    let rendered = render_off_main(&state, document, RedInk::Screen).await?;
    Ok(Response::new(frame(&rendered.meta, &rendered.pdf)))
}

/// The red-header templates for the editor's 红头模板 dropdown, the logged-in unit's
/// own marked and first.
#[tauri::command]
pub fn templates(state: State<'_, AppState>) -> Vec<TemplateChoice> {
    // The list still serves when the store cannot say who is logged in: all of it.
    let unit = crate::commands::with_store(&state, "read the logged-in unit", |s| {
        crate::commands::signed_in_unit_name(s)
    })
    .ok()
    .flatten();
    template_choices(unit.as_deref())
}

/// 导出PDF: asks where to save (default name: the title), then writes the PDF the
/// preview shows, with the printer's CMYK red. `None` when the clerk cancelled the dialog.
#[tauri::command]
pub async fn export_pdf(
    app: AppHandle,
    state: State<'_, AppState>,
    document: Document,
) -> Answer<Option<String>> {
    let name = pdf_file_name(&document.title);
    let private = document.classification != Classification::Unclassified;
    let rendered = render_off_main(&state, document, RedInk::Print).await?;
    save_pdf_as(&app, "导出PDF", name, rendered, private).await
}

/// Asks where to save `rendered` (the save dialog titled `title`, offering `name`), then
/// writes it all or nothing off the main thread. `None` when the user cancelled.
async fn save_pdf_as(
    app: &AppHandle,
    title: &'static str,
    name: String,
    rendered: Rendered,
    private: bool,
) -> Answer<Option<String>> {
    let ask = crate::dialogs::Ask::Save {
        title,
        file_name: name,
        filter: Some(("PDF 文件", &["pdf"])),
    };
    let Some(path) = crate::dialogs::choose(app, ask).await? else {
        return Ok(None);
    };
    let bytes = rendered.pdf;
    let target = path.clone();
    tauri::async_runtime::spawn_blocking(move || write_atomic(&target, &bytes, private))
        .await
        .map_err(|_| "保存失败：内部错误。".to_string())??;
    tracing::info!(path = %path.display(), pages = rendered.meta.pages, title, "PDF exported");
    Ok(Some(path.display().to_string()))
}

/// What a 办理单 is drawn from: the document, one unit's handling of it and the
/// directory's names, read from the store.
fn sheet_parts(
    state: &State<'_, AppState>,
    id: &str,
    unit: &str,
) -> Answer<(Document, Handling, Directory)> {
    let id = crate::commands::parse_id(id)?;
    let (doc, handling, directory) =
        crate::commands::with_store(state, "read a handling sheet", |s| {
            let doc = s.get(id)?.map(|d| d.document);
            let handling = s.handlings(id)?.into_iter().find(|h| h.unit.0 == unit);
            Ok((doc, handling, s.directory()?))
        })?;
    let doc = doc.ok_or_else(|| "找不到这份公文。".to_string())?;
    let handling = handling.ok_or_else(|| {
        tracing::warn!(%id, unit, "no handling of this unit for the sheet");
        "这份公文没有该单位的办理记录，无法生成办理单。".to_string()
    })?;
    Ok((doc, handling, directory))
}

async fn render_sheet_off_main(
    state: &State<'_, AppState>,
    id: &str,
    unit: &str,
    brief: bool,
) -> Answer<(Rendered, String, bool)> {
    let (doc, handling, directory) = sheet_parts(state, id, unit)?;
    let private = doc.classification != Classification::Unclassified;
    let form = if brief {
        SheetForm::Brief
    } else {
        SheetForm::Full
    };
    let name = pdf_file_name(&format!(
        "{}（{}{}）",
        doc.title.trim(),
        SheetKind::of(&handling).label(),
        if brief { "，精简" } else { "" }
    ));
    let typesetter = Arc::clone(&state.typesetter);
    let rendered = tauri::async_runtime::spawn_blocking(move || {
        typesetter.render_sheet(&doc, &handling, &directory, form)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "the handling sheet task failed");
        "办理单排版失败：内部错误。".to_string()
    })??;
    Ok((rendered, name, private))
}

/// 办理单: the 发文稿纸 / 收文处理笺 / 阅文单 of `unit`'s handling of document `id`, full
/// or 精简 (`brief`), framed as the preview is (see [`frame`]).
#[tauri::command]
pub async fn render_handling_sheet(
    state: State<'_, AppState>,
    id: String,
    unit: String,
    brief: bool,
) -> Answer<Response> {
    let (rendered, _, _) = render_sheet_off_main(&state, &id, &unit, brief).await?;
    Ok(Response::new(frame(&rendered.meta, &rendered.pdf)))
}

/// 导出办理单: asks where to save (default name: the title and the form), then writes
/// the same PDF the 办理单 preview shows. `None` when the user cancelled the dialog.
#[tauri::command]
pub async fn export_handling_sheet(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    unit: String,
    brief: bool,
) -> Answer<Option<String>> {
    let (rendered, name, private) = render_sheet_off_main(&state, &id, &unit, brief).await?;
    save_pdf_as(&app, "导出办理单", name, rendered, private).await
}

/// 打印 draws each PDF page as an A4 image (see ui/src/pdf.ts). WebKit would print them
/// inside the GTK default margins, shrunk to ~94 %; an A4 page setup with no margins
/// keeps them at true size, so the printed sheet matches the PDF.
#[cfg(target_os = "linux")]
pub fn print_true_size(window: &tauri::WebviewWindow) {
    let hooked = window.with_webview(|webview| {
        use webkit2gtk::{PrintOperationExt, WebViewExt};
        webview.inner().connect_print(|_, operation| {
            let a4 = gtk::PaperSize::new(Some("iso_a4"));
            // The dialog starts from these settings; without them it lays pages out on
            // the locale's default paper (Letter here) even when printing A4.
            let settings = gtk::PrintSettings::new();
            settings.set_paper_size(&a4);
            operation.set_print_settings(&settings);
            let setup = gtk::PageSetup::new();
            setup.set_paper_size(&a4);
            setup.set_top_margin(0.0, gtk::Unit::Mm);
            setup.set_bottom_margin(0.0, gtk::Unit::Mm);
            setup.set_left_margin(0.0, gtk::Unit::Mm);
            setup.set_right_margin(0.0, gtk::Unit::Mm);
            operation.set_page_setup(&setup);
            false // WebKit goes on to show its print dialog with this page setup
        });
    });
    if let Err(e) = hooked {
        tracing::warn!(error = %e, "cannot set the print page setup; prints get GTK margins");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn print_true_size(_window: &tauri::WebviewWindow) {}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_core::{Body, DocKind};

    #[test]
    fn the_file_name_is_the_title() {
        assert_eq!(
            pdf_file_name(" 宿州市人民政府关于做好冬季森林防火工作的通知 "),
            "宿州市人民政府关于做好冬季森林防火工作的通知.pdf"
        );
        assert_eq!(
            pdf_file_name("关于A/B两项工作的通知"),
            "关于A_B两项工作的通知.pdf"
        );
        assert_eq!(pdf_file_name("  "), "公文.pdf");
        assert_eq!(pdf_file_name(".."), "公文.pdf");
    }

    #[test]
    fn writing_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("通知.pdf");
        std::fs::write(&path, b"old").unwrap();
        write_atomic(&path, b"%PDF-1.7 new", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.7 new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("通知.pdf")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "others may read an exported PDF");
        }
    }

    /// A classified document saved where the clerk chose (a shared folder, /tmp) is
    /// still not readable by another account on this computer.
    #[cfg(unix)]
    #[test]
    fn a_classified_export_is_the_accounts_own() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().join("秘密通知.pdf");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"%PDF-1.7 secret", true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the replaced file is private too");
    }

    #[test]
    fn writing_into_a_missing_folder_says_so_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("没有这个文件夹").join("通知.pdf");
        let err = write_atomic(&path, b"%PDF", false).unwrap_err();
        assert!(err.starts_with("无法保存到“"), "{err}");
        assert!(err.ends_with("文件夹不存在。"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn the_frame_is_length_json_then_pdf() {
        let meta = PreviewMeta {
            pages: 2,
            warnings: vec![],
            render_ms: 5,
        };
        let body = frame(&meta, b"%PDF-x");
        let len = u32::from_le_bytes(body[..4].try_into().unwrap()) as usize;
        let json: serde_json::Value = serde_json::from_slice(&body[4..4 + len]).unwrap();
        assert_eq!(json["pages"], 2);
        assert_eq!(&body[4 + len..], b"%PDF-x");
    }

    #[test]
    fn every_built_in_template_is_offered_with_its_header_lines() {
        let all = template_choices(None);
        assert_eq!(all.len(), gongwen_typeset::TEMPLATES.len());
        let gov = all.iter().find(|t| t.name == "suzhou-gov").unwrap();
        assert_eq!(gov.label, "宿州市人民政府");
        assert_eq!(gov.issuer_mark, vec!["宿州市人民政府文件"]);
        let joint = all.iter().find(|t| t.name == "joint-issue").unwrap();
        assert_eq!(joint.issuer_mark.len(), 3);
        assert!(joint.issuer_mark.iter().all(|m| m.ends_with("文件")));
        assert!(all.iter().all(|t| !t.own), "nobody logged in owns none");
    }

    #[test]
    fn a_unit_sees_its_own_templates_first() {
        let fgw = template_choices(Some("宿州市发展和改革委员会"));
        assert_eq!(fgw.len(), gongwen_typeset::TEMPLATES.len());
        let own: Vec<&str> = fgw
            .iter()
            .take_while(|t| t.own)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(own, ["sz-fgw", "sz-fgw-letter"]);
        assert_eq!(fgw[0].issuer_mark, ["宿州市发展和改革委员会文件"]);
        let gov = template_choices(Some("宿州市人民政府"));
        let own: Vec<&str> = gov
            .iter()
            .filter(|t| t.own)
            .map(|t| t.name.as_str())
            .collect();
        // Its office's template and the bureaus' are not the government's.
        assert_eq!(own, ["suzhou-gov", "joint-issue", "order", "minutes"]);
    }

    /// Uses the fonts installed on this machine (fonts-noto-cjk), like the app does.
    #[test]
    fn a_draft_renders_to_pdf_pages_and_reports_substituted_fonts() {
        let mut doc = Document::new(DocKind::Notice);
        doc.title = "宿州市人民政府关于做好冬季森林防火工作的通知".into();
        doc.body = Body::from_text(&"各地要落实护林员进山蹲守制度。\n".repeat(40));
        doc.issuer_signature = vec!["宿州市人民政府".into()];
        doc.date_of_issue = "2026年11月25日".into();
        doc.template = "suzhou-gov".into();
        let typesetter = Typesetter::default();
        let short = typesetter.render(&doc, RedInk::Print).unwrap();
        assert!(short.pdf.starts_with(b"%PDF-"));
        assert!(short.meta.pages >= 2, "40 paragraphs fill more than a page");
        // No official 仿宋_GB2312 here: the substitution is said, in Chinese only.
        let sub = short
            .meta
            .warnings
            .iter()
            .find(|w| w.kind == "font_substituted" && w.message.starts_with("仿宋"))
            .expect("a 仿宋 substitution notice");
        assert!(sub.message.contains("未安装"), "{}", sub.message);
        assert!(!sub.message.contains("not installed"), "{}", sub.message);

        doc.body = Body::from_text("各地要落实护林员进山蹲守制度。");
        assert_eq!(
            typesetter.render(&doc, RedInk::Print).unwrap().meta.pages,
            1
        );

        doc.template = "no-such-template".into();
        let err = typesetter.render(&doc, RedInk::Print).err().unwrap();
        assert_eq!(err, "红头模板“no-such-template”不存在，请重新选择。");
    }
}
