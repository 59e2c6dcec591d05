//! `orche diff` as data: what changed between two evaluated values (the old and the new side
//! of a change), and, when both are federations, what the change does to the federation:
//! resources added, removed and changed, their blast radius in the dependency graph, and the
//! sites whose deployment order moved. Renderers are in `export/diff.rs`; the JSON document is
//! documented field by field in docs/diff.md. Invariant: everything is listed in declaration
//! order (old side first for what only it has), so the same inputs give the same document.

pub mod federation;
pub mod value;

use crate::value::Value;
use serde::Serialize;

/// The version of the JSON document. Changes are additive.
pub const FORMAT_VERSION: u32 = 1;

/// The whole comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub version: u32,
    /// Whether anything differs (the command exits 2 when it does, 0 when not).
    pub changed: bool,
    pub summary: Summary,
    /// The value diff by data path.
    pub values: Vec<value::Change>,
    /// Present when both sides are (or hold one) federation.
    pub federation: Option<federation::FederationDiff>,
}

/// Counts, for the first line of every rendering.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub values_added: usize,
    pub values_removed: usize,
    pub values_changed: usize,
    pub resources_added: usize,
    pub resources_removed: usize,
    pub resources_changed: usize,
    /// Resources not changed themselves that depend on a changed or removed one.
    pub resources_affected: usize,
    pub sites_added: usize,
    pub sites_removed: usize,
    /// Sites whose deployment order (or waves) moved.
    pub sites_reordered: usize,
}

/// Compares two evaluated values. `Err` when both sides are federations but one cannot be
/// read as one (a message naming the side).
pub fn compare(old: &Value, new: &Value) -> Result<Diff, String> {
    let values = value::diff(old, new);
    // Equal values have equal federations: the federation is read only when something
    // differs.
    let federation = match (federation::find(old), federation::find(new)) {
        (Some(o), Some(n)) if values.is_empty() => Some(federation::FederationDiff::empty(&o, &n)),
        (Some(o), Some(n)) => Some(federation::compare(&o, &n)?),
        _ => None,
    };
    let mut summary = Summary::default();
    for c in &values {
        match c.change {
            value::Kind::Added => summary.values_added += 1,
            value::Kind::Removed => summary.values_removed += 1,
            value::Kind::Changed => summary.values_changed += 1,
        }
    }
    if let Some(f) = &federation {
        for r in &f.resources {
            match r.change {
                value::Kind::Added => summary.resources_added += 1,
                value::Kind::Removed => summary.resources_removed += 1,
                value::Kind::Changed => summary.resources_changed += 1,
            }
        }
        summary.resources_affected = f.blast_radius.len();
        summary.sites_added = f.sites_added.len();
        summary.sites_removed = f.sites_removed.len();
        summary.sites_reordered = f.order_moved.len();
    }
    Ok(Diff {
        version: FORMAT_VERSION,
        changed: !values.is_empty(),
        summary,
        values,
        federation,
    })
}
