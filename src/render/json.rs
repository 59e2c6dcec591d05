//! `orche vet --format json`: one versioned document (docs/ci.md describes every field). Lines
//! and columns are 1-based, columns in Unicode scalar values; `range.end` is just after the
//! last character. A problem without a place has `file` and `range` null.

use super::{Item, Location, Summary};
use serde_json::{json, Value};

/// The format's version: a field removed or changing meaning makes it 2; fields may be added.
pub const VERSION: u32 = 1;

/// The document for `items`, pretty-printed, ending with a newline.
pub fn render(items: &[Item], summary: &Summary) -> String {
    let diagnostics: Vec<Value> = items.iter().map(item).collect();
    let doc = json!({
        "version": VERSION,
        "diagnostics": diagnostics,
        "summary": {
            "errors": summary.errors,
            "warnings": summary.warnings,
            "files": summary.files,
        },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn item(i: &Item) -> Value {
    let d = i.diag;
    let related: Vec<Value> = i
        .related
        .iter()
        .map(|r| {
            json!({
                "file": r.at.file,
                "range": range(&r.at),
                "message": r.message,
            })
        })
        .collect();
    json!({
        "code": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
        "path": d.path,
        "file": i.at.as_ref().map(|l| l.file.as_str()),
        "range": i.at.as_ref().map(range),
        "related": related,
        "help": d.help,
    })
}

fn range(l: &Location) -> Value {
    let r = &l.range;
    json!({
        "start": {"line": r.start.line, "column": r.start.column},
        "end": {"line": r.end.line, "column": r.end.column},
    })
}
