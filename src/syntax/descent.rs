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

mod expr;
mod strings;

use super::ast;
use super::error::MAX_DEPTH;
use crate::source::{FileId, Span};
use crate::syntax::strings::Lit;
use std::cell::Cell;

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
        last_ident: Cell::new((usize::MAX, None)),
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
    /// The declarations of the file and of the struct literals being parsed, innermost last:
    /// each literal moves its own out when it ends, into a vector of exactly the right size.
    decls: Vec<ast::Decl>,
    /// The last `ident_end` answer, as (start, end): a declaration's first word is asked for
    /// by the keyword check, the alias check and the primary in turn, and scanned once.
    last_ident: Cell<(usize, Option<usize>)>,
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
    Expr(Option<Box<ast::Ident>>, ast::Expr),
    Comprehension(ast::Comprehension),
    Ellipsis(Option<ast::Expr>, Span),
}

/// An `aliased_expr` of the grammar: `X=expr` or `expr`, with the byte range pest's pair has.
struct Aliased {
    alias: Option<Box<ast::Ident>>,
    operand: Operand,
    start: usize,
    end: usize,
}

/// ASCII identifier classes by byte: bit 0 may start an identifier, bit 1 may continue one.
const ID_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphabetic() || b == b'_' || b == b'$' {
            t[c] = 3;
        } else if b.is_ascii_digit() {
            t[c] = 2;
        }
        c += 1;
    }
    t
};

fn is_id_start(c: u8) -> bool {
    c < 128 && ID_CLASS[c as usize] & 1 != 0
}

fn is_id_continue(c: u8) -> bool {
    c < 128 && ID_CLASS[c as usize] & 2 != 0
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
        let (start, end) = self.last_ident.get();
        if start == i {
            return end;
        }
        let end = self.scan_ident(i);
        self.last_ident.set((i, end));
        end
    }

    fn scan_ident(&self, i: usize) -> Option<usize> {
        let mut j = i;
        match self.at(j) {
            b'#' => j += 1,
            b'_' if self.at(j + 1) == b'#' => j += 2,
            _ => {}
        }
        let c = self.at(j);
        // ASCII without a call: most identifiers are all ASCII.
        let first = if c < 0x80 {
            usize::from(is_id_start(c))
        } else {
            self.id_char_len(j, true)
        };
        if first == 0 {
            // `("#" | "_#")? ~ id_start …` failed; the lone `#` alternative remains.
            return (self.at(i) == b'#').then_some(i + 1);
        }
        j += first;
        loop {
            // A run of ASCII identifier characters in one sweep (`is_id_continue` is false for
            // non-ASCII bytes), then the character it stopped at, if it is not ASCII.
            let rest = self.b.get(j..).unwrap_or_default();
            j += rest
                .iter()
                .position(|&c| !is_id_continue(c))
                .unwrap_or(rest.len());
            if self.at(j) < 0x80 {
                return Some(j);
            }
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
            last_ident: Cell::new((usize::MAX, None)),
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
        self.skip_nl();
        while !self.eof() {
            // Only `package` and `import` matter here: other words are not scanned twice.
            let word = match self.peek() {
                b'p' | b'i' => self.peek_ident(),
                _ => None,
            };
            let after = self.pos + word.map_or(0, str::len);
            let seen_decl = !self.decls.is_empty();
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
                _ => self.decl()?,
            }
            self.skip_ws();
            if !self.sep() && !self.eof() {
                return Err(GiveUp);
            }
        }
        out.decls = std::mem::take(&mut self.decls);
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

    /// One declaration, pushed on `decls` (where it stays: no move through a return value);
    /// an attribute is dropped.
    fn decl(&mut self) -> R<()> {
        match self.peek() {
            b'@' => return self.attribute(),
            b'.' if self.b[self.pos..].starts_with(b"...") => {
                let (value, span) = self.ellipsis()?;
                self.decls.push(ast::Decl::Ellipsis(value, span));
                return Ok(());
            }
            b'l' | b'f' | b'i' => {
                if let Some(word @ ("let" | "for" | "if")) = self.peek_ident() {
                    if !self.label_follows(self.pos + word.len()) {
                        let d = if word == "let" {
                            ast::Decl::Let(self.let_clause()?)
                        } else {
                            ast::Decl::Comprehension(self.comprehension()?)
                        };
                        self.decls.push(d);
                        return Ok(());
                    }
                }
            }
            _ => {}
        }
        self.field_or_embed()
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
    fn field_or_embed(&mut self) -> R<()> {
        // Labels are converted as they come: any problem gives up, so the order in which pest
        // would report them does not matter. `inner` stays empty (unallocated) for `a: v`.
        let first_label = match self.peek() {
            b'"' => self.string_label()?,
            _ => self.ident_label(),
        };
        let (mut outer, first_constraint) = match first_label {
            Some(label) => label,
            None => {
                let first = self.aliased_expr()?;
                let Some(constraint) = self.label_colon() else {
                    self.attributes()?;
                    if first.alias.is_some() {
                        return Err(GiveUp);
                    }
                    let e = first.operand.into_expr()?;
                    self.decls.push(ast::Decl::Embed(e));
                    return Ok(());
                };
                (self.label(first)?, constraint)
            }
        };
        let mut inner: Vec<(ast::Label, ast::Constraint)> = Vec::new();
        let (value_alias, mut value_expr) = loop {
            if let Some(e) = self.literal_value()? {
                break (None, e);
            }
            if let Some(label) = self.ident_label() {
                inner.push(label);
                continue;
            }
            let part = self.aliased_expr()?;
            match self.label_colon() {
                Some(constraint) => inner.push((self.label(part)?, constraint)),
                None => break (part.alias, part.operand.into_expr()?),
            }
        };
        self.attributes()?;
        if let Some(alias) = value_alias {
            let innermost = match inner.last_mut() {
                Some((label, _)) => label,
                None => &mut outer,
            };
            innermost.value_alias = Some(alias);
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
        self.decls.push(ast::Decl::Field(ast::Field {
            label: outer,
            constraint: first_constraint,
            value: value_expr,
            span,
        }));
        Ok(())
    }

    /// `name:`, `name?:` or `name!:`, the most common label, with its constraint: the label
    /// `label` would make of the identifier's expression, built without one. `None` (and
    /// nothing consumed) when an identifier and a colon are not all there is.
    fn ident_label(&mut self) -> Option<(ast::Label, ast::Constraint)> {
        let start = self.pos;
        let end = self.ident_end(start)?;
        self.pos = end;
        self.skip_ws();
        // The label's pair ends where the expression's does: after the blanks.
        let label_end = self.pos;
        let Some(constraint) = self.label_colon() else {
            self.pos = start;
            return None;
        };
        let name = ast::Ident {
            name: self.text[start..end].to_string(),
            span: self.span(start, end),
        };
        let label = ast::Label {
            alias: None,
            value_alias: None,
            kind: ast::LabelKind::Ident(name),
            span: self.span(start, label_end),
        };
        Some((label, constraint))
    }

    /// A string or number literal that is a field's whole value (`kind: "http"`, `port: 80`),
    /// read without the expression layers, with the blanks after it as `expr` leaves them.
    /// `None` (nothing consumed) for anything else; a literal followed by more than that (an
    /// operator, a colon) is read again as an expression.
    fn literal_value(&mut self) -> R<Option<ast::Expr>> {
        let start = self.pos;
        let e = match self.peek() {
            b'"' => {
                let (lit, span) = self.string_lit()?;
                Self::lit_expr(lit, span)
            }
            b'0'..=b'9' => {
                let kind = self.number()?;
                ast::Expr {
                    kind,
                    span: self.span(start, self.pos),
                }
            }
            _ => return Ok(None),
        };
        self.skip_ws();
        if self.eof() || matches!(self.peek(), b',' | b'\n' | b'\r' | b'}') {
            return Ok(Some(e));
        }
        self.pos = start;
        Ok(None)
    }

    /// `"name":` and the like, the other common label, as `ident_label` does for identifiers.
    /// Only tried where a declaration starts: a string there is almost always a label, while a
    /// value's string would be read twice. A literal that `string_lit` gives up on is given up
    /// on here (the expression would read it the same way).
    fn string_label(&mut self) -> R<Option<(ast::Label, ast::Constraint)>> {
        let start = self.pos;
        let kind = match self.string_lit()?.0 {
            Lit::String(s) => ast::LabelKind::String(s),
            Lit::Interpolation(i) => ast::LabelKind::Interpolation(i),
            // Only a `'` literal is bytes, and this one opened with `"`.
            Lit::Bytes(_) => return Err(GiveUp),
        };
        self.skip_ws();
        let label_end = self.pos;
        let Some(constraint) = self.label_colon() else {
            self.pos = start;
            return Ok(None);
        };
        let label = ast::Label {
            alias: None,
            value_alias: None,
            kind,
            span: self.span(start, label_end),
        };
        Ok(Some((label, constraint)))
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
            value_alias: None,
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
                    alias = Some(Box::new(ast::Ident {
                        name: self.text[start..end].to_string(),
                        span: self.span(start, end),
                    }));
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
}
