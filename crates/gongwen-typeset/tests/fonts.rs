//! The faces a 公文 is set in cover what it is written in. Every one of the 6,763 hanzi of
//! GB2312 is counted in the face each role actually uses on this machine, and a body made
//! of all of them is set in the 仿宋 face, embedded, and read back whole.

mod common;

use gongwen_core::Body;
use gongwen_typeset::{FontRole, FontSet, RenderOptions, WarningKind};
use skrifa::MetadataProvider;

use common::{fixture, fonts, render_with};

/// The hanzi of GB2312: rows 16–55 (level 1, 3,755; row 55 ends at its 89th cell) and
/// rows 56–87 (level 2, 3,008), decoded through GBK, which holds GB2312 unchanged.
fn gb2312_hanzi() -> Vec<char> {
    let mut out = Vec::new();
    for row in 0xB0u8..=0xF7 {
        for cell in 0xA1u8..=0xFE {
            if row == 0xD7 && cell > 0xF9 {
                continue;
            }
            let bytes = [row, cell];
            let (text, _, malformed) = encoding_rs::GBK.decode(&bytes);
            assert!(!malformed, "GB2312 {row:02X}{cell:02X} did not decode");
            out.extend(text.chars());
        }
    }
    out
}

fn missing_in(set: &FontSet, role: FontRole, hanzi: &[char]) -> Vec<char> {
    let face = set.face(set.role_face(role));
    hanzi
        .iter()
        .copied()
        .filter(|&c| face.glyph(c).is_none())
        .collect()
}

#[test]
fn the_list_of_gb2312_hanzi_is_whole() {
    let hanzi = gb2312_hanzi();
    assert_eq!(hanzi.len(), 6763);
    assert_eq!(hanzi.first(), Some(&'啊'));
    assert_eq!(hanzi.last(), Some(&'齄'));
    assert!(hanzi.iter().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(c)));
}

#[test]
fn each_role_face_holds_every_gb2312_hanzi() {
    let set = fonts();
    let hanzi = gb2312_hanzi();
    // A 宋体-style serif standing in for 仿宋 does not look like a 公文: the body needs a
    // real 仿宋, the official one or the open FandolFang that `cargo xtask` installs.
    let body = set.role_family(FontRole::FangSong);
    assert!(
        !body.starts_with("Noto"),
        "the body is set in {body}: no 仿宋 is installed (cargo xtask installs FandolFang)"
    );
    for role in [
        FontRole::FangSong,
        FontRole::KaiTi,
        FontRole::HeiTi,
        FontRole::SongTi,
    ] {
        let missing = missing_in(set, role, &hanzi);
        let family = set.role_family(role);
        assert!(
            missing.is_empty(),
            "{} ({family}) lacks {} of 6763 GB2312 hanzi, e.g. {:?}",
            role.label(),
            missing.len(),
            missing.iter().take(20).collect::<String>()
        );
    }
}

#[test]
fn a_body_of_all_gb2312_hanzi_is_set_in_the_fangsong_face_and_reads_back_whole() {
    let set = fonts();
    let hanzi = gb2312_hanzi();
    let face = set.face(set.role_face(FontRole::FangSong));
    let postscript = skrifa::FontRef::from_index(face.bytes(), face.index)
        .ok()
        .and_then(|f| {
            f.localized_strings(skrifa::string::StringId::POSTSCRIPT_NAME)
                .english_or_first()
                .map(|s| s.to_string())
        })
        .expect("the 仿宋 face names itself");

    let mut doc = fixture("notice");
    let paragraphs: Vec<String> = hanzi.chunks(400).map(|c| c.iter().collect()).collect();
    doc.body = Body::from_text(&paragraphs.join("\n"));
    let out = render_with(&doc, &RenderOptions::default());

    let missing: Vec<_> = out
        .rendered
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::MissingGlyph)
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
    // pdffonts: the body face is embedded as a subset, with a ToUnicode map.
    let body_font = out
        .pdf
        .fonts
        .iter()
        .find(|f| {
            // `SUBSET+PostScriptName`, with the CMap's name after it for a CID font.
            let name = f.name.split('+').next_back().unwrap_or("");
            name.strip_prefix(postscript.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("-Identity"))
        })
        .unwrap_or_else(|| panic!("{postscript} not in the PDF: {:#?}", out.pdf.fonts));
    assert!(
        body_font.embedded && body_font.subset && body_font.unicode,
        "{body_font:?}"
    );
    // pdftotext: every hanzi reads back.
    let text = out.pdf.text();
    let lost: String = hanzi.iter().filter(|c| !text.contains(**c)).collect();
    assert!(
        lost.is_empty(),
        "{} hanzi do not read back: {lost:.60}",
        lost.chars().count()
    );
}
