//! CLI transcripts with insta: the help texts (they change whenever a flag does, so a change
//! shows up in review) and the transcript of a short session on the shipped examples. The
//! behaviour of each command is covered by the golden cases under `testdata/`; these
//! snapshots are the user's view of the command line as a whole.

use std::process::Command;

fn orche(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_orche"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run orche");
    format!(
        "$ orche {}\n--- exit {} ---\n{}--- stderr ---\n{}",
        args.join(" "),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn help() {
    insta::assert_snapshot!("help", orche(&["--help"]));
    insta::assert_snapshot!("graph_help", orche(&["graph", "--help"]));
    insta::assert_snapshot!("export_help", orche(&["export", "--help"]));
    insta::assert_snapshot!("drift_help", orche(&["drift", "--help"]));
    insta::assert_snapshot!("plan_help", orche(&["plan", "--help"]));
    insta::assert_snapshot!("vet_help", orche(&["vet", "--help"]));
    insta::assert_snapshot!("diff_help", orche(&["diff", "--help"]));
    insta::assert_snapshot!("fmt_help", orche(&["fmt", "--help"]));
}

/// `orche vet` and `orche fmt` as a CI job runs them: clean, with errors (text, then GitHub
/// annotations), a usage error (exit 2), the formatting check of the examples.
#[test]
fn vet_session() {
    let mut t = String::new();
    for args in [
        &["vet", "examples/federation.orc"][..],
        &["vet", "examples/cycle.orc"],
        &["vet", "--format", "github", "examples/cycle.orc"],
        &["vet", "examples/missing.orc"],
        &["vet", "--format", "xml", "examples/federation.orc"],
        &["fmt", "--check", "examples"],
        &["fmt", "--diff", "examples/hello.orc"],
    ] {
        t.push_str(&orche(args));
        t.push('\n');
    }
    insta::assert_snapshot!("vet_session", t);
}

/// `orche diff` on the shipped examples: no change (exit 0), a change that introduces a
/// cycle (exit 1, the error names the new side), and two different configurations as
/// Markdown (exit 2).
#[test]
fn diff_session_on_the_examples() {
    let mut t = String::new();
    for args in [
        &["diff", "examples/federation.orc", "examples/federation.orc"][..],
        &["diff", "examples/federation.orc", "examples/cycle.orc"],
        &[
            "diff",
            "examples/federation.orc",
            "examples/hub-spoke.orc",
            "--out",
            "markdown",
        ],
        &["diff", "examples/federation.orc"],
    ] {
        t.push_str(&orche(args));
        t.push('\n');
    }
    insta::assert_snapshot!("diff_session", t);
}

#[test]
fn session_on_the_examples() {
    let mut t = String::new();
    for args in [
        &[
            "export",
            "examples/federation.orc",
            "-e",
            "deployment_order",
        ][..],
        &["export", "examples/hub-spoke.orc", "-e", "startup"],
        &[
            "export",
            "examples/federation.orc",
            "-e",
            "waves",
            "--out",
            "yaml",
        ],
        &["graph", "examples/federation.orc", "--out", "mermaid"],
        &["export", "examples/cycle.orc"],
        &["export", "examples/missing.orc"],
        &["frobnicate"],
    ] {
        t.push_str(&orche(args));
        t.push('\n');
    }
    insta::assert_snapshot!("session", t);
}
