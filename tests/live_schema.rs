//! Live-state documents against their JSON Schema, docs/live-state.schema.json (draft 2020-12,
//! checked with the `jsonschema` crate): the schema is itself a valid 2020-12 schema; the
//! documents that probe scripts written by the built `orche` really print validate (a
//! federation of file, http, command and process resources that point at nothing, so no
//! service is needed; probed whole and site by site), and `orche drift` reads them, merged;
//! hand-written documents the schema accepts are read by `orche drift`, and those it rejects
//! (missing status, a bad status value, wrong types) are rejected by `orche drift` too, so the
//! schema and src/state/live.rs agree.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/live-state.schema.json");
    let text = std::fs::read_to_string(&path).expect("read docs/live-state.schema.json");
    serde_json::from_str(&text).expect("docs/live-state.schema.json is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles")
}

/// Every schema error of `doc`, one per line.
fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// A fresh, empty folder under cargo's scratch area.
fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("live_schema")
        .join(format!(
            "{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

fn orche(dir: &Path, args: &[&str]) -> Output {
    Command::new(ORCHE)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run orche")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", "command -v \"$1\" >/dev/null 2>&1", "sh", tool])
        .status()
        .is_ok_and(|s| s.success())
}

/// A federation whose resources point at nothing in `dir` (and one file that is there).
fn federation(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"package schematest

import "orche/federation"

federation.#Federation & {{
	name: "schema-test"
	sites: one: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			conf: {{kind: "file", path: "{d}/absent/conf.txt", content: "x\n", mode: "644"}}
			present: {{kind: "file", path: "{d}/it's \"odd\"\nname.txt", content: "a\tb\n"}}
			web: {{
				kind: "http"
				url:  "http://127.0.0.1:9/nothing"
				body: "never"
				health: {{timeout: 2, retries: 0}}
				depends_on: conf: true
			}}
			check: {{kind: "command", command: ["false"], health: {{timeout: 2, retries: 0}}}}
			nocmd: {{kind: "command", command: ["orche-no-such-command"], health: {{timeout: 2, retries: 0}}}}
		}}
	}}
	sites: two: {{
		tier: "edge"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			conf: {{kind: "file", path: "{d}/absent/two.txt", depends_on: "one/conf": true}}
			worker: {{kind: "process", process: "orche-no-such-process-[x]", health: {{timeout: 2, retries: 0}}}}
		}}
	}}
}}
"#
    )
}

/// Writes the probe script for `sites` (all when empty), runs it, and returns its output.
fn probe(dir: &Path, sites: &[&str], out: &str) -> Value {
    let mut args = vec!["export", "--probes", "fed.orc"];
    for s in sites {
        args.extend(["--site", s]);
    }
    let script = orche(dir, &args);
    assert!(
        script.status.success(),
        "orche {args:?} failed:\n{}",
        text(&script.stderr)
    );
    let name = format!("{out}.sh");
    std::fs::write(dir.join(&name), &script.stdout).expect("write the probe script");
    let ran = Command::new("sh")
        .arg(&name)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run the probe script");
    assert!(
        ran.status.success(),
        "sh {name} exited {:?}:\n{}",
        ran.status,
        text(&ran.stderr)
    );
    std::fs::write(dir.join(out), &ran.stdout).expect("write live state");
    serde_json::from_slice(&ran.stdout).unwrap_or_else(|e| {
        panic!(
            "sh {name} printed no JSON ({e}):\n{}\nstderr:\n{}",
            text(&ran.stdout),
            text(&ran.stderr)
        )
    })
}

fn status_of<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc["resources"][key]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("no status for {key} in {doc:#}"))
}

#[test]
fn the_schema_is_a_draft_2020_12_schema() {
    let s = schema();
    if let Err(e) = jsonschema::draft202012::meta::validate(&s) {
        panic!("docs/live-state.schema.json is not a valid 2020-12 schema: {e}");
    }
    assert_eq!(
        s["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the schema names its draft"
    );
}

#[test]
fn what_probe_scripts_print_validates_and_drift_reads_it() {
    let dir = scratch("probe");
    std::fs::write(dir.join("fed.orc"), federation(&dir)).unwrap();
    std::fs::write(dir.join("it's \"odd\"\nname.txt"), "a\tb\n").unwrap();
    let v = validator();

    let all = probe(&dir, &[], "all.json");
    let problems = errors(&v, &all);
    assert!(
        problems.is_empty(),
        "the probe output does not fit the schema:\n{}\n{all:#}",
        problems.join("\n")
    );
    let keys: Vec<&str> = all["resources"]
        .as_object()
        .expect("resources")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "one/conf",
            "one/present",
            "one/web",
            "one/check",
            "one/nocmd",
            "two/conf",
            "two/worker"
        ],
        "every declared resource, in declaration order"
    );
    assert_eq!(all["sites"], json!(["one", "two"]));
    assert_eq!(all["federation"], "schema-test");
    // What each probe could tell, given the tools on this machine.
    let files = on_path("sha256sum") && on_path("stat");
    assert_eq!(
        status_of(&all, "one/conf"),
        if files { "missing" } else { "unknown" }
    );
    assert_eq!(status_of(&all, "two/conf"), status_of(&all, "one/conf"));
    if files {
        assert_eq!(status_of(&all, "one/present"), "healthy");
        assert_eq!(all["resources"]["one/present"]["exists"], true);
        // sha256 of "a\tb\n", the file's content.
        assert_eq!(
            all["resources"]["one/present"]["observed"]["sha256"],
            "5dd1197866f479824d9b483e1b7ae9ad3e518f3b4fd447c6b92d127dda6178c5"
        );
    }
    assert_eq!(
        status_of(&all, "one/web"),
        if on_path("curl") {
            "missing"
        } else {
            "unknown"
        }
    );
    assert_eq!(status_of(&all, "one/check"), "unhealthy");
    assert_eq!(status_of(&all, "one/nocmd"), "unknown");
    assert!(
        all["resources"]["one/nocmd"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("orche-no-such-command")),
        "an unknown status says why: {:#}",
        all["resources"]["one/nocmd"]
    );
    assert_eq!(
        status_of(&all, "two/worker"),
        if on_path("pgrep") {
            "missing"
        } else {
            "unknown"
        }
    );

    // Site by site: each document covers its own site, and both fit the schema.
    let one = probe(&dir, &["one"], "one.json");
    let two = probe(&dir, &["two"], "two.json");
    for (name, doc, n) in [("one.json", &one, 5), ("two.json", &two, 2)] {
        let problems = errors(&v, doc);
        assert!(
            problems.is_empty(),
            "{name} does not fit the schema:\n{}\n{doc:#}",
            problems.join("\n")
        );
        assert_eq!(
            doc["resources"].as_object().map(|m| m.len()),
            Some(n),
            "{name}: {doc:#}"
        );
    }
    assert_eq!(one["sites"], json!(["one"]));
    assert_eq!(two["sites"], json!(["two"]));

    // `orche drift` reads what the scripts printed: one document, or the two merged. Nothing
    // is in sync here, so it exits 2 (drift), not 1 (error), and warns about nothing.
    for lives in [vec!["all.json"], vec!["one.json", "two.json"]] {
        let mut args = vec!["drift", "fed.orc", "--out", "json"];
        for l in &lives {
            args.extend(["--live", l]);
        }
        let out = orche(&dir, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "orche {args:?}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "orche {args:?} warned");
        let report: Value = serde_json::from_slice(&out.stdout).expect("drift --out json");
        let statuses: Vec<(&str, &str)> = report["resources"]
            .as_array()
            .expect("report resources")
            .iter()
            .map(|e| {
                (
                    e["resource"].as_str().unwrap_or(""),
                    e["status"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(statuses.len(), 7, "{lives:?}: {statuses:?}");
        // A failing check is drift: `changed` (its expect_exit against the exit code seen)
        // or `unhealthy`.
        assert!(
            statuses.contains(&("one/check", "changed"))
                || statuses.contains(&("one/check", "unhealthy")),
            "{lives:?}: {statuses:?}"
        );
        assert!(
            statuses.contains(&("one/conf", "missing")) || !on_path("sha256sum"),
            "{lives:?}: {statuses:?}"
        );
        assert!(
            statuses.contains(&("one/nocmd", "unknown")),
            "{lives:?}: {statuses:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A document made by hand: one resource of each status, optional fields absent or present.
fn valid_doc() -> Value {
    json!({
        "format_version": 1,
        "federation": "schema-test",
        "declared_digest": "sha256:0000",
        "probed_at": "2026-01-01T00:00:00Z",
        "host": "h",
        "sites": ["one", "two"],
        "resources": {
            "one/conf": {"kind": "file", "exists": true, "status": "healthy",
                "observed": {"sha256": "ab", "mode": "644"}, "attempts": 1, "elapsed_ms": 3},
            "one/web": {"kind": "http", "exists": false, "status": "missing"},
            "one/check": {"kind": "command", "exists": true, "status": "unhealthy",
                "observed": {"exit_code": 1, "output": null}, "error": "false: exit status 1, expected 0: ",
                "attempts": 2, "elapsed_ms": 2001},
            "two/conf": {"kind": "file", "exists": false, "status": "unknown",
                "observed": {}, "error": "sha256sum not found on PATH", "attempts": 0, "elapsed_ms": 0},
            "two/old": {"kind": "docker", "exists": true, "status": "healthy",
                "observed": {"image": "busybox:1", "running": true, "ports": [], "env": ["A=b"]},
                "identity": {"container": "two-old", "depends_on": "two/conf,one/web"},
                "attempts": 1, "elapsed_ms": 40}
        }
    })
}

/// Applies `f` to a copy of the valid document.
fn edited(f: impl FnOnce(&mut Value)) -> Value {
    let mut d = valid_doc();
    f(&mut d);
    d
}

/// Runs `orche drift` on the federation of the probe test and one live document.
fn drift_on(doc: &Value) -> Output {
    let dir = scratch("drift");
    std::fs::write(dir.join("fed.orc"), federation(&dir)).unwrap();
    std::fs::write(
        dir.join("live.json"),
        serde_json::to_string_pretty(doc).unwrap(),
    )
    .unwrap();
    let out = orche(&dir, &["drift", "fed.orc", "--live", "live.json"]);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn hand_written_documents_that_fit_the_schema_are_read_by_orche() {
    let v = validator();
    let cases: Vec<(&str, Value)> = vec![
        ("every status", valid_doc()),
        (
            "only the required fields",
            json!({"format_version": 1, "federation": "f", "declared_digest": "", "sites": [],
                   "resources": {}}),
        ),
        (
            "a resource with only kind, exists and status",
            json!({"format_version": 1, "federation": "f", "declared_digest": "d",
                   "sites": ["one"],
                   "resources": {"one/conf": {"kind": "file", "exists": false, "status": "missing"}}}),
        ),
        (
            "fields a later version might add, at every level",
            edited(|d| {
                d["probe_tool"] = json!({"name": "other", "version": 2});
                d["resources"]["one/conf"]["checked_by"] = json!("ssh");
            }),
        ),
        (
            "error: null reads as no error",
            edited(|d| d["resources"]["one/conf"]["error"] = Value::Null),
        ),
    ];
    for (what, doc) in cases {
        let problems = errors(&v, &doc);
        assert!(
            problems.is_empty(),
            "{what}: the schema rejects a valid document:\n{}",
            problems.join("\n")
        );
        let out = drift_on(&doc);
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)),
            "{what}: orche drift does not read a document the schema accepts (exit {:?}):\n{}",
            out.status.code(),
            text(&out.stderr)
        );
    }
}

#[test]
fn documents_the_schema_rejects_are_rejected_by_orche() {
    let v = validator();
    let cases: Vec<(&str, Value)> = vec![
        (
            "a resource without status",
            edited(|d| {
                d["resources"]["one/conf"]
                    .as_object_mut()
                    .unwrap()
                    .remove("status");
            }),
        ),
        (
            "a status that is not one of the four",
            edited(|d| d["resources"]["one/web"]["status"] = json!("down")),
        ),
        (
            "a status that is a number",
            edited(|d| d["resources"]["one/web"]["status"] = json!(3)),
        ),
        (
            "exists as a string",
            edited(|d| d["resources"]["one/web"]["exists"] = json!("no")),
        ),
        (
            "a resource without kind",
            edited(|d| {
                d["resources"]["one/web"]
                    .as_object_mut()
                    .unwrap()
                    .remove("kind");
            }),
        ),
        (
            "a negative attempt count",
            edited(|d| d["resources"]["one/conf"]["attempts"] = json!(-1)),
        ),
        (
            "an identity value that is not a string",
            edited(|d| d["resources"]["two/old"]["identity"]["depends_on"] = json!(["two/conf"])),
        ),
        (
            "observed as a list",
            edited(|d| d["resources"]["one/conf"]["observed"] = json!(["644"])),
        ),
        (
            "no resources",
            edited(|d| {
                d.as_object_mut().unwrap().remove("resources");
            }),
        ),
        (
            "no format_version",
            edited(|d| {
                d.as_object_mut().unwrap().remove("format_version");
            }),
        ),
        (
            "a format_version this orche does not know",
            edited(|d| d["format_version"] = json!(2)),
        ),
        ("sites as a string", edited(|d| d["sites"] = json!("one"))),
        ("not an object", json!([])),
    ];
    for (what, doc) in cases {
        assert!(
            !v.is_valid(&doc),
            "{what}: the schema accepts an invalid document:\n{doc:#}"
        );
        let out = drift_on(&doc);
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{what}: orche drift accepts a document the schema rejects:\n{}{stderr}",
            text(&out.stdout)
        );
        assert!(
            stderr.contains("live state"),
            "{what}: the error does not say it is about live state:\n{stderr}"
        );
    }
}
