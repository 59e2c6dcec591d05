//! Hostile inputs that a txtar case cannot hold (testdata/robustness/ has the others): paths
//! that are not regular files, a file over the input limit, NUL bytes and invalid UTF-8, the
//! memory budget and its environment variable, and an `-o` file killed in the middle of its
//! write. Each run has a deadline: a hang fails, and so does a panic or a signal.

#[allow(dead_code)]
#[path = "support/run.rs"]
mod run;

use run::{Outcome, Status};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

fn orche(dir: &Path, args: &[&str]) -> Outcome {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let o = run::run(&args, dir, DEADLINE).expect("start orche");
    assert!(!o.crashed(), "orche {args:?} crashed:\n{}", o.stderr_text());
    assert!(
        o.status != Status::TimedOut,
        "orche {args:?} ran past {DEADLINE:?}"
    );
    o
}

/// Asserts a clean failure: exit 1, the code and every `needles` in stderr, nothing on stdout.
fn fails_with(o: &Outcome, code: &str, needles: &[&str]) {
    let err = o.stderr_text();
    assert_eq!(o.status, Status::Exited(1), "stderr:\n{err}");
    assert!(err.contains(code), "expected {code} in:\n{err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in:\n{err}");
    }
    assert!(o.stdout.is_empty(), "stdout: {}", o.stdout_text());
}

#[test]
fn paths_that_are_not_regular_files_are_refused_by_name() {
    let s = run::scratch("robustness").unwrap();
    let dir = &s.path;
    // A FIFO would block a reader forever.
    let fifo = dir.join("pipe.orc");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let o = orche(dir, &["export", "pipe.orc"]);
        fails_with(&o, "orche::load::not_a_file", &["pipe.orc", "named pipe"]);
    }
    // A device never ends.
    let o = orche(dir, &["export", "/dev/zero"]);
    fails_with(
        &o,
        "orche::load::not_a_file",
        &["/dev/zero", "character device"],
    );
    // A symlink loop, a missing file, a directory without sources.
    std::os::unix::fs::symlink("loop-b.orc", dir.join("loop-a.orc")).unwrap();
    std::os::unix::fs::symlink("loop-a.orc", dir.join("loop-b.orc")).unwrap();
    let o = orche(dir, &["export", "loop-a.orc"]);
    fails_with(&o, "orche::load::io", &["loop-a.orc", "symbolic links"]);
    let o = orche(dir, &["export", "missing.orc"]);
    fails_with(&o, "orche::load::io", &["missing.orc", "no such file"]);
    std::fs::create_dir(dir.join("empty")).unwrap();
    let o = orche(dir, &["export", "empty"]);
    fails_with(&o, "orche::load::empty_dir", &["empty"]);
}

#[test]
fn an_unreadable_file_is_refused_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let s = run::scratch("robustness").unwrap();
    let file = s.path.join("secret.orc");
    std::fs::write(&file, "a: 1\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_ok() {
        // Root reads it anyway: nothing to check here.
        return;
    }
    let o = orche(&s.path, &["export", "secret.orc"]);
    fails_with(&o, "orche::load::io", &["secret.orc", "ermission denied"]);
}

#[test]
fn a_file_over_the_input_limit_is_not_read() {
    let s = run::scratch("robustness").unwrap();
    // Sparse: 65 MiB of size, no data written.
    let f = std::fs::File::create(s.path.join("big.orc")).unwrap();
    f.set_len(65 << 20).unwrap();
    let start = Instant::now();
    let o = orche(&s.path, &["export", "big.orc"]);
    fails_with(
        &o,
        "orche::limit::input_size",
        &["big.orc", "65.0 MiB", "64.0 MiB"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn nul_bytes_and_invalid_utf8_are_errors_at_their_position() {
    let s = run::scratch("robustness").unwrap();
    std::fs::write(s.path.join("nul.orc"), b"a: 1\n\x00b: 2\n").unwrap();
    let o = orche(&s.path, &["export", "nul.orc"]);
    fails_with(&o, "orche::syntax::", &["nul.orc:2:1"]);
    std::fs::write(s.path.join("latin1.orc"), b"a: \"caf\xe9\"\n").unwrap();
    let o = orche(&s.path, &["export", "latin1.orc"]);
    fails_with(&o, "orche::load::utf8", &["latin1.orc:1:8"]);
}

/// A value that doubles at every level: 2^40 copies of `a0` in the output.
fn doubling() -> String {
    let mut s = String::from("a0: {x: 1, y: 2}\n");
    for i in 1..=40 {
        s.push_str(&format!("a{i}: {{l: a{p}, r: a{p}}}\n", p = i - 1));
    }
    s
}

#[test]
fn the_memory_budget_stops_a_run_and_the_environment_sets_it() {
    let s = run::scratch("robustness").unwrap();
    std::fs::write(s.path.join("share.orc"), doubling()).unwrap();
    let o = orche(&s.path, &["--max-memory", "64M", "export", "share.orc"]);
    fails_with(
        &o,
        "orche::limit::memory",
        &[
            "memory budget exhausted: more than 64.0 MiB in use",
            "--max-memory",
        ],
    );
    // The environment variable, and a flag after the command.
    let out = Command::new(env!("CARGO_BIN_EXE_orche"))
        .args(["export", "share.orc"])
        .current_dir(&s.path)
        .env("ORCHE_MAX_MEMORY", "96M")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("more than 96.0 MiB in use"), "{err}");
    let o = orche(&s.path, &["export", "--max-steps", "1M", "share.orc"]);
    fails_with(&o, "orche::limit::steps", &["more than 1000000 steps"]);
    // A bad value in the environment is a usage error naming the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_orche"))
        .args(["vet", "share.orc"])
        .current_dir(&s.path)
        .env("ORCHE_MAX_STEPS", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "vet's usage errors exit 2");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ORCHE_MAX_STEPS"));
}

#[test]
fn the_default_budget_stops_exponential_sharing() {
    let s = run::scratch("robustness").unwrap();
    std::fs::write(s.path.join("share.orc"), doubling()).unwrap();
    // Whichever runs out first (memory, with the default budgets): never a hang.
    let o = run::run(
        &["export".into(), "share.orc".into()],
        &s.path,
        Duration::from_secs(120),
    )
    .unwrap();
    assert!(!o.crashed() && o.status != Status::TimedOut, "{o:?}");
    let err = o.stderr_text();
    assert_eq!(o.status, Status::Exited(1), "{err}");
    assert!(err.contains("orche::limit::"), "{err}");
}

#[test]
fn an_output_file_killed_mid_write_keeps_its_old_content() {
    let s = run::scratch("robustness").unwrap();
    // About 60 MB of JSON: long enough to be killed while it is written.
    let mut src = String::from("big: [\n");
    for i in 0..600_000 {
        src.push_str(&format!("\t{{n: {i}, s: \"item-{i}-padding-padding\"}},\n"));
    }
    src.push_str("]\n");
    std::fs::write(s.path.join("big.orc"), src).unwrap();
    let out = s.path.join("out.json");
    let old = "{\"old\": true}\n";
    let mut killed_during_write = false;
    for _attempt in 0..5 {
        std::fs::write(&out, old).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_orche"))
            .args(["export", "big.orc", "-o", "out.json", "--force"])
            .current_dir(&s.path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the temporary file to appear and grow, then kill.
        let start = Instant::now();
        let mut seen = false;
        while start.elapsed() < Duration::from_secs(30) {
            let tmp = std::fs::read_dir(&s.path)
                .unwrap()
                .filter_map(|e| e.ok())
                .find(|e| e.file_name().to_string_lossy().ends_with(".tmp"));
            if let Some(t) = tmp {
                if t.metadata().map(|m| m.len() > 0).unwrap_or(false) {
                    seen = true;
                    break;
                }
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        // Whenever it stopped: the old file whole, or the new one whole.
        let now = std::fs::read_to_string(&out).unwrap();
        let whole_new = serde_json::from_str::<serde_json::Value>(&now)
            .is_ok_and(|v| v["big"].as_array().map(|a| a.len()) == Some(600_000));
        assert!(
            now == old || whole_new,
            "a half-written output: {} bytes",
            now.len()
        );
        if seen && status.code().is_none() && now == old {
            killed_during_write = true;
            break;
        }
    }
    assert!(
        killed_during_write,
        "never caught orche while it wrote the temporary file"
    );
    // A run left alone replaces it whole.
    let o = orche(&s.path, &["export", "big.orc", "-o", "out.json", "--force"]);
    assert_eq!(o.status, Status::Exited(0), "{}", o.stderr_text());
    let text = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["big"].as_array().map(|a| a.len()), Some(600_000));
}

#[test]
fn a_chain_of_a_hundred_thousand_references_is_evaluated() {
    // `a0: a1`, `a1: a2`, …: once cubic in the chain's length (8,000 links took 13 s), now
    // linear; the deadline only catches a return of the old cost (it was hours at this size).
    let s = run::scratch("robustness").unwrap();
    let n = 100_000;
    let mut src = String::new();
    for i in 0..n {
        src.push_str(&format!("a{i}: a{}\n", i + 1));
    }
    src.push_str(&format!("a{n}: \"end\"\n"));
    std::fs::write(s.path.join("chain.orc"), src).unwrap();
    let o = orche(&s.path, &["export", "chain.orc"]);
    assert_eq!(o.status, Status::Exited(0), "{}", o.stderr_text());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = v.as_object().unwrap();
    assert_eq!(m.len(), n + 1);
    assert!(m.values().all(|x| x == "end"));
    // Mutual references through a chain stay a reference cycle (incomplete), not a hang.
    std::fs::write(s.path.join("cycle.orc"), "a: b\nb: c\nc: d\nd: a\n").unwrap();
    let o = orche(&s.path, &["export", "cycle.orc"]);
    fails_with(&o, "orche::eval::incomplete", &["a: incomplete value _"]);
    // A long chain back to its start is walked once, not once per link (15,000 links took
    // over a minute before `Ctx::chain_back`).
    let n = 15_000;
    let mut src = String::new();
    for i in 0..n - 1 {
        src.push_str(&format!("a{i}: a{}\n", i + 1));
    }
    src.push_str(&format!("a{}: a0\n", n - 1));
    std::fs::write(s.path.join("long_cycle.orc"), src).unwrap();
    let o = orche(&s.path, &["export", "long_cycle.orc"]);
    fails_with(&o, "orche::eval::incomplete", &["a0: incomplete value _"]);
}

#[test]
fn a_ring_of_ten_thousand_lets_is_named_a_let_cycle() {
    // `let L0 = L1`, …, `let L9999 = L0`: each `let` on the ring once gave its value by
    // evaluating the whole ring again (2,000 of them ran out of the step budget).
    let s = run::scratch("robustness").unwrap();
    let n = 10_000;
    let mut src = String::from("x: {\n");
    for i in 0..n {
        src.push_str(&format!("\tlet L{i} = L{}\n", (i + 1) % n));
    }
    src.push_str("\tout: L0\n}\n");
    std::fs::write(s.path.join("ring.cue"), src).unwrap();
    let started = Instant::now();
    let o = orche(&s.path, &["export", "ring.cue"]);
    fails_with(
        &o,
        "orche::eval::let_cycle",
        &["x.let[]: cyclic references in let clause or alias"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
