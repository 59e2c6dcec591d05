//! Decoding of string and bytes literals (`string_lit` in grammar/orche.pest): escapes, raw
//! `#"…"#` forms, multi-line indentation stripping and interpolations. Invariant: the result is
//! exactly the value CUE gives the literal; anything CUE rejects (an unknown escape, a line of a
//! multi-line string not indented like its closing quotes) is reported as a `Diag` at the
//! offending bytes, and decoding carries on so that every such problem is reported.

use super::ast;
use super::convert::{expr, Ctx, Pair, Rule};
use super::error;
use crate::source::Span;

/// A decoded literal.
pub(super) enum Lit {
    String(String),
    Bytes(Vec<u8>),
    Interpolation(ast::Interpolation),
}

/// Accumulates literal text and interpolated expressions in source order. Shared by the pest
/// path (here) and the fast path (`descent/strings.rs`), so both decode alike.
pub(super) struct Builder {
    pub(super) bytes: bool,
    pub(super) current: Vec<u8>,
    parts: Vec<ast::InterpPart>,
    has_interp: bool,
}

impl Builder {
    pub(super) fn new(bytes: bool) -> Builder {
        Builder {
            bytes,
            current: Vec::new(),
            parts: Vec::new(),
            has_interp: false,
        }
    }

    pub(super) fn push_str(&mut self, s: &str) {
        self.current.extend_from_slice(s.as_bytes());
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            let text = String::from_utf8_lossy(&self.current).into_owned();
            self.parts.push(ast::InterpPart::Lit(text));
            self.current.clear();
        }
    }

    pub(super) fn interp(&mut self, e: ast::Expr) {
        self.flush();
        self.has_interp = true;
        self.parts.push(ast::InterpPart::Expr(e));
    }

    /// Appends what another builder (one escape or interpolation) collected.
    pub(super) fn append(&mut self, other: Builder) {
        if other.has_interp {
            for part in other.parts {
                match part {
                    ast::InterpPart::Expr(e) => self.interp(e),
                    ast::InterpPart::Lit(s) => self.push_str(&s),
                }
            }
        }
        self.current.extend_from_slice(&other.current);
    }

    pub(super) fn finish(mut self) -> Lit {
        if self.has_interp {
            self.flush();
            return Lit::Interpolation(ast::Interpolation {
                parts: self.parts,
                bytes: self.bytes,
            });
        }
        if self.bytes {
            Lit::Bytes(self.current)
        } else {
            // Only `\x` and octal escapes can produce invalid UTF-8, and they are rejected in
            // strings, so this conversion is lossless.
            Lit::String(String::from_utf8_lossy(&self.current).into_owned())
        }
    }
}

/// `#*` followed by one of the four literal forms.
pub(super) fn string_lit(ctx: &mut Ctx, pair: Pair<'_>) -> Lit {
    let hashes = pair.as_str().bytes().take_while(|&b| b == b'#').count();
    let Some(inner) = pair.into_inner().next() else {
        return Lit::String(String::new());
    };
    let bytes = matches!(inner.as_rule(), Rule::sl_bytes | Rule::ml_bytes);
    let mut b = Builder::new(bytes);
    match inner.as_rule() {
        Rule::ml_string | Rule::ml_bytes => multi_line(ctx, inner, hashes, &mut b),
        _ => {
            for p in inner.into_inner() {
                piece(ctx, p, hashes, &mut b);
            }
        }
    }
    b.finish()
}

/// One piece of a single-line literal: raw characters, an escape or an interpolation.
fn piece(ctx: &mut Ctx, p: Pair<'_>, hashes: usize, b: &mut Builder) {
    match p.as_rule() {
        Rule::escape => escape(ctx, p, hashes, b),
        Rule::interp => interp(ctx, p, b),
        _ => b.push_str(p.as_str()),
    }
}

fn interp(ctx: &mut Ctx, p: Pair<'_>, b: &mut Builder) {
    b.flush();
    b.has_interp = true;
    if let Some(e) = p.into_inner().find(|e| e.as_rule() == Rule::expr) {
        b.parts.push(ast::InterpPart::Expr(expr(ctx, e)));
    }
}

/// `"""` literals: the first newline and the last one (with the closing line's indentation) are
/// not part of the value, and every line loses the closing line's indentation.
fn multi_line(ctx: &mut Ctx, pair: Pair<'_>, hashes: usize, b: &mut Builder) {
    let pieces: Vec<Pair<'_>> = pair.into_inner().collect();
    let prefix = pieces
        .iter()
        .find(|p| matches!(p.as_rule(), Rule::ml_str_close | Rule::ml_bytes_close))
        .map(|p| {
            let close = p.as_str().trim_start_matches(['\r', '\n']);
            close[..close.len() - close.trim_start_matches([' ', '\t']).len()].to_string()
        })
        .unwrap_or_default();
    let mut at_line_start = false;
    let mut first = true;
    for p in pieces {
        match p.as_rule() {
            Rule::ml_str_chars | Rule::ml_bytes_chars => {
                let start = p.as_span().start();
                let mut rest = p.as_str();
                if first {
                    // The opening newline is always the first character of the body.
                    rest = rest
                        .strip_prefix("\r\n")
                        .or_else(|| rest.strip_prefix('\n'))
                        .unwrap_or(rest);
                    at_line_start = true;
                }
                loop {
                    if at_line_start {
                        at_line_start = false;
                        let offset = start + (p.as_str().len() - rest.len());
                        rest = strip_indent(ctx, rest, &prefix, offset);
                    }
                    match rest.find('\n') {
                        Some(i) => {
                            b.push_str(&rest[..=i]);
                            rest = &rest[i + 1..];
                            at_line_start = true;
                        }
                        None => {
                            b.push_str(rest);
                            break;
                        }
                    }
                }
            }
            Rule::escape | Rule::interp => {
                if at_line_start && !prefix.is_empty() {
                    let span = ctx.span(&p);
                    bad_indent(ctx, span, &prefix);
                }
                at_line_start = false;
                piece(ctx, p, hashes, b);
            }
            _ => {}
        }
        first = false;
    }
}

/// Removes the closing line's indentation from the start of a line; a line holding only
/// whitespace may be shorter than it.
fn strip_indent<'t>(ctx: &mut Ctx, line: &'t str, prefix: &str, offset: usize) -> &'t str {
    if let Some(rest) = line.strip_prefix(prefix) {
        return rest;
    }
    let head_len = line.find('\n').unwrap_or(line.len());
    let head = line[..head_len].trim_end_matches('\r');
    if head.chars().all(|c| c == ' ' || c == '\t') && prefix.starts_with(head) {
        return &line[head.len()..];
    }
    let span = Span::new(ctx.file, offset, offset + head_len.min(prefix.len().max(1)));
    bad_indent(ctx, span, prefix);
    line
}

fn bad_indent(ctx: &mut Ctx, span: Span, prefix: &str) {
    let diag = crate::diag::Diag::new(
        error::INVALID_INDENT,
        "each line of a multi-line string must start with the indentation of its closing quotes",
    )
    .with_label(span, format!("expected {} here", describe_indent(prefix)));
    ctx.errors.push(diag);
}

fn describe_indent(prefix: &str) -> String {
    let spaces = prefix.chars().filter(|&c| c == ' ').count();
    let tabs = prefix.len() - spaces;
    match (spaces, tabs) {
        (s, 0) => format!("{s} space{}", if s == 1 { "" } else { "s" }),
        (0, t) => format!("{t} tab{}", if t == 1 { "" } else { "s" }),
        _ => format!("the whitespace `{}`", prefix.escape_debug()),
    }
}

/// `\n`, `\u00e9`, `\#t` in a raw literal, …
fn escape(ctx: &mut Ctx, p: Pair<'_>, hashes: usize, b: &mut Builder) {
    let span = ctx.span(&p);
    let body = &p.as_str()[1 + hashes..];
    let mut chars = body.chars();
    let c = chars.next().unwrap_or('\\');
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '/' => Some('/'),
        '"' => Some('"'),
        '\'' => Some('\''),
        _ => None,
    };
    if let Some(ch) = simple {
        let mut buf = [0u8; 4];
        b.current
            .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        return;
    }
    let digits = chars.as_str();
    let invalid = |ctx: &mut Ctx, why: &str| {
        let diag = crate::diag::Diag::new(
            error::INVALID_ESCAPE,
            format!("invalid escape sequence `{}`", p.as_str()),
        )
        .with_label(span, why.to_string())
        .with_help(
            "valid escapes are \\n \\t \\r \\a \\b \\f \\v \\\\ \\\" \\' \\/ \\uXXXX \\UXXXXXXXX, \
                 and \\xHH or \\NNN (octal) in bytes literals",
        );
        ctx.errors.push(diag);
    };
    match c {
        'u' | 'U' => {
            let want = if c == 'u' { 4 } else { 8 };
            let code = (digits.len() == want)
                .then(|| u32::from_str_radix(digits, 16).ok())
                .flatten();
            match code.and_then(char::from_u32) {
                Some(ch) => {
                    let mut buf = [0u8; 4];
                    b.current
                        .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                None if code.is_some() => invalid(ctx, "not a Unicode scalar value"),
                None => invalid(ctx, &format!("expected {want} hexadecimal digits")),
            }
        }
        'x' if digits.len() == 2 => {
            if !b.bytes {
                invalid(
                    ctx,
                    "`\\x` escapes are only allowed in bytes literals ('…')",
                );
            } else if let Ok(v) = u8::from_str_radix(digits, 16) {
                b.current.push(v);
            }
        }
        'x' => invalid(ctx, "expected 2 hexadecimal digits"),
        '0'..='7' if body.len() == 3 => {
            let value = u32::from_str_radix(body, 8).unwrap_or(u32::MAX);
            if !b.bytes {
                invalid(
                    ctx,
                    "octal escapes are only allowed in bytes literals ('…')",
                );
            } else if let Ok(v) = u8::try_from(value) {
                b.current.push(v);
            } else {
                invalid(ctx, "octal escape above \\377");
            }
        }
        _ => invalid(ctx, "unknown escape"),
    }
}
