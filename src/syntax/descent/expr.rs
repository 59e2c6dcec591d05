//! Expressions for the fast path (`descent`): operators folded by precedence climbing,
//! primaries, postfixes, struct and list literals. Invariant: each function ends where pest's
//! rule of the same name ends, and gives up wherever pest would fail or backtrack into another
//! alternative.

use super::{GiveUp, Operand, Parser, RawElem, RawList, R};
use crate::source::Span;
use crate::syntax::ast;
use crate::syntax::convert::{infix, number, prefix, reduce, Infix};
use crate::syntax::strings::Lit;

impl<'t> Parser<'t> {
    /// The infix operator at the current position and its length.
    fn infix_op(&self) -> Option<(&'static str, usize)> {
        let c = self.peek();
        let n = self.at(self.pos + 1);
        let op = match (c, n) {
            (b'|', b'|') => "||",
            (b'|', _) => "|",
            (b'&', b'&') => "&&",
            (b'&', _) => "&",
            (b'=', b'=') => "==",
            (b'!', b'=') => "!=",
            (b'=', b'~') => "=~",
            (b'!', b'~') => "!~",
            (b'<', b'=') => "<=",
            (b'>', b'=') => ">=",
            (b'<', _) => "<",
            (b'>', _) => ">",
            (b'+', _) => "+",
            (b'-', _) => "-",
            (b'*', _) => "*",
            (b'/', _) => "/",
            (b'd' | b'm' | b'q' | b'r', _) => {
                let word = ["div", "mod", "quo", "rem"]
                    .into_iter()
                    .find(|w| self.b[self.pos..].starts_with(w.as_bytes()));
                match word {
                    Some(w) if !self.id_continue_at(self.pos + 3) => w,
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some((op, op.len()))
    }

    /// `unary (op unary)*`, folded by precedence climbing. Returns the operand and the end of
    /// pest's `expr` pair; leaves the position after the blanks that follow.
    pub(super) fn expr(&mut self) -> R<(Operand, usize)> {
        let (first, _) = self.unary()?;
        self.skip_ws();
        let Some((mut op_text, mut op_len)) = self.infix_op() else {
            return Ok((first, self.pos));
        };
        let mut operands = vec![first.into_expr()?];
        let mut ops: Vec<(Infix, u8, Span)> = Vec::new();
        let end = loop {
            let op_span = self.span(self.pos, self.pos + op_len);
            let (op, prec) = infix(op_text).ok_or(GiveUp)?;
            while let Some(&(top, top_prec, top_span)) = ops.last() {
                if top_prec < prec {
                    break;
                }
                ops.pop();
                reduce(&mut operands, top, top_span);
            }
            ops.push((op, prec, op_span));
            self.pos += op_len;
            self.skip_nl();
            let (operand, operand_end) = self.unary()?;
            operands.push(operand.into_expr()?);
            self.skip_ws();
            match self.infix_op() {
                Some((t, l)) => (op_text, op_len) = (t, l),
                None => break operand_end,
            }
        };
        while let Some((op, _, op_span)) = ops.pop() {
            reduce(&mut operands, op, op_span);
        }
        let e = operands.pop().ok_or(GiveUp)?;
        Ok((Operand::Expr(e), end))
    }

    /// The prefix operator at the current position and its length.
    fn prefix_op(&self) -> Option<(&'static str, usize)> {
        let c = self.peek();
        let n = self.at(self.pos + 1);
        let op = match (c, n) {
            (b'=', b'=') => "==",
            (b'>', b'=') => ">=",
            (b'<', b'=') => "<=",
            (b'!', b'=') => "!=",
            (b'=', b'~') => "=~",
            (b'!', b'~') => "!~",
            (b'<', _) => "<",
            (b'>', _) => ">",
            (b'!', _) => "!",
            (b'-', _) => "-",
            (b'+', _) => "+",
            (b'*', _) => "*",
            _ => return None,
        };
        Some((op, op.len()))
    }

    /// Prefix operators, a primary, then selectors, indices and calls. Returns the end of pest's
    /// `unary` pair: right after the last postfix, or after the blanks following the primary.
    fn unary(&mut self) -> R<(Operand, usize)> {
        let mut prefixes = Vec::new();
        while let Some((text, len)) = self.prefix_op() {
            let op = prefix(text).ok_or(GiveUp)?;
            prefixes.push((op, self.span(self.pos, self.pos + len)));
            self.pos += len;
            self.skip_nl();
        }
        let mut operand = self.primary()?;
        self.skip_ws();
        let mut end = self.pos;
        while matches!(self.peek(), b'.' | b'[' | b'(') {
            let base = operand.into_expr()?;
            operand = Operand::Expr(self.nested(|p| p.postfix(base))?);
            end = self.pos;
            self.skip_ws();
        }
        if prefixes.is_empty() {
            return Ok((operand, end));
        }
        let mut e = operand.into_expr()?;
        while let Some((op, op_span)) = prefixes.pop() {
            let span = op_span.to(e.span);
            e = ast::Expr {
                kind: ast::ExprKind::Unary(op, Box::new(e)),
                span,
            };
        }
        Ok((Operand::Expr(e), end))
    }

    fn postfix(&mut self, base: ast::Expr) -> R<ast::Expr> {
        let start = self.pos;
        let base_span = base.span;
        let kind = match self.peek() {
            b'.' => {
                self.pos += 1;
                self.skip_ws();
                // `ident | string_lit`: a lone `#` is an identifier, so `.#"x"#` is `.#`.
                let name = match self.ident_end(self.pos) {
                    Some(_) => self.ident()?,
                    None => self.selector_string()?,
                };
                ast::ExprKind::Selector(Box::new(base), name)
            }
            b'[' => {
                self.pos += 1;
                self.skip_nl();
                let mut lo = None;
                if self.peek() != b':' {
                    lo = Some(self.expr()?.0.into_expr()?);
                }
                self.skip_ws();
                if self.peek() == b':' {
                    self.pos += 1;
                    self.skip_nl();
                    let hi = if matches!(self.peek(), b']' | b'\n' | b'\r') {
                        None
                    } else {
                        Some(Box::new(self.expr()?.0.into_expr()?))
                    };
                    self.skip_nl();
                    self.expect(b']')?;
                    ast::ExprKind::Slice(Box::new(base), lo.map(Box::new), hi)
                } else {
                    self.skip_nl();
                    self.expect(b']')?;
                    ast::ExprKind::Index(Box::new(base), Box::new(lo.ok_or(GiveUp)?))
                }
            }
            _ => {
                self.pos += 1;
                self.skip_nl();
                let mut args = Vec::new();
                while self.peek() != b')' {
                    args.push(self.expr()?.0.into_expr()?);
                    self.skip_ws();
                    if !self.sep() && self.peek() != b')' {
                        return Err(GiveUp);
                    }
                }
                self.pos += 1;
                ast::ExprKind::Call(Box::new(base), args)
            }
        };
        let span = base_span.to(self.span(start, self.pos));
        Ok(ast::Expr { kind, span })
    }

    /// `."name"`: the string becomes the selector's name.
    fn selector_string(&mut self) -> R<ast::Ident> {
        let (lit, span) = self.string_lit()?;
        match lit {
            Lit::String(name) => Ok(ast::Ident { name, span }),
            _ => Err(GiveUp),
        }
    }

    /// Whether the `#`s at the current position open a string (`#"…"#`).
    fn quote_after_hashes(&self) -> bool {
        let mut i = self.pos;
        while self.at(i) == b'#' {
            i += 1;
        }
        matches!(self.at(i), b'"' | b'\'')
    }

    fn primary(&mut self) -> R<Operand> {
        let start = self.pos;
        let c = self.peek();
        let kind = match c {
            b'{' => return self.nested(Self::struct_lit).map(Operand::Expr),
            b'[' => return self.nested(Self::list_lit).map(Operand::List),
            b'(' => {
                self.pos += 1;
                self.skip_nl();
                let inner = self.nested(|p| p.expr()?.0.into_expr())?;
                self.skip_nl();
                self.expect(b')')?;
                ast::ExprKind::Paren(Box::new(inner))
            }
            b'"' | b'\'' => return self.string_expr(),
            b'#' if self.quote_after_hashes() => return self.string_expr(),
            b'0'..=b'9' => self.number()?,
            b'.' if self.at(start + 1).is_ascii_digit() => self.number()?,
            b'_' if self.b[start..].starts_with(b"_|_") => {
                self.pos += 3;
                ast::ExprKind::Bottom
            }
            _ => {
                let id = self.ident()?;
                match id.name.as_str() {
                    "null" => ast::ExprKind::Null,
                    "true" => ast::ExprKind::Bool(true),
                    "false" => ast::ExprKind::Bool(false),
                    // Only as a label: `package: 1`.
                    "package" | "import" if !self.label_follows(self.pos) => return Err(GiveUp),
                    _ => ast::ExprKind::Ident(id),
                }
            }
        };
        Ok(Operand::Expr(ast::Expr {
            kind,
            span: self.span(start, self.pos),
        }))
    }

    /// The `number` rule; anything `bad_number` would take instead is given up on.
    pub(super) fn number(&mut self) -> R<ast::ExprKind> {
        let start = self.pos;
        let b = self.b;
        let digits = |mut i: usize, ok: fn(u8) -> bool| -> Option<usize> {
            if !ok(b.get(i).copied().unwrap_or(0)) {
                return None;
            }
            i += 1;
            loop {
                let c = b.get(i).copied().unwrap_or(0);
                if ok(c) {
                    i += 1;
                } else if c == b'_' && ok(b.get(i + 1).copied().unwrap_or(0)) {
                    i += 2;
                } else {
                    return Some(i);
                }
            }
        };
        let radix: Option<fn(u8) -> bool> = match (self.at(start), self.at(start + 1)) {
            (b'0', b'x' | b'X') => Some(|c| c.is_ascii_hexdigit()),
            (b'0', b'o' | b'O') => Some(|c| matches!(c, b'0'..=b'7')),
            (b'0', b'b' | b'B') => Some(|c| matches!(c, b'0' | b'1')),
            _ => None,
        };
        let dec: fn(u8) -> bool = |c| c.is_ascii_digit();
        let end = if let Some(ok) = radix {
            digits(start + 2, ok).ok_or(GiveUp)?
        } else {
            let mut i = if self.at(start) == b'.' {
                digits(start + 1, dec).ok_or(GiveUp)?
            } else {
                let i = digits(start, dec).ok_or(GiveUp)?;
                if self.at(i) == b'.' && self.at(i + 1) != b'.' {
                    digits(i + 1, dec).unwrap_or(i + 1)
                } else {
                    i
                }
            };
            match self.at(i) {
                b'K' | b'M' | b'G' | b'T' | b'P' => {
                    i += 1;
                    if self.at(i) == b'i' {
                        i += 1;
                    }
                }
                b'e' | b'E' => {
                    let sign = usize::from(matches!(self.at(i + 1), b'+' | b'-'));
                    if let Some(e) = digits(i + 1 + sign, dec) {
                        i = e;
                    }
                }
                _ => {}
            }
            i
        };
        if self.id_continue_at(end) || self.at(end) == b'#' {
            return Err(GiveUp);
        }
        self.pos = end;
        Ok(number(&self.text[start..end]))
    }

    pub(super) fn struct_lit(&mut self) -> R<ast::Expr> {
        let start = self.pos;
        self.expect(b'{')?;
        self.skip_nl();
        let mark = self.decls.len();
        while self.peek() != b'}' {
            self.decl()?;
            self.skip_ws();
            if !self.sep() && self.peek() != b'}' {
                return Err(GiveUp);
            }
        }
        self.pos += 1;
        let decls = self.decls.split_off(mark);
        Ok(ast::Expr {
            kind: ast::ExprKind::Struct(decls),
            span: self.span(start, self.pos),
        })
    }

    fn list_lit(&mut self) -> R<RawList> {
        let start = self.pos;
        self.expect(b'[')?;
        self.skip_nl();
        let mut elems = Vec::new();
        while self.peek() != b']' {
            elems.push(self.list_elem()?);
            self.skip_ws();
            if !self.sep() && self.peek() != b']' {
                return Err(GiveUp);
            }
        }
        self.pos += 1;
        Ok(RawList {
            elems,
            span: self.span(start, self.pos),
        })
    }

    fn list_elem(&mut self) -> R<RawElem> {
        if self.b[self.pos..].starts_with(b"...") {
            let (value, span) = self.ellipsis()?;
            return Ok(RawElem::Ellipsis(value, span));
        }
        if matches!(self.peek_ident(), Some("for" | "if")) {
            return Ok(RawElem::Comprehension(self.comprehension()?));
        }
        let a = self.aliased_expr()?;
        Ok(RawElem::Expr(a.alias, a.operand.into_expr()?))
    }
}
