//! The `encoding/yaml` package: `Marshal` and `MarshalStream`, with a small block-style emitter
//! following yaml.v3's choices (2-space indentation, sequences indented under their key,
//! strings quoted only when they would read back as something else, literal blocks for
//! multi-line strings). Invariant: the output parses back to the same value. `Unmarshal` and
//! `UnmarshalStream` read YAML as data files are read (`load::data`, docs/data-files.md).
//! FIXME(yaml-validate): `Validate` and `ValidatePartial` take a schema, which builtins on
//! concrete values cannot receive; they are not provided.

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::Value;

type R = Result<Value, BuiltinError>;

const P: &str = "encoding/yaml";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Marshal", 1, marshal),
    builtin!(P, "MarshalStream", 1, marshal_stream),
    builtin!(P, "Unmarshal", 1, unmarshal),
    builtin!(P, "UnmarshalStream", 1, unmarshal_stream),
];

/// The documents of a YAML text, as data files' documents are read.
fn documents(a: &Args) -> Result<Vec<Value>, BuiltinError> {
    let text = std::str::from_utf8(a.bytes(0)?).map_err(|_| a.fail("invalid UTF-8"))?;
    // An empty text is one null document, in a stream too (as cue reads it).
    let docs = crate::load::data::yaml_docs(crate::source::FileId(0), text).map_err(|d| {
        let at = d.labels.first().map(|l| l.span.start as usize).unwrap_or(0);
        let line = text[..at.min(text.len())].matches('\n').count() + 1;
        a.fail(format!("line {line}: {}", d.message))
    })?;
    docs.iter()
        .map(|d| to_value(d).map_err(|m| a.fail(m)))
        .collect()
}

fn unmarshal(args: &[Value]) -> R {
    let a = Args::new(args, "yaml.Unmarshal");
    let mut docs = documents(&a)?;
    if docs.len() != 1 {
        return Err(a.fail("expected a single YAML document"));
    }
    Ok(docs.remove(0))
}

fn unmarshal_stream(args: &[Value]) -> R {
    let a = Args::new(args, "yaml.UnmarshalStream");
    Ok(Value::List(documents(&a)?))
}

/// A data document's syntax tree as a value; a key given twice must have equal values.
fn to_value(e: &crate::syntax::ast::Expr) -> Result<Value, String> {
    use crate::syntax::ast::{Decl, ExprKind, LabelKind, ListElem, UnaryOp};
    use crate::value::number::{parse_decimal, Num};
    let num = |text: &str, float: bool| -> Result<Value, String> {
        let n = if float {
            parse_decimal(text).map(Num::Float)
        } else {
            text.parse().ok().map(Num::Int)
        };
        n.map(Value::Num)
            .ok_or_else(|| format!("invalid number {text}"))
    };
    Ok(match &e.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::String(s) => Value::Str(s.clone()),
        ExprKind::Int(t) => num(t, false)?,
        ExprKind::Float(t) => num(t, true)?,
        ExprKind::Unary(UnaryOp::Neg, x) => match &x.kind {
            ExprKind::Int(t) => num(&format!("-{t}"), false)?,
            ExprKind::Float(t) => num(&format!("-{t}"), true)?,
            _ => return Err("unexpected value".into()),
        },
        ExprKind::List(elems) => Value::List(
            elems
                .iter()
                .map(|x| match x {
                    ListElem::Expr(x) => to_value(x),
                    _ => Err("unexpected list element".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        ExprKind::Struct(decls) => {
            let mut out = indexmap::IndexMap::new();
            for d in decls {
                let Decl::Field(f) = d else { continue };
                let LabelKind::String(k) = &f.label.kind else {
                    continue;
                };
                let v = to_value(&f.value)?;
                match out.get(k) {
                    Some(old) if *old != v => {
                        return Err(format!("key {k:?} is given twice with different values"))
                    }
                    Some(_) => {}
                    None => {
                        out.insert(k.clone(), v);
                    }
                }
            }
            Value::Struct(out)
        }
        _ => return Err("unexpected value".into()),
    })
}

fn marshal(args: &[Value]) -> R {
    let a = Args::new(args, "yaml.Marshal");
    let mut out = String::new();
    write_doc(a.get(0)?, &mut out);
    Ok(Value::Str(out))
}

fn marshal_stream(args: &[Value]) -> R {
    let a = Args::new(args, "yaml.MarshalStream");
    let mut out = String::new();
    for (i, v) in a.list(0)?.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        write_doc(v, &mut out);
    }
    Ok(Value::Str(out))
}

fn write_doc(v: &Value, out: &mut String) {
    match v {
        Value::List(items) if !items.is_empty() => write_block(v, 0, out),
        Value::Struct(fields) if !fields.is_empty() => write_block(v, 0, out),
        _ => {
            out.push_str(&scalar(v, 0));
            out.push('\n');
        }
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::List(items) => !items.is_empty(),
        Value::Struct(fields) => !fields.is_empty(),
        _ => false,
    }
}

/// Writes a non-empty list or struct at `indent`, each entry on its own line.
fn write_block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::List(items) => {
            for x in items {
                out.push_str(&pad);
                out.push_str("- ");
                write_inline_start(x, indent + 2, out);
            }
        }
        Value::Struct(fields) => {
            for (k, x) in fields {
                out.push_str(&pad);
                out.push_str(&quote_str(k, true));
                out.push(':');
                if is_block(x) {
                    out.push('\n');
                    write_block(x, indent + 2, out);
                } else {
                    out.push(' ');
                    out.push_str(&scalar(x, indent + 2));
                    out.push('\n');
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other, indent));
            out.push('\n');
        }
    }
}

/// A list item: its first line follows the `- ` marker; the rest is indented under it.
fn write_inline_start(x: &Value, indent: usize, out: &mut String) {
    if !is_block(x) {
        out.push_str(&scalar(x, indent));
        out.push('\n');
        return;
    }
    let mut inner = String::new();
    write_block(x, indent, &mut inner);
    // Drop the indentation of the first line: it sits after "- ".
    out.push_str(&inner[indent.min(inner.len())..]);
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Num(n) => n.to_string(),
        Value::Str(s) => {
            if s.contains('\n')
                && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
                && !s.starts_with(' ')
            {
                literal_block(s, indent)
            } else {
                quote_str(s, false)
            }
        }
        Value::Bytes(b) => {
            use base64::Engine;
            format!(
                "!!binary {}",
                base64::engine::general_purpose::STANDARD.encode(b)
            )
        }
        Value::List(_) => "[]".into(),
        Value::Struct(_) => "{}".into(),
    }
}

/// `|-`, `|` or `|+` depending on the trailing newlines.
fn literal_block(s: &str, indent: usize) -> String {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent.max(2));
    let mut out = format!("|{chomp}");
    let body = if trailing == 1 {
        &s[..s.len() - 1]
    } else {
        s.trim_end_matches('\n')
    };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    for _ in 1..trailing.max(1) {
        if trailing > 1 {
            out.push('\n');
        }
    }
    out
}

/// Words that YAML 1.1 or 1.2 would read as something other than a string.
fn looks_typed(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "" | "~"
            | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | "-.inf"
            | "+.inf"
            | ".nan"
            | "<<"
    ) {
        return true;
    }
    let t = s.strip_prefix(['+', '-']).unwrap_or(s).replace('_', "");
    if t.is_empty() {
        return false;
    }
    let lower_t = t.to_ascii_lowercase();
    if let Some(h) = lower_t.strip_prefix("0x") {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(o) = lower_t
        .strip_prefix("0o")
        .or_else(|| lower_t.strip_prefix("0b"))
    {
        return !o.is_empty() && o.chars().all(|c| c.is_ascii_digit());
    }
    // Ints, floats and sexagesimal numbers (1:30) of YAML 1.1.
    let numeric = t
        .chars()
        .all(|c| c.is_ascii_digit() || ".eE+-:".contains(c))
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && t.chars().any(|c| c.is_ascii_digit());
    numeric
}

/// A string as yaml.v3 writes it: plain when unambiguous, single-quoted when only the plain
/// style is impossible, double-quoted when it would read as another type or has control chars.
fn quote_str(s: &str, key: bool) -> String {
    let _ = key;
    if looks_typed(s) {
        return double_quoted(s);
    }
    if s.chars().any(|c| c.is_control() || c == '\u{FEFF}') {
        return double_quoted(s);
    }
    let first = s.chars().next().unwrap_or(' ');
    let plain_ok = !"-?:,[]{}#&*!|>'\"%@` ".contains(first)
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !(first == '-' || first == '?' || first == ':');
    let plain_ok = plain_ok
        || (matches!(first, '-' | '?' | ':')
            && s.len() > 1
            && !s[1..].starts_with(' ')
            && !s.contains(": ")
            && !s.contains(" #")
            && !s.ends_with(':')
            && !s.ends_with(' ')
            && first != ':');
    if plain_ok {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{FEFF}' => {
                let u = c as u32;
                if u <= 0xff {
                    out.push_str(&format!("\\x{u:02X}"));
                } else {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn st(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn marshals_block_style() {
        let mut inner = IndexMap::new();
        inner.insert("c".to_string(), Value::int(1));
        inner.insert("d".to_string(), Value::List(vec![]));
        let mut m = IndexMap::new();
        m.insert(
            "a".to_string(),
            Value::List(vec![
                Value::int(1),
                Value::Struct(inner.clone()),
                Value::List(vec![st("x")]),
            ]),
        );
        m.insert("b".to_string(), Value::Struct(inner));
        m.insert(
            "s".to_string(),
            Value::List(vec![
                st("true"),
                st("1.5"),
                st("- x"),
                st("a: b"),
                st("it's"),
                st(""),
                st("plain text"),
            ]),
        );
        m.insert("m".to_string(), st("line1\nline2\n"));
        let out = marshal(&[Value::Struct(m)]).unwrap();
        let want = "a:
  - 1
  - c: 1
    d: []
  - - x
b:
  c: 1
  d: []
s:
  - \"true\"
  - \"1.5\"
  - '- x'
  - 'a: b'
  - it's
  - \"\"
  - plain text
m: |
  line1
  line2
";
        assert_eq!(out, st(want));
        assert_eq!(marshal(&[Value::int(3)]), Ok(st("3\n")));
        assert_eq!(
            marshal_stream(&[Value::List(vec![Value::int(1), Value::int(2)])]),
            Ok(st("1\n---\n2\n"))
        );
    }
}
