//! The document files the project ships — demo data (`assets/demo/`) and test fixtures
//! (`tests/fixtures/`) — read as a user's import would read them: each must parse as a
//! `Document`, carry no Error-severity problem, and survive a TOML round trip unchanged.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gongwen_core::{
    validate, Classification, Direction, DocKind, DocStatus, Document, DocumentFile, Severity,
    Urgency,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let dir = repo_root().join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

struct Loaded {
    path: PathBuf,
    doc: Document,
    status: Option<DocStatus>,
}

fn load(dir: &str) -> Vec<Loaded> {
    toml_files(dir)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            // The reader `gongwen import` uses: unknown keys are refused.
            let file = DocumentFile::from_toml(&text).unwrap_or_else(|e| {
                panic!("{} does not parse as a document file: {e}", path.display())
            });
            let (doc, status) = (file.document, file.status);
            Loaded { path, doc, status }
        })
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every file: no Error-severity problem, and TOML → Document → TOML → Document is lossless.
fn check_all(files: &[Loaded]) {
    let mut failures = Vec::new();
    for f in files {
        let problems = validate(&f.doc);
        // Warnings are allowed (a draft may lack its number); shown with --nocapture.
        for p in problems.iter().filter(|p| p.severity == Severity::Warning) {
            eprintln!(
                "warning {}: {:?}: {}",
                file_name(&f.path),
                p.element,
                p.message
            );
        }
        let errors: Vec<String> = problems
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| format!("  {:?}: {} / {}", p.element, p.message, p.message_en))
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{}:\n{}", f.path.display(), errors.join("\n")));
        }
        let written = toml::to_string(&f.doc).unwrap();
        let back: Document = toml::from_str(&written).unwrap_or_else(|e| {
            panic!(
                "{} re-written does not parse: {e}\n{written}",
                f.path.display()
            )
        });
        assert_eq!(
            back,
            f.doc,
            "{} changed in a TOML round trip",
            f.path.display()
        );
        assert!(
            !f.doc.title.trim().is_empty(),
            "{} has no title",
            f.path.display()
        );
        // An upward kind must be read as upward, or its 签发人 goes unchecked.
        if matches!(
            f.doc.kind,
            DocKind::Report | DocKind::Request | DocKind::Motion
        ) {
            assert_eq!(
                f.doc.direction,
                Direction::Upward,
                "{} must set direction = \"upward\"",
                f.path.display()
            );
        }
    }
    assert!(
        failures.is_empty(),
        "files with errors:\n{}",
        failures.join("\n")
    );
}

#[test]
fn fixtures_validate_and_round_trip() {
    let files = load("tests/fixtures");
    check_all(&files);
    let names: HashSet<String> = files.iter().map(|f| file_name(&f.path)).collect();
    for expected in [
        "notice.toml",
        "request-with-signer.toml",
        "notice-with-attachments.toml",
        "letter.toml",
        "minutes.toml",
        "order.toml",
        "secret-immediate.toml",
        "joint-issue.toml",
        "report-6-pages.toml",
    ] {
        assert!(names.contains(expected), "fixture {expected} is missing");
    }
}

fn fixture(name: &str) -> Document {
    load("tests/fixtures")
        .into_iter()
        .find(|f| file_name(&f.path) == name)
        .unwrap_or_else(|| panic!("fixture {name} is missing"))
        .doc
}

#[test]
fn fixtures_carry_what_their_names_promise() {
    use gongwen_core::ParagraphLevel::*;

    let notice = fixture("notice.toml");
    assert_eq!(notice.kind, DocKind::Notice);
    let levels: HashSet<_> = notice.body.paragraphs().iter().map(|p| p.level).collect();
    for level in [Heading1, Heading2, Heading3, Heading4] {
        assert!(levels.contains(&level), "notice.toml lacks {level:?}");
    }
    assert!(!notice.cc_recipients.is_empty() && !notice.printing_office.is_empty());

    let request = fixture("request-with-signer.toml");
    assert_eq!(
        (request.kind, request.direction),
        (DocKind::Request, Direction::Upward)
    );
    assert_eq!(request.main_recipients.len(), 1);
    assert!(!request.signers.is_empty() && request.note.contains("电话"));

    assert!((2..=3).contains(&fixture("notice-with-attachments.toml").attachments.len()));
    let letter = fixture("letter.toml");
    assert_eq!(
        (letter.kind, letter.direction),
        (DocKind::Letter, Direction::Lateral)
    );
    let minutes = fixture("minutes.toml");
    assert_eq!(minutes.kind, DocKind::Minutes);
    assert!(!minutes.sealed);
    assert_eq!(fixture("order.toml").kind, DocKind::Order);

    let secret = fixture("secret-immediate.toml");
    assert_eq!(secret.classification, Classification::Secret);
    assert_eq!(secret.urgency, Urgency::Immediate);
    assert_eq!(secret.copy_number, "000023");
    assert_eq!(secret.classification_line(), "机密★10年");

    let joint = fixture("joint-issue.toml");
    assert!(joint.issuer_mark.len() >= 2 && joint.issuer_signature.len() >= 2);

    let report = fixture("report-6-pages.toml");
    assert_eq!(report.kind, DocKind::Report);
    assert!(!report.signers.is_empty());
    let chars = report.body.char_count();
    assert!(
        chars >= 3000,
        "report-6-pages.toml body has only {chars} characters"
    );
    let levels: HashSet<_> = report.body.paragraphs().iter().map(|p| p.level).collect();
    for level in [Heading1, Heading2, Heading3, Heading4] {
        assert!(
            levels.contains(&level),
            "report-6-pages.toml lacks {level:?}"
        );
    }
}

#[test]
fn demo_documents_validate_round_trip_and_cover_every_kind() {
    let files = load("assets/demo");
    check_all(&files);
    assert!(files.len() >= 30, "only {} demo documents", files.len());

    let kinds: HashSet<DocKind> = files.iter().map(|f| f.doc.kind).collect();
    let missing: Vec<&str> = DocKind::ALL
        .iter()
        .filter(|k| !kinds.contains(k))
        .map(|k| k.label())
        .collect();
    assert!(missing.is_empty(), "demo data lacks kinds: {missing:?}");

    assert!(files.iter().any(|f| f.doc.classification.is_classified()));
    assert!(files.iter().any(|f| f.doc.urgency == Urgency::Immediate));

    // A demo set that exercises the list filters: every status, more than one year.
    let statuses: HashSet<DocStatus> = files.iter().filter_map(|f| f.status).collect();
    assert_eq!(
        statuses.len(),
        DocStatus::ALL.len(),
        "statuses used: {statuses:?}"
    );
    let years: HashSet<u16> = files.iter().filter_map(|f| f.doc.year()).collect();
    assert!(
        years.contains(&2025) && years.contains(&2026),
        "years used: {years:?}"
    );

    // Realistic bodies: a 命令（令） is a few lines; everything else 300–1,500 characters.
    for f in files.iter().filter(|f| f.doc.kind != DocKind::Order) {
        let n = f.doc.body.char_count();
        assert!(
            (300..=1500).contains(&n),
            "{} body has {n} characters",
            f.path.display()
        );
    }

    // File names follow NN-<kind>-<topic>.toml and no two demo documents share a title.
    let mut titles = HashSet::new();
    for f in &files {
        let name = file_name(&f.path);
        let kind = serde_json::to_value(f.doc.kind).unwrap();
        let prefix_ok = name.len() > 3
            && name.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && name[3..].starts_with(&format!("{}-", kind.as_str().unwrap()));
        assert!(
            prefix_ok,
            "{name} should be named NN-{}-<topic>.toml",
            kind.as_str().unwrap()
        );
        assert!(
            titles.insert(f.doc.title.clone()),
            "duplicate title {}",
            f.doc.title
        );
    }
}
