//! Hover: the evaluated value of the field under the cursor. The field is found in the syntax
//! tree (the labels of the fields whose text holds the position, looking into struct values,
//! unifications with structs and top-level embeddings, as the outline does), then evaluated in
//! its package (`compile::value_at`): defaults resolved, constraints shown where the value is
//! not concrete. Long values are cut after a number of lines.

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

/// The hover text: the path and the value, in a code block, cut after `MAX_LINES` lines.
pub fn markdown(path: &[String], value: &str) -> String {
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
