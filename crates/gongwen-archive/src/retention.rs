//! The 保管期限 table as data: `assets/retention.toml` (built in), or a unit's own file.

use std::collections::BTreeMap;

use gongwen_core::archival::RetentionPeriod;
use gongwen_core::flow::FlowKind;
use gongwen_core::DocKind;

use crate::ArchiveError;

/// The built-in table.
pub const DEFAULT_RETENTION_TOML: &str = include_str!("../../../assets/retention.toml");

#[derive(serde::Deserialize)]
struct Raw {
    outgoing: BTreeMap<String, String>,
    incoming: BTreeMap<String, String>,
}

/// 保管期限 per direction and 文种, with a default per direction.
#[derive(Debug, Clone)]
pub struct RetentionTable {
    outgoing: Side,
    incoming: Side,
}

#[derive(Debug, Clone)]
struct Side {
    default: RetentionPeriod,
    kinds: std::collections::HashMap<DocKind, RetentionPeriod>,
}

impl Default for RetentionTable {
    fn default() -> Self {
        RetentionTable::from_toml(DEFAULT_RETENTION_TOML).expect("the built-in table is valid")
    }
}

impl RetentionTable {
    /// Reads a table; an unknown 文种, a missing default or a code other than
    /// Y/D30/D10 is an error naming it.
    pub fn from_toml(text: &str) -> Result<RetentionTable, ArchiveError> {
        let raw: Raw =
            toml::from_str(text).map_err(|e| ArchiveError::RetentionTable(e.to_string()))?;
        Ok(RetentionTable {
            outgoing: side("outgoing", raw.outgoing)?,
            incoming: side("incoming", raw.incoming)?,
        })
    }

    /// The suggested 保管期限 of a 文种 filed as 发文 or 收文.
    pub fn suggest(&self, flow: FlowKind, kind: DocKind) -> RetentionPeriod {
        let side = match flow {
            FlowKind::Outgoing => &self.outgoing,
            FlowKind::Incoming => &self.incoming,
        };
        side.kinds.get(&kind).copied().unwrap_or(side.default)
    }
}

fn side(name: &str, map: BTreeMap<String, String>) -> Result<Side, ArchiveError> {
    let mut default = None;
    let mut kinds = std::collections::HashMap::new();
    for (key, code) in map {
        let period = RetentionPeriod::from_code(&code)
            .map_err(|e| ArchiveError::RetentionTable(format!("[{name}] {key}: {e}")))?;
        if key == "default" {
            default = Some(period);
        } else {
            let kind: DocKind = key
                .parse()
                .map_err(|e| ArchiveError::RetentionTable(format!("[{name}] {e}")))?;
            kinds.insert(kind, period);
        }
    }
    Ok(Side {
        default: default
            .ok_or_else(|| ArchiveError::RetentionTable(format!("[{name}] has no `default`")))?,
        kinds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_reads_and_suggests_per_direction() {
        let t = RetentionTable::default();
        assert_eq!(
            t.suggest(FlowKind::Outgoing, DocKind::Request),
            RetentionPeriod::Permanent
        );
        assert_eq!(
            t.suggest(FlowKind::Incoming, DocKind::Notice),
            RetentionPeriod::Years10
        );
        assert_eq!(
            t.suggest(FlowKind::Outgoing, DocKind::Notice),
            RetentionPeriod::Years30
        );
    }

    #[test]
    fn a_bad_table_names_what_is_wrong() {
        let err =
            RetentionTable::from_toml("[outgoing]\ndefault = \"D\"\n[incoming]\ndefault = \"Y\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("[outgoing] default"), "{err}");
        let err = RetentionTable::from_toml(
            "[outgoing]\ndefault = \"Y\"\nmemo = \"Y\"\n[incoming]\ndefault = \"Y\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("memo"), "{err}");
    }
}
