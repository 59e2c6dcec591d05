//! The abstract syntax tree of an orche (CUE-syntax) file. Produced by `syntax::convert` from the
//! pest parse tree; consumed by `lower`. Invariant: every node carries the `Span` of the source it
//! came from, and shorthand forms are already desugared (`a: b: 1` is a field `a` whose value is a
//! one-field struct literal). Literals keep their source text where the value layer must parse it
//! exactly (numbers).

use crate::source::Span;

/// One source file.
#[derive(Clone, Debug)]
pub struct File {
    /// `package foo`, when present.
    pub package: Option<Ident>,
    pub imports: Vec<Import>,
    /// Top-level declarations, in source order.
    pub decls: Vec<Decl>,
    pub span: Span,
}

/// `import name "path"` or `import "path"` (one per entry of an import block).
#[derive(Clone, Debug)]
pub struct Import {
    pub alias: Option<Ident>,
    /// The import path without quotes, e.g. `strings` or `orche/federation`.
    pub path: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name as written (`foo`, `#Def`, `_hidden`, `_#hdef`, `_`); quoted identifiers are
    /// not part of CUE.
    pub name: String,
    pub span: Span,
}

/// A declaration inside a struct literal or at file level.
#[derive(Clone, Debug)]
pub enum Decl {
    Field(Field),
    /// An embedded expression: a value written on its own line inside a struct.
    Embed(Expr),
    /// `let X = expr`
    Let(LetClause),
    /// `...` or `...T` in a struct: opens it (T constrains any additional field).
    Ellipsis(Option<Expr>, Span),
    /// A field comprehension: `for k, v in src if cond { ... }`.
    Comprehension(Comprehension),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// `a: x`
    Regular,
    /// `a?: x`
    Optional,
    /// `a!: x`
    Required,
}

/// `label: value`, with its optional/required marker and attributes dropped.
#[derive(Clone, Debug)]
pub struct Field {
    pub label: Label,
    pub constraint: Constraint,
    pub value: Expr,
    pub span: Span,
}

/// A field label, possibly with an alias (`X=label`). Aliases are rare and boxed, so that a
/// label, and with it every field and declaration, stays small to move and to copy.
#[derive(Clone, Debug)]
pub struct Label {
    /// `X` in `X=name: value` (a field alias: X refers to this field's value).
    pub alias: Option<Box<Ident>>,
    /// `Y` in `X=name: Y=value`, when the label has an alias of its own (a value alias on a
    /// label without one is stored as `alias`: both refer to the field's value).
    pub value_alias: Option<Box<Ident>>,
    pub kind: LabelKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum LabelKind {
    /// `name`, `#Def`, `_hidden`.
    Ident(Ident),
    /// `"quoted name"` with no interpolation: a regular field whose name is the decoded string.
    String(String),
    /// `"a-\(x)"`: a dynamic label computed from an interpolation.
    Interpolation(Interpolation),
    /// `(expr)`: a dynamic label.
    Paren(Box<Expr>),
    /// `[expr]` or `[X=expr]`: a pattern constraint applying to every field whose label matches.
    /// `alias` is `X`, bound to the matched label inside the value.
    Pattern {
        alias: Option<Box<Ident>>,
        expr: Box<Expr>,
    },
}

/// `let X = expr`
#[derive(Clone, Debug)]
pub struct LetClause {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Comprehension {
    /// At least one clause; the first is a `for` or an `if`.
    pub clauses: Vec<Clause>,
    /// The struct literal yielded for each iteration (always `ExprKind::Struct`).
    pub body: Box<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Clause {
    /// `for key, value in source` or `for value in source`.
    For {
        key: Option<Ident>,
        value: Ident,
        source: Expr,
        span: Span,
    },
    /// `if cond`
    If(Expr, Span),
    /// `let X = expr`
    Let(LetClause),
}

#[derive(Clone, Debug)]
pub struct Interpolation {
    /// Alternating literal text (already unescaped) and embedded expressions, in source order.
    pub parts: Vec<InterpPart>,
    /// `true` for a bytes literal (`'...\(x)...'`).
    pub bytes: bool,
}

#[derive(Clone, Debug)]
pub enum InterpPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// Any identifier: a reference (`a`, `#D`, `_h`), `_` (top), or a predeclared name
    /// (`int`, `string`, `len`, …); `lower` decides which.
    Ident(Ident),
    /// `_|_`
    Bottom,
    Null,
    Bool(bool),
    /// An integer literal as written, e.g. `1_000`, `0x1F`, `1Ki`, `2.5M` (multipliers make ints).
    Int(String),
    /// A decimal literal as written, e.g. `1.0`, `1e3`, `.5`.
    Float(String),
    /// A string literal, unescaped.
    String(String),
    /// A bytes literal (`'...'`), unescaped.
    Bytes(Vec<u8>),
    Interpolation(Interpolation),
    Struct(Vec<Decl>),
    List(Vec<ListElem>),
    /// `x.name` (also `x."name"`: the string becomes the name).
    Selector(Box<Expr>, Ident),
    /// `x[i]`
    Index(Box<Expr>, Box<Expr>),
    /// `x[lo:hi]`
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `f(a, b)`
    Call(Box<Expr>, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `(x)`: kept so that `*` defaults and error positions behave as written.
    Paren(Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum ListElem {
    Expr(Expr),
    Comprehension(Comprehension),
    /// `...` or `...T`: the list is open; T constrains the extra elements. Always last.
    Ellipsis(Option<Expr>, Span),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
    /// `!x`
    Not,
    /// `*x`: a default marker inside a disjunction.
    Default,
    /// Bounds used as unary operators: `<x`, `<=x`, `>x`, `>=x`, `!=x`, `=~x`, `!~x`, and
    /// `==x` (only in a file that opts into `@experiment(structcmp)`, as in CUE).
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Ne,
    Match,
    NotMatch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `|` (lowest precedence)
    Or,
    /// `&`
    And,
    /// `||`
    LogicalOr,
    /// `&&`
    LogicalAnd,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
    Add,
    Sub,
    Mul,
    /// `/`
    Div,
    // `div`, `mod`, `quo`, `rem` are builtin functions in CUE, called as `div(a, b)`.
}
