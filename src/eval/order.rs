//! Field order: the order in which a struct's fields are exported, worked out as cue v0.14.2
//! does from the orders in which the struct literals that made the struct declare them.
//!
//! While evaluating, every struct literal processed into a vertex is recorded as a *source*
//! (`note_literal`), with its place (the outermost reference through which the vertex got it,
//! else the literal's last field) and whether it was an operand of `&` (*explicit*); a
//! dynamic field's label is recorded beside it (`note_dynamic`). `finalize_deep` then calls
//! `apply`: a vertex with two or more sources (or a dynamic field) gets its arcs ordered by a
//! topological sort of a graph of labels:
//!
//! - the sources are sorted by place and cut into *batches*: sources at one place (an `&` of
//!   references, the iterations of a comprehension without dynamic fields) form one batch,
//!   and consecutive explicit batches of one file merge;
//! - each source adds edges along its declaration order, starting from the last labels of
//!   the batch before (none when the file changes); a label seen before in the same source,
//!   or (outside explicit unification) in another source of the same file, adds no edge;
//! - the labels are then sorted topologically, the ready label that sorts first by name going
//!   first; the labels of a cycle of orders (`{b: _, a: _} & {a: _, b: _}`) come together in
//!   name order, as cue v0.14.2 puts them.
//!
//! Invariant: only the order of a vertex's arcs changes, never the set; everything here is
//! deterministic (vectors and lookup-only maps) and total on any input.

use super::{Ctx, FastMap, VId};
use crate::lower::{Decl, ExprId, ExprKind, Label};
use crate::source::Span;
use smallvec::SmallVec;

/// No source (`Ctx::order_head`, `Src::next`).
const NONE: u32 = u32::MAX;

/// What a source is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A struct literal processed into the vertex.
    Lit(ExprId),
    /// The label a dynamic field (its label expression) gave.
    Dyn(ExprId, Label),
}

/// One source of a vertex's fields, in a list per vertex (newest first).
#[derive(Clone, Copy, Debug)]
pub struct Src {
    kind: Kind,
    file: u32,
    pos: u32,
    explicit: bool,
    next: u32,
}

/// The recording state of one evaluation (`Ctx::order`).
#[derive(Default)]
pub struct Order {
    /// Per vertex: the newest source (`NONE` for none); grown on demand.
    head: Vec<u32>,
    srcs: Vec<Src>,
    /// The vertex a reference is being inlined into, and that (outermost) reference's span:
    /// the place of the literals it brings.
    pub via: Option<(VId, Span)>,
    /// The vertex whose conjunct's `&` operands are being processed.
    pub and: Option<VId>,
    /// Orders already worked out (`sorted`).
    memo: Memo,
}

/// At most this many orders are remembered (each struct shape once; a run with more
/// distinct shapes sorts the rest every time).
const MEMO_MAX: usize = 4096;

impl Order {
    fn push(&mut self, v: VId, kind: Kind, file: u32, pos: u32, explicit: bool) {
        let i = v as usize;
        if self.head.len() <= i {
            self.head.resize(i + 1, NONE);
        }
        let next = self.head[i];
        self.head[i] = self.srcs.len() as u32;
        self.srcs.push(Src {
            kind,
            file,
            pos,
            explicit,
            next,
        });
    }

    /// Whether `v` has more than one literal or any dynamic field (only then may the order
    /// differ from the arcs' insertion order).
    fn needs_sort(&self, v: VId) -> bool {
        let Some(&first) = self.head.get(v as usize) else {
            return false;
        };
        if first == NONE {
            return false;
        }
        let s = &self.srcs[first as usize];
        matches!(s.kind, Kind::Dyn(..)) || s.next != NONE
    }
}

/// Records that struct literal `id` is processed into `v`. Its place is the reference it
/// came through, if any; else its last field, found only if `v` is sorted (`NONE` here).
#[inline]
pub fn note_literal(ctx: &mut Ctx, v: VId, id: ExprId) {
    let (file, pos) = match ctx.order.via {
        Some((w, s)) if w == v => (s.file.0, s.start),
        _ => (NONE, NONE),
    };
    let explicit = ctx.order.and == Some(v);
    ctx.order.push(v, Kind::Lit(id), file, pos, explicit);
}

/// Records the label a dynamic field (label expression `label_e`) gave in `v`.
pub fn note_dynamic(ctx: &mut Ctx, v: VId, label_e: ExprId, label: Label) {
    ctx.order.push(v, Kind::Dyn(label_e, label), 0, 0, false);
}

/// An embedded reference `e` of literal `lit` in `v` places that literal where the reference
/// (or the outermost reference `v` is being given) is, as the literals it brings.
pub fn note_embedded_ref(ctx: &mut Ctx, v: VId, lit: ExprId, e: ExprId) {
    let prog = ctx.prog;
    let ek = &prog.expr(e).kind;
    if !matches!(
        ek,
        ExprKind::Ref(_) | ExprKind::Select(..) | ExprKind::Index(..) | ExprKind::Import(_)
    ) {
        return;
    }
    let s = match ctx.order.via {
        Some((w, s)) if w == v => s,
        _ => prog.expr(e).span,
    };
    let o = &mut ctx.order;
    let mut i = o.head.get(v as usize).copied().unwrap_or(NONE);
    while i != NONE {
        let src = &mut o.srcs[i as usize];
        if matches!(src.kind, Kind::Lit(l) if l == lit) {
            src.file = s.file.0;
            src.pos = s.start;
            return;
        }
        i = src.next;
    }
}

/// Puts the arcs of `v` in cue's order, when its sources may disagree.
#[inline]
pub fn apply(ctx: &mut Ctx, v: VId) {
    if ctx.v(v).arcs.len() < 2 || !ctx.order.needs_sort(v) {
        return;
    }
    // The memo is taken out while the order is worked out (it reads `ctx`).
    let mut memo = std::mem::take(&mut ctx.order.memo);
    let order = sorted(ctx, v, &mut memo);
    ctx.order.memo = memo;
    if let Some(order) = order {
        ctx.vm(v).arcs.reorder(&order);
    }
}

/// A root of the sort: a literal source.
#[derive(Clone, Copy)]
struct Root {
    lit: ExprId,
    file: u32,
    pos: u32,
    explicit: bool,
    dynamic: bool,
    /// The literal declares fields.
    fields: bool,
    /// Its fields' labels, as a number (`LitShape::shape`), for a literal a reference
    /// brought (met again in every vertex that reference reaches); `NONE` for one met in
    /// place, whose labels are then in `Memo::labels` at `labels`.
    shape: u32,
    labels: (u32, u32),
}

/// What `sorted` reads of a struct literal, worked out the first time the literal is met
/// (`Memo::shape`) rather than per vertex.
#[derive(Clone, Copy)]
struct LitShape {
    /// Its fields' labels in order, interned: literals that declare the same labels in the
    /// same order have the same number.
    shape: u32,
    /// It has dynamic fields.
    dynamic: bool,
    /// It declares fields.
    fields: bool,
}

/// Orders already worked out, by what decides them (`sorted`'s key), and scratch space.
#[derive(Default)]
pub struct Memo {
    /// `None`: unchanged.
    orders: FastMap<Box<[u64]>, Option<Box<[u32]>>>,
    /// The key being built.
    key: Vec<u64>,
    /// The labels of the roots met in place, as key words, while a key is built.
    labels: Vec<u64>,
    /// A literal's labels, as key words, while its shape is worked out.
    scratch: Vec<u64>,
    /// Per struct literal met: its shape.
    lits: FastMap<ExprId, LitShape>,
    /// Label lists (key words) to their shape numbers.
    shapes: FastMap<Box<[u64]>, u32>,
}

impl Memo {
    /// The shape of struct literal `id` (of any other expression: no fields, its own span).
    fn shape(&mut self, prog: &crate::lower::Program, id: ExprId) -> LitShape {
        if let Some(s) = self.lits.get(&id) {
            return *s;
        }
        let e = prog.expr(id);
        let mut dynamic = false;
        self.scratch.clear();
        if let ExprKind::Struct(lit) = &e.kind {
            for d in &lit.decls {
                match d {
                    Decl::Field { label, .. } => {
                        self.scratch.push(key_word(*label));
                    }
                    Decl::Dynamic { .. } => {
                        dynamic = true;
                    }
                    _ => {}
                }
            }
        }
        let next = self.shapes.len() as u32;
        let shape = match self.shapes.get(self.scratch.as_slice()) {
            Some(&n) => n,
            None => {
                self.shapes.insert(self.scratch.as_slice().into(), next);
                next
            }
        };
        let s = LitShape {
            shape,
            dynamic,
            fields: !self.scratch.is_empty(),
        };
        self.lits.insert(id, s);
        s
    }
}

/// Tags of the words of a memo key (`sorted`), in the high half.
const K_FIELD: u64 = 1 << 32;
const K_INDEX: u64 = 2 << 32;
const K_LET: u64 = 3 << 32;
const K_ROOT: u64 = 4 << 32;
const K_FILE: u64 = 5 << 32;
const K_ARCS: u64 = 6 << 32;
const K_SHAPE: u64 = 7 << 32;

fn key_word(l: Label) -> u64 {
    match l {
        Label::Field(s) => K_FIELD | s.0 as u64,
        Label::Index(i) => K_INDEX | i as u64,
        Label::Let(i) => K_LET | i as u64,
    }
}

/// The new order of `v`'s arcs (indices into its current arcs), `None` when it is the
/// current one. Remembered in `memo` by everything the sort reads (the roots' shapes, in
/// order, with their batch, explicitness and file; the arcs' labels), so that structs of
/// one shape (each resource of a kind) are sorted once. The shape of a literal a reference
/// brought (its labels, whether it has dynamic fields) is worked out once per literal.
fn sorted(ctx: &Ctx, v: VId, memo: &mut Memo) -> Option<SmallVec<[u32; 32]>> {
    let prog = ctx.prog;
    let o = &ctx.order;
    // The sources, newest first; the labels dynamic fields gave (oldest first, as `Dyn`
    // entries are consumed in order).
    let mut roots: SmallVec<[Root; 8]> = SmallVec::new();
    let mut dyns: Vec<(ExprId, Label)> = Vec::new();
    memo.labels.clear();
    let mut i = o.head.get(v as usize).copied().unwrap_or(NONE);
    while i != NONE {
        let s = o.srcs[i as usize];
        match s.kind {
            Kind::Lit(id) if s.file != NONE || s.pos != NONE => {
                // Brought by a reference: a literal met in many vertices.
                let sh = memo.shape(prog, id);
                roots.push(Root {
                    lit: id,
                    file: s.file,
                    pos: s.pos,
                    explicit: s.explicit,
                    dynamic: sh.dynamic,
                    fields: sh.fields,
                    shape: sh.shape,
                    labels: (0, 0),
                })
            }
            Kind::Lit(id) => {
                // Met in place (most often only here): read now. Its place is its last
                // field (else the literal itself).
                let e = prog.expr(id);
                let mut last = e.span;
                let mut dynamic = false;
                let start = memo.labels.len() as u32;
                if let ExprKind::Struct(lit) = &e.kind {
                    for d in &lit.decls {
                        match d {
                            Decl::Field { span, label, .. } => {
                                last = *span;
                                memo.labels.push(key_word(*label));
                            }
                            Decl::Dynamic { span, .. } => {
                                last = *span;
                                dynamic = true;
                            }
                            _ => {}
                        }
                    }
                }
                let end = memo.labels.len() as u32;
                roots.push(Root {
                    lit: id,
                    file: last.file.0,
                    pos: last.start,
                    explicit: s.explicit,
                    dynamic,
                    fields: end > start,
                    shape: NONE,
                    labels: (start, end),
                })
            }
            Kind::Dyn(e, l) => dyns.push((e, l)),
        }
        i = s.next;
    }
    // Dynamic fields depend on what they evaluated to: not remembered.
    let remember = dyns.is_empty() && !roots.iter().any(|r| r.dynamic);
    if remember {
        let mut with_fields = roots.iter().filter(|r| r.fields);
        if let (Some(r), None) = (with_fields.next(), with_fields.next()) {
            if one_chain_kept(ctx, v, r.lit) {
                return None;
            }
        }
    }
    roots.reverse();
    dyns.reverse();
    dyns.sort_by_key(|(e, _)| *e);
    // By place; at one place, literals with dynamic fields last (stable: else as processed).
    roots.sort_by_key(|r| (r.file, r.pos, r.dynamic));
    // Batches, as ranges of `roots`: roots at one place (without dynamic fields) are unified
    // explicitly; consecutive explicit batches of one file merge.
    let mut batches: SmallVec<[(usize, usize); 8]> = SmallVec::new();
    let explicit = |b: (usize, usize)| b.1 - b.0 > 1 || roots[b.0].explicit;
    let mut start = 0;
    for i in 1..=roots.len() {
        let joins = i < roots.len()
            && (roots[start].file, roots[start].pos) == (roots[i].file, roots[i].pos)
            && !roots[i].dynamic;
        if joins {
            continue;
        }
        let b = (start, i);
        match batches.last_mut() {
            Some(prev)
                if explicit(b) && explicit(*prev) && roots[b.0].file == roots[prev.0].file =>
            {
                prev.1 = i;
            }
            _ => batches.push(b),
        }
        start = i;
    }
    if remember {
        let key = &mut memo.key;
        key.clear();
        for (bi, &b) in batches.iter().enumerate() {
            let ex = explicit(b) as u64;
            for root in &roots[b.0..b.1] {
                key.push(K_ROOT | (bi as u64) << 1 | ex);
                key.push(K_FILE | root.file as u64);
                if root.shape == NONE {
                    key.extend_from_slice(
                        &memo.labels[root.labels.0 as usize..root.labels.1 as usize],
                    );
                } else {
                    key.push(K_SHAPE | root.shape as u64);
                }
            }
        }
        key.push(K_ARCS);
        key.extend(ctx.v(v).arcs.iter().map(|(l, _)| key_word(*l)));
        if let Some(r) = memo.orders.get(key.as_slice()) {
            return r.as_deref().map(SmallVec::from_slice);
        }
    }
    let r = graph_order(ctx, v, &roots, &batches, &dyns);
    if remember && memo.orders.len() < MEMO_MAX {
        let stored = r.as_deref().map(Box::from);
        memo.orders.insert(memo.key.as_slice().into(), stored);
    }
    r.map(|o| SmallVec::from_vec(o))
}

/// Whether the arcs of `v` keep their order when `lit` is the only literal that declares
/// fields in it (and no field is dynamic): its labels then form one chain of edges in
/// declaration order (a label it repeats adds none; one without an arc is a link of the
/// chain), which the sort follows; it keeps the arcs' order when they are exactly the
/// chain's labels in that order (a label without a place in the chain would go by name).
fn one_chain_kept(ctx: &Ctx, v: VId, lit: ExprId) -> bool {
    let ExprKind::Struct(lit) = &ctx.prog.expr(lit).kind else {
        return false;
    };
    let arcs = &ctx.v(v).arcs;
    let n = arcs.len();
    let mut j = 0;
    for d in &lit.decls {
        let Decl::Field { label, .. } = d else {
            continue;
        };
        if matches!(label, Label::Let(_)) {
            continue;
        }
        if j < n && arcs.label_at(j) == *label {
            j += 1;
            continue;
        }
        match arcs.position(label) {
            Some(p) if p >= j => return false,
            _ => {}
        }
    }
    j == n
}

/// The order of `v`'s arcs by the graph of labels its sources (`roots`, sorted by place and
/// cut into `batches`; `dyns`: the labels dynamic fields gave, by declaration) declare.
fn graph_order(
    ctx: &Ctx,
    v: VId,
    roots: &[Root],
    batches: &[(usize, usize)],
    dyns: &[(ExprId, Label)],
) -> Option<Vec<u32>> {
    let prog = ctx.prog;
    let explicit = |b: (usize, usize)| b.1 - b.0 > 1 || roots[b.0].explicit;
    // Per dynamic declaration, the index in `dyns` of the next label it gave.
    let mut dyn_next: SmallVec<[(ExprId, usize); 4]> = SmallVec::new();
    // Nodes: the arcs, in order, then labels declared without an arc (absent optional
    // fields), which still carry order between the others.
    let arcs = &ctx.v(v).arcs;
    let n_arcs = arcs.len();
    let mut extra: SmallVec<[Label; 8]> = SmallVec::new();
    let mut owner: SmallVec<[u32; 32]> = smallvec::smallvec![NONE; n_arcs];
    let mut edges: SmallVec<[(u32, u32); 32]> = SmallVec::new();
    let mut previous: SmallVec<[u32; 8]> = SmallVec::new();
    let mut next: SmallVec<[u32; 8]> = SmallVec::new();
    let mut prev: SmallVec<[u32; 8]> = SmallVec::new();
    for (bi, &b) in batches.iter().enumerate() {
        let explicit = explicit(b);
        let file = roots[b.0].file;
        if bi > 0 && roots[batches[bi - 1].0].file != file {
            previous.clear();
        }
        next.clear();
        for (ri, root) in roots.iter().enumerate().take(b.1).skip(b.0) {
            let ExprKind::Struct(lit) = &prog.expr(root.lit).kind else {
                continue;
            };
            prev.clear();
            prev.extend_from_slice(&previous);
            for d in &lit.decls {
                let label = match d {
                    Decl::Field { label, .. } => *label,
                    Decl::Dynamic { label, .. } => {
                        // The next label this declaration gave (`dyns` is sorted by
                        // declaration, stably).
                        let at = match dyn_next.iter_mut().find(|(e, _)| e == label) {
                            Some((_, at)) => at,
                            None => {
                                let first = dyns.partition_point(|(e, _)| e < label);
                                dyn_next.push((*label, first));
                                &mut dyn_next.last_mut().expect("just pushed").1
                            }
                        };
                        match dyns.get(*at) {
                            Some((e, l)) if e == label => {
                                *at += 1;
                                *l
                            }
                            _ => continue,
                        }
                    }
                    _ => continue,
                };
                if matches!(label, Label::Let(_)) {
                    continue;
                }
                let node = match arcs.position(&label) {
                    Some(p) => p as u32,
                    None => match extra.iter().position(|l| *l == label) {
                        Some(p) => (n_arcs + p) as u32,
                        None => {
                            extra.push(label);
                            owner.push(NONE);
                            (n_arcs + extra.len() - 1) as u32
                        }
                    },
                };
                let was = owner[node as usize];
                if was == ri as u32 {
                    continue;
                }
                if was != NONE && !explicit && roots[was as usize].file == root.file {
                    continue;
                }
                owner[node as usize] = ri as u32;
                for &p in &prev {
                    edges.push((p, node));
                }
                prev.clear();
                prev.push(node);
            }
            next.extend_from_slice(&prev);
        }
        std::mem::swap(&mut previous, &mut next);
    }
    if extra.is_empty() && forced_as_is(n_arcs, &edges) {
        return None;
    }
    let n = n_arcs + extra.len();
    let label = |i: usize| {
        if i < n_arcs {
            arcs.label_at(i)
        } else {
            extra[i - n_arcs]
        }
    };
    let order: SmallVec<[u32; 32]> = if n <= 64 {
        topo_small(n, |i| name_key(ctx, label(i)), &edges)
    } else {
        let keys: Vec<(u8, u32, &str)> = (0..n).map(|i| name_key(ctx, label(i))).collect();
        topo(&keys, &edges).into()
    };
    // Unchanged: the arcs come first in their order (labels without an arc, anywhere).
    if order
        .iter()
        .filter(|&&i| (i as usize) < n_arcs)
        .enumerate()
        .all(|(j, &i)| i as usize == j)
    {
        return None;
    }
    // Lets have no place in the graph's order: they go last, as they were.
    let mut out: Vec<u32> = order
        .into_iter()
        .filter(|&i| (i as usize) < n_arcs && !matches!(label(i as usize), Label::Let(_)))
        .collect();
    out.extend((0..n_arcs as u32).filter(|&i| matches!(label(i as usize), Label::Let(_))));
    if out.iter().enumerate().all(|(j, &i)| i as usize == j) {
        return None;
    }
    Some(out)
}

/// Whether the arcs' current order is the only topological order of `edges` over `n` arcs:
/// every edge goes forward and each arc has an edge from the one before it, so exactly one
/// label is ready at each step of the sort (a comprehension's fields, each the next link of
/// one chain). A `let` arc has no edges, so it never passes.
fn forced_as_is(n: usize, edges: &[(u32, u32)]) -> bool {
    if edges.len() + 1 < n {
        return false;
    }
    let mut linked: SmallVec<[bool; 32]> = smallvec::smallvec![false; n];
    for &(a, b) in edges {
        if a >= b {
            return false;
        }
        if a + 1 == b {
            linked[b as usize] = true;
        }
    }
    linked.iter().skip(1).all(|&l| l)
}

/// How labels compare when several are ready: indices first, then names.
fn name_key<'c>(ctx: &'c Ctx, l: Label) -> (u8, u32, &'c str) {
    match l {
        Label::Index(i) => (0, i, ""),
        Label::Field(s) => (1, 0, ctx.field_name(s)),
        Label::Let(i) => (2, i, ""),
    }
}

/// `topo` for at most 64 labels, on bit sets; names (`key`) are looked at only when two
/// labels are ready at once or the orders have a cycle.
fn topo_small<'c>(
    n: usize,
    key: impl Fn(usize) -> (u8, u32, &'c str),
    edges: &[(u32, u32)],
) -> SmallVec<[u32; 32]> {
    let mut inc = [0u64; 64];
    for &(a, b) in edges {
        inc[b as usize] |= 1 << a;
    }
    let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut out: SmallVec<[u32; 32]> = SmallVec::new();
    let mut placed = 0u64;
    // Each label's name, looked up on first need.
    let mut names: SmallVec<[Option<(u8, u32, &'c str)>; 32]> = smallvec::smallvec![None; n];
    let mut name = |i: usize| *names[i].get_or_insert_with(|| key(i));
    while placed != all {
        let mut ready = 0u64;
        for (i, m) in inc.iter().enumerate().take(n) {
            if placed & (1 << i) == 0 && m & !placed == 0 {
                ready |= 1 << i;
            }
        }
        if ready == 0 {
            break;
        }
        let mut i = ready.trailing_zeros();
        let mut rest = ready & (ready - 1);
        if rest != 0 {
            let mut best = name(i as usize);
            while rest != 0 {
                let j = rest.trailing_zeros();
                rest &= rest - 1;
                let k = name(j as usize);
                if k < best {
                    best = k;
                    i = j;
                }
            }
        }
        placed |= 1 << i;
        out.push(i);
    }
    if placed == all {
        return out;
    }
    // A cycle of orders: all over again by components (the labels each reaches that reach
    // it), since a cycle whose first name is smaller goes before a ready label.
    placed = 0;
    out.clear();
    let keys: SmallVec<[(u8, u32, &str); 32]> = (0..n).map(&mut name).collect();
    let mut by_name: SmallVec<[u32; 32]> = (0..n as u32).collect();
    by_name.sort_by_key(|&i| keys[i as usize]);
    let mut reach = [0u64; 64];
    for &(a, b) in edges {
        reach[a as usize] |= 1 << b;
    }
    for k in 0..n {
        let bit = 1u64 << k;
        let rk = reach[k];
        for m in reach.iter_mut().take(n) {
            if *m & bit != 0 {
                *m |= rk;
            }
        }
    }
    let comp: SmallVec<[u64; 32]> = (0..n)
        .map(|i| {
            let mut c = 1u64 << i;
            for j in 0..n {
                if reach[i] & (1 << j) != 0 && reach[j] & (1 << i) != 0 {
                    c |= 1 << j;
                }
            }
            c
        })
        .collect();
    // Members of a component in name order.
    let members = |c: u64| by_name.iter().copied().filter(move |&i| c & (1 << i) != 0);
    while placed != all {
        let mut best: Option<u64> = None;
        for &c in &comp {
            if placed & c != 0 || best == Some(c) {
                continue;
            }
            let ready = members(c).all(|j| inc[j as usize] & !placed & !c == 0);
            if ready && best.is_none_or(|b| members(c).cmp(members(b)).is_lt()) {
                best = Some(c);
            }
        }
        let Some(c) = best else { break };
        placed |= c;
        out.extend(members(c));
    }
    out
}

/// A topological order of the labels (`keys`: how they compare by name) under `edges`,
/// taking the ready label first by name. The labels of a cycle of orders (a strongly
/// connected component) come together, in name order, when the first of them is ready;
/// components that are ready at once go by their names.
fn topo(keys: &[(u8, u32, &str)], edges: &[(u32, u32)]) -> Vec<u32> {
    let n = keys.len();
    let mut pg: petgraph::graph::DiGraph<(), ()> =
        petgraph::graph::DiGraph::with_capacity(n, edges.len());
    for _ in 0..n {
        pg.add_node(());
    }
    for &(a, b) in edges {
        pg.add_edge(a.into(), b.into(), ());
    }
    // Components, each with its labels in name order.
    let mut comps: Vec<Vec<u32>> = petgraph::algo::kosaraju_scc(&pg)
        .into_iter()
        .map(|c| {
            let mut c: Vec<u32> = c.into_iter().map(|x| x.index() as u32).collect();
            c.sort_by_key(|&i| keys[i as usize]);
            c
        })
        .collect();
    comps.sort_by(|a, b| {
        a.iter()
            .map(|&i| keys[i as usize])
            .cmp(b.iter().map(|&i| keys[i as usize]))
    });
    let mut comp_of = vec![0u32; n];
    for (ci, c) in comps.iter().enumerate() {
        for &i in c {
            comp_of[i as usize] = ci as u32;
        }
    }
    // Edges between components: how many each waits on.
    let mut waiting = vec![0usize; comps.len()];
    let mut seen: FastMap<(u32, u32), ()> = FastMap::default();
    let mut succ: Vec<Vec<u32>> = vec![Vec::new(); comps.len()];
    for &(a, b) in edges {
        let (ca, cb) = (comp_of[a as usize], comp_of[b as usize]);
        if ca != cb && seen.insert((ca, cb), ()).is_none() {
            succ[ca as usize].push(cb);
            waiting[cb as usize] += 1;
        }
    }
    // Components are numbered in name order, so the smallest ready number goes first.
    let mut ready: std::collections::BTreeSet<u32> = (0..comps.len() as u32)
        .filter(|&c| waiting[c as usize] == 0)
        .collect();
    let mut out: Vec<u32> = Vec::with_capacity(n);
    while let Some(c) = ready.pop_first() {
        out.extend_from_slice(&comps[c as usize]);
        for &m in &succ[c as usize] {
            waiting[m as usize] -= 1;
            if waiting[m as usize] == 0 {
                ready.insert(m);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{forced_as_is, topo, topo_small};

    /// Names in the reverse of the arcs' order, so that a sort free to choose by name would
    /// never give the current order.
    const NAMES: [&str; 8] = ["h", "g", "f", "e", "d", "c", "b", "a"];

    /// Every edge set over up to 6 arcs that `forced_as_is` accepts sorts to the current
    /// order, by both sorts; and it accepts the chain with extra forward edges.
    #[test]
    fn forced_orders_are_what_the_sorts_give() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        for round in 0..4000 {
            let n = 2 + (round % 5);
            let mut edges: Vec<(u32, u32)> = Vec::new();
            for _ in 0..(next() % 12) {
                let a = (next() % n as u64) as u32;
                let b = (next() % n as u64) as u32;
                if a != b {
                    edges.push((a, b));
                }
            }
            // Half the rounds start from the chain, so that many are accepted.
            if round % 2 == 0 {
                edges.extend((1..n as u32).map(|i| (i - 1, i)));
            }
            if !forced_as_is(n, &edges) {
                continue;
            }
            accepted += 1;
            let identity: Vec<u32> = (0..n as u32).collect();
            let small = topo_small(n, |i| (1, 0, NAMES[i]), &edges);
            assert_eq!(small.as_slice(), identity.as_slice(), "{edges:?}");
            let keys: Vec<(u8, u32, &str)> = (0..n).map(|i| (1, 0, NAMES[i])).collect();
            assert_eq!(topo(&keys, &edges), identity, "{edges:?}");
        }
        assert!(accepted > 500, "only {accepted} edge sets accepted");
    }

    #[test]
    fn backward_or_missing_links_are_not_forced() {
        assert!(forced_as_is(3, &[(0, 1), (1, 2)]));
        assert!(forced_as_is(3, &[(0, 1), (1, 2), (0, 2), (0, 1)]));
        assert!(!forced_as_is(3, &[(0, 1)]));
        assert!(!forced_as_is(3, &[(0, 1), (0, 2)]));
        assert!(!forced_as_is(3, &[(0, 1), (1, 2), (2, 0)]));
        assert!(!forced_as_is(2, &[(0, 1), (1, 0)]));
    }
}
