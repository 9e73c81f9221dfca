//! Reads any PDF back: text lines with positions (poppler `pdftotext -bbox-layout`), fonts
//! (`pdffonts`) and horizontal rules (content streams via `lopdf`). All in millimetres from
//! the page's top-left corner.

use std::path::Path;
use std::process::Command;

use crate::CheckError;
use gongwen_core::page::pt_to_mm;

#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub words: Vec<Word>,
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

impl TextLine {
    /// Words joined without spaces (Chinese has none between words).
    pub fn text(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join("")
    }
    /// Words joined with one space where poppler saw a gap.
    pub fn spaced(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
    pub fn centre_y(&self) -> f64 {
        (self.y_min + self.y_max) / 2.0
    }
}

/// A horizontal line drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleLine {
    pub x_min: f64,
    pub x_max: f64,
    /// Vertical centre.
    pub y: f64,
    pub thickness: f64,
    pub red: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageText {
    pub width: f64,
    pub height: f64,
    pub lines: Vec<TextLine>,
    pub rules: Vec<RuleLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FontInfo {
    pub name: String,
    pub kind: String,
    pub embedded: bool,
    pub subset: bool,
    pub unicode: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PdfLayout {
    pub pages: Vec<PageText>,
    pub fonts: Vec<FontInfo>,
}

impl PdfLayout {
    /// All text, page by page, line by line, in reading order.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for p in &self.pages {
            for l in &p.lines {
                s.push_str(&l.text());
                s.push('\n');
            }
        }
        s
    }
}

fn tool(cmd: &str, args: &[&str], path: &Path) -> Result<String, CheckError> {
    let out = Command::new(cmd)
        .args(args)
        .arg(path)
        .args(if cmd == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .map_err(|e| {
            CheckError::Inspect(format!("cannot run `{cmd}` ({e}); install poppler-utils"))
        })?;
    if !out.status.success() {
        return Err(CheckError::Inspect(format!(
            "`{cmd}` failed on {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn attr(tag: &str, name: &str) -> Option<f64> {
    let key = format!("{name}=\"");
    let i = tag.find(&key)? + key.len();
    let j = tag[i..].find('"')? + i;
    tag[i..j].parse().ok()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Parses `pdftotext -bbox-layout` XHTML.
pub fn parse_bbox_layout(xhtml: &str) -> Vec<PageText> {
    let mut pages = Vec::new();
    let mut rest = xhtml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..=end];
        if tag.starts_with("<page ") {
            pages.push(PageText {
                width: pt_to_mm(attr(tag, "width").unwrap_or(0.0)),
                height: pt_to_mm(attr(tag, "height").unwrap_or(0.0)),
                ..Default::default()
            });
        } else if tag.starts_with("<line ") {
            if let Some(p) = pages.last_mut() {
                p.lines.push(TextLine {
                    words: Vec::new(),
                    x_min: pt_to_mm(attr(tag, "xMin").unwrap_or(0.0)),
                    y_min: pt_to_mm(attr(tag, "yMin").unwrap_or(0.0)),
                    x_max: pt_to_mm(attr(tag, "xMax").unwrap_or(0.0)),
                    y_max: pt_to_mm(attr(tag, "yMax").unwrap_or(0.0)),
                });
            }
        } else if tag.starts_with("<word ") {
            let body_start = end + 1;
            let body_end = rest[body_start..]
                .find("</word>")
                .map_or(body_start, |k| k + body_start);
            let text = unescape(&rest[body_start..body_end]);
            if let Some(l) = pages.last_mut().and_then(|p| p.lines.last_mut()) {
                l.words.push(Word {
                    text,
                    x_min: pt_to_mm(attr(tag, "xMin").unwrap_or(0.0)),
                    y_min: pt_to_mm(attr(tag, "yMin").unwrap_or(0.0)),
                    x_max: pt_to_mm(attr(tag, "xMax").unwrap_or(0.0)),
                    y_max: pt_to_mm(attr(tag, "yMax").unwrap_or(0.0)),
                });
            }
        }
        rest = &rest[end + 1..];
    }
    for p in &mut pages {
        // Reading order: top to bottom, then left to right (poppler's flows may differ).
        p.lines.sort_by(|a, b| {
            let dy = a.centre_y() - b.centre_y();
            if dy.abs() > 1.5 {
                dy.total_cmp(&0.0)
            } else {
                a.x_min.total_cmp(&b.x_min)
            }
        });
    }
    pages
}

/// Parses `pdffonts` output.
pub fn parse_pdffonts(out: &str) -> Vec<FontInfo> {
    let mut fonts = Vec::new();
    for line in out.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 7 {
            continue;
        }
        let n = cols.len();
        // … emb sub uni object-number generation
        let yes = |s: &str| s == "yes";
        fonts.push(FontInfo {
            name: cols[0].to_string(),
            kind: cols[1..n - 6].join(" "),
            embedded: yes(cols[n - 5]),
            subset: yes(cols[n - 4]),
            unicode: yes(cols[n - 3]),
        });
    }
    fonts
}

/// Reads a PDF file.
pub fn inspect(path: &Path) -> Result<PdfLayout, CheckError> {
    let xhtml = tool("pdftotext", &["-bbox-layout", "-enc", "UTF-8"], path)?;
    let mut pages = parse_bbox_layout(&xhtml);
    let fonts = parse_pdffonts(&tool("pdffonts", &[], path)?);
    let rules = read_rules(path)?;
    for (p, r) in pages.iter_mut().zip(rules) {
        p.rules = r;
    }
    Ok(PdfLayout { pages, fonts })
}

type Mat = [f64; 6];

fn mul(a: &Mat, b: &Mat) -> Mat {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Mat, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn num(o: &lopdf::Object) -> f64 {
    match o {
        lopdf::Object::Integer(i) => *i as f64,
        lopdf::Object::Real(r) => *r as f64,
        _ => 0.0,
    }
}

fn is_red(c: &[f64]) -> bool {
    match c.len() {
        3 => c[0] > 0.6 && c[1] < 0.45 && c[2] < 0.45,
        4 => c[1] > 0.5 && c[2] > 0.5 && c[0] < 0.3 && c[3] < 0.3,
        _ => false,
    }
}

/// Horizontal rules per page: thin filled rectangles and stroked horizontal segments.
pub fn read_rules(path: &Path) -> Result<Vec<Vec<RuleLine>>, CheckError> {
    let doc = lopdf::Document::load(path).map_err(|e| CheckError::Inspect(e.to_string()))?;
    let mut out = Vec::new();
    for (_, page_id) in doc.get_pages() {
        let height = doc
            .get_object(page_id)
            .ok()
            .and_then(|o| o.as_dict().ok())
            .and_then(|d| d.get(b"MediaBox").ok())
            .and_then(|b| b.as_array().ok())
            .map(|a| a.get(3).map(num).unwrap_or(842.0))
            .unwrap_or(841.89);
        let content = doc
            .get_page_content(page_id)
            .map_err(|e| CheckError::Inspect(e.to_string()))?;
        let ops = lopdf::content::Content::decode(&content)
            .map_err(|e| CheckError::Inspect(e.to_string()))?;
        let mut rules = Vec::new();
        let mut stack: Vec<(Mat, Vec<f64>, Vec<f64>, f64)> = Vec::new();
        let mut ctm: Mat = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let mut fill_c: Vec<f64> = vec![0.0];
        let mut stroke_c: Vec<f64> = vec![0.0];
        let mut lw = 1.0;
        let mut path: Vec<(f64, f64)> = Vec::new();
        let mut segs = 0usize;
        for op in &ops.operations {
            let a: Vec<f64> = op.operands.iter().map(num).collect();
            match op.operator.as_str() {
                "q" => stack.push((ctm, fill_c.clone(), stroke_c.clone(), lw)),
                "Q" => {
                    if let Some((m, f, s, w)) = stack.pop() {
                        ctm = m;
                        fill_c = f;
                        stroke_c = s;
                        lw = w;
                    }
                }
                "cm" if a.len() == 6 => ctm = mul(&[a[0], a[1], a[2], a[3], a[4], a[5]], &ctm),
                "w" if !a.is_empty() => lw = a[0],
                "g" | "rg" | "k" | "sc" | "scn" => fill_c = a.clone(),
                "G" | "RG" | "K" | "SC" | "SCN" => stroke_c = a.clone(),
                "m" | "l" if a.len() == 2 => {
                    path.push(apply(&ctm, a[0], a[1]));
                    segs += 1;
                }
                "c" if a.len() == 6 => {
                    path.push(apply(&ctm, a[4], a[5]));
                    segs += 3; // curves are not rules
                }
                "re" if a.len() == 4 => {
                    for (x, y) in [(a[0], a[1]), (a[0] + a[2], a[1] + a[3])] {
                        path.push(apply(&ctm, x, y));
                    }
                    segs += 1;
                }
                "f" | "F" | "f*" | "S" | "s" | "B" | "B*" | "b" | "b*" | "n" => {
                    let paint_op = op.operator.as_str();
                    if path.len() >= 2 && segs <= 6 && paint_op != "n" {
                        let (mut x0, mut x1, mut y0, mut y1) =
                            (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
                        for &(x, y) in &path {
                            x0 = x0.min(x);
                            x1 = x1.max(x);
                            y0 = y0.min(y);
                            y1 = y1.max(y);
                        }
                        let stroke = matches!(paint_op, "S" | "s");
                        let scale = (ctm[0] * ctm[3] - ctm[1] * ctm[2]).abs().sqrt();
                        let thick = if stroke {
                            (y1 - y0) + lw * scale
                        } else {
                            y1 - y0
                        };
                        let w = x1 - x0;
                        if w > 28.0 && thick < 6.0 && thick > 0.05 {
                            let colour = if stroke { &stroke_c } else { &fill_c };
                            rules.push(RuleLine {
                                x_min: pt_to_mm(x0),
                                x_max: pt_to_mm(x1),
                                y: pt_to_mm(height - (y0 + y1) / 2.0),
                                thickness: pt_to_mm(thick),
                                red: is_red(colour),
                            });
                        }
                    }
                    path.clear();
                    segs = 0;
                }
                _ => {}
            }
        }
        rules.sort_by(|a, b| a.y.total_cmp(&b.y));
        out.push(rules);
    }
    Ok(out)
}

/// The fonts of a loaded PDF whose glyphs are not embedded (base font names), read from
/// the font dictionaries themselves: a font is embedded when its descriptor holds a
/// FontFile, FontFile2 or FontFile3 (Type0 fonts through their descendants; Type3
/// fonts draw their glyphs inline). The same answer as `pdffonts`' `emb` column without
/// starting a process per file, for checks over thousands of PDFs (四性检测).
pub fn unembedded_fonts(doc: &lopdf::Document) -> Vec<String> {
    let mut out = Vec::new();
    for obj in doc.objects.values() {
        let Ok(dict) = obj.as_dict() else { continue };
        if dict.get(b"Type").and_then(|t| t.as_name()).ok() != Some(b"Font".as_slice()) {
            continue;
        }
        let subtype = dict
            .get(b"Subtype")
            .and_then(|s| s.as_name())
            .unwrap_or(b"");
        if subtype == b"Type0" || subtype == b"Type3" {
            continue;
        }
        let descriptor = dict.get(b"FontDescriptor").ok().and_then(|d| match d {
            lopdf::Object::Reference(id) => doc.get_dictionary(*id).ok(),
            lopdf::Object::Dictionary(d) => Some(d),
            _ => None,
        });
        let embedded = descriptor.is_some_and(|d| {
            [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"]
                .iter()
                .any(|k| d.has(k))
        });
        if !embedded {
            let name = dict
                .get(b"BaseFont")
                .and_then(|n| n.as_name())
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_else(|_| "(unnamed)".into());
            out.push(name);
        }
    }
    out.sort();
    out.dedup();
    out
}
