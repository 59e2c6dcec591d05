//! Spacing of binary operators, read off the syntax tree: as `cue fmt` (after gofmt) prints
//! them, operators of a mixed-precedence expression that bind tighter lose their blanks
//! (`x*y + z`, `a+b == c`, `a[i+1]`), the others keep one on each side. Invariant: an operator
//! whose blanks could matter to the lexer (a right operand that starts with a prefix operator)
//! always keeps them.

use crate::syntax::ast;

/// For each token index, `Some(blank)` when the token is a binary operator.
pub fn binary_ops(file: &ast::File, starts: &[usize], texts: &[&str]) -> Vec<Option<bool>> {
    let mut w = Walk {
        starts,
        texts,
        out: vec![None; starts.len()],
    };
    w.decls(&file.decls);
    w.out
}

struct Walk<'t> {
    /// Source offsets of the code tokens (comments and newlines are `usize::MAX`-free: they
    /// are left out by the caller marking them with an empty text).
    starts: &'t [usize],
    texts: &'t [&'t str],
    out: Vec<Option<bool>>,
}

fn prec(op: ast::BinaryOp) -> u8 {
    use ast::BinaryOp::*;
    match op {
        Or => 1,
        And => 2,
        LogicalOr => 3,
        LogicalAnd => 4,
        Eq | Ne | Lt | Le | Gt | Ge | Match | NotMatch => 5,
        Add | Sub => 6,
        Mul | Div => 7,
    }
}

fn text(op: ast::BinaryOp) -> &'static str {
    use ast::BinaryOp::*;
    match op {
        Or => "|",
        And => "&",
        LogicalOr => "||",
        LogicalAnd => "&&",
        Eq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        Match => "=~",
        NotMatch => "!~",
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
    }
}

/// Whether the expression has binary operators of precedence 6 and 7 that print without
/// parentheses (gofmt's `walkBinary`).
fn walk_binary(e: &ast::Expr) -> (bool, bool) {
    let ast::ExprKind::Binary(op, l, r) = &e.kind else {
        return (false, false);
    };
    let p = prec(*op);
    let (mut h6, mut h7) = (p == 6, p == 7);
    if let ast::ExprKind::Binary(lop, ..) = &l.kind {
        if prec(*lop) >= p {
            let (a, b) = walk_binary(l);
            h6 |= a;
            h7 |= b;
        }
    }
    if let ast::ExprKind::Binary(rop, ..) = &r.kind {
        if prec(*rop) > p {
            let (a, b) = walk_binary(r);
            h6 |= a;
            h7 |= b;
        }
    }
    (h6, h7)
}

fn cutoff(e: &ast::Expr, depth: u32) -> u8 {
    let (h6, h7) = walk_binary(e);
    match (h6 && h7, depth <= 1) {
        (true, true) => 7,
        (false, true) => 8,
        _ => 6,
    }
}

impl Walk<'_> {
    fn decls(&mut self, ds: &[ast::Decl]) {
        for d in ds {
            match d {
                ast::Decl::Field(f) => {
                    match &f.label.kind {
                        ast::LabelKind::Paren(e) => self.expr(e, 1),
                        ast::LabelKind::Pattern { expr, .. } => self.expr(expr, 1),
                        _ => {}
                    }
                    self.expr(&f.value, 1);
                }
                ast::Decl::Embed(e) => self.expr(e, 1),
                ast::Decl::Let(l) => self.expr(&l.value, 1),
                ast::Decl::Ellipsis(e, _) => {
                    if let Some(e) = e {
                        self.expr(e, 1);
                    }
                }
                ast::Decl::Comprehension(c) => self.comprehension(c),
            }
        }
    }

    fn comprehension(&mut self, c: &ast::Comprehension) {
        for clause in &c.clauses {
            match clause {
                ast::Clause::For { source, .. } => self.expr(source, 1),
                ast::Clause::If(e, _) => self.expr(e, 1),
                ast::Clause::Let(l) => self.expr(&l.value, 1),
            }
        }
        self.expr(&c.body, 1);
    }

    fn expr(&mut self, e: &ast::Expr, depth: u32) {
        use ast::ExprKind as K;
        match &e.kind {
            K::Struct(ds) => self.decls(ds),
            K::List(elems) => {
                for el in elems {
                    match el {
                        ast::ListElem::Expr(e) => self.expr(e, 1),
                        ast::ListElem::Comprehension(c) => self.comprehension(c),
                        ast::ListElem::Ellipsis(Some(e), _) => self.expr(e, 1),
                        ast::ListElem::Ellipsis(None, _) => {}
                    }
                }
            }
            K::Selector(x, _) => self.expr(x, depth),
            K::Index(x, i) => {
                self.expr(x, depth);
                self.expr(i, depth + 1);
            }
            K::Slice(x, lo, hi) => {
                self.expr(x, depth);
                for e in [lo, hi].into_iter().flatten() {
                    self.expr(e, depth + 1);
                }
            }
            K::Call(f, args) => {
                self.expr(f, depth);
                let d = if args.len() > 1 { depth + 1 } else { depth };
                for a in args {
                    self.expr(a, d);
                }
            }
            K::Unary(_, x) => self.expr(x, depth),
            K::Paren(x) => self.expr(x, depth.saturating_sub(1).max(1)),
            K::Binary(op, l, r) => {
                let p = prec(*op);
                let blank = p < cutoff(e, depth);
                self.mark(*op, l.span.end as usize, blank);
                let ld = match &l.kind {
                    K::Binary(lop, ..) if prec(*lop) == p => depth,
                    _ => depth + 1,
                };
                self.expr(l, ld);
                self.expr(r, depth + 1);
            }
            _ => {}
        }
    }

    /// Records the operator token: the first code token at or after the end of the left
    /// operand, when it is the operator (anything else is left to the default spacing).
    fn mark(&mut self, op: ast::BinaryOp, after: usize, blank: bool) {
        let i = self.starts.partition_point(|&s| s < after);
        if let Some(t) = self.texts.get(i) {
            if *t == text(op) {
                // A right operand that starts with a prefix operator keeps the blank: `a * -1`,
                // `a | *b`; two operator tokens side by side could read as one.
                let next = self.texts.get(i + 1).copied().unwrap_or("");
                let prefix = matches!(
                    next,
                    "-" | "+" | "!" | "*" | "<" | "<=" | ">" | ">=" | "!=" | "=~" | "!~" | "=="
                );
                self.out[i] = Some(blank || prefix);
            }
        }
    }
}
