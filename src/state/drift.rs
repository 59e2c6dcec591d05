//! Drift: declared resources compared with live state, field by field, by the rules of
//! `orche/actions` (`fields`: which observed field, equal or subset, digest). Invariant: every
//! declared resource of a probed site and every live resource appears exactly once in the
//! report (a live resource nothing declares is `extra`, never dropped); the summary is
//! counted from the entries, never typed in.

use super::declared::{self, Declared, Resource};
use super::kinds::{Field, Kinds, Match};
use super::live::{Live, ProbeStatus};
use crate::value::Value;
use indexmap::IndexMap;
use serde::Serialize;

/// The version of the report format. Changes are additive.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    InSync,
    Missing,
    Changed,
    Unhealthy,
    Extra,
    Unknown,
}

impl DriftStatus {
    pub const ALL: [DriftStatus; 6] = [
        DriftStatus::InSync,
        DriftStatus::Missing,
        DriftStatus::Changed,
        DriftStatus::Unhealthy,
        DriftStatus::Extra,
        DriftStatus::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DriftStatus::InSync => "in_sync",
            DriftStatus::Missing => "missing",
            DriftStatus::Changed => "changed",
            DriftStatus::Unhealthy => "unhealthy",
            DriftStatus::Extra => "extra",
            DriftStatus::Unknown => "unknown",
        }
    }
}

/// One field that differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The declared field.
    pub field: String,
    /// The observed field it is compared with, when it has another name (`content` is
    /// compared by its `sha256`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    /// What the probe should have seen.
    pub declared: serde_json::Value,
    /// What it saw.
    pub live: serde_json::Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// "site/name".
    pub resource: String,
    pub site: String,
    pub name: String,
    pub kind: String,
    pub status: DriftStatus,
    pub changes: Vec<Change>,
    /// Why the state is unknown or unhealthy, as the probe reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub federation: String,
    pub declared_digest: String,
    pub live_digest: String,
    /// The sites the live documents cover; only their resources are compared.
    pub sites: Vec<String>,
    pub resources: Vec<Entry>,
    /// A count per status, every status listed.
    pub summary: IndexMap<&'static str, usize>,
}

impl Report {
    /// Whether anything differs (what `orche drift` exits 2 for).
    pub fn drifted(&self) -> bool {
        self.resources
            .iter()
            .any(|e| e.status != DriftStatus::InSync)
    }
}

/// Compares the declared resources of the sites the live documents cover with them.
pub fn compare(declared: &Declared, kinds: &Kinds, live: &Live) -> Report {
    use rayon::prelude::*;
    let sites = live.sites();
    let mut resources: Vec<Entry> = declared
        .select(&sites)
        .into_par_iter()
        .map(|r| entry(r, kinds, live))
        .collect();
    for (key, p) in &live.resources {
        if declared.get(key).is_some() {
            continue;
        }
        let (site, name) = split_key(key);
        resources.push(Entry {
            resource: key.clone(),
            site,
            name,
            kind: p.resource.kind.clone(),
            status: DriftStatus::Extra,
            changes: Vec::new(),
            error: None,
        });
    }
    let mut summary: IndexMap<&'static str, usize> =
        DriftStatus::ALL.iter().map(|s| (s.name(), 0)).collect();
    for e in &resources {
        *summary.entry(e.status.name()).or_default() += 1;
    }
    Report {
        format_version: FORMAT_VERSION,
        federation: declared.federation.clone(),
        declared_digest: declared.digest.clone(),
        live_digest: live.digest(),
        sites,
        resources,
        summary,
    }
}

/// "site/name" split at its first `/`.
pub fn split_key(key: &str) -> (String, String) {
    match key.split_once('/') {
        Some((s, n)) => (s.to_string(), n.to_string()),
        None => (String::new(), key.to_string()),
    }
}

fn entry(r: &Resource, kinds: &Kinds, live: &Live) -> Entry {
    let mut e = Entry {
        resource: r.key.clone(),
        site: r.site.clone(),
        name: r.name.clone(),
        kind: r.kind.clone(),
        status: DriftStatus::Unknown,
        changes: Vec::new(),
        error: None,
    };
    let Some(p) = live.resources.get(&r.key) else {
        e.error = Some("not in any live state document".into());
        return e;
    };
    let l = &p.resource;
    e.error = l.error.clone();
    if l.kind != r.kind && l.exists {
        e.status = DriftStatus::Changed;
        e.changes.push(Change {
            field: "kind".into(),
            observed: None,
            declared: serde_json::Value::String(r.kind.clone()),
            live: serde_json::Value::String(l.kind.clone()),
        });
        return e;
    }
    if l.status == ProbeStatus::Unknown {
        return e;
    }
    if !l.exists || l.status == ProbeStatus::Missing {
        e.status = DriftStatus::Missing;
        return e;
    }
    if let Some(kind) = kinds.get(&r.kind) {
        e.changes = changes(r, kind.fields.iter(), &l.observed);
    }
    e.status = if !e.changes.is_empty() {
        DriftStatus::Changed
    } else if l.status == ProbeStatus::Unhealthy {
        DriftStatus::Unhealthy
    } else {
        DriftStatus::InSync
    };
    e
}

/// The declared fields whose observed values differ. A field the resource does not declare,
/// or that was not observed, is not compared.
pub fn changes<'a>(
    r: &Resource,
    fields: impl Iterator<Item = (&'a String, &'a Field)>,
    observed: &IndexMap<String, serde_json::Value>,
) -> Vec<Change> {
    let mut out = Vec::new();
    for (name, f) in fields {
        let Some(declared) = r.fields.get(name) else {
            continue;
        };
        let Some(seen) = observed.get(&f.observed).filter(|v| !v.is_null()) else {
            continue;
        };
        let expected = expected_observation(declared, f);
        let same = match f.matching {
            Match::Equal => json_equal(&expected, seen),
            Match::Subset => subset(&expected, seen),
        };
        if !same {
            out.push(Change {
                field: name.clone(),
                observed: (f.observed != *name).then(|| f.observed.clone()),
                declared: expected,
                live: seen.clone(),
            });
        }
    }
    out
}

/// What a probe sees when the field has its declared value: the value itself, its digest,
/// a list of strings for a list, or `key=value` lines for a struct.
pub fn expected_observation(declared: &Value, f: &Field) -> serde_json::Value {
    if let Some(e) = &f.expect {
        return to_json(e);
    }
    if f.sha256 {
        if let Value::Str(s) = declared {
            return serde_json::Value::String(declared::sha256_hex(s.as_bytes()));
        }
    }
    match declared {
        Value::Struct(m) => serde_json::Value::Array(
            m.iter()
                .map(|(k, v)| {
                    serde_json::Value::String(format!(
                        "{k}={}",
                        super::template::scalar_text(v).unwrap_or_default()
                    ))
                })
                .collect(),
        ),
        other => to_json(other),
    }
}

/// A value as JSON.
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Num(n) => serde_json::from_str(&n.to_string())
            .unwrap_or_else(|_| serde_json::Value::String(n.to_string())),
        Value::Str(s) => serde_json::Value::String(s.clone()),
        Value::Bytes(b) => serde_json::Value::String(String::from_utf8_lossy(b).into_owned()),
        Value::List(xs) => serde_json::Value::Array(xs.iter().map(to_json).collect()),
        Value::Struct(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// Equality that reads numbers by value (`200` and `200.0` differ in JSON text only).
fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a, b) {
        (serde_json::Value::Number(x), serde_json::Value::Number(y)) => {
            x.to_string() == y.to_string()
                || x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        _ => a == b,
    }
}

/// Every declared entry is among the observed ones.
fn subset(expected: &serde_json::Value, seen: &serde_json::Value) -> bool {
    match (expected, seen) {
        (serde_json::Value::Array(want), serde_json::Value::Array(have)) => {
            want.iter().all(|w| have.iter().any(|h| json_equal(w, h)))
        }
        _ => json_equal(expected, seen),
    }
}
