//! Units' own 发文 and 收文 flows, set by the exchange's admin as files
//! (`flows_dir/<unit code>/outgoing.toml` and `incoming.toml`, format in
//! docs/workflows.md), read and checked once at start: a server never runs on a flow
//! file it could not read. A unit without its own follows the 条例's default. The
//! server decides every step by them, and sends them to clients in the directory so
//! the app offers the same steps.
//!
//! A handling follows the flow version it started with ([`Flow::digest`], recorded in
//! the handling), so an admin may change a unit's flow while documents are mid-way:
//! storage keeps every version some handling in progress still follows
//! ([`UnitFlows::keep_versions`], at start), and the directory carries the earlier
//! ones to clients.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use gongwen_core::flow::{Flow, FlowKind, StepId, DEFAULT_INCOMING, DEFAULT_OUTGOING};
use gongwen_core::handling::Handling;
use gongwen_core::wire::{FlowVersion, UnitCode, UnitFlow};
use gongwen_core::workflow::DocumentState;
use gongwen_core::DocumentId;

use crate::storage::{Storage, StorageError};

/// A flows folder the server cannot start with; names the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("flows_dir {}: {message}", path.display())]
pub struct FlowsError {
    pub path: PathBuf,
    pub message: String,
}

/// One entry of a flows folder as [`check_dir`] found it.
#[derive(Debug)]
pub struct CheckedFile {
    pub path: PathBuf,
    /// The unit folder's name (a unit code when it is right).
    pub unit: String,
    /// The kind the file's name says; `None` for an entry that is no flow file.
    pub kind: Option<FlowKind>,
    /// The flow and its file's text, or what is wrong (the loader's message, with the
    /// line when there is one).
    pub outcome: Result<(Flow, String), String>,
}

/// Reads and checks every entry of a flows folder: one folder per unit, named by its
/// code, holding `outgoing.toml` and/or `incoming.toml`. Each problem is reported on
/// its entry (anything else there, a unit the exchange does not have, a file that does
/// not parse, with its line and reason, a file of the other kind); only a folder that
/// cannot be read at all is an error. Reads files only; writes nothing.
pub fn check_dir(dir: &Path, units: &HashSet<UnitCode>) -> Result<Vec<CheckedFile>, FlowsError> {
    let err = |path: &Path, message: String| FlowsError {
        path: path.to_path_buf(),
        message,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| err(dir, format!("cannot read: {e}")))?;
    let mut unit_dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(dir, format!("cannot read: {e}")))?;
        unit_dirs.push(entry.path());
    }
    unit_dirs.sort();
    let mut out = Vec::new();
    for unit_dir in unit_dirs {
        let name = unit_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let refused = |message: &str| CheckedFile {
            path: unit_dir.clone(),
            unit: name.clone(),
            kind: None,
            outcome: Err(message.to_string()),
        };
        if !unit_dir.is_dir() {
            out.push(refused(
                "expected a folder named by a unit code, holding outgoing.toml or incoming.toml",
            ));
            continue;
        }
        if !units.contains(&UnitCode::from(name.as_str())) {
            out.push(refused(&format!(
                "there is no unit `{name}` on this exchange"
            )));
            continue;
        }
        let files: Result<Vec<PathBuf>, _> =
            std::fs::read_dir(&unit_dir).and_then(|rd| rd.map(|e| e.map(|e| e.path())).collect());
        let mut files = match files {
            Ok(files) => files,
            Err(e) => {
                out.push(refused(&format!("cannot read: {e}")));
                continue;
            }
        };
        files.sort();
        for file in files {
            let kind = match file.file_name().and_then(|n| n.to_str()) {
                Some("outgoing.toml") => Some(FlowKind::Outgoing),
                Some("incoming.toml") => Some(FlowKind::Incoming),
                _ => None,
            };
            let outcome = match kind {
                None => Err(
                    "unexpected file: a unit's folder holds outgoing.toml and incoming.toml only"
                        .to_string(),
                ),
                Some(kind) => read_flow(&file, kind),
            };
            out.push(CheckedFile {
                path: file,
                unit: name.clone(),
                kind,
                outcome,
            });
        }
    }
    Ok(out)
}

fn read_flow(file: &Path, kind: FlowKind) -> Result<(Flow, String), String> {
    let source = std::fs::read_to_string(file).map_err(|e| format!("cannot read: {e}"))?;
    let flow = Flow::parse(&source).map_err(|e| e.to_string())?;
    if flow.kind != kind {
        return Err(format!(
            "the file says kind = \"{}\", its name says {}",
            flow.kind.as_str(),
            kind.as_str()
        ));
    }
    Ok((flow, source))
}

/// Every unit's flows: its own where the admin set one, else the default; and the
/// earlier versions handlings in progress still follow.
pub struct UnitFlows {
    own: HashMap<(UnitCode, FlowKind), Flow>,
    sources: Vec<UnitFlow>,
    outgoing: Flow,
    incoming: Flow,
    /// Earlier versions kept for the handlings that follow them, by digest.
    earlier: HashMap<String, Flow>,
    /// The same, as the directory sends them.
    earlier_sources: Vec<FlowVersion>,
}

impl Default for UnitFlows {
    fn default() -> Self {
        UnitFlows {
            own: HashMap::new(),
            sources: Vec::new(),
            outgoing: Flow::default_for(FlowKind::Outgoing),
            incoming: Flow::default_for(FlowKind::Incoming),
            earlier: HashMap::new(),
            earlier_sources: Vec::new(),
        }
    }
}

/// What [`UnitFlows::keep_versions`] found, for the start's log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KeptVersions {
    /// Earlier versions kept because handlings in progress follow them.
    pub earlier: usize,
    /// Handlings in progress that name a version storage no longer has: they follow
    /// the current flow.
    pub unknown: usize,
}

impl UnitFlows {
    /// Reads `dir` ([`check_dir`]); the first problem found stops the load.
    pub fn load(dir: &Path, units: &HashSet<UnitCode>) -> Result<UnitFlows, FlowsError> {
        let mut flows = UnitFlows::default();
        for file in check_dir(dir, units)? {
            let (flow, source) = file.outcome.map_err(|message| FlowsError {
                path: file.path.clone(),
                message,
            })?;
            let unit = UnitCode::from(file.unit.as_str());
            flows.own.insert((unit.clone(), flow.kind), flow.clone());
            flows.sources.push(UnitFlow {
                unit,
                kind: flow.kind,
                source,
            });
        }
        Ok(flows)
    }

    /// The flow `unit` follows for `kind` now: a handling starting now follows it.
    pub fn flow(&self, unit: &UnitCode, kind: FlowKind) -> &Flow {
        self.own.get(&(unit.clone(), kind)).unwrap_or(match kind {
            FlowKind::Outgoing => &self.outgoing,
            FlowKind::Incoming => &self.incoming,
        })
    }

    /// The flow a handling follows: the earlier version it started with when the
    /// unit's flow has changed since, else the current one (also for a handling from
    /// before versions were recorded, which names none).
    pub fn handling_flow(&self, handling: &Handling) -> &Flow {
        handling
            .flow_digest
            .as_deref()
            .and_then(|d| self.earlier.get(d))
            .filter(|f| f.kind == handling.flow)
            .unwrap_or_else(|| self.flow(&handling.unit, handling.flow))
    }

    /// The units' own flow files, as the directory sends them.
    pub fn sources(&self) -> &[UnitFlow] {
        &self.sources
    }

    /// The earlier versions handlings in progress follow, as the directory sends them.
    pub fn earlier(&self) -> &[FlowVersion] {
        &self.earlier_sources
    }

    /// The versions a handling starting now may follow: every unit's own and the two
    /// defaults.
    pub fn current_versions(&self) -> Vec<FlowVersion> {
        let defaults = [
            (&self.outgoing, DEFAULT_OUTGOING),
            (&self.incoming, DEFAULT_INCOMING),
        ];
        let own = self.sources.iter().filter_map(|s| {
            self.own
                .get(&(s.unit.clone(), s.kind))
                .map(|f| (f, s.source.as_str()))
        });
        defaults
            .into_iter()
            .chain(own)
            .map(|(flow, source)| FlowVersion {
                digest: flow.digest(),
                kind: flow.kind,
                source: source.to_string(),
            })
            .collect()
    }

    /// At start: stores the current versions, forgets the versions no handling in
    /// progress follows any more, and takes in the earlier ones still followed. Run
    /// before the server takes commands (and with the flows it will decide by).
    pub async fn keep_versions(
        &mut self,
        storage: &dyn Storage,
    ) -> Result<KeptVersions, StorageError> {
        let current = self.current_versions();
        let open = open_handlings(storage).await?;
        let pinned: BTreeSet<String> = open
            .iter()
            .filter_map(|(_, h)| h.flow_digest.clone())
            .collect();
        let keep: Vec<String> = pinned.iter().cloned().collect();
        storage.keep_flow_versions(&current, &keep).await?;
        self.earlier.clear();
        self.earlier_sources.clear();
        for v in storage.flow_versions().await? {
            if current.iter().any(|c| c.digest == v.digest) {
                continue;
            }
            match Flow::parse(&v.source) {
                Ok(flow) if flow.digest() == v.digest && flow.kind == v.kind => {
                    self.earlier.insert(v.digest.clone(), flow);
                    self.earlier_sources.push(v);
                }
                // A version this build reads differently cannot be followed; its
                // handlings fall back to the current flow, as before versions.
                _ => {
                    tracing::warn!(digest = %v.digest, "a stored flow version no longer reads as it was")
                }
            }
        }
        let known =
            |d: &String| current.iter().any(|c| &c.digest == d) || self.earlier.contains_key(d);
        Ok(KeptVersions {
            earlier: self.earlier.len(),
            unknown: pinned.iter().filter(|d| !known(d)).count(),
        })
    }
}

/// Every handling in progress (not finished), with its document.
pub async fn open_handlings(
    storage: &dyn Storage,
) -> Result<Vec<(DocumentId, Handling)>, StorageError> {
    let mut out = Vec::new();
    for (id, state) in storage.open_workflow_states().await? {
        let state: DocumentState = serde_json::from_str(&state)
            .map_err(|e| StorageError::Backend(format!("workflow of {id}: {e}")))?;
        out.extend(
            state
                .handlings
                .into_iter()
                .filter(|h| !h.finished)
                .map(|h| (id, h)),
        );
    }
    Ok(out)
}

/// For `admin flows check`: what a server started on `next` would do to the handlings
/// in progress of one unit and kind.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HandlingsUnderChange {
    /// Handlings that keep the earlier flow they started with, by the step each is at
    /// (step id → how many).
    pub keep_earlier: BTreeMap<StepId, usize>,
    /// Handlings that name no flow (from before versions were recorded) and will follow
    /// `next`, at a step `next` does not have: the server will refuse their steps.
    pub stranded: BTreeMap<StepId, usize>,
}

/// Sorts the handlings in progress by what `next` (the flows a server would start
/// with) does to them, per unit and kind; units whose handlings all follow `next`
/// are left out.
pub fn handlings_under_change(
    open: &[(DocumentId, Handling)],
    next: &UnitFlows,
) -> BTreeMap<(UnitCode, &'static str), HandlingsUnderChange> {
    let mut out: BTreeMap<(UnitCode, &'static str), HandlingsUnderChange> = BTreeMap::new();
    for (_, h) in open {
        let flow = next.flow(&h.unit, h.flow);
        let key = (h.unit.clone(), h.flow.as_str());
        match &h.flow_digest {
            Some(d) if *d != flow.digest() => {
                *out.entry(key)
                    .or_default()
                    .keep_earlier
                    .entry(h.step.clone())
                    .or_default() += 1;
            }
            None if flow.step(&h.step).is_none() => {
                *out.entry(key)
                    .or_default()
                    .stranded
                    .entry(h.step.clone())
                    .or_default() += 1;
            }
            _ => {}
        }
    }
    out
}
