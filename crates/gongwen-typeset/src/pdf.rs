//! [`PageModel`] → PDF bytes with krilla (fonts subset and embedded, ToUnicode written).

use krilla::color::{cmyk, luma, rgb};
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Paint, Stroke};
use krilla::text::{GlyphId, KrillaGlyph};

use crate::fonts::FontSet;
use crate::model::{Glyph, Ink, Item, PageModel, Seal, TextRun, PT_PER_MM};
use crate::{RedInk, TypesetError};

/// Baseline of a CJK em box: the ideographic em box runs from −0.12 em to 0.88 em.
const EM_ASCENT: f64 = 0.88;

fn pt(mm: f64) -> f32 {
    (mm * PT_PER_MM) as f32
}

fn paint(ink: Ink, red: RedInk) -> Paint {
    match (ink, red) {
        (Ink::Black, _) => luma::Color::new(0).into(),
        // GB/T 9704 printing red: Y80% M80%.
        (Ink::Red, RedInk::Print) => cmyk::Color::new(0, 204, 204, 0).into(),
        // What poppler (evince, pdftoppm) shows for that CMYK.
        (Ink::Red, RedInk::Screen) => rgb::Color::new(240, 67, 56).into(),
    }
}

fn fill(ink: Ink, red: RedInk) -> Fill {
    Fill {
        paint: paint(ink, red),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// Writes the PDF.
pub fn write_pdf(
    model: &PageModel,
    fonts: &FontSet,
    title: &str,
    red: RedInk,
) -> Result<Vec<u8>, TypesetError> {
    write_pdf_with(model, fonts, title, red, false)
}

/// Writes the PDF; `archival`: as PDF/A-2b (ISO 19005-2, level B), for the archive.
/// krilla then checks every rule it can and refuses to write a file that breaks one;
/// colours become ICC-based with an sRGB output intent. PDF/A needs an ICC profile for
/// CMYK, which is not shipped, so the red is the sRGB a viewer shows for C0 M80 Y80 K0
/// (`RedInk::Screen`).
pub fn write_pdf_with(
    model: &PageModel,
    fonts: &FontSet,
    title: &str,
    red: RedInk,
    archival: bool,
) -> Result<Vec<u8>, TypesetError> {
    let (mut doc, red) = if archival {
        let configuration = krilla::configure::ConfigurationBuilder::new()
            .with_archival_validator(krilla::configure::Archival::A2_B)
            .finish()
            .map_err(|e| TypesetError::Pdf(format!("PDF/A-2b: {e:?}")))?;
        let settings = krilla::SerializeSettings {
            configuration,
            ..Default::default()
        };
        (krilla::Document::new_with(settings), RedInk::Screen)
    } else {
        (krilla::Document::new(), red)
    };
    let mut meta = krilla::metadata::Metadata::new()
        .title(title.to_string())
        .creator("Gongwen Desk 公文桌".to_string())
        .language("zh-CN".to_string());
    if archival {
        // PDF/A asks when the file was made (UTC).
        use chrono::{Datelike, Timelike};
        let now = chrono::Utc::now();
        meta = meta.creation_date(
            krilla::metadata::DateTime::new(u16::try_from(now.year()).unwrap_or(1970))
                .month(now.month() as u8)
                .day(now.day() as u8)
                .hour(now.hour() as u8)
                .minute(now.minute() as u8)
                .second(now.second() as u8)
                .utc_offset_hour(0),
        );
    }
    doc.set_metadata(meta);
    let settings = PageSettings::from_wh(pt(model.width_mm), pt(model.height_mm))
        .ok_or_else(|| TypesetError::Pdf("invalid page size".into()))?;
    for page in &model.pages {
        let mut p = doc.start_page_with(settings.clone());
        let mut s = p.surface();
        for item in &page.items {
            match item {
                Item::Text(run) => draw_run(&mut s, run, fonts, red),
                Item::Rule(r) => {
                    let rect = Rect::from_xywh(
                        pt(r.x),
                        pt(r.y - r.thickness / 2.0),
                        pt(r.width),
                        pt(r.thickness),
                    );
                    if let Some(rect) = rect {
                        let mut pb = PathBuilder::new();
                        pb.push_rect(rect);
                        if let Some(path) = pb.finish() {
                            s.set_fill(Some(fill(r.ink, red)));
                            s.draw_path(&path);
                        }
                    }
                }
                Item::Seal(seal) => draw_seal(&mut s, seal, fonts, red),
            }
        }
        s.finish();
        p.finish();
    }
    doc.finish()
        .map_err(|e| TypesetError::Pdf(format!("{e:?}")))
}

/// Draws a run, one krilla call per font, with advances that put every glyph on its cell.
fn draw_run(s: &mut krilla::surface::Surface, run: &TextRun, fonts: &FontSet, red: RedInk) {
    let size = run.size_pt as f32;
    let baseline = pt(run.top + EM_ASCENT * crate::model::pt_to_mm(run.size_pt));
    s.set_fill(Some(fill(run.ink, red)));
    let mut start = 0;
    while start < run.glyphs.len() {
        let face = run.glyphs[start].face;
        let mut end = start;
        while end < run.glyphs.len() && run.glyphs[end].face == face {
            end += 1;
        }
        let group: &[Glyph] = &run.glyphs[start..end];
        let text: String = group.iter().map(|g| g.ch).collect();
        let mut glyphs = Vec::with_capacity(group.len());
        let mut byte = 0;
        for (k, g) in group.iter().enumerate() {
            let next_x = group.get(k + 1).map_or(g.x + g.advance, |n| n.x);
            let len = g.ch.len_utf8();
            glyphs.push(KrillaGlyph {
                glyph_id: GlyphId::new(g.glyph_id as u32),
                text_range: byte..byte + len,
                x_advance: pt(next_x - g.x) / size,
                x_offset: 0.0,
                y_offset: 0.0,
                y_advance: 0.0,
                location: None,
            });
            byte += len;
        }
        s.draw_glyphs(
            Point::from_xy(pt(group[0].x), baseline),
            &glyphs,
            fonts.face(face).pdf_font.clone(),
            &text,
            size,
            false,
        );
        start = end;
    }
}

/// A round red seal drawn as vector graphics (no seal image exists yet): ring, star, and the
/// unit's name around the upper arc as outlines, so it is not read as text.
fn draw_seal(s: &mut krilla::surface::Surface, seal: &Seal, fonts: &FontSet, ink: RedInk) {
    let red = paint(Ink::Red, ink);
    let (cx, cy, r) = (pt(seal.cx), pt(seal.cy), pt(seal.radius));
    // Ring.
    let mut pb = PathBuilder::new();
    let k = 0.552_284_8 * r;
    pb.move_to(cx + r, cy);
    pb.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    pb.close();
    if let Some(path) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(Stroke {
            paint: red.clone(),
            width: r * 0.06,
            ..Default::default()
        }));
        s.draw_path(&path);
        s.set_stroke(None);
    }
    // Five-pointed star in the centre.
    let rs = r * 0.28;
    let mut pb = PathBuilder::new();
    for i in 0..10 {
        let a = std::f32::consts::PI * (i as f32 / 5.0) - std::f32::consts::FRAC_PI_2;
        let rr = if i % 2 == 0 { rs } else { rs * 0.382 };
        let (x, y) = (cx + rr * a.cos(), cy + rr * a.sin());
        if i == 0 {
            pb.move_to(x, y);
        } else {
            pb.line_to(x, y);
        }
    }
    pb.close();
    s.set_fill(Some(fill(Ink::Red, ink)));
    if let Some(path) = pb.finish() {
        s.draw_path(&path);
    }
    // Name on the arc.
    let chars: Vec<char> = seal.name.chars().collect();
    if chars.is_empty() {
        return;
    }
    let face = fonts.face(seal.face);
    let size = r * 0.26;
    let span = 250.0_f32.min(chars.len() as f32 * 32.0);
    let step = if chars.len() > 1 {
        span / (chars.len() - 1) as f32
    } else {
        0.0
    };
    for (i, ch) in chars.iter().enumerate() {
        let Some(gid) = face.glyph(*ch) else { continue };
        let angle = -span / 2.0 + step * i as f32;
        s.push_transform(&Transform::from_translate(cx, cy));
        s.push_transform(&Transform::from_rotate(angle));
        let glyph = KrillaGlyph {
            glyph_id: GlyphId::new(gid as u32),
            text_range: 0..ch.len_utf8(),
            x_advance: 1.0,
            x_offset: 0.0,
            y_offset: 0.0,
            y_advance: 0.0,
            location: None,
        };
        let top = -r * 0.9;
        s.draw_glyphs(
            Point::from_xy(-size / 2.0, top + size * EM_ASCENT as f32),
            &[glyph],
            face.pdf_font.clone(),
            &ch.to_string(),
            size,
            true,
        );
        s.pop();
        s.pop();
    }
}
