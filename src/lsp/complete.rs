//! Completion (`textDocument/completion`), from the evaluated package:
//! - in an `import` line: the packages orche has (the standard library and the builtins);
//! - after `label:` (and an opening quote): the string alternatives of the value the package
//!   gives that field (`kind: "` offers the kinds of the federation schema), default first;
//! - elsewhere in a struct: the fields the struct has or allows (inside a site or a resource,
//!   the schema's fields with their types), those not written yet first.
//!
//! The line being typed is blanked before the package is evaluated (half a line seldom
//! parses); the struct the cursor is in is found as hover finds a field (`hover::path_at`).

use super::hover;
use crate::compile;

/// What to complete at the cursor.
pub enum Want {
    Imports,
    /// The value of the field `label` inside the struct at the path.
    Value {
        path: Vec<String>,
        quoted: bool,
    },
    Fields {
        path: Vec<String>,
        written: Vec<String>,
    },
}

/// Works out what is wanted at byte `offset` of `text`, and the text to evaluate (the current
/// line blanked).
pub fn want(text: &str, offset: usize) -> Option<(Want, String)> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let prefix = &text[line_start..offset];
    let trimmed = prefix.trim_start();
    if trimmed.starts_with("import")
        || (trimmed.starts_with('"') && in_import_block(text, line_start))
    {
        return Some((Want::Imports, String::new()));
    }
    let mut blanked = String::with_capacity(text.len());
    blanked.push_str(&text[..line_start]);
    blanked.extend(
        text[line_start..line_end]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' }),
    );
    blanked.push_str(&text[line_end..]);
    // The enclosing struct: the innermost field around the cursor in the blanked text.
    let path = hover::path_at(&blanked, offset)
        .map(|(p, _)| p)
        .unwrap_or_default();
    if let Some((label, after)) = trimmed.split_once(':') {
        let label = label.trim().trim_end_matches(['?', '!']).trim_matches('"');
        let after = after.trim_start();
        let simple = !label.is_empty() && !label.contains([' ', '{', '}', ',']);
        if simple && (after.is_empty() || (after.starts_with('"') && !after[1..].contains('"'))) {
            let mut p = path;
            p.push(label.to_string());
            return Some((
                Want::Value {
                    path: p,
                    quoted: after.starts_with('"'),
                },
                blanked,
            ));
        }
    }
    let written = labels_in_struct(text, offset);
    Some((Want::Fields { path, written }, blanked))
}

/// Whether the line starting at `at` is inside an `import ( … )` block.
fn in_import_block(text: &str, at: usize) -> bool {
    let before = &text[..at];
    match (before.rfind("import ("), before.rfind(')')) {
        (Some(i), Some(j)) => i > j,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The labels already written at the start of lines of the struct around `offset` (a rough
/// reading: lines at the cursor's brace depth).
fn labels_in_struct(text: &str, offset: usize) -> Vec<String> {
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text[..offset].char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' if depth == 0 => {
                start = i + 1;
                break;
            }
            '{' => depth -= 1,
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut d = 0i32;
    for line in text[start..].lines() {
        if d == 0 {
            if let Some((l, _)) = line.trim().split_once(':') {
                out.push(
                    l.trim()
                        .trim_end_matches(['?', '!'])
                        .trim_matches('"')
                        .to_string(),
                );
            }
        }
        d += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if d < 0 {
            break;
        }
    }
    out
}

/// The completion items for `want`, evaluating `texts` (the package with the line blanked).
pub fn items(want: &Want, texts: &[(String, String)]) -> Vec<serde_json::Value> {
    use serde_json::json;
    match want {
        Want::Imports => {
            let mut names: Vec<&str> = crate::load::STDLIB.iter().map(|(p, _)| *p).collect();
            names.extend(crate::eval::builtins::packages());
            names
                .into_iter()
                .map(|n| json!({"label": n, "kind": 9, "insertText": n}))
                .collect()
        }
        Want::Value { path, quoted } => {
            let Some(value) = compile::value_at(texts, path) else {
                return Vec::new();
            };
            alternatives(&value)
                .into_iter()
                .enumerate()
                .map(|(i, (s, default))| {
                    let insert = if *quoted { s.clone() } else { format!("{s:?}") };
                    json!({
                        "label": s,
                        "kind": 20,
                        "insertText": insert,
                        "detail": if default { "default" } else { "" },
                        "sortText": format!("{i:04}"),
                        "preselect": default,
                    })
                })
                .collect()
        }
        Want::Fields { path, written } => {
            let Some(fields) = compile::fields_at(texts, path) else {
                return Vec::new();
            };
            fields
                .into_iter()
                .map(|f| {
                    let done = written.contains(&f.name);
                    json!({
                        "label": f.name,
                        "kind": 5,
                        "detail": format!("{}{}", if f.optional { "optional: " } else { "" }, f.value),
                        "insertText": format!("{}: ", f.name),
                        "sortText": format!("{}{}", u8::from(done), f.name),
                    })
                })
                .collect()
        }
    }
}

/// The string alternatives of a printed value (`*"a" | "b"` or `"a" | "b" | string`), each with
/// whether it is the default.
fn alternatives(value: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for part in value.trim().split(" | ") {
        let part = part.trim();
        let (default, part) = match part.strip_prefix('*') {
            Some(p) => (true, p),
            None => (false, part),
        };
        if let Ok(serde_json::Value::String(s)) = serde_json::from_str(part) {
            out.push((s, default));
        }
    }
    out.sort_by_key(|(_, d)| !*d);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_wanted_where() {
        let t = "import \"orche/fed\"\nx: {\n\tkind: \"do\n\tname: \"a\"\n\tna\n}\n";
        let at = |s: &str| t.find(s).unwrap() + s.len();
        assert!(matches!(want(t, at("orche/fed")), Some((Want::Imports, _))));
        match want(t, at("kind: \"do")) {
            Some((Want::Value { path, quoted }, blanked)) => {
                assert_eq!(path, ["x", "kind"]);
                assert!(quoted);
                assert!(!blanked.contains("kind"));
            }
            _ => panic!("a value wanted"),
        }
        // One line is being typed at a time: the rest parses.
        let t = t.replace("kind: \"do\n", "kind: \"docker\"\n");
        let at = |s: &str| t.find(s).unwrap() + s.len();
        match want(&t, at("\tna")) {
            Some((Want::Fields { path, written }, _)) => {
                assert_eq!(path, ["x"]);
                assert!(written.contains(&"name".to_string()));
            }
            _ => panic!("fields wanted"),
        }
    }

    #[test]
    fn alternatives_of_a_disjunction() {
        assert_eq!(
            alternatives(r#""a" | *"b" | string"#),
            [("b".to_string(), true), ("a".to_string(), false)]
        );
        assert!(alternatives("int").is_empty());
    }
}
