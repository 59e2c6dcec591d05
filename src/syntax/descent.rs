//! The fast path of parsing: a hand-written recursive-descent parser that builds `ast::File`
//! directly from the text, without pest. It accepts only input the pest grammar
//! (grammar/orche.pest) and the converter (`convert.rs`) accept without a diagnostic, and for
//! such input it builds the very same AST, spans included. Anything else (a syntax error, a
//! form the converter reports, or a rare form this parser does not handle, such as a keyword
//! used as a reference) makes it give up with `None`, and the caller parses the text again
//! with pest, which produces the diagnostics. So errors read exactly as they always did, and
//! this module never reports one.
//!
//! Invariant: `parse_file(t) == Some(ast)` implies pest + convert give `Ok(ast)` for `t`
//! (checked by `tests/syntax_fast_path.rs` on every test and conformance file and on
//! mutations of them). Where the grammar backtracks, this parser either takes the alternative
//! pest would commit to or gives up. The spans follow pest's: a rule ends after the implicit
//! whitespace pest skipped before a trailing optional or repeated part that then matched
//! nothing (a label written `a :` spans `a `), which is what the `end` values below track.

use super::ast;
use super::convert::{infix, number, prefix, reduce, Infix};
use super::error::MAX_DEPTH;
use crate::source::{FileId, Span};

/// The input is not something this parser handles; pest must parse it.
struct GiveUp;

type R<T> = Result<T, GiveUp>;

/// Parses a whole file, or returns `None` when pest must do it (see the module doc).
pub(super) fn parse_file(file: FileId, text: &str) -> Option<ast::File> {
    let mut p = Parser {
        text,
        b: text.as_bytes(),
        pos: 0,
        file,
        depth: 0,
        decls: Vec::new(),
    };
    p.file().ok()
}

struct Parser<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    file: FileId,
    /// Brackets and interpolations open around the position. The caller's depth check bounds it
    /// already, but it counts a little differently (a comment ends at `\n` only), and this
    /// parser recurses per level, so it keeps its own bound.
    depth: usize,
    /// The declarations of the struct literals being parsed, innermost last: each literal
    /// moves its own out when it ends, into a vector of exactly the right size.
    decls: Vec<ast::Decl>,
}

/// A primary that may still become a label: a list literal keeps its elements' aliases, which
/// only a pattern constraint (`[X=string]: v`) allows.
enum Operand {
    Expr(ast::Expr),
    List(RawList),
}

struct RawList {
    elems: Vec<RawElem>,
    span: Span,
}

enum RawElem {
    Expr(Option<ast::Ident>, ast::Expr),
    Comprehension(ast::Comprehension),
    Ellipsis(Option<ast::Expr>, Span),
}

/// An `aliased_expr` of the grammar: `X=expr` or `expr`, with the byte range pest's pair has.
struct Aliased {
    alias: Option<ast::Ident>,
    operand: Operand,
    start: usize,
    end: usize,
}

/// A decoded string or bytes literal (`strings::Lit`).
enum Lit {
    String(String),
    Bytes(Vec<u8>),
    Interpolation(ast::Interpolation),
}

fn is_id_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_id_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

fn is_newline(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

impl Operand {
    /// The operand as a value: a list literal's elements may not have aliases.
    fn into_expr(self) -> R<ast::Expr> {
        match self {
            Operand::Expr(e) => Ok(e),
            Operand::List(list) => list_value(list),
        }
    }
}

/// `list_lit` in convert.rs: no aliases, and `...` only last.
fn list_value(list: RawList) -> R<ast::Expr> {
    let mut elems = Vec::with_capacity(list.elems.len());
    let mut after_ellipsis = false;
    for elem in list.elems {
        if after_ellipsis {
            return Err(GiveUp);
        }
        elems.push(match elem {
            RawElem::Expr(Some(_), _) => return Err(GiveUp),
            RawElem::Expr(None, e) => ast::ListElem::Expr(e),
            RawElem::Comprehension(c) => ast::ListElem::Comprehension(c),
            RawElem::Ellipsis(v, s) => {
                after_ellipsis = true;
                ast::ListElem::Ellipsis(v, s)
            }
        });
    }
    Ok(ast::Expr {
        kind: ast::ExprKind::List(elems),
        span: list.span,
    })
}

impl<'t> Parser<'t> {
    // -----------------------------------------------------------------------------------------
    // Characters

    fn peek(&self) -> u8 {
        self.b.get(self.pos).copied().unwrap_or(0)
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// The byte length of the character at `i` if it is an `id_start` (when `start`) or an
    /// `id_continue` of the grammar, else 0. Non-ASCII characters are classified with pest's
    /// own Unicode tables, so that both paths agree on what a letter is.
    fn id_char_len(&self, i: usize, start: bool) -> usize {
        let c = self.at(i);
        if c < 0x80 {
            return usize::from(if start {
                is_id_start(c)
            } else {
                is_id_continue(c)
            });
        }
        let Some(ch) = self.text.get(i..).and_then(|s| s.chars().next()) else {
            return 0;
        };
        use pest::unicode::{DECIMAL_NUMBER, LETTER, MARK};
        if LETTER(ch) || (!start && (DECIMAL_NUMBER(ch) || MARK(ch))) {
            ch.len_utf8()
        } else {
            0
        }
    }

    /// Whether the character at `i` continues an identifier.
    fn id_continue_at(&self, i: usize) -> bool {
        self.id_char_len(i, false) > 0
    }

    /// pest's implicit `(WHITESPACE | COMMENT)*`: blanks, BOMs and `//` comments, not newlines.
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                b' ' | b'\t' => self.pos += 1,
                0xEF if self.b[self.pos..].starts_with("\u{FEFF}".as_bytes()) => self.pos += 3,
                b'/' if self.at(self.pos + 1) == b'/' => {
                    self.pos += 2;
                    while self.pos < self.b.len() && !is_newline(self.b[self.pos]) {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    /// `NEWLINE*` with the skips around it.
    fn skip_nl(&mut self) {
        loop {
            self.skip_ws();
            if is_newline(self.peek()) {
                self.pos += 1;
            } else {
                return;
            }
        }
    }

    /// `sep` (a comma or newlines), if one is here.
    fn sep(&mut self) -> bool {
        match self.peek() {
            b',' => {
                self.pos += 1;
                self.skip_nl();
                true
            }
            b'\n' | b'\r' => {
                self.skip_nl();
                true
            }
            _ => false,
        }
    }

    /// Runs `f` one nesting level deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == c {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// The end of the `ident` rule starting at `i`, if one does.
    fn ident_end(&self, i: usize) -> Option<usize> {
        let mut j = i;
        match self.at(j) {
            b'#' => j += 1,
            b'_' if self.at(j + 1) == b'#' => j += 2,
            _ => {}
        }
        let first = self.id_char_len(j, true);
        if first == 0 {
            // `("#" | "_#")? ~ id_start …` failed; the lone `#` alternative remains.
            return (self.at(i) == b'#').then_some(i + 1);
        }
        j += first;
        loop {
            match self.id_char_len(j, false) {
                0 => return Some(j),
                n => j += n,
            }
        }
    }

    /// The identifier at the current position, without consuming it.
    fn peek_ident(&self) -> Option<&'t str> {
        self.ident_end(self.pos)
            .map(|end| &self.text[self.pos..end])
    }

    fn ident(&mut self) -> R<ast::Ident> {
        let start = self.pos;
        let end = self.ident_end(start).ok_or(GiveUp)?;
        self.pos = end;
        Ok(ast::Ident {
            name: self.text[start..end].to_string(),
            span: self.span(start, end),
        })
    }

    /// Whether what follows a keyword at `i` makes it a field label: `if: 1`, `for?: 1`,
    /// `let!: 1`. The clause forms all fail on these, so pest falls back to a field.
    fn label_follows(&self, i: usize) -> bool {
        let mut p = Parser {
            text: self.text,
            b: self.b,
            pos: i,
            file: self.file,
            depth: self.depth,
            decls: Vec::new(),
        };
        p.skip_ws();
        if matches!(p.peek(), b'?' | b'!') {
            p.pos += 1;
            p.skip_ws();
        }
        p.peek() == b':'
    }

    // -----------------------------------------------------------------------------------------
    // File level

    fn file(&mut self) -> R<ast::File> {
        let mut out = ast::File {
            package: None,
            imports: Vec::new(),
            decls: Vec::new(),
            span: self.span(0, self.b.len()),
        };
        let mut seen_decl = false;
        self.skip_nl();
        while !self.eof() {
            let word = self.peek_ident();
            let after = self.pos + word.map_or(0, str::len);
            match word {
                Some("package") if !self.label_follows(after) => {
                    if seen_decl || !out.imports.is_empty() || out.package.is_some() {
                        return Err(GiveUp);
                    }
                    self.pos = after;
                    self.skip_ws();
                    out.package = Some(self.ident()?);
                }
                Some("import") if !self.label_follows(after) => {
                    if seen_decl {
                        return Err(GiveUp);
                    }
                    self.pos = after;
                    self.skip_ws();
                    self.import_decl(&mut out.imports)?;
                }
                _ => {
                    if let Some(d) = self.decl()? {
                        seen_decl = true;
                        out.decls.push(d);
                    }
                }
            }
            self.skip_ws();
            if !self.sep() && !self.eof() {
                return Err(GiveUp);
            }
        }
        Ok(out)
    }

    fn import_decl(&mut self, out: &mut Vec<ast::Import>) -> R<()> {
        if self.peek() != b'(' {
            out.push(self.import_spec()?);
            return Ok(());
        }
        self.pos += 1;
        self.skip_nl();
        while self.peek() != b')' {
            out.push(self.import_spec()?);
            self.skip_ws();
            if !self.sep() && self.peek() != b')' {
                return Err(GiveUp);
            }
        }
        self.pos += 1;
        Ok(())
    }

    fn import_spec(&mut self) -> R<ast::Import> {
        let start = self.pos;
        let alias = match self.ident_end(start) {
            Some(_) => {
                let id = self.ident()?;
                self.skip_ws();
                Some(id)
            }
            None => None,
        };
        let (lit, span) = self.string_lit()?;
        let Lit::String(path) = lit else {
            return Err(GiveUp);
        };
        Ok(ast::Import {
            alias,
            path,
            span: self.span(start, span.end as usize),
        })
    }

    // -----------------------------------------------------------------------------------------
    // Declarations

    /// `None` for an attribute, which is dropped.
    fn decl(&mut self) -> R<Option<ast::Decl>> {
        match self.peek() {
            b'@' => {
                self.attribute()?;
                return Ok(None);
            }
            b'.' if self.b[self.pos..].starts_with(b"...") => {
                let (value, span) = self.ellipsis()?;
                return Ok(Some(ast::Decl::Ellipsis(value, span)));
            }
            _ => {}
        }
        if let Some(word @ ("let" | "for" | "if")) = self.peek_ident() {
            if !self.label_follows(self.pos + word.len()) {
                return Ok(Some(if word == "let" {
                    ast::Decl::Let(self.let_clause()?)
                } else {
                    ast::Decl::Comprehension(self.comprehension()?)
                }));
            }
        }
        self.field_or_embed().map(Some)
    }

    /// `@name(…)`, skipped: attributes are not part of the AST.
    fn attribute(&mut self) -> R<()> {
        self.expect(b'@')?;
        self.pos = self.ident_end(self.pos).ok_or(GiveUp)?;
        self.expect(b'(')?;
        let mut depth = 0usize;
        loop {
            match self.peek() {
                _ if self.eof() => return Err(GiveUp),
                b'"' => {
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            _ if self.eof() => return Err(GiveUp),
                            b'\\' => self.pos += 2,
                            b'"' => break,
                            b'\n' | b'\r' => return Err(GiveUp),
                            _ => self.pos += 1,
                        }
                    }
                    self.pos += 1;
                }
                b'(' => {
                    depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    self.pos += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// `...` or `...expr`; the span ends where pest's does (after the blanks that follow).
    fn ellipsis(&mut self) -> R<(Option<ast::Expr>, Span)> {
        let start = self.pos;
        self.pos += 3;
        self.skip_ws();
        let closes = matches!(self.peek(), b',' | b'\n' | b'\r' | b'}' | b']');
        if closes || self.eof() {
            return Ok((None, self.span(start, self.pos)));
        }
        let (operand, end) = self.expr()?;
        Ok((Some(operand.into_expr()?), self.span(start, end)))
    }

    fn let_clause(&mut self) -> R<ast::LetClause> {
        let start = self.pos;
        self.pos += 3;
        self.skip_ws();
        let name = self.ident()?;
        self.skip_ws();
        self.expect(b'=')?;
        self.skip_ws();
        if matches!(self.peek(), b'=' | b'~') {
            return Err(GiveUp);
        }
        self.skip_nl();
        let (operand, end) = self.expr()?;
        Ok(ast::LetClause {
            name,
            value: operand.into_expr()?,
            span: self.span(start, end),
        })
    }

    /// `for`/`if` clauses, then `let`/`for`/`if` clauses, then a struct literal.
    fn comprehension(&mut self) -> R<ast::Comprehension> {
        let start = self.pos;
        let mut clauses = vec![self.clause()?];
        loop {
            let before_sep = self.pos;
            match self.peek() {
                b',' => {
                    self.pos += 1;
                    self.skip_nl();
                }
                b'\n' | b'\r' => self.skip_nl(),
                _ => {}
            }
            if matches!(self.peek_ident(), Some("for" | "if" | "let")) {
                clauses.push(self.clause()?);
            } else {
                self.pos = before_sep;
                self.skip_ws();
                break;
            }
        }
        if self.peek() != b'{' {
            return Err(GiveUp);
        }
        let body = self.nested(Self::struct_lit)?;
        Ok(ast::Comprehension {
            clauses,
            body: Box::new(body),
            span: self.span(start, self.pos),
        })
    }

    /// One clause, at a `for`, `if` or `let` keyword.
    fn clause(&mut self) -> R<ast::Clause> {
        let start = self.pos;
        match self.peek_ident() {
            Some("for") => {
                self.pos += 3;
                self.skip_ws();
                let first = self.ident()?;
                self.skip_ws();
                let (key, value) = if self.peek() == b',' {
                    self.pos += 1;
                    self.skip_ws();
                    let second = self.ident()?;
                    self.skip_ws();
                    (Some(first), second)
                } else {
                    (None, first)
                };
                if self.peek_ident() != Some("in") {
                    return Err(GiveUp);
                }
                self.pos += 2;
                self.skip_nl();
                let (operand, end) = self.expr()?;
                Ok(ast::Clause::For {
                    key,
                    value,
                    source: operand.into_expr()?,
                    span: self.span(start, end),
                })
            }
            Some("if") => {
                self.pos += 2;
                self.skip_ws();
                let (operand, end) = self.expr()?;
                Ok(ast::Clause::If(operand.into_expr()?, self.span(start, end)))
            }
            Some("let") => Ok(ast::Clause::Let(self.let_clause()?)),
            _ => Err(GiveUp),
        }
    }

    /// `label: label: value` (desugared into nested one-field structs) or an embedded expression.
    fn field_or_embed(&mut self) -> R<ast::Decl> {
        let first = self.aliased_expr()?;
        let Some(first_constraint) = self.label_colon() else {
            self.attributes()?;
            if first.alias.is_some() {
                return Err(GiveUp);
            }
            return Ok(ast::Decl::Embed(first.operand.into_expr()?));
        };
        // Labels are converted as they come: any problem gives up, so the order in which pest
        // would report them does not matter. `inner` stays empty (unallocated) for `a: v`.
        let mut outer = self.label(first)?;
        let mut inner: Vec<(ast::Label, ast::Constraint)> = Vec::new();
        let value = loop {
            let part = self.aliased_expr()?;
            match self.label_colon() {
                Some(constraint) => inner.push((self.label(part)?, constraint)),
                None => break part,
            }
        };
        self.attributes()?;
        let mut value_expr = value.operand.into_expr()?;
        if let Some(alias) = value.alias {
            let innermost = match inner.last_mut() {
                Some((label, _)) => label,
                None => &mut outer,
            };
            if innermost.alias.is_some() {
                return Err(GiveUp);
            }
            innermost.alias = Some(alias);
        }
        while let Some((label, constraint)) = inner.pop() {
            let span = label.span.to(value_expr.span);
            let field = ast::Field {
                label,
                constraint,
                value: value_expr,
                span,
            };
            value_expr = ast::Expr {
                kind: ast::ExprKind::Struct(vec![ast::Decl::Field(field)]),
                span,
            };
        }
        let span = outer.span.to(value_expr.span);
        Ok(ast::Decl::Field(ast::Field {
            label: outer,
            constraint: first_constraint,
            value: value_expr,
            span,
        }))
    }

    /// `label_marker? ~ colon ~ NEWLINE*` after a label: the label's constraint, or `None` (and
    /// nothing consumed) when no `:` follows.
    fn label_colon(&mut self) -> Option<ast::Constraint> {
        let before = self.pos;
        let constraint = match self.peek() {
            b'?' => ast::Constraint::Optional,
            b'!' => ast::Constraint::Required,
            _ => ast::Constraint::Regular,
        };
        if constraint != ast::Constraint::Regular {
            self.pos += 1;
            self.skip_ws();
        }
        if self.peek() != b':' {
            self.pos = before;
            return None;
        }
        self.pos += 1;
        self.skip_nl();
        Some(constraint)
    }

    /// `attribute*` after a field or an embedding.
    fn attributes(&mut self) -> R<()> {
        while self.peek() == b'@' {
            self.attribute()?;
            let before = self.pos;
            self.skip_ws();
            if self.peek() != b'@' {
                self.pos = before;
            }
        }
        Ok(())
    }

    /// The expression written before a `:` as a label (`label` in convert.rs).
    fn label(&self, part: Aliased) -> R<ast::Label> {
        let span = self.span(part.start, part.end);
        let kind = match part.operand {
            Operand::List(mut list) => {
                if list.elems.len() != 1 {
                    return Err(GiveUp);
                }
                match list.elems.pop() {
                    Some(RawElem::Expr(alias, e)) => ast::LabelKind::Pattern {
                        alias,
                        expr: Box::new(e),
                    },
                    _ => return Err(GiveUp),
                }
            }
            Operand::Expr(e) => match e.kind {
                ast::ExprKind::Ident(id) => ast::LabelKind::Ident(id),
                ast::ExprKind::Null => ast::LabelKind::Ident(ast::Ident {
                    name: "null".to_string(),
                    span: e.span,
                }),
                ast::ExprKind::Bool(b) => ast::LabelKind::Ident(ast::Ident {
                    name: if b { "true" } else { "false" }.to_string(),
                    span: e.span,
                }),
                ast::ExprKind::String(s) => ast::LabelKind::String(s),
                ast::ExprKind::Interpolation(i) if !i.bytes => ast::LabelKind::Interpolation(i),
                ast::ExprKind::Paren(inner) => ast::LabelKind::Paren(inner),
                _ => return Err(GiveUp),
            },
        };
        Ok(ast::Label {
            alias: part.alias,
            kind,
            span,
        })
    }

    /// `X=expr` or `expr`.
    fn aliased_expr(&mut self) -> R<Aliased> {
        let start = self.pos;
        let mut alias = None;
        if let Some(end) = self.ident_end(start) {
            self.pos = end;
            self.skip_ws();
            if self.peek() == b'=' {
                self.pos += 1;
                self.skip_ws();
                if !matches!(self.peek(), b'=' | b'~') {
                    alias = Some(ast::Ident {
                        name: self.text[start..end].to_string(),
                        span: self.span(start, end),
                    });
                    self.skip_nl();
                }
            }
            if alias.is_none() {
                self.pos = start;
            }
        }
        let (operand, end) = self.expr()?;
        Ok(Aliased {
            alias,
            operand,
            start,
            end,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

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
    fn expr(&mut self) -> R<(Operand, usize)> {
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
    fn number(&mut self) -> R<ast::ExprKind> {
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

    fn struct_lit(&mut self) -> R<ast::Expr> {
        let start = self.pos;
        self.expect(b'{')?;
        self.skip_nl();
        let mark = self.decls.len();
        while self.peek() != b'}' {
            if let Some(d) = self.decl()? {
                self.decls.push(d);
            }
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

    // -----------------------------------------------------------------------------------------
    // String literals (`string_lit`; decoding as in strings.rs)

    fn string_expr(&mut self) -> R<Operand> {
        let (lit, span) = self.string_lit()?;
        let kind = match lit {
            Lit::String(s) => ast::ExprKind::String(s),
            Lit::Bytes(b) => ast::ExprKind::Bytes(b),
            Lit::Interpolation(i) => ast::ExprKind::Interpolation(i),
        };
        Ok(Operand::Expr(ast::Expr { kind, span }))
    }

    fn string_lit(&mut self) -> R<(Lit, Span)> {
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
        (0..n).all(|k| self.at(i + k) == b'#')
    }

    fn single_line(&mut self, quote: u8, hashes: usize, bytes: bool) -> R<Lit> {
        let mut out = Builder::new(bytes);
        let mut run = self.pos;
        loop {
            if self.eof() {
                return Err(GiveUp);
            }
            let c = self.b[self.pos];
            if c == quote && self.hashes_at(self.pos + 1, hashes) {
                let body = &self.text[run..self.pos];
                self.pos += 1 + hashes;
                if out.is_empty() {
                    // The common case: no escape, no interpolation.
                    return Ok(if bytes {
                        Lit::Bytes(body.as_bytes().to_vec())
                    } else {
                        Lit::String(body.to_string())
                    });
                }
                out.push_str(body);
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

/// Literal text and interpolated expressions in source order (`Builder` of strings.rs).
struct Builder {
    bytes: bool,
    current: Vec<u8>,
    parts: Vec<ast::InterpPart>,
    has_interp: bool,
}

impl Builder {
    fn new(bytes: bool) -> Builder {
        Builder {
            bytes,
            current: Vec::new(),
            parts: Vec::new(),
            has_interp: false,
        }
    }

    fn is_empty(&self) -> bool {
        self.current.is_empty() && !self.has_interp
    }

    fn push_str(&mut self, s: &str) {
        self.current.extend_from_slice(s.as_bytes());
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            let text = String::from_utf8_lossy(&self.current).into_owned();
            self.parts.push(ast::InterpPart::Lit(text));
            self.current.clear();
        }
    }

    fn interp(&mut self, e: ast::Expr) {
        self.flush();
        self.has_interp = true;
        self.parts.push(ast::InterpPart::Expr(e));
    }

    /// Appends what another builder (one escape or interpolation) collected.
    fn append(&mut self, other: Builder) {
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

    fn finish(mut self) -> Lit {
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
            Lit::String(String::from_utf8_lossy(&self.current).into_owned())
        }
    }
}
