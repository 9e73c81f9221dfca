//! Fonts by role (仿宋, 小标宋, 黑体, 楷体, 宋体), found by family name with `fontdb`.
//!
//! Which families fill a role is configuration (`assets/fonts.toml`), not code, because the
//! official fonts are commercial and installed per machine.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use skrifa::raw::TableProvider;
use skrifa::{FontRef, MetadataProvider};

use crate::TypesetError;

/// The default role table, compiled in so a render works without the assets folder.
pub const DEFAULT_FONTS_TOML: &str = include_str!("../../../assets/fonts.toml");

/// A typographic role named by GB/T 9704-2012.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontRole {
    /// 仿宋_GB2312: body text, default for every element.
    FangSong,
    /// 方正小标宋: title and 发文机关标志.
    XiaoBiaoSong,
    /// 黑体: level-1 headings, 密级, 紧急程度, 附件 label.
    HeiTi,
    /// 楷体_GB2312: level-2 headings, 签发人 names.
    KaiTi,
    /// 宋体: page numbers.
    SongTi,
}

impl FontRole {
    pub const ALL: [FontRole; 5] = [
        FontRole::FangSong,
        FontRole::XiaoBiaoSong,
        FontRole::HeiTi,
        FontRole::KaiTi,
        FontRole::SongTi,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FontRole::FangSong => "fangsong",
            FontRole::XiaoBiaoSong => "xiaobiaosong",
            FontRole::HeiTi => "heiti",
            FontRole::KaiTi => "kaiti",
            FontRole::SongTi => "songti",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FontRole::FangSong => "仿宋",
            FontRole::XiaoBiaoSong => "小标宋",
            FontRole::HeiTi => "黑体",
            FontRole::KaiTi => "楷体",
            FontRole::SongTi => "宋体",
        }
    }
}

/// `assets/fonts.toml`: role → ordered family list, plus per-character fallbacks.
#[derive(Debug, Clone, Deserialize)]
pub struct FontConfig {
    pub roles: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub fallback: Vec<String>,
}

impl FontConfig {
    pub fn from_toml(text: &str) -> Result<FontConfig, TypesetError> {
        let cfg: FontConfig =
            toml::from_str(text).map_err(|e| TypesetError::Config(format!("fonts.toml: {e}")))?;
        for role in FontRole::ALL {
            if cfg.roles.get(role.key()).is_none_or(|l| l.is_empty()) {
                return Err(TypesetError::Config(format!(
                    "fonts.toml: role `{}` has no families",
                    role.key()
                )));
            }
        }
        Ok(cfg)
    }

    pub fn from_file(path: &Path) -> Result<FontConfig, TypesetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TypesetError::Config(format!("{}: {e}", path.display())))?;
        FontConfig::from_toml(&text)
    }
}

impl Default for FontConfig {
    fn default() -> Self {
        // The compiled-in file is checked by a test, so this cannot fail at run time.
        FontConfig::from_toml(DEFAULT_FONTS_TOML).unwrap_or(FontConfig {
            roles: HashMap::new(),
            fallback: Vec::new(),
        })
    }
}

/// One loaded font face.
pub struct Face {
    /// Family name as asked for in fonts.toml (with `:bold` if given).
    pub family: String,
    pub data: Arc<Vec<u8>>,
    pub index: u32,
    pub pdf_font: krilla::text::Font,
    units_per_em: f32,
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Face")
            .field("family", &self.family)
            .field("index", &self.index)
            .finish()
    }
}

impl Face {
    fn font_ref(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(&self.data, self.index).ok()
    }

    /// Glyph id for a character, if the face has one.
    pub fn glyph(&self, ch: char) -> Option<u16> {
        let f = self.font_ref()?;
        let gid = f.charmap().map(ch)?;
        let id = gid.to_u32();
        (id != 0).then_some(id as u16)
    }

    /// Advance of a glyph in em.
    pub fn advance_em(&self, gid: u16) -> f32 {
        let Some(f) = self.font_ref() else {
            return 1.0;
        };
        let metrics = f.glyph_metrics(
            skrifa::instance::Size::unscaled(),
            skrifa::instance::LocationRef::default(),
        );
        metrics
            .advance_width(skrifa::GlyphId::new(gid as u32))
            .map(|a| a / self.units_per_em)
            .unwrap_or(1.0)
    }
}

/// Index of a face inside a [`FontSet`].
pub type FaceId = usize;

/// The faces chosen for each role on this machine. Load once, render many documents.
#[derive(Debug)]
pub struct FontSet {
    faces: Vec<Face>,
    /// role → faces in preference order (first = the role's face).
    roles: HashMap<FontRole, Vec<FaceId>>,
    fallback: Vec<FaceId>,
    /// Substitutions made while loading, e.g. 仿宋 → Noto Serif CJK SC.
    pub substitutions: Vec<crate::Warning>,
}

fn parse_family(spec: &str) -> (&str, fontdb::Weight) {
    match spec.rsplit_once(':') {
        Some((name, "bold")) => (name, fontdb::Weight::BOLD),
        Some((name, "light")) => (name, fontdb::Weight::LIGHT),
        _ => (spec, fontdb::Weight::NORMAL),
    }
}

/// fontdb's nearest-weight match, with a tie broken by the faces' own names. The Fandol
/// fonts declare weight 400 for their Regular and their Bold faces alike, so a request
/// for the regular weight could otherwise be given the bold one (and the other way).
fn by_name_weight(db: &fontdb::Database, id: fontdb::ID, weight: fontdb::Weight) -> fontdb::ID {
    let says_bold = |f: &fontdb::FaceInfo| f.post_script_name.contains("Bold");
    let want_bold = weight >= fontdb::Weight::BOLD;
    let Some(chosen) = db.face(id) else {
        return id;
    };
    if says_bold(chosen) == want_bold {
        return id;
    }
    db.faces()
        .find(|f| {
            f.families == chosen.families
                && f.weight == chosen.weight
                && f.style == chosen.style
                && says_bold(f) == want_bold
        })
        .map_or(id, |f| f.id)
}

impl FontSet {
    /// Finds the configured families among the installed fonts.
    pub fn load(config: &FontConfig) -> Result<FontSet, TypesetError> {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        FontSet::from_database(&db, config)
    }

    /// Loads from a prepared database (tests add font files directly).
    pub fn from_database(
        db: &fontdb::Database,
        config: &FontConfig,
    ) -> Result<FontSet, TypesetError> {
        let mut set = FontSet {
            faces: Vec::new(),
            roles: HashMap::new(),
            fallback: Vec::new(),
            substitutions: Vec::new(),
        };
        let mut by_spec: HashMap<String, Option<FaceId>> = HashMap::new();
        let mut find = |set: &mut FontSet, spec: &str| -> Result<Option<FaceId>, TypesetError> {
            if let Some(id) = by_spec.get(spec) {
                return Ok(*id);
            }
            let id = set.load_face(db, spec)?;
            by_spec.insert(spec.to_string(), id);
            Ok(id)
        };
        for role in FontRole::ALL {
            let wanted = config.roles.get(role.key()).cloned().unwrap_or_default();
            let mut ids = Vec::new();
            for spec in &wanted {
                if let Some(id) = find(&mut set, spec)? {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
            let Some(&first) = ids.first() else {
                return Err(TypesetError::FontMissing {
                    role: role.label().to_string(),
                    families: wanted.join(", "),
                });
            };
            let official = wanted.first().map(String::as_str).unwrap_or("");
            if set.faces[first].family != official {
                let used = &set.faces[first].family;
                set.substitutions.push(crate::Warning {
                    kind: crate::WarningKind::FontSubstituted,
                    message: format!("{}: {official} 未安装，使用 {used} 代替", role.label()),
                    message_en: format!("{}: {official} not installed, using {used}", role.label()),
                });
            }
            set.roles.insert(role, ids);
        }
        for spec in &config.fallback {
            if let Some(id) = find(&mut set, spec)? {
                if !set.fallback.contains(&id) {
                    set.fallback.push(id);
                }
            }
        }
        Ok(set)
    }

    fn load_face(
        &mut self,
        db: &fontdb::Database,
        spec: &str,
    ) -> Result<Option<FaceId>, TypesetError> {
        let (name, weight) = parse_family(spec);
        let query = fontdb::Query {
            families: &[fontdb::Family::Name(name)],
            weight,
            ..Default::default()
        };
        let Some(id) = db.query(&query).map(|id| by_name_weight(db, id, weight)) else {
            return Ok(None);
        };
        // fontdb matches the nearest weight; a `:bold` request that only finds Regular is
        // still useful, but a plain request must not silently pick an unrelated family.
        let Some((data, index)) = db.with_face_data(id, |d, i| (d.to_vec(), i)) else {
            return Ok(None);
        };
        let data = Arc::new(data);
        let Ok(font_ref) = FontRef::from_index(&data, index) else {
            return Ok(None);
        };
        let units_per_em = font_ref
            .head()
            .map(|h| h.units_per_em() as f32)
            .unwrap_or(1000.0);
        let Some(pdf_font) = krilla::text::Font::new(data.clone().into(), index) else {
            return Err(TypesetError::Config(format!(
                "font {spec}: the PDF writer cannot read this face"
            )));
        };
        self.faces.push(Face {
            family: spec.to_string(),
            data,
            index,
            pdf_font,
            units_per_em,
        });
        Ok(Some(self.faces.len() - 1))
    }

    pub fn face(&self, id: FaceId) -> &Face {
        &self.faces[id]
    }

    /// The face used for a role.
    pub fn role_face(&self, role: FontRole) -> FaceId {
        self.roles
            .get(&role)
            .and_then(|v| v.first().copied())
            .unwrap_or(0)
    }

    /// The face that draws `ch` in `role`: the role's face, else the role's later families,
    /// else the global fallbacks. `None` when no installed face has the character.
    pub fn face_for(&self, role: FontRole, ch: char) -> Option<(FaceId, u16)> {
        let chain = self.roles.get(&role).into_iter().flatten();
        for &id in chain.chain(self.fallback.iter()) {
            if let Some(g) = self.faces[id].glyph(ch) {
                return Some((id, g));
            }
        }
        None
    }

    /// Family name used for a role.
    pub fn role_family(&self, role: FontRole) -> &str {
        &self.faces[self.role_face(role)].family
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(db: &mut fontdb::Database, post_script_name: &str) -> fontdb::ID {
        db.push_face_info(fontdb::FaceInfo {
            id: fontdb::ID::dummy(),
            source: fontdb::Source::Binary(Arc::new(Vec::<u8>::new())),
            index: 0,
            families: vec![("FandolHei".into(), fontdb::Language::English_UnitedStates)],
            post_script_name: post_script_name.into(),
            style: fontdb::Style::Normal,
            // As the Fandol files declare: 400 for both.
            weight: fontdb::Weight::NORMAL,
            stretch: fontdb::Stretch::Normal,
            monospaced: false,
        })
    }

    #[test]
    fn a_bold_face_declared_regular_is_told_apart_by_its_name() {
        let mut db = fontdb::Database::new();
        let bold = face(&mut db, "FandolHei-Bold");
        let regular = face(&mut db, "FandolHei-Regular");
        for weight in [fontdb::Weight::NORMAL, fontdb::Weight::BOLD] {
            let query = fontdb::Query {
                families: &[fontdb::Family::Name("FandolHei")],
                weight,
                ..Default::default()
            };
            let found = db.query(&query).expect("the family is there");
            let want = if weight == fontdb::Weight::BOLD {
                bold
            } else {
                regular
            };
            assert_eq!(by_name_weight(&db, found, weight), want, "{weight:?}");
        }
    }
}
