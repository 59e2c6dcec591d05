//! Hover: the evaluated value of the field under the cursor. The field is found in the syntax
//! tree (the labels of the fields whose text holds the position, looking into struct values,
//! unifications with structs and top-level embeddings, as the outline does), then evaluated in
//! its package (`compile::hover_at`): defaults resolved (the disjunction shown below when the
//! field's own value had a default), constraints shown where the value is not concrete, with
//! its type. Below come the doc comments of the declarations that gave the value (the `//`
//! lines right above each) and those declarations' places, `file:line`. Long values are cut
//! after a number of lines.

use crate::source::{FileId, Span};
use crate::syntax::{self, ast};

/// Lines of a value shown at most.
const MAX_LINES: usize = 40;

/// The data path of the field whose label or value holds byte `offset` of `text`, and the span
/// of its label; `None` outside any field or when the text does not parse.
pub fn path_at(text: &str, offset: usize) -> Option<(Vec<String>, Span)> {
    let file = syntax::parse_file(FileId(0), text).ok()?;
    let mut path = Vec::new();
    let mut label = None;
    let mut decls: &[ast::Decl] = &file.decls;
    let mut embeds: Vec<&ast::Expr> = Vec::new();
    'descend: loop {
        let within = |s: Span| s.start as usize <= offset && offset <= s.end as usize;
        for d in decls {
            match d {
                ast::Decl::Field(f) if within(f.span) => {
                    let name = match &f.label.kind {
                        ast::LabelKind::Ident(i) => i.name.clone(),
                        ast::LabelKind::String(s) => s.clone(),
                        _ => return None,
                    };
                    path.push(name);
                    label = Some(f.label.span);
                    embeds.clear();
                    embeds.push(&f.value);
                    match structs_of(&f.value, offset) {
                        Some(inner) => {
                            decls = inner;
                            continue 'descend;
                        }
                        None => break 'descend,
                    }
                }
                ast::Decl::Embed(e) if within(e.span) => {
                    if let Some(inner) = structs_of(e, offset) {
                        decls = inner;
                        continue 'descend;
                    }
                }
                _ => {}
            }
        }
        break;
    }
    label.map(|l| (path, l))
}

/// The declarations of the struct literal within `e` (itself, an operand of `&`, or in
/// parentheses) whose text holds `offset`.
fn structs_of(e: &ast::Expr, offset: usize) -> Option<&[ast::Decl]> {
    let within = e.span.start as usize <= offset && offset <= e.span.end as usize;
    if !within {
        return None;
    }
    match &e.kind {
        ast::ExprKind::Struct(decls) => Some(decls),
        ast::ExprKind::Binary(ast::BinaryOp::And, a, b) => {
            structs_of(a, offset).or_else(|| structs_of(b, offset))
        }
        ast::ExprKind::Paren(x) => structs_of(x, offset),
        _ => None,
    }
}

/// Doc comments shown at most, and declarations listed at most.
const MAX_DOCS: usize = 3;
const MAX_PLACES: usize = 12;

/// A place a value came from, for the hover: how to show it and where to link.
pub struct Place {
    /// `fleet.orc:12`, `stdlib/orche/federation/federation.orc:40`.
    pub shown: String,
    /// The file's URI (a cached copy for the standard library), with `#Lline`.
    pub link: Option<String>,
}

/// Everything the hover shows besides the value: see [`markdown`].
#[derive(Default)]
pub struct Extras {
    pub disjunction: Option<String>,
    pub kind: Option<String>,
    pub docs: Vec<String>,
    pub places: Vec<Place>,
}

/// The doc comment of the declaration starting at byte `at` of `text`: the `//` lines right
/// above its line (no blank line between), without the slashes; `None` when there are none.
/// A line that starts another field's declaration with a comment after it is not one.
pub fn doc_comment(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let mut lines = Vec::new();
    let mut end = line_start;
    while end > 0 {
        let start = text[..end - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = text[start..end - 1].trim();
        match line.strip_prefix("//") {
            Some(c) => lines.push(c.strip_prefix(' ').unwrap_or(c).trim_end().to_string()),
            None => break,
        }
        end = start;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// The hover text: the path and the value in a code block (cut after `MAX_LINES` lines),
/// then the disjunction the value is the default of, its type where it is not concrete, the
/// doc comments and the places of the declarations.
pub fn markdown(path: &[String], value: &str, extras: &Extras) -> String {
    let mut out = value_block(path, value);
    let mut notes = Vec::new();
    if let Some(d) = &extras.disjunction {
        if d.contains('\n') {
            notes.push(format!("the default of:\n```cue\n{}\n```", cut(d)));
        } else {
            notes.push(format!("the default of `{d}`"));
        }
    }
    if let Some(k) = &extras.kind {
        notes.push(format!("type: `{k}` (not concrete)"));
    }
    if !notes.is_empty() {
        out.push_str("\n\n");
        out.push_str(&notes.join("  \n"));
    }
    for doc in extras.docs.iter().take(MAX_DOCS) {
        out.push_str("\n\n---\n\n");
        out.push_str(doc);
    }
    if !extras.places.is_empty() {
        out.push_str("\n\n---\n\nfrom:");
        for p in extras.places.iter().take(MAX_PLACES) {
            match &p.link {
                Some(l) => out.push_str(&format!("\n- [{}]({l})", p.shown)),
                None => out.push_str(&format!("\n- {}", p.shown)),
            }
        }
        if extras.places.len() > MAX_PLACES {
            out.push_str(&format!(
                "\n- … and {} more",
                extras.places.len() - MAX_PLACES
            ));
        }
    }
    out
}

/// At most `MAX_LINES` lines of `s`, `…` after a cut.
fn cut(s: &str) -> String {
    let lines: Vec<&str> = s.trim_end().lines().collect();
    let mut body = lines[..lines.len().min(MAX_LINES)].join("\n");
    if lines.len() > MAX_LINES {
        body.push_str("\n…");
    }
    body
}

/// The path and the value, in a code block, cut after `MAX_LINES` lines.
fn value_block(path: &[String], value: &str) -> String {
    let mut lines: Vec<&str> = value.trim_end().lines().collect();
    let cut = lines.len() > MAX_LINES;
    lines.truncate(MAX_LINES);
    let mut body = lines.join("\n");
    if cut {
        body.push_str("\n…");
    }
    let one_line = !body.contains('\n');
    let shown = if one_line {
        format!("{}: {}", path.join("."), body)
    } else {
        format!("{}: {{\n{}\n}}", path.join("."), indent(&body))
    };
    format!("```cue\n{shown}\n```")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("\t{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_comments_above_a_declaration() {
        let text =
            "// Not this one.\n\n// How often.\n//  In seconds.\n\tinterval: 5\nx: 1 // no\ny: 2\n";
        let at = |s: &str| text.find(s).unwrap();
        assert_eq!(
            doc_comment(text, at("5")).as_deref(),
            Some("How often.\n In seconds.")
        );
        assert_eq!(doc_comment(text, at("y:")), None);
        assert_eq!(doc_comment(text, at("// Not")), None);
    }

    #[test]
    fn markdown_with_extras() {
        let extras = Extras {
            disjunction: Some("int & >0 | *5".into()),
            kind: None,
            docs: vec!["How often.".into()],
            places: vec![Place {
                shown: "h.orc:3".into(),
                link: Some("file:///h.orc#L3".into()),
            }],
        };
        assert_eq!(
            markdown(&["a".into(), "interval".into()], "5\n", &extras),
            "```cue\na.interval: 5\n```\n\nthe default of `int & >0 | *5`\n\n---\n\nHow often.\n\n---\n\nfrom:\n- [h.orc:3](file:///h.orc#L3)"
        );
    }

    #[test]
    fn path_follows_structs_unifications_and_embeddings() {
        let text = "x: #D & {\n\ta: {b: 1}\n}\n{\n\ttop: 2\n}\n";
        let at = |s: &str| text.find(s).unwrap();
        assert_eq!(path_at(text, at("b:")).unwrap().0, ["x", "a", "b"]);
        assert_eq!(path_at(text, at("a:")).unwrap().0, ["x", "a"]);
        assert_eq!(path_at(text, at("top")).unwrap().0, ["top"]);
        assert_eq!(path_at(text, at("#D")).unwrap().0, ["x"]);
        assert!(path_at("a: {", 1).is_none());
    }
}
