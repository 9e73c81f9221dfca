//! `cargo run -p gongwen-pdfcheck --example check_pdf -- FILE.pdf…`: prints GB/T 9704 findings.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let report = gongwen_pdfcheck::check_pdf(std::path::Path::new(&path), 1.0)?;
        println!(
            "{path}: {} pages, {} findings",
            report.pages,
            report.findings.len()
        );
        for f in &report.findings {
            println!("  {f}");
        }
    }
    Ok(())
}
