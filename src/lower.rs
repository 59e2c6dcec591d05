//! Lowering: the AST of one package → a `Program` of arena-allocated expressions in which every
//! identifier is resolved. References become `(up, target)` pairs counting scope frames outward,
//! labels are interned, predeclared names and imports are bound. Invariant: a frame is pushed
//! here exactly where the evaluator pushes one (struct literals, `for`/`let` clauses, pattern
//! aliases), so `up` counts line up at run time.

mod scope;

use crate::diag::Diag;
use crate::source::Span;
use crate::syntax::ast;
use crate::value::number::{self, Num};
use indexmap::{IndexMap, IndexSet};
use scope::{Binding, Scopes};
use std::rc::Rc;

pub type ExprId = u32;

/// An interned field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// A label of an arc in the value tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    Field(Sym),
    Index(u32),
    /// A `let` declaration, identified by the expression id of its declaration.
    Let(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldClass {
    Regular,
    Definition,
    Hidden,
}

/// Basic kinds as a bit set.
pub mod kind {
    pub const NULL: u16 = 1;
    pub const BOOL: u16 = 2;
    pub const INT: u16 = 4;
    pub const FLOAT: u16 = 8;
    pub const STRING: u16 = 16;
    pub const BYTES: u16 = 32;
    pub const LIST: u16 = 64;
    pub const STRUCT: u16 = 128;
    pub const FUNC: u16 = 256;
    pub const NUMBER: u16 = INT | FLOAT;
    pub const SCALAR: u16 = NULL | BOOL | NUMBER | STRING | BYTES;
    pub const TOP: u16 = SCALAR | LIST | STRUCT;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundOp {
    /// `==x` (`@experiment(structcmp)`): the value equals `x`, which may be a list or struct.
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
pub enum BinOp {
    And,
    LogicalOr,
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
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Plus,
    Not,
}

/// Predeclared functions of the language itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Predeclared {
    Len,
    Close,
    And,
    Or,
    Div,
    Mod,
    Quo,
    Rem,
    MatchN,
    MatchIf,
}

#[derive(Clone, Debug)]
pub enum Ref {
    /// A field or `let` of the struct `up` frames out.
    Field { up: u32, label: Label },
    /// The struct of the frame `up` frames out itself: `X` in `[string]: X={…}`.
    Frame { up: u32 },
    /// Slot `slot` of the binding frame `up` frames out (comprehension variables, `let`
    /// clauses, pattern aliases).
    Var { up: u32, slot: u32 },
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Top,
    Bottom,
    Null,
    Bool(bool),
    /// Shared, so that evaluating the literal copies no digits.
    Num(Rc<Num>),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    /// A basic type (`int`, `string`, …): a kind set.
    Kind(u16),
    Interp {
        parts: Vec<InterpPart>,
        bytes: bool,
    },
    Struct(StructLit),
    List(ListLit),
    Ref(Ref),
    /// An imported package (by path).
    Import(Rc<str>),
    Predeclared(Predeclared),
    Select(ExprId, Sym),
    Index(ExprId, ExprId),
    Slice(ExprId, Option<ExprId>, Option<ExprId>),
    Call(ExprId, Vec<ExprId>),
    Unary(UnOp, ExprId),
    Bound(BoundOp, ExprId),
    Binary(BinOp, ExprId, ExprId),
    /// A disjunction, flattened: alternatives with their default marks.
    Disj(Vec<(ExprId, bool)>),
    /// A reference that could not be resolved (already reported).
    Unresolved(Rc<str>),
}

#[derive(Clone, Debug)]
pub enum InterpPart {
    Lit(Rc<str>),
    Expr(ExprId),
}

#[derive(Clone, Debug)]
pub struct StructLit {
    pub decls: Vec<Decl>,
    /// Whether the literal is a struct on its own (it has fields or no embeddings).
    pub is_struct: bool,
    pub has_ellipsis: bool,
}

#[derive(Clone, Debug)]
pub enum Decl {
    Field {
        label: Label,
        class: FieldClass,
        optional: ast::Constraint,
        value: ExprId,
        span: Span,
    },
    /// A field whose label is computed (`(e)` or an interpolated string).
    Dynamic {
        label: ExprId,
        optional: ast::Constraint,
        value: ExprId,
        span: Span,
    },
    /// `[pattern]: value`; `alias` says whether a binding frame with the label is pushed.
    Pattern {
        pattern: ExprId,
        value: ExprId,
        alias: bool,
        span: Span,
    },
    Embed(ExprId),
    Let {
        label: Label,
        value: ExprId,
    },
    Ellipsis(Option<ExprId>),
    /// Shared: every struct the literal is evaluated into keeps it until its fields are
    /// complete (`eval::Extra::deferred`).
    Comprehension(Rc<Comprehension>),
}

#[derive(Clone, Debug)]
pub struct Comprehension {
    pub clauses: Vec<Clause>,
    /// A struct literal expression.
    pub body: ExprId,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Clause {
    /// Pushes one binding frame: slot 0 the key (if named), slot 1 the value.
    For {
        source: ExprId,
        span: Span,
    },
    If(ExprId),
    /// Pushes one binding frame with the value in slot 0.
    Let(ExprId),
}

#[derive(Clone, Debug)]
pub struct ListLit {
    pub elems: Vec<ListElem>,
    /// `...` or `...T` at the end.
    pub ellipsis: Option<Option<ExprId>>,
}

#[derive(Clone, Debug)]
pub enum ListElem {
    Expr(ExprId),
    Comprehension(Comprehension),
}

/// A lowered package (or a lowered `-e` expression against one).
#[derive(Debug, Default)]
pub struct Program {
    pub exprs: Vec<Expr>,
    pub syms: SymTable,
    /// The values of struct `let`s that refer to themselves through other `let`s' values
    /// (`let A = {c: B}`, `let B = A`): the evaluator checks their structs for a cycle through
    /// `let`s even where no field uses them (`eval::structs::let_cycle_of`).
    pub cyclic_lets: std::collections::BTreeSet<ExprId>,
}

/// Field names by symbol. Hashed with foldhash (fixed seed): interning and computed labels
/// look names up all the time, and the set is only ever iterated by index.
pub type SymTable = IndexSet<String, foldhash::fast::FixedState>;

impl Program {
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id as usize]
    }

    pub fn sym(&mut self, name: &str) -> Sym {
        if let Some(i) = self.syms.get_index_of(name) {
            return Sym(i as u32);
        }
        Sym(self.syms.insert_full(name.to_string()).0 as u32)
    }

    pub fn sym_name(&self, s: Sym) -> &str {
        &self.syms[s.0 as usize]
    }

    /// The symbol of a regular field written as a quoted string.
    pub fn quoted_sym(&mut self, name: &str) -> Sym {
        if name.starts_with(['#', '_']) {
            self.sym(&format!("{QUOTED_MARK}{name}"))
        } else {
            self.sym(name)
        }
    }

    /// The field name as it appears in output (without the quoting mark or a hidden
    /// field's package).
    pub fn field_name(&self, s: Sym) -> &str {
        shown_name(self.sym_name(s))
    }

    pub fn add(&mut self, kind: ExprKind, span: Span) -> ExprId {
        self.exprs.push(Expr { kind, span });
        self.exprs.len() as u32 - 1
    }

    /// A label as CUE prints it in paths: identifiers bare, others quoted.
    pub fn label_name(&self, l: Label) -> String {
        match l {
            Label::Field(s) => {
                let n = hidden_name(self.sym_name(s));
                if let Some(q) = n.strip_prefix(QUOTED_MARK) {
                    format!("{q:?}")
                } else if is_identifier(n) {
                    n.to_string()
                } else {
                    format!("{n:?}")
                }
            }
            Label::Index(i) => i.to_string(),
            Label::Let(_) => "let".to_string(),
        }
    }
}

pub fn field_class(name: &str) -> FieldClass {
    if name.starts_with(QUOTED_MARK) {
        FieldClass::Regular
    } else if name.starts_with('#') {
        FieldClass::Definition
    } else if name.starts_with('_') && name != "_" {
        FieldClass::Hidden
    } else {
        FieldClass::Regular
    }
}

/// Whether a field of this name is a definition, closed where it is used: `#A`, and the
/// hidden definition `_#A` (hidden as well: package-scoped and never exported).
pub fn is_definition_name(name: &str) -> bool {
    name.starts_with('#') || name.starts_with("_#")
}

/// Whether `s` can be written as a bare identifier label.
pub fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c.is_alphabetic() || c == '#' || c == '$' || c == '_' => {}
        _ => return false,
    }
    s != "_" && cs.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Quoted labels that start with `#` or `_` are regular fields; they are interned with a leading
/// NUL so that they never collide with the definition or hidden field of the same spelling.
pub const QUOTED_MARK: char = '\0';

/// Hidden fields belong to their package (CUE): in an imported module package `_x` is interned
/// as `_x`, this mark and the package's import path, so that it never meets the importer's `_x`.
pub const HIDDEN_MARK: char = '\u{1}';

/// A hidden field's name without its package (`hidden_name("_x\u{1}a.b/c:c")` is `_x`).
pub fn hidden_name(n: &str) -> &str {
    // Only hidden names (`_x`, `_#x`) carry the mark: the rest are returned without a scan.
    if !n.starts_with('_') {
        return n;
    }
    match n.split_once(HIDDEN_MARK) {
        Some((name, _)) => name,
        None => n,
    }
}

/// A symbol's name as output shows it: without the quoting mark or a hidden field's package.
pub fn shown_name(n: &str) -> &str {
    let n = hidden_name(n);
    n.strip_prefix(QUOTED_MARK).unwrap_or(n)
}

/// One file of the package with the imports it declares.
pub struct FileInput<'a> {
    pub file: &'a ast::File,
}

/// Lowers the files of one package into one root struct literal. Returns the program, the root
/// expression and the problems found (unresolved references, bad imports…).
pub fn lower_package(
    prog: &mut Program,
    files: &[&ast::File],
    root_span: Span,
) -> (ExprId, Lowered) {
    lower_package_in(prog, files, root_span, None)
}

/// `lower_package` for an imported module package: its hidden fields are its own
/// (`HIDDEN_MARK`), `package` being its canonical import path.
pub fn lower_package_in(
    prog: &mut Program,
    files: &[&ast::File],
    root_span: Span,
    package: Option<&str>,
) -> (ExprId, Lowered) {
    let mut cx = Lower {
        hidden_scope: package.map(str::to_string),
        let_values: Vec::new(),
        field_syms: Vec::new(),
        prog,
        diags: Vec::new(),
        scopes: Scopes::default(),
        let_counter: 0,
        lowering_field: None,
        warnings: Vec::new(),
        refs: Vec::new(),
        root_fallback: false,
    };
    // Names declared at the top of any file are visible in all files of the package.
    let mut top = cx.scopes.new_struct_scope();
    for f in files {
        cx.declare_struct_names(&mut top, &f.decls);
    }
    cx.scopes.push(top);
    let mut decls = Vec::new();
    let mut is_struct = false;
    let mut has_ellipsis = false;
    let mut next_sym = 0;
    for f in files {
        cx.scopes.set_imports(&f.imports);
        for imp in &f.imports {
            if !crate::load::package_known(&imp.path)
                && !crate::load::module::is_module_import(&imp.path)
            {
                let known: Vec<&str> = crate::eval::builtins::packages()
                    .filter(|p| !p.starts_with("orche/"))
                    .collect();
                cx.diags.push(
                    Diag::new(
                        "orche::load::import",
                        format!("import {:?} not found", imp.path),
                    )
                    .with_label(imp.span, "unknown package")
                    .with_help(format!(
                        "builtin packages: {}; orche/… for the standard library",
                        known.join(", ")
                    )),
                );
            }
        }
        let lit = cx.struct_decls(&f.decls, &mut next_sym);
        is_struct |= lit.is_struct;
        has_ellipsis |= lit.has_ellipsis;
        decls.extend(lit.decls);
    }
    cx.scopes.set_imports(&[]);
    cx.scopes.pop();
    cx.unused_warnings();
    cx.note_cyclic_lets();
    let root = cx.prog.add(
        ExprKind::Struct(StructLit {
            decls,
            is_struct: is_struct || files.is_empty(),
            has_ellipsis,
        }),
        root_span,
    );
    (
        root,
        Lowered {
            diags: cx.diags,
            warnings: cx.warnings,
            refs: cx.refs,
        },
    )
}

/// What lowering a package reported besides its expression.
#[derive(Debug, Default)]
pub struct Lowered {
    pub diags: Vec<Diag>,
    /// `orche::lint::…` warnings: an unused `let` or import, a reference that names its own
    /// field where an outer field of the same name was meant.
    pub warnings: Vec<Diag>,
    /// Every reference whose declaration lowering knows, in source order.
    pub refs: Vec<Reference>,
}

/// A name used at `at` and what it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub at: Span,
    pub to: Target,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A field, `let` or import declared at this span (its label or name).
    Span(Span),
    /// `name` at the top of the imported package `path` (`federation.#Federation`).
    Package { path: String, name: String },
}

/// Lowers an expression evaluated at the top of a package (the `-e` flag): names resolve in the
/// package's root struct, which the evaluator supplies as the only frame.
pub fn lower_expr_in_root(
    prog: &mut Program,
    expr: &ast::Expr,
    files: &[&ast::File],
) -> (ExprId, Vec<Diag>) {
    let mut cx = Lower {
        prog,
        diags: Vec::new(),
        scopes: Scopes::default(),
        let_counter: 1 << 30,
        lowering_field: None,
        warnings: Vec::new(),
        refs: Vec::new(),
        root_fallback: true,
        hidden_scope: None,
        let_values: Vec::new(),
        field_syms: Vec::new(),
    };
    let mut top = cx.scopes.new_struct_scope();
    for f in files {
        cx.declare_struct_names(&mut top, &f.decls);
    }
    cx.scopes.push(top);
    if let Some(f) = files.first() {
        cx.scopes.set_imports(&f.imports);
    }
    let id = cx.expr(expr);
    (id, cx.diags)
}

/// `'a` is the AST's lifetime: scopes borrow their names from it.
struct Lower<'p, 'a> {
    prog: &'p mut Program,
    diags: Vec<Diag>,
    scopes: Scopes<'a>,
    let_counter: u32,
    /// The field whose value is being lowered: its name (interned by `declare_struct_names`)
    /// and the stack index of the struct scope that declares it.
    lowering_field: Option<(Sym, usize)>,
    /// `orche::lint::…` warnings found so far.
    warnings: Vec<Diag>,
    /// Resolved references, for go to definition.
    refs: Vec<Reference>,
    /// For `-e`: a name not declared in the files refers to a field of the evaluated root
    /// (one that an embedding, such as `federation.#Federation & {…}`, brings).
    root_fallback: bool,
    /// The import path of the module package being lowered (its hidden fields are its own).
    hidden_scope: Option<String>,
    /// Struct `let` ids and their values' expressions, for `Program::cyclic_lets`.
    let_values: Vec<(u32, ExprId)>,
    /// The symbols of the identifier labels of the struct literals being lowered, innermost
    /// last, in source order: `declare_struct_names` interns each label and `struct_decls`
    /// takes the symbol from here rather than hashing the name again.
    field_syms: Vec<Sym>,
}

impl<'a> Lower<'_, 'a> {
    /// Records in `Program::cyclic_lets` the values of the `let`s on a cycle of references
    /// between `let` values (a strongly connected component of more than one `let`).
    fn note_cyclic_lets(&mut self) {
        if self.scopes.let_edges.is_empty() {
            return;
        }
        let mut g = petgraph::graph::DiGraph::<u32, ()>::new();
        let mut nodes: IndexMap<u32, petgraph::graph::NodeIndex> = IndexMap::new();
        for &(id, _) in &self.let_values {
            nodes.insert(id, g.add_node(id));
        }
        for &(a, b) in &self.scopes.let_edges {
            if let (Some(&x), Some(&y)) = (nodes.get(&a), nodes.get(&b)) {
                g.add_edge(x, y, ());
            }
        }
        let values: IndexMap<u32, ExprId> = self.let_values.iter().copied().collect();
        for scc in petgraph::algo::tarjan_scc(&g) {
            if scc.len() < 2 {
                continue;
            }
            for n in scc {
                if let Some(&e) = values.get(&g[n]) {
                    self.prog.cyclic_lets.insert(e);
                }
            }
        }
        self.scopes.let_edges.clear();
    }

    /// The symbol of an identifier label or reference: a hidden name in an imported module
    /// package carries the package (`HIDDEN_MARK`).
    fn ident_sym(&mut self, name: &str) -> Sym {
        match &self.hidden_scope {
            Some(p) if field_class(name) == FieldClass::Hidden => {
                self.prog.sym(&format!("{name}{HIDDEN_MARK}{p}"))
            }
            _ => self.prog.sym(name),
        }
    }

    /// Warnings for every `let` that no reference used; errors for unused imports.
    fn unused_warnings(&mut self) {
        for t in self.scopes.tracked.iter().filter(|t| !t.used) {
            let d = match t.kind {
                scope::TrackedKind::Let => Diag::warning(
                    "orche::lint::unused_let",
                    format!("let {} is never used", t.name),
                )
                .with_label(t.span, "declared here")
                .with_help("remove it, or use it (cue rejects an unused let as an error)"),
                // An error, as in CUE.
                scope::TrackedKind::Import => {
                    self.diags.push(
                        Diag::new(
                            "orche::load::unused_import",
                            format!("imported and not used: {:?}", t.name),
                        )
                        .with_label(t.span, "imported here")
                        .with_help("remove the import, or use the package"),
                    );
                    continue;
                }
            };
            self.warnings.push(d);
        }
    }

    /// Warns when `name` in the value of the field `name: …` refers to that field itself while
    /// an enclosing struct declares a field or `let` `name` too: the outer one was almost
    /// certainly meant, and the field as written can never be concrete.
    fn check_shadowing(&mut self, i: &ast::Ident) {
        let Some((own, at)) = &self.lowering_field else {
            return;
        };
        if hidden_name(self.prog.sym_name(*own)) != i.name
            || self.scopes.binder(&i.name) != Some(*at)
        {
            return;
        }
        let Some(outer) = self.scopes.outer_declaration(&i.name, *at) else {
            return;
        };
        self.warnings.push(
            Diag::warning(
                "orche::lint::shadowed_reference",
                format!(
                    "reference {:?} refers to the field it is the value of, not to the outer {:?} it shadows",
                    i.name, i.name
                ),
            )
            .with_label(i.span, "this is the field itself")
            .with_label(outer, "the outer declaration it shadows")
            .with_help(format!(
                "refer to the outer one by another name (an alias `N={0}: …`, or a `let`, then `{0}: N`); as written the field refers to itself and is never concrete",
                i.name
            )),
        );
    }

    fn declare_struct_names(&mut self, scope: &mut scope::Scope<'a>, decls: &'a [ast::Decl]) {
        for d in decls {
            match d {
                ast::Decl::Field(f) => {
                    let name = match &f.label.kind {
                        ast::LabelKind::Ident(i) => Some(i.name.as_str()),
                        ast::LabelKind::String(s) => {
                            // Quoted labels are not referable by name, but aliases are.
                            let _ = s;
                            None
                        }
                        _ => None,
                    };
                    if let Some(n) = name {
                        let s = self.ident_sym(n);
                        self.field_syms.push(s);
                        scope.declare(n, Binding::Field(Label::Field(s)), f.label.span, false);
                    }
                    let dynamic = matches!(
                        f.label.kind,
                        ast::LabelKind::Interpolation(_) | ast::LabelKind::Paren(_)
                    );
                    // A value alias of a static label is bound around the value (`field_value`).
                    let value_alias = f.label.value_alias.iter().filter(|_| dynamic);
                    for alias in f.label.alias.iter().chain(value_alias) {
                        // A field alias refers to the field; for dynamic labels the label is
                        // only known at run time, so such aliases resolve to the field name
                        // when static.
                        let label = match &f.label.kind {
                            ast::LabelKind::Ident(i) => Some(Label::Field(self.ident_sym(&i.name))),
                            ast::LabelKind::String(s) => {
                                Some(Label::Field(self.prog.quoted_sym(s)))
                            }
                            _ => None,
                        };
                        match label {
                            Some(l) => {
                                scope.bind(&alias.name, Binding::Field(l));
                            }
                            None if matches!(
                                f.label.kind,
                                ast::LabelKind::Interpolation(_) | ast::LabelKind::Paren(_)
                            ) =>
                            {
                                // A dynamic field's alias is bound like a `let` to the
                                // field's value (lowered again in `struct_decls`).
                                self.let_counter += 1;
                                scope.bind(
                                    &alias.name,
                                    Binding::Field(Label::Let(self.let_counter)),
                                );
                                scope.lets.push(self.let_counter);
                            }
                            None => {}
                        }
                    }
                }
                ast::Decl::Let(l) => {
                    self.let_counter += 1;
                    scope.declare(
                        &l.name.name,
                        Binding::Field(Label::Let(self.let_counter)),
                        l.name.span,
                        true,
                    );
                    scope.lets.push(self.let_counter);
                    self.scopes.track_let(self.let_counter, &l.name);
                }
                _ => {}
            }
        }
    }

    fn add(&mut self, kind: ExprKind, span: Span) -> ExprId {
        self.prog.add(kind, span)
    }

    fn struct_lit(&mut self, decls: &'a [ast::Decl], span: Span) -> ExprId {
        self.struct_lit_named(decls, span, &[])
    }

    /// A struct literal whose scope also binds `names` to the struct itself.
    fn struct_lit_named(
        &mut self,
        decls: &'a [ast::Decl],
        span: Span,
        names: &[&'a ast::Ident],
    ) -> ExprId {
        let mut scope = self.scopes.new_struct_scope();
        for n in names {
            scope.bind(&n.name, Binding::Frame);
        }
        let mark = self.field_syms.len();
        self.declare_struct_names(&mut scope, decls);
        self.scopes.push(scope);
        let mut next_sym = mark;
        let lit = self.struct_decls(decls, &mut next_sym);
        self.scopes.pop();
        self.field_syms.truncate(mark);
        self.add(ExprKind::Struct(lit), span)
    }

    /// Lowers declarations in the current (already pushed) struct scope. `next_sym` indexes
    /// `field_syms` at the symbol of the first identifier label of `decls`.
    fn struct_decls(&mut self, decls: &'a [ast::Decl], next_sym: &mut usize) -> StructLit {
        let mut out = Vec::new();
        let mut has_embed = false;
        let mut has_field = false;
        let mut has_ellipsis = false;
        let mut let_iter = 0usize;
        for d in decls {
            match d {
                ast::Decl::Field(f) => {
                    let is_pattern = matches!(f.label.kind, ast::LabelKind::Pattern { .. });
                    // While the value of `name: …` is lowered, a reference `name` in it is
                    // checked for shadowing an outer `name` (`shadowed_reference`).
                    let own = match &f.label.kind {
                        ast::LabelKind::Ident(_) => {
                            let sym = self.field_syms[*next_sym];
                            *next_sym += 1;
                            Some((sym, self.scopes.len().saturating_sub(1)))
                        }
                        _ => None,
                    };
                    let outer = std::mem::replace(&mut self.lowering_field, own);
                    let value = if is_pattern { 0 } else { self.field_value(f) };
                    self.lowering_field = outer;
                    match &f.label.kind {
                        ast::LabelKind::Ident(i) => {
                            let class = field_class(&i.name);
                            has_field |= class == FieldClass::Regular;
                            // The symbol taken for `own` above.
                            let label = Label::Field(self.field_syms[*next_sym - 1]);
                            out.push(Decl::Field {
                                label,
                                class,
                                optional: f.constraint,
                                value,
                                span: f.label.span,
                            });
                        }
                        ast::LabelKind::String(s) => {
                            has_field = true;
                            let label = Label::Field(self.prog.quoted_sym(s));
                            out.push(Decl::Field {
                                label,
                                class: FieldClass::Regular,
                                optional: f.constraint,
                                value,
                                span: f.label.span,
                            });
                        }
                        ast::LabelKind::Interpolation(_) | ast::LabelKind::Paren(_) => {
                            has_field = true;
                            let label = match &f.label.kind {
                                ast::LabelKind::Interpolation(ip) => {
                                    self.interpolation(ip, f.label.span)
                                }
                                ast::LabelKind::Paren(e) => self.expr(e),
                                _ => unreachable!("matched above"),
                            };
                            for _ in f.label.alias.iter().chain(&f.label.value_alias) {
                                // The alias's `let` (see `declare_struct_names`).
                                let id = self.scopes.current_let(let_iter);
                                let_iter += 1;
                                let value = self.field_value(f);
                                out.push(Decl::Let {
                                    label: Label::Let(id),
                                    value,
                                });
                            }
                            out.push(Decl::Dynamic {
                                label,
                                optional: f.constraint,
                                value,
                                span: f.label.span,
                            });
                        }
                        ast::LabelKind::Pattern { alias, expr } => {
                            has_field = true;
                            let pattern = self.expr(expr);
                            // The pattern alias frame is pushed around the value.
                            let value = if let Some(a) = alias {
                                self.scopes.push_vars(&[&a.name]);
                                let v = self.field_value(f);
                                self.scopes.pop();
                                v
                            } else {
                                self.pattern_value(f)
                            };
                            out.push(Decl::Pattern {
                                pattern,
                                value,
                                alias: alias.is_some(),
                                span: f.label.span,
                            });
                        }
                    }
                }
                ast::Decl::Embed(e) => {
                    has_embed = true;
                    let id = self.expr(e);
                    out.push(Decl::Embed(id));
                }
                ast::Decl::Let(l) => {
                    let id = self.scopes.current_let(let_iter);
                    let_iter += 1;
                    self.scopes.let_stack.push(id);
                    let value = self.expr(&l.value);
                    self.scopes.let_stack.pop();
                    self.let_values.push((id, value));
                    out.push(Decl::Let {
                        label: Label::Let(id),
                        value,
                    });
                }
                ast::Decl::Ellipsis(t, _) => {
                    has_ellipsis = true;
                    let t = t.as_ref().map(|e| self.expr(e));
                    out.push(Decl::Ellipsis(t));
                }
                ast::Decl::Comprehension(c) => {
                    has_field = true;
                    let c = self.comprehension(c);
                    out.push(Decl::Comprehension(Rc::new(c)));
                }
            }
        }
        StructLit {
            decls: out,
            is_struct: has_field || !has_embed,
            has_ellipsis,
        }
    }

    /// The value of a pattern constraint: aliases of the label (`X=[string]: {…}`) or of the
    /// value (`[string]: X={…}`) refer to each matching field's value, which is the struct
    /// literal itself when the value is one.
    fn pattern_value(&mut self, f: &'a ast::Field) -> ExprId {
        let names: Vec<&'a ast::Ident> = f
            .label
            .alias
            .iter()
            .chain(&f.label.value_alias)
            .map(|a| &**a)
            .collect();
        match &f.value.kind {
            ast::ExprKind::Struct(decls) if !names.is_empty() => {
                self.struct_lit_named(decls, f.value.span, &names)
            }
            _ => self.field_value(f),
        }
    }

    fn field_value(&mut self, f: &'a ast::Field) -> ExprId {
        let Some(alias) = &f.label.value_alias else {
            return self.expr(&f.value);
        };
        // On a struct literal the alias is the struct itself: where the field is used through a
        // reference (`#Obj: X={…}` unified into `Bar`), X is that instance.
        if let ast::ExprKind::Struct(decls) = &f.value.kind {
            return self.struct_lit_named(decls, f.value.span, &[alias]);
        }
        let label = match &f.label.kind {
            ast::LabelKind::Ident(i) => Label::Field(self.ident_sym(&i.name)),
            ast::LabelKind::String(s) => Label::Field(self.prog.quoted_sym(s)),
            _ => return self.expr(&f.value),
        };
        // A value alias on a static label: visible in the value only.
        self.scopes.push_value_alias(&alias.name, label);
        let e = self.expr(&f.value);
        self.scopes.pop();
        e
    }

    fn comprehension(&mut self, c: &'a ast::Comprehension) -> Comprehension {
        let mut clauses = Vec::new();
        let mut pushed = 0;
        for cl in &c.clauses {
            match cl {
                ast::Clause::For {
                    key,
                    value,
                    source,
                    span,
                } => {
                    let src = self.expr(source);
                    let key = key.as_ref().map_or("", |k| k.name.as_str());
                    self.scopes.push_vars(&[key, &value.name]);
                    pushed += 1;
                    clauses.push(Clause::For {
                        source: src,
                        span: *span,
                    });
                }
                ast::Clause::If(e, _) => {
                    let id = self.expr(e);
                    clauses.push(Clause::If(id));
                }
                ast::Clause::Let(l) => {
                    let id = self.expr(&l.value);
                    self.scopes.push_let_var(&l.name);
                    pushed += 1;
                    clauses.push(Clause::Let(id));
                }
            }
        }
        let body = match &c.body.kind {
            ast::ExprKind::Struct(decls) => self.struct_lit(decls, c.body.span),
            _ => self.expr(&c.body),
        };
        for _ in 0..pushed {
            self.scopes.pop();
        }
        Comprehension {
            clauses,
            body,
            span: c.span,
        }
    }

    fn interpolation(&mut self, ip: &'a ast::Interpolation, span: Span) -> ExprId {
        let parts = ip
            .parts
            .iter()
            .map(|p| match p {
                ast::InterpPart::Lit(s) => InterpPart::Lit(s.as_str().into()),
                ast::InterpPart::Expr(e) => InterpPart::Expr(self.expr(e)),
            })
            .collect();
        self.add(
            ExprKind::Interp {
                parts,
                bytes: ip.bytes,
            },
            span,
        )
    }

    fn expr(&mut self, e: &'a ast::Expr) -> ExprId {
        let span = e.span;
        let kind = match &e.kind {
            ast::ExprKind::Ident(i) => return self.ident(i),
            ast::ExprKind::Bottom => ExprKind::Bottom,
            ast::ExprKind::Null => ExprKind::Null,
            ast::ExprKind::Bool(b) => ExprKind::Bool(*b),
            ast::ExprKind::Int(t) | ast::ExprKind::Float(t) => match number::parse_literal(t) {
                Some(n) if number::in_range(&n) => ExprKind::Num(Rc::new(n)),
                _ if number::literal_out_of_range(t) => {
                    self.diags.push(number_out_of_range(t, span));
                    ExprKind::Bottom
                }
                _ => {
                    self.diags.push(
                        Diag::new(
                            "orche::syntax::number",
                            format!("invalid number literal {t}"),
                        )
                        .with_label(span, "not a number"),
                    );
                    ExprKind::Bottom
                }
            },
            ast::ExprKind::String(s) => ExprKind::Str(s.as_str().into()),
            ast::ExprKind::Bytes(b) => ExprKind::Bytes(b.as_slice().into()),
            ast::ExprKind::Interpolation(ip) => return self.interpolation(ip, span),
            ast::ExprKind::Struct(decls) => return self.struct_lit(decls, span),
            ast::ExprKind::List(elems) => {
                let mut out = Vec::new();
                let mut ellipsis = None;
                for el in elems {
                    match el {
                        ast::ListElem::Expr(x) => out.push(ListElem::Expr(self.expr(x))),
                        ast::ListElem::Comprehension(c) => {
                            let c = self.comprehension(c);
                            out.push(ListElem::Comprehension(c))
                        }
                        ast::ListElem::Ellipsis(t, _) => {
                            ellipsis = Some(t.as_ref().map(|x| self.expr(x)))
                        }
                    }
                }
                ExprKind::List(ListLit {
                    elems: out,
                    ellipsis,
                })
            }
            ast::ExprKind::Selector(x, name) => {
                // `pkg.Name` on an import: a reference into that package (for go to definition).
                if let ast::ExprKind::Ident(i) = &x.kind {
                    if let Some((_, Binding::Import(path))) = self.scopes.peek(&i.name) {
                        self.refs.push(Reference {
                            at: name.span,
                            to: Target::Package {
                                path: path.to_string(),
                                name: name.name.clone(),
                            },
                        });
                    }
                }
                let x = self.expr(x);
                ExprKind::Select(x, self.ident_sym(&name.name))
            }
            ast::ExprKind::Index(x, i) => {
                let x = self.expr(x);
                let i = self.expr(i);
                ExprKind::Index(x, i)
            }
            ast::ExprKind::Slice(x, lo, hi) => {
                let x = self.expr(x);
                let lo = lo.as_ref().map(|e| self.expr(e));
                let hi = hi.as_ref().map(|e| self.expr(e));
                ExprKind::Slice(x, lo, hi)
            }
            ast::ExprKind::Call(f, args) => {
                let f = self.expr(f);
                let args = args.iter().map(|a| self.expr(a)).collect();
                ExprKind::Call(f, args)
            }
            ast::ExprKind::Unary(op, x) => {
                let xid = self.expr(x);
                match op {
                    ast::UnaryOp::Neg => ExprKind::Unary(UnOp::Neg, xid),
                    ast::UnaryOp::Plus => ExprKind::Unary(UnOp::Plus, xid),
                    ast::UnaryOp::Not => ExprKind::Unary(UnOp::Not, xid),
                    ast::UnaryOp::Default => ExprKind::Disj(vec![(xid, true)]),
                    ast::UnaryOp::Lt => ExprKind::Bound(BoundOp::Lt, xid),
                    ast::UnaryOp::Le => ExprKind::Bound(BoundOp::Le, xid),
                    ast::UnaryOp::Gt => ExprKind::Bound(BoundOp::Gt, xid),
                    ast::UnaryOp::Ge => ExprKind::Bound(BoundOp::Ge, xid),
                    ast::UnaryOp::Eq => ExprKind::Bound(BoundOp::Eq, xid),
                    ast::UnaryOp::Ne => ExprKind::Bound(BoundOp::Ne, xid),
                    ast::UnaryOp::Match => ExprKind::Bound(BoundOp::Match, xid),
                    ast::UnaryOp::NotMatch => ExprKind::Bound(BoundOp::NotMatch, xid),
                }
            }
            ast::ExprKind::Binary(ast::BinaryOp::Or, _, _) => {
                let mut alts = Vec::new();
                self.flatten_or(e, &mut alts);
                ExprKind::Disj(alts)
            }
            ast::ExprKind::Binary(op, a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                let op = match op {
                    ast::BinaryOp::Or => unreachable!("handled above"),
                    ast::BinaryOp::And => BinOp::And,
                    ast::BinaryOp::LogicalOr => BinOp::LogicalOr,
                    ast::BinaryOp::LogicalAnd => BinOp::LogicalAnd,
                    ast::BinaryOp::Eq => BinOp::Eq,
                    ast::BinaryOp::Ne => BinOp::Ne,
                    ast::BinaryOp::Lt => BinOp::Lt,
                    ast::BinaryOp::Le => BinOp::Le,
                    ast::BinaryOp::Gt => BinOp::Gt,
                    ast::BinaryOp::Ge => BinOp::Ge,
                    ast::BinaryOp::Match => BinOp::Match,
                    ast::BinaryOp::NotMatch => BinOp::NotMatch,
                    ast::BinaryOp::Add => BinOp::Add,
                    ast::BinaryOp::Sub => BinOp::Sub,
                    ast::BinaryOp::Mul => BinOp::Mul,
                    ast::BinaryOp::Div => BinOp::Div,
                };
                ExprKind::Binary(op, a, b)
            }
            ast::ExprKind::Paren(x) => {
                // A parenthesised disjunction is one alternative of an outer disjunction, so
                // parentheses end flattening; otherwise they are transparent.
                return self.expr(x);
            }
        };
        self.add(kind, span)
    }

    fn flatten_or(&mut self, e: &'a ast::Expr, out: &mut Vec<(ExprId, bool)>) {
        match &e.kind {
            ast::ExprKind::Binary(ast::BinaryOp::Or, a, b) => {
                self.flatten_or(a, out);
                self.flatten_or(b, out);
            }
            ast::ExprKind::Unary(ast::UnaryOp::Default, x) => {
                let id = self.expr(x);
                out.push((id, true));
            }
            _ => {
                let id = self.expr(e);
                out.push((id, false));
            }
        }
    }

    fn ident(&mut self, i: &ast::Ident) -> ExprId {
        let span = i.span;
        self.check_shadowing(i);
        if let Some((up, b, decl)) = self.scopes.lookup(&i.name) {
            if let Some(decl) = decl {
                self.refs.push(Reference {
                    at: span,
                    to: Target::Span(decl),
                });
            }
            let kind = match b {
                Binding::Field(label) => ExprKind::Ref(Ref::Field { up, label }),
                Binding::Frame => ExprKind::Ref(Ref::Frame { up }),
                Binding::Var(slot) => ExprKind::Ref(Ref::Var { up, slot }),
                Binding::Import(path) => ExprKind::Import(path),
            };
            return self.add(kind, span);
        }
        if let Some(kind) = predeclared(&i.name, self) {
            return self.add(kind, span);
        }
        if self.root_fallback && self.scopes.depth() > 0 {
            let label = Label::Field(self.ident_sym(&i.name));
            let up = (self.scopes.depth() - 1) as u32;
            return self.add(ExprKind::Ref(Ref::Field { up, label }), span);
        }
        self.diags.push(
            Diag::new(
                "orche::lower::unresolved",
                format!("reference {:?} not found", i.name),
            )
            .with_label(span, "not defined in any enclosing scope"),
        );
        self.add(ExprKind::Unresolved(i.name.as_str().into()), span)
    }
}

fn predeclared(name: &str, cx: &mut Lower) -> Option<ExprKind> {
    use kind::*;
    let k = |k| Some(ExprKind::Kind(k));
    match name {
        "_" => Some(ExprKind::Top),
        // CUE's test suites write `x & __no_sharing` to turn off structure sharing for `x`;
        // it means top, and orche shares only plain references, which this is not.
        "__no_sharing" => Some(ExprKind::Top),
        "null" => Some(ExprKind::Null),
        "bool" => k(BOOL),
        "int" => k(INT),
        "float" => k(FLOAT),
        "number" => k(NUMBER),
        "string" => k(STRING),
        "bytes" => k(BYTES),
        "len" => Some(ExprKind::Predeclared(Predeclared::Len)),
        "close" => Some(ExprKind::Predeclared(Predeclared::Close)),
        "and" => Some(ExprKind::Predeclared(Predeclared::And)),
        "or" => Some(ExprKind::Predeclared(Predeclared::Or)),
        "div" => Some(ExprKind::Predeclared(Predeclared::Div)),
        "mod" => Some(ExprKind::Predeclared(Predeclared::Mod)),
        "quo" => Some(ExprKind::Predeclared(Predeclared::Quo)),
        "rem" => Some(ExprKind::Predeclared(Predeclared::Rem)),
        "matchN" => Some(ExprKind::Predeclared(Predeclared::MatchN)),
        "matchIf" => Some(ExprKind::Predeclared(Predeclared::MatchIf)),
        "int8" | "int16" | "int32" | "int64" | "int128" | "uint" | "uint8" | "uint16"
        | "uint32" | "uint64" | "uint128" | "rune" | "byte" | "float32" | "float64" => {
            Some(sized_type(name, cx))
        }
        _ => None,
    }
}

/// `int32` and friends: `int & >=min & <=max`.
fn sized_type(name: &str, cx: &mut Lower) -> ExprKind {
    let span = Span::default();
    let (lo, hi, k): (String, Option<String>, u16) = match name {
        "uint" => ("0".into(), None, kind::INT),
        "byte" => ("0".into(), Some("255".into()), kind::INT),
        "rune" => ("0".into(), Some("1114111".into()), kind::INT),
        "float32" => (
            "-3.40282346638528859811704183484516925440e+38".into(),
            Some("3.40282346638528859811704183484516925440e+38".into()),
            kind::NUMBER,
        ),
        "float64" => (
            "-1.797693134862315708145274237317043567981e+308".into(),
            Some("1.797693134862315708145274237317043567981e+308".into()),
            kind::NUMBER,
        ),
        _ => {
            let unsigned = name.starts_with('u');
            let bits: u32 = name
                .trim_start_matches("uint")
                .trim_start_matches("int")
                .parse()
                .unwrap_or(64);
            if unsigned {
                (
                    "0".into(),
                    Some({
                        let m: num_bigint::BigInt =
                            num_traits::pow(num_bigint::BigInt::from(2), bits as usize);
                        (m - num_bigint::BigInt::from(1)).to_string()
                    }),
                    kind::INT,
                )
            } else {
                let half: num_bigint::BigInt =
                    num_traits::pow(num_bigint::BigInt::from(2), bits as usize - 1);
                (
                    (-half.clone()).to_string(),
                    Some((half - num_bigint::BigInt::from(1)).to_string()),
                    kind::INT,
                )
            }
        }
    };
    let mut parts = Vec::new();
    let num = |s: &str| {
        number::parse_literal(s)
            .or_else(|| number::parse_decimal(s).map(Num::Float))
            .unwrap_or(Num::from_i64(0))
    };
    let lo_id = cx.add(ExprKind::Num(Rc::new(num(&lo))), span);
    parts.push(cx.add(ExprKind::Bound(BoundOp::Ge, lo_id), span));
    if let Some(h) = hi {
        let hi_id = cx.add(ExprKind::Num(Rc::new(num(&h))), span);
        parts.push(cx.add(ExprKind::Bound(BoundOp::Le, hi_id), span));
    }
    let mut acc = cx.add(ExprKind::Kind(k), span);
    for p in parts {
        acc = cx.add(ExprKind::Binary(BinOp::And, acc, p), span);
    }
    cx.prog
        .exprs
        .pop()
        .map(|e| e.kind)
        .unwrap_or(ExprKind::Kind(k))
}

/// The error of a number literal beyond orche's range (`number::in_range`).
fn number_out_of_range(text: &str, span: Span) -> Diag {
    Diag::new(
        "orche::limit::number",
        format!(
            "number {text} is out of range: orche's numbers have decimal exponents within ±{}",
            crate::limit::MAX_EXPONENT
        ),
    )
    .with_label(span, "out of range")
    .with_help("see docs/diagnostics.md#orchelimitnumber")
}
