//! `orche vet --format sarif`: a SARIF 2.1.0 log for code-scanning uploads. One run; the tool's
//! rules are the diagnostic codes that occur, in order of first occurrence, described from
//! docs/diagnostics.md (embedded, so the descriptions are the documentation's); one result per
//! problem with its location, data path (as a logical location) and related locations.
//! Columns are Unicode scalar values (`columnKind: unicodeCodePoints`). Files of the embedded
//! standard library are given relative to the base id `ORCHE_STDLIB`, the user's relative to
//! `%SRCROOT%` (the checkout), absolute paths as `file://` URIs.

use super::{uri, Item, Location};
use crate::diag::Severity;
use indexmap::IndexMap;
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const DIAGNOSTICS_MD: &str = include_str!("../../docs/diagnostics.md");

/// The SARIF log for `items`, pretty-printed, ending with a newline.
pub fn render(items: &[Item]) -> String {
    // Rule index by code, in order of first occurrence.
    let mut rules: IndexMap<&str, Severity> = IndexMap::new();
    for i in items {
        rules.entry(i.diag.code).or_insert(i.diag.severity);
    }
    let results: Vec<Value> = items
        .iter()
        .map(|i| result(i, rules.get_index_of(i.diag.code).unwrap_or(0)))
        .collect();
    let rules: Vec<Value> = rules.iter().map(|(code, sev)| rule(code, *sev)).collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "orche",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {
                "ORCHE_STDLIB": {"description": {"text": "orche's embedded standard library (the packages imported as orche/…)"}},
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn rule(code: &str, severity: Severity) -> Value {
    let doc = describe(code);
    let short = first_sentence(&doc);
    let mut r = json!({
        "id": code,
        "shortDescription": {"text": if short.is_empty() { code.to_string() } else { short }},
        "defaultConfiguration": {"level": severity.as_str()},
    });
    if !doc.is_empty() {
        r["fullDescription"] = json!({"text": doc});
    }
    r
}

fn result(i: &Item, rule_index: usize) -> Value {
    let d = i.diag;
    let mut text = d.headline();
    if let Some(h) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    let mut r = json!({
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": d.severity.as_str(),
        "message": {"text": text},
    });
    if let Some(at) = &i.at {
        let mut loc = json!({"physicalLocation": physical(at)});
        if !d.path.is_empty() {
            loc["logicalLocations"] = json!([{"fullyQualifiedName": d.path, "kind": "member"}]);
        }
        r["locations"] = json!([loc]);
    }
    if !i.related.is_empty() {
        let related: Vec<Value> = i
            .related
            .iter()
            .enumerate()
            .map(|(n, rel)| {
                json!({
                    "id": n + 1,
                    "physicalLocation": physical(&rel.at),
                    "message": {"text": rel.message},
                })
            })
            .collect();
        r["relatedLocations"] = json!(related);
    }
    r
}

fn physical(at: &Location) -> Value {
    let r = &at.range;
    let artifact = if at.stdlib {
        json!({"uri": uri(&at.file), "uriBaseId": "ORCHE_STDLIB"})
    } else if at.file.starts_with('/') {
        json!({"uri": format!("file://{}", uri(&at.file))})
    } else {
        json!({"uri": uri(at.file.trim_start_matches("./")), "uriBaseId": "%SRCROOT%"})
    };
    json!({
        "artifactLocation": artifact,
        "region": {
            "startLine": r.start.line,
            "startColumn": r.start.column,
            "endLine": r.end.line,
            "endColumn": r.end.column,
        },
    })
}

/// The first paragraph of the code's section in docs/diagnostics.md, on one line.
fn describe(code: &str) -> String {
    let heading = format!("## `{code}`");
    let Some(at) = DIAGNOSTICS_MD.find(&heading) else {
        return String::new();
    };
    DIAGNOSTICS_MD[at + heading.len()..]
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with("```"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("sites/east coast/a#1.orc"),
            "sites/east%20coast/a%231.orc"
        );
        assert_eq!(uri("é.orc"), "%C3%A9.orc");
    }

    #[test]
    fn rules_are_described_from_the_documentation() {
        let d = describe("orche::syntax::unexpected");
        assert!(d.starts_with("The parser met a token"), "{d}");
        assert!(!first_sentence(&d).contains('\n'));
        assert_eq!(describe(concat!("orche::", "no_such_code")), "");
    }
}
