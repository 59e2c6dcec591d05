//! End-to-end checks of modules as a user runs them (docs/modules.md): the shipped
//! `examples/module` exports and graphs from the repository root (the module found from the
//! argument's directory), its packages export one by one with `./...` and by import path from
//! inside the module, and an error of a package two packages import is reported once.

use std::process::Command;

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

fn orche_in(dir: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(ORCHE)
        .args(args)
        .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .env("NO_COLOR", "1")
        .output()
        .expect("run orche");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn module_example_exports_the_federation_of_both_regions() {
    let (code, out, err) = orche_in(".", &["export", "examples/module"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["name"], "infra");
    let sites: Vec<&String> = v["sites"].as_object().expect("sites").keys().collect();
    assert_eq!(sites, ["primary", "kiosk", "replica"]);
    // The schema of the `schemas` package reached every region's resources.
    assert_eq!(
        v["sites"]["replica"]["resources"]["postgres"]["kind"],
        "docker"
    );
    assert_eq!(
        v["sites"]["replica"]["resources"]["postgres"]["image"],
        "postgres:16"
    );
    // The cross-region dependency is in the graph: replica's database after primary's.
    assert_eq!(
        v["graph"]["nodes"]["replica/postgres"]["depends_on"]["primary/postgres"],
        true
    );
}

#[test]
fn module_example_graphs_and_exports_each_package() {
    let (code, out, err) = orche_in(".", &["graph", "examples/module", "--out", "mermaid"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("flowchart"), "{out}");
    assert!(out.contains("replica"), "{out}");

    // Every package of the module, one JSON document each: the root, regions/eu,
    // regions/us, schemas.
    let (code, out, err) = orche_in("examples/module", &["export", "./..."]);
    assert_eq!(code, 0, "{err}");
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("JSON documents");
    assert_eq!(docs.len(), 4, "{out}");
    assert_eq!(docs[0]["name"], "infra");
    assert!(docs[1]["sites"]["replica"].is_object());
    assert!(docs[2]["sites"]["kiosk"].is_object());
    assert_eq!(docs[3]["postgres_image"], "postgres:16");

    // An import path names the same package as its directory.
    let (code, by_path, err) = orche_in(
        "examples/module",
        &["export", "example.com/infra/regions/eu"],
    );
    assert_eq!(code, 0, "{err}");
    let (_, by_dir, _) = orche_in("examples/module", &["export", "./regions/eu"]);
    assert_eq!(by_path, by_dir);
}

#[test]
fn an_error_in_a_package_imported_twice_is_reported_once() {
    // `a` and `b` both import `s`, whose `bad` is an error: one diagnostic names both places
    // it reaches (cue v0.14.2 reports it at `bad`; orche, which inlines `s.bad` where it is
    // used, at `out.0`, also at `out.1`).
    let dir = std::env::temp_dir().join(format!("orche-modules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in [
        (
            "cue.mod/module.cue",
            "module: \"x.test\"\nlanguage: version: \"v0.9.0\"\n",
        ),
        (
            "m.cue",
            "package m\nimport (\n\t\"x.test/a\"\n\t\"x.test/b\"\n)\nout: [a.v, b.v]\n",
        ),
        ("a/a.cue", "package a\nimport \"x.test/s\"\nv: s.bad\n"),
        ("b/b.cue", "package b\nimport \"x.test/s\"\nv: s.bad\n"),
        ("s/s.cue", "package s\nbad: 1 & 2\n"),
    ] {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = Command::new(ORCHE)
        .args(["export", "m.cue"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run orche");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("s/s.cue:2:6"), "{err}");
    assert!(err.contains("also at out.1"), "{err}");
    assert_eq!(err.matches("conflicting values").count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_editor_check_resolves_imports_in_the_module_of_the_file() {
    // The language server checks a package given as texts (`compile::check_texts`); its
    // imports are resolved in the module the first file lies in.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/module/federation.cue");
    let text = std::fs::read_to_string(&path).expect("example");
    let outcome = orche::compile::check_texts(&[(path.display().to_string(), text)]);
    assert!(outcome.diags.is_empty(), "{:?}", outcome.diags);
    let json: serde_json::Value =
        serde_json::from_str(outcome.output.as_deref().expect("output")).expect("JSON");
    assert_eq!(json["sites"]["replica"]["location"], "eu-west");
}
