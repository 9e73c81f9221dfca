//! Renders every fixture in tests/fixtures to a folder, for looking at the pages.
//! `cargo run -p gongwen-typeset --example render_fixtures -- OUT_DIR`

use gongwen_typeset::{render, FontConfig, FontSet, RenderOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/typeset-fixtures".into());
    std::fs::create_dir_all(&out)?;
    let fonts = FontSet::load(&FontConfig::default())?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let doc: gongwen_core::Document = toml::from_str(&std::fs::read_to_string(path)?)?;
        let r = render(&doc, &fonts, &RenderOptions::default())?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("doc");
        let target = std::path::Path::new(&out).join(format!("{stem}.pdf"));
        std::fs::write(&target, &r.pdf)?;
        println!(
            "{stem}: {} pages, {} bytes, {} warnings",
            r.pages,
            r.pdf.len(),
            r.warnings.len()
        );
        for w in &r.warnings {
            println!("  {}", w.message);
        }
    }
    Ok(())
}
