//! The code action "add the missing required fields": for a struct that lacks fields a
//! definition requires (`image!: string`, reported as `field is required but not present`),
//! the fields are written into the struct's literal in the document, each with a value its
//! type allows where one is obvious (`eval::placeholder`: the default, the first alternative,
//! `""`, the lowest number the bounds allow, …) and else `_` with the type in a comment, and the
//! literal is laid out as `orche fmt` lays it out (the rest of the document is not touched).
//! A one-line literal stays on one line unless a comment has to follow a field.

use crate::source::{FileId, Span};
use crate::syntax::{self, ast};

/// What the evaluator says a missing field needs: its name, a value to write (if obvious),
/// and its type as `orche eval` prints it.
pub type Missing = (String, Option<String>, String);

const MESSAGE: &str = ": field is required but not present: ";

/// The data path of the struct a `field is required but not present` diagnostic is about
/// (its message names the missing field's path first: `a.b."c-d".name: field is …`).
pub fn struct_path(message: &str) -> Option<Vec<String>> {
    let head = message.lines().next()?;
    let at = head.find(MESSAGE)?;
    let mut labels = split_path(&head[..at])?;
    labels.pop()?;
    Some(labels)
}

/// The labels of a path as `Ctx::path` writes it: identifiers, and quoted strings for
/// other names.
fn split_path(path: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if rest.starts_with('"') {
            // The shortest prefix that is a whole JSON string.
            let end = rest
                .char_indices()
                .skip(1)
                .filter(|(_, c)| *c == '"')
                .map(|(i, _)| i + 1)
                .find(|&i| serde_json::from_str::<String>(&rest[..i]).is_ok())?;
            out.push(serde_json::from_str::<String>(&rest[..end]).ok()?);
            rest = &rest[end..];
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
        rest = match rest.strip_prefix('.') {
            Some(r) => r,
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    Some(out)
}

/// The byte range of the struct literal in `text` that gives the field at `path` its fields
/// (`{` to `}` included): the last literal written for it, looking through struct values,
/// unifications (`#D & {…}`), parentheses and top-level embeddings. `None` when the document
/// has no literal with braces for it (`a: b: 1` writes `a`'s struct without them).
pub fn struct_literal(text: &str, path: &[String]) -> Option<(usize, usize)> {
    let file = syntax::parse_file(FileId(0), text).ok()?;
    let braced = |s: Span| {
        let (a, b) = (s.start as usize, s.end as usize);
        (b > a && text.as_bytes()[a] == b'{' && text.as_bytes()[b - 1] == b'}').then_some((a, b))
    };
    let mut found = None;
    find(&file.decls, path, &mut |e| {
        if let Some(r) = braced(e.span) {
            found = Some(r);
        }
    });
    found
}

/// Calls `f` with every struct literal of the field at `path` among `decls`, in text order.
fn find(decls: &[ast::Decl], path: &[String], f: &mut dyn FnMut(&ast::Expr)) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    for d in decls {
        match d {
            ast::Decl::Field(fd) => {
                let name = match &fd.label.kind {
                    ast::LabelKind::Ident(i) => &i.name,
                    ast::LabelKind::String(s) => s,
                    _ => continue,
                };
                if name != first {
                    continue;
                }
                for lit in literals(&fd.value) {
                    if rest.is_empty() {
                        f(lit);
                    } else if let ast::ExprKind::Struct(inner) = &lit.kind {
                        find(inner, rest, f);
                    }
                }
            }
            ast::Decl::Embed(e) => {
                for lit in literals(e) {
                    if let ast::ExprKind::Struct(inner) = &lit.kind {
                        find(inner, path, f);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The struct literals of an expression: itself, the operands of `&`, or in parentheses.
fn literals(e: &ast::Expr) -> Vec<&ast::Expr> {
    match &e.kind {
        ast::ExprKind::Struct(_) => vec![e],
        ast::ExprKind::Binary(ast::BinaryOp::And, a, b) => {
            let mut out = literals(a);
            out.extend(literals(b));
            out
        }
        ast::ExprKind::Paren(x) => literals(x),
        _ => Vec::new(),
    }
}

/// The text replacing `text[range]` (a struct literal) with `missing` added at its end, laid
/// out as `orche fmt` would at that place; `None` when it would not parse.
pub fn with_fields(text: &str, range: (usize, usize), missing: &[Missing]) -> Option<String> {
    let (start, end) = range;
    let literal = &text[start..end];
    let inner = literal[1..literal.len() - 1].trim_end();
    let fields: Vec<(String, bool)> = missing
        .iter()
        .map(|(name, value, ty)| {
            let label = if crate::lower::is_identifier(name) && !name.starts_with(['#', '_']) {
                name.clone()
            } else {
                format!("{name:?}")
            };
            match value {
                Some(v) => (format!("{label}: {v}"), false),
                None => (format!("{label}: _ // {}", ty.replace('\n', " ")), true),
            }
        })
        .collect();
    let one_line = !literal.contains('\n') && !fields.iter().any(|(_, comment)| *comment);
    let mut new = String::from("{");
    if one_line {
        new.push_str(inner);
        let inner = inner.trim();
        if !inner.is_empty() && !inner.ends_with(',') {
            new.push(',');
        }
        if !inner.is_empty() {
            new.push(' ');
        }
        new.push_str(
            &fields
                .iter()
                .map(|(f, _)| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        new.push('}');
    } else {
        if !literal.contains('\n') && !inner.trim().is_empty() {
            // A one-line literal that needs a comment: its fields on a line of their own.
            new.push('\n');
            new.push_str(inner.trim());
        } else {
            new.push_str(inner);
        }
        for (f, _) in &fields {
            new.push('\n');
            new.push_str(f);
        }
        new.push_str("\n}");
    }
    // Formatted as the value of a field of its own, then indented as the line it starts on.
    const LEAD: &str = "_x: ";
    let formatted = crate::fmt::format(FileId(0), &format!("{LEAD}{new}\n")).ok()?;
    let body = formatted.strip_prefix(LEAD)?.trim_end_matches('\n');
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let mut out = String::new();
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&indent);
            }
        }
        out.push_str(line);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_struct_a_diagnostic_is_about() {
        assert_eq!(
            struct_path("f.sites.\"my-site\".resources.db.image: field is required but not present: image\nhelp: x"),
            Some(vec!["f".into(), "sites".into(), "my-site".into(), "resources".into(), "db".into()])
        );
        assert_eq!(struct_path("x: conflicting values 1 and 2"), None);
    }

    #[test]
    fn fields_added_in_orche_fmt_layout() {
        let text = "a: #D & {\n\tb: x: 1\n\tc: {k: \"v\"}\n}\nd: {\n\t\tk: 1 // kept\n}\n";
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let missing = |names: &[&str]| -> Vec<Missing> {
            names
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        Some("\"\"".to_string()),
                        "string".to_string(),
                    )
                })
                .collect()
        };
        // A one-line literal stays on one line.
        let r = struct_literal(text, &path(&["a", "c"])).unwrap();
        assert_eq!(&text[r.0..r.1], "{k: \"v\"}");
        assert_eq!(
            with_fields(text, r, &missing(&["image", "unit"])).unwrap(),
            "{k: \"v\", image: \"\", unit: \"\"}"
        );
        // A multi-line one gets a line per field, indented as the literal's line.
        let r = struct_literal(text, &path(&["a"])).unwrap();
        assert_eq!(
            with_fields(text, r, &missing(&["image"])).unwrap(),
            "{\n\tb: x: 1\n\tc: {k: \"v\"}\n\timage: \"\"\n}"
        );
        let r = struct_literal(text, &path(&["d"])).unwrap();
        let none: Vec<Missing> = vec![("port".into(), None, "int & >0".into())];
        assert_eq!(
            with_fields(text, r, &none).unwrap(),
            "{\n\tk:    1 // kept\n\tport: _ // int & >0\n}"
        );
        // A one-line literal with a field that needs a comment: one field per line.
        let r = struct_literal(text, &path(&["a", "c"])).unwrap();
        assert_eq!(
            with_fields(text, r, &none).unwrap(),
            "{\n\t\tk:    \"v\"\n\t\tport: _ // int & >0\n\t}"
        );
        // `b`'s struct has no braces.
        assert_eq!(struct_literal(text, &path(&["a", "b"])), None);
        assert_eq!(struct_literal(text, &path(&["z"])), None);
    }
}
