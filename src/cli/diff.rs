//! `orche diff OLD NEW`: evaluates both sides as `orche export` would, on two threads, then
//! compares them (`orche::diff`) and renders the comparison. Exit statuses: 0 nothing changed,
//! 2 something did, 1 either side failed to evaluate (each error says which side: `old: …`,
//! `new: …`; errors of the new side when the old one evaluates are what the change
//! introduces) or the comparison failed.

use super::state::Done;
use orche::compile::{self, ValueInput};
use orche::diag::Diag;
use orche::export;
use orche::source::SourceMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DiffOut {
    Text,
    Json,
    Markdown,
}

/// `orche diff`.
pub fn diff(old: &Path, new: &Path, expr: Option<&str>, out: DiffOut, color: bool) -> Done {
    let (o, n) = evaluate_both(old.to_path_buf(), new.to_path_buf(), expr);
    let old_ok = o.value.is_some() && o.diags.is_empty();
    let new_ok = n.value.is_some() && n.diags.is_empty();
    let (old_value, new_value) = match (o.value, n.value) {
        (Some(a), Some(b)) if old_ok && new_ok => (a, b),
        _ => {
            let mut sources = o.sources;
            let mut diags = Vec::new();
            if !old_ok {
                diags.push(Diag::new(
                    "orche::diff::old_failed",
                    format!(
                        "old: {} does not evaluate ({}): nothing to compare",
                        old.display(),
                        count_errors(o.diags.len())
                    ),
                ));
                diags.extend(sided("old", o.diags));
            } else {
                // Only the new side's errors are shown: its files are the only ones needed.
                sources = SourceMap::new();
            }
            if !new_ok {
                let headline = if old_ok {
                    format!(
                        "new: the change introduces {}: {} does not evaluate, {} does",
                        count_errors(n.diags.len()),
                        new.display(),
                        old.display()
                    )
                } else {
                    format!(
                        "new: {} does not evaluate either ({})",
                        new.display(),
                        count_errors(n.diags.len())
                    )
                };
                diags.push(Diag::new("orche::diff::new_failed", headline));
                let mut nd = sided("new", n.diags);
                merge_sources(&mut sources, n.sources, &mut nd);
                diags.extend(nd);
            }
            return Done {
                sources,
                stdout: None,
                diags,
                warnings: Vec::new(),
                code: 1,
            };
        }
    };
    let d = match orche::diff::compare(&old_value, &new_value) {
        Ok(d) => d,
        Err(msg) => {
            return failed(vec![Diag::new("orche::diff::bad_federation", msg)]);
        }
    };
    let text = match out {
        DiffOut::Text => export::diff::text(&d, color),
        DiffOut::Json => export::diff::json(&d),
        DiffOut::Markdown => export::diff::markdown(&d),
    };
    let code = if d.changed { 2 } else { 0 };
    // The process exits next: freeing two whole values would only cost time.
    std::mem::forget(old_value);
    std::mem::forget(new_value);
    std::mem::forget(d);
    Done {
        sources: SourceMap::new(),
        stdout: Some(text),
        diags: Vec::new(),
        warnings: Vec::new(),
        code,
    }
}

fn failed(diags: Vec<Diag>) -> Done {
    Done {
        sources: SourceMap::new(),
        stdout: None,
        diags,
        warnings: Vec::new(),
        code: 1,
    }
}

fn count_errors(n: usize) -> String {
    match n {
        0 => "no concrete value".to_string(),
        1 => "1 error".to_string(),
        n => format!("{n} errors"),
    }
}

/// Evaluates the two sides at once: the old one on a thread of its own (with the large
/// stack the compiler thread has, see main.rs), the new one on this thread. Each evaluation
/// owns all its data (the allocator keeps per-thread free lists, see `orche::alloc`), so the
/// two never share anything but the read-only standard library text.
fn evaluate_both(old: PathBuf, new: PathBuf, expr: Option<&str>) -> (ValueInput, ValueInput) {
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .stack_size(1 << 30)
            .spawn_scoped(s, || {
                orche::syntax::declare_big_stack();
                compile::value(std::slice::from_ref(&old), expr, true)
            });
        let n = compile::value(std::slice::from_ref(&new), expr, true);
        let o = match spawned {
            Ok(h) => match h.join() {
                Ok(o) => o,
                Err(p) => std::panic::resume_unwind(p),
            },
            Err(_) => compile::value(std::slice::from_ref(&old), expr, true),
        };
        (o, n)
    })
}

/// Prefixes each diagnostic with the side it comes from.
fn sided(side: &str, diags: Vec<Diag>) -> Vec<Diag> {
    diags
        .into_iter()
        .map(|mut d| {
            if d.path.is_empty() {
                d.message = format!("{side}: {}", d.message);
            } else {
                d.path = format!("{side}: {}", d.path);
            }
            d
        })
        .collect()
}

/// Adds the files of `from` to `into` and points the labels of `diags` (spans of `from`) at
/// the copies.
fn merge_sources(into: &mut SourceMap, from: SourceMap, diags: &mut [Diag]) {
    let ids: Vec<orche::source::FileId> = from
        .files()
        .map(|(_, f)| into.add(f.name.clone(), f.text.clone()))
        .collect();
    for d in diags {
        for l in &mut d.labels {
            if let Some(&id) = ids.get(l.span.file.0 as usize) {
                l.span.file = id;
            }
        }
    }
}
