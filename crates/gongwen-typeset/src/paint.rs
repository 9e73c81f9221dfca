//! Drawing on the page model for what is typeset besides a 公文 (the 办理单, printed
//! tables): black rules and text runs set on full-width cells.

use crate::fonts::{FontRole, FontSet};
use crate::linebreak::cells;
use crate::model::{pt_to_mm, Glyph, Ink, Item, Rule, TextRun};
use crate::{Warning, WarningKind};

/// A horizontal black line from `x0` to `x1`, centred on `y`.
pub(crate) fn hrule(x0: f64, x1: f64, y: f64, thickness: f64) -> Item {
    Item::Rule(Rule {
        x: x0,
        y,
        width: x1 - x0,
        thickness,
        ink: Ink::Black,
    })
}

/// A vertical black line, drawn as a thin tall rule (the model has only rules).
pub(crate) fn vrule(x: f64, y0: f64, y1: f64, thickness: f64) -> Item {
    Item::Rule(Rule {
        x: x - thickness / 2.0,
        y: (y0 + y1) / 2.0,
        width: thickness,
        thickness: y1 - y0,
        ink: Ink::Black,
    })
}

/// Where a text is, for warnings: (Chinese, English), e.g. ("办理单", "handling sheet").
pub(crate) type Place<'a> = (&'a str, &'a str);

/// `text` in black from `x`, one cell per character (half for Latin); a character no
/// font has is left blank and said in `warnings`, naming `place`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    fonts: &FontSet,
    warnings: &mut Vec<Warning>,
    place: Place<'_>,
    text: &str,
    role: FontRole,
    size_pt: f64,
    x: f64,
    top: f64,
) -> TextRun {
    let em = pt_to_mm(size_pt);
    let mut glyphs = Vec::new();
    let mut cx = x;
    for ch in text.chars() {
        let advance = cells(ch) * em;
        if ch == ' ' || ch == '\u{3000}' {
            cx += advance;
            continue;
        }
        match fonts.face_for(role, ch) {
            Some((face, glyph_id)) => glyphs.push(Glyph {
                ch,
                face,
                glyph_id,
                x: cx,
                advance,
            }),
            None => warnings.push(Warning {
                kind: WarningKind::MissingGlyph,
                message: format!(
                    "{}中的“{ch}”（U+{:04X}）：所有字体均无此字，未能印出",
                    place.0, ch as u32
                ),
                message_en: format!(
                    "{}: U+{:04X} is in no installed font and was left blank",
                    place.1, ch as u32
                ),
            }),
        }
        cx += advance;
    }
    TextRun {
        top,
        size_pt,
        ink: Ink::Black,
        glyphs,
    }
}
