//! Live state: the JSON documents that probe scripts print (format in docs/drift.md, schema in
//! docs/live-state.schema.json), parsed, checked and merged. Invariant: a document is either
//! read whole or rejected with the file, line, column and data path of the first problem;
//! merged resources keep the order of the files, then of each file.

use crate::diag::Diag;
use crate::source::{FileId, SourceMap, Span};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The version of the live-state format this orche writes and reads. Changes are additive.
pub const FORMAT_VERSION: u32 = 1;

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum ProbeStatus {
    Healthy,
    Unhealthy,
    Missing,
    Unknown,
}

/// Read through a string, so that a value of another type is reported as a wrong type (serde
/// reads a unit enum from a number as malformed JSON).
impl TryFrom<String> for ProbeStatus {
    type Error = String;
    fn try_from(s: String) -> Result<ProbeStatus, String> {
        match s.as_str() {
            "healthy" => Ok(ProbeStatus::Healthy),
            "unhealthy" => Ok(ProbeStatus::Unhealthy),
            "missing" => Ok(ProbeStatus::Missing),
            "unknown" => Ok(ProbeStatus::Unknown),
            _ => Err(format!(
                "unknown status {s:?}, expected one of \"healthy\", \"unhealthy\", \"missing\", \"unknown\""
            )),
        }
    }
}

/// A data path as orche writes them: `resources."a/web".status`.
fn path_text(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in p.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                let plain = !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !key.starts_with(|c: char| c.is_ascii_digit());
                if plain {
                    out.push_str(key);
                } else {
                    out.push_str(&format!("{key:?}"));
                }
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// One probed resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveResource {
    pub kind: String,
    pub exists: bool,
    pub status: ProbeStatus,
    /// Observed fields (per kind, as `orche/actions` names them); null when not observed.
    #[serde(default)]
    pub observed: IndexMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub attempts: u64,
    #[serde(default)]
    pub elapsed_ms: u64,
    /// For a resource found by discovery (not declared where the probe was made): the
    /// values that name it (a container name, its recorded dependencies).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub identity: IndexMap<String, String>,
}

/// One live-state document, as a probe script prints it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LiveDoc {
    pub format_version: u32,
    pub federation: String,
    pub declared_digest: String,
    #[serde(default)]
    pub probed_at: String,
    #[serde(default)]
    pub host: String,
    /// The sites probed.
    pub sites: Vec<String>,
    pub resources: IndexMap<String, LiveResource>,
}

/// Where a merged resource came from.
#[derive(Clone, Debug)]
pub struct Probed {
    pub resource: LiveResource,
    /// Index into [`Live::docs`].
    pub doc: usize,
}

/// Several live documents merged.
#[derive(Clone, Debug, Default)]
pub struct Live {
    /// File name and document, in argument order.
    pub docs: Vec<(String, LiveDoc)>,
    pub resources: IndexMap<String, Probed>,
}

impl Live {
    /// Every site any document probed, in first-seen order.
    pub fn sites(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, d) in &self.docs {
            for s in &d.sites {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
        out
    }

    /// `sha256:` and the digest of what was observed (existence and observed fields, not
    /// timings), resource by resource in key order.
    pub fn digest(&self) -> String {
        let mut keys: Vec<&String> = self.resources.keys().collect();
        keys.sort();
        let mut text = String::new();
        for k in keys {
            let r = &self.resources[k].resource;
            text.push_str(&serde_json::to_string(k).unwrap_or_default());
            text.push_str(&format!(":{}:{}:", r.kind, r.exists));
            text.push_str(&serde_json::to_string(&r.observed).unwrap_or_default());
            text.push('\n');
        }
        super::declared::sha256_tagged(text.as_bytes())
    }
}

/// Parses one document held in `sources` as `file`.
pub fn parse(sources: &SourceMap, file: FileId) -> Result<LiveDoc, Diag> {
    let f = sources.get(file);
    let at = |line: usize, col: usize| -> Span {
        let starts = f.line_starts();
        let line_start = starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(f.text.len() as u32) as usize;
        // serde_json counts columns in bytes, 1-based.
        let off = (line_start + col.saturating_sub(1)).min(f.text.len());
        let mut off = off;
        while !f.text.is_char_boundary(off) {
            off -= 1;
        }
        Span::new(file, off, (off + 1).min(f.text.len()).max(off))
    };
    let de = &mut serde_json::Deserializer::from_str(&f.text);
    let doc: LiveDoc = match serde_path_to_error::deserialize(de) {
        Ok(d) => d,
        Err(e) => {
            let path = path_text(e.path());
            let inner = e.into_inner();
            let msg = strip_position(&inner.to_string());
            let (code, what) = if inner.is_syntax() || inner.is_eof() {
                ("orche::live::malformed", "malformed live state")
            } else {
                ("orche::live::invalid", "invalid live state")
            };
            let mut d = Diag::new(code, format!("{what}: {msg}"))
                .with_label(at(inner.line(), inner.column()), "here")
                .with_help(
                    "a live-state document is what `orche export --probes` scripts print; \
                     docs/drift.md describes the format",
                );
            if !path.is_empty() {
                d = d.with_path(path);
            }
            return Err(d);
        }
    };
    let whole = Span::new(file, 0, f.text.len().min(1));
    if doc.format_version > FORMAT_VERSION || doc.format_version == 0 {
        return Err(Diag::new(
            "orche::live::version",
            format!(
                "live state has format_version {}; this orche reads version {FORMAT_VERSION}",
                doc.format_version
            ),
        )
        .with_path("format_version")
        .with_label(whole, "this document"));
    }
    Ok(doc)
}

/// serde_json appends " at line L column C"; the label shows the position.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Merges documents in order. A resource in two documents is an error naming both files.
pub fn merge(docs: Vec<(String, LiveDoc)>) -> Result<Live, Vec<Diag>> {
    let mut live = Live::default();
    let mut errors = Vec::new();
    for (i, (name, doc)) in docs.iter().enumerate() {
        for (key, r) in &doc.resources {
            if let Some(prev) = live.resources.get(key) {
                errors.push(
                    Diag::new(
                        "orche::live::duplicate",
                        format!(
                            "{key} was probed twice: in {} and in {name}",
                            docs[prev.doc].0
                        ),
                    )
                    .with_path(format!("resources.{key:?}"))
                    .with_help("give each site's live file once; probe a site with --site"),
                );
                continue;
            }
            live.resources.insert(
                key.clone(),
                Probed {
                    resource: r.clone(),
                    doc: i,
                },
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    live.docs = docs;
    Ok(live)
}
