//! `orche vet --format gitlab`: a GitLab Code Quality report (the subset of the Code Climate
//! format GitLab reads: `description`, `check_name`, `fingerprint`, `severity`,
//! `location.path`, `location.lines.begin`), which a job publishes with
//! `artifacts: reports: codequality:` so that merge requests show the problems. Errors are
//! `major`, warnings `minor`; a problem without a location (an unreadable input) has an empty
//! path and line 1.
//! The fingerprint is a SHA-256 of the code, file, data path and message: stable across runs
//! and line moves, so GitLab can tell new problems from fixed ones.

use super::Item;
use crate::diag::Severity;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The report for `items`, pretty-printed, ending with a newline.
pub fn render(items: &[Item]) -> String {
    let issues: Vec<Value> = items
        .iter()
        .map(|i| {
            let d = i.diag;
            let (path, line) = match &i.at {
                Some(at) => (at.file.as_str(), at.range.start.line),
                None => ("", 1),
            };
            let mut description = d.headline();
            if let Some(h) = &d.help {
                description.push_str(" (help: ");
                description.push_str(h);
                description.push(')');
            }
            json!({
                "description": description,
                "check_name": d.code,
                "fingerprint": fingerprint(&[d.code, path, &d.path, &d.message]),
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                "location": {"path": path.trim_start_matches("./"), "lines": {"begin": line}},
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&Value::Array(issues)).unwrap_or_default();
    text.push('\n');
    text
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
