//! `orche vet --format sarif` against the SARIF 2.1.0 JSON Schema (OASIS errata01; tests/sarif/, draft 4,
//! checked with the `jsonschema` crate; origin and licence in tests/sarif/LICENSE.md): logs with
//! errors, warnings, related locations, a location in the standard library, a problem without
//! a location, a file name that needs percent-encoding, and a clean run all validate; a log
//! the schema must reject is rejected, so the check is not vacuous.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("read the SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::new(&schema).expect("the schema compiles")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sarif")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// Runs `orche vet --format sarif ARGS` in `dir`; the log and the exit code.
fn vet(dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = Command::new(ORCHE)
        .args(["vet", "--format", "sarif"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run orche");
    let text = String::from_utf8_lossy(&out.stdout);
    let log = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
    (log, out.status.code().unwrap_or(-1))
}

fn assert_valid(v: &jsonschema::Validator, log: &Value) {
    let errors: Vec<String> = v
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "schema errors:\n{}\n{log:#}",
        errors.join("\n")
    );
}

#[test]
fn sarif_logs_validate_against_the_schema() {
    let v = validator();
    let dir = scratch("logs");
    std::fs::write(
        dir.join("problems.orc"),
        "name: \"x\"\nsite: { label: \"é\", name: name }\nlet unused = 3\na: 1 & 2\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fed eral.orc"),
        "import \"orche/federation\"\nf: federation.#Federation & {\n\tname: \"f\"\n\tsites: a: {\n\t\ttier: \"edge\"\n\t\tresources: web: {kind: \"dockr\", image: \"x\"}\n\t}\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("clean.orc"), "a: 1\n").unwrap();

    let (log, code) = vet(&dir, &["problems.orc"]);
    assert_eq!(code, 1);
    assert_valid(&v, &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(
        levels.contains(&"error") && levels.contains(&"warning"),
        "{levels:?}"
    );
    assert!(results.iter().any(|r| r.get("relatedLocations").is_some()));
    // Every result names a rule of the driver by id and index.
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }

    let (log, code) = vet(&dir, &["fed eral.orc"]);
    assert_eq!(code, 1);
    assert_valid(&v, &log);
    let text = log.to_string();
    assert!(text.contains("fed%20eral.orc"), "{text}");

    let (log, code) = vet(&dir, &["missing.orc"]);
    assert_eq!(code, 2);
    assert_valid(&v, &log);
    assert!(log["runs"][0]["results"][0].get("locations").is_none());

    let (log, code) = vet(&dir, &["clean.orc"]);
    assert_eq!(code, 0);
    assert_valid(&v, &log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));

    // The check has teeth: a level SARIF does not define is rejected.
    let (mut log, _) = vet(&dir, &["problems.orc"]);
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!v.is_valid(&log));
}
