//! `gongwen render` and `gongwen check`: thin wrappers over `gongwen-typeset`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;

use crate::output::outln;
use gongwen_core::{Document, DocumentId};
use gongwen_store::Store;
use gongwen_typeset::{FontConfig, FontSet, Format, HeaderTemplate, RenderOptions};

/// Typeset a 公文 as a GB/T 9704-2012 PDF.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Document as TOML (the fields of a 公文; omitted fields are empty).
    #[arg(value_name = "FILE.toml", required_unless_present = "from_store")]
    pub file: Option<PathBuf>,
    /// Render a document from the local store instead of a file.
    #[arg(long, value_name = "ID", conflicts_with = "file")]
    pub from_store: Option<String>,
    /// Output PDF.
    #[arg(short, long, value_name = "OUT.pdf")]
    pub output: PathBuf,
    /// Red-header template: a built-in name (suzhou-gov, suzhou-gov-office, joint-issue,
    /// letter, order, minutes) or a path to a template TOML [default: the document's
    /// `template`, else its 发文机关标志 as written].
    #[arg(long)]
    pub template: Option<String>,
    /// Force a format: document, letter, order or minutes [default: from the kind].
    #[arg(long)]
    pub format: Option<String>,
    /// Font roles file [default: the built-in assets/fonts.toml].
    #[arg(long, value_name = "fonts.toml")]
    pub fonts: Option<PathBuf>,
}

/// Check any PDF against GB/T 9704-2012; exits 1 when something is off.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The PDF to check.
    #[arg(value_name = "IN.pdf")]
    pub file: PathBuf,
    /// Tolerance in millimetres.
    #[arg(long, default_value_t = 1.0)]
    pub tolerance: f64,
}

fn store_dir(data: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match data {
        Some(d) => Ok(d),
        None => Ok(dirs::data_dir()
            .context("no data folder known for this user; pass --data DIR")?
            .join("gongwen-desk")),
    }
}

fn load_document(data: Option<PathBuf>, args: &RenderArgs) -> anyhow::Result<Document> {
    if let Some(id) = &args.from_store {
        let id: DocumentId = id
            .parse()
            .with_context(|| format!("`{id}` is not a document id (a UUID)"))?;
        let dir = store_dir(data)?;
        let store = Store::open(&dir)
            .with_context(|| format!("cannot open the store in {}", dir.display()))?;
        return match store.get(id)? {
            Some(d) => Ok(d.document),
            None => bail!("no document {id} in the store {}", dir.display()),
        };
    }
    let Some(path) = &args.file else {
        bail!("give a FILE.toml or --from-store ID");
    };
    // The one reader of document files that `import` and `validate` use too, so a file
    // renders as it validates (a 请示 without `direction` is upward, with its 签发人).
    let (document, _) = crate::files::read_document(path).map_err(anyhow::Error::msg)?;
    Ok(document)
}

fn template(name: &str) -> anyhow::Result<HeaderTemplate> {
    let path = PathBuf::from(name);
    if path.extension().is_some_and(|e| e == "toml") || path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read template {}", path.display()))?;
        return Ok(HeaderTemplate::from_toml(&text)?);
    }
    Ok(gongwen_typeset::template(name)?)
}

fn format(name: &str) -> anyhow::Result<Format> {
    Ok(match name {
        "document" | "文件" => Format::Document,
        "letter" | "信函" => Format::Letter,
        "order" | "命令" => Format::Order,
        "minutes" | "纪要" => Format::Minutes,
        other => bail!("unknown format `{other}` (document, letter, order, minutes)"),
    })
}

pub fn render(data: Option<PathBuf>, args: RenderArgs) -> anyhow::Result<ExitCode> {
    let doc = load_document(data, &args)?;
    let config = match &args.fonts {
        Some(p) => FontConfig::from_file(p)?,
        None => FontConfig::default(),
    };
    let fonts = FontSet::load(&config)?;
    let opts = RenderOptions {
        template: args.template.as_deref().map(template).transpose()?,
        format: args.format.as_deref().map(format).transpose()?,
        ..Default::default()
    };
    let rendered = gongwen_typeset::render(&doc, &fonts, &opts)?;
    let private = doc.classification != gongwen_core::Classification::Unclassified;
    crate::output::write_whole(&args.output, &rendered.pdf, private)?;
    for w in &rendered.warnings {
        eprintln!("warning: {} ({})", w.message_en, w.message);
    }
    outln!(
        "wrote {} ({} pages, {} bytes)",
        args.output.display(),
        rendered.pages,
        rendered.pdf.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let report = gongwen_pdfcheck::check_pdf(&args.file, args.tolerance)?;
    if report.is_ok() {
        outln!(
            "{}: {} 页，符合 GB/T 9704-2012 / {} pages, conforms to GB/T 9704-2012",
            args.file.display(),
            report.pages,
            report.pages
        );
        return Ok(ExitCode::SUCCESS);
    }
    for f in &report.findings {
        outln!("{f}");
    }
    outln!(
        "{}: {} 处不符合 / {} findings",
        args.file.display(),
        report.findings.len(),
        report.findings.len()
    );
    Ok(ExitCode::from(1))
}
