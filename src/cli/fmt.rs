//! `orche fmt [--check] [--diff] [FILES…|DIRS…]`: every `.orc`/`.cue` file named, or found
//! under the directories named (hidden directories and `target` skipped; sorted), put in the
//! canonical layout. Without flags a file that changes is rewritten in place, atomically
//! (temporary file, then rename; permissions kept); an unchanged file is not touched. `--check`
//! lists the files that would change; `--diff` prints their unified diffs; neither writes.
//! Exit statuses: 0 nothing to do (or all written), 1 files would change (`--check`/`--diff`)
//! or a file has a syntax error (it is left untouched), 2 a usage or I/O error.

use orche::diag::Diag;
use orche::source::SourceMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
    Diff,
}

/// What `fmt` did: its output, the problems to print, and its exit status.
pub struct Formatted {
    pub stdout: String,
    pub sources: SourceMap,
    pub diags: Vec<Diag>,
    pub code: u8,
}

/// Formats `paths` (the current directory when empty) in `mode`.
pub fn fmt(paths: &[PathBuf], mode: Mode) -> Formatted {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut out = Formatted {
        stdout: String::new(),
        sources: SourceMap::new(),
        diags: Vec::new(),
        code: 0,
    };
    let mut io = false;
    let mut bad = false;
    let mut changed = false;
    let mut files = Vec::new();
    for p in &paths {
        match collect(p, &mut files) {
            Ok(()) => {}
            Err(e) => {
                io = true;
                out.diags.push(Diag::new(
                    "orche::load::io",
                    format!("cannot read {}: {}", p.display(), io_reason(&e)),
                ));
            }
        }
    }
    for f in files {
        let name = f.display().to_string();
        let text = match std::fs::read(&f).map(String::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => {
                bad = true;
                out.diags.push(
                    Diag::new("orche::load::utf8", format!("{name}: invalid UTF-8")).with_help(
                        "orche source files must be UTF-8 encoded; the file is left as it is",
                    ),
                );
                continue;
            }
            Err(e) => {
                io = true;
                out.diags.push(Diag::new(
                    "orche::load::io",
                    format!("cannot read {name}: {}", io_reason(&e)),
                ));
                continue;
            }
        };
        let id = out.sources.add(name.clone(), text.clone());
        let formatted = match orche::fmt::format(id, &text) {
            Ok(t) => t,
            Err(ds) => {
                bad = true;
                out.diags.extend(ds);
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed = true;
        match mode {
            Mode::Check => {
                out.stdout.push_str(&name);
                out.stdout.push('\n');
            }
            Mode::Diff => {
                let diff = similar::TextDiff::from_lines(&text, &formatted);
                // `a/` and `b/` as git writes them, for paths relative to where it ran.
                let side = |p: &str| {
                    if name.starts_with('/') {
                        name.clone()
                    } else {
                        format!("{p}/{name}")
                    }
                };
                out.stdout.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(3)
                        .header(&side("a"), &side("b"))
                        .to_string(),
                );
            }
            Mode::Write => {
                if let Err(e) = crate::write_atomic(&f, &formatted) {
                    io = true;
                    out.diags.push(Diag::new(
                        "orche::load::io",
                        format!("cannot write {name}: {}", io_reason(&e)),
                    ));
                }
            }
        }
    }
    out.code = if io {
        2
    } else if bad || (changed && mode != Mode::Write) {
        1
    } else {
        0
    };
    out
}

/// An I/O error in words, as `orche::load` words them.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Adds `p` (a file) or the `.orc`/`.cue` files under `p` (a directory) to `out`.
fn collect(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(p)?;
    if !meta.is_dir() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let is_dir = std::fs::symlink_metadata(&e).is_ok_and(|m| m.is_dir());
        if is_dir {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                collect(&e, out)?;
            }
        } else if e
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x == "orc" || x == "cue")
        {
            out.push(e);
        }
    }
    Ok(())
}
