//! String and bytes literals for the fast path (`descent`): the `string_lit` rule and the
//! decoding of syntax/strings.rs (escapes, raw `#"…"#` forms, multi-line indentation,
//! interpolations). Invariant: the decoded value is the one strings.rs gives; any literal
//! strings.rs would report (an unknown escape, a badly indented line) is given up on.

use super::{is_newline, GiveUp, Operand, Parser, R};
use crate::source::Span;
use crate::syntax::ast;
use crate::syntax::strings::{Builder, Lit};

impl<'t> Parser<'t> {
    pub(super) fn string_expr(&mut self) -> R<Operand> {
        let (lit, span) = self.string_lit()?;
        Ok(Operand::Expr(Self::lit_expr(lit, span)))
    }

    /// The expression of a string, bytes or interpolated literal.
    pub(super) fn lit_expr(lit: Lit, span: Span) -> ast::Expr {
        let kind = match lit {
            Lit::String(s) => ast::ExprKind::String(s),
            Lit::Bytes(b) => ast::ExprKind::Bytes(b),
            Lit::Interpolation(i) => ast::ExprKind::Interpolation(i),
        };
        ast::Expr { kind, span }
    }

    pub(super) fn string_lit(&mut self) -> R<(Lit, Span)> {
        let start = self.pos;
        let mut hashes = 0;
        while self.at(start + hashes) == b'#' {
            hashes += 1;
        }
        let q = start + hashes;
        let quote = self.at(q);
        if quote != b'"' && quote != b'\'' {
            return Err(GiveUp);
        }
        let bytes = quote == b'\'';
        let triple = self.at(q + 1) == quote && self.at(q + 2) == quote;
        let lit = if triple && is_newline(self.at(q + 3)) {
            self.pos = q + 3;
            self.multi_line(quote, hashes, bytes)?
        } else {
            self.pos = q + 1;
            self.single_line(quote, hashes, bytes)?
        };
        Ok((lit, self.span(start, self.pos)))
    }

    /// Whether `n` `#`s follow position `i`.
    fn hashes_at(&self, i: usize, n: usize) -> bool {
        n == 0 || (0..n).all(|k| self.at(i + k) == b'#')
    }

    fn single_line(&mut self, quote: u8, hashes: usize, bytes: bool) -> R<Lit> {
        let run = self.pos;
        self.plain(quote)?;
        if self.b[self.pos] == quote && self.hashes_at(self.pos + 1, hashes) {
            // The common case: no escape, no interpolation, and nothing to build.
            let body = &self.text[run..self.pos];
            self.pos += 1 + hashes;
            return Ok(if bytes {
                Lit::Bytes(body.as_bytes().to_vec())
            } else {
                Lit::String(body.to_string())
            });
        }
        self.single_line_built(run, quote, hashes, bytes)
    }

    /// Plain characters in one sweep, up to a quote, a backslash or a newline; the end of the
    /// text before the closing quote is not a single-line string.
    fn plain(&mut self, quote: u8) -> R<()> {
        let stops = if quote == b'"' {
            &STOPS_DOUBLE
        } else {
            &STOPS_SINGLE
        };
        match self.b[self.pos..]
            .iter()
            .position(|&c| stops[usize::from(c)])
        {
            Some(n) => {
                self.pos += n;
                Ok(())
            }
            None => Err(GiveUp),
        }
    }

    /// The rest of a single-line literal from the first character `plain` stopped at that
    /// does not close it: escapes, interpolations, or a quote with too few `#`s.
    fn single_line_built(
        &mut self,
        mut run: usize,
        quote: u8,
        hashes: usize,
        bytes: bool,
    ) -> R<Lit> {
        let mut out = Builder::new(bytes);
        loop {
            let c = self.b[self.pos];
            if c == quote && self.hashes_at(self.pos + 1, hashes) {
                out.push_str(&self.text[run..self.pos]);
                self.pos += 1 + hashes;
                return Ok(out.finish());
            } else if c == b'\\' && self.hashes_at(self.pos + 1, hashes) {
                out.push_str(&self.text[run..self.pos]);
                self.backslash(hashes, &mut out)?;
                run = self.pos;
            } else if is_newline(c) {
                return Err(GiveUp);
            } else {
                self.pos += 1;
            }
            self.plain(quote)?;
        }
    }

    /// An escape or an interpolation at a backslash (followed by the literal's `#`s).
    fn backslash(&mut self, hashes: usize, out: &mut Builder) -> R<()> {
        let after = self.pos + 1 + hashes;
        if self.at(after) == b'(' {
            self.pos = after + 1;
            self.skip_nl();
            let e = self.nested(|p| p.expr()?.0.into_expr())?;
            self.skip_nl();
            self.expect(b')')?;
            out.interp(e);
            return Ok(());
        }
        let c = self.at(after);
        let simple = match c {
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'a' => Some('\u{7}'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'v' => Some('\u{b}'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'"' => Some('"'),
            b'\'' => Some('\''),
            _ => None,
        };
        if let Some(ch) = simple {
            let mut buf = [0u8; 4];
            out.current
                .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            self.pos = after + 1;
            return Ok(());
        }
        let hex = |from: usize, n: usize| -> Option<u32> {
            let s = self.text.get(from..from + n)?;
            if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            u32::from_str_radix(s, 16).ok()
        };
        match c {
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let ch = hex(after + 1, n).and_then(char::from_u32).ok_or(GiveUp)?;
                let mut buf = [0u8; 4];
                out.current
                    .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                self.pos = after + 1 + n;
            }
            b'x' if out.bytes => {
                let v = hex(after + 1, 2).ok_or(GiveUp)?;
                out.current.push(v as u8);
                self.pos = after + 3;
            }
            b'0'..=b'7' if out.bytes => {
                let s = self.text.get(after..after + 3).ok_or(GiveUp)?;
                if !s.bytes().all(|c| matches!(c, b'0'..=b'7')) {
                    return Err(GiveUp);
                }
                let v = u32::from_str_radix(s, 8).map_err(|_| GiveUp)?;
                out.current.push(u8::try_from(v).map_err(|_| GiveUp)?);
                self.pos = after + 3;
            }
            _ => return Err(GiveUp),
        }
        Ok(())
    }

    /// `"""` literals: pieces as pest splits them, then `multi_line` of strings.rs.
    fn multi_line(&mut self, quote: u8, hashes: usize, bytes: bool) -> R<Lit> {
        enum Piece<'s> {
            Chars(&'s str),
            Escape(Builder),
        }
        let mut pieces: Vec<Piece<'t>> = Vec::new();
        let mut run = self.pos;
        let prefix: &'t str;
        loop {
            if self.eof() {
                return Err(GiveUp);
            }
            let c = self.b[self.pos];
            if is_newline(c) {
                // `ml_str_close`: NEWLINE, blanks, the three quotes and the `#`s.
                let mut i = self.pos
                    + if self.b[self.pos..].starts_with(b"\r\n") {
                        2
                    } else {
                        1
                    };
                let indent_start = i;
                while matches!(self.at(i), b' ' | b'\t') {
                    i += 1;
                }
                let closes = (0..3).all(|k| self.at(i + k) == quote);
                if closes && self.hashes_at(i + 3, hashes) {
                    if run < self.pos {
                        pieces.push(Piece::Chars(&self.text[run..self.pos]));
                    }
                    prefix = &self.text[indent_start..i];
                    self.pos = i + 3 + hashes;
                    break;
                }
                self.pos += 1;
            } else if c == b'\\' && self.hashes_at(self.pos + 1, hashes) {
                if run < self.pos {
                    pieces.push(Piece::Chars(&self.text[run..self.pos]));
                }
                let mut piece = Builder::new(bytes);
                self.backslash(hashes, &mut piece)?;
                pieces.push(Piece::Escape(piece));
                run = self.pos;
            } else {
                self.pos += 1;
            }
        }
        let mut out = Builder::new(bytes);
        let mut at_line_start = false;
        let mut first = true;
        for piece in pieces {
            match piece {
                Piece::Chars(text) => {
                    let mut rest = text;
                    if first {
                        rest = rest
                            .strip_prefix("\r\n")
                            .or_else(|| rest.strip_prefix('\n'))
                            .unwrap_or(rest);
                        at_line_start = true;
                    }
                    loop {
                        if at_line_start {
                            at_line_start = false;
                            rest = strip_indent(rest, prefix)?;
                        }
                        match rest.find('\n') {
                            Some(i) => {
                                out.push_str(&rest[..=i]);
                                rest = &rest[i + 1..];
                                at_line_start = true;
                            }
                            None => {
                                out.push_str(rest);
                                break;
                            }
                        }
                    }
                }
                Piece::Escape(piece) => {
                    if at_line_start && !prefix.is_empty() {
                        return Err(GiveUp);
                    }
                    at_line_start = false;
                    out.append(piece);
                }
            }
            first = false;
        }
        Ok(out.finish())
    }
}

/// The bytes `plain` stops at in a `"` literal: the quote, a backslash, a newline.
const STOPS_DOUBLE: [bool; 256] = stops(b'"');
/// The same in a `'` literal.
const STOPS_SINGLE: [bool; 256] = stops(b'\'');

const fn stops(quote: u8) -> [bool; 256] {
    let mut t = [false; 256];
    t[quote as usize] = true;
    t[b'\\' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
}

/// `strip_indent` of strings.rs; a line indented differently is given up on (it is an error).
fn strip_indent<'s>(line: &'s str, prefix: &str) -> R<&'s str> {
    if let Some(rest) = line.strip_prefix(prefix) {
        return Ok(rest);
    }
    let head_len = line.find('\n').unwrap_or(line.len());
    let head = line[..head_len].trim_end_matches('\r');
    if head.chars().all(|c| c == ' ' || c == '\t') && prefix.starts_with(head) {
        return Ok(&line[head.len()..]);
    }
    Err(GiveUp)
}
