//! Evaluation: unification of conjuncts into a tree of vertices.
//!
//! A vertex is one node of the value tree (a field, a list element, the root). It owns the
//! conjuncts that contribute to it: lowered expressions paired with the environment they are
//! evaluated in. Expanding a vertex processes its conjuncts: struct literals add arcs (child
//! vertices) with conjuncts of their own, references inline the conjuncts of the vertex they name
//! (so definitions are re-bound to the place they are used), scalars meet into the vertex's base
//! value, disjunctions are resolved by evaluating one clone per alternative. Invariant: every
//! failure becomes a `Bot` stored on the vertex where it arose; the evaluator itself never
//! panics on user input and never recurses without a depth bound.

pub mod builtins;
mod comprehension;
mod disjunct;
mod expr;
mod graph_call;
mod matchn;
mod order;
mod report;
mod structs;
mod unify;

use crate::diag::Diag;
use crate::lower::{ExprId, Label, Program};
use crate::source::Span;
use crate::value::Num;
use indexmap::IndexMap;
use smallvec::SmallVec;
use std::rc::Rc;
use thin_vec::ThinVec;

pub use report::{
    export_to, export_vertex as export_value, to_diags as report_to_diags, ExportMode,
};
pub use unify::default_of as default_val;
/// The kinds a value allows (`lower::kind` bits), as cue's `IncompleteKind` counts them.
pub use unify::kind_of as kind_of_val;
pub use unify::show as show_val;

pub type VId = u32;

/// No vertex (an id the arena never reaches).
pub const NO_VID: VId = VId::MAX;
/// The label of a vertex evaluated apart from the tree (an operand, a builtin's argument).
pub const ANON: Label = Label::Index(u32::MAX);

/// A closedness group id; 0 means "not closed".
pub type CloseId = u32;

/// A lexical environment: a chain of frames, innermost first.
#[derive(Debug)]
pub struct Env {
    pub parent: Option<Rc<Env>>,
    pub frame: Frame,
}

#[derive(Debug, Clone)]
pub enum Frame {
    /// The vertex a struct literal is being evaluated into.
    Vertex(VId),
    /// Values bound by a `for` or `let` clause, or a pattern alias.
    Vars(Rc<[Val]>),
}

/// What a conjunct contributes: a lowered expression, or an already evaluated value (builtin
/// results, converted data) kept in `Ctx::conj_vals`. One tagged `u32`, so that a `Conj` is
/// 16 bytes and two of them fit in a vertex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConjExpr(u32);

/// A `ConjExpr` taken apart.
#[derive(Clone, Copy, Debug)]
pub enum ConjKind {
    Expr(ExprId),
    /// An index into `Ctx::conj_vals`.
    Val(u32),
}

const CONJ_VAL: u32 = 1 << 31;

impl ConjExpr {
    pub fn expr(e: ExprId) -> ConjExpr {
        debug_assert!(e < CONJ_VAL);
        ConjExpr(e)
    }

    pub fn get(self) -> ConjKind {
        if self.0 & CONJ_VAL == 0 {
            ConjKind::Expr(self.0)
        } else {
            ConjKind::Val(self.0 & !CONJ_VAL)
        }
    }

    /// The expression, for a conjunct that is one.
    pub fn as_expr(self) -> Option<ExprId> {
        (self.0 & CONJ_VAL == 0).then_some(self.0)
    }
}

#[derive(Clone, Debug)]
pub struct Conj {
    pub expr: ConjExpr,
    pub close: CloseId,
    pub env: Option<Rc<Env>>,
}

/// An error value. `incomplete` errors are those that more information could resolve.
#[derive(Clone, Debug)]
pub struct Bot {
    pub code: &'static str,
    pub msg: String,
    pub spans: Vec<Span>,
    pub incomplete: bool,
    /// A hint for the user (`did you mean …?`).
    pub help: Option<String>,
    /// What a `did you mean …?` hint would be looked for in, worked out only when the error
    /// is reported: most such errors are discarded (a failed disjunct, an `if` guard).
    pub typo: Option<Typo>,
    /// The vertex the error was first set on: where it is reported when it reaches several
    /// fields through references.
    pub origin: std::cell::Cell<Option<VId>>,
}

/// A name that may be a typo, and where to look for the name meant ([`Bot::typo`]).
#[derive(Clone, Debug)]
pub enum Typo {
    /// The undefined field `label` of the struct `within`: its fields.
    Field { within: VId, label: Label },
    /// A string that matched no alternative of `of`: its string alternatives.
    Alternative { value: Rc<str>, of: Val },
}

/// Bound operators on values.
pub use crate::lower::BoundOp;

/// A builtin validator applied to a value: the builtin and the arguments after the first.
#[derive(Clone, Debug)]
pub struct Validator {
    pub func: Func,
    pub args: Vec<crate::value::Value>,
    /// The schemas of `matchN` (the count first) and `matchIf`; empty for builtins.
    pub schemas: Rc<[Val]>,
    /// How it was written, for messages: `strings.MinRunes(3)`.
    pub text: String,
}

#[derive(Clone, Debug)]
pub enum Func {
    Predeclared(crate::lower::Predeclared),
    Builtin(&'static builtins::Builtin),
}

/// An internal value: the result of evaluating an expression.
#[derive(Clone, Debug)]
pub enum Val {
    Top,
    Bottom(Rc<Bot>),
    Null,
    Bool(bool),
    /// Behind an `Rc`: copying a value must not copy a big integer, and `Val` stays small.
    Num(Rc<Num>),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    /// A set of basic kinds (`int`, `string`, `number`, …).
    Kind(u16),
    Bound(BoundOp, Rc<Val>),
    Validator(Rc<Validator>),
    /// A conjunction of constraints that do not simplify further (kinds, bounds, validators).
    Conj(Rc<Vec<Val>>),
    /// Alternatives with default marks.
    Disj(Rc<Vec<(Val, bool)>>),
    /// A struct or list, by vertex.
    Vertex(VId),
    Func(Func),
    /// An imported builtin package, by path.
    Pkg(Rc<str>),
    /// Concrete data (builtin results); only ever a conjunct, never an operand.
    Data(Rc<crate::value::Value>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Fresh,
    Expanding,
    Expanded,
    Finalizing,
    Final,
}

/// An embedding processed once its vertex's conjuncts are in: (literal, embedded expression,
/// env, close, the arc position its fields go to).
pub type LateEmbed = (ExprId, ExprId, Option<Rc<Env>>, CloseId, usize);

/// A closedness group of a vertex: what the closed literals of one definition use allow there.
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub id: CloseId,
    pub open: bool,
    /// Struct literals processed in this group, as indexes into `Ctx::lit_info`: they allow
    /// their field labels and, unless marked "labels only" (`true`), their constant patterns.
    pub lits: SmallVec<[(u32, bool); 2]>,
    /// Labels and patterns allowed otherwise (computed labels, data, non-constant patterns).
    pub more: Option<Box<GroupMore>>,
}

#[derive(Clone, Debug, Default)]
pub struct GroupMore {
    pub labels: Vec<Label>,
    pub patterns: Vec<Val>,
}

impl Group {
    pub fn more_mut(&mut self) -> &mut GroupMore {
        self.more.get_or_insert_with(Box::default)
    }
}

/// A closedness group prepared for checking many labels.
pub enum GroupCheck<'a> {
    Direct(&'a Group),
    /// Everything the group allows, gathered: sorted labels and patterns.
    Merged {
        labels: Vec<Label>,
        patterns: Vec<&'a Val>,
    },
}

impl GroupCheck<'_> {
    /// Where a literal of the group opens (for errors); `None` for a merged check, which
    /// is used only for groups many literals contributed to.
    pub fn at(&self, ctx: &Ctx) -> Option<Span> {
        match self {
            GroupCheck::Direct(g) => g
                .lits
                .iter()
                .find_map(|(i, _)| ctx.lit_info.get(*i as usize))
                .map(|info| info.at),
            GroupCheck::Merged { .. } => None,
        }
    }

    /// The field names the group allows by label (not by pattern), for `did you mean` hints.
    pub fn label_names<'c>(&self, ctx: &'c Ctx) -> Vec<&'c str> {
        let mut labels: Vec<Label> = match self {
            GroupCheck::Direct(g) => {
                let mut l: Vec<Label> = g
                    .lits
                    .iter()
                    .filter_map(|(i, _)| ctx.lit_info.get(*i as usize))
                    .flat_map(|info| info.labels.iter().copied())
                    .collect();
                if let Some(m) = &g.more {
                    l.extend(m.labels.iter().copied());
                }
                l
            }
            GroupCheck::Merged { labels, .. } => labels.clone(),
        };
        labels.sort();
        labels.dedup();
        labels
            .into_iter()
            .filter_map(|l| match l {
                Label::Field(s) => Some(ctx.field_name(s)),
                _ => None,
            })
            .filter(|n| crate::lower::field_class(n) == crate::lower::FieldClass::Regular)
            .collect()
    }

    pub fn allows(&self, ctx: &Ctx, sym: crate::lower::Sym) -> bool {
        match self {
            GroupCheck::Direct(g) => ctx.group_allows(g, sym),
            GroupCheck::Merged { labels, patterns } => {
                labels.binary_search(&Label::Field(sym)).is_ok()
                    || patterns.iter().any(|p| structs::label_matches(ctx, p, sym))
            }
        }
    }
}

/// What a struct literal allows in a closed group: its field labels (sorted) and the values of
/// its constant patterns.
#[derive(Debug, Default)]
pub struct LitInfo {
    pub labels: Box<[Label]>,
    pub patterns: Box<[Val]>,
    /// Where the literal opens (its first character), for "field not allowed" errors.
    pub at: Span,
}

#[derive(Clone, Debug)]
pub struct ListInfo {
    pub len: usize,
    pub open: bool,
    pub rest: Option<Conj>,
}

#[derive(Clone, Debug)]
pub struct Pattern {
    pub pattern: Val,
    /// The value conjunct; its `close` is the group of the literal that declared the pattern,
    /// turned into the arc's child group when applied.
    pub value: Conj,
    pub alias: bool,
}

/// What a vertex needs only in some places (lists, patterns, closedness groups, disjunctions,
/// comprehensions): boxed, so that the common vertex (a field with a scalar or a small struct)
/// stays small.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    /// Conjuncts that met a reference cycle while the vertex already had a concrete value
    /// (`z3: z1 - 3` beside `z3: 8`): checked again when the vertex is finalized.
    pub rechecks: ThinVec<Conj>,
    pub lists: ThinVec<ListInfo>,
    pub patterns: ThinVec<Pattern>,
    /// Alternatives chosen for the disjunctions met so far (clones of a disjunction only;
    /// `None` elsewhere, so that a default `Extra` allocates nothing).
    pub choices: Option<Rc<Vec<usize>>>,
    pub choice_pos: u32,
    /// Disjunctions met while expanding that are not yet chosen: alternatives with marks.
    pub pending: ThinVec<(Vec<(Conj, bool)>, Span)>,
    /// Several alternatives survived: the clones, with default marks.
    pub alts: Option<Vec<(VId, bool)>>,
    /// Vertices inlined here after the first (`Vertex::inlined`).
    pub inlined: ThinVec<VId>,
    /// Vertices inlined again in another closed context (with its group), so that their
    /// fields are declared there too.
    pub reinlined: ThinVec<(VId, CloseId)>,
    /// Struct literal conjuncts whose comprehensions still have to run.
    pub deferred: ThinVec<(Rc<crate::lower::Comprehension>, Rc<Env>, CloseId)>,
    /// Embedded expressions that read this vertex's own fields (`#a` or `[#a][0]` beside
    /// `#a: _`): evaluated once all conjuncts are in.
    pub embeds: ThinVec<LateEmbed>,
    /// Optional fields declared but not met by anything else yet (`engine?: #Engine`): they
    /// get an arc only when a lookup or another conjunct needs one (`structs::materialize`).
    pub lazy: ThinVec<LazyField>,
    pub dynamic: ThinVec<(
        ExprId,
        ExprId,
        crate::syntax::ast::Constraint,
        Rc<Env>,
        CloseId,
        Span,
    )>,
}

/// An optional field without an arc yet: its conjunct, and the arc position it will take
/// (that of its declaration, so that fields keep their order).
#[derive(Clone, Debug)]
pub struct LazyField {
    pub label: Label,
    pub conj: Conj,
    pub span: Span,
    pub pos: u32,
}

/// The closedness groups of a vertex.
pub type Groups = SmallVec<[Group; 2]>;

/// The conjuncts of a vertex: most have one or two (a schema and data).
pub type Conjs = SmallVec<[Conj; 2]>;

#[derive(Clone, Debug)]
pub struct Vertex {
    /// `NO_VID` for a root.
    parent: VId,
    pub label: Label,
    pub conjs: Conjs,
    pub base: Val,
    pub arcs: Arcs,
    /// Closedness groups (most vertices under a definition have one or two; most vertices
    /// have none, hence the box).
    groups: Option<Box<Groups>>,
    pub err: Option<Rc<Bot>>,
    /// The first vertex whose conjuncts were inlined here (most vertices inline at most one);
    /// `NO_VID` for none (a plain id keeps the vertex 8 bytes smaller than an `Option`).
    inlined: VId,
    /// A disjunction with one surviving alternative: the clone that holds the value; or, when
    /// `shared`, the vertex this one's only conjunct referred to. `NO_VID` for none.
    forward: VId,
    pub span: Span,
    pub depth: u32,
    /// Where the base value came from (at most two spans, for messages).
    base_span: [Span; 2],
    n_base_span: u8,
    pub status: Status,
    pub is_struct: bool,
    pub is_default: bool,
    pub has_regular: bool,
    pub has_optional: bool,
    pub has_required: bool,
    pub closed_all: bool,
    /// `finalize_deep` has walked this vertex's arcs, and nothing was added below it since
    /// (`structs::touched` clears it): a second walk (a shared value reached again) is skipped.
    pub deep_final: bool,
    /// The vertex shares the value of `forward` instead of holding a copy (structure sharing;
    /// undone by the next conjunct, see `structs::add_conj`).
    shared: bool,
    x: Option<Box<Extra>>,
}

/// Vertices between two requests to fault in the arena's next pages ahead of use.
const ARENA_STEP: usize = 8192;

// The arena holds millions of vertices: keep them from growing unnoticed (x86_64 layout).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Vertex>() <= 176);

impl Vertex {
    /// The list elements of this vertex in index order.
    pub fn list_elems(&self) -> Vec<(u32, VId)> {
        let mut items: Vec<(u32, VId)> = self
            .arcs
            .iter()
            .filter_map(|(l, a)| {
                if let Label::Index(i) = l {
                    Some((*i, *a))
                } else {
                    None
                }
            })
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items
    }

    pub fn parent(&self) -> Option<VId> {
        (self.parent != NO_VID).then_some(self.parent)
    }

    /// The arcs whose labels `keep` accepts, in stored order.
    pub fn arcs_where(&self, keep: impl Fn(&Label) -> bool) -> Vec<VId> {
        self.arcs
            .iter()
            .filter(|(l, _)| keep(l))
            .map(|(_, a)| *a)
            .collect()
    }

    /// The rarely used parts, created on first use.
    pub fn xm(&mut self) -> &mut Extra {
        self.x.get_or_insert_with(Box::default)
    }

    /// The optional fields that have no arc yet.
    pub fn lazy(&self) -> &[LazyField] {
        self.x.as_ref().map_or(&[], |x| &x.lazy)
    }

    pub fn lists(&self) -> &[ListInfo] {
        self.x.as_ref().map_or(&[], |x| &x.lists)
    }

    pub fn patterns(&self) -> &[Pattern] {
        self.x.as_ref().map_or(&[], |x| &x.patterns)
    }

    pub fn groups(&self) -> &[Group] {
        self.groups.as_deref().map_or(&[], |g| &g[..])
    }

    pub fn groups_mut(&mut self) -> &mut Groups {
        self.groups.get_or_insert_with(Box::default)
    }

    /// Whether the conjuncts of `t` were inlined here.
    pub fn has_inlined(&self, t: VId) -> bool {
        self.inlined == t || self.x.as_ref().is_some_and(|x| x.inlined.contains(&t))
    }

    /// How many vertices' conjuncts were inlined here (the cost of `has_inlined`).
    pub fn inlined_count(&self) -> usize {
        usize::from(self.inlined != NO_VID) + self.x.as_ref().map_or(0, |x| x.inlined.len())
    }

    /// The first vertex whose conjuncts were inlined here.
    pub fn first_inlined(&self) -> Option<VId> {
        (self.inlined != NO_VID).then_some(self.inlined)
    }

    /// Ends structure sharing: the vertex no longer forwards to the value it shared, and
    /// holds its own copy once its conjuncts are processed again. Returns whether it shared.
    pub fn unshare(&mut self) -> bool {
        if !self.shared {
            return false;
        }
        self.shared = false;
        self.forward = NO_VID;
        // A vertex shares only the first thing inlined into it (`structs::can_share`).
        self.inlined = NO_VID;
        true
    }

    /// Makes the vertex share the value of `t` (structure sharing).
    pub fn share(&mut self, t: VId) {
        self.forward = t;
        self.shared = true;
    }

    /// Records `t` as the first vertex inlined here if there is none yet: where the value was
    /// written (`graph_call`'s error spans follow it).
    pub fn note_first_inlined(&mut self, t: VId) {
        if self.inlined == NO_VID {
            self.inlined = t;
        }
    }

    pub fn push_inlined(&mut self, t: VId) {
        if self.inlined == NO_VID {
            self.inlined = t;
        } else {
            self.xm().inlined.push(t);
        }
    }

    /// Whether the vertex shares another's value (structure sharing, `Vertex::shared`).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// The vertex that holds this one's value: the clone of a disjunction with one surviving
    /// alternative, or the value shared.
    pub fn forward(&self) -> Option<VId> {
        (self.forward != NO_VID).then_some(self.forward)
    }

    pub fn set_forward(&mut self, t: Option<VId>) {
        self.forward = t.unwrap_or(NO_VID);
    }

    pub fn alts(&self) -> Option<&Vec<(VId, bool)>> {
        self.x.as_ref().and_then(|x| x.alts.as_ref())
    }

    pub fn has_pending(&self) -> bool {
        self.x.as_ref().is_some_and(|x| !x.pending.is_empty())
    }

    pub fn has_deferred(&self) -> bool {
        self.x.as_ref().is_some_and(|x| {
            !x.deferred.is_empty() || !x.dynamic.is_empty() || !x.embeds.is_empty()
        })
    }

    /// Takes the choices of a disjunction clone: (choices, next position).
    pub fn choice(&self) -> Option<usize> {
        let x = self.x.as_ref()?;
        x.choices.as_ref()?.get(x.choice_pos as usize).copied()
    }

    pub fn choices(&self) -> &[usize] {
        self.x
            .as_ref()
            .and_then(|x| x.choices.as_deref())
            .map_or(&[], |c| &c[..])
    }

    /// The base spans by value (`base_spans` borrows the vertex).
    pub fn base_spans_array(&self) -> [Span; 2] {
        self.base_span
    }

    pub fn base_spans(&self) -> &[Span] {
        &self.base_span[..self.n_base_span as usize]
    }

    pub fn push_base_span(&mut self, s: Span) {
        let n = self.n_base_span as usize;
        if n < 2 && !self.base_span[..n].contains(&s) {
            self.base_span[n] = s;
            self.n_base_span += 1;
        }
    }
}

/// The arcs of a vertex in insertion order. Small sets are searched linearly; from
/// `Arcs::INDEXED` arcs on, a hash index (never iterated, so order stays deterministic) finds
/// a label.
#[derive(Clone, Debug, Default)]
pub struct Arcs {
    list: ThinVec<(Label, VId)>,
    index: Option<Box<LabelIndex>>,
}

type LabelIndex = FastMap<Label, u32>;

/// A hash map for lookups only: never iterated, so its order cannot reach output.
pub type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

impl Arcs {
    const INDEXED: usize = 12;

    pub fn get(&self, l: &Label) -> Option<&VId> {
        match &self.index {
            Some(ix) => ix.get(l).map(|i| &self.list[*i as usize].1),
            None => self.list.iter().find(|(k, _)| k == l).map(|(_, a)| a),
        }
    }

    /// The position of the arc `l` in insertion order.
    pub fn position(&self, l: &Label) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(l).map(|i| *i as usize),
            None => self.list.iter().position(|(k, _)| k == l),
        }
    }

    /// Adds an arc whose label is not present yet.
    pub fn insert(&mut self, l: Label, a: VId) {
        debug_assert!(self.get(&l).is_none());
        let i = self.list.len();
        self.list.push((l, a));
        match &mut self.index {
            Some(ix) => {
                ix.insert(l, i as u32);
            }
            None if i + 1 >= Self::INDEXED => {
                let mut ix = LabelIndex::with_capacity_and_hasher(
                    2 * Self::INDEXED,
                    foldhash::fast::FixedState::default(),
                );
                for (j, (k, _)) in self.list.iter().enumerate() {
                    ix.insert(*k, j as u32);
                }
                self.index = Some(Box::new(ix));
            }
            None => {}
        }
    }

    /// Points the arc `l` (present) at another vertex.
    pub fn replace(&mut self, l: Label, a: VId) {
        if let Some(slot) = self.list.iter_mut().find(|(k, _)| *k == l) {
            slot.1 = a;
        }
    }

    /// Adds an arc whose label is not present yet at position `at` (at most `len`).
    pub fn insert_at(&mut self, at: usize, l: Label, a: VId) {
        debug_assert!(self.get(&l).is_none() && at <= self.list.len());
        self.insert(l, a);
        let last = self.list.len() - 1;
        if at < last {
            let moved = self.list.remove(last);
            self.list.insert(at, moved);
            if let Some(ix) = &mut self.index {
                for (j, (k, _)) in self.list.iter().enumerate().skip(at) {
                    ix.insert(*k, j as u32);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Room for `n` more arcs (below the size that gets an index).
    pub fn reserve(&mut self, n: usize) {
        self.list.reserve(n.min(Self::INDEXED));
    }

    /// Stable-sorts the arcs from `from` on by `keys` (one per arc from `from` on), and
    /// rebuilds the index: declaration order when a literal's embeddings were processed after
    /// its fields.
    pub fn sort_tail(&mut self, from: usize, keys: &[u32]) {
        debug_assert_eq!(self.list.len() - from, keys.len());
        let mut tail: Vec<(u32, (Label, VId))> =
            keys.iter().copied().zip(self.list.drain(from..)).collect();
        tail.sort_by_key(|(k, _)| *k);
        self.list.extend(tail.into_iter().map(|(_, x)| x));
        if let Some(ix) = &mut self.index {
            for (j, (k, _)) in self.list.iter().enumerate().skip(from) {
                ix.insert(*k, j as u32);
            }
        }
    }

    /// Puts the arcs in the order `order` gives (indices of the current arcs, each once;
    /// any left out keep their relative order at the end), and rebuilds the index.
    pub fn reorder(&mut self, order: &[u32]) {
        let n = self.list.len();
        let old: smallvec::SmallVec<[(Label, VId); 32]> =
            smallvec::SmallVec::from_slice(&self.list);
        let mut taken: smallvec::SmallVec<[bool; 64]> = smallvec::smallvec![false; n];
        let mut j = 0;
        for &i in order {
            let i = i as usize;
            if i < n && !taken[i] {
                taken[i] = true;
                self.list[j] = old[i];
                j += 1;
            }
        }
        if j < n {
            for (i, x) in old.iter().enumerate() {
                if !taken[i] {
                    self.list[j] = *x;
                    j += 1;
                }
            }
        }
        if let Some(ix) = &mut self.index {
            for (j, (k, _)) in self.list.iter().enumerate() {
                ix.insert(*k, j as u32);
            }
        }
    }

    /// The label of the `i`th arc in insertion order.
    pub fn label_at(&self, i: usize) -> Label {
        self.list[i].0
    }

    /// The `i`th arc in insertion order.
    pub fn nth(&self, i: usize) -> VId {
        self.list[i].1
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Label, &VId)> + '_ {
        self.list.iter().map(|(l, a)| (l, a))
    }

    /// The arc at position `i` in stored order.
    pub fn at(&self, i: usize) -> Option<(Label, VId)> {
        self.list.get(i).copied()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Label> + '_ {
        self.list.iter().map(|(l, _)| l)
    }

    pub fn values(&self) -> impl Iterator<Item = &VId> + '_ {
        self.list.iter().map(|(_, a)| a)
    }
}

/// The evaluator: owns the vertex arena for one evaluation.
pub struct Ctx<'p> {
    pub prog: &'p Program,
    pub vs: Vec<Vertex>,
    pub next_group: CloseId,
    /// The child groups of each group, by label (`child_group_key`): the first few of a group
    /// in a list (`ChildGroups`), the others of a group with many in a map.
    child_groups: ChildGroups,
    /// The group that closes a definition's value where it is declared (`#A: {…}`).
    pub def_groups: FastMap<VId, CloseId>,
    /// While an embedding is processed after its literal's fields: the vertex and the arcs it
    /// met that already existed (`structs::with_met_arcs`).
    pub met_arcs: Vec<(VId, Vec<VId>)>,
    /// Vertices whose literal is being processed with arc position keys
    /// (`structs::process_struct`), and the positions of arcs inserted into them meanwhile.
    pub keyed: Vec<VId>,
    /// The sources of field order (`order.rs`): the literals processed into each vertex.
    pub order: order::Order,
    pub arc_inserts: Vec<(VId, usize)>,
    /// Evaluated `orche/…` packages by import path.
    pub packages: IndexMap<Rc<str>, VId>,
    pub loader: Option<&'p dyn PackageLoader>,
    /// The source texts, where the caller has them: `orche eval` prints a value that is not
    /// complete yet as the expressions it was written with (`export::orc`).
    pub sources: Option<&'p crate::source::SourceMap>,
    /// Guards against runaway recursion in pathological inputs.
    pub depth: u32,
    /// Reference chains being settled from their far end (`structs::settle_chain`): while
    /// above 0, only values whose whole tree is final are shared (`structs::can_share`).
    pub settling: u32,
    /// Settled reference chains: a link's far end and the span of the reference that reaches
    /// it (`structs::far_link`).
    pub link_far: FastMap<VId, (VId, Span)>,
    /// Links of reference chains that lead back into the vertex they were walked from (the
    /// value), so that `structs::settle_chain` walks them once from there.
    pub chain_back: FastMap<VId, VId>,
    /// `let` arcs whose conjuncts are being inlined, with the vertex they go into
    /// (`structs::inline`): meeting one of these pairs again is a reference cycle through
    /// `let`s (`A = B`, `B = A`).
    pub let_inlining: Vec<(VId, VId)>,
    /// Structs whose `let` arcs are being evaluated on their own to find a cycle through
    /// them (`structs::let_cycle_of`): no other check starts while one runs.
    pub let_checking: Vec<VId>,
    /// Field names: the program's, plus those computed at run time (dynamic labels).
    pub syms: crate::lower::SymTable,
    /// The class of each name in `syms`, by symbol: walks over many fields ask it without
    /// reading the names (each a cache miss where names are many, as computed keys are).
    sym_classes: Vec<crate::lower::FieldClass>,
    /// While an embedding is processed into a vertex: the vertex and the closedness groups the
    /// embedded definitions created there (they are widened to the embedding struct's fields).
    pub embed_rec: Vec<(VId, Vec<CloseId>)>,
    /// A definition referenced inside another definition's conjuncts also widens the outer
    /// definition's group: child → parent.
    /// Indexed by group id; 0 when the group widens none, or (a child group) when its parent
    /// was not asked for yet (`group_parent_of`); `NO_PARENT` for a child group known to widen
    /// none.
    pub group_parent: Vec<CloseId>,
    /// The groups `close()` made: a closed struct of its own wherever it is used.
    pub close_groups: FastMap<CloseId, ()>,
    /// The child groups that closed a struct's own fields because the struct embeds a
    /// definition (`structs::close_own_field`): that closedness stays where the fields are
    /// written, so a reference to one of them from an open context drops it.
    pub embed_groups: FastMap<CloseId, ()>,
    /// Where a child group comes from (`child_group`): its parent group and label key, by
    /// group id; `(0, 0)` for other groups. A child group widens the same label's child of
    /// its parent's parent, which is made only when a closedness check asks for it: most
    /// vertices have one group, and their groups' parents are never needed.
    child_origin: Vec<(CloseId, u32)>,
    /// Per expression: 0 not yet known, 1 a constant scalar expression, 2 anything else.
    consts: Vec<u8>,
    /// Per expression: 0 not yet known, 1 reference-free (`Ctx::is_ref_free`), 2 not.
    ref_free: Vec<u8>,
    /// `field_name_rc` by symbol.
    name_rcs: Vec<Option<Rc<str>>>,
    /// Values of constant expressions (`expr::eval`) and of constant disjunctions as
    /// conjuncts (`disjunct::const_value`), computed once.
    pub const_vals: FastMap<ExprId, Val>,
    pub const_disj: FastMap<ExprId, Val>,
    /// Struct literals registered in closedness groups (`Group::lits`).
    pub lit_info: Vec<LitInfo>,
    /// Struct literal → its index in `lit_info`.
    lit_index: FastMap<ExprId, u32>,
    /// Builtins selected from an import (`strings.Contains`), by selector expression.
    pub pkg_members: FastMap<ExprId, Val>,
    /// Dependency maps read by `orche/graph` calls, by vertex (`graph_call`).
    pub graph_reads: FastMap<VId, Rc<graph_call::GraphRead>>,
    /// Definitions whose whole value is concrete data without errors, by vertex
    /// (`structs::exports_cleanly`): only those are shared.
    pub clean_defs: FastMap<VId, bool>,
    /// Struct literals without references met alone in a vertex (`structs::share_literal`):
    /// seen once, or the one evaluated copy every later vertex shares (`NO_VID` when its
    /// value is not clean data). By expression, grown on demand: most literals are met once,
    /// and marking them costs a store, not a hash-map insert.
    pub lit_shares: Vec<LitShare>,
    /// The values of `ConjKind::Val` conjuncts.
    pub conj_vals: Vec<Val>,
    /// The run's budget (`crate::limit`), read when the evaluation starts.
    budget: crate::limit::Budget,
    /// Steps taken so far (vertices made, expressions evaluated, values exported), and the
    /// count at which the budget is compared next.
    steps: std::cell::Cell<u64>,
    next_check: std::cell::Cell<u64>,
}

/// What `Ctx::lit_shares` knows of a struct literal.
#[derive(Clone, Copy)]
pub enum LitShare {
    /// Not met alone in a vertex yet.
    Unseen,
    /// Met alone in one vertex so far: evaluated there, as any literal.
    Once,
    /// Evaluated once on its own: later vertices share this value (`NO_VID`: they cannot,
    /// it is not clean data).
    Value(VId),
}

/// Supplies evaluated stdlib packages (`import "orche/…"`) to the evaluator.
pub trait PackageLoader {
    fn root_expr(&self, path: &str) -> Option<ExprId>;
}

pub const MAX_DEPTH: u32 = 2000;

/// The child group of a group for a label key. Nearly every request makes a new group (the
/// first conjunct of a field in its closedness group), so the table is written far more than it
/// is read: a map over millions of entries made each request a cache miss. Each group's first
/// `CHILD_LIST` children are in a list instead, reached from the group's entry in `head` and
/// appended in creation order, next to the groups and children made just before; a group with
/// more (a pattern over thousands of fields) keeps the rest in `many`.
#[derive(Default)]
struct ChildGroups {
    /// By group: its newest entry in `list`, or `NO_CHILD`.
    head: Vec<u32>,
    /// (label key, child group, the group's entry before this one).
    list: Vec<(u32, CloseId, u32)>,
    many: FastMap<(CloseId, u32), CloseId>,
}

const NO_CHILD: u32 = u32::MAX;
const CHILD_LIST: usize = 8;

impl ChildGroups {
    fn get(&self, g: CloseId, key: u32) -> Option<CloseId> {
        self.find(g, key).ok()
    }

    /// The child of `g` for `key`, or how many children `g` has in `list` (at most
    /// `CHILD_LIST`), which `insert` takes to know where a new one goes without a second walk.
    fn find(&self, g: CloseId, key: u32) -> Result<CloseId, usize> {
        let mut i = self.head.get(g as usize).copied().unwrap_or(NO_CHILD);
        let mut n = 0;
        while i != NO_CHILD {
            let (k, c, next) = self.list[i as usize];
            if k == key {
                return Ok(c);
            }
            n += 1;
            i = next;
        }
        if n < CHILD_LIST {
            return Err(n);
        }
        self.many.get(&(g, key)).copied().ok_or(n)
    }

    /// Records `c` as the child of `g` for `key`, which `find` found none for: `listed` is
    /// the count it gave.
    fn insert(&mut self, g: CloseId, key: u32, c: CloseId, listed: usize) {
        let gi = g as usize;
        if self.head.len() <= gi {
            self.head.resize(gi + 1, NO_CHILD);
        }
        if listed < CHILD_LIST {
            self.list.push((key, c, self.head[gi]));
            self.head[gi] = (self.list.len() - 1) as u32;
        } else {
            self.many.insert((g, key), c);
        }
    }
}

/// In `Ctx::group_parent`: the child group was asked for its parent and widens none.
const NO_PARENT: CloseId = CloseId::MAX;

thread_local! {
    /// The vertex arena of the last evaluation on this thread, emptied, when arenas are kept
    /// (`keep_arenas`).
    static SPARE_ARENA: std::cell::RefCell<Vec<Vertex>> = const { std::cell::RefCell::new(Vec::new()) };
}

static KEEP_ARENAS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// For a process that evaluates again and again (the language server): each evaluation's
/// vertex arena is emptied and kept for the next one on the same thread. Growing a new arena
/// moved it to new memory at every doubling, and each check faulted all of it in again: that
/// was most of the page faults of a check.
pub fn keep_arenas() {
    KEEP_ARENAS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// An empty arena for an evaluation of `exprs` expressions: the kept one, else a new one of
/// about one vertex per expression (often more: fewer moves).
fn spare_arena(exprs: usize) -> Vec<Vertex> {
    let mut vs = SPARE_ARENA.with(|a| std::mem::take(&mut *a.borrow_mut()));
    vs.reserve(exprs);
    vs
}

impl Drop for Ctx<'_> {
    fn drop(&mut self) {
        if KEEP_ARENAS.load(std::sync::atomic::Ordering::Relaxed) {
            let mut vs = std::mem::take(&mut self.vs);
            vs.clear();
            SPARE_ARENA.with(|a| *a.borrow_mut() = vs);
        }
    }
}

impl<'p> Ctx<'p> {
    pub fn new(prog: &'p Program) -> Ctx<'p> {
        Ctx {
            prog,
            vs: spare_arena(prog.exprs.len()),
            next_group: 1,
            child_groups: ChildGroups::default(),
            def_groups: FastMap::default(),
            met_arcs: Vec::new(),
            keyed: Vec::new(),
            order: order::Order::default(),
            arc_inserts: Vec::new(),
            packages: IndexMap::new(),
            loader: None,
            sources: None,
            depth: 0,
            settling: 0,
            link_far: FastMap::default(),
            chain_back: FastMap::default(),
            let_inlining: Vec::new(),
            let_checking: Vec::new(),
            syms: prog.syms.clone(),
            sym_classes: prog
                .syms
                .iter()
                .map(|n| crate::lower::field_class(n))
                .collect(),
            embed_rec: Vec::new(),
            group_parent: Vec::new(),
            close_groups: FastMap::default(),
            embed_groups: FastMap::default(),
            child_origin: Vec::new(),
            consts: Vec::new(),
            ref_free: Vec::new(),
            name_rcs: Vec::new(),
            const_vals: FastMap::default(),
            const_disj: FastMap::default(),
            lit_info: Vec::new(),
            lit_index: FastMap::default(),
            pkg_members: FastMap::default(),
            graph_reads: FastMap::default(),
            clean_defs: FastMap::default(),
            lit_shares: Vec::new(),
            conj_vals: Vec::new(),
            budget: crate::limit::budget(),
            steps: std::cell::Cell::new(0),
            next_check: std::cell::Cell::new(0),
        }
    }

    /// Counts one step of the run's budget, taken while evaluating vertex `near` (`NO_VID`:
    /// unknown). Every so often it also compares the memory in use with the budget; when
    /// either is exhausted the evaluation is abandoned (`limit::Hit`, caught by `compile`).
    #[inline]
    pub fn step(&self, near: VId) {
        let n = self.steps.get() + 1;
        self.steps.set(n);
        if n >= self.next_check.get() {
            self.check_budget(near);
        }
    }

    /// Counts `n` steps at once: work proportional to a size (the elements of a list a builtin
    /// returned).
    pub fn steps(&self, n: u64, near: VId) {
        let n = self.steps.get().saturating_add(n);
        self.steps.set(n);
        if n >= self.next_check.get() {
            self.check_budget(near);
        }
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> u64 {
        self.steps.get()
    }

    #[cold]
    #[inline(never)]
    fn check_budget(&self, near: VId) {
        use crate::limit::{Exhausted, Hit, CHECK_EVERY};
        let n = self.steps.get();
        self.next_check
            .set((n + CHECK_EVERY).min(self.budget.steps.saturating_add(1)));
        let arena = (self.vs.capacity() * std::mem::size_of::<Vertex>()) as u64;
        let in_use = crate::alloc::in_use().max(arena);
        let what = if n > self.budget.steps {
            Exhausted::Steps
        } else if in_use > self.budget.memory {
            Exhausted::Memory
        } else {
            return;
        };
        let (path, span) = match self.vs.get(near as usize) {
            Some(v) => (self.path(near), v.span),
            None => (String::new(), Span::default()),
        };
        Hit {
            what,
            path,
            span,
            budget: self.budget,
        }
        .raise()
    }

    /// A conjunct expression for an evaluated value.
    pub fn conj_val(&mut self, v: Val) -> ConjExpr {
        let i = self.conj_vals.len() as u32;
        assert!(i < CONJ_VAL, "too many evaluated conjuncts");
        self.conj_vals.push(v);
        ConjExpr(i | CONJ_VAL)
    }

    /// The regular fields of `v` that are present (as data has them), by symbol, in order.
    pub fn present_fields(&self, v: VId) -> impl Iterator<Item = (crate::lower::Sym, VId)> + '_ {
        self.v(v).arcs.iter().filter_map(move |(l, a)| match l {
            Label::Field(s)
                if self.sym_class(*s) == crate::lower::FieldClass::Regular
                    && self.v(*a).has_regular =>
            {
                Some((*s, *a))
            }
            _ => None,
        })
    }

    pub fn sym_name(&self, s: crate::lower::Sym) -> &str {
        &self.syms[s.0 as usize]
    }

    /// `lower::field_class` of the name of `s`.
    pub fn sym_class(&self, s: crate::lower::Sym) -> crate::lower::FieldClass {
        match self.sym_classes.get(s.0 as usize) {
            Some(c) => *c,
            // A name added to `syms` other than by `quoted_sym`.
            None => crate::lower::field_class(self.sym_name(s)),
        }
    }

    /// The name of a regular field as it appears in output.
    pub fn field_name(&self, s: crate::lower::Sym) -> &str {
        crate::lower::shown_name(self.sym_name(s))
    }

    /// `field_name` as a shared string (pattern aliases, `for` keys), made once per symbol.
    pub fn field_name_rc(&mut self, s: crate::lower::Sym) -> Rc<str> {
        let i = s.0 as usize;
        if self.name_rcs.len() <= i {
            self.name_rcs.resize(i + 1, None);
        }
        if let Some(r) = &self.name_rcs[i] {
            return r.clone();
        }
        let r: Rc<str> = self.field_name(s).into();
        self.name_rcs[i] = Some(r.clone());
        r
    }

    /// The symbol of a regular field with a computed or quoted name.
    pub fn quoted_sym(&mut self, name: &str) -> crate::lower::Sym {
        // A name seen before (computed labels repeat) is found without building a key.
        if !name.starts_with(['#', '_']) {
            if let Some(i) = self.syms.get_index_of(name) {
                return crate::lower::Sym(i as u32);
            }
        }
        let key = if name.starts_with(['#', '_']) {
            format!("{}{name}", crate::lower::QUOTED_MARK)
        } else {
            name.to_string()
        };
        let (i, added) = self.syms.insert_full(key);
        if added && i == self.sym_classes.len() {
            self.sym_classes
                .push(crate::lower::field_class(&self.syms[i]));
        }
        crate::lower::Sym(i as u32)
    }

    /// The symbol of the regular field `name`, if the name is known (`quoted_sym` without
    /// adding it).
    pub fn find_sym(&self, name: &str) -> Option<crate::lower::Sym> {
        let i = if name.starts_with(['#', '_']) {
            self.syms
                .get_index_of(&format!("{}{name}", crate::lower::QUOTED_MARK) as &str)
        } else {
            self.syms.get_index_of(name)
        };
        i.map(|i| crate::lower::Sym(i as u32))
    }

    pub fn label_name(&self, l: Label) -> String {
        match l {
            Label::Field(s) => {
                let n = crate::lower::hidden_name(self.sym_name(s));
                // Quoted as orche writes strings (`\u0000`), not as Rust's `{:?}` does (`\0`,
                // `\u{7f}`): `orche eval` prints these labels, and its output must parse.
                if let Some(q) = n.strip_prefix(crate::lower::QUOTED_MARK) {
                    unify::quote_str(q)
                } else if crate::lower::is_identifier(n) {
                    n.to_string()
                } else {
                    unify::quote_str(n)
                }
            }
            Label::Index(i) => i.to_string(),
            // As cue prints it: every `let` of a struct is `let[]` in a data path.
            Label::Let(_) => "let[]".to_string(),
        }
    }

    /// Makes room for the next vertices and has their pages faulted in on another core
    /// (`alloc::prefault`) before they are written.
    #[cold]
    fn arena_ahead(&mut self) {
        if self.vs.is_empty() {
            // Small inputs never need it.
            return;
        }
        self.vs.reserve(2 * ARENA_STEP);
        let len = self.vs.len();
        let ahead = (self.vs.capacity() - len).min(2 * ARENA_STEP);
        let spare = self.vs.spare_capacity_mut();
        crate::alloc::prefault(spare.as_ptr().cast(), ahead * std::mem::size_of::<Vertex>());
    }

    pub fn new_vertex(&mut self, parent: Option<VId>, label: Label, span: Span) -> VId {
        self.step(parent.unwrap_or(NO_VID));
        let depth = parent.map(|p| self.vs[p as usize].depth + 1).unwrap_or(0);
        if self.vs.len().is_multiple_of(ARENA_STEP) {
            self.arena_ahead();
        }
        self.vs.push(Vertex {
            parent: parent.unwrap_or(NO_VID),
            label,
            conjs: Conjs::new(),
            base: Val::Top,
            arcs: Arcs::default(),
            groups: None,
            err: None,
            inlined: NO_VID,
            forward: NO_VID,
            span,
            depth,
            base_span: [Span::default(); 2],
            n_base_span: 0,
            status: Status::Fresh,
            is_struct: false,
            is_default: true,
            has_regular: false,
            has_optional: false,
            has_required: false,
            closed_all: false,
            deep_final: false,
            shared: false,
            x: None,
        });
        self.vs.len() as VId - 1
    }

    pub fn v(&self, id: VId) -> &Vertex {
        &self.vs[id as usize]
    }

    /// Has the CPU fetch vertex `id` ahead of use: a walk over millions of vertices (the
    /// export's) otherwise waits for each one's memory in turn.
    #[inline]
    pub fn prefetch(&self, id: VId) {
        if let Some(v) = self.vs.get(id as usize) {
            let p: *const Vertex = v;
            let p = p.cast::<u8>();
            // A vertex spans three cache lines (176 bytes at any offset in a line: up to four).
            for off in [0, 64, 128, std::mem::size_of::<Vertex>() - 1] {
                crate::alloc::prefetch(p.wrapping_add(off));
            }
        }
    }

    pub fn vm(&mut self, id: VId) -> &mut Vertex {
        &mut self.vs[id as usize]
    }

    /// Follows disjunction forwarding to the vertex that holds the value.
    pub fn deref(&self, mut id: VId) -> VId {
        let mut n = 0;
        while let Some(f) = self.vs[id as usize].forward() {
            id = f;
            n += 1;
            if n > 10_000 {
                break;
            }
        }
        id
    }

    pub fn fresh_group(&mut self) -> CloseId {
        self.next_group += 1;
        self.next_group
    }

    /// Whether `id` is a constant scalar expression: literals, kinds, bounds and operators on
    /// them, no references, structs or lists. Its value does not depend on the environment, and
    /// processing it never uses the conjunct's closedness group.
    #[inline]
    pub fn is_const(&mut self, id: ExprId) -> bool {
        match self.consts.get(id as usize) {
            Some(1) => true,
            Some(2) => false,
            _ => self.is_const_uncached(id),
        }
    }

    fn is_const_uncached(&mut self, id: ExprId) -> bool {
        use crate::lower::{ExprKind as K, InterpPart};
        let i = id as usize;
        if self.consts.len() <= i {
            self.consts.resize(self.prog.exprs.len().max(i + 1), 0);
        }
        match self.consts[i] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        let prog = self.prog;
        let c = match &prog.expr(id).kind {
            K::Top | K::Bottom | K::Null | K::Bool(_) | K::Num(_) | K::Str(_) | K::Bytes(_) => true,
            K::Kind(_) => true,
            K::Unary(_, x) | K::Bound(_, x) => self.is_const(*x),
            K::Binary(_, a, b) => self.is_const(*a) && self.is_const(*b),
            K::Disj(alts) => alts.iter().all(|(a, _)| self.is_const(*a)),
            // A function or validator of a builtin package (`time.Duration`, `net.IP`) is the
            // same value wherever it is used (`orche/…` packages hold definitions: not these).
            K::Select(x, sym) => match &prog.expr(*x).kind {
                K::Import(p) if !p.starts_with("orche/") => matches!(
                    builtins::lookup(p, self.sym_name(*sym)),
                    Some(builtins::Member::Func(_))
                ),
                _ => false,
            },
            K::Interp { parts, .. } => parts.iter().all(|p| match p {
                InterpPart::Lit(_) => true,
                InterpPart::Expr(e) => self.is_const(*e),
            }),
            _ => false,
        };
        self.consts[i] = if c { 1 } else { 2 };
        c
    }

    /// The index in `lit_info` of what the struct literal `id` allows.
    pub fn note_lit(&mut self, id: ExprId) -> u32 {
        if let Some(i) = self.lit_index.get(&id) {
            return *i;
        }
        let prog = self.prog;
        let mut info = LitInfo::default();
        let e = prog.expr(id);
        info.at = Span {
            end: e.span.start.saturating_add(1).min(e.span.end),
            ..e.span
        };
        if let crate::lower::ExprKind::Struct(lit) = &e.kind {
            let mut labels = Vec::new();
            let mut patterns = Vec::new();
            for d in &lit.decls {
                match d {
                    crate::lower::Decl::Field { label, .. } => labels.push(*label),
                    crate::lower::Decl::Pattern { pattern, .. } if self.is_const(*pattern) => {
                        let pv = expr::eval(self, *pattern, None);
                        patterns.push(unify::default_of(&pv));
                    }
                    _ => {}
                }
            }
            labels.sort();
            labels.dedup();
            info.labels = labels.into();
            info.patterns = patterns.into();
        }
        let i = self.lit_info.len() as u32;
        self.lit_info.push(info);
        self.lit_index.insert(id, i);
        i
    }

    /// Whether group `g` allows the regular field `sym`.
    pub fn group_allows(&self, g: &Group, sym: crate::lower::Sym) -> bool {
        let label = Label::Field(sym);
        if let Some(m) = &g.more {
            if m.labels.contains(&label)
                || m.patterns
                    .iter()
                    .any(|p| structs::label_matches(self, p, sym))
            {
                return true;
            }
        }
        g.lits.iter().any(|(i, labels_only)| {
            self.lit_info.get(*i as usize).is_some_and(|info| {
                info.labels.binary_search(&label).is_ok()
                    || (!labels_only
                        && info
                            .patterns
                            .iter()
                            .any(|p| structs::label_matches(self, p, sym)))
            })
        })
    }

    /// How to check labels against group `g` of a vertex with `arcs` arcs.
    pub fn group_check<'a>(&'a self, g: &'a Group, arcs: usize) -> GroupCheck<'a> {
        let many_labels = g.more.as_ref().is_some_and(|m| m.labels.len() > 8);
        if (g.lits.len() <= 4 && !many_labels) || arcs <= 4 {
            return GroupCheck::Direct(g);
        }
        let mut labels = Vec::new();
        let mut patterns = Vec::new();
        if let Some(m) = &g.more {
            labels.extend(m.labels.iter().copied());
            patterns.extend(m.patterns.iter());
        }
        for (i, labels_only) in &g.lits {
            if let Some(info) = self.lit_info.get(*i as usize) {
                labels.extend(info.labels.iter().copied());
                if !labels_only {
                    patterns.extend(info.patterns.iter());
                }
            }
        }
        labels.sort();
        labels.dedup();
        GroupCheck::Merged { labels, patterns }
    }

    /// Whether `id` is a struct or list literal (or a constant, or a conjunction of such) with
    /// no reference, comprehension, `let`, computed label or call anywhere inside: evaluating it
    /// never looks at its environment, so its frame need not be built.
    #[inline]
    pub fn is_ref_free(&mut self, id: ExprId) -> bool {
        match self.ref_free.get(id as usize) {
            Some(1) => true,
            Some(2) => false,
            _ => self.is_ref_free_uncached(id),
        }
    }

    fn is_ref_free_uncached(&mut self, id: ExprId) -> bool {
        use crate::lower::{Decl, ExprKind as K, ListElem};
        let i = id as usize;
        if self.ref_free.len() <= i {
            self.ref_free.resize(self.prog.exprs.len().max(i + 1), 0);
        }
        match self.ref_free[i] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        let prog = self.prog;
        let free = match &prog.expr(id).kind {
            K::Struct(lit) => lit.decls.iter().all(|d| match d {
                Decl::Field { value, .. } => self.is_ref_free(*value),
                Decl::Pattern { pattern, value, .. } => {
                    self.is_const(*pattern) && self.is_ref_free(*value)
                }
                Decl::Embed(e) => self.is_ref_free(*e),
                Decl::Ellipsis(t) => t.is_none_or(|t| self.is_ref_free(t)),
                Decl::Dynamic { .. } | Decl::Let { .. } | Decl::Comprehension(_) => false,
            }),
            K::List(lit) => {
                lit.elems.iter().all(|e| match e {
                    ListElem::Expr(e) => self.is_ref_free(*e),
                    ListElem::Comprehension(_) => false,
                }) && lit
                    .ellipsis
                    .is_none_or(|t| t.is_none_or(|t| self.is_ref_free(t)))
            }
            K::Binary(crate::lower::BinOp::And, a, b) => {
                self.is_ref_free(*a) && self.is_ref_free(*b)
            }
            _ => self.is_const(id),
        };
        self.ref_free[i] = if free { 1 } else { 2 };
        free
    }

    /// The group that `g` widens (0: none).
    pub fn group_parent_of(&mut self, g: CloseId) -> CloseId {
        match self.group_parent.get(g as usize).copied().unwrap_or(0) {
            NO_PARENT => return 0,
            0 => {}
            p => return p,
        }
        // A child group widens its origin's parent's child of the same label. The chain is
        // as long as the nesting of fields under a definition.
        let (og, key) = self.child_origin.get(g as usize).copied().unwrap_or((0, 0));
        if og == 0 {
            return 0;
        }
        let op = self.group_parent_of(og);
        if op == 0 {
            // Known now: checks ask again for every vertex with several groups.
            self.set_group_parent(g, NO_PARENT);
            return 0;
        }
        let pc = self.child_group_key(op, key);
        self.set_group_parent(g, pc);
        pc
    }

    /// `p`: the group `g` widens, or `NO_PARENT`.
    pub fn set_group_parent(&mut self, g: CloseId, p: CloseId) {
        let i = g as usize;
        if self.group_parent.len() <= i {
            self.group_parent.resize(i + 1, 0);
        }
        self.group_parent[i] = p;
    }

    /// Whether group `g` is, or derives from, a group in `embed_groups`.
    pub fn is_embed_closed(&self, mut g: CloseId) -> bool {
        if self.embed_groups.is_empty() {
            return false;
        }
        while g != 0 {
            if self.embed_groups.contains_key(&g) {
                return true;
            }
            g = self.child_origin.get(g as usize).map_or(0, |o| o.0);
        }
        false
    }

    pub fn child_group(&mut self, g: CloseId, l: Label) -> CloseId {
        self.child_group_key(g, label_key(l))
    }

    fn child_group_key(&mut self, g: CloseId, key: u32) -> CloseId {
        if g == 0 {
            return 0;
        }
        let listed = match self.child_groups.find(g, key) {
            Ok(c) => return c,
            Err(listed) => listed,
        };
        let c = self.fresh_group();
        self.child_groups.insert(g, key, c, listed);
        let i = c as usize;
        if self.child_origin.len() <= i {
            self.child_origin.resize(i + 1, (0, 0));
        }
        self.child_origin[i] = (g, key);
        c
    }

    /// The child group `g` has for the label key `key`, if it has one yet.
    pub fn existing_child_group(&self, g: CloseId, key: u32) -> Option<CloseId> {
        self.child_groups.get(g, key)
    }

    /// The data path of a vertex, as CUE prints it (`a.b.0."x-y"`).
    pub fn path(&self, id: VId) -> String {
        let mut labels = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let v = &self.vs[c as usize];
            if v.label == ANON {
                // A value computed apart (a builtin's argument, an operand): the path inside
                // it, as CUE prints it (`0` for its first element); the anonymous value itself
                // is where it was written.
                if !labels.is_empty() {
                    break;
                }
            } else if v.parent().is_some() {
                labels.push(self.label_name(v.label));
            }
            cur = v.parent();
        }
        labels.reverse();
        labels.join(".")
    }

    /// Whether every label from the root to the vertex is a regular field or an index (the
    /// value would appear in the output).
    pub fn is_regular_path(&self, id: VId) -> bool {
        let mut cur = Some(id);
        while let Some(c) = cur {
            let v = &self.vs[c as usize];
            match v.label {
                Label::Field(s) => {
                    if v.parent().is_some()
                        && self.sym_class(s) != crate::lower::FieldClass::Regular
                    {
                        return false;
                    }
                }
                Label::Let(_) => return false,
                Label::Index(_) => {}
            }
            cur = v.parent();
        }
        true
    }

    /// Whether the vertex is, or lies under, a definition.
    pub fn in_definition(&self, id: VId) -> bool {
        let mut cur = Some(id);
        while let Some(c) = cur {
            let v = &self.vs[c as usize];
            if let Label::Field(s) = v.label {
                if crate::lower::is_definition_name(self.sym_name(s)) {
                    return true;
                }
            }
            cur = v.parent();
        }
        false
    }

    /// Whether a reference from `v` to `t` enters a definition from outside it: `t` is a
    /// definition, or lies in one that does not also hold `v`. A reference inside one
    /// definition (`#X: {a: {…}, b: a & {y: 1}}`) brings fields that the definition declares
    /// anyway: no closedness of its own, as in CUE.
    pub fn enters_definition(&self, t: VId, v: VId) -> bool {
        let is_def = |c: VId| match self.vs[c as usize].label {
            Label::Field(s) => crate::lower::is_definition_name(self.sym_name(s)),
            _ => false,
        };
        if is_def(t) {
            return true;
        }
        let mut cur = self.vs[t as usize].parent();
        while let Some(c) = cur {
            if is_def(c) {
                return !self.is_ancestor_or_self(c, v);
            }
            cur = self.vs[c as usize].parent();
        }
        false
    }

    pub fn is_ancestor_or_self(&self, anc: VId, mut id: VId) -> bool {
        loop {
            if id == anc {
                return true;
            }
            match self.vs[id as usize].parent() {
                Some(p) => id = p,
                None => return false,
            }
        }
    }

    pub fn set_err(&mut self, id: VId, b: Rc<Bot>) {
        let v = self.vm(id);
        if v.err.is_none() || (v.err.as_ref().is_some_and(|e| e.incomplete) && !b.incomplete) {
            if b.origin.get().is_none() {
                b.origin.set(Some(id));
            }
            v.err = Some(b);
        }
    }
}

/// A label as 32 bits: the kind in the top two, the symbol, index or expression id below (all
/// stay far below 2^30: each is bounded by the input's size).
pub fn label_key(l: Label) -> u32 {
    const LOW: u32 = (1 << 30) - 1;
    match l {
        Label::Field(s) => s.0 & LOW,
        Label::Index(i) => (1 << 30) | (i & LOW),
        Label::Let(e) => (2 << 30) | (e & LOW),
    }
}

impl Val {
    pub fn num(n: Num) -> Val {
        Val::Num(Rc::new(n))
    }
}

impl Bot {
    pub fn new(code: &'static str, msg: impl Into<String>, spans: Vec<Span>) -> Rc<Bot> {
        Rc::new(Bot {
            code,
            msg: msg.into(),
            spans,
            incomplete: false,
            help: None,
            typo: None,
            origin: Default::default(),
        })
    }

    pub fn incomplete(msg: impl Into<String>, spans: Vec<Span>) -> Rc<Bot> {
        Rc::new(Bot {
            code: "orche::eval::incomplete",
            msg: msg.into(),
            spans,
            incomplete: true,
            help: None,
            typo: None,
            origin: Default::default(),
        })
    }
}

pub fn bottom(code: &'static str, msg: impl Into<String>, span: Span) -> Val {
    Val::Bottom(Bot::new(code, msg, vec![span]))
}

pub fn incomplete(msg: impl Into<String>, span: Span) -> Val {
    Val::Bottom(Bot::incomplete(msg, vec![span]))
}

/// The result of evaluating a package: the arena and the root vertex.
pub struct Evaluated<'p> {
    pub ctx: Ctx<'p>,
    pub root: VId,
}

/// Evaluates the root struct expression of a package.
pub fn evaluate<'p>(
    prog: &'p Program,
    root_expr: ExprId,
    loader: Option<&'p dyn PackageLoader>,
) -> Evaluated<'p> {
    let mut ctx = Ctx::new(prog);
    ctx.loader = loader;
    let span = prog.expr(root_expr).span;
    let root = ctx.new_vertex(None, Label::Index(0), span);
    ctx.vm(root).conjs.push(Conj {
        expr: ConjExpr::expr(root_expr),
        env: None,
        close: 0,
    });
    ctx.vm(root).has_regular = true;
    structs::finalize_deep(&mut ctx, root);
    Evaluated { ctx, root }
}

/// Evaluates `expr` (lowered against the package root) in the root's scope.
pub fn evaluate_in_root(ev: &mut Evaluated, expr: ExprId) -> VId {
    let env = Rc::new(Env {
        parent: None,
        frame: Frame::Vertex(ev.root),
    });
    let span = ev.ctx.prog.expr(expr).span;
    let v = ev.ctx.new_vertex(None, Label::Index(0), span);
    ev.ctx.vm(v).conjs.push(Conj {
        expr: ConjExpr::expr(expr),
        env: Some(env),
        close: 0,
    });
    ev.ctx.vm(v).has_regular = true;
    structs::finalize_deep(&mut ev.ctx, v);
    v
}

impl Evaluated<'_> {
    /// The regular field `name` of the struct at `v`, if it has one.
    pub fn field(&mut self, v: VId, name: &str) -> Option<VId> {
        let sym = self.ctx.quoted_sym(name);
        let a = structs::lookup(&mut self.ctx, v, Label::Field(sym))?;
        let av = self.ctx.v(a);
        (av.has_regular || av.has_required).then(|| self.ctx.deref(a))
    }

    /// The names and vertices of the regular fields of the struct at `v`, in order.
    pub fn regular_fields(&mut self, v: VId) -> Vec<(String, VId)> {
        structs::expand(&mut self.ctx, v);
        let t = self.ctx.deref(v);
        let ctx = &self.ctx;
        ctx.present_fields(t)
            .map(|(s, a)| (ctx.field_name(s).to_string(), ctx.deref(a)))
            .collect()
    }
}

impl Evaluated<'_> {
    /// The regular fields the struct at `v` has or allows by an optional or required
    /// declaration, in order, each with whether it is optional (not present unless set).
    pub fn declared_fields(&mut self, v: VId) -> Vec<(String, bool, VId)> {
        let fields = self.field_arcs(v);
        let ctx = &self.ctx;
        fields
            .into_iter()
            .map(|(name, a)| {
                let av = ctx.v(a);
                let optional = !av.has_regular && !av.has_required;
                (name, optional, ctx.deref(a))
            })
            .collect()
    }

    /// The arcs of the struct at `v` whose labels are regular field names (not definitions or
    /// hidden fields), declared ones included, in order.
    fn field_arcs(&mut self, v: VId) -> Vec<(String, VId)> {
        structs::expand(&mut self.ctx, v);
        structs::finalize_optional(&mut self.ctx, v);
        let t = self.ctx.deref(v);
        let ctx = &self.ctx;
        ctx.v(t)
            .arcs
            .iter()
            .filter_map(|(l, a)| match l {
                Label::Field(s) if ctx.sym_class(*s) == crate::lower::FieldClass::Regular => {
                    Some((ctx.field_name(*s).to_string(), *a))
                }
                _ => None,
            })
            .collect()
    }
}

impl Evaluated<'_> {
    /// The regular field `name` of the struct at `v` as stored there, before following a
    /// shared value or a single surviving alternative (`field` follows them).
    pub fn field_arc(&mut self, v: VId, name: &str) -> Option<VId> {
        let sym = self.ctx.quoted_sym(name);
        let v = self.ctx.deref(v);
        let a = structs::lookup(&mut self.ctx, v, Label::Field(sym))?;
        let av = self.ctx.v(a);
        (av.has_regular || av.has_required).then_some(a)
    }

    /// Where the value of `v` came from: the spans of the expressions unified into it (its
    /// conjuncts), then those of the values it references (inlined or shared), in the order
    /// the evaluator met them, each once. Conjuncts that are computed values (builtin
    /// results) have no place and are left out.
    pub fn declarations(&self, v: VId) -> Vec<Span> {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        self.declarations_into(v, &mut out, &mut seen);
        out
    }

    fn declarations_into(&self, v: VId, out: &mut Vec<Span>, seen: &mut Vec<VId>) {
        if seen.contains(&v) || seen.len() > 64 {
            return;
        }
        seen.push(v);
        let vx = self.ctx.v(v);
        for c in &vx.conjs {
            if let Some(e) = c.expr.as_expr() {
                let span = self.ctx.prog.expr(e).span;
                if span != Span::default() && !out.contains(&span) {
                    out.push(span);
                }
            }
        }
        let mut next: Vec<VId> = Vec::new();
        next.extend(vx.first_inlined());
        if let Some(x) = &vx.x {
            next.extend(x.inlined.iter().copied());
        }
        next.extend(vx.forward());
        for t in next {
            self.declarations_into(t, out, seen);
        }
    }
}

/// The type of the value at `v` when it is a scalar that is not concrete, defaults taken
/// (`int` for `int & >0`, `string` for `=~"^a"`); `None` for concrete values, structs, lists,
/// errors, and disjunctions of several structs.
pub fn type_of_incomplete(ctx: &Ctx, v: VId) -> Option<String> {
    let mut t = ctx.deref(v);
    while let Some(alts) = ctx.v(t).alts() {
        let defaults: Vec<VId> = alts.iter().filter(|(_, d)| *d).map(|(a, _)| *a).collect();
        match defaults[..] {
            [d] => t = ctx.deref(d),
            _ => return None,
        }
    }
    let vx = ctx.v(t);
    if vx.err.is_some() || vx.is_struct || !vx.lists().is_empty() {
        return None;
    }
    let base = unify::default_of(&vx.base);
    if unify::is_concrete(&base) || matches!(base, Val::Vertex(_) | Val::Bottom(_)) {
        return None;
    }
    Some(unify::kind_name(unify::kind_of(&base)))
}

impl Evaluated<'_> {
    /// The required fields (`name!: T`) the struct at `v` declares and nobody set, in order,
    /// each with its vertex.
    pub fn missing_required(&mut self, v: VId) -> Vec<(String, VId)> {
        let fields = self.field_arcs(v);
        fields
            .into_iter()
            .filter(|(_, a)| {
                let av = self.ctx.v(*a);
                av.has_required && !av.has_regular
            })
            .collect()
    }
}

/// A value to write for a field whose value is `v` when one is obvious, in orche syntax: its
/// default, else the first alternative that has one, else for a type the simplest value it
/// allows (`""`, `0` or the lowest value its bounds allow, `false`, `null`), `{}` for a struct
/// and a list of placeholders for a list's required elements. `None` when there is none
/// (`bytes`, a validator no candidate meets).
pub fn placeholder(ctx: &Ctx, v: VId) -> Option<String> {
    let t = ctx.deref(v);
    let vx = ctx.v(t);
    if vx.err.is_some() {
        return None;
    }
    if let Some(alts) = vx.alts() {
        let mut order: Vec<VId> = alts.iter().filter(|(_, d)| *d).map(|(a, _)| *a).collect();
        order.extend(alts.iter().filter(|(_, d)| !*d).map(|(a, _)| *a));
        return order.into_iter().find_map(|a| placeholder(ctx, a));
    }
    if vx.is_struct {
        return Some("{}".into());
    }
    if !vx.lists().is_empty() {
        let items: Option<Vec<String>> = vx
            .list_elems()
            .into_iter()
            .map(|(_, a)| placeholder(ctx, a))
            .collect();
        return Some(format!("[{}]", items?.join(", ")));
    }
    placeholder_val(&vx.base).map(|p| unify::show(&p))
}

fn placeholder_val(v: &Val) -> Option<Val> {
    use crate::lower::kind;
    let v = unify::default_of(v);
    if unify::is_concrete(&v) {
        return Some(v);
    }
    if let Val::Disj(ds) = &v {
        return ds.iter().find_map(|(d, _)| placeholder_val(d));
    }
    let k = unify::kind_of(&v);
    let mut candidates: Vec<Val> = Vec::new();
    if k & kind::STRING != 0 {
        candidates.push(Val::Str("".into()));
    }
    if k & kind::NUMBER != 0 {
        // The lowest value the bounds allow, then zero.
        let bounds: Vec<&Val> = match &v {
            Val::Conj(cs) => cs.iter().collect(),
            other => vec![other],
        };
        for b in bounds {
            if let Val::Bound(op, n) = b {
                if let Val::Num(n) = &**n {
                    match op {
                        BoundOp::Ge => candidates.push(Val::Num(n.clone())),
                        BoundOp::Gt if n.is_int() => candidates.push(Val::num(n.add(&Num::one()))),
                        _ => {}
                    }
                }
            }
        }
        candidates.push(Val::num(Num::from_i64(0)));
        candidates.push(Val::num(Num::from_i64(1)));
    }
    if k & kind::BOOL != 0 {
        candidates.push(Val::Bool(false));
    }
    if k & kind::NULL != 0 {
        candidates.push(Val::Null);
    }
    candidates
        .into_iter()
        .find(|c| !matches!(unify::meet(&v, c), Val::Bottom(_)))
}

/// Gives every optional field below `at` its arc and value, for `orche eval`.
pub fn finalize_optional(ev: &mut Evaluated, at: VId) {
    structs::finalize_optional(&mut ev.ctx, at);
}

/// Collected problems of an evaluation, as diagnostics.
pub fn diagnostics(ev: &Evaluated, mode: ExportMode, at: VId) -> Vec<Diag> {
    report::collect(&ev.ctx, at, mode)
}

#[cfg(test)]
mod tests {
    use super::ChildGroups;

    #[test]
    fn child_groups_past_the_list_are_found_in_the_map() {
        // Groups filled in turns, one with more children than its list holds: every child is
        // found again under its own group and key, and only there.
        let mut t = ChildGroups::default();
        let mut next = 100;
        let mut made = Vec::new();
        for key in 0..20u32 {
            for g in [1, 2, 7] {
                if g != 7 || key < 3 {
                    let listed = t.find(g, key).expect_err("not there yet");
                    t.insert(g, key, next, listed);
                    made.push((g, key, next));
                    next += 1;
                }
            }
        }
        for (g, key, c) in made {
            assert_eq!(t.get(g, key), Some(c), "group {g}, key {key}");
        }
        assert_eq!(t.get(7, 3), None);
        assert_eq!(t.get(3, 0), None);
        assert_eq!(t.get(1, 20), None);
        assert_eq!(t.get(1_000_000, 0), None);
    }
}
