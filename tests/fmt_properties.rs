//! `orche fmt`'s properties over every input there is: the `.orc`/`.cue` sections of the golden
//! cases (`testdata/`) and of CUE's conformance cases (`../shared/conformance/`, read as data),
//! and the files of `examples/` and `stdlib/`. For each file that parses: formatting is
//! idempotent (`fmt(fmt(x)) == fmt(x)`) and keeps every comment, in order. For each case (its
//! files evaluated together as one package): the formatted files mean what the originals meant
//! — the same exported value (as `orche export` prints it) and the same problems (codes, data
//! paths and messages; positions move). A file that does not parse is refused, never
//! formatted. The counts are printed.

#[allow(dead_code)]
#[path = "support/txtar.rs"]
mod txtar;

use orche::source::FileId;
use std::path::{Path, PathBuf};

/// One package: `(name, text)` of each source file.
type Case = (String, Vec<(String, String)>);

fn is_source(name: &str) -> bool {
    (name.ends_with(".orc") || name.ends_with(".cue")) && !name.starts_with("cue.mod/")
}

fn walk(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, ext, out);
        } else if e
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| ext.contains(&x))
        {
            out.push(e);
        }
    }
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/conformance");
    assert!(
        shared.is_dir(),
        "../shared/conformance is needed beside the repository"
    );
    let mut out = Vec::new();
    for dir in [root.join("testdata"), shared] {
        let mut files = Vec::new();
        walk(&dir, &["txtar"], &mut files);
        for f in files {
            let archive = txtar::parse(&std::fs::read_to_string(&f).unwrap());
            let sources: Vec<(String, String)> = archive
                .sections
                .iter()
                .filter(|s| is_source(&s.name))
                .map(|s| (s.name.clone(), s.data.clone()))
                .collect();
            if !sources.is_empty() {
                out.push((f.display().to_string(), sources));
            }
        }
    }
    for dir in ["examples", "stdlib"] {
        let mut files = Vec::new();
        walk(&root.join(dir), &["orc", "cue"], &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            out.push((
                f.display().to_string(),
                vec![(f.display().to_string(), text)],
            ));
        }
    }
    out
}

/// What a package means: its exported value (as `orche export` prints it) and its problems,
/// positions left out.
fn meaning(files: &[(String, String)]) -> (Option<String>, Vec<String>) {
    let outcome = orche::compile::check_texts(files);
    let mut problems: Vec<String> = outcome
        .diags
        .iter()
        .chain(&outcome.warnings)
        .map(|d| format!("{} {} {}", d.code, d.path, d.message))
        .collect();
    problems.sort();
    (outcome.output, problems)
}

#[test]
fn formatting_is_idempotent_keeps_comments_and_meaning() {
    let cases = cases();
    let (mut files, mut refused, mut changed, mut packages) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let trace = std::env::var_os("ORCHE_FMT_TRACE").is_some();
    for (case, sources) in &cases {
        if trace {
            eprintln!("{case}");
        }
        let mut formatted = Vec::new();
        let mut all_parse = true;
        for (name, text) in sources {
            files += 1;
            let Ok(once) = orche::fmt::format(FileId(0), text) else {
                // Refused: a syntax error (the CLI then leaves the file untouched).
                refused += 1;
                all_parse = false;
                formatted.push((name.clone(), text.clone()));
                continue;
            };
            if &once != text {
                changed += 1;
            }
            match orche::fmt::format(FileId(0), &once) {
                Ok(twice) if twice == once => {}
                Ok(twice) => failures.push(format!(
                    "{case} {name}: not idempotent\n--- once\n{once}--- twice\n{twice}"
                )),
                Err(_) => failures.push(format!("{case} {name}: formatted text does not parse")),
            }
            if orche::fmt::comments(text) != orche::fmt::comments(&once) {
                failures.push(format!("{case} {name}: comments changed\n{once}"));
            }
            formatted.push((name.clone(), once));
        }
        if all_parse && &formatted != sources {
            packages += 1;
            let before = meaning(sources);
            let after = meaning(&formatted);
            if before != after {
                failures.push(format!(
                    "{case}: meaning changed\nbefore: {before:?}\nafter:  {after:?}"
                ));
            }
        }
    }
    println!(
        "fmt properties: {} cases, {files} files ({changed} changed by formatting, {refused} refused \
         with a syntax error), meaning compared on {packages} changed packages",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(files > 500, "too few inputs found: {files}");
}
