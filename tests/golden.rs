//! Golden cases: every `testdata/**/*.txtar` runs the `orche` binary and compares its stdout,
//! stderr and exit code with the `out/` sections (format in testdata/README.md).
//!
//! Invariant: every case runs, every mismatch is shown as a unified diff, and the failing cases
//! are listed together at the end; one bad case never hides another. `UPDATE_GOLDEN=1` rewrites
//! the `out/` sections from the actual output, keeping the header and inputs byte for byte.
//! `ORCHE_GOLDEN_FILTER=text` runs only the cases whose path contains `text`.

#[allow(dead_code)]
#[path = "support/run.rs"]
mod run;
#[allow(dead_code)]
#[path = "support/txtar.rs"]
mod txtar;

use std::path::{Path, PathBuf};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// What a run produced, in the terms of the `out/` sections.
struct Actual {
    stdout: String,
    stderr: String,
    exit: i32,
}

/// The result of one case: `Ok(())` or the text explaining the failure (diffs included).
type Checked = Result<(), String>;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

#[test]
fn golden() {
    let root = testdata();
    let filter = std::env::var("ORCHE_GOLDEN_FILTER")
        .ok()
        .filter(|f| !f.is_empty());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0");
    let cases: Vec<String> = run::find_files(&root, ".txtar")
        .into_iter()
        .filter(|c| filter.as_ref().is_none_or(|f| c.contains(f.as_str())))
        .collect();
    let results = run::parallel_map(&cases, |case| check_case(&root, case, update));

    let mut failed = Vec::new();
    for (case, result) in cases.iter().zip(&results) {
        if let Err(why) = result {
            eprintln!("\n=== FAIL testdata/{case}\n{why}");
            failed.push(case.as_str());
        }
    }
    println!("golden: {} cases, {} failed", cases.len(), failed.len());
    if !failed.is_empty() {
        panic!(
            "{} of {} golden cases failed (see the diffs above; `UPDATE_GOLDEN=1 cargo test --test golden` \
             rewrites the out/ sections when the new output is right):\n  testdata/{}",
            failed.len(),
            cases.len(),
            failed.join("\n  testdata/")
        );
    }
}

fn check_case(root: &Path, case: &str, update: bool) -> Checked {
    let path = root.join(case);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}"))?;
    let mut archive = txtar::parse(&text);
    if !archive
        .comment
        .lines()
        .any(|l| l.starts_with('#') && !l.trim_start_matches('#').trim().is_empty())
    {
        return Err(
            "no `#` header saying what the case checks; every case describes itself".into(),
        );
    }
    let inputs: Vec<&txtar::Section> = archive
        .sections
        .iter()
        .filter(|s| is_input(&s.name))
        .collect();
    if inputs.is_empty() {
        return Err("no input sections".into());
    }
    let args: Vec<String> = match archive.get("args") {
        Some(args) => args.split_whitespace().map(String::from).collect(),
        None => {
            let mut args: Vec<String> = vec!["export".into(), "--out".into(), "json".into()];
            args.extend(
                inputs
                    .iter()
                    .filter(|s| {
                        (s.name.ends_with(".orc") || s.name.ends_with(".cue"))
                            && !s.name.starts_with("cue.mod/")
                    })
                    .map(|s| s.name.clone()),
            );
            args
        }
    };

    let scratch =
        run::scratch("golden").map_err(|e| format!("cannot create scratch folder: {e}"))?;
    for section in &inputs {
        run::write_file(&scratch.path, &section.name, &section.data)?;
    }
    let outcome =
        run::run(&args, &scratch.path, TIMEOUT).map_err(|e| format!("cannot run orche: {e}"))?;
    let exit = match outcome.status {
        run::Status::Exited(code) => code,
        run::Status::Signalled => {
            return Err(format!(
                "orche was killed by a signal\n{}",
                outcome.stderr_text()
            ))
        }
        run::Status::TimedOut => {
            return Err(format!("orche was still running after {TIMEOUT:?}; killed"))
        }
    };
    if outcome.crashed() {
        return Err(format!("orche panicked:\n{}", outcome.stderr_text()));
    }
    // Scratch paths differ per run; `$WORK` keeps outputs that mention them deterministic.
    let work = scratch.path.to_string_lossy().into_owned();
    let actual = Actual {
        stdout: outcome.stdout_text().replace(&work, "$WORK"),
        stderr: outcome.stderr_text().replace(&work, "$WORK"),
        exit,
    };

    if update {
        rewrite_outputs(&mut archive, &actual);
        let new_text = txtar::format(&archive);
        if new_text != text {
            std::fs::write(&path, new_text).map_err(|e| format!("cannot rewrite: {e}"))?;
            eprintln!("updated testdata/{case}");
        }
        return Ok(());
    }
    compare(&archive, &args, &actual)
}

/// Input sections are everything but `args` and `out/…`.
fn is_input(name: &str) -> bool {
    name != "args" && !name.starts_with("out/")
}

/// Compares each stream; an absent `out/stdout` or `out/stderr` means the stream must be empty,
/// an absent `out/exit` means 0.
fn compare(archive: &txtar::Archive, args: &[String], actual: &Actual) -> Checked {
    let mut problems = Vec::new();
    let expected_exit: i32 = match archive.get("out/exit").map(str::trim) {
        None => 0,
        Some(text) => text
            .parse()
            .map_err(|_| format!("out/exit is not a number: {text:?}"))?,
    };
    if expected_exit != actual.exit {
        problems.push(format!(
            "exit code: expected {expected_exit}, got {}",
            actual.exit
        ));
    }
    for (name, got) in [
        ("out/stdout", &actual.stdout),
        ("out/stderr", &actual.stderr),
    ] {
        let want = archive.get(name).unwrap_or("");
        if want != got.as_str() {
            let diff = similar::TextDiff::from_lines(want, got.as_str())
                .unified_diff()
                .context_radius(3)
                .header(&format!("{name} (expected)"), &format!("{name} (actual)"))
                .to_string();
            let note = if !got.is_empty() && !got.ends_with('\n') {
                "\n(the actual output does not end with a newline, which a txtar section cannot express)"
            } else {
                ""
            };
            problems.push(format!("{name} differs:\n{diff}{note}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "$ orche {}\n{}",
            args.join(" "),
            problems.join("\n")
        ))
    }
}

/// Replaces the `out/` sections by the actual output, in the canonical order stdout, stderr,
/// exit, after every other section. Empty streams and exit 0 are left out.
fn rewrite_outputs(archive: &mut txtar::Archive, actual: &Actual) {
    archive.sections.retain(|s| !s.name.starts_with("out/"));
    let mut push = |name: &str, data: String| {
        archive.sections.push(txtar::Section {
            name: name.into(),
            data,
        })
    };
    if !actual.stdout.is_empty() {
        push("out/stdout", actual.stdout.clone());
    }
    if !actual.stderr.is_empty() {
        push("out/stderr", actual.stderr.clone());
    }
    if actual.exit != 0 {
        push("out/exit", format!("{}\n", actual.exit));
    }
}
