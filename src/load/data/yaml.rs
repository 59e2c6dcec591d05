//! YAML streams → data documents, from `yaml-rust2`'s event parser (which keeps the position
//! of every event). Plain scalars are resolved as cue v0.14 (through yaml.v3) resolves them:
//! YAML 1.2's core schema (`on`, `yes` are strings; `~`, `Null` are null; `1e3` is a number)
//! plus Go's integer syntax (`0777` is octal, `0x1F`, `0b101`, `1_000`). Anchors and aliases
//! are expanded; merge keys (`<<`) add the fields a mapping does not set itself; any tag but
//! the core schema's is an error naming it. Invariant: an alias expands to at most
//! `MAX_EXPANDED` nodes in all, so a "billion laughs" stream is an error, not an exhausted
//! memory.

use super::{data_error, field, mk, number, Kind, MAX_DEPTH};
use crate::diag::Diag;
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, Decl, Expr, ExprKind};
use num_bigint::BigInt;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nodes that aliases may add in one file.
const MAX_EXPANDED: usize = 1_000_000;

/// A mapping or sequence being built.
enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        elems: Vec<ast::ListElem>,
    },
    Map {
        start: usize,
        anchor: usize,
        decls: Vec<Decl>,
        /// The key read, waiting for its value; `None` for a merge key (`<<`).
        key: Option<Option<(String, Span)>>,
        /// Mappings merged in with `<<`, in order, with the number of fields before the merge
        /// key.
        merged: Vec<(usize, Expr)>,
    },
}

struct Builder<'a> {
    file: FileId,
    text: &'a str,
    line_starts: Vec<usize>,
    ascii: bool,
    anchors: Vec<Option<(Expr, usize)>>,
    expanded: usize,
    stack: Vec<Frame>,
    docs: Vec<Expr>,
    doc_start: usize,
}

pub(super) fn docs(file: FileId, text: &str) -> Result<Vec<Expr>, Diag> {
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let mut b = Builder {
        file,
        text,
        line_starts,
        ascii: text.is_ascii(),
        anchors: Vec::new(),
        expanded: 0,
        stack: Vec::new(),
        docs: Vec::new(),
        doc_start: 0,
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            let at = b.offset(e.marker());
            data_error(Kind::Yaml, file, at, e.info().to_string())
        })?;
        let at = b.offset(&mark);
        match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart => b.doc_start = at,
            Event::Alias(id) => {
                let Some(Some((e, n))) = b.anchors.get(id).cloned() else {
                    return Err(b.err(at, "alias to an unknown anchor"));
                };
                b.expanded += n;
                if b.expanded > MAX_EXPANDED {
                    return Err(b.err(
                        at,
                        format!("aliases expand to more than {MAX_EXPANDED} values"),
                    ));
                }
                b.value(e, 0, at, true)?;
            }
            Event::Scalar(value, style, anchor, tag) => b.scalar(value, style, anchor, tag, at)?,
            Event::SequenceStart(anchor, tag) => {
                b.container_tag(tag.as_ref(), "seq", at)?;
                b.open(
                    Frame::Seq {
                        start: at,
                        anchor,
                        elems: Vec::new(),
                    },
                    at,
                )?;
            }
            Event::MappingStart(anchor, tag) => {
                b.container_tag(tag.as_ref(), "map", at)?;
                b.open(
                    Frame::Map {
                        start: at,
                        anchor,
                        decls: Vec::new(),
                        key: None,
                        merged: Vec::new(),
                    },
                    at,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = at;
                let frame = b.stack.pop().expect("the parser balances starts and ends");
                let (e, anchor) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        elems,
                    } => (mk(ExprKind::List(elems), b.span(start, end)), anchor),
                    Frame::Map {
                        start,
                        anchor,
                        mut decls,
                        merged,
                        ..
                    } => {
                        merge(&mut decls, merged);
                        // A block mapping's event comes after its first key: start there.
                        let start = match decls.first() {
                            Some(Decl::Field(f)) => start.min(f.span.start as usize),
                            _ => start,
                        };
                        (mk(ExprKind::Struct(decls), b.span(start, end)), anchor)
                    }
                };
                b.value(e, anchor, at, false)?;
            }
        }
    }
    Ok(b.docs)
}

/// Adds the fields of merged mappings where the merge key (`<<`) stands, as cue does: a key
/// the mapping sets before the merge key keeps its own value; one it sets after it takes the
/// merged field's place with its own value; the first merged mapping that sets a key wins.
fn merge(decls: &mut Vec<Decl>, merged: Vec<(usize, Expr)>) {
    if merged.is_empty() {
        return;
    }
    fn key(d: &Decl) -> Option<&str> {
        match d {
            Decl::Field(f) => match &f.label.kind {
                ast::LabelKind::String(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }
    let own = std::mem::take(decls);
    let mut at = 0;
    let mut out: Vec<Decl> = Vec::new();
    let mut merged_keys: Vec<(String, usize)> = Vec::new();
    let mut own_iter = own.into_iter().enumerate().peekable();
    let mut merges = merged.into_iter().peekable();
    loop {
        // Fields of merges that stand at this point.
        while let Some((pos, _)) = merges.peek() {
            if *pos != at {
                break;
            }
            let (_, m) = merges.next().expect("peeked");
            if let ExprKind::Struct(fields) = m.kind {
                for f in fields {
                    let Some(k) = key(&f).map(str::to_string) else {
                        continue;
                    };
                    if out.iter().any(|d| key(d) == Some(&k)) {
                        continue;
                    }
                    merged_keys.push((k, out.len()));
                    out.push(f);
                }
            }
        }
        let Some((_, d)) = own_iter.next() else {
            break;
        };
        at += 1;
        let replaced = key(&d).and_then(|k| merged_keys.iter().find(|(m, _)| m == k));
        match replaced {
            Some((_, i)) => out[*i] = d,
            None => out.push(d),
        }
        if own_iter.peek().is_none() && merges.peek().is_none() {
            break;
        }
    }
    *decls = out;
}

/// The number of nodes of a value (what an alias to it adds).
fn count(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::Struct(decls) => {
            1 + decls
                .iter()
                .map(|d| match d {
                    Decl::Field(f) => count(&f.value),
                    _ => 1,
                })
                .sum::<usize>()
        }
        ExprKind::List(elems) => {
            1 + elems
                .iter()
                .map(|x| match x {
                    ast::ListElem::Expr(x) => count(x),
                    _ => 1,
                })
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// A core-schema tag's name (`str` for `!!str`), or `None` for any other tag.
fn core_tag(t: &Tag) -> Option<&str> {
    match t.handle.as_str() {
        "!!" | "tag:yaml.org,2002:" => Some(t.suffix.as_str()),
        _ => None,
    }
}

fn tag_text(t: &Tag) -> String {
    if t.handle == "tag:yaml.org,2002:" {
        format!("!!{}", t.suffix)
    } else {
        format!("{}{}", t.handle, t.suffix)
    }
}

impl Builder<'_> {
    /// The byte offset of a marker.
    fn offset(&self, m: &Marker) -> usize {
        if self.ascii {
            return m.index().min(self.text.len());
        }
        let line = m.line().saturating_sub(1).min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        let rest = &self.text[start..];
        let line_text = rest.split('\n').next().unwrap_or("");
        start
            + line_text
                .char_indices()
                .nth(m.col())
                .map(|(i, _)| i)
                .unwrap_or(line_text.len())
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end.max(start))
    }

    fn err(&self, at: usize, msg: impl Into<String>) -> Diag {
        data_error(Kind::Yaml, self.file, at, msg)
    }

    fn container_tag(&self, tag: Option<&Tag>, want: &str, at: usize) -> Result<(), Diag> {
        match tag {
            None => Ok(()),
            Some(t) if core_tag(t) == Some(want) => Ok(()),
            Some(t) => Err(self.tag_error(t, at)),
        }
    }

    fn tag_error(&self, t: &Tag, at: usize) -> Diag {
        let name = tag_text(t);
        data_error(
            Kind::Yaml,
            self.file,
            at,
            format!("cannot decode tag {name:?}: only plain data is read (no custom tags)"),
        )
        .with_help("remove the tag, or convert the value to plain YAML")
    }

    fn open(&mut self, frame: Frame, at: usize) -> Result<(), Diag> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(self.err(
                at,
                "a mapping key must be a scalar, not a mapping or a sequence",
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(at, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// The end of a scalar's text starting at `at` (its bytes when they are written as they
    /// read, else an empty span).
    fn scalar_end(&self, at: usize, value: &str, style: TScalarStyle) -> usize {
        let rest = &self.text[at..];
        match style {
            TScalarStyle::Plain if rest.starts_with(value) => at + value.len(),
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                if rest[1.min(rest.len())..].starts_with(value) =>
            {
                (at + value.len() + 2).min(self.text.len())
            }
            _ => at,
        }
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<Tag>,
        at: usize,
    ) -> Result<(), Diag> {
        let end = self.scalar_end(at, &value, style);
        let span = self.span(at, end);
        // A mapping key: its text is the label.
        if let Some(Frame::Map { key: k @ None, .. }) = self.stack.last_mut() {
            if style == TScalarStyle::Plain && value == "<<" && tag.is_none() {
                *k = Some(None);
            } else {
                *k = Some(Some((value, span)));
            }
            return Ok(());
        }
        let plain = style == TScalarStyle::Plain;
        let e = match tag.as_ref() {
            None if plain => self.resolve(&value, span)?,
            None => mk(ExprKind::String(value), span),
            Some(t) => match core_tag(t) {
                Some("str") => mk(ExprKind::String(value), span),
                Some(want @ ("int" | "float" | "bool" | "null")) => {
                    let e = self.resolve(&value, span)?;
                    let got = match &e.kind {
                        ExprKind::Int(_) => "int",
                        ExprKind::Float(_) => "float",
                        ExprKind::Unary(_, x) if matches!(x.kind, ExprKind::Int(_)) => "int",
                        ExprKind::Unary(..) => "float",
                        ExprKind::Bool(_) => "bool",
                        ExprKind::Null => "null",
                        _ => "str",
                    };
                    match (want, got) {
                        (w, g) if w == g => e,
                        ("float", "int") => number(&format!("{}.0", int_text(&e)), true, span),
                        _ => {
                            return Err(self.err(at, format!("cannot decode {value:?} as !!{want}")))
                        }
                    }
                }
                _ if t.handle == "!" && t.suffix.is_empty() => mk(ExprKind::String(value), span),
                _ => return Err(self.tag_error(t, at)),
            },
        };
        self.value(e, anchor, at, false)
    }

    /// Resolves a plain scalar.
    fn resolve(&self, s: &str, span: Span) -> Result<Expr, Diag> {
        Ok(match s {
            "" | "~" | "null" | "Null" | "NULL" => mk(ExprKind::Null, span),
            "true" | "True" | "TRUE" => mk(ExprKind::Bool(true), span),
            "false" | "False" | "FALSE" => mk(ExprKind::Bool(false), span),
            ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
            | "-.inf" | "-.Inf" | "-.INF" => {
                return Err(self.err(
                    span.start as usize,
                    format!("{s}: infinity and NaN are not numbers in orche (nor in CUE)"),
                ))
            }
            _ if s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) => {
                let plain: String = s.chars().filter(|c| *c != '_').collect();
                if let Some(n) = go_int(&plain) {
                    number(&n.to_string(), false, span)
                } else if let Some(f) = yaml_float(&plain) {
                    number(&f, true, span)
                } else {
                    mk(ExprKind::String(s.to_string()), span)
                }
            }
            _ => mk(ExprKind::String(s.to_string()), span),
        })
    }

    /// A finished value: the document, a sequence element, or a mapping's key's value.
    fn value(&mut self, e: Expr, anchor: usize, at: usize, alias: bool) -> Result<(), Diag> {
        if anchor > 0 && !alias {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some((e.clone(), count(&e)));
        }
        match self.stack.last_mut() {
            None => {
                let start = self.doc_start.min(e.span.start as usize);
                let mut e = e;
                if matches!(e.kind, ExprKind::Struct(_)) {
                    e.span = Span::new(self.file, start, e.span.end as usize);
                }
                self.docs.push(e);
            }
            Some(Frame::Seq { elems, .. }) => elems.push(ast::ListElem::Expr(e)),
            Some(Frame::Map {
                decls, key, merged, ..
            }) => match key.take() {
                None => return Err(self.err(at, "a mapping key must be a scalar, not an alias")),
                Some(None) => match e.kind {
                    ExprKind::Struct(_) => merged.push((decls.len(), e)),
                    ExprKind::List(elems) => {
                        for x in elems {
                            match x {
                                ast::ListElem::Expr(x) if matches!(x.kind, ExprKind::Struct(_)) => {
                                    merged.push((decls.len(), x))
                                }
                                _ => {
                                    return Err(self.err(
                                        at,
                                        "a merge key (<<) takes a mapping or a list of mappings",
                                    ))
                                }
                            }
                        }
                    }
                    _ => {
                        return Err(
                            self.err(at, "a merge key (<<) takes a mapping or a list of mappings")
                        )
                    }
                },
                Some(Some((k, kspan))) => decls.push(field(k, kspan, e)),
            },
        }
        Ok(())
    }
}

/// The digits of an integer literal expression (with `-` for a negation).
fn int_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(s) => s.clone(),
        ExprKind::Unary(_, x) => format!("-{}", int_text(x)),
        _ => String::new(),
    }
}

/// An integer as Go's `strconv.ParseInt(s, 0, …)` reads it (what yaml.v3 tries first), at
/// any size: optional sign, then `0x`, `0o`, `0b`, a leading `0` (octal) or decimal digits.
fn go_int(s: &str) -> Option<BigInt> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = BigInt::parse_bytes(digits.as_bytes(), radix)?;
    Some(if neg { -n } else { n })
}

/// A float as yaml.v3 recognises one (`[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`),
/// as orche literal text (sign kept, leading zeros and `+` dropped, `1.` written `1.0`).
fn yaml_float(s: &str) -> Option<String> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'-' => ("-", &s[1..]),
        b'+' => ("", &s[1..]),
        _ => ("", s),
    };
    let (mant, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int, frac) = match mant.find('.') {
        Some(i) => (&mant[..i], Some(&mant[i + 1..])),
        None => (mant, None),
    };
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if !digits(int) || !frac.is_none_or(digits) {
        return None;
    }
    if int.is_empty() && frac.is_none_or(str::is_empty) {
        return None;
    }
    if let Some(e) = exp {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = format!("{sign}{int}");
    match frac {
        Some(f) if !f.is_empty() => {
            out.push('.');
            out.push_str(f);
        }
        _ if exp.is_none() => out.push_str(".0"),
        _ => {}
    }
    if let Some(e) = exp {
        out.push('e');
        out.push_str(e);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_go_reads_them() {
        assert_eq!(go_int("0777"), Some(BigInt::from(511)));
        assert_eq!(go_int("0x1F"), Some(BigInt::from(31)));
        assert_eq!(go_int("-0b101"), Some(BigInt::from(-5)));
        assert_eq!(go_int("0o17"), Some(BigInt::from(15)));
        assert_eq!(go_int("08"), None);
        assert_eq!(go_int("1e3"), None);
        assert!(go_int("123456789012345678901234567890").is_some());
    }

    #[test]
    fn floats_become_literals() {
        assert_eq!(yaml_float("1e3").as_deref(), Some("1e3"));
        assert_eq!(yaml_float(".5").as_deref(), Some("0.5"));
        assert_eq!(yaml_float("+1.").as_deref(), Some("1.0"));
        assert_eq!(yaml_float("08").as_deref(), Some("8.0"));
        assert_eq!(yaml_float("1.2.3"), None);
        assert_eq!(yaml_float("."), None);
        assert_eq!(yaml_float("1e"), None);
    }

    fn one(text: &str) -> Expr {
        docs(FileId(0), text).expect("parses").remove(0)
    }

    #[test]
    fn yaml_1_1_words_are_strings() {
        let ExprKind::Struct(decls) = one("a: on\nb: yes\nc: ~\n").kind else {
            panic!("struct expected")
        };
        let kinds: Vec<_> = decls
            .iter()
            .map(|d| match d {
                Decl::Field(f) => format!("{:?}", f.value.kind),
                _ => String::new(),
            })
            .collect();
        assert_eq!(kinds, ["String(\"on\")", "String(\"yes\")", "Null"]);
    }

    #[test]
    fn custom_tags_and_alias_bombs_are_errors() {
        let e = docs(FileId(0), "a: !foo 1\n").unwrap_err();
        assert!(e.message.contains("\"!foo\""), "{}", e.message);
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = docs(FileId(0), &bomb).unwrap_err();
        assert!(e.message.contains("aliases expand"), "{}", e.message);
    }

    #[test]
    fn spans_point_at_the_value() {
        let text = "a: 1\nbé: xyz\n";
        let ExprKind::Struct(decls) = one(text).kind else {
            panic!("struct expected")
        };
        let Decl::Field(f) = &decls[1] else {
            panic!("field expected")
        };
        assert_eq!(
            &text[f.value.span.start as usize..f.value.span.end as usize],
            "xyz"
        );
        assert_eq!(
            &text[f.label.span.start as usize..f.label.span.end as usize],
            "bé"
        );
    }
}
