//! What the end-to-end tests read of a run: exit status, output, JSON documents, the recap of
//! an applied plan, and shellcheck's verdict on an emitted script. Shared by
//! tests/drift_e2e.rs, tests/systemd_standin.rs and tests/example_drift.rs, which include it
//! after `support/services.rs` (as `mod services`). Invariant: every helper panics with the
//! whole output when what it reads is not what a test can use.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

pub fn exit(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn show(o: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts that `orche ARGS…` exited with `code` (showing its output when not), and writes its
/// stdout to `save` when given.
pub fn expect_orche(o: &Output, args: &[&str], code: i32, save: Option<&Path>) {
    assert_eq!(
        exit(o),
        code,
        "orche {} exited {}, expected {code}\n{}",
        args.join(" "),
        exit(o),
        show(o)
    );
    if let Some(path) = save {
        std::fs::write(path, &o.stdout).expect("writing orche's output");
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn parse(bytes: &[u8], what: &str) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "{what} is not valid JSON ({e}):\n{}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// Runs shellcheck on an emitted script, which must pass. Without shellcheck the check is
/// skipped, unless `ORCHE_REQUIRE_DOCKER` (CI) or `ORCHE_REQUIRE_SHELLCHECK` is set.
pub fn shellcheck(script: &Path) {
    if super::services::which("shellcheck").is_none() {
        let required = super::services::required()
            || std::env::var_os("ORCHE_REQUIRE_SHELLCHECK").is_some_and(|v| v != "0");
        assert!(
            !required,
            "shellcheck is not installed (Debian: shellcheck)"
        );
        eprintln!(
            "note: shellcheck not installed, {} not checked",
            script.display()
        );
        return;
    }
    let mut cmd = Command::new("shellcheck");
    cmd.arg("--format=gcc").arg(script);
    let o = super::services::run_with_timeout(&mut cmd, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{e}"));
    if o.status.success() {
        return;
    }
    panic!(
        "shellcheck {} found problems:\n{}",
        script.display(),
        show(&o)
    );
}

/// The recap of an applied plan: (result, rest of the line) per step, in order.
pub fn recap(out: &str) -> Vec<(String, String)> {
    let Some((_, tail)) = out.split_once("\nRecap:\n") else {
        return Vec::new();
    };
    tail.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if let Some(rest) = l.strip_prefix("not run") {
                ("not run".to_string(), rest.trim().to_string())
            } else {
                let (r, rest) = l.split_once(' ').unwrap_or((l, ""));
                (r.to_string(), rest.trim().to_string())
            }
        })
        .collect()
}

/// The report entry of `key`.
pub fn entry<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["resources"]
        .as_array()
        .expect("report resources")
        .iter()
        .find(|e| e["resource"] == key)
        .unwrap_or_else(|| panic!("no entry for {key} in the report:\n{report:#}"))
}

/// The plan's steps by resource.
pub fn steps(plan: &Value) -> BTreeMap<String, Value> {
    plan["steps"]
        .as_array()
        .expect("plan steps")
        .iter()
        .map(|s| (s["resource"].as_str().unwrap_or("?").to_string(), s.clone()))
        .collect()
}

/// The resources of a drift report that are not in sync, by key: (status, changed fields).
pub fn drifted(report: &Value) -> BTreeMap<String, (String, Vec<String>)> {
    report["resources"]
        .as_array()
        .expect("report resources")
        .iter()
        .filter(|e| e["status"] != "in_sync")
        .map(|e| {
            let fields = e["changes"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| c["field"].as_str().unwrap_or("?").to_string())
                        .collect()
                })
                .unwrap_or_default();
            (
                e["resource"].as_str().unwrap_or("?").to_string(),
                (e["status"].as_str().unwrap_or("?").to_string(), fields),
            )
        })
        .collect()
}
