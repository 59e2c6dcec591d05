//! Repository rules, checked as tests (STYLE.md habit 11). Each rule is one test that reports
//! every offending file and line at once, so one run shows all there is to fix.
//!
//! The rules: every source file opens with a `//!` doc; `src/syntax*` imports nothing from later
//! phases; every diagnostic code used in src/ is documented in docs/diagnostics.md; only
//! src/main.rs prints; std `HashMap`/`HashSet` are not used (output must be deterministic);
//! every stdlib file passes `orche vet`.

#[allow(dead_code)]
#[path = "support/run.rs"]
mod run;

use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `src/**/*.rs` file as (path relative to the repo root, contents).
fn sources() -> Vec<(String, String)> {
    run::find_files(&root().join("src"), ".rs")
        .into_iter()
        .map(|rel| {
            let text = std::fs::read_to_string(root().join("src").join(&rel)).unwrap_or_default();
            (format!("src/{rel}"), text)
        })
        .collect()
}

/// The lines of `text` that are code, numbered from 1: comment lines are left out, so that docs
/// may mention what code must not do.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
}

fn check(rule: &str, offences: Vec<String>) {
    assert!(offences.is_empty(), "{rule}:\n  {}", offences.join("\n  "));
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let offences = sources()
        .into_iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(path, _)| {
            format!("{path}: the first line must be a `//!` doc saying what the module does")
        })
        .collect();
    check("files without a leading `//!` module doc", offences);
}

#[test]
fn syntax_imports_no_later_phase() {
    let later = regex::Regex::new(
        r"crate::(lower|eval|value|export)\b|crate::\{[^}]*\b(lower|eval|value|export)\b",
    )
    .unwrap();
    let mut offences = Vec::new();
    for (path, text) in sources() {
        if !(path.starts_with("src/syntax.rs") || path.starts_with("src/syntax/")) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if let Some(m) = later.find(line) {
                offences.push(format!(
                    "{path}:{n}: `{}`: the syntax phase may not depend on later phases",
                    m.as_str()
                ));
            }
        }
    }
    check("src/syntax* referring to later phases", offences);
}

#[test]
fn every_diagnostic_code_is_documented() {
    // Codes appear as string literals (`code: "orche::eval::conflict"`) or in miette's
    // `#[diagnostic(code(orche::eval::conflict))]` form.
    let code =
        regex::Regex::new(r#""(orche::[a-z_]+::[a-z_]+)"|code\(\s*(orche::[a-z_]+::[a-z_]+)\s*\)"#)
            .unwrap();
    let docs_path = root().join("docs/diagnostics.md");
    let docs = std::fs::read_to_string(&docs_path).unwrap_or_default();
    // Each undocumented code once, with every place that uses it.
    let mut missing: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (path, text) in sources() {
        for (n, line) in code_lines(&text) {
            for caps in code.captures_iter(line) {
                let found = caps
                    .get(1)
                    .or_else(|| caps.get(2))
                    .map_or("", |m| m.as_str());
                if !docs.contains(&format!("`{found}`")) {
                    missing
                        .entry(found.to_string())
                        .or_default()
                        .push(format!("{path}:{n}"));
                }
            }
        }
    }
    let offences = missing
        .into_iter()
        .map(|(code, places)| {
            format!(
                "`{code}` has no entry in docs/diagnostics.md (used at {})",
                places.join(", ")
            )
        })
        .collect();
    check(
        "undocumented diagnostic codes (add a `## `code`` section to docs/diagnostics.md)",
        offences,
    );
}

#[test]
fn only_main_prints() {
    let printing = regex::Regex::new(r"\b(dbg|println|eprintln|print|eprint)!\s*\(").unwrap();
    let mut offences = Vec::new();
    for (path, text) in sources() {
        if path == "src/main.rs" {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if let Some(m) = printing.find(line) {
                offences.push(format!(
                    "{path}:{n}: `{}`: only src/main.rs prints; return data instead",
                    m.as_str()
                ));
            }
        }
    }
    check("printing outside src/main.rs", offences);
}

#[test]
fn no_std_hash_collections() {
    let std_hash = regex::Regex::new(
        r"std::collections::(HashMap|HashSet|hash_map|hash_set)\b|std::collections::\{[^}]*\b(HashMap|HashSet)\b",
    )
    .unwrap();
    let mut offences = Vec::new();
    for (path, text) in sources() {
        for (n, line) in code_lines(&text) {
            if let Some(m) = std_hash.find(line) {
                offences.push(format!(
                    "{path}:{n}: `{}`: use indexmap::IndexMap/IndexSet (deterministic order)",
                    m.as_str()
                ));
            }
        }
    }
    check("std HashMap/HashSet in src/", offences);
}

#[test]
fn stdlib_vets_clean() {
    let stdlib = root().join("stdlib");
    let files = run::find_files(&stdlib, ".orc");
    if files.is_empty() {
        println!("no stdlib/**/*.orc files yet; skipping");
        return;
    }
    // The files of one folder form one package, so they are vetted together, folder by folder:
    // a file alone may refer to definitions in its siblings.
    let mut folders: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for rel in files {
        let path = stdlib.join(&rel);
        let folder = path.parent().unwrap_or(&stdlib).to_path_buf();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match folders.iter_mut().find(|(f, _)| *f == folder) {
            Some((_, names)) => names.push(name),
            None => folders.push((folder, vec![name])),
        }
    }
    let mut offences = Vec::new();
    for (folder, names) in folders {
        let mut args = vec!["vet".to_string()];
        args.extend(names.iter().cloned());
        let shown = folder
            .strip_prefix(root())
            .unwrap_or(&folder)
            .display()
            .to_string();
        match run::run(&args, &folder, Duration::from_secs(30)) {
            Ok(o) if o.status == run::Status::Exited(0) && !o.crashed() => {}
            Ok(o) => offences.push(format!(
                "{shown}: `orche vet {}` ended with {:?}:\n{}",
                names.join(" "),
                o.status,
                o.stderr_text()
            )),
            Err(e) => offences.push(format!("{shown}: cannot run orche: {e}")),
        }
    }
    check("stdlib files that do not vet clean", offences);
}
