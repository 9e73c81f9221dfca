//! The subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use gongwen_core::{validate as check, DocKind, DocStatus, DocumentId, Problem, Severity};
use gongwen_store::{marked_snippet, ListFilter, SortOrder, Store};

use crate::files;
use crate::output::{out, outln};

pub(crate) fn open_store(data: Option<PathBuf>) -> anyhow::Result<Store> {
    let dir = match data {
        Some(d) => d,
        None => dirs::data_dir()
            .context("no data folder known for this user; pass --data DIR")?
            .join("gongwen-desk"),
    };
    Store::open(&dir).with_context(|| format!("cannot open the store in {}", dir.display()))
}

/// A value from its name (`gongwen_core`'s names) or its Chinese label.
fn parse_enum<T>(s: &str, all: &[T], label: fn(T) -> &'static str) -> Result<T, String>
where
    T: std::str::FromStr + Into<&'static str> + Copy,
{
    if let Some(v) = all.iter().find(|v| label(**v) == s) {
        return Ok(*v);
    }
    s.parse().map_err(|_| {
        let names: Vec<String> = all
            .iter()
            .map(|v| format!("{} ({})", (*v).into(), label(*v)))
            .collect();
        format!("expected one of: {}", names.join(", "))
    })
}

fn parse_kind(s: &str) -> Result<DocKind, String> {
    parse_enum(s, &DocKind::ALL, DocKind::label)
}

fn parse_status(s: &str) -> Result<DocStatus, String> {
    parse_enum(s, &DocStatus::ALL, DocStatus::label)
}

fn problem_line(p: &Problem) -> String {
    let severity = match p.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut line = format!(
        "{severity:<7}  {:<16}  {}",
        p.element.as_str(),
        p.message_en
    );
    // Some messages already carry the suggestion; say it once.
    if let Some(s) = p
        .suggestion
        .as_ref()
        .filter(|s| !p.message_en.contains(s.as_str()))
    {
        line.push_str(&format!(" (did you mean {s})"));
    }
    line
}

/// Import TOML documents (files, or folders: every *.toml in them and their subfolders)
/// into the store
#[derive(Args)]
pub struct ImportArgs {
    /// TOML files or folders
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn import(data: Option<PathBuf>, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let paths = files::expand(&args.paths)?;
    if paths.is_empty() {
        bail!(
            "no .toml files found in {} (nor in its subfolders)",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // A reader thread reads, parses and checks the files in order while this one stores
    // them: the store's batch writes and the parsing overlap on two cores. The channel
    // holds at most a few hundred documents, so memory stays bounded whatever the
    // input's size; the store keeps all accepted files or none.
    let mut store = open_store(data)?;
    let mut import = store.begin_import()?;
    let mut accepted: Vec<(PathBuf, DocumentId)> = Vec::new();
    let mut rejected = 0;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (send, read) = std::sync::mpsc::sync_channel(256);
        scope.spawn(move || {
            for path in paths {
                let checked = files::read_document(&path).map(|(doc, status)| {
                    let errors: Vec<Problem> = check(&doc)
                        .into_iter()
                        .filter(|p| p.severity == Severity::Error)
                        .collect();
                    (doc, status, errors)
                });
                if send.send((path, checked)).is_err() {
                    return; // the store failed; the import is abandoned
                }
            }
        });
        for (path, checked) in read {
            match checked {
                Err(message) => {
                    eprintln!("rejected {message}");
                    rejected += 1;
                }
                Ok((doc, status, errors)) if errors.is_empty() => {
                    let id = import
                        .add(doc, status)
                        .context("import failed; nothing was imported")?;
                    accepted.push((path, id));
                }
                Ok((_, _, errors)) => {
                    eprintln!("rejected {}: {} error(s)", path.display(), errors.len());
                    for p in &errors {
                        eprintln!("  {}", problem_line(p));
                    }
                    rejected += 1;
                }
            }
        }
        Ok(())
    })?;
    import
        .commit()
        .context("import failed; nothing was imported")?;
    for (path, id) in &accepted {
        outln!("{id}  {}", path.display());
    }
    eprintln!("imported {}, rejected {rejected}", accepted.len());
    Ok(if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Print (or write) the latest version of a document as TOML
#[derive(Args)]
pub struct ExportArgs {
    /// Document id (as printed by import, list or search)
    id: String,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn export(data: Option<PathBuf>, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let id: DocumentId = args.id.trim().parse().with_context(|| {
        format!(
            "{:?} is not a document id (a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8)",
            args.id
        )
    })?;
    let store = open_store(data)?;
    let stored = store
        .get(id)?
        .with_context(|| format!("no document with id {id}"))?;
    let text = files::to_toml(&stored.document, stored.status);
    match args.output {
        Some(path) => crate::output::write_whole(
            &path,
            text.as_bytes(),
            stored.document.classification != gongwen_core::Classification::Unclassified,
        )?,
        None => out!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Check TOML documents against GB/T 9704 and print every problem
#[derive(Args)]
pub struct ValidateArgs {
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let paths = files::expand(&args.files)?;
    for path in &paths {
        match files::read_document(path) {
            Err(message) => {
                outln!("{message}");
                failed = true;
            }
            Ok((doc, _)) => {
                let problems = check(&doc);
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .count();
                outln!(
                    "{}: {errors} error(s), {} warning(s)",
                    path.display(),
                    problems.len() - errors
                );
                for p in &problems {
                    outln!("{}", problem_line(p));
                }
                failed |= errors > 0;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Full-text search (Chinese words of any length, numbers, Latin)
#[derive(Args)]
pub struct SearchArgs {
    query: String,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// JSON for machines
    #[arg(long)]
    json: bool,
}

pub fn search(data: Option<PathBuf>, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(data)?;
    let hits = store.search(&args.query, args.limit)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&hits)?);
    } else {
        for h in &hits {
            let s = &h.summary;
            outln!(
                "{}  {}  {}  {}",
                s.id,
                or_dash(&s.date_of_issue),
                or_dash(&s.doc_number),
                s.title
            );
            outln!(
                "    {}: {}",
                h.field,
                marked_snippet(&h.snippet, "【", "】")
            );
        }
        eprintln!("{} result(s)", hits.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() {
        "-"
    } else {
        s
    }
}

/// List documents, newest 成文日期 first
#[derive(Args)]
pub struct ListArgs {
    /// notice, request, … or the Chinese name (通知)
    #[arg(long, value_parser = parse_kind)]
    kind: Option<DocKind>,
    /// draft, signed_off, dispatched, incoming, archived, or the Chinese name (草稿)
    #[arg(long, value_parser = parse_status)]
    status: Option<DocStatus>,
    #[arg(long)]
    year: Option<u16>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long, default_value_t = 0)]
    offset: u32,
    /// Oldest first
    #[arg(long)]
    asc: bool,
    /// JSON for machines
    #[arg(long)]
    json: bool,
}

pub fn list(data: Option<PathBuf>, args: ListArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(data)?;
    let page = store.list(&ListFilter {
        kind: args.kind,
        status: args.status,
        year: args.year,
        sort: if args.asc {
            SortOrder::DateAsc
        } else {
            SortOrder::DateDesc
        },
        offset: args.offset,
        limit: args.limit,
    })?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&page)?);
    } else {
        for s in &page.items {
            outln!(
                "{}  {}  {}  {}  {}  {}",
                s.id,
                or_dash(&s.date_of_issue),
                s.kind.label(),
                s.status.label(),
                or_dash(&s.doc_number),
                s.title
            );
        }
        eprintln!("{} of {} document(s)", page.items.len(), page.total);
    }
    Ok(ExitCode::SUCCESS)
}
