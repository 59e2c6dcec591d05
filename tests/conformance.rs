//! CUE conformance: runs `orche export --out json ARGS` on every case of `../shared/conformance`
//! (cases from CUE's own suite with cue v0.14.2's output recorded) and reports the pass rates.
//!
//! Invariant: the test fails only on something that got worse or can never be right — a case
//! listed in `tests/conformance/passing.txt` that no longer passes, a panic, a timeout, or a stale
//! entry in `tests/conformance/unsupported.txt`. Cases that simply do not pass yet are counted,
//! not failed. `UPDATE_CONFORMANCE=1` rewrites `passing.txt` from the current results.
//!
//! Knobs: `ORCHE_CONFORMANCE_DIR` (other case folder), `ORCHE_CONFORMANCE_FILTER` (run only the
//! cases whose path contains this text; no regression check, no update), `ORCHE_TEST_THREADS`.
//! The figures go to stderr (uncaptured) and, with the status of every case, to
//! `target/conformance-report.txt`.

#[allow(dead_code)]
#[path = "support/run.rs"]
mod run;
#[allow(dead_code)]
#[path = "support/txtar.rs"]
mod txtar;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// How a case came out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// Did not pass; the text says why in a few words.
    Fail(String),
    /// A panic or a death by signal; the text is the first lines of stderr.
    Panic(String),
    Timeout,
}

struct CaseResult {
    /// Path relative to the case folder, `/`-separated: `eval/conflicts.txtar`.
    path: String,
    /// 0 or 1: what cue did.
    expect_exit: i32,
    /// Exit-0 cases: orche exited 0 and printed the same JSON value.
    value_equal: bool,
    /// Exit-0 cases: orche exited 0 and printed the same bytes.
    byte_identical: bool,
    verdict: Verdict,
}

fn manifest_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The case folder, and whether it is the default one (the lists in tests/conformance/ describe
/// the default folder only, so stale entries are checked only there).
fn conformance_dir() -> (PathBuf, bool) {
    match std::env::var_os("ORCHE_CONFORMANCE_DIR") {
        Some(dir) => (PathBuf::from(dir), false),
        None => (manifest_path("../shared/conformance"), true),
    }
}

#[test]
fn conformance() {
    let (dir, default_dir) = conformance_dir();
    let dir = dir.canonicalize().unwrap_or(dir);
    if !dir.is_dir() {
        println!("conformance cases not found at {}; skipping", dir.display());
        return;
    }
    let filter = std::env::var("ORCHE_CONFORMANCE_FILTER")
        .ok()
        .filter(|f| !f.is_empty());
    let update = std::env::var_os("UPDATE_CONFORMANCE").is_some_and(|v| v != "0");

    let all_cases = run::find_files(&dir, ".txtar");
    let cases: Vec<String> = match &filter {
        Some(f) => all_cases
            .iter()
            .filter(|c| c.contains(f.as_str()))
            .cloned()
            .collect(),
        None => all_cases.clone(),
    };
    let unsupported = read_unsupported();
    let passing_before = read_list(&manifest_path("tests/conformance/passing.txt"));

    let results = run::parallel_map(&cases, |case| run_case(&dir, case));

    let mut problems: Vec<String> = Vec::new();
    let passing_now: BTreeSet<String> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .map(|r| r.path.clone())
        .collect();
    let known: BTreeSet<&String> = all_cases.iter().collect();
    for case in unsupported.keys() {
        if default_dir && !known.contains(case) {
            problems.push(format!("unsupported.txt lists {case}, which is not a case"));
        }
    }
    let ran: BTreeSet<&String> = cases.iter().collect();
    let mut regressions = Vec::new();
    for case in &passing_before {
        if ran.contains(case) && !passing_now.contains(case) {
            let why = match results.iter().find(|r| &r.path == case).map(|r| &r.verdict) {
                Some(Verdict::Fail(why)) => why.clone(),
                Some(Verdict::Panic(_)) => "panic".into(),
                Some(Verdict::Timeout) => "timeout".into(),
                _ => String::new(),
            };
            regressions.push(format!("{case}: {why}"));
        } else if default_dir && filter.is_none() && !known.contains(case) {
            regressions.push(format!("{case} (no such case)"));
        }
    }
    let newly_passing: Vec<&String> = passing_now.difference(&passing_before).collect();

    let figures = figures(&dir, &results, &unsupported);
    let mut report = figures.clone();
    report.push_str(&details(
        &results,
        &unsupported,
        &regressions,
        &newly_passing,
    ));
    let report_path = target_dir().join("conformance-report.txt");
    let _ = std::fs::write(&report_path, &report);

    // Printed past the test harness's capture on purpose: the figures are the point of this test,
    // and a plain `cargo test` should show them even when everything passes.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "\n{figures}(full report: {})", report_path.display());
    drop(err);
    println!("{report}");

    if !newly_passing.is_empty() && !update {
        eprintln!(
            "{} case(s) pass that passing.txt does not list yet; record them with \
             `UPDATE_CONFORMANCE=1 cargo test --release --test conformance`:",
            newly_passing.len()
        );
        for case in &newly_passing {
            eprintln!("  {case}");
        }
    }
    if update {
        if filter.is_some() {
            problems.push(
                "UPDATE_CONFORMANCE ignores filtered runs; unset ORCHE_CONFORMANCE_FILTER".into(),
            );
        } else {
            let mut text = String::new();
            for case in &passing_now {
                text.push_str(case);
                text.push('\n');
            }
            std::fs::write(manifest_path("tests/conformance/passing.txt"), text)
                .expect("writing tests/conformance/passing.txt");
            eprintln!(
                "rewrote tests/conformance/passing.txt: {} cases",
                passing_now.len()
            );
        }
    } else if !regressions.is_empty() {
        problems.push(format!(
            "{} case(s) listed in tests/conformance/passing.txt no longer pass:\n  {}",
            regressions.len(),
            regressions.join("\n  ")
        ));
    }
    for r in &results {
        match &r.verdict {
            Verdict::Panic(text) => problems.push(format!("PANIC {}:\n{text}", r.path)),
            Verdict::Timeout => {
                problems.push(format!("TIMEOUT {} (killed after {TIMEOUT:?})", r.path))
            }
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "conformance failures:\n{}",
        problems.join("\n")
    );
}

/// Runs one case and judges it.
fn run_case(dir: &Path, case: &str) -> CaseResult {
    let mut result = CaseResult {
        path: case.to_string(),
        expect_exit: 0,
        value_equal: false,
        byte_identical: false,
        verdict: Verdict::Fail(String::new()),
    };
    let text = match std::fs::read_to_string(dir.join(case)) {
        Ok(text) => text,
        Err(e) => {
            result.verdict = Verdict::Fail(format!("cannot read case: {e}"));
            return result;
        }
    };
    let archive = txtar::parse(&text);
    result.expect_exit = archive
        .get("expect/exit")
        .map_or(0, |s| s.trim().parse().unwrap_or(1));
    let scratch = match run::scratch("conformance") {
        Ok(s) => s,
        Err(e) => {
            result.verdict = Verdict::Fail(format!("cannot create scratch folder: {e}"));
            return result;
        }
    };
    for section in archive
        .sections
        .iter()
        .filter(|s| !s.name.starts_with("expect/"))
    {
        if let Err(e) = run::write_file(&scratch.path, &section.name, &section.data) {
            result.verdict = Verdict::Fail(e);
            return result;
        }
    }
    let mut args: Vec<String> = vec!["export".into(), "--out".into(), "json".into()];
    args.extend(
        archive
            .get("expect/args")
            .unwrap_or("")
            .split_whitespace()
            .map(String::from),
    );
    let outcome = match run::run(&args, &scratch.path, TIMEOUT) {
        Ok(o) => o,
        Err(e) => {
            result.verdict = Verdict::Fail(format!("cannot run orche: {e}"));
            return result;
        }
    };
    if outcome.status == run::Status::TimedOut {
        result.verdict = Verdict::Timeout;
        return result;
    }
    if outcome.crashed() {
        let stderr = outcome.stderr_text();
        let head: Vec<String> = stderr
            .trim_start()
            .lines()
            .take(8)
            .map(|l| format!("    {l}"))
            .collect();
        result.verdict = Verdict::Panic(head.join("\n"));
        return result;
    }
    let code = match outcome.status {
        run::Status::Exited(code) => code,
        _ => unreachable!("timeouts and signals were handled above"),
    };
    result.verdict = if result.expect_exit == 0 {
        let expected = archive.get("expect/stdout.json").unwrap_or("");
        if code != 0 {
            Verdict::Fail(format!(
                "exit {code}, expected 0: {}",
                first_line(&outcome.stderr_text())
            ))
        } else {
            result.byte_identical = outcome.stdout == expected.as_bytes();
            result.value_equal =
                result.byte_identical || json_equal(&outcome.stdout_text(), expected);
            if result.value_equal {
                Verdict::Pass
            } else {
                Verdict::Fail("JSON value differs".into())
            }
        }
    } else if code == 0 {
        Verdict::Fail("exit 0, expected an error".into())
    } else {
        let paths: Vec<&str> = archive
            .get("expect/error-paths")
            .unwrap_or("")
            .lines()
            .filter(|p| !p.is_empty())
            .collect();
        let stderr = strip_ansi(&outcome.stderr_text());
        if paths.is_empty() || paths.iter().any(|p| names_path(&stderr, p)) {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("errors name none of: {}", paths.join(", ")))
        }
    };
    result
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

/// Whether some line of `stderr` holds `path:` with only whitespace (or nothing) before it.
fn names_path(stderr: &str, path: &str) -> bool {
    let needle = format!("{path}:");
    stderr.lines().any(|line| {
        line.match_indices(&needle).any(|(i, _)| {
            line[..i]
                .chars()
                .next_back()
                .is_none_or(char::is_whitespace)
        })
    })
}

/// Removes ANSI escape sequences, in case colour slipped through despite NO_COLOR.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// JSON value equality: object key order aside, and numbers equal when their decimal values are
/// (`1.0` equals `1`, `2.5e+3` equals `2500`). Byte identity is the stricter, separate bar.
fn json_equal(actual: &str, expected: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(actual),
        serde_json::from_str::<serde_json::Value>(expected),
    ) {
        (Ok(a), Ok(b)) => value_equal(&a, &b),
        _ => false,
    }
}

fn value_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::String(x), V::String(y)) => x == y,
        (V::Number(x), V::Number(y)) => decimal(&x.to_string()) == decimal(&y.to_string()),
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| value_equal(p, q))
        }
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| value_equal(v, w)))
        }
        _ => false,
    }
}

/// A JSON number in canonical form: (negative, significant digits, exponent), so that equal
/// decimal values compare equal. Text that is not a number is kept as it is.
fn decimal(text: &str) -> Result<(bool, String, i128), String> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (
            &rest[..i],
            rest[i + 1..]
                .trim_start_matches('+')
                .parse::<i128>()
                .map_err(|_| text.to_string())?,
        ),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !(int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())) {
        return Err(text.to_string());
    }
    let digits = format!("{int}{frac}");
    let mut exp = exp - frac.len() as i128;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok((false, "0".into(), 0));
    }
    let trimmed = digits.trim_end_matches('0');
    exp += (digits.len() - trimmed.len()) as i128;
    Ok((neg, trimmed.to_string(), exp))
}

/// `tests/conformance/unsupported.txt`: `case<TAB>reason` lines; `#` starts a comment line.
fn read_unsupported() -> BTreeMap<String, String> {
    let path = manifest_path("tests/conformance/unsupported.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (case, reason) = line.split_once('\t').unwrap_or((line, ""));
        map.insert(case.trim().to_string(), reason.trim().to_string());
    }
    map
}

/// One entry per non-empty, non-`#` line.
fn read_list(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`, so its parent is the target folder in use.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest_path("target"))
}

fn rate(n: usize, of: usize) -> String {
    if of == 0 {
        format!("{n}/{of}")
    } else {
        format!("{n}/{of} ({:.1}%)", 100.0 * n as f64 / of as f64)
    }
}

/// The figures table, over all cases and over the supported ones.
fn figures(dir: &Path, results: &[CaseResult], unsupported: &BTreeMap<String, String>) -> String {
    let count = |supported_only: bool, f: &dyn Fn(&CaseResult) -> bool| {
        results
            .iter()
            .filter(|r| !(supported_only && unsupported.contains_key(&r.path)))
            .filter(|r| f(r))
            .count()
    };
    let mut rows: Vec<(&str, String, String)> = Vec::new();
    for (label, pick, hit) in [
        (
            "exit-0 cases, value-equal",
            0,
            &(|r: &CaseResult| r.value_equal) as &dyn Fn(&CaseResult) -> bool,
        ),
        ("exit-0 cases, byte-identical", 0, &|r: &CaseResult| {
            r.byte_identical
        }),
        ("exit-1 cases, passing", 1, &|r: &CaseResult| {
            r.verdict == Verdict::Pass
        }),
    ] {
        let of = |s| count(s, &|r: &CaseResult| (r.expect_exit != 0) as i32 == pick);
        let n = |s| {
            count(s, &|r: &CaseResult| {
                (r.expect_exit != 0) as i32 == pick && hit(r)
            })
        };
        rows.push((label, rate(n(false), of(false)), rate(n(true), of(true))));
    }
    let pass = |s| count(s, &|r: &CaseResult| r.verdict == Verdict::Pass);
    rows.push((
        "all cases, passing",
        rate(pass(false), count(false, &|_| true)),
        rate(pass(true), count(true, &|_| true)),
    ));
    let panics = |s| count(s, &|r: &CaseResult| matches!(r.verdict, Verdict::Panic(_)));
    rows.push((
        "panics (or crashes)",
        panics(false).to_string(),
        panics(true).to_string(),
    ));
    let timeouts = |s| count(s, &|r: &CaseResult| r.verdict == Verdict::Timeout);
    rows.push((
        "timeouts",
        timeouts(false).to_string(),
        timeouts(true).to_string(),
    ));

    let mut out = format!(
        "orche conformance: {} cases from {} ({} unsupported, see tests/conformance/unsupported.txt)\n",
        results.len(),
        dir.display(),
        results.iter().filter(|r| unsupported.contains_key(&r.path)).count()
    );
    out.push_str(&format!(
        "{:<30} {:<20} {}\n",
        "", "all cases", "supported cases"
    ));
    for (label, all, supported) in rows {
        out.push_str(&format!("{label:<30} {all:<20} {supported}\n"));
    }
    out
}

/// Everything after the figures: what changed, then one line per case.
fn details(
    results: &[CaseResult],
    unsupported: &BTreeMap<String, String>,
    regressions: &[String],
    newly_passing: &[&String],
) -> String {
    let mut out = String::new();
    if !regressions.is_empty() {
        out.push_str("\nregressions (listed in passing.txt, not passing now):\n");
        for case in regressions {
            out.push_str(&format!("  {case}\n"));
        }
    }
    if !newly_passing.is_empty() {
        out.push_str("\nnewly passing (not yet in passing.txt):\n");
        for case in newly_passing {
            out.push_str(&format!("  {case}\n"));
        }
    }
    out.push_str("\nevery case (status, expected exit, case, note):\n");
    for r in results {
        let (status, note) = match &r.verdict {
            Verdict::Pass if r.expect_exit == 0 && !r.byte_identical => {
                ("pass", "value-equal, bytes differ".to_string())
            }
            Verdict::Pass => ("pass", String::new()),
            Verdict::Fail(why) => ("FAIL", why.clone()),
            Verdict::Panic(_) => ("PANIC", String::new()),
            Verdict::Timeout => ("TIMEOUT", String::new()),
        };
        let mut note = note;
        if let Some(reason) = unsupported.get(&r.path) {
            note = if note.is_empty() {
                format!("[unsupported: {reason}]")
            } else {
                format!("{note} [unsupported: {reason}]")
            };
        }
        out.push_str(&format!(
            "{status:<8} {} {}  {note}\n",
            r.expect_exit, r.path
        ));
    }
    out
}

#[test]
fn decimals_compare_by_value() {
    assert_eq!(decimal("1.0"), decimal("1"));
    assert_eq!(decimal("2.5e+3"), decimal("2500"));
    assert_eq!(decimal("-0.0"), decimal("0"));
    assert_eq!(decimal("1e-2"), decimal("0.010"));
    assert_ne!(decimal("1"), decimal("-1"));
    assert_ne!(decimal("10"), decimal("1"));
    assert!(json_equal(
        "{\"a\": [1.0, {\"b\": 2}], \"c\": null}",
        "{\"c\": null, \"a\": [1, {\"b\": 2.00}]}"
    ));
    assert!(!json_equal("{\"a\": 1}", "{\"a\": 1, \"b\": 2}"));
}

#[test]
fn error_paths_are_matched_at_word_starts() {
    let stderr = "t1.x.a.b: conflicting values 4 and 3:\n    ./in.cue:10:9\n  × a.b: oops\n";
    assert!(names_path(stderr, "t1.x.a.b"));
    assert!(names_path(stderr, "a.b"));
    assert!(!names_path(stderr, "x.a.b"));
    assert!(!names_path("\u{1b}[31mt0.v\u{1b}[0m: x", "t0.v"));
    assert!(names_path(
        &strip_ansi("\u{1b}[31mt0.v\u{1b}[0m: x"),
        "t0.v"
    ));
}
