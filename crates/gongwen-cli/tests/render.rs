//! `gongwen render FILE.toml` reads a document file the way `import` and `validate` do,
//! and `gongwen` behaves in a pipe.

use std::path::Path;
use std::process::{Command, Stdio};

use gongwen_pdfcheck::inspect::inspect;

fn gongwen(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gongwen"));
    c.arg("--data").arg(data).env_remove("GONGWEN_DATA_DIR");
    c
}

#[test]
fn a_request_without_direction_renders_upward_as_it_validates() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/request.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("direction"),
        "the fixture must leave direction out"
    );

    let pdf = dir.path().join("request.pdf");
    let out = gongwen(dir.path())
        .arg("render")
        .arg(&file)
        .arg("-o")
        .arg(&pdf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let layout = inspect(&pdf).unwrap();
    let first = &layout.pages[0];
    // An upward document: 发文字号 left (one character in from the 版心's edge) and the
    // 签发人 on the same line at the right; a downward one centres the number alone.
    let number = first
        .lines
        .iter()
        .find(|l| l.text().contains("萧政〔2026〕3号"))
        .expect("the 发文字号 is printed");
    assert!(
        number.x_min < 40.0,
        "发文字号 starts at {:.1} mm: centred as if downward",
        number.x_min
    );
    let signer = first
        .lines
        .iter()
        .find(|l| l.text().contains("签发人"))
        .expect("签发人 is printed for a 请示");
    assert!(
        signer.text().contains("李明") || first.lines.iter().any(|l| l.text().contains("李明"))
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let import = gongwen(dir.path())
        .arg("import")
        .arg(fixtures.join("notice.toml"))
        .arg(fixtures.join("request.toml"))
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    for args in [&["list"][..], &["search", "2026"], &["list", "--json"]] {
        // The reading end is closed before the command starts, so its first line of
        // output meets a broken pipe every time (as in `gongwen search 2026 | head -0`).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = gongwen(dir.path())
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "gongwen {args:?}: {stderr}"
        );
        assert!(!stderr.contains("error"), "gongwen {args:?}: {stderr}");
        // The work was done; only the printing stopped.
        assert!(
            out.status.success(),
            "gongwen {args:?}: {:?} {stderr}",
            out.status
        );
    }
}

/// A classified document rendered (or exported) to a file stays the account's own
/// (0600): another account on the computer cannot read it where it was written. A
/// 非密 one is an ordinary file.
#[cfg(unix)]
#[test]
fn a_classified_document_renders_to_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/request.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let secret = dir.path().join("secret.toml");
    std::fs::write(
        &secret,
        format!("{text}\nclassification = \"secret\"\ncopy_number = \"000001\"\nsecrecy_term = \"5年\"\n"),
    )
    .unwrap();
    let mode_of = |input: &Path, name: &str| {
        let pdf = dir.path().join(name);
        let out = gongwen(dir.path())
            .arg("render")
            .arg(input)
            .arg("-o")
            .arg(&pdf)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::metadata(&pdf).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode_of(&secret, "secret.pdf"), 0o600);
    assert_eq!(mode_of(&file, "plain.pdf"), 0o644);
}
