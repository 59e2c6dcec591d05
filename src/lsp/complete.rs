//! Completion (`textDocument/completion`), from the evaluated package:
//! - in an `import` line: the packages orche has (the standard library and the builtins);
//! - after `label:` (and an opening quote): the string alternatives of the value the package
//!   gives that field (`kind: "` offers the kinds of the federation schema), default first;
//! - elsewhere in a struct: the fields the struct has or allows (inside a site or a resource,
//!   the schema's fields with their types), those not written yet first.
//!
//! The field being typed (from the start of its line, or inside a struct opened on the line,
//! after the last `{` or `,`) is blanked before the package is evaluated (half a line seldom
//! parses), the braces closing structs opened before it kept (`segment_of`); the struct the
//! cursor is in is found as hover finds a field (`hover::path_at`).

use super::hover;
use crate::compile;

/// What to complete at the cursor.
pub enum Want {
    Imports,
    /// The value of the field `label` inside the struct at the path.
    /// With `scope`, the names a reference there can use (when the value is not quoted).
    Value {
        path: Vec<String>,
        quoted: bool,
        scope: Vec<String>,
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
    let line = &text[line_start..line_end];
    let trimmed = text[line_start..offset].trim_start();
    if trimmed.starts_with("import")
        || (trimmed.starts_with('"') && in_import_block(text, line_start))
    {
        return Some((Want::Imports, String::new()));
    }
    // The field being typed: from the start of the line, or in a struct opened on the line
    // (`cache: {kind: "`) from after its `{` or the last `,` at its depth.
    let (segment, kept) = segment_of(line, offset - line_start);
    let trimmed = line[segment..offset - line_start].trim_start();
    let mut blanked = String::with_capacity(text.len());
    blanked.push_str(&text[..line_start]);
    for (i, c) in line.char_indices() {
        if i < segment || c == '\t' || kept.contains(&i) {
            blanked.push(c);
        } else {
            // A space per byte: offsets into the blanked text (the cursor's) stay those of
            // the text.
            blanked.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
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
            let quoted = after.starts_with('"');
            let scope = if quoted {
                Vec::new()
            } else {
                // The line being typed is blanked: its own label is no reference.
                names_in_scope(&blanked, offset)
            };
            return Some((
                Want::Value {
                    path: p,
                    quoted,
                    scope,
                },
                blanked,
            ));
        }
    }
    let written = labels_in_struct(text, offset);
    Some((Want::Fields { path, written }, blanked))
}

/// Where the field being typed at byte `at` of `line` starts, and the closing braces after
/// that start to keep when the rest of the line is blanked. The field starts after the last
/// `{` still open at `at` or the last `,` inside it (at the start of the line when there is
/// neither); the braces kept close a struct opened before that start, or one opened on an
/// earlier line, so the blanked line still parses (`cache: {kind: ""}` becomes `cache: {   }`).
/// Strings are skipped; the one being typed may be open at `at`.
fn segment_of(line: &str, at: usize) -> (usize, Vec<usize>) {
    // The brackets open at each point: the bracket, where, and the field start outside it.
    let mut open: Vec<(char, usize, usize)> = Vec::new();
    let mut start = 0;
    let mut closers = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if line[i..].starts_with("//") => break,
            '{' | '[' | '(' => {
                open.push((c, i, start));
                if i < at {
                    start = i + 1;
                }
            }
            ',' if i < at => start = i + 1,
            '}' | ']' | ')' => {
                let opener = match c {
                    '}' => '{',
                    ']' => '[',
                    _ => '(',
                };
                let matched = match open.last() {
                    Some(&(o, _, _)) if o == opener => open.pop(),
                    _ => None,
                };
                match matched {
                    // Closed before the cursor: the field goes on after it.
                    Some((_, _, outer)) if i < at => start = outer,
                    // Closes a struct whose `{` stays: kept.
                    Some((_, o, _)) if c == '}' && o < start => closers.push(i),
                    Some(_) => {}
                    // Closes a struct of an earlier line.
                    None if i < at => start = i + 1,
                    None if c == '}' => closers.push(i),
                    None => {}
                }
            }
            _ => {}
        }
    }
    (start.min(at), closers)
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
    struct_lines(text, struct_start(text, offset))
        .filter_map(|line| line.trim().split_once(':'))
        .map(|(l, _)| {
            l.trim()
                .trim_end_matches(['?', '!'])
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

/// Where the struct around `offset` starts: just after its `{`, or 0 at the top level.
fn struct_start(text: &str, offset: usize) -> usize {
    let mut depth = 0i32;
    for (i, c) in text[..offset].char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' if depth == 0 => return i + 1,
            '{' => depth -= 1,
            _ => {}
        }
    }
    0
}

/// The lines of the struct starting at `start` that are at its own brace depth.
fn struct_lines(text: &str, start: usize) -> impl Iterator<Item = &str> {
    let mut d = 0i32;
    text[start..]
        .lines()
        .map_while(move |line| {
            if d < 0 {
                return None;
            }
            let own = d == 0;
            d += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            Some(own.then_some(line))
        })
        .flatten()
}

/// The names a reference at `offset` can use: the identifier labels and `let` names of each
/// struct around it, innermost first, then the file's top level and its imports' package
/// names. A textual reading, like [`labels_in_struct`]; each name once.
fn names_in_scope(text: &str, offset: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        let ident = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || "_#$".contains(c))
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "_#$".contains(c));
        if ident && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    };
    let mut at = offset;
    loop {
        let start = struct_start(text, at);
        for line in struct_lines(text, start) {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("let ") {
                add(rest.split('=').next().unwrap_or("").trim());
            } else if let Some((label, _)) = line.split_once(':') {
                add(label.trim().trim_end_matches(['?', '!']));
            }
        }
        if start == 0 {
            break;
        }
        at = start - 1;
    }
    for path in import_lines(text) {
        add(&path);
    }
    out
}

/// The names the file's imports bind: an alias, else the package name (the last element of
/// the path, or its `:name` qualifier).
fn import_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.trim();
        let spec = if let Some(rest) = line.strip_prefix("import") {
            let rest = rest.trim();
            if rest.starts_with('(') {
                in_block = true;
                rest[1..].trim()
            } else {
                rest
            }
        } else if in_block {
            if line.starts_with(')') {
                in_block = false;
                continue;
            }
            line
        } else {
            continue;
        };
        let Some(q) = spec.find('"') else { continue };
        let alias = spec[..q].trim();
        let path = spec[q + 1..].split('"').next().unwrap_or("");
        let name = if alias.is_empty() {
            path.rsplit_once(':')
                .map(|(_, n)| n)
                .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path))
        } else {
            alias
        };
        out.push(name.to_string());
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
        Want::Value {
            path,
            quoted,
            scope,
        } => {
            let value = compile::value_at(texts, path).unwrap_or_default();
            let references = scope.iter().map(|n| {
                json!({
                    "label": n,
                    "kind": 6,
                    "detail": "reference",
                    "insertText": n,
                    "sortText": format!("1{n}"),
                })
            });
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
                .chain(references)
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
            Some((
                Want::Value {
                    path,
                    quoted,
                    scope,
                },
                blanked,
            )) => {
                assert_eq!(path, ["x", "kind"]);
                assert!(quoted);
                assert!(scope.is_empty());
                assert!(!blanked.contains("kind"));
            }
            _ => panic!("a value wanted"),
        }
        // A character of several bytes blanked keeps the offsets (`ޞ` is two bytes; a fuzz
        // finding, fuzz/regressions/lsp/completion-blank-multibyte).
        let typed = "pac,ޞ: ";
        match want(typed, typed.len()) {
            Some((Want::Value { path, .. }, blanked)) => {
                assert_eq!(path, ["ޞ"]);
                assert_eq!(blanked.len(), typed.len());
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
    fn a_field_in_a_one_line_struct() {
        // `kind: "` inside `cache: {…}` on one line: the value of `cache.kind`, and the line
        // blanked so that `cache` is still there (its braces kept).
        let t = "x: {\n\tcache: {kind: \"\"}\n\tweb: {image: \"a\", kind: \"d\"}\n}\n";
        let at = t.find("kind: \"").unwrap() + "kind: \"".len();
        match want(t, at) {
            Some((Want::Value { path, quoted, .. }, blanked)) => {
                assert_eq!(path, ["x", "cache", "kind"]);
                assert!(quoted);
                assert!(blanked.contains("\tcache: {        }\n"), "{blanked:?}");
            }
            _ => panic!("a value wanted"),
        }
        // After a field and a comma on the same line.
        let at = t.find("kind: \"d").unwrap() + "kind: \"d".len();
        match want(t, at) {
            Some((Want::Value { path, .. }, blanked)) => {
                assert_eq!(path, ["x", "web", "kind"]);
                assert!(
                    blanked.contains("\tweb: {image: \"a\",          }\n"),
                    "{blanked:?}"
                );
            }
            _ => panic!("a value wanted"),
        }
        // A name being typed in the one-line struct: its fields.
        let t = "x: {\n\tcache: {kind: \"docker\", im}\n}\n";
        let at = t.find("im}").unwrap() + 2;
        match want(t, at) {
            Some((Want::Fields { path, written }, _)) => {
                assert_eq!(path, ["x", "cache"]);
                assert!(written.contains(&"kind".to_string()));
            }
            _ => panic!("fields wanted"),
        }
        // A closing brace of an earlier line's struct is kept; a struct closed before the
        // cursor is passed over.
        assert_eq!(segment_of("\tkind: \"\"}", 8), (0, vec![9]));
        assert_eq!(segment_of("a: {b: 1}, c: {d: 2} & e", 24), (10, vec![]));
        assert_eq!(segment_of("p: [1, {a: 2}], k", 17), (15, vec![]));
    }

    #[test]
    fn references_in_scope() {
        let t = "package p\n\nimport (\n\tfed \"orche/federation\"\n\t\"strings\"\n\t\"example.com/x:y\"\n)\n\nimport \"list\"\n\ntop: 1\nlet base = 2\nouter: {\n\tinner: {a: 1}\n\t#Def: {}\n\tsib: {\n\t\tlocal: 3\n\t\t\"quoted-x\": 4\n\t\tv: \n\t}\n}\nafter: 5\n";
        let at = t.find("v: ").unwrap() + 3;
        match want(t, at) {
            Some((
                Want::Value {
                    path,
                    quoted,
                    scope,
                },
                _,
            )) => {
                assert_eq!(path, ["outer", "sib", "v"]);
                assert!(!quoted);
                assert_eq!(
                    scope,
                    [
                        "local", "inner", "#Def", "sib", "top", "base", "outer", "after", "fed",
                        "strings", "y", "list"
                    ]
                );
            }
            _ => panic!("a value wanted"),
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
