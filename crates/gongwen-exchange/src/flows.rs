//! Units' own 发文 and 收文 flows, set by the exchange's admin as files
//! (`flows_dir/<unit code>/outgoing.toml` and `incoming.toml`, format in
//! docs/workflows.md), read and checked once at start: a server never runs on a flow
//! file it could not read. A unit without its own follows the 条例's default. The
//! server decides every step by them, and sends them to clients in the directory so
//! the app offers the same steps.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use gongwen_core::flow::{Flow, FlowKind};
use gongwen_core::wire::{UnitCode, UnitFlow};

/// A flows folder the server cannot start with; names the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("flows_dir {}: {message}", path.display())]
pub struct FlowsError {
    pub path: PathBuf,
    pub message: String,
}

/// Every unit's flows: its own where the admin set one, else the default.
pub struct UnitFlows {
    own: HashMap<(UnitCode, FlowKind), Flow>,
    sources: Vec<UnitFlow>,
    outgoing: Flow,
    incoming: Flow,
}

impl Default for UnitFlows {
    fn default() -> Self {
        UnitFlows {
            own: HashMap::new(),
            sources: Vec::new(),
            outgoing: Flow::default_for(FlowKind::Outgoing),
            incoming: Flow::default_for(FlowKind::Incoming),
        }
    }
}

impl UnitFlows {
    /// Reads `dir`: one folder per unit, named by its code, holding `outgoing.toml`
    /// and/or `incoming.toml`. Refuses anything else there, a unit the exchange does
    /// not have (a typo would silently leave the unit on the default), a file that
    /// does not parse (with its line and reason) and a file of the other kind.
    pub fn load(dir: &Path, units: &HashSet<UnitCode>) -> Result<UnitFlows, FlowsError> {
        let err = |path: &Path, message: String| FlowsError {
            path: path.to_path_buf(),
            message,
        };
        let mut flows = UnitFlows::default();
        let entries = std::fs::read_dir(dir).map_err(|e| err(dir, format!("cannot read: {e}")))?;
        let mut unit_dirs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| err(dir, format!("cannot read: {e}")))?;
            unit_dirs.push(entry.path());
        }
        unit_dirs.sort();
        for unit_dir in unit_dirs {
            let name = unit_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !unit_dir.is_dir() {
                return Err(err(
                    &unit_dir,
                    "expected a folder named by a unit code, holding outgoing.toml or incoming.toml".into(),
                ));
            }
            let unit = UnitCode::from(name.as_str());
            if !units.contains(&unit) {
                return Err(err(
                    &unit_dir,
                    format!("there is no unit `{name}` on this exchange"),
                ));
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(&unit_dir)
                .map_err(|e| err(&unit_dir, format!("cannot read: {e}")))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(|e| err(&unit_dir, format!("cannot read: {e}")))?;
            files.sort();
            for file in files {
                let kind = match file.file_name().and_then(|n| n.to_str()) {
                    Some("outgoing.toml") => FlowKind::Outgoing,
                    Some("incoming.toml") => FlowKind::Incoming,
                    _ => {
                        return Err(err(
                            &file,
                            "unexpected file: a unit's folder holds outgoing.toml and incoming.toml only".into(),
                        ))
                    }
                };
                let source = std::fs::read_to_string(&file)
                    .map_err(|e| err(&file, format!("cannot read: {e}")))?;
                let flow = Flow::parse(&source).map_err(|e| err(&file, e.to_string()))?;
                if flow.kind != kind {
                    return Err(err(
                        &file,
                        format!(
                            "the file says kind = \"{}\", its name says {}",
                            flow.kind.as_str(),
                            kind.as_str()
                        ),
                    ));
                }
                flows.own.insert((unit.clone(), kind), flow);
                flows.sources.push(UnitFlow {
                    unit: unit.clone(),
                    kind,
                    source,
                });
            }
        }
        Ok(flows)
    }

    /// The flow `unit` follows for `kind`.
    pub fn flow(&self, unit: &UnitCode, kind: FlowKind) -> &Flow {
        self.own.get(&(unit.clone(), kind)).unwrap_or(match kind {
            FlowKind::Outgoing => &self.outgoing,
            FlowKind::Incoming => &self.incoming,
        })
    }

    /// The units' own flow files, as the directory sends them.
    pub fn sources(&self) -> &[UnitFlow] {
        &self.sources
    }
}
