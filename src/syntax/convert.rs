//! pest pairs → AST, one function per grammar rule (same name as the rule in
//! grammar/orche.pest). Invariant: every AST node gets the byte span of the pair it came from,
//! shorthand forms are desugared here (`a: b: 1`), and conversion never panics: problems the
//! grammar lets through (a non-label before `:`, an unknown escape) become `Diag`s while the
//! rest of the file is still converted, so all of them are reported at once.

use pest::iterators::Pair as PestPair;
use pest::Parser as _;

use super::ast;
use super::descent;
use super::error;
use super::strings;
use crate::diag::Diag;
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "grammar/orche.pest"]
struct OrcheParser;

pub(super) type Pair<'i> = PestPair<'i, Rule>;

/// What travels through the conversion: the file being converted and the problems found so far.
pub(super) struct Ctx {
    pub(super) file: FileId,
    pub(super) errors: Vec<Diag>,
    /// The file opted into `@experiment(structcmp)` before its package clause: unary `==`
    /// is a bound.
    pub(super) structcmp: bool,
}

impl Ctx {
    pub(super) fn span(&self, pair: &Pair<'_>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    pub(super) fn error(&mut self, span: Span, message: impl Into<String>, label: &str) {
        let diag = Diag::new(error::UNEXPECTED, message).with_label(span, label);
        self.errors.push(diag);
    }
}

/// Stack for the parsing thread. pest and the converter recurse once per nesting level, using a
/// few kilobytes per level in debug builds; `error::MAX_DEPTH` levels must fit with room to
/// spare, whatever thread (a 2 MB test or rayon thread) the caller runs on. The memory is only
/// reserved: pages are touched as the recursion actually goes deep.
const PARSE_STACK: usize = 64 << 20;

thread_local! {
    static BIG_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Declares that the calling thread's stack has room for at least [`PARSE_STACK`] (the CLI's
/// compiler thread): files are then parsed on it rather than on a thread of their own. That
/// thread would allocate the syntax tree from its own allocator arena, and the memory freed
/// with the tree after lowering would stay there, out of the evaluator's reach (80 MB of
/// peak memory for a 7 MB input).
pub fn declare_big_stack() {
    BIG_STACK.with(|b| b.set(true));
}

/// Runs `f` on a thread with a [`PARSE_STACK`]-sized stack (this one, if it declared one), or on
/// this thread if none can be spawned (pest's stack probe still turns an overflow into an error
/// then).
fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if BIG_STACK.with(|b| b.get()) {
        return f();
    }
    let mut job = Some(f);
    let outcome = std::thread::scope(|scope| {
        let slot = &mut job;
        let handle = std::thread::Builder::new()
            .name("orche-parse".to_string())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, move || slot.take().map(|f| f()))
            .ok()?;
        Some(handle.join())
    });
    match outcome {
        Some(Ok(Some(result))) => return result,
        // A bug in the parser: let it surface as it would have on this thread.
        Some(Err(payload)) => std::panic::resume_unwind(payload),
        _ => {}
    }
    match job.take() {
        Some(f) => f(),
        None => unreachable!("the parse job ran but produced nothing"),
    }
}

/// The hand-written parser where it can (`descent`), pest where it gives up.
pub(crate) fn parse_file(file: FileId, text: &str) -> Result<ast::File, Vec<Diag>> {
    // The hand-written parser bounds its own nesting (it gives up past `MAX_DEPTH`); pest
    // needs the text checked first.
    on_big_stack(|| match descent::parse_file(file, text) {
        Some(parsed) => Ok(parsed),
        None => {
            error::check_depth(file, text).map_err(|d| vec![d])?;
            parse_file_pest(file, text)
        }
    })
}

/// Only the hand-written parser: `None` where `parse_file` falls back to pest.
pub(crate) fn parse_file_fast(file: FileId, text: &str) -> Option<ast::File> {
    error::check_depth(file, text).ok()?;
    on_big_stack(|| descent::parse_file(file, text))
}

/// Only pest, on a big stack.
pub(crate) fn parse_file_with_pest(file: FileId, text: &str) -> Result<ast::File, Vec<Diag>> {
    error::check_depth(file, text).map_err(|d| vec![d])?;
    on_big_stack(|| parse_file_pest(file, text))
}

fn parse_file_pest(file: FileId, text: &str) -> Result<ast::File, Vec<Diag>> {
    let mut pairs =
        OrcheParser::parse(Rule::file, text).map_err(|e| vec![error::from_pest(file, text, e)])?;
    let mut ctx = Ctx {
        file,
        errors: Vec::new(),
        structcmp: false,
    };
    let result = match pairs.next() {
        Some(pair) => self::file(&mut ctx, pair),
        None => ast::File {
            package: None,
            imports: Vec::new(),
            decls: Vec::new(),
            span: Span::new(file, 0, text.len()),
        },
    };
    if ctx.errors.is_empty() {
        Ok(result)
    } else {
        Err(ctx.errors)
    }
}

pub(crate) fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Vec<Diag>> {
    error::check_depth(file, text).map_err(|d| vec![d])?;
    on_big_stack(|| {
        let mut pairs = OrcheParser::parse(Rule::expr_file, text)
            .map_err(|e| vec![error::from_pest(file, text, e)])?;
        let mut ctx = Ctx {
            file,
            errors: Vec::new(),
            structcmp: false,
        };
        let whole = Span::new(file, 0, text.len());
        let inner = pairs
            .next()
            .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::expr));
        let result = match inner {
            Some(pair) => expr(&mut ctx, pair),
            None => ast::Expr {
                kind: ast::ExprKind::Bottom,
                span: whole,
            },
        };
        if ctx.errors.is_empty() {
            Ok(result)
        } else {
            Err(ctx.errors)
        }
    })
}

// ---------------------------------------------------------------------------------------------
// File level

fn file(ctx: &mut Ctx, pair: Pair<'_>) -> ast::File {
    let span = ctx.span(&pair);
    let mut out = ast::File {
        package: None,
        imports: Vec::new(),
        decls: Vec::new(),
        span,
    };
    // Attributes are dropped, so "first" means first among the remaining declarations.
    let mut seen_decl = false;
    for item in pair.into_inner() {
        match item.as_rule() {
            Rule::package_clause => {
                let item_span = ctx.span(&item);
                if seen_decl || !out.imports.is_empty() || out.package.is_some() {
                    ctx.error(
                        item_span,
                        "the package clause must come first in the file",
                        "package clause after other declarations",
                    );
                }
                out.package = item
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::ident)
                    .map(|p| ident(ctx, p));
            }
            Rule::import_decl => {
                if seen_decl {
                    let item_span = ctx.span(&item);
                    ctx.error(
                        item_span,
                        "imports must come before other declarations",
                        "import after a declaration",
                    );
                }
                import_decl(ctx, item, &mut out.imports);
            }
            Rule::decl => {
                let leading = !seen_decl && out.imports.is_empty() && out.package.is_none();
                if leading && enables_structcmp(&item) {
                    ctx.structcmp = true;
                }
                if let Some(d) = decl(ctx, item) {
                    seen_decl = true;
                    out.decls.push(d);
                }
            }
            _ => {}
        }
    }
    out
}

fn import_decl(ctx: &mut Ctx, pair: Pair<'_>, out: &mut Vec<ast::Import>) {
    for spec in pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::import_spec)
    {
        out.push(import_spec(ctx, spec));
    }
}

fn import_spec(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Import {
    let span = ctx.span(&pair);
    let mut alias = None;
    let mut path = String::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident => alias = Some(ident(ctx, p)),
            Rule::string_lit => {
                let s = ctx.span(&p);
                match strings::string_lit(ctx, p) {
                    strings::Lit::String(text) => path = text,
                    _ => ctx.error(
                        s,
                        "an import path must be a plain string",
                        "not a plain string",
                    ),
                }
            }
            _ => {}
        }
    }
    ast::Import { alias, path, span }
}

pub(super) fn ident(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Ident {
    ast::Ident {
        name: pair.as_str().to_string(),
        span: ctx.span(&pair),
    }
}

// ---------------------------------------------------------------------------------------------
// Declarations

/// `None` for an attribute, which is dropped.
/// Whether `pair` (a `decl`) is a file attribute `@experiment(…)` naming `structcmp`. CUE
/// reads experiments only from attributes before the package clause.
fn enables_structcmp(pair: &Pair<'_>) -> bool {
    let Some(inner) = pair.clone().into_inner().next() else {
        return false;
    };
    if inner.as_rule() != Rule::attribute {
        return false;
    }
    let mut parts = inner.into_inner();
    let name = parts.next().map(|p| p.as_str());
    let body = parts.next().map_or("", |p| p.as_str());
    name == Some("experiment") && body.split(',').any(|e| e.trim() == "structcmp")
}

fn decl(ctx: &mut Ctx, pair: Pair<'_>) -> Option<ast::Decl> {
    let inner = pair.into_inner().next()?;
    match inner.as_rule() {
        Rule::attribute => None,
        Rule::ellipsis => {
            let (value, span) = ellipsis(ctx, inner);
            Some(ast::Decl::Ellipsis(value, span))
        }
        Rule::let_clause => Some(ast::Decl::Let(let_clause(ctx, inner))),
        Rule::comprehension => Some(ast::Decl::Comprehension(comprehension(ctx, inner))),
        Rule::field_or_embed => Some(field_or_embed(ctx, inner)),
        _ => None,
    }
}

/// `label: label: value` (desugared into nested one-field structs) or an embedded expression.
fn field_or_embed(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Decl {
    // Each `aliased_expr` but the last is a label; a marker before a colon applies to the label
    // just before it.
    let mut parts: Vec<(Pair<'_>, ast::Constraint)> = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::aliased_expr => parts.push((p, ast::Constraint::Regular)),
            Rule::label_marker => {
                if let Some(last) = parts.last_mut() {
                    last.1 = if p.as_str() == "?" {
                        ast::Constraint::Optional
                    } else {
                        ast::Constraint::Required
                    };
                }
            }
            _ => {}
        }
    }
    let Some((value_pair, _)) = parts.pop() else {
        // The grammar always yields at least one expression; stay total regardless.
        return ast::Decl::Embed(ast::Expr {
            kind: ast::ExprKind::Bottom,
            span: Span::default(),
        });
    };
    if parts.is_empty() {
        return ast::Decl::Embed(value_expr(ctx, value_pair));
    }
    // Converted in source order, so that errors are reported in source order.
    let mut labels: Vec<(ast::Label, ast::Constraint)> = parts
        .into_iter()
        .map(|(p, constraint)| (label(ctx, p), constraint))
        .collect();
    let (value_alias, mut value) = aliased_expr(ctx, value_pair);
    // A value alias (`a: X=v`) refers to the field's value within that value (lowering binds it
    // around the value; for a computed label, like a `let` in the struct).
    if let (Some(alias), Some((innermost, _))) = (value_alias, labels.last_mut()) {
        innermost.value_alias = Some(alias);
    }
    let (outer, outer_constraint) = labels.remove(0);
    for (label, constraint) in labels.into_iter().rev() {
        let span = label.span.to(value.span);
        let field = ast::Field {
            label,
            constraint,
            value,
            span,
        };
        value = ast::Expr {
            kind: ast::ExprKind::Struct(vec![ast::Decl::Field(field)]),
            span,
        };
    }
    let span = outer.span.to(value.span);
    ast::Decl::Field(ast::Field {
        label: outer,
        constraint: outer_constraint,
        value,
        span,
    })
}

/// A field value or an embedding: an `aliased_expr` whose alias is reported, since value aliases
/// (`a: X=b`) are not supported.
fn value_expr(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Expr {
    let (alias, e) = aliased_expr(ctx, pair);
    if let Some(a) = alias {
        ctx.error(
            a.span,
            "an alias (`X=`) is only allowed before a field label or inside a pattern constraint",
            "alias not allowed here",
        );
    }
    e
}

fn aliased_expr(ctx: &mut Ctx, pair: Pair<'_>) -> (Option<Box<ast::Ident>>, ast::Expr) {
    let span = ctx.span(&pair);
    let mut alias = None;
    let mut value = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::alias => alias = p.into_inner().next().map(|i| Box::new(ident(ctx, i))),
            Rule::expr => value = Some(expr(ctx, p)),
            _ => {}
        }
    }
    (
        alias,
        value.unwrap_or(ast::Expr {
            kind: ast::ExprKind::Bottom,
            span,
        }),
    )
}

/// Turns the expression written before a `:` into a label, reporting forms that are not labels.
fn label(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Label {
    let span = ctx.span(&pair);
    let mut alias = None;
    let mut primary = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::alias => alias = p.into_inner().next().map(|i| Box::new(ident(ctx, i))),
            Rule::expr => primary = bare_primary(&p),
            _ => {}
        }
    }
    let bad = |ctx: &mut Ctx| {
        ctx.error(
            span,
            "expected a field label: an identifier, a string, `(expr)` or `[pattern]`",
            "not a field label",
        );
        ast::LabelKind::Ident(ast::Ident {
            name: String::new(),
            span,
        })
    };
    let kind = match primary {
        None => bad(ctx),
        Some(p) => match p.as_rule() {
            Rule::ident | Rule::kw_package | Rule::kw_import | Rule::null_lit | Rule::bool_lit => {
                ast::LabelKind::Ident(ident(ctx, p))
            }
            Rule::string_lit => {
                let s = ctx.span(&p);
                match strings::string_lit(ctx, p) {
                    strings::Lit::String(text) => ast::LabelKind::String(text),
                    strings::Lit::Interpolation(i) if !i.bytes => ast::LabelKind::Interpolation(i),
                    _ => {
                        ctx.error(s, "a bytes literal cannot be a field label", "bytes label");
                        ast::LabelKind::String(String::new())
                    }
                }
            }
            Rule::paren_expr => {
                let e = paren_inner(ctx, p, span);
                ast::LabelKind::Paren(Box::new(e))
            }
            Rule::list_lit => pattern_label(ctx, p),
            _ => bad(ctx),
        },
    };
    ast::Label {
        alias,
        value_alias: None,
        kind,
        span,
    }
}

/// `[expr]` or `[X=expr]` used as a label.
fn pattern_label(ctx: &mut Ctx, pair: Pair<'_>) -> ast::LabelKind {
    let span = ctx.span(&pair);
    let elems: Vec<Pair<'_>> = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::list_elem)
        .collect();
    let single = if elems.len() == 1 {
        elems.into_iter().next()
    } else {
        None
    };
    let inner = single
        .and_then(|e| e.into_inner().next())
        .filter(|p| p.as_rule() == Rule::aliased_expr);
    match inner {
        Some(p) => {
            let (alias, e) = aliased_expr(ctx, p);
            ast::LabelKind::Pattern {
                alias,
                expr: Box::new(e),
            }
        }
        None => {
            ctx.error(
                span,
                "a pattern constraint holds exactly one expression: `[expr]: value`",
                "not a pattern",
            );
            ast::LabelKind::Pattern {
                alias: None,
                expr: Box::new(ast::Expr {
                    kind: ast::ExprKind::Bottom,
                    span,
                }),
            }
        }
    }
}

/// The primary of an `expr` pair that is nothing but a primary (no operators, no selectors).
fn bare_primary<'i>(expr: &Pair<'i>) -> Option<Pair<'i>> {
    let mut units = expr.clone().into_inner();
    let unary = units.next()?;
    if units.next().is_some() {
        return None;
    }
    let mut inner = unary.into_inner();
    let primary = inner.next()?;
    if inner.next().is_some() {
        return None;
    }
    Some(primary)
}

fn ellipsis(ctx: &mut Ctx, pair: Pair<'_>) -> (Option<ast::Expr>, Span) {
    let span = ctx.span(&pair);
    let value = pair
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .map(|p| expr(ctx, p));
    (value, span)
}

fn let_clause(ctx: &mut Ctx, pair: Pair<'_>) -> ast::LetClause {
    let span = ctx.span(&pair);
    let mut name = None;
    let mut value = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident => name = Some(ident(ctx, p)),
            Rule::expr => value = Some(expr(ctx, p)),
            _ => {}
        }
    }
    ast::LetClause {
        name: name.unwrap_or(ast::Ident {
            name: String::new(),
            span,
        }),
        value: value.unwrap_or(ast::Expr {
            kind: ast::ExprKind::Bottom,
            span,
        }),
        span,
    }
}

fn comprehension(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Comprehension {
    let span = ctx.span(&pair);
    let mut clauses = Vec::new();
    let mut body = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::for_clause => clauses.push(for_clause(ctx, p)),
            Rule::if_clause => clauses.push(if_clause(ctx, p)),
            Rule::let_clause => clauses.push(ast::Clause::Let(let_clause(ctx, p))),
            Rule::struct_lit => body = Some(struct_lit(ctx, p)),
            _ => {}
        }
    }
    let body = body.unwrap_or(ast::Expr {
        kind: ast::ExprKind::Struct(Vec::new()),
        span,
    });
    ast::Comprehension {
        clauses,
        body: Box::new(body),
        span,
    }
}

fn for_clause(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Clause {
    let span = ctx.span(&pair);
    let mut names = Vec::new();
    let mut source = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident => names.push(ident(ctx, p)),
            Rule::expr => source = Some(expr(ctx, p)),
            _ => {}
        }
    }
    let value = names.pop().unwrap_or(ast::Ident {
        name: String::new(),
        span,
    });
    let key = names.pop();
    let source = source.unwrap_or(ast::Expr {
        kind: ast::ExprKind::Bottom,
        span,
    });
    ast::Clause::For {
        key,
        value,
        source,
        span,
    }
}

fn if_clause(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Clause {
    let span = ctx.span(&pair);
    let cond = pair
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .map(|p| expr(ctx, p));
    ast::Clause::If(
        cond.unwrap_or(ast::Expr {
            kind: ast::ExprKind::Bottom,
            span,
        }),
        span,
    )
}

// ---------------------------------------------------------------------------------------------
// Expressions

/// An infix operator: a `BinaryOp`, or one of CUE's integer operators `div`, `mod`, `quo`,
/// `rem`, which the AST has no operator for and which are desugared into calls of the
/// predeclared functions of the same name.
#[derive(Clone, Copy)]
pub(super) enum Infix {
    Op(ast::BinaryOp),
    Builtin(&'static str),
}

/// Binding power of an infix operator (CUE's precedence table, higher binds tighter).
pub(super) fn infix(op: &str) -> Option<(Infix, u8)> {
    use ast::BinaryOp::*;
    let (op, prec) = match op {
        "|" => (Or, 1),
        "&" => (And, 2),
        "||" => (LogicalOr, 3),
        "&&" => (LogicalAnd, 4),
        "==" => (Eq, 5),
        "!=" => (Ne, 5),
        "<" => (Lt, 5),
        "<=" => (Le, 5),
        ">" => (Gt, 5),
        ">=" => (Ge, 5),
        "=~" => (Match, 5),
        "!~" => (NotMatch, 5),
        "+" => (Add, 6),
        "-" => (Sub, 6),
        "*" => (Mul, 7),
        "/" => (Div, 7),
        "div" => return Some((Infix::Builtin("div"), 7)),
        "mod" => return Some((Infix::Builtin("mod"), 7)),
        "quo" => return Some((Infix::Builtin("quo"), 7)),
        "rem" => return Some((Infix::Builtin("rem"), 7)),
        _ => return None,
    };
    Some((Infix::Op(op), prec))
}

/// Replaces the top two operands by `lhs op rhs`.
pub(super) fn reduce(operands: &mut Vec<ast::Expr>, op: Infix, op_span: Span) {
    if let (Some(rhs), Some(lhs)) = (operands.pop(), operands.pop()) {
        let span = lhs.span.to(rhs.span);
        let kind = match op {
            Infix::Op(op) => ast::ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            Infix::Builtin(name) => {
                let name = ast::Ident {
                    name: name.to_string(),
                    span: op_span,
                };
                let callee = ast::Expr {
                    kind: ast::ExprKind::Ident(name),
                    span: op_span,
                };
                ast::ExprKind::Call(Box::new(callee), vec![lhs, rhs])
            }
        };
        operands.push(ast::Expr { kind, span });
    }
}

/// `unary (op unary)*`, folded by precedence climbing (all operators are left-associative).
pub(super) fn expr(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Expr {
    let span = ctx.span(&pair);
    let mut operands: Vec<ast::Expr> = Vec::new();
    let mut ops: Vec<(Infix, u8, Span)> = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::unary => operands.push(unary(ctx, p)),
            Rule::infix_op => {
                let Some((op, prec)) = infix(p.as_str()) else {
                    continue;
                };
                while let Some(&(top, top_prec, top_span)) = ops.last() {
                    if top_prec < prec {
                        break;
                    }
                    ops.pop();
                    reduce(&mut operands, top, top_span);
                }
                ops.push((op, prec, ctx.span(&p)));
            }
            _ => {}
        }
    }
    while let Some((op, _, op_span)) = ops.pop() {
        reduce(&mut operands, op, op_span);
    }
    operands.pop().unwrap_or(ast::Expr {
        kind: ast::ExprKind::Bottom,
        span,
    })
}

pub(super) fn prefix(op: &str) -> Option<ast::UnaryOp> {
    use ast::UnaryOp::*;
    Some(match op {
        "-" => Neg,
        "+" => Plus,
        "!" => Not,
        "*" => Default,
        "<" => Lt,
        "<=" => Le,
        ">" => Gt,
        ">=" => Ge,
        "!=" => Ne,
        "=~" => Match,
        "!~" => NotMatch,
        _ => return None,
    })
}

/// Prefix operators, then a primary, then selectors, indices and calls (which bind tighter).
fn unary(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Expr {
    let span = ctx.span(&pair);
    let mut prefixes = Vec::new();
    let mut operand: Option<ast::Expr> = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::prefix_op => match prefix(p.as_str()) {
                Some(op) => prefixes.push((op, ctx.span(&p))),
                None if ctx.structcmp => prefixes.push((ast::UnaryOp::Eq, ctx.span(&p))),
                None => {
                    // The grammar accepts `==x` everywhere so that the message can say what
                    // turns it on (CUE: "expected operand, found '=='").
                    let diag = Diag::new(
                        error::UNSUPPORTED,
                        "unary `==` needs `@experiment(structcmp)` before the package clause",
                    )
                    .with_label(ctx.span(&p), "`==x` bound in a file without the experiment");
                    ctx.errors.push(diag);
                }
            },
            Rule::selector | Rule::index | Rule::call => {
                let base = operand.take().unwrap_or(ast::Expr {
                    kind: ast::ExprKind::Bottom,
                    span,
                });
                operand = Some(postfix(ctx, p, base));
            }
            _ => operand = Some(primary(ctx, p)),
        }
    }
    let mut e = operand.unwrap_or(ast::Expr {
        kind: ast::ExprKind::Bottom,
        span,
    });
    while let Some((op, op_span)) = prefixes.pop() {
        let span = op_span.to(e.span);
        e = ast::Expr {
            kind: ast::ExprKind::Unary(op, Box::new(e)),
            span,
        };
    }
    e
}

fn postfix(ctx: &mut Ctx, pair: Pair<'_>, base: ast::Expr) -> ast::Expr {
    let span = base.span.to(ctx.span(&pair));
    let kind = match pair.as_rule() {
        Rule::selector => selector(ctx, pair, base),
        Rule::index => index(ctx, pair, base),
        _ => call(ctx, pair, base),
    };
    ast::Expr { kind, span }
}

/// `.name` or `."name"`.
fn selector(ctx: &mut Ctx, pair: Pair<'_>, base: ast::Expr) -> ast::ExprKind {
    let span = ctx.span(&pair);
    let mut name = ast::Ident {
        name: String::new(),
        span,
    };
    if let Some(p) = pair.into_inner().next() {
        if p.as_rule() == Rule::ident {
            name = ident(ctx, p);
        } else {
            let s = ctx.span(&p);
            match strings::string_lit(ctx, p) {
                strings::Lit::String(text) => {
                    name = ast::Ident {
                        name: text,
                        span: s,
                    }
                }
                _ => ctx.error(
                    s,
                    "a quoted selector must be a plain string",
                    "not a plain string",
                ),
            }
        }
    }
    ast::ExprKind::Selector(Box::new(base), name)
}

/// `x[i]` or `x[lo:hi]` (either bound may be omitted in a slice).
fn index(ctx: &mut Ctx, pair: Pair<'_>, base: ast::Expr) -> ast::ExprKind {
    let span = ctx.span(&pair);
    let (mut lo, mut hi, mut colon) = (None, None, false);
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::slice_lo => lo = p.into_inner().next().map(|e| expr(ctx, e)),
            Rule::slice_hi => hi = p.into_inner().next().map(|e| expr(ctx, e)),
            Rule::slice_colon => colon = true,
            _ => {}
        }
    }
    if colon {
        return ast::ExprKind::Slice(Box::new(base), lo.map(Box::new), hi.map(Box::new));
    }
    let index = lo.unwrap_or_else(|| {
        ctx.error(
            span,
            "expected an index expression between `[` and `]`",
            "empty index",
        );
        ast::Expr {
            kind: ast::ExprKind::Bottom,
            span,
        }
    });
    ast::ExprKind::Index(Box::new(base), Box::new(index))
}

fn call(ctx: &mut Ctx, pair: Pair<'_>, base: ast::Expr) -> ast::ExprKind {
    let args = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::expr)
        .map(|p| expr(ctx, p))
        .collect();
    ast::ExprKind::Call(Box::new(base), args)
}

fn primary(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Expr {
    let span = ctx.span(&pair);
    let kind = match pair.as_rule() {
        Rule::bottom => ast::ExprKind::Bottom,
        Rule::null_lit => ast::ExprKind::Null,
        Rule::bool_lit => ast::ExprKind::Bool(pair.as_str() == "true"),
        Rule::number => number(pair.as_str()),
        Rule::bad_number => {
            let diag = Diag::new(
                error::NUMBER,
                format!("`{}` is not a valid number", pair.as_str()),
            )
            .with_label(span, "invalid number")
            .with_help("numbers look like 42, 1_000, 0x1F, 0o17, 0b101, 1.5, .5, 1e3, 1.5e-3, 2Ki");
            ctx.errors.push(diag);
            ast::ExprKind::Bottom
        }
        Rule::string_lit => match strings::string_lit(ctx, pair) {
            strings::Lit::String(s) => ast::ExprKind::String(s),
            strings::Lit::Bytes(b) => ast::ExprKind::Bytes(b),
            strings::Lit::Interpolation(i) => ast::ExprKind::Interpolation(i),
        },
        Rule::ident | Rule::kw_package | Rule::kw_import => ast::ExprKind::Ident(ident(ctx, pair)),
        Rule::paren_expr => ast::ExprKind::Paren(Box::new(paren_inner(ctx, pair, span))),
        Rule::struct_lit => return struct_lit(ctx, pair),
        Rule::list_lit => return list_lit(ctx, pair),
        _ => ast::ExprKind::Bottom,
    };
    ast::Expr { kind, span }
}

/// The expression inside `( … )`.
fn paren_inner(ctx: &mut Ctx, pair: Pair<'_>, span: Span) -> ast::Expr {
    let inner = pair.into_inner().find(|p| p.as_rule() == Rule::expr);
    inner.map(|p| expr(ctx, p)).unwrap_or(ast::Expr {
        kind: ast::ExprKind::Bottom,
        span,
    })
}

/// A number keeps its text; it is an int unless it has a fraction or an exponent and no
/// multiplier (`1.5Ki` is an int, `1.5` and `1e3` are floats).
pub(super) fn number(text: &str) -> ast::ExprKind {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return ast::ExprKind::Int(text.to_string());
    }
    let lower = text.to_ascii_lowercase();
    let radix = lower.starts_with("0x") || lower.starts_with("0o") || lower.starts_with("0b");
    let multiplier = text.ends_with(['K', 'M', 'G', 'T', 'P', 'i']);
    if !radix && !multiplier && (text.contains('.') || lower.contains('e')) {
        ast::ExprKind::Float(text.to_string())
    } else {
        ast::ExprKind::Int(text.to_string())
    }
}

fn struct_lit(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Expr {
    let span = ctx.span(&pair);
    let decls = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::decl)
        .filter_map(|p| decl(ctx, p))
        .collect();
    ast::Expr {
        kind: ast::ExprKind::Struct(decls),
        span,
    }
}

fn list_lit(ctx: &mut Ctx, pair: Pair<'_>) -> ast::Expr {
    let span = ctx.span(&pair);
    let mut elems = Vec::new();
    let mut ellipsis_at: Option<Span> = None;
    for p in pair.into_inner().filter(|p| p.as_rule() == Rule::list_elem) {
        if let Some(at) = ellipsis_at.take() {
            ctx.error(at, "`...` must be the last element of a list", "not last");
        }
        let elem = list_elem(ctx, p);
        if let Some(ast::ListElem::Ellipsis(_, s)) = &elem {
            ellipsis_at = Some(*s);
        }
        elems.extend(elem);
    }
    ast::Expr {
        kind: ast::ExprKind::List(elems),
        span,
    }
}

fn list_elem(ctx: &mut Ctx, pair: Pair<'_>) -> Option<ast::ListElem> {
    let inner = pair.into_inner().next()?;
    Some(match inner.as_rule() {
        Rule::comprehension => ast::ListElem::Comprehension(comprehension(ctx, inner)),
        Rule::ellipsis => {
            let (value, span) = ellipsis(ctx, inner);
            ast::ListElem::Ellipsis(value, span)
        }
        _ => ast::ListElem::Expr(value_expr(ctx, inner)),
    })
}
