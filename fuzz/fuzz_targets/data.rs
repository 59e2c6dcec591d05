//! Fuzz target `data`: any text as a data file, read by each of the data readers
//! (src/load/data.rs, src/load/data/yaml.rs) as the CLI picks them by extension (`x.json`,
//! `x.jsonl`, `x.yaml`, `x.toml`), then exported (`orche export x.EXT`), and, when the reader
//! takes it, placed with `-l` labels (src/compile/place.rs: labels read from the document, and
//! labels evaluated with `--with-context`). Checks: no panic, stack overflow, hang or runaway
//! memory; every span the readers make (of the values and of the errors) lies inside the text
//! on char boundaries; every problem renders; a reader's own verdict and the export's agree; the
//! output is JSON; a JSON text that serde_json reads (without duplicate keys) exports to the
//! same data; and a text exported both as JSON and as YAML gives the same data both ways.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orche::compile::{self, Format, Outcome, Request};
use orche::eval::ExportMode;
use orche::load::data::{self, Placement};
use orche::source::{FileId, SourceMap};
use orche::syntax::ast::{Decl, Expr, ExprKind, ListElem};
use orche_fuzz::{check_spans, json, on_cli_stack, render_all, same, scratch_file, text};
use serde::Deserialize;
use serde_json::Value;

/// `orche export FILE` (with `placement`), its problems rendered and their spans checked; the
/// output, when there is one, read as JSON.
fn export(path: &std::path::Path, placement: &Placement) -> (Outcome, Option<Value>) {
    let outcome = compile::run_placed(
        &Request {
            paths: vec![path.to_path_buf()],
            expr: None,
            mode: ExportMode::Concrete,
            format: Format::Json,
            exit_after: false,
            tags: Default::default(),
            concrete: true,
            show_hidden: false,
        },
        placement,
    );
    render_all(&outcome.sources, &outcome.diags);
    check_spans(&outcome.sources, &outcome.diags);
    let value = outcome
        .output
        .as_deref()
        .map(|out| json("the export of a data file", out));
    (outcome, value)
}

/// Checks that every span of a document read from `text` lies inside it, on char boundaries;
/// returns the number of values in it.
fn check_doc(text: &str, e: &Expr) -> usize {
    let in_text = |s: orche::source::Span, what: &str| {
        let (a, b) = (s.start as usize, s.end as usize);
        assert!(
            a <= b && b <= text.len() && text.is_char_boundary(a) && text.is_char_boundary(b),
            "the span {a}..{b} of {what} is not a range of the text ({} bytes)",
            text.len()
        );
    };
    in_text(e.span, "a value");
    1 + match &e.kind {
        ExprKind::Struct(decls) => decls
            .iter()
            .map(|d| match d {
                Decl::Field(f) => {
                    in_text(f.label.span, "a key");
                    check_doc(text, &f.value)
                }
                Decl::Embed(e) => check_doc(text, e),
                _ => panic!("a data reader made a declaration that is not a field"),
            })
            .sum(),
        ExprKind::List(elems) => elems
            .iter()
            .map(|x| match x {
                ListElem::Expr(e) => check_doc(text, e),
                _ => panic!("a data reader made a list element that is not a value"),
            })
            .sum(),
        ExprKind::Unary(_, e) => check_doc(text, e),
        _ => 0,
    }
}

/// A JSON value with no object holding a key twice (serde_json keeps the last; orche unifies
/// both, so such a text is not compared).
struct NoDuplicates;

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NoDuplicates, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<NoDuplicates, A::Error> {
        while a.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<NoDuplicates, A::Error> {
        let mut keys = std::collections::BTreeSet::new();
        while let Some(k) = a.next_key::<String>()? {
            if !keys.insert(k) {
                return Err(serde::de::Error::custom("duplicate key"));
            }
            a.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// The text as serde_json reads it, when it is one JSON value with no duplicate keys.
fn serde_json_reads(text: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    NoDuplicates::deserialize(&mut de).ok()?;
    de.end().ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    Value::deserialize(&mut de).ok()
}

/// Placements tried on a file a reader takes: labels read from the document (`-l kind -l
/// metadata.name`, an error when it has no such strings), and labels evaluated against its
/// context with a builtin package (`--with-context -l '"d\(index)"' -l
/// 'strings.ToUpper(filename)'`), and the file's documents as one list at a path (`--list -l
/// items`).
fn placements() -> [Placement; 3] {
    [
        Placement {
            labels: vec!["kind".into(), "metadata.name".into()],
            with_context: false,
            list: false,
        },
        Placement {
            labels: vec![
                r#""d\(index)-of-\(recordCount)""#.into(),
                "strings.ToUpper(filename)".into(),
            ],
            with_context: true,
            list: false,
        },
        Placement {
            labels: vec!["items".into()],
            with_context: false,
            list: true,
        },
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    on_cli_stack(|| {
        let mut exported: Vec<(&str, Value)> = Vec::new();
        for ext in ["json", "jsonl", "yaml", "toml"] {
            // The reader on its own: spans inside the text, errors with valid spans.
            let read = match ext {
                "json" => data::json_docs(FileId(0), text, false),
                "jsonl" => data::json_docs(FileId(0), text, true),
                "yaml" => data::yaml_docs(FileId(0), text),
                _ => data::toml_doc(FileId(0), text).map(|e| vec![e]),
            };
            let code = match &read {
                Ok(docs) => {
                    docs.iter().for_each(|d| {
                        check_doc(text, d);
                    });
                    None
                }
                Err(d) => {
                    let mut sources = SourceMap::new();
                    sources.add(format!("x.{ext}"), text);
                    check_spans(&sources, std::slice::from_ref(d));
                    render_all(&sources, std::slice::from_ref(d));
                    Some(d.code)
                }
            };

            // As `orche export x.EXT`: the reader's verdict stands.
            let path = scratch_file(&format!("fuzz.{ext}"), text);
            let (outcome, value) = export(&path, &Placement::default());
            let load_errors: Vec<&str> = outcome
                .diags
                .iter()
                .map(|d| d.code)
                .filter(|c| {
                    matches!(
                        *c,
                        "orche::load::json" | "orche::load::yaml" | "orche::load::toml"
                    )
                })
                .collect();
            match code {
                Some(code) => assert!(
                    load_errors.contains(&code),
                    "the {ext} reader fails with {code}, but the export does not: {:?}",
                    outcome.diags.iter().map(|d| d.code).collect::<Vec<_>>()
                ),
                None => assert!(
                    load_errors.is_empty(),
                    "the {ext} reader takes the text, but the export fails with {load_errors:?}"
                ),
            }
            if let Some(v) = value {
                exported.push((ext, v));
            }

            // Placed with -l, when the reader takes the text and it has few documents (each
            // evaluated label evaluates its document).
            let docs = read.map_or(0, |d| d.len());
            if code.is_none() && docs <= 64 {
                for placement in placements() {
                    export(&path, &placement);
                }
            }
        }

        let find = |ext: &str| exported.iter().find(|(e, _)| *e == ext).map(|(_, v)| v);
        // serde_json as the reference for JSON: what it reads (no duplicate keys) orche
        // exports as the same data.
        if let (Some(v), Some(reference)) = (find("json"), serde_json_reads(text)) {
            assert!(
                same(v, &reference),
                "the JSON export differs from serde_json's reading:\n{v}\n{reference}"
            );
        }
        // YAML 1.2 is a superset of JSON: a text both export is the same data.
        if let (Some(j), Some(y)) = (find("json"), find("yaml")) {
            assert!(
                same(j, y),
                "the text exports as other data read as JSON and as YAML:\n{j}\n{y}"
            );
        }
    });
});
