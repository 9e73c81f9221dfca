//! Fonts by role (仿宋, 小标宋, 黑体, 楷体, 宋体), found by family name with `fontdb`.
//!
//! Which families fill a role is configuration (`assets/fonts.toml`), not code, because the
//! official fonts are commercial and installed per machine.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

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

/// A face's bytes: the font file mapped into memory, so a render reads only the tables
/// and glyphs it uses (a CJK collection is 20–40 MB; copying every configured face cost a
/// whole `gongwen render` most of its time), or bytes a test gave.
pub type FontData = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// One loaded font face.
pub struct Face {
    /// Family name as asked for in fonts.toml (with `:bold` if given).
    pub family: String,
    pub data: FontData,
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
    /// The font file's bytes (of the whole collection, for a `.ttc`).
    pub fn bytes(&self) -> &[u8] {
        (*self.data).as_ref()
    }

    fn font_ref(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(self.bytes(), self.index).ok()
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

    /// Maps (or takes) the bytes of a face fontdb found, and checks the PDF writer can
    /// read it.
    fn open(family: &str, source: &fontdb::Source, index: u32) -> Result<Face, TypesetError> {
        let data: FontData = match source {
            fontdb::Source::Binary(data) => data.clone(),
            fontdb::Source::SharedFile(_, data) => data.clone(),
            fontdb::Source::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| {
                    TypesetError::Config(format!("font {family}: {}: {e}", path.display()))
                })?;
                // SAFETY: the mapping is read-only; a font file changed on disk while the
                // app runs is the one risk, the same fontdb itself takes when it scans.
                let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| {
                    TypesetError::Config(format!("font {family}: {}: {e}", path.display()))
                })?;
                Arc::new(map)
            }
        };
        let unreadable = || {
            TypesetError::Config(format!(
                "font {family}: the PDF writer cannot read this face"
            ))
        };
        let units_per_em = FontRef::from_index((*data).as_ref(), index)
            .map_err(|_| unreadable())?
            .head()
            .map(|h| h.units_per_em() as f32)
            .unwrap_or(1000.0);
        let pdf_font = krilla::text::Font::new(krilla::Data::from(data.clone()), index)
            .ok_or_else(unreadable)?;
        Ok(Face {
            family: family.to_string(),
            data,
            index,
            pdf_font,
            units_per_em,
        })
    }
}

/// Index of a face inside a [`FontSet`].
pub type FaceId = usize;

/// A configured family found on this machine; its face is opened when first needed.
struct Slot {
    family: String,
    source: fontdb::Source,
    index: u32,
    face: OnceLock<Option<Face>>,
}

impl Slot {
    fn face(&self) -> Option<&Face> {
        self.face
            .get_or_init(
                || match Face::open(&self.family, &self.source, self.index) {
                    Ok(face) => Some(face),
                    Err(e) => {
                        tracing::warn!(error = %e, "a fallback font cannot be used");
                        None
                    }
                },
            )
            .as_ref()
    }
}

/// The faces chosen for each role on this machine. Load once, render many documents.
///
/// Each role's own face is opened at load, so a broken font is reported there; the later
/// families of a role and the fallbacks only when a character needs them, which most
/// documents never do.
pub struct FontSet {
    slots: Vec<Slot>,
    /// role → faces in preference order (first = the role's face, opened at load).
    roles: HashMap<FontRole, Vec<FaceId>>,
    fallback: Vec<FaceId>,
    /// Substitutions made while loading, e.g. 仿宋 → Noto Serif CJK SC.
    pub substitutions: Vec<crate::Warning>,
}

impl std::fmt::Debug for FontSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontSet")
            .field(
                "families",
                &self.slots.iter().map(|s| &s.family).collect::<Vec<_>>(),
            )
            .finish()
    }
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
            slots: Vec::new(),
            roles: HashMap::new(),
            fallback: Vec::new(),
            substitutions: Vec::new(),
        };
        let mut by_spec: HashMap<String, Option<FaceId>> = HashMap::new();
        let mut find = |set: &mut FontSet, spec: &str| -> Option<FaceId> {
            *by_spec
                .entry(spec.to_string())
                .or_insert_with(|| set.find_family(db, spec))
        };
        for role in FontRole::ALL {
            let wanted = config.roles.get(role.key()).cloned().unwrap_or_default();
            let mut ids = Vec::new();
            for spec in &wanted {
                if let Some(id) = find(&mut set, spec) {
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
            // The role's face is always used: open it now, and fail here if it is broken.
            let slot = &set.slots[first];
            let face = Face::open(&slot.family, &slot.source, slot.index)?;
            let _ = slot.face.set(Some(face));
            let official = wanted.first().map(String::as_str).unwrap_or("");
            if set.slots[first].family != official {
                let used = &set.slots[first].family;
                set.substitutions.push(crate::Warning {
                    kind: crate::WarningKind::FontSubstituted,
                    message: format!("{}: {official} 未安装，使用 {used} 代替", role.label()),
                    message_en: format!("{}: {official} not installed, using {used}", role.label()),
                });
            }
            set.roles.insert(role, ids);
        }
        for spec in &config.fallback {
            if let Some(id) = find(&mut set, spec) {
                if !set.fallback.contains(&id) {
                    set.fallback.push(id);
                }
            }
        }
        Ok(set)
    }

    /// Where the family `spec` is installed, remembered without opening it.
    fn find_family(&mut self, db: &fontdb::Database, spec: &str) -> Option<FaceId> {
        let (name, weight) = parse_family(spec);
        let query = fontdb::Query {
            families: &[fontdb::Family::Name(name)],
            weight,
            ..Default::default()
        };
        // fontdb matches the nearest weight; a `:bold` request that only finds Regular is
        // still useful, but a plain request must not silently pick an unrelated family.
        let id = db.query(&query).map(|id| by_name_weight(db, id, weight))?;
        let (source, index) = db.face_source(id)?;
        self.slots.push(Slot {
            family: spec.to_string(),
            source,
            index,
            face: OnceLock::new(),
        });
        Some(self.slots.len() - 1)
    }

    /// A face of this set: one [`FontSet::role_face`] or [`FontSet::face_for`] gave.
    pub fn face(&self, id: FaceId) -> &Face {
        // Those ids are of opened faces; anything else gets the body face rather than a
        // panic in the middle of a render.
        self.slots
            .get(id)
            .and_then(Slot::face)
            .unwrap_or_else(|| self.body_face())
    }

    /// The 仿宋 role's face, opened at load.
    fn body_face(&self) -> &Face {
        let first = self.role_face(FontRole::FangSong);
        match self.slots[first].face.get() {
            Some(Some(face)) => face,
            // `from_database` opened it or returned an error: no FontSet exists otherwise.
            _ => unreachable!("the 仿宋 face is opened when the set is made"),
        }
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
            if let Some(g) = self.slots[id].face().and_then(|f| f.glyph(ch)) {
                return Some((id, g));
            }
        }
        None
    }

    /// Family name used for a role.
    pub fn role_family(&self, role: FontRole) -> &str {
        &self.slots[self.role_face(role)].family
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
