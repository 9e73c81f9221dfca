//! The red of the header: CMYK in files, and for the app's preview the sRGB a PDF viewer
//! shows for it, checked by rasterising both with poppler.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use gongwen_typeset::{RedInk, RenderOptions};

/// The colour most red pixels of page 1 have, as poppler draws it.
fn red_of(pdf: &Path) -> [u8; 3] {
    let out = Command::new("pdftoppm")
        .args(["-r", "72", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .output()
        .expect("run pdftoppm (poppler-utils)");
    assert!(out.status.success(), "pdftoppm failed");
    // Binary PPM: four whitespace-separated header fields, then RGB triples.
    let ppm = out.stdout;
    let start = ppm
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_whitespace())
        .nth(3)
        .map(|(i, _)| i + 1)
        .expect("a PPM header");
    let mut counts = std::collections::HashMap::new();
    for px in ppm[start..].chunks_exact(3) {
        if px[0] > 180 && px[0].saturating_sub(px[1]) > 100 {
            *counts.entry([px[0], px[1], px[2]]).or_insert(0usize) += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(rgb, _)| rgb)
        .expect("red on page 1")
}

#[test]
fn files_carry_the_printers_cmyk_red_and_the_preview_its_on_screen_equal() {
    let doc = fixture("notice");
    let print = render_with(&doc, &RenderOptions::default());
    let screen = render_with(
        &doc,
        &RenderOptions {
            red: RedInk::Screen,
            ..RenderOptions::default()
        },
    );
    // The file's red is C0 M80 Y80 K0 (GB/T 9704); the preview's is not CMYK at all.
    assert!(
        sets_print_red(&print.path),
        "the file carries no C0 M80 Y80 K0 red"
    );
    assert!(
        !sets_print_red(&screen.path),
        "the preview still carries the CMYK red"
    );
    assert_eq!(
        red_of(&screen.path),
        red_of(&print.path),
        "the preview's red differs from what a viewer shows for the printed red"
    );
    // Same pages, same text: only the colour differs.
    assert_eq!(print.rendered.pages, screen.rendered.pages);
}

/// Whether page 1 sets the CMYK colour 0/0.8/0.8/0, as poppler's `pdftops` writes the
/// (compressed) page content out in PostScript: `[0 0.8 0.8 0] sc`.
fn sets_print_red(pdf: &Path) -> bool {
    let out = Command::new("pdftops")
        .args(["-f", "1", "-l", "1"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftops (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).contains("[0 0.8 0.8 0] sc")
}
