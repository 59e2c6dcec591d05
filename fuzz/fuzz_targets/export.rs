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
use orche_fuzz::{json, on_cli_stack, render_all, same, scratch_file, text};
use serde_json::Value;

fn run(path: &std::path::Path, mode: ExportMode, format: Format) -> compile::Outcome {
    let outcome = compile::run(&Request {
        paths: vec![path.to_path_buf()],
        expr: None,
        mode,
        format,
        exit_after: false,
        tags: Default::default(),
        concrete: true,
        show_hidden: false,
    });
    render_all(&outcome.sources, &outcome.diags);
    outcome
}

/// A YAML node as serde_yaml reads it, kept whole: `serde_yaml::Value` cannot hold integers
/// past 64 bits (`123456789012345678901234567890` is a valid YAML integer), and tags (`!!binary`)
/// come as enums.
enum Yaml {
    Null,
    Bool(bool),
    /// An integer, as text.
    Int(String),
    Float(f64),
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(Yaml, Yaml)>),
    Tagged(String, Box<Yaml>),
}

impl<'de> serde::Deserialize<'de> for Yaml {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(YamlVisitor)
    }
}

struct YamlVisitor;

impl<'de> serde::de::Visitor<'de> for YamlVisitor {
    type Value = Yaml;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_unit<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_none<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Yaml, E> {
        Ok(Yaml::Int(i.to_string()))
    }
    fn visit_u64<E>(self, i: u64) -> Result<Yaml, E> {
        Ok(Yaml::Int(i.to_string()))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Yaml, E> {
        Ok(Yaml::Int(i.to_string()))
    }
    fn visit_u128<E>(self, i: u128) -> Result<Yaml, E> {
        Ok(Yaml::Int(i.to_string()))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Yaml, E> {
        Ok(Yaml::Float(x))
    }
    fn visit_str<E>(self, s: &str) -> Result<Yaml, E> {
        Ok(Yaml::Str(s.to_string()))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Yaml, A::Error> {
        let mut items = Vec::new();
        while let Some(x) = a.next_element()? {
            items.push(x);
        }
        Ok(Yaml::Seq(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Yaml, A::Error> {
        let mut entries = Vec::new();
        while let Some(e) = a.next_entry()? {
            entries.push(e);
        }
        Ok(Yaml::Map(entries))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, a: A) -> Result<Yaml, A::Error> {
        use serde::de::VariantAccess;
        let (tag, content): (String, _) = a.variant()?;
        Ok(Yaml::Tagged(tag, Box::new(content.newtype_variant()?)))
    }
}

/// YAML data as JSON data: bytes (`!!binary`) as their base64 text, as the JSON export writes
/// them. A key that reads back as something else than a string, another tag, or a number JSON
/// cannot hold is a finding.
fn yaml_to_json(v: Yaml, yaml: &str) -> Value {
    match v {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Int(text) => json("an integer of the YAML export", &text),
        Yaml::Float(x) => match serde_json::Number::from_f64(x) {
            Some(n) => Value::Number(n),
            None => panic!("the YAML output reads back a number JSON cannot hold ({x}):\n{yaml}"),
        },
        Yaml::Str(s) => Value::String(s),
        Yaml::Seq(items) => {
            Value::Array(items.into_iter().map(|x| yaml_to_json(x, yaml)).collect())
        }
        Yaml::Map(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| match k {
                    Yaml::Str(k) => (k, yaml_to_json(v, yaml)),
                    _ => panic!(
                        "a key of the YAML output reads back as another type than string:\n{yaml}"
                    ),
                })
                .collect(),
        ),
        Yaml::Tagged(tag, content) => match *content {
            Yaml::Str(s) if tag.ends_with("binary") => {
                Value::String(s.split_whitespace().collect())
            }
            _ => panic!("the YAML output has a tag ({tag}):\n{yaml}"),
        },
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
            if as_json.output.is_some() {
                "succeeds"
            } else {
                "fails"
            },
            if as_yaml.output.is_some() {
                "succeeds"
            } else {
                "fails"
            },
        );
        if let (Some(j), Some(y)) = (&as_json.output, &as_yaml.output) {
            let data = json("the JSON export", j);
            let back: Option<Yaml> = match serde_yaml::from_str(y) {
                Ok(v) => Some(v),
                // serde_yaml's own nesting limit (128 levels) is below orche's (1,000): such a
                // document is not compared.
                Err(e) if e.to_string().contains("recursion limit exceeded") => None,
                Err(e) => panic!("the YAML export does not read back ({e}):\n{y}"),
            };
            if let Some(back) = back {
                let back = yaml_to_json(back, y);
                assert!(
                    same(&data, &back),
                    "the YAML export reads back as other data:\nJSON:\n{j}\nYAML:\n{y}"
                );
            }
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
