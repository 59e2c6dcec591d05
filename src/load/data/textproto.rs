//! Protocol buffers' text format (`.textproto` files, the `textproto:` qualifier): a small
//! parser of its own (fields `name: value`, messages `name { … }` or `name < … >`, lists
//! `name: [a, b]`, strings with C escapes and adjacent strings joined, `#` comments), and the
//! decoding into a data document against a schema, as cue does it: a field the schema does not
//! declare is dropped, a field whose schema is a list collects every occurrence into one list,
//! scalars take the schema's kind (a string or bytes, a number, a bool). The text format's
//! grammar is small and fixed; no maintained Rust crate reads it without the `.proto`
//! descriptors, which cue does not need either.
//!
//! Invariant: every span indexes the textproto file's own text; malformed text is an
//! `orche::load::textproto` error at its line and column, never a panic.

use super::pb::{number, Schema};
use crate::diag::Diag;
use crate::lower::kind;
use crate::source::{FileId, Span};
use crate::syntax::ast::{Decl, Expr, ExprKind, ListElem};

/// A message: its fields in the order written (a repeated field once per occurrence).
#[derive(Clone, Debug, Default)]
pub struct Message {
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub name_span: Span,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub enum Value {
    /// A quoted string (adjacent ones joined), unescaped.
    Str(Vec<u8>, Span),
    /// A number or identifier as written, a leading `-` included.
    Word(String, Span),
    Message(Message),
    /// `[a, b]`.
    List(Vec<Value>, Span),
}

impl Value {
    fn span(&self) -> Span {
        match self {
            Value::Str(_, s) | Value::Word(_, s) | Value::List(_, s) => *s,
            Value::Message(m) => m.span,
        }
    }
}

/// How deep messages and lists may nest.
const MAX_DEPTH: usize = crate::syntax::MAX_NESTING;

struct Parser<'a> {
    file: FileId,
    b: &'a [u8],
    text: &'a str,
    pos: usize,
}

/// Parses a textproto file.
pub fn parse(file: FileId, text: &str) -> Result<Message, Diag> {
    let mut p = Parser {
        file,
        b: text.as_bytes(),
        text,
        pos: 0,
    };
    let fields = p.fields(None, 0)?;
    Ok(Message {
        fields,
        span: Span::new(file, 0, text.len()),
    })
}

impl Parser<'_> {
    fn err(&self, at: usize, msg: impl Into<String>) -> Diag {
        let msg = msg.into();
        Diag::new(
            "orche::load::textproto",
            format!("invalid textproto: {msg}"),
        )
        .with_label(Span::new(self.file, at, at), msg)
    }

    fn skip_space(&mut self) {
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' => {
                    while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.b.get(self.pos).copied()
    }

    /// Fields until `close` (or the end of the text for the top level).
    fn fields(&mut self, close: Option<u8>, depth: usize) -> Result<Vec<Field>, Diag> {
        if depth > MAX_DEPTH {
            return Err(self.err(self.pos, "nested too deeply"));
        }
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None if close.is_none() => return Ok(out),
                None => {
                    return Err(self.err(
                        self.pos,
                        format!(
                            "expected '{}' before the end",
                            close.unwrap_or(b'}') as char
                        ),
                    ))
                }
                Some(c) if Some(c) == close => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(_) => {}
            }
            let start = self.pos;
            let name = self.word();
            if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return Err(self.err(start, "expected a field name"));
            }
            let name_span = Span::new(self.file, start, self.pos);
            let value = match self.peek() {
                Some(b':') => {
                    self.pos += 1;
                    self.value(depth)?
                }
                Some(b'{' | b'<') => self.value(depth)?,
                _ => return Err(self.err(self.pos, format!("expected ':' after {name}"))),
            };
            out.push(Field {
                name,
                name_span,
                value,
            });
            if let Some(b',' | b';') = self.peek() {
                self.pos += 1;
            }
        }
    }

    /// An identifier or number as written (letters, digits, `_`, `.`, `+`, `-` after an
    /// exponent), with a leading `-`.
    fn word(&mut self) -> String {
        let start = self.pos;
        if self.b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
            self.skip_space();
        }
        let body = self.pos;
        while let Some(&c) = self.b.get(self.pos) {
            let exp_sign = (c == b'+' || c == b'-')
                && self.pos > body
                && matches!(self.b[self.pos - 1], b'e' | b'E')
                && self.b[body].is_ascii_digit()
                && !self.text[body..self.pos].starts_with("0x");
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exp_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        let neg = body > start;
        let w = &self.text[body..self.pos];
        if neg {
            format!("-{w}")
        } else {
            w.to_string()
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Diag> {
        if depth > MAX_DEPTH {
            return Err(self.err(self.pos, "nested too deeply"));
        }
        let start = self.pos;
        match self.peek() {
            Some(c @ (b'{' | b'<')) => {
                let open = self.pos;
                self.pos += 1;
                let close = if c == b'{' { b'}' } else { b'>' };
                let fields = self.fields(Some(close), depth + 1)?;
                Ok(Value::Message(Message {
                    fields,
                    span: Span::new(self.file, open, self.pos),
                }))
            }
            Some(b'[') => {
                let open = self.pos;
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {}
                        _ => return Err(self.err(self.pos, "expected ',' or ']' in a list")),
                    }
                }
                Ok(Value::List(items, Span::new(self.file, open, self.pos)))
            }
            Some(b'"' | b'\'') => {
                let open = self.pos;
                let mut bytes = Vec::new();
                while let Some(q @ (b'"' | b'\'')) = self.peek() {
                    self.pos += 1;
                    self.string(q, &mut bytes)?;
                }
                Ok(Value::Str(bytes, Span::new(self.file, open, self.pos)))
            }
            Some(_) => {
                let at = self.pos;
                let w = self.word();
                if w.is_empty() || w == "-" {
                    return Err(self.err(at, "expected a value"));
                }
                Ok(Value::Word(w, Span::new(self.file, at, self.pos)))
            }
            None => Err(self.err(start, "expected a value before the end")),
        }
    }

    /// The rest of a string opened by `q`, unescaped into `out`.
    fn string(&mut self, q: u8, out: &mut Vec<u8>) -> Result<(), Diag> {
        let open = self.pos - 1;
        loop {
            let Some(&c) = self.b.get(self.pos) else {
                return Err(self.err(open, "unterminated string"));
            };
            self.pos += 1;
            match c {
                b'\n' => return Err(self.err(open, "unterminated string")),
                _ if c == q => return Ok(()),
                b'\\' => self.escape(out)?,
                _ => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), Diag> {
        let at = self.pos - 1;
        let Some(&c) = self.b.get(self.pos) else {
            return Err(self.err(at, "unterminated string"));
        };
        self.pos += 1;
        let simple = match c {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'v' => Some(11),
            b'\\' | b'\'' | b'"' | b'?' => Some(c),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            return Ok(());
        }
        let digits = |p: &mut Self, radix: u32, max: usize| -> u32 {
            let mut v = 0u32;
            let mut n = 0;
            while n < max {
                match p.b.get(p.pos).and_then(|&d| (d as char).to_digit(radix)) {
                    Some(d) => {
                        v = v * radix + d;
                        p.pos += 1;
                        n += 1;
                    }
                    None => break,
                }
            }
            if n == 0 {
                u32::MAX
            } else {
                v
            }
        };
        match c {
            b'0'..=b'7' => {
                self.pos -= 1;
                let v = digits(self, 8, 3);
                if v > 255 {
                    return Err(self.err(at, "octal escape above \\377"));
                }
                out.push(v as u8);
            }
            b'x' | b'X' => {
                let v = digits(self, 16, 2);
                if v == u32::MAX {
                    return Err(self.err(at, "\\x with no hex digits"));
                }
                out.push(v as u8);
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let start = self.pos;
                let v = digits(self, 16, n);
                match char::from_u32(v).filter(|_| self.pos - start == n) {
                    Some(ch) => out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                    None => return Err(self.err(at, "invalid unicode escape")),
                }
            }
            _ => return Err(self.err(at, format!("unknown escape \\{}", c as char))),
        }
        Ok(())
    }
}

/// The data document of a parsed message against the schema at `at`.
pub fn decode<S: Schema>(s: &mut S, at: S::Node, m: &Message, diags: &mut Vec<Diag>) -> Expr {
    Expr {
        kind: ExprKind::Struct(decode_fields(s, at, &m.fields, diags)),
        span: m.span,
    }
}

fn decode_fields<S: Schema>(
    s: &mut S,
    at: S::Node,
    fields: &[Field],
    diags: &mut Vec<Diag>,
) -> Vec<Decl> {
    let mut out: Vec<Decl> = Vec::new();
    // A list field's position among `out`, by name: its later occurrences join that list.
    let mut lists: Vec<(String, usize)> = Vec::new();
    for f in fields {
        let Some(node) = s.declared(at, &f.name) else {
            continue;
        };
        let k = s.kind(node);
        if k == kind::LIST {
            let at_list = match lists.iter().find(|(n, _)| *n == f.name) {
                Some((_, i)) => *i,
                None => {
                    let list = Expr {
                        kind: ExprKind::List(Vec::new()),
                        span: f.value.span(),
                    };
                    out.push(super::field(f.name.clone(), f.name_span, list));
                    lists.push((f.name.clone(), out.len() - 1));
                    out.len() - 1
                }
            };
            let values: Vec<&Value> = match &f.value {
                Value::List(items, _) => items.iter().collect(),
                v => vec![v],
            };
            for v in values {
                let Decl::Field(lf) = &mut out[at_list] else {
                    unreachable!("a list field")
                };
                let ExprKind::List(items) = &mut lf.value.kind else {
                    unreachable!("a list")
                };
                let i = items.len();
                let e = match s.elem(node, i) {
                    Some(el) => {
                        let ek = s.kind(el);
                        value(s, Some(el), ek, &f.name, v, diags)
                    }
                    None => value(s, None, kind::TOP, &f.name, v, diags),
                };
                let end = e.span;
                items.push(ListElem::Expr(e));
                lf.value.span = lf.value.span.to(end);
                lf.span = lf.span.to(end);
            }
            continue;
        }
        if let Value::List(_, span) = &f.value {
            diags.push(
                Diag::new(
                    "orche::load::textproto",
                    "a list where the schema has no list",
                )
                .with_path(f.name.clone())
                .with_label(*span, "a list"),
            );
            continue;
        }
        let e = value(s, Some(node), k, &f.name, &f.value, diags);
        out.push(super::field(f.name.clone(), f.name_span, e));
    }
    out
}

/// One value, by the schema's kind `k` (of `node` when there is one).
fn value<S: Schema>(
    s: &mut S,
    node: Option<S::Node>,
    k: u16,
    name: &str,
    v: &Value,
    diags: &mut Vec<Diag>,
) -> Expr {
    let bad = |diags: &mut Vec<Diag>, span: Span, what: String| {
        diags.push(
            Diag::new("orche::load::textproto", what.clone())
                .with_path(name.to_string())
                .with_label(span, what),
        );
        Expr {
            kind: ExprKind::Bottom,
            span,
        }
    };
    match v {
        Value::Message(m) => match node {
            Some(n) if k & kind::STRUCT != 0 => Expr {
                kind: ExprKind::Struct(decode_fields(s, n, &m.fields, diags)),
                span: m.span,
            },
            None if k & kind::STRUCT != 0 => Expr {
                kind: ExprKind::Struct(Vec::new()),
                span: m.span,
            },
            _ => bad(
                diags,
                m.span,
                "a message where the schema has a scalar".to_string(),
            ),
        },
        Value::List(_, span) => bad(diags, *span, "a list inside a list".to_string()),
        Value::Str(bytes, span) => {
            let kind = if k == kind::BYTES {
                ExprKind::Bytes(bytes.clone())
            } else {
                match String::from_utf8(bytes.clone()) {
                    Ok(t) => ExprKind::String(t),
                    Err(_) => return bad(diags, *span, "a string that is not UTF-8".into()),
                }
            };
            Expr { kind, span: *span }
        }
        Value::Word(w, span) => {
            let kind = match w.as_str() {
                "true" | "false" if k & kind::NUMBER == 0 => ExprKind::Bool(w == "true"),
                "inf" | "-inf" | "nan" if k & kind::NUMBER != 0 => ExprKind::Bottom,
                _ => match number(w) {
                    Some(n) if k & kind::NUMBER != 0 || k & kind::TOP == kind::TOP => n,
                    _ => {
                        return bad(
                            diags,
                            *span,
                            format!("invalid value {w} for the schema's kind"),
                        )
                    }
                },
            };
            let mut e = Expr { kind, span: *span };
            super::pb::own_span(&mut e);
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Message {
        parse(FileId::default(), text).unwrap()
    }

    #[test]
    fn fields_messages_lists_strings() {
        let m = parsed("a: 4 # four\nb: [1, -2]\nc { d: \"x\" 'y\\n' }\ne < f: 1.5e-3 >;");
        let names: Vec<&str> = m.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "e"]);
        assert!(matches!(&m.fields[1].value, Value::List(items, _) if items.len() == 2));
        let Value::Message(c) = &m.fields[2].value else {
            panic!("a message")
        };
        assert!(matches!(&c.fields[0].value, Value::Str(b, _) if b == b"xy\n"));
        let Value::Message(e) = &m.fields[3].value else {
            panic!("a message")
        };
        assert!(matches!(&e.fields[0].value, Value::Word(w, _) if w == "1.5e-3"));
    }

    #[test]
    fn malformed_text_is_an_error() {
        for bad in [
            "a: ",
            "a 1",
            "a: \"x",
            "a { b: 1",
            "a: [1 2]",
            ": 1",
            "a: \"\\q\"",
        ] {
            let e = parse(FileId::default(), bad).unwrap_err();
            assert_eq!(e.code, "orche::load::textproto", "{bad}");
        }
    }
}
