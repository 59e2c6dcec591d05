//! Data files end to end: the built binary run as a user runs it, on the shipped example
//! (`examples/data/`) and on files written to a scratch folder: export with and without `-l`,
//! `vet -d` over several files with one failing, every error's file:line:column in the data
//! file, standard input with and without a qualifier. The finer behaviours are golden cases
//! under `testdata/data/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn orche_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orche"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run orche");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for orche");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch folder holding `files`.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orche-data-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    for (f, text) in files {
        std::fs::write(dir.join(f), text).expect("write input");
    }
    dir
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn the_example_exports_with_and_without_placement() {
    let dir = repo().join("examples/data");
    let placed = orche_in(
        &dir,
        &[
            "export",
            "schema.cue",
            "edge.yaml",
            "core.json",
            "-l",
            "\"sites\"",
            "-l",
            "name",
        ],
        None,
    );
    assert_eq!(placed.code, 0, "{}", placed.stderr);
    let v = json(&placed.stdout);
    let sites = v["sites"].as_object().expect("sites");
    // Every document placed once. Their order is a known difference (docs/spec.md): cue
    // v0.14.2 places documents without a position, so it orders them by name
    // (core-virginia, edge-frankfurt, edge-paris); here each keeps its document's place.
    let mut keys: Vec<&String> = sites.keys().collect();
    keys.sort();
    assert_eq!(keys, ["core-virginia", "edge-frankfurt", "edge-paris"]);
    // Defaults of the schema filled in, data kept.
    assert_eq!(v["sites"]["edge-frankfurt"]["replicas"], 2);
    assert_eq!(v["sites"]["edge-frankfurt"]["health"]["interval"], 5);
    assert_eq!(v["sites"]["core-virginia"]["health"]["path"], "/ready");

    // Without -l the documents unify at the root: the two edge sites disagree on their name.
    let root = orche_in(&dir, &["export", "schema.cue", "edge.yaml"], None);
    assert_eq!(root.code, 1);
    assert!(
        root.stderr.contains("conflicting values"),
        "{}",
        root.stderr
    );
    assert!(root.stderr.contains("edge.yaml:2:7"), "{}", root.stderr);

    // One document alone exports as it is, schema applied at the root.
    let one = orche_in(
        &dir,
        &["export", "schema.cue", "core.json", "-e", "name"],
        None,
    );
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(one.stdout.trim(), "\"core-virginia\"");
}

#[test]
fn vet_d_reports_every_failing_file_at_its_line_and_column() {
    let dir = scratch(
        "vet",
        &[
            (
                "schema.cue",
                "#Site: {name: string, replicas: int & <=5, region: \"eu\" | \"us\"}\n",
            ),
            ("good.yaml", "name: a\nreplicas: 1\nregion: eu\n"),
            ("bad.yaml", "name: b\nreplicas: 9\nregion: eu\n"),
            ("worse.yaml", "name: c\nreplicas: 1\nregion: asia\n"),
        ],
    );
    let all = orche_in(
        &dir,
        &[
            "vet",
            "schema.cue",
            "good.yaml",
            "bad.yaml",
            "worse.yaml",
            "-d",
            "#Site",
        ],
        None,
    );
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert!(all.stderr.contains("bad.yaml:2:11"), "{}", all.stderr);
    assert!(all.stderr.contains("worse.yaml:3:9"), "{}", all.stderr);
    assert!(!all.stderr.contains("good.yaml"), "{}", all.stderr);
    assert!(all.stderr.contains("2 errors"), "{}", all.stderr);

    // The same findings as data for CI.
    let j = orche_in(
        &dir,
        &[
            "vet",
            "--format",
            "json",
            "schema.cue",
            "bad.yaml",
            "worse.yaml",
            "-d",
            "#Site",
        ],
        None,
    );
    assert_eq!(j.code, 1);
    let found = json(&j.stdout).to_string();
    assert!(
        found.contains("bad.yaml") && found.contains("worse.yaml"),
        "{found}"
    );

    let ok = orche_in(
        &dir,
        &["vet", "schema.cue", "good.yaml", "-d", "#Site"],
        None,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stderr.is_empty(), "{}", ok.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn standard_input_takes_a_qualifier_and_is_source_without_one() {
    let dir = scratch("stdin", &[("schema.cue", "port: int & <100\n")]);
    let yaml = orche_in(
        &dir,
        &["export", "schema.cue", "yaml:", "-"],
        Some("port: 8\n"),
    );
    assert_eq!(yaml.code, 0, "{}", yaml.stderr);
    assert_eq!(json(&yaml.stdout)["port"], 8);

    let bad = orche_in(
        &dir,
        &["export", "schema.cue", "json:", "-"],
        Some("{\"port\": 800}\n"),
    );
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("[-:1:10]"), "{}", bad.stderr);

    // Without a qualifier, standard input is orche/CUE source, as with cue.
    let src = orche_in(&dir, &["export", "-"], Some("a: 1 + 1\n"));
    assert_eq!(src.code, 0, "{}", src.stderr);
    assert_eq!(json(&src.stdout)["a"], 2);

    let lines = orche_in(
        &dir,
        &["export", "jsonl:", "-"],
        Some("{\"a\": 1}\n{\"b\": 2\n"),
    );
    assert_eq!(lines.code, 1);
    assert!(lines.stderr.contains("[-:3:1]"), "{}", lines.stderr);
    assert!(
        lines.stderr.contains("unexpected end of JSON input"),
        "{}",
        lines.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_data_names_file_line_and_column() {
    let dir = scratch(
        "malformed",
        &[
            ("a.yaml", "ok: 1\nlist: [1, 2\nnext: 3\n"),
            ("b.json", "{\"a\": tru}\n"),
            ("c.toml", "a = 1\nb = \n"),
            ("d.yaml", "key: !secret value\n"),
        ],
    );
    for (file, at, what) in [
        ("a.yaml", "a.yaml:3:5", "invalid YAML"),
        ("b.json", "b.json:1:10", "invalid JSON"),
        ("c.toml", "c.toml:2:5", "invalid TOML"),
        ("d.yaml", "d.yaml:1:14", "\"!secret\""),
    ] {
        let r = orche_in(&dir, &["export", file], None);
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        assert!(
            r.stderr.contains(at),
            "{file}: expected {at} in\n{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(what),
            "{file}: expected {what} in\n{}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Data files beside one package given as a directory belong to that package, as in cue
/// (`orche vet ./schemas site.yaml -d '#Site'`).
#[test]
fn data_files_join_a_directory_package() {
    let dir = std::env::temp_dir().join(format!("orche-data-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::write(
        dir.join("schemas/s.cue"),
        "package s\n#Site: {name: string, replicas: int & <=10}\n",
    )
    .unwrap();
    std::fs::write(dir.join("good.yaml"), "name: a\nreplicas: 3\n").unwrap();
    std::fs::write(dir.join("bad.yaml"), "name: b\nreplicas: 30\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_orche"))
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let ok = run(&["vet", "./schemas", "good.yaml", "-d", "#Site"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = run(&["vet", "./schemas", "good.yaml", "bad.yaml", "-d", "#Site"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("bad.yaml:2:11"), "{err}");
    let out = run(&[
        "export",
        "./schemas",
        "good.yaml",
        "-l",
        "\"sites\"",
        "-l",
        "name",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sites"]["a"]["replicas"], 3);
    let _ = std::fs::remove_dir_all(&dir);
}
