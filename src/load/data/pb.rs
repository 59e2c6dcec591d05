//! Data read with protobuf's mappings against a schema, as cue reads it: the `json+pb:` and
//! `yaml+pb:` qualifiers (protobuf's JSON mapping: an integer or float given as a string, a
//! `bytes` field as base64, `null` as the field's default or zero value) and `.textproto`
//! files (`load/data/textproto.rs`: a field is a list where the schema says list). The schema
//! is an evaluated value, seen through [`Schema`] (implemented in `compile/schema.rs`, since
//! loading comes before evaluation). Invariant: only what the schema's kind at a data path
//! decides is rewritten; a field the schema does not declare is left as it is.

use crate::diag::Diag;
use crate::lower::kind;
use crate::syntax::ast::{Decl, Expr, ExprKind, LabelKind, ListElem, UnaryOp};

/// What the protobuf decoders ask of an evaluated schema.
pub trait Schema {
    type Node: Copy;
    /// The regular (or required) field `name` of the struct at `at`, as cue's `LookupPath`
    /// finds it.
    fn field(&mut self, at: Self::Node, name: &str) -> Option<Self::Node>;
    /// The field `name` the struct at `at` declares, optional fields included.
    fn declared(&mut self, at: Self::Node, name: &str) -> Option<Self::Node>;
    /// The kinds (`lower::kind` bits) the value at `at` allows, defaults not taken (cue's
    /// `IncompleteKind`); 0 for an error.
    fn kind(&mut self, at: Self::Node) -> u16;
    /// The schema of element `i` of the list at `at`: a fixed element or the open list's type.
    fn elem(&mut self, at: Self::Node, i: usize) -> Option<Self::Node>;
    /// The default of `at` when it is a concrete scalar, as a literal.
    fn default_scalar(&mut self, at: Self::Node) -> Option<ExprKind>;
}

/// Rewrites the data document `e` in place by protobuf's JSON mapping against the schema at
/// `at` (cue's `encoding/protobuf/jsonpb` decoder). `path` is the data path of `e`, for
/// errors (a `bytes` field that is not base64).
pub fn rewrite_json<S: Schema>(
    s: &mut S,
    at: S::Node,
    e: &mut Expr,
    path: &mut Vec<String>,
    diags: &mut Vec<Diag>,
) {
    match &mut e.kind {
        ExprKind::Null => {
            let k = s.kind(at);
            if k & kind::NULL != 0 {
                return;
            }
            if let Some(d) = s.default_scalar(at) {
                e.kind = d;
                own_span(e);
                return;
            }
            e.kind = match k {
                kind::STRING => ExprKind::String(String::new()),
                kind::BYTES => ExprKind::Bytes(Vec::new()),
                kind::BOOL => ExprKind::Bool(false),
                kind::INT | kind::FLOAT | kind::NUMBER => ExprKind::Int("0".into()),
                kind::STRUCT => ExprKind::Struct(Vec::new()),
                kind::LIST => ExprKind::List(Vec::new()),
                _ => return,
            };
            return;
        }
        ExprKind::Struct(decls) => {
            for d in decls {
                let Decl::Field(f) = d else { continue };
                let LabelKind::String(name) = &f.label.kind else {
                    continue;
                };
                if let Some(c) = s.field(at, name) {
                    path.push(name.clone());
                    rewrite_json(s, c, &mut f.value, path, diags);
                    path.pop();
                }
            }
            return;
        }
        ExprKind::List(items) => {
            for (i, it) in items.iter_mut().enumerate() {
                let ListElem::Expr(x) = it else { continue };
                let Some(c) = s.elem(at, i) else { break };
                path.push(i.to_string());
                rewrite_json(s, c, x, path, diags);
                path.pop();
            }
            return;
        }
        _ => {}
    }
    let ExprKind::String(text) = &e.kind else {
        return;
    };
    match s.kind(at) {
        kind::INT | kind::FLOAT | kind::NUMBER => {
            if let Some(n) = number(text) {
                e.kind = n;
                own_span(e);
            }
        }
        kind::BYTES => match base64_any(text) {
            Ok(b) => e.kind = ExprKind::Bytes(b),
            Err(why) => diags.push(
                Diag::new(
                    "orche::load::protobuf",
                    format!("failed to decode base64: {why}"),
                )
                .with_path(path.join("."))
                .with_label(e.span, "not base64")
                .with_help(
                    "with `json+pb:`/`yaml+pb:` a `bytes` field is given as base64 (standard or \
                     URL alphabet, padded or not)",
                ),
            ),
        },
        _ => {}
    }
}

/// Gives the literal under a negation (`-7`) the span of the whole expression, so that every
/// span points into the data file.
pub fn own_span(e: &mut Expr) {
    if let ExprKind::Unary(_, x) = &mut e.kind {
        x.span = e.span;
    }
}

/// A number literal from the text of a string, as cue's `literal.ParseNum` takes it (a sign,
/// `_`, `0x`/`0o`/`0b`, multipliers); `None` when it is not one.
pub fn number(text: &str) -> Option<ExprKind> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let n = crate::value::number::parse_literal(digits)?;
    let lit = if n.is_int() {
        ExprKind::Int(digits.to_string())
    } else {
        ExprKind::Float(digits.to_string())
    };
    Some(if neg {
        let span = crate::source::Span::default();
        ExprKind::Unary(UnaryOp::Neg, Box::new(Expr { kind: lit, span }))
    } else {
        lit
    })
}

/// Base64 in any of the four encodings Go's protobuf JSON mapping accepts (standard, URL-safe,
/// each with or without padding); the error is the last one's, worded as Go words it.
fn base64_any(text: &str) -> Result<Vec<u8>, String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut last = String::new();
    for engine in [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
        match engine.decode(text) {
            Ok(b) => return Ok(b),
            Err(base64::DecodeError::InvalidByte(at, _)) => {
                last = format!("illegal base64 data at input byte {at}")
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_cue_parses_them() {
        assert!(matches!(number("10"), Some(ExprKind::Int(t)) if t == "10"));
        assert!(matches!(number("0x10"), Some(ExprKind::Int(t)) if t == "0x10"));
        assert!(matches!(number("1.2"), Some(ExprKind::Float(t)) if t == "1.2"));
        assert!(matches!(
            number("-3"),
            Some(ExprKind::Unary(UnaryOp::Neg, _))
        ));
        assert!(number(" 7").is_none());
        assert!(number("x").is_none());
        assert!(number("").is_none());
        assert!(number("NaN").is_none());
    }

    #[test]
    fn base64_in_every_alphabet() {
        assert_eq!(base64_any("aGk=").unwrap(), b"hi");
        assert_eq!(base64_any("aGk").unwrap(), b"hi");
        assert_eq!(base64_any("-_8").unwrap(), vec![0xfb, 0xff]);
        assert!(base64_any("a???")
            .unwrap_err()
            .starts_with("illegal base64 data"));
    }
}
