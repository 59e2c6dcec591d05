//! Fuzz target `export`: any text as a one-file package through `compile::run`, as `orche
//! export --out json`, `orche export --out yaml` and `orche eval` run it. Checks: no panic,
//! stack overflow, hang or runaway memory; every problem renders; JSON and YAML export agree on
//! whether there is a value; and the value round-trips: the JSON output is JSON, the YAML
//! output reads back (as YAML 1.2, numbers compared as numbers) to the same data, and the JSON
//! output, read as an orche source, exports to the same JSON. `orche eval`'s output parses.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orche::compile::{self, Format, Request};
use orche::eval::ExportMode;
use orche::source::FileId;
use orche_fuzz::{json, on_cli_stack, render_all, scratch_file, text};
use serde_json::Value;

fn run(path: &std::path::Path, mode: ExportMode, format: Format) -> compile::Outcome {
    let outcome = compile::run(&Request {
        paths: vec![path.to_path_buf()],
        expr: None,
        mode,
        format,
        exit_after: false,
    });
    render_all(&outcome.sources, &outcome.diags);
    outcome
}

/// Whether `a` and `b` are the same data; numbers are equal when they are the same number as
/// `f64` (YAML readers turn big integers and decimals into floats).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || {
                let (x, y) = (x.to_string().parse::<f64>(), y.to_string().parse::<f64>());
                matches!((x, y), (Ok(x), Ok(y)) if x == y)
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// YAML data as JSON data; keys that read back as something else than a string are a finding.
fn yaml_to_json(v: serde_yaml::Value, yaml: &str) -> Value {
    match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            let text = n.to_string();
            match serde_json::from_str::<Value>(&text) {
                Ok(v @ Value::Number(_)) => v,
                // .inf, .nan: JSON has no such number, so the export cannot have written one.
                _ => panic!("the YAML output reads back a number JSON cannot hold ({text}):\n{yaml}"),
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => {
            Value::Array(items.into_iter().map(|x| yaml_to_json(x, yaml)).collect())
        }
        serde_yaml::Value::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| match k {
                    serde_yaml::Value::String(k) => (k, yaml_to_json(v, yaml)),
                    other => panic!("a key of the YAML output reads back as {other:?}:\n{yaml}"),
                })
                .collect(),
        ),
        serde_yaml::Value::Tagged(t) => panic!("the YAML output has a tag ({}):\n{yaml}", t.tag),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    on_cli_stack(|| {
        let path = scratch_file("fuzz.orc", text);
        let as_json = run(&path, ExportMode::Concrete, Format::Json);
        let as_yaml = run(&path, ExportMode::Concrete, Format::Yaml);
        assert!(
            as_json.output.is_some() == as_yaml.output.is_some(),
            "JSON export {} but YAML export {}",
            if as_json.output.is_some() { "succeeds" } else { "fails" },
            if as_yaml.output.is_some() { "succeeds" } else { "fails" },
        );
        if let (Some(j), Some(y)) = (&as_json.output, &as_yaml.output) {
            let data = json("the JSON export", j);
            let back: serde_yaml::Value = match serde_yaml::from_str(y) {
                Ok(v) => v,
                Err(e) => panic!("the YAML export does not read back ({e}):\n{y}"),
            };
            let back = yaml_to_json(back, y);
            assert!(
                same(&data, &back),
                "the YAML export reads back as other data:\nJSON:\n{j}\nYAML:\n{y}"
            );
            // JSON is orche syntax: exporting it again gives the same JSON.
            let again = scratch_file("again.orc", j);
            let again = run(&again, ExportMode::Concrete, Format::Json);
            match &again.output {
                Some(k) => assert!(
                    same(&data, &json("the JSON re-export", k)),
                    "the JSON export, evaluated again, exports other data:\nfirst:\n{j}\nagain:\n{k}"
                ),
                None => panic!(
                    "the JSON export does not evaluate again: {:?}\n{j}",
                    again.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
                ),
            }
        }
        let as_orc = run(&path, ExportMode::Eval, Format::Orc);
        if let Some(o) = &as_orc.output {
            if let Err(diags) = orche::syntax::parse_file(FileId(0), o) {
                panic!(
                    "`orche eval` prints text that does not parse: {:?}\n{o}",
                    diags.iter().map(|d| &d.message).collect::<Vec<_>>()
                );
            }
        }
    });
});
