//! Structs, lists and references: expanding a vertex's conjuncts into arcs and a base value.
//! Invariant: a vertex is expanded at most once (re-entry during expansion sees the partial
//! state, which is how reference cycles end), and every arc added after expansion still gets
//! the vertex's pattern constraints.

use super::unify::{is_concrete, kind_name, kind_of, meet, show};
use super::{
    comprehension, disjunct, expr, Bot, CloseId, Conj, ConjExpr, ConjKind, Ctx, Env, FastMap,
    Frame, Group, ListInfo, Pattern, Status, VId, Val, MAX_DEPTH,
};
use crate::lower::{
    kind, BoundOp, Decl, ExprId, ExprKind, FieldClass, InterpPart, Label, ListElem, ListLit, Ref,
    StructLit,
};
use crate::source::Span;
use crate::syntax::ast::Constraint;
use std::rc::Rc;

/// Processes every conjunct of `v` (once).
pub fn expand(ctx: &mut Ctx, v: VId) {
    if ctx.v(v).status != Status::Fresh {
        return;
    }
    ctx.vm(v).status = Status::Expanding;
    if ctx.depth > MAX_DEPTH || ctx.v(v).depth > 1000 {
        let span = ctx.v(v).span;
        ctx.set_err(
            v,
            Bot::new(
                "orche::eval::structural_cycle",
                "structural cycle (or nesting too deep)",
                vec![span],
            ),
        );
        ctx.vm(v).status = Status::Final;
        return;
    }
    ctx.depth += 1;
    // Conjuncts added while expanding are processed when they are added. Literal scalars go
    // first, so that a reference cycle through this field (`x: y + 100, y: x - 100, x: 200`)
    // finds its value, as CUE does.
    let n = ctx.v(v).conjs.len();
    let literal = |ctx: &Ctx, c: &Conj| match c.expr.get() {
        ConjKind::Expr(e) => matches!(
            ctx.prog.expr(e).kind,
            ExprKind::Num(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Null
        ),
        _ => false,
    };
    let has_ref = n > 1 && (0..n).any(|i| !literal(ctx, &ctx.v(v).conjs[i]));
    if has_ref {
        for i in 0..n {
            let c = ctx.v(v).conjs[i].clone();
            if literal(ctx, &c) {
                process(ctx, v, c);
            }
        }
    }
    for i in 0..n {
        let c = ctx.v(v).conjs[i].clone();
        if !(has_ref && literal(ctx, &c)) {
            process(ctx, v, c);
        }
    }
    if ctx.v(v).has_deferred() {
        run_deferred(ctx, v);
    }
    finish_lists(ctx, v);
    if ctx.v(v).has_pending() {
        disjunct::resolve(ctx, v);
    }
    apply_patterns_all(ctx, v);
    ctx.depth -= 1;
    if ctx.v(v).status == Status::Expanding {
        ctx.vm(v).status = Status::Expanded;
    }
}

fn run_deferred(ctx: &mut Ctx, v: VId) {
    let mut guard = 0;
    while guard < 10_000 && ctx.v(v).has_deferred() {
        guard += 1;
        let embeds = std::mem::take(&mut ctx.vm(v).xm().embeds);
        for e in embeds {
            late_embed(ctx, v, e);
        }
        let dynamic = std::mem::take(&mut ctx.vm(v).xm().dynamic);
        let deferred = std::mem::take(&mut ctx.vm(v).xm().deferred);
        for (label_e, value_e, optional, env, close, span) in dynamic {
            let lv = expr::eval(ctx, label_e, Some(&env));
            match super::unify::default_of(&lv) {
                Val::Str(s) => {
                    let sym = ctx.quoted_sym(&s);
                    super::order::note_dynamic(ctx, v, label_e, Label::Field(sym));
                    add_field(
                        ctx,
                        v,
                        Label::Field(sym),
                        optional,
                        Conj {
                            expr: ConjExpr::expr(value_e),
                            env: Some(env),
                            close,
                        },
                        span,
                        false,
                    );
                }
                Val::Bottom(b) => ctx.set_err(v, b),
                other => {
                    let msg = if is_concrete(&other) {
                        format!("invalid label type {}", kind_name(kind_of(&other)))
                    } else {
                        format!("label {} is not concrete", show(&other))
                    };
                    ctx.set_err(
                        v,
                        if is_concrete(&other) {
                            Bot::new("orche::eval::label", msg, vec![span])
                        } else {
                            Bot::incomplete(msg, vec![span])
                        },
                    )
                }
            }
        }
        for (c, env, close) in deferred {
            comprehension::run_struct(ctx, v, &c, env, close);
        }
    }
}

/// Processes an embedding left for the end of `v`'s expansion; the fields it brings or also
/// declares go where it was written.
fn late_embed(ctx: &mut Ctx, v: VId, (lit_id, e, env, close, at): super::LateEmbed) {
    let before = ctx.v(v).arcs.len();
    // The arcs after the embedding's place, by vertex (sorted ids): an optional field the
    // embedding gives an arc is inserted among them (`materialize`), so positions do not tell.
    let mut after: smallvec::SmallVec<[VId; 8]> = (at.min(before)..before)
        .map(|j| ctx.v(v).arcs.nth(j))
        .collect();
    after.sort_unstable();
    let met = with_met_arcs(ctx, v, |ctx| embed(ctx, v, lit_id, e, env, close));
    let vx = ctx.v(v);
    let len = vx.arcs.len();
    if at < len && (len > before || !met.is_empty()) {
        let keys: Vec<u32> = (at..len)
            .map(|j| {
                let a = vx.arcs.nth(j);
                u32::from(after.binary_search(&a).is_ok() && !met.contains(&a))
            })
            .collect();
        ctx.vm(v).arcs.sort_tail(at, &keys);
    }
}

/// Runs `f` and returns the arcs of `v` that already existed and that `f` added to (`arc`
/// reports them): where an embedding's fields belong in declaration order.
fn with_met_arcs(ctx: &mut Ctx, v: VId, f: impl FnOnce(&mut Ctx)) -> Vec<VId> {
    ctx.met_arcs.push((v, Vec::new()));
    f(ctx);
    ctx.met_arcs.pop().map(|(_, a)| a).unwrap_or_default()
}

/// Adds a conjunct to a vertex; processes it at once if the vertex is already expanding.
pub fn add_conj(ctx: &mut Ctx, a: VId, c: Conj) {
    if ctx.vm(a).unshare() {
        // A second conjunct: the shared value becomes a copy that both unify into.
        ctx.vm(a).conjs.push(c.clone());
        let first = ctx.v(a).conjs[0].clone();
        process(ctx, a, first);
        process(ctx, a, c);
        return;
    }
    if ctx.v(a).status >= Status::Expanding {
        ctx.vm(a).conjs.push(c.clone());
        process(ctx, a, c);
    } else {
        ctx.vm(a).conjs.push(c);
    }
}

/// Gets or creates the arc `label` of `v`.
pub fn arc(ctx: &mut Ctx, v: VId, label: Label, span: Span) -> VId {
    if let Some(a) = ctx.v(v).arcs.get(&label) {
        let a = *a;
        for (mv, arcs) in ctx.met_arcs.iter_mut() {
            if *mv == v {
                arcs.push(a);
            }
        }
        return a;
    }
    if let Some(a) = materialize(ctx, v, label) {
        return a;
    }
    let a = ctx.new_vertex(Some(v), label, span);
    ctx.vm(v).arcs.insert(label, a);
    new_arc_added(ctx, v, a);
    a
}

/// The existing arc `label` of `v`, made from its optional declarations if it has no arc yet
/// (`Extra::lazy`).
fn existing_arc(ctx: &mut Ctx, v: VId, label: Label) -> Option<VId> {
    match ctx.v(v).arcs.get(&label) {
        Some(a) => Some(*a),
        None => materialize(ctx, v, label),
    }
}

/// Gives the optional field `label` of `v`, declared lazily, its arc (at its declaration's
/// position) and conjuncts. `None` if `v` has no such declaration.
fn materialize(ctx: &mut Ctx, v: VId, label: Label) -> Option<VId> {
    let lazy = ctx.v(v).lazy();
    let first = lazy.iter().position(|f| f.label == label)?;
    let at = lazy[first].pos;
    let span = lazy[first].span;
    let lazy = std::mem::take(&mut ctx.vm(v).xm().lazy);
    let (mine, mut rest): (Vec<_>, Vec<_>) = lazy
        .into_iter()
        .enumerate()
        .partition(|(_, f)| f.label == label);
    let a = ctx.new_vertex(Some(v), label, span);
    ctx.vm(v).arcs.insert_at(at as usize, label, a);
    if ctx.keyed.contains(&v) {
        ctx.arc_inserts.push((v, at as usize));
    }
    // Later declarations, and those at the same position after this one, move up; so do
    // the places of embeddings still to be processed (taken to come after the field when
    // both were at the same place).
    for (i, f) in rest.iter_mut() {
        if f.pos > at || (f.pos == at && *i > first) {
            f.pos += 1;
        }
    }
    let x = ctx.vm(v).xm();
    for e in x.embeds.iter_mut() {
        if e.4 >= at as usize {
            e.4 += 1;
        }
    }
    x.lazy = rest.into_iter().map(|(_, f)| f).collect();
    new_arc_added(ctx, v, a);
    for (_, f) in mine {
        field_conj(ctx, v, a, label, Constraint::Optional, f.conj);
    }
    Some(a)
}

/// What a new arc `a` of `v` gets when `v` is expanded already: its patterns.
fn new_arc_added(ctx: &mut Ctx, v: VId, a: VId) {
    if ctx.v(v).status >= Status::Expanded {
        if ctx.v(v).status == Status::Final {
            touched(ctx, v);
        }
        apply_patterns(ctx, v, a);
    }
}

/// Something was added below `v` after it was finalized: it and every vertex above it must be
/// walked again by `finalize_deep`.
fn touched(ctx: &mut Ctx, v: VId) {
    let mut cur = Some(v);
    while let Some(c) = cur {
        ctx.vm(c).deep_final = false;
        cur = ctx.v(c).parent();
    }
}

/// Adds the field `label` with conjunct `c` to `v`. `declared`: the field is declared by a
/// struct literal that registered itself in the group (`Reg::Lit`), so the label needs no
/// registering of its own.
fn add_field(
    ctx: &mut Ctx,
    v: VId,
    label: Label,
    optional: Constraint,
    c: Conj,
    span: Span,
    declared: bool,
) {
    if !declared {
        register(ctx, v, c.close, Reg::Label(label));
    }
    // An optional field that nothing else declared yet gets no arc until something needs one:
    // most optional schema fields (`engine?`, `tags?`) stay absent in most instances.
    if optional == Constraint::Optional && ctx.v(v).arcs.get(&label).is_none() {
        let pos = ctx.v(v).arcs.len() as u32;
        ctx.vm(v).xm().lazy.push(super::LazyField {
            label,
            conj: c,
            span,
            pos,
        });
        return;
    }
    let a = arc(ctx, v, label, span);
    field_conj(ctx, v, a, label, optional, c);
}

/// Adds the conjunct `c` of field `label` to its arc `a` of `v`.
fn field_conj(ctx: &mut Ctx, v: VId, a: VId, label: Label, optional: Constraint, c: Conj) {
    {
        let av = ctx.vm(a);
        let before = (av.has_regular, av.has_required);
        match optional {
            Constraint::Regular => av.has_regular = true,
            Constraint::Optional => av.has_optional = true,
            Constraint::Required => av.has_required = true,
        }
        // An arc that `finalize_deep` skipped (optional) may now have to be walked.
        if before != (av.has_regular, av.has_required) && ctx.v(v).status == Status::Final {
            touched(ctx, v);
        }
    }
    let close = c.close;
    // A constant scalar never uses its group: no child group is made for it.
    let scalar = matches!(c.expr.get(), ConjKind::Expr(e) if ctx.is_const(e));
    let cc = if scalar {
        0
    } else if close == 0 && is_definition(ctx, label) {
        // A definition is closed where it is declared too, so that its own body is checked.
        match ctx.def_groups.get(&a) {
            Some(g) => *g,
            None => {
                let g = ctx.fresh_group();
                ctx.def_groups.insert(a, g);
                g
            }
        }
    } else if !ctx.close_groups.is_empty() && ctx.close_groups.contains_key(&close) {
        // `close()` is not recursive (cue v0.14.2): a field of the closed literal is closed
        // only by the context the literal is in (the group `close` widens), if any.
        let p = match ctx.group_parent.get(close as usize).copied().unwrap_or(0) {
            super::NO_PARENT => 0,
            p => p,
        };
        ctx.child_group(p, label)
    } else {
        ctx.child_group(close, label)
    };
    add_conj(ctx, a, Conj { close: cc, ..c });
}

enum Reg {
    Label(Label),
    Pattern(Val),
    Open,
    /// A struct literal (its index in `Ctx::lit_info`): its field labels and constant
    /// patterns (a closed literal without fields allows none, but its group exists).
    Lit(u32),
}

/// Records what a closed literal allows in group `close` of `v`. The groups `close` widens
/// (the group of the definition whose conjunct referenced this one) need not hear of it:
/// `check_closed` does not check a group that another group of the same vertex widens.
fn register(ctx: &mut Ctx, v: VId, close: CloseId, what: Reg) {
    if close == 0 {
        return;
    }
    let i = group(ctx, v, close);
    let grp = &mut ctx.vm(v).groups_mut()[i];
    match what {
        Reg::Label(l) => grp.more_mut().labels.push(l),
        Reg::Pattern(p) => grp.more_mut().patterns.push(p),
        Reg::Open => grp.open = true,
        Reg::Lit(id) => grp.lits.push((id, false)),
    }
}

fn group(ctx: &mut Ctx, v: VId, id: CloseId) -> usize {
    if let Some(i) = ctx.v(v).groups().iter().position(|g| g.id == id) {
        return i;
    }
    let groups = ctx.vm(v).groups_mut();
    groups.push(Group {
        id,
        ..Group::default()
    });
    groups.len() - 1
}

pub fn process(ctx: &mut Ctx, v: VId, c: Conj) {
    match c.expr.get() {
        ConjKind::Val(i) => {
            let span = ctx.v(v).span;
            let val = ctx.conj_vals[i as usize].clone();
            process_val(ctx, v, val, c.close, span)
        }
        ConjKind::Expr(id) => process_expr(ctx, v, id, c.env, c.close, false),
    }
}

pub fn process_expr(
    ctx: &mut Ctx,
    v: VId,
    id: ExprId,
    env: Option<Rc<Env>>,
    close: CloseId,
    embed: bool,
) {
    let prog = ctx.prog;
    let e = prog.expr(id);
    match &e.kind {
        ExprKind::Struct(_) if !embed && share_literal(ctx, v, id) => {}
        ExprKind::Struct(lit) => process_struct(ctx, v, id, lit, env, close),
        ExprKind::List(lit) => process_list(ctx, v, lit, env, close, e.span),
        ExprKind::Binary(crate::lower::BinOp::And, a, b) => {
            // The literals of both operands are unified explicitly (field order).
            let and = ctx.order.and.replace(v);
            process_expr(ctx, v, *a, env.clone(), close, embed);
            process_expr(ctx, v, *b, env, close, embed);
            ctx.order.and = and;
        }
        ExprKind::Disj(alts) if ctx.v(v).choice().is_none() && ctx.is_const(id) => {
            let val = disjunct::const_value(ctx, id, alts, e.span);
            process_val(ctx, v, val, 0, e.span);
        }
        ExprKind::Disj(alts) => {
            let alts: Vec<(Conj, bool)> = alts
                .iter()
                .map(|(a, m)| {
                    (
                        Conj {
                            expr: ConjExpr::expr(*a),
                            env: env.clone(),
                            close,
                        },
                        *m,
                    )
                })
                .collect();
            disjunct::meet_disjunction(ctx, v, alts, e.span);
        }
        ExprKind::Ref(_) | ExprKind::Select(..) | ExprKind::Index(..) | ExprKind::Import(_) => {
            match resolve_target(ctx, id, env.as_ref()) {
                // A field that is only optional has no value to refer to (`y?: int`, `z: y`):
                // the reference is incomplete, as CUE has it, not `int`.
                Some(t) if !embed && optional_only(ctx, t) => {
                    let val = expr::eval(ctx, id, env.as_ref());
                    process_val(ctx, v, val, close, e.span)
                }
                Some(t) => inline(ctx, v, t, close, embed, e.span),
                None => {
                    let val = expr::eval(ctx, id, env.as_ref());
                    process_val(ctx, v, val, close, e.span)
                }
            }
        }
        _ => {
            let val = expr::eval(ctx, id, env.as_ref());
            // A reference cycle through a field that has its value already resolves as CUE
            // does: the conjunct is checked once the cycle is done.
            if is_cycle(&val) && is_concrete(&ctx.v(v).base) {
                let c = Conj {
                    expr: ConjExpr::expr(id),
                    env,
                    close,
                };
                ctx.vm(v).xm().rechecks.push(c);
                return;
            }
            process_val(ctx, v, val, close, e.span)
        }
    }
}

/// Whether `val` is the error of a reference cycle (`value_of` on a vertex being expanded).
fn is_cycle(val: &Val) -> bool {
    matches!(val, Val::Bottom(b) if b.incomplete && b.msg.starts_with(CYCLE))
}

const CYCLE: &str = "cycle: ";

/// Checks the conjuncts left by reference cycles (`Extra::rechecks`) now that `v` is expanded.
fn run_rechecks(ctx: &mut Ctx, v: VId) {
    let Some(x) = ctx.vm(v).x.as_mut() else {
        return;
    };
    let rechecks = std::mem::take(&mut x.rechecks);
    for c in rechecks {
        let Some(id) = c.expr.as_expr() else { continue };
        let val = expr::eval(ctx, id, c.env.as_ref());
        if is_cycle(&val) || matches!(&val, Val::Bottom(b) if b.incomplete) {
            continue;
        }
        let span = ctx.prog.expr(id).span;
        process_val(ctx, v, val, c.close, span);
    }
}

pub fn process_val(ctx: &mut Ctx, v: VId, val: Val, close: CloseId, span: Span) {
    match val {
        Val::Vertex(t) => inline(ctx, v, t, close, false, span),
        Val::Bottom(b) => {
            let b = with_span(b, span);
            ctx.set_err(v, b)
        }
        Val::Top => {}
        Val::Data(d) => process_data(ctx, v, &d, close, span),
        other => {
            // The base is taken for the meet, and put back if it fails (messages show it).
            let base = std::mem::replace(&mut ctx.vm(v).base, Val::Top);
            // Most vertices get one value: it is moved in, not met with `_` and copied.
            let m = if matches!(base, Val::Top) {
                other
            } else {
                meet(&base, &other)
            };
            match m {
                Val::Bottom(b) => {
                    ctx.vm(v).base = base;
                    let mut spans = ctx.v(v).base_spans().to_vec();
                    spans.push(span);
                    let b = Rc::new(Bot {
                        spans,
                        ..(*b).clone()
                    });
                    ctx.set_err(v, b);
                }
                m => {
                    let vm = ctx.vm(v);
                    vm.base = m;
                    vm.push_base_span(span);
                }
            }
        }
    }
}

fn process_data(ctx: &mut Ctx, v: VId, d: &crate::value::Value, close: CloseId, span: Span) {
    use crate::value::Value;
    let child = |x: &Value| match x {
        Value::List(_) | Value::Struct(_) => Val::Data(Rc::new(x.clone())),
        other => expr::scalar_from_value(other),
    };
    match d {
        Value::Struct(m) => {
            ctx.vm(v).is_struct = true;
            for (k, x) in m {
                let sym = ctx.quoted_sym(k);
                add_value_field(ctx, v, Label::Field(sym), child(x), close, span);
            }
        }
        Value::List(items) => {
            for (i, x) in items.iter().enumerate() {
                let a = arc(ctx, v, Label::Index(i as u32), span);
                ctx.vm(a).has_regular = true;
                let expr = ctx.conj_val(child(x));
                add_conj(
                    ctx,
                    a,
                    Conj {
                        expr,
                        env: None,
                        close: 0,
                    },
                );
            }
            ctx.vm(v).xm().lists.push(ListInfo {
                len: items.len(),
                open: false,
                rest: None,
            });
        }
        other => process_val(ctx, v, expr::scalar_from_value(other), close, span),
    }
}

pub fn with_span(b: Rc<Bot>, span: Span) -> Rc<Bot> {
    if b.spans.is_empty() && span != Span::default() {
        Rc::new(Bot {
            spans: vec![span],
            ..(*b).clone()
        })
    } else {
        b
    }
}

fn process_struct(
    ctx: &mut Ctx,
    v: VId,
    id: ExprId,
    lit: &StructLit,
    env: Option<Rc<Env>>,
    close: CloseId,
) {
    super::order::note_literal(ctx, v, id);
    // A literal without references anywhere inside needs no frame: its conjuncts carry no
    // environment (most data is written this way).
    let env2 = if ctx.is_ref_free(id) {
        None
    } else {
        Some(Rc::new(Env {
            parent: env,
            frame: Frame::Vertex(v),
        }))
    };
    if lit.is_struct {
        ctx.vm(v).is_struct = true;
    }
    if ctx.v(v).arcs.is_empty() {
        ctx.vm(v).arcs.reserve(lit.decls.len());
    }
    if close != 0 {
        let lit_index = ctx.note_lit(id);
        register(ctx, v, close, Reg::Lit(lit_index));
        if lit.has_ellipsis {
            register(ctx, v, close, Reg::Open);
        }
    }
    // Embeddings may refer to fields the literal declares after them (`_schema` then
    // `_schema: #S`): they are processed once the literal's own fields are in, and the arcs
    // are then put back in declaration order.
    let defer = env2.is_some() && lit.decls.iter().any(|d| matches!(d, Decl::Embed(_)));
    if !defer {
        for d in &lit.decls {
            process_decl(ctx, v, id, d, &env2, close);
        }
        return;
    }
    // Each arc from `start` on gets the index of the declaration that brought it. An optional
    // field given its arc meanwhile is inserted where it was declared (`materialize`), which
    // moves the arcs after it: `ctx.arc_inserts` tells where.
    let mut start = ctx.v(v).arcs.len();
    let mut keys: Vec<u32> = Vec::new();
    ctx.keyed.push(v);
    let mut seen = ctx.arc_inserts.len();
    for (i, d) in lit.decls.iter().enumerate() {
        if !matches!(d, Decl::Embed(_)) {
            process_decl(ctx, v, id, d, &env2, close);
            absorb_inserts(ctx, v, &mut seen, &mut start, &mut keys, i as u32);
            keys.resize(ctx.v(v).arcs.len() - start, i as u32);
        }
    }
    for (i, d) in lit.decls.iter().enumerate() {
        if matches!(d, Decl::Embed(_)) {
            let deferred = ctx.v(v).x.as_ref().map_or(0, |x| x.embeds.len());
            let met = with_met_arcs(ctx, v, |ctx| process_decl(ctx, v, id, d, &env2, close));
            absorb_inserts(ctx, v, &mut seen, &mut start, &mut keys, i as u32);
            // An embedding left for the end of the vertex: its fields go where it was written.
            if let Some(x) = ctx.vm(v).x.as_mut() {
                if x.embeds.len() > deferred {
                    let at = start + keys.iter().filter(|k| **k < i as u32).count();
                    if let Some(last) = x.embeds.last_mut() {
                        last.4 = at;
                    }
                }
            }
            // A field the embedding also declares comes where the embedding is.
            if !met.is_empty() {
                let vx = ctx.v(v);
                let at: super::FastMap<VId, usize> = (start..vx.arcs.len())
                    .map(|j| (vx.arcs.nth(j), j - start))
                    .collect();
                for a in met {
                    if let Some(k) = at.get(&a).and_then(|j| keys.get_mut(*j)) {
                        *k = (*k).min(i as u32);
                    }
                }
            }
            keys.resize(ctx.v(v).arcs.len() - start, i as u32);
        }
    }
    ctx.keyed.pop();
    if ctx.keyed.is_empty() {
        ctx.arc_inserts.clear();
    }
    if keys.windows(2).any(|w| w[0] > w[1]) {
        ctx.vm(v).arcs.sort_tail(start, &keys);
    }
}

/// Accounts for arcs inserted into `v` (not appended) while its literal is processed with
/// position keys: one before `start` moves the keyed arcs up; one among them gets the key of
/// the arc before it (it was declared there), or `i` at the front.
/// `seen`: how many entries of `ctx.arc_inserts` this literal has accounted for (windows nest).
fn absorb_inserts(
    ctx: &Ctx,
    v: VId,
    seen: &mut usize,
    start: &mut usize,
    keys: &mut Vec<u32>,
    i: u32,
) {
    let new = &ctx.arc_inserts[(*seen).min(ctx.arc_inserts.len())..];
    *seen = ctx.arc_inserts.len();
    for &(iv, at) in new {
        if iv != v {
            continue;
        }
        if at < *start {
            *start += 1;
        } else {
            let j = (at - *start).min(keys.len());
            let key = if j > 0 { keys[j - 1] } else { i };
            keys.insert(j, key);
        }
    }
}

fn process_decl(
    ctx: &mut Ctx,
    v: VId,
    id: ExprId,
    d: &Decl,
    env2: &Option<Rc<Env>>,
    close: CloseId,
) {
    match d {
        Decl::Field {
            label,
            class: _,
            optional,
            value,
            span,
        } => {
            add_field(
                ctx,
                v,
                *label,
                *optional,
                Conj {
                    expr: ConjExpr::expr(*value),
                    env: env2.clone(),
                    close,
                },
                *span,
                true,
            );
        }
        Decl::Dynamic {
            label,
            optional,
            value,
            span,
        } => {
            ctx.vm(v).xm().dynamic.push((
                *label,
                *value,
                *optional,
                frame_env(env2, v),
                close,
                *span,
            ));
        }
        Decl::Pattern {
            pattern,
            value,
            alias,
            span: _,
        } => {
            let pv = expr::eval(ctx, *pattern, env2.as_ref());
            let pv = super::unify::default_of(&pv);
            if let Val::Bottom(b) = &pv {
                // A pattern that fails (`[=~"BAD)"]: _`) makes its struct fail.
                if !b.incomplete {
                    ctx.set_err(v, b.clone());
                }
            }
            // Constant patterns are registered with the literal (`Reg::Lit`).
            if !ctx.is_const(*pattern) {
                register(ctx, v, close, Reg::Pattern(pv.clone()));
            }
            let p = Pattern {
                pattern: pv,
                value: Conj {
                    expr: ConjExpr::expr(*value),
                    env: env2.clone(),
                    close,
                },
                alias: *alias,
            };
            let patterns = &mut ctx.vm(v).xm().patterns;
            patterns.push(p);
            let i = patterns.len() - 1;
            if ctx.v(v).status >= Status::Expanded {
                let n = ctx.v(v).arcs.len();
                for j in 0..n {
                    let a = ctx.v(v).arcs.nth(j);
                    apply_nth(ctx, v, i, a);
                }
            }
        }
        Decl::Embed(e) => {
            if reads_own_fields(ctx, v, *e, env2.as_ref()) {
                let at = ctx.v(v).arcs.len();
                ctx.vm(v)
                    .xm()
                    .embeds
                    .push((id, *e, env2.clone(), close, at));
            } else {
                embed(ctx, v, id, *e, env2.clone(), close);
            }
        }
        Decl::Let { label, value } => {
            let a = arc(ctx, v, *label, Span::default());
            add_conj(
                ctx,
                a,
                Conj {
                    expr: ConjExpr::expr(*value),
                    env: env2.clone(),
                    close: 0,
                },
            );
        }
        Decl::Ellipsis(_) => register(ctx, v, close, Reg::Open),
        Decl::Comprehension(c) => {
            ctx.vm(v)
                .xm()
                .deferred
                .push((c.clone(), frame_env(env2, v), close));
        }
    }
}

/// Processes the embedding `e` of literal `lit_id` into `v`.
fn embed(ctx: &mut Ctx, v: VId, lit_id: ExprId, e: ExprId, env: Option<Rc<Env>>, close: CloseId) {
    let prog = ctx.prog;
    let ExprKind::Struct(lit) = &prog.expr(lit_id).kind else {
        return;
    };
    ctx.embed_rec.push((v, Vec::new()));
    let env2 = env.clone();
    process_expr(ctx, v, e, env, close, true);
    super::order::note_embedded_ref(ctx, v, lit_id, e);
    let (_, groups) = ctx.embed_rec.pop().unwrap_or((v, Vec::new()));
    widen_embedded(ctx, v, lit_id, lit, close, &env2, groups.clone());
    // An embedding inside an embedded literal (`{{#D}, a: 1}`): the outer literal's fields
    // widen those groups too.
    if close == 0 {
        if let Some((ev, outer)) = ctx.embed_rec.last_mut() {
            if *ev == v {
                outer.extend(groups);
            }
        }
    }
}

/// Whether embedding `e` into `v` reads fields of `v` itself, which other conjuncts of `v` may
/// still add to (`#a` beside `#a: _`, or an index into a list of such): it is then processed
/// once all of `v`'s conjuncts are in.
fn reads_own_fields(ctx: &Ctx, v: VId, e: ExprId, env: Option<&Rc<Env>>) -> bool {
    // The embedding's frame is `v` itself.
    matches!(env.map(|e| &e.frame), Some(Frame::Vertex(f)) if *f == v) && reads_frame(ctx, e)
}

/// Whether `e` reads a field of its innermost frame: a reference to one, an index by one
/// (`_kind_fields[kind]`), or an index into a list of such (a comprehension element may read
/// anything in scope: `[if #p != _|_ {…}][0]`).
fn reads_frame(ctx: &Ctx, e: ExprId) -> bool {
    let prog = ctx.prog;
    match &prog.expr(e).kind {
        ExprKind::Ref(Ref::Field { up: 0, .. }) => true,
        ExprKind::Index(x, i) => reads_frame(ctx, *i) || reads_frame(ctx, *x),
        ExprKind::List(l) => l.elems.iter().any(|el| match el {
            ListElem::Expr(x) => reads_frame(ctx, *x),
            ListElem::Comprehension(_) => true,
        }),
        // An operation on such a read (`number & list.Sum(#in)`, `len(#in) + 1`).
        ExprKind::Select(x, _) | ExprKind::Unary(_, x) | ExprKind::Bound(_, x) => {
            reads_frame(ctx, *x)
        }
        ExprKind::Binary(_, x, y) => reads_frame(ctx, *x) || reads_frame(ctx, *y),
        ExprKind::Call(f, args) => {
            reads_frame(ctx, *f) || args.iter().any(|a| reads_frame(ctx, *a))
        }
        ExprKind::Slice(x, lo, hi) => {
            reads_frame(ctx, *x)
                || lo.is_some_and(|e| reads_frame(ctx, e))
                || hi.is_some_and(|e| reads_frame(ctx, e))
        }
        ExprKind::Interp { parts, .. } => parts
            .iter()
            .any(|p| matches!(p, InterpPart::Expr(x) if reads_frame(ctx, *x))),
        ExprKind::Disj(alts) => alts.iter().any(|(x, _)| reads_frame(ctx, *x)),
        _ => false,
    }
}

/// The frame of a struct literal's conjuncts (comprehensions and computed labels always get
/// one: a literal with them is never reference-free).
fn frame_env(env2: &Option<Rc<Env>>, v: VId) -> Rc<Env> {
    env2.clone().unwrap_or_else(|| {
        Rc::new(Env {
            parent: None,
            frame: Frame::Vertex(v),
        })
    })
}

fn process_list(
    ctx: &mut Ctx,
    v: VId,
    lit: &ListLit,
    env: Option<Rc<Env>>,
    close: CloseId,
    span: Span,
) {
    let mut n = 0usize;
    for el in &lit.elems {
        match el {
            ListElem::Expr(e) => {
                let a = arc(ctx, v, Label::Index(n as u32), ctx.prog.expr(*e).span);
                ctx.vm(a).has_regular = true;
                let cc = ctx.child_group(close, Label::Index(0));
                add_conj(
                    ctx,
                    a,
                    Conj {
                        expr: ConjExpr::expr(*e),
                        env: env.clone(),
                        close: cc,
                    },
                );
                n += 1;
            }
            ListElem::Comprehension(c) => {
                n = comprehension::run_list(ctx, v, c, env.clone(), close, n);
            }
        }
    }
    // The element type is in the elements' closedness group, as a pattern constraint's value
    // is in its field's: `#L: [...{a: int, b: *1 | int}] & [{a: 1}]` allows `b`.
    let rest = lit.ellipsis.as_ref().map(|t| {
        t.map(|t| Conj {
            expr: ConjExpr::expr(t),
            env: env.clone(),
            close: if ctx.is_const(t) {
                0
            } else {
                ctx.child_group(close, Label::Index(0))
            },
        })
    });
    let info = ListInfo {
        len: n,
        open: rest.is_some(),
        rest: rest.flatten(),
    };
    let _ = span;
    ctx.vm(v).xm().lists.push(info);
}

fn finish_lists(ctx: &mut Ctx, v: VId) {
    if ctx.v(v).lists().is_empty() {
        return;
    }
    let lists = ctx.v(v).lists().to_vec();
    let closed: Vec<usize> = lists.iter().filter(|l| !l.open).map(|l| l.len).collect();
    let span = ctx.v(v).span;
    let len = if let Some(&first) = closed.first() {
        if let Some(&other) = closed.iter().find(|&&l| l != first) {
            ctx.set_err(
                v,
                Bot::new(
                    "orche::eval::list_length",
                    format!(
                        "incompatible list lengths ({} and {})",
                        first.min(other),
                        first.max(other)
                    ),
                    vec![span],
                ),
            );
            return;
        }
        for l in lists.iter().filter(|l| l.open) {
            if l.len > first {
                ctx.set_err(
                    v,
                    Bot::new(
                        "orche::eval::list_length",
                        format!("incompatible list lengths ({} and {})", first, l.len),
                        vec![span],
                    ),
                );
                return;
            }
        }
        first
    } else {
        lists.iter().map(|l| l.len).max().unwrap_or(0)
    };
    for l in lists.iter() {
        if let Some(rest) = &l.rest {
            for i in l.len..len {
                let a = arc(ctx, v, Label::Index(i as u32), span);
                add_conj(ctx, a, rest.clone());
            }
        }
    }
}

/// Pattern constraints of `v` applied to all its arcs.
fn apply_patterns_all(ctx: &mut Ctx, v: VId) {
    if ctx.v(v).patterns().is_empty() {
        return;
    }
    let n = ctx.v(v).arcs.len();
    for i in 0..n {
        let a = ctx.v(v).arcs.nth(i);
        apply_patterns(ctx, v, a);
    }
}

fn apply_patterns(ctx: &mut Ctx, v: VId, a: VId) {
    let n = ctx.v(v).patterns().len();
    for i in 0..n {
        apply_nth(ctx, v, i, a);
    }
}

/// Applies pattern `i` of `v` to its arc `a`.
fn apply_nth(ctx: &mut Ctx, v: VId, i: usize, a: VId) {
    let sym = match ctx.v(a).label {
        Label::Field(s) => s,
        _ => return,
    };
    if ctx.sym_class(sym) != FieldClass::Regular {
        return;
    }
    let p = &ctx.v(v).patterns()[i];
    if !label_matches(ctx, &p.pattern, sym) {
        return;
    }
    let (mut c, alias) = (p.value.clone(), p.alias);
    c.close = match c.expr.get() {
        ConjKind::Expr(e) if ctx.is_const(e) => 0,
        _ => ctx.child_group(c.close, Label::Field(sym)),
    };
    if alias {
        let name = ctx.field_name_rc(sym);
        let vars: Rc<[Val]> = Rc::new([Val::Str(name)]);
        c.env = Some(Rc::new(Env {
            parent: c.env.clone(),
            frame: Frame::Vars(vars),
        }));
    }
    add_conj(ctx, a, c);
}

pub fn label_matches(ctx: &Ctx, pattern: &Val, sym: crate::lower::Sym) -> bool {
    // The name is read only where the pattern needs it: names of computed keys are many, and
    // reading each is a cache miss.
    match pattern {
        Val::Top => true,
        Val::Kind(k) => k & kind::STRING != 0,
        Val::Str(s) => &**s == ctx.field_name(sym),
        p => !matches!(
            meet(p, &Val::Str(ctx.field_name(sym).into())),
            Val::Bottom(_)
        ),
    }
}

/// Inlines the conjuncts of `t` into `v`: the reference semantics of unification.
pub fn inline(ctx: &mut Ctx, v: VId, t: VId, close: CloseId, embed: bool, span: Span) {
    let let_arc = is_let_arc(ctx, t);
    if t == v {
        if let_arc {
            // A `let` evaluated on its own reaches itself through other `let`s (`let A = B`,
            // `let B = A`): cue points at the let's own value.
            let at = first_conj_span(ctx, t).unwrap_or(span);
            let_cycle(ctx, v, t, at);
        }
        return;
    }
    if let_arc {
        if let Some(b) = ctx.v(t).err.clone().filter(|b| b.code == LET_CYCLE) {
            // A `let` found on a cycle has no value: its error, without evaluating its
            // conjuncts again (a ring of `let`s settled link by link did, each link the
            // whole ring).
            ctx.set_err(v, b);
            return;
        }
    }
    if let_arc && ctx.let_inlining.contains(&(v, t)) {
        // The same, found where a field uses the `let`s.
        if let_cycle(ctx, v, t, span) {
            return;
        }
    }
    // A `let` being evaluated on its own may meet itself once in its value through other
    // `let`s (`let A = {c: B}`, `let B = A`: `c` holds `A` again), as in cue; a second time
    // below that is the cycle.
    let let_ancestor = let_arc && t != v && ctx.is_ancestor_or_self(t, v);
    if let_ancestor && inlined_between(ctx, v, t) {
        let_cycle(ctx, v, t, span);
        return;
    }
    if ctx.v(t).status == Status::Fresh {
        settle_chain(ctx, v, t);
    }
    if let Some(val) = final_scalar(ctx, t) {
        // A finished scalar field (`kind: res.kind`, `timeout: res.health.timeout`, `#Kind`):
        // its value is what its conjuncts would give again, and a scalar cannot contain
        // itself, so no cycle bookkeeping either.
        let (spans, n) = {
            let tx = ctx.v(t);
            (tx.base_spans_array(), tx.base_spans().len())
        };
        ctx.vm(v).note_first_inlined(t);
        let first = if n > 0 { spans[0] } else { span };
        process_val(ctx, v, val, close, first);
        let vm = ctx.vm(v);
        for s in spans.iter().take(n).skip(1) {
            vm.push_base_span(*s);
        }
        return;
    }
    if !let_ancestor && ctx.is_ancestor_or_self(t, v) {
        structural_cycle(ctx, v, span);
        return;
    }
    // A vertex already inlined here adds nothing; one inlined by an ancestor means the value
    // contains itself.
    let mut cur = Some(v);
    let mut below: smallvec::SmallVec<[VId; 8]> = smallvec::SmallVec::new();
    while let Some(u) = cur {
        // The walk up is the work of a deep inline (recursive optional fields expanded level
        // after level): it counts against the budget.
        ctx.steps(1 + ctx.v(u).inlined_count() as u64, v);
        if ctx.v(u).has_inlined(t) {
            if u == v {
                if !reinline(ctx, v, t, close) {
                    return;
                }
                break;
            }
            // An ancestor that got `t` by embedding this very field (`_s` then `_s: #S` in
            // one struct) holds a copy of it, not a cycle.
            ctx.steps((below.len() * ctx.v(u).inlined_count()) as u64, v);
            let via_below = below.iter().any(|b| ctx.v(u).has_inlined(*b));
            if ctx.v(t).is_struct_like() && !via_below && declares_path(ctx, t, &below) {
                if !(let_arc && let_cycle(ctx, v, t, span)) {
                    structural_cycle(ctx, v, span);
                }
                return;
            }
        }
        below.push(u);
        cur = ctx.v(u).parent();
    }
    if !ctx.v(v).has_inlined(t) {
        ctx.vm(v).push_inlined(t);
    }
    let defish = ctx.enters_definition(t, v);
    // A definition shares too (`health: #Health`): alone in `v`, its conjuncts would give
    // its own value, closed the same way. Only one that is all concrete data: errors below a
    // shared vertex are reported at its own path, and those of a definition must be
    // reported where it is used.
    if !embed
        && !let_ancestor
        && (!defish || (is_definition(ctx, ctx.v(t).label) && exports_cleanly(ctx, t)))
    {
        // Structure sharing: a field whose only conjunct is a reference to a finished value
        // (`"\(s)/\(r)": res`) forwards to it instead of evaluating a copy. A reference to a
        // field that itself shares (`levels: graph.levels` where `graph.levels` is
        // `_analysis.levels`) shares what that field shares.
        let shared = if ctx.v(t).is_shared() {
            ctx.deref(t)
        } else {
            t
        };
        if can_share(ctx, v, shared) {
            ctx.vm(v).share(shared);
            return;
        }
    }
    let g = if defish {
        if embed && close != 0 {
            close
        } else {
            let g = ctx.fresh_group();
            if close != 0 {
                ctx.set_group_parent(g, close);
            }
            if let Some((ev, groups)) = ctx.embed_rec.last_mut() {
                if *ev == v {
                    groups.push(g);
                }
            }
            g
        }
    } else {
        0
    };
    if ctx.v(t).conjs.is_empty() {
        // A vertex built from data (builtin results) or the root.
        expand(ctx, t);
        let val = value_of(ctx, t);
        match val {
            Val::Vertex(t2) if t2 != v && !ctx.v(t2).is_struct => {
                inline_built_list(ctx, v, t2, close)
            }
            Val::Vertex(t2) if t2 != v && ctx.v(t2).parent().is_none() => {
                inline_built_struct(ctx, v, t2, close, span)
            }
            Val::Vertex(_) => {}
            val => process_val(ctx, v, val, close, span),
        }
        return;
    }
    let n = ctx.v(t).conjs.len();
    let jump = if n == 1 { far_link(ctx, t) } else { None };
    // The literals `t` brings are placed where the outermost reference into `v` is.
    let via = match ctx.order.via {
        Some((w, _)) if w == v => None,
        _ => Some(ctx.order.via.replace((v, span))),
    };
    if let_arc {
        ctx.let_inlining.push((v, t));
    }
    for i in 0..n {
        let c = ctx.v(t).conjs[i].clone();
        // Inside a closed context, the referenced value's fields are declared by that
        // context's group; outside one, the value keeps its own closedness.
        let cc = if defish {
            g
        } else if close != 0
            && (ctx.close_groups.is_empty() || !ctx.close_groups.contains_key(&c.close))
        {
            close
        } else if close == 0 && ctx.is_embed_closed(c.close) {
            // What an embedding closed stays closed where it is written: a reference to it
            // from an open context is open (cue v0.14.2: `z: a.objs` beside `a: {#Y, objs:
            // …}` allows `z.extra`).
            0
        } else {
            if close != 0 && c.close != close {
                // A `close()` value in a closed context keeps its own group, which widens
                // the context's: the context allows what it declares, and it allows only
                // that.
                ctx.set_group_parent(c.close, close);
            }
            c.close
        };
        if let Some((far, at)) = jump {
            inline(ctx, v, far, cc, false, at);
            continue;
        }
        process(
            ctx,
            v,
            Conj {
                expr: c.expr,
                env: c.env,
                close: cc,
            },
        );
    }
    if let_arc {
        ctx.let_inlining.pop();
    }
    if let Some(outer) = via {
        ctx.order.via = outer;
    }
    if ctx.v(t).closed_all {
        ctx.vm(v).closed_all = true;
    }
}

/// A struct that a builtin built from vertices (`graph.QualifyKeys`): its fields become fields
/// of `v` whose conjunct is the built field.
fn inline_built_struct(ctx: &mut Ctx, v: VId, t: VId, close: CloseId, span: Span) {
    ctx.vm(v).is_struct = true;
    let fields: Vec<(Label, VId)> = ctx.v(t).arcs.iter().map(|(l, a)| (*l, *a)).collect();
    for (l, a) in fields {
        if ctx.v(a).has_regular {
            add_value_field(ctx, v, l, Val::Vertex(a), close, span);
        }
    }
}

/// Adds the regular field `label` to `v` with an evaluated value (data, a built vertex).
fn add_value_field(ctx: &mut Ctx, v: VId, label: Label, val: Val, close: CloseId, span: Span) {
    let expr = ctx.conj_val(val);
    let c = Conj {
        expr,
        env: None,
        close,
    };
    add_field(ctx, v, label, Constraint::Regular, c, span, false);
}

/// A list that a builtin built from vertices (`list.Repeat([int], 3)`): its elements become
/// conjuncts of `v`'s elements.
fn inline_built_list(ctx: &mut Ctx, v: VId, t: VId, close: CloseId) {
    let lists = ctx.v(t).lists().to_vec();
    if lists.is_empty() {
        return;
    }
    let elems: Vec<(Label, VId)> = ctx
        .v(t)
        .list_elems()
        .into_iter()
        .map(|(i, a)| (Label::Index(i), a))
        .collect();
    for (l, a) in elems {
        let span = ctx.v(a).span;
        let e = arc(ctx, v, l, span);
        ctx.vm(e).has_regular = true;
        let cc = ctx.child_group(close, Label::Index(0));
        let expr = ctx.conj_val(Val::Vertex(a));
        add_conj(
            ctx,
            e,
            Conj {
                expr,
                env: None,
                close: cc,
            },
        );
    }
    ctx.vm(v).xm().lists.extend(lists);
}

/// Whether definition or value `t` itself declares, as regular fields, the path that leads
/// from an ancestor that inlined `t` down to the vertex inlining it again (`below`, from that
/// vertex up): only then does the value contain itself without end (`#A: {a: #A}`). A path
/// through an optional field made regular by the data (`properties?: [string]: #Schema`) or
/// a list element the data adds (`depends_on: [...#A]`) is as deep as the data.
fn declares_path(ctx: &mut Ctx, t: VId, below: &[VId]) -> bool {
    let mut cur = ctx.deref(t);
    for &b in below.iter().rev() {
        let label = ctx.v(b).label;
        expand(ctx, cur);
        let cur_d = ctx.deref(cur);
        if ctx.v(cur_d).alts().is_some() || ctx.v(cur_d).status < Status::Expanded {
            // Several alternatives, or a value still being evaluated: which fields it holds
            // is not known here.
            return true;
        }
        if ctx.v(cur_d).lazy().iter().any(|f| f.label == label) {
            // Only declared optional so far.
            return false;
        }
        let Some(&a) = ctx.v(cur_d).arcs.get(&label) else {
            // A list element the data adds is as deep as the data; a field a pattern adds
            // (`{[string]: #D}`) is still taken for a cycle: its alternatives multiply. A
            // field the value neither declares nor could add by a pattern is not its own
            // (`{#Y, objs: {#Y}}`: `#Y` holds no `objs`).
            return !matches!(label, Label::Index(_)) && !ctx.v(cur_d).patterns().is_empty();
        };
        let av = ctx.v(a);
        if !av.has_regular && !av.has_required {
            return false;
        }
        cur = a;
    }
    true
}

/// The vertex the only conjunct of `t` refers to, when `t` is a link of a reference chain:
/// not evaluated yet, one conjunct, a plain reference (`a0: a1`, `a0: s.a1`), under a parent whose
/// conjuncts are all in (expanded), so that evaluating it now gives what it would give later.
fn chain_link(ctx: &mut Ctx, t: VId) -> Option<VId> {
    let tx = ctx.v(t);
    if tx.status != Status::Fresh {
        return None;
    }
    let parent = tx.parent()?;
    if ctx.v(parent).status < Status::Expanded {
        return None;
    }
    link_target(ctx, t).map(|(u, _, _)| u)
}

/// What a link of a reference chain refers to, whatever its status: the vertex its only
/// conjunct names by a plain path (`field_path`), that reference, and its closedness group.
fn link_target(ctx: &mut Ctx, t: VId) -> Option<(VId, ExprId, CloseId)> {
    let tx = ctx.v(t);
    if tx.conjs.len() != 1 {
        return None;
    }
    let c = tx.conjs[0].clone();
    let e = c.expr.as_expr()?;
    if !field_path(ctx, e) {
        return None;
    }
    resolve_target(ctx, e, c.env.as_ref()).map(|u| (u, e, c.close))
}

/// The fewest links a reference chain is settled or jumped over for: one link is evaluated
/// the ordinary way at no extra cost.
const MIN_LINKS: usize = 2;

/// Whether `e` names a field by a plain path: a field reference (`a1`) or selectors on one
/// (`s.a1`, `x.y.a1`). What a link of a reference chain refers to the next link by.
fn field_path(ctx: &Ctx, e: ExprId) -> bool {
    let mut e = e;
    for _ in 0..64 {
        match &ctx.prog.expr(e).kind {
            ExprKind::Ref(Ref::Field { .. }) => return true,
            ExprKind::Select(x, _) => e = *x,
            _ => return false,
        }
    }
    false
}

/// A chain of fields each referring to the next (`a0: a1`, `a1: a2`, …, thousands long):
/// its links are finalized from the far end, so that each meets a finished value instead of
/// inlining the rest of the chain again, which made a chain cost the cube of its length.
/// A chain that ends in a constant scalar (`a9999: 1`) is finalized link by link, each
/// meeting a finished scalar (`final_scalar`). Any other end (a struct, a list, a computed
/// value, a disjunction) is settled whole first (`settle_links`). Iterative, so a long chain
/// does not deepen the stack.
fn settle_chain(ctx: &mut Ctx, v: VId, t: VId) {
    // Most inlined vertices are no link: nothing is allocated for them.
    let Some(mut next) = chain_link(ctx, t) else {
        return;
    };
    if ctx.chain_back.get(&t) == Some(&v) {
        // Walked already from `v`: it leads back (a reference cycle through `v`, whose links
        // `v` evaluates in place one after the other; walking again each time was quadratic).
        return;
    }
    let mut chain = vec![t];
    let mut seen: FastMap<VId, ()> = FastMap::default();
    seen.insert(t, ());
    let end = loop {
        // A cycle, or a link back into the vertex being evaluated: the ordinary path decides.
        if next == v || seen.contains_key(&next) || ctx.is_ancestor_or_self(next, v) {
            for l in chain {
                ctx.chain_back.insert(l, v);
            }
            return;
        }
        match chain_link(ctx, next) {
            None => break next,
            Some(after) => {
                seen.insert(next, ());
                chain.push(next);
                next = after;
            }
        }
    };
    if chain.len() < MIN_LINKS {
        return;
    }
    if !constant_scalar(ctx, end) {
        settle_links(ctx, end, &chain);
        return;
    }
    finalize(ctx, end);
    if final_scalar(ctx, end).is_none() {
        return;
    }
    for &link in chain.iter().rev() {
        finalize(ctx, link);
    }
}

/// Settles a reference chain whose end is not a constant scalar: the end and everything
/// below it first (`finalize_deep`), then each link from the far end, so that each link
/// shares the finished value of the next (`can_share`), meets it as a finished scalar, or
/// (a disjunction with several alternatives left) evaluates only the end's conjuncts again.
/// Only an end that is not being evaluated (on the expansion stack) and whose parent has all
/// its conjuncts. While settling (`Ctx::settling`), a value is shared only once its whole
/// tree is final: a struct being finalized further up the stack (`a` in `a: {x: b}`,
/// `b: c`, `c: {y: a}`) is then evaluated in place below the link, where inlining it
/// again is the structural cycle it is, instead of being shared by a field of its own
/// value, which contained itself without end.
fn settle_links(ctx: &mut Ctx, end: VId, chain: &[VId]) {
    let ex = ctx.v(end);
    let ready = match ex.status {
        Status::Fresh => ex
            .parent()
            .is_some_and(|p| ctx.v(p).status >= Status::Expanded),
        Status::Final => ex.deep_final,
        _ => false,
    };
    if !ready {
        return;
    }
    ctx.settling += 1;
    finalize_deep(ctx, end);
    for &link in chain.iter().rev() {
        finalize_deep(ctx, link);
    }
    ctx.settling -= 1;
}

/// The far end of a settled reference chain that starts at `t`, and the span of the last
/// reference: inlining `t` again where its value cannot be shared (a disjunction with several
/// alternatives left, a definition that is not clean data) processes the far end's conjuncts
/// directly, instead of going through every link again, which made each field cost the
/// length of the rest of the chain. Each link is final with one conjunct, a plain reference
/// (`field_path`);
/// the links are siblings of one kind (all definitions, or all regular fields whose
/// conjuncts have the same closedness group), so that every step would meet the far end in
/// the same closed context (a chain of definitions nests one group per link, and the innermost
/// alone is checked). `None` when `t` is not such a chain of at least two links. Computed
/// once per chain (`Ctx::link_far`).
fn far_link(ctx: &mut Ctx, t: VId) -> Option<(VId, Span)> {
    if let Some(&far) = ctx.link_far.get(&t) {
        return Some(far);
    }
    let link = |ctx: &mut Ctx, l: VId| {
        if ctx.v(l).status != Status::Final {
            return None;
        }
        link_target(ctx, l)
    };
    let (first, e0, close) = link(ctx, t)?;
    let (parent, def) = (ctx.v(t).parent(), is_definition(ctx, ctx.v(t).label));
    let mut path = vec![t];
    let mut seen: FastMap<VId, ()> = FastMap::default();
    seen.insert(t, ());
    let (mut far, mut at_e) = (first, e0);
    loop {
        let fx = ctx.v(far);
        if fx.parent() != parent || is_definition(ctx, fx.label) != def {
            break;
        }
        let Some((next, e, c)) = link(ctx, far) else {
            break;
        };
        // A definition's conjuncts are met in a fresh group wherever it is inlined: their own
        // group does not matter.
        if !def && c != close {
            break;
        }
        if seen.insert(far, ()).is_some() {
            // A reference cycle: the ordinary path decides.
            return None;
        }
        path.push(far);
        if let Some(&(f, at)) = ctx.link_far.get(&far) {
            // The rest of the chain is known.
            for &l in &path {
                ctx.link_far.insert(l, (f, at));
            }
            return Some((f, at));
        }
        far = next;
        at_e = e;
    }
    if path.len() < MIN_LINKS || optional_only(ctx, far) {
        return None;
    }
    let at = ctx.prog.expr(at_e).span;
    for &l in &path {
        ctx.link_far.insert(l, (far, at));
    }
    Some((far, at))
}

/// Whether `t` is a finished scalar, or not yet evaluated with only constant scalar
/// conjuncts (`1`, `"x"`, `int & >0`): evaluating it cannot reach any other vertex.
fn constant_scalar(ctx: &mut Ctx, t: VId) -> bool {
    match ctx.v(t).status {
        Status::Final => final_scalar(ctx, t).is_some(),
        Status::Fresh => {
            let exprs: Vec<Option<ExprId>> =
                ctx.v(t).conjs.iter().map(|c| c.expr.as_expr()).collect();
            !exprs.is_empty()
                && exprs
                    .into_iter()
                    .all(|e| e.is_some_and(|e| ctx.is_const(e)))
        }
        _ => false,
    }
}

/// Whether `t`, already inlined in `v`, is to be inlined again because it is now met in the
/// closed context `close`: the fields it brings must be declared in that context too
/// (`g: #G & {#site: s}` where `#G` already unified `#site` with the definition `s` uses).
/// Once per context, and a few contexts at most, so that reference chains stay finite.
fn reinline(ctx: &mut Ctx, v: VId, t: VId, close: CloseId) -> bool {
    const MAX: usize = 8;
    if close == 0 {
        return false;
    }
    let x = ctx.vm(v).xm();
    if x.reinlined.len() >= MAX || x.reinlined.contains(&(t, close)) {
        return false;
    }
    x.reinlined.push((t, close));
    true
}

/// The value of `t` if it is a finished scalar without errors, alternatives or fields beside
/// it: meeting it is the same as processing its conjuncts again.
fn final_scalar(ctx: &Ctx, t: VId) -> Option<Val> {
    let tx = ctx.v(t);
    let plain = tx.status == Status::Final
        && tx.err.is_none()
        && tx.forward().is_none()
        && tx.lists().is_empty()
        && tx.patterns().is_empty()
        && tx.alts().is_none()
        && !tx.is_struct
        && tx.arcs.is_empty()
        && !tx.conjs.is_empty();
    plain.then(|| tx.base.clone())
}

/// Whether the finished value of `t` is concrete data without errors anywhere below it
/// (computed once per vertex).
fn exports_cleanly(ctx: &mut Ctx, t: VId) -> bool {
    if let Some(&ok) = ctx.clean_defs.get(&t) {
        return ok;
    }
    if !ctx.v(t).deep_final {
        return false;
    }
    let mut errs = Vec::new();
    let ok = super::report::export_to(
        ctx,
        t,
        super::ExportMode::Concrete,
        &mut errs,
        &mut crate::value::NullSink::new(),
    ) && errs.is_empty();
    ctx.clean_defs.insert(t, ok);
    ok
}

/// Structure sharing for literals: a struct literal without references anywhere inside
/// (`health: {timeout: int & >0 | *60}` in a definition) that is the only conjunct of `v` has
/// the same value in every vertex it is met in, so the second vertex it is met alone in
/// evaluates it once on its own and every vertex from then on shares that value, as
/// `health: #Health` shares the definition's. Only clean data is shared (errors below a
/// shared vertex would be reported at its own path); a second conjunct ends the sharing
/// (`add_conj`), and the literal is then processed in `v` as usual. The first vertex does
/// not share: most literals (the data of a configuration) are met once. Returns whether `v`
/// now shares.
fn share_literal(ctx: &mut Ctx, v: VId, id: ExprId) -> bool {
    let vx = ctx.v(v);
    let alone = matches!(vx.conjs.first().map(|c| c.expr.get()), Some(ConjKind::Expr(e)) if e == id)
        && holds_nothing_yet(vx);
    // Only a field in its parent's arcs: a scratch vertex (`close({…})` makes one whose group
    // is the point) passes its value on, and would pass the shared one.
    let field = alone
        && vx
            .parent()
            .is_some_and(|p| ctx.v(p).arcs.get(&vx.label) == Some(&v));
    if !field {
        return false;
    }
    let i = id as usize;
    if ctx.lit_shares.len() <= i {
        ctx.lit_shares
            .resize(ctx.prog.exprs.len().max(i + 1), super::LitShare::Unseen);
    }
    // Whether the literal has references is asked only when it is met a second time.
    let share = ctx.lit_shares[i];
    let t = match share {
        super::LitShare::Unseen => {
            ctx.lit_shares[i] = super::LitShare::Once;
            return false;
        }
        super::LitShare::Value(t) => t,
        super::LitShare::Once if !ctx.is_ref_free(id) => {
            ctx.lit_shares[i] = super::LitShare::Value(super::NO_VID);
            return false;
        }
        super::LitShare::Once => {
            let (label, span) = (ctx.v(v).label, ctx.v(v).span);
            let t = ctx.new_vertex(None, label, span);
            // The copy is itself a vertex the literal is alone in: it must not share.
            ctx.lit_shares[i] = super::LitShare::Value(super::NO_VID);
            ctx.vm(t).conjs.push(Conj {
                expr: ConjExpr::expr(id),
                env: None,
                close: 0,
            });
            finalize_deep(ctx, t);
            let clean = ctx.v(t).alts().is_none() && exports_cleanly(ctx, t);
            let t = if clean { t } else { super::NO_VID };
            ctx.lit_shares[i] = super::LitShare::Value(t);
            t
        }
    };
    if t == super::NO_VID {
        return false;
    }
    ctx.vm(v).share(t);
    true
}

/// Whether `v` may share the value of `t`: `v` has no other conjunct and nothing of its own
/// yet, and `t` is final and not a disjunction with several survivors.
fn can_share(ctx: &Ctx, v: VId, t: VId) -> bool {
    let (vx, tx) = (ctx.v(v), ctx.v(t));
    // The conjunct must be the reference itself, not `a & b` or a literal embedding it.
    let plain_ref = match vx.conjs.first().map(|c| c.expr.get()) {
        Some(ConjKind::Expr(e)) => matches!(
            ctx.prog.expr(e).kind,
            ExprKind::Ref(_) | ExprKind::Select(..) | ExprKind::Index(..)
        ),
        _ => false,
    };
    plain_ref
        && holds_nothing_yet(vx)
        && tx.status == Status::Final
        && tx.alts().is_none()
        && tx.err.is_none()
        && (ctx.settling == 0 || tx.deep_final)
}

/// Whether a vertex being expanded has one conjunct and nothing else yet (no arcs, groups,
/// value, error or extra state): what a vertex must be to share another's value.
fn holds_nothing_yet(vx: &super::Vertex) -> bool {
    vx.conjs.len() == 1
        && vx.status == Status::Expanding
        && vx.arcs.is_empty()
        && vx.x.is_none()
        && vx.groups().is_empty()
        && matches!(vx.base, Val::Top)
        && vx.err.is_none()
}

/// The code of a cycle through `let`s (cue's "cyclic references in let clause or alias").
pub const LET_CYCLE: &str = "orche::eval::let_cycle";

fn is_let_arc(ctx: &Ctx, t: VId) -> bool {
    matches!(ctx.v(t).label, Label::Let(_))
}

/// The expression of `t`'s first conjunct.
fn first_conj_expr(ctx: &Ctx, t: VId) -> Option<ExprId> {
    match ctx.v(t).conjs.first()?.expr.get() {
        ConjKind::Expr(e) => Some(e),
        ConjKind::Val(_) => None,
    }
}

/// Where the value of `t` is written: its first conjunct's expression.
fn first_conj_span(ctx: &Ctx, t: VId) -> Option<Span> {
    first_conj_expr(ctx, t).map(|e| ctx.prog.expr(e).span)
}

/// Whether a vertex strictly between `v` and its ancestor `t` has inlined `t`.
fn inlined_between(ctx: &Ctx, v: VId, t: VId) -> bool {
    let mut cur = ctx.v(v).parent();
    while let Some(u) = cur {
        if u == t {
            return false;
        }
        if ctx.v(u).has_inlined(t) {
            return true;
        }
        cur = ctx.v(u).parent();
    }
    false
}

/// The struct that holds the innermost `let` at or above `v`, if `v` lies in a `let`'s value.
fn let_holder(ctx: &Ctx, v: VId) -> Option<VId> {
    let mut cur = Some(v);
    while let Some(u) = cur {
        if is_let_arc(ctx, u) {
            return ctx.v(u).parent();
        }
        cur = ctx.v(u).parent();
    }
    None
}

/// A cycle through the `let` arc `t`, met at `v`. cue evaluates each `let` of a struct on its
/// own, in order, and reports such a cycle once, inside the first `let` that meets it
/// (`x.let[].c.c`), as the struct's error. So: in a `let`'s own value, the error is set here
/// and on the struct holding the `let`; met where a field uses the `let`s, the struct's `let`s
/// are evaluated on their own (`let_cycle_of`) and their error, if any, is this field's too.
/// Whether an error was set (not when the field's cycle is none of the `let`s' own).
fn let_cycle(ctx: &mut Ctx, v: VId, t: VId, span: Span) -> bool {
    let Some(holder) = let_holder(ctx, v) else {
        let found = ctx.v(t).parent().and_then(|p| let_cycle_of(ctx, p));
        return match found {
            Some(b) => {
                ctx.set_err(v, b);
                true
            }
            None => false,
        };
    };
    let b = Bot::new(
        LET_CYCLE,
        "cyclic references in let clause or alias",
        vec![span],
    );
    b.origin.set(Some(v));
    ctx.set_err(v, b.clone());
    ctx.set_err(holder, b);
    true
}

/// The cycle through the `let`s of struct `p`, found by evaluating each of them on its own in
/// declaration order (none is started while one runs).
fn let_cycle_of(ctx: &mut Ctx, p: VId) -> Option<Rc<Bot>> {
    let found = |ctx: &Ctx| {
        ctx.v(p)
            .err
            .as_ref()
            .filter(|b| b.code == LET_CYCLE)
            .cloned()
    };
    if let Some(b) = found(ctx) {
        return Some(b);
    }
    if !ctx.let_checking.is_empty() {
        // One check at a time: the `let`s evaluated here hold structs of their own whose
        // `let`s would be checked inside it, one more copy per level, without end.
        return None;
    }
    ctx.let_checking.push(p);
    let lets = ctx.v(p).arcs_where(|l| matches!(l, Label::Let(_)));
    let mut out = None;
    for l in lets {
        // Not one being evaluated further up the stack.
        if !matches!(ctx.v(l).status, Status::Expanding | Status::Finalizing) {
            finalize_deep(ctx, l);
        }
        out = found(ctx);
        if out.is_some() {
            break;
        }
    }
    ctx.let_checking.pop();
    out
}

fn structural_cycle(ctx: &mut Ctx, v: VId, span: Span) {
    ctx.set_err(
        v,
        Bot::new(
            "orche::eval::structural_cycle",
            "structural cycle",
            vec![span],
        ),
    );
}

impl super::Vertex {
    pub fn is_struct_like(&self) -> bool {
        true
    }
}

/// The vertex an expression refers to, without evaluating that vertex (only its parents).
pub fn resolve_target(ctx: &mut Ctx, id: ExprId, env: Option<&Rc<Env>>) -> Option<VId> {
    let prog = ctx.prog;
    match &prog.expr(id).kind {
        ExprKind::Ref(Ref::Field { up, label }) => {
            let p = frame_vertex(env, *up)?;
            lookup(ctx, p, *label)
        }
        ExprKind::Ref(Ref::Frame { up }) => frame_vertex(env, *up),
        ExprKind::Ref(Ref::Var { up, slot }) => match frame_var(env, *up, *slot)? {
            Val::Vertex(t) => Some(t),
            _ => None,
        },
        ExprKind::Import(p) => expr::module_package(ctx, p),
        ExprKind::Select(x, sym) => {
            let t = match resolve_target(ctx, *x, env) {
                Some(t) => t,
                None => match expr::eval(ctx, *x, env) {
                    Val::Vertex(t) => t,
                    _ => return None,
                },
            };
            if expr::package_error(ctx, t).is_some() {
                // Selected from an imported package's struct that is an error: the error
                // (`expr::select`).
                return None;
            }
            lookup(ctx, t, Label::Field(*sym))
        }
        ExprKind::Index(x, i) => {
            let t = match resolve_target(ctx, *x, env) {
                Some(t) => t,
                None => match expr::eval(ctx, *x, env) {
                    Val::Vertex(t) => t,
                    _ => return None,
                },
            };
            let iv = super::unify::default_of(&expr::eval(ctx, *i, env));
            let label = match iv {
                Val::Num(n) if n.is_int() => Label::Index(u32::try_from(n.to_i64()?).ok()?),
                Val::Str(s) => Label::Field(ctx.quoted_sym(&s)),
                _ => return None,
            };
            let r = lookup(ctx, t, label)?;
            // Optional fields cannot be indexed into.
            let rv = ctx.v(r);
            if rv.has_regular || rv.has_required || matches!(label, Label::Index(_)) {
                Some(r)
            } else {
                None
            }
        }
        _ => None,
    }
}

pub fn frame_vertex(env: Option<&Rc<Env>>, up: u32) -> Option<VId> {
    let mut e = env?;
    for _ in 0..up {
        e = e.parent.as_ref()?;
    }
    match &e.frame {
        Frame::Vertex(v) => Some(*v),
        Frame::Vars(_) => None,
    }
}

pub fn frame_var(env: Option<&Rc<Env>>, up: u32, slot: u32) -> Option<Val> {
    let mut e = env?;
    for _ in 0..up {
        e = e.parent.as_ref()?;
    }
    match &e.frame {
        Frame::Vars(vals) => vals.get(slot as usize).cloned(),
        Frame::Vertex(_) => None,
    }
}

/// The arc `label` of `v`, expanding `v` first if needed (a vertex being expanded shows the
/// arcs it has so far).
pub fn lookup(ctx: &mut Ctx, v: VId, label: Label) -> Option<VId> {
    expand(ctx, v);
    let mut v = ctx.deref(v);
    if let Some(alts) = ctx.v(v).alts() {
        let defaults: Vec<VId> = alts.iter().filter(|(_, d)| *d).map(|(a, _)| *a).collect();
        if defaults.len() == 1 {
            v = ctx.deref(defaults[0]);
        } else {
            return None;
        }
    }
    existing_arc(ctx, v, label)
}

/// Expands `t` and returns the vertex it stands for with its list elements (index arcs, in
/// stored order).
pub fn expanded_elems(ctx: &mut Ctx, t: VId) -> (VId, Vec<VId>) {
    expand(ctx, t);
    let t = ctx.deref(t);
    let elems = ctx.v(t).arcs_where(|l| matches!(l, Label::Index(_)));
    (t, elems)
}

/// The value of a vertex as an operand: a scalar, or the vertex itself for structs and lists.
pub fn value_of(ctx: &mut Ctx, v: VId) -> Val {
    expand(ctx, v);
    if ctx.v(v).status == Status::Expanding && ctx.v(v).base_is_top_and_empty() {
        if is_let_arc(ctx, v) {
            // A `let` whose value needs itself (`let A = B + 1`, `let B = A + 1`).
            let span = first_conj_span(ctx, v).unwrap_or(ctx.v(v).span);
            let_cycle(ctx, v, v, span);
            if let Some(b) = ctx.v(v).err.clone() {
                return Val::Bottom(b);
            }
        }
        let span = ctx.v(v).span;
        return Val::Bottom(Bot::incomplete(
            format!("{CYCLE}{} refers to itself", ctx.path(v)),
            vec![span],
        ));
    }
    let v = ctx.deref(v);
    if let Some(alts) = ctx.v(v).alts().cloned() {
        let mut out = Vec::new();
        for (a, d) in alts {
            out.push((value_of(ctx, a), d));
        }
        return super::unify::normalize_disj(out).unwrap_or(Val::Top);
    }
    if let Some(e) = &ctx.v(v).err {
        return Val::Bottom(e.clone());
    }
    let vx = ctx.v(v);
    if vx.is_struct || !vx.lists().is_empty() {
        if is_concrete(&vx.base) {
            return Val::Bottom(Bot::new(
                "orche::eval::conflict",
                format!(
                    "conflicting values {} and {} (mismatched types {} and {})",
                    show(&vx.base),
                    if vx.is_struct { "{...}" } else { "[...]" },
                    kind_name(kind_of(&vx.base)),
                    if vx.is_struct { "struct" } else { "list" }
                ),
                vec![vx.span],
            ));
        }
        return Val::Vertex(v);
    }
    vx.base.clone()
}

impl super::Vertex {
    fn base_is_top_and_empty(&self) -> bool {
        matches!(self.base, Val::Top)
            && self.arcs.is_empty()
            && !self.is_struct
            && self.lists().is_empty()
    }
}

/// Expands `v` and checks what can only be checked once all conjuncts are in: closedness and
/// struct/list/scalar agreement.
pub fn finalize(ctx: &mut Ctx, v: VId) {
    expand(ctx, v);
    let v = ctx.deref(v);
    if ctx.v(v).status >= Status::Finalizing {
        return;
    }
    ctx.vm(v).status = Status::Finalizing;
    if ctx.v(v).x.as_ref().is_some_and(|x| !x.rechecks.is_empty()) {
        run_rechecks(ctx, v);
    }
    check_closed(ctx, v);
    let vx = ctx.v(v);
    let span = vx.span;
    let conflict = if vx.is_struct && !vx.lists().is_empty() {
        Some("conflicting values struct and list (mismatched types struct and list)".to_string())
    } else if vx.is_struct || !vx.lists().is_empty() {
        let (name, k) = if vx.is_struct {
            ("{...}", kind::STRUCT)
        } else {
            ("[...]", kind::LIST)
        };
        let bk = kind_of(&vx.base);
        if !matches!(vx.base, Val::Bottom(_)) && bk & k == 0 {
            Some(format!(
                "conflicting values {} and {} (mismatched types {} and {})",
                show(&vx.base),
                name,
                kind_name(bk),
                kind_name(k)
            ))
        } else {
            None
        }
    } else {
        None
    };
    if let Some(msg) = conflict {
        let mut spans = vx.base_spans().to_vec();
        spans.push(span);
        ctx.set_err(v, Bot::new("orche::eval::conflict", msg, spans));
    }
    ctx.vm(v).status = Status::Final;
    let vx = ctx.v(v);
    if (vx.is_struct || !vx.lists().is_empty()) && vx.err.is_none() {
        check_composite_bounds(ctx, v);
    }
    if !ctx.prog.cyclic_lets.is_empty() && holds_cyclic_let(ctx, v) {
        // cue evaluates every `let` on its own: a cycle through them is an error even where
        // no field (or only a part of one `let`) is used.
        let_cycle_of(ctx, v);
    }
}

/// Whether `v` has the arc of a `let` that lowering found on a cycle of `let` references.
fn holds_cyclic_let(ctx: &Ctx, v: VId) -> bool {
    ctx.v(v).arcs.iter().any(|(l, a)| {
        matches!(l, Label::Let(_))
            && matches!(first_conj_expr(ctx, *a), Some(e) if ctx.prog.cyclic_lets.contains(&e))
    })
}

/// `==[1, 2]` and `!={a: 1}` (`@experiment(structcmp)`) on a list or struct: its finished value
/// (regular fields only, as cue compares) against the bound's operand. A value that is not
/// concrete yet is not checked; its own error or incompleteness is reported where it is.
fn check_composite_bounds(ctx: &mut Ctx, v: VId) {
    let operand = |c: &Val| match c {
        Val::Bound(op @ (BoundOp::Eq | BoundOp::Ne), b) => match &**b {
            Val::Data(d) => Some((*op, d.clone())),
            _ => None,
        },
        _ => None,
    };
    let bounds: smallvec::SmallVec<[(BoundOp, Rc<crate::value::Value>); 1]> = match &ctx.v(v).base {
        Val::Conj(cs) => cs.iter().filter_map(operand).collect(),
        c => operand(c).into_iter().collect(),
    };
    if bounds.is_empty() {
        return;
    }
    let span = ctx.v(v).span;
    let Ok(value) = expr::to_value(ctx, &Val::Vertex(v), span) else {
        return;
    };
    for (op, want) in bounds {
        if (value == *want) != (op == BoundOp::Eq) {
            let msg = format!(
                "invalid value {} (out of bound {})",
                expr::show_compact(&value),
                show(&Val::Bound(op, Rc::new(Val::Data(want))))
            );
            let mut spans = ctx.v(v).base_spans().to_vec();
            spans.push(span);
            ctx.set_err(v, Bot::new("orche::eval::bound", msg, spans));
            return;
        }
    }
}

fn is_definition(ctx: &Ctx, label: Label) -> bool {
    matches!(label, Label::Field(s)
        if crate::lower::is_definition_name(ctx.sym_name(s)))
}

/// Whether the closed groups of `v` forbid a regular field `label`.
pub fn rejects(ctx: &Ctx, v: VId, label: Label) -> bool {
    let Label::Field(sym) = label else {
        return false;
    };
    if ctx.sym_class(sym) != FieldClass::Regular {
        return false;
    }
    ctx.v(v)
        .groups()
        .iter()
        .filter(|g| !g.open)
        .any(|g| !ctx.group_allows(g, sym))
}

fn check_closed(ctx: &mut Ctx, v: VId) {
    let vx = ctx.v(v);
    if !vx.groups().iter().any(|g| !g.open) && !vx.closed_all {
        return;
    }
    // A group that another group of this vertex widens (a definition referenced inside
    // another: the inner group's parent chain reaches it) allows whatever the inner group
    // allows, so only the narrowest groups are checked. That is also why `register` records
    // what a literal allows only in its own group (nested definitions give chains of three or
    // four groups, each of which used to get a copy and a check).
    let mut widened: smallvec::SmallVec<[CloseId; 4]> = smallvec::SmallVec::new();
    if vx.groups().len() > 1 {
        let ids: smallvec::SmallVec<[CloseId; 4]> = vx.groups().iter().map(|g| g.id).collect();
        for &g in &ids {
            let mut p = ctx.group_parent_of(g);
            let mut guard = 0;
            while p != 0 && guard < 64 {
                if ids.contains(&p) && !widened.contains(&p) {
                    widened.push(p);
                }
                p = ctx.group_parent_of(p);
                guard += 1;
            }
        }
    }
    let vx = ctx.v(v);
    let groups = vx.groups();
    // A group that many literals contributed to (a struct written in many places) is merged
    // into one sorted label list first, so that checking is not arcs x literals.
    let checks: smallvec::SmallVec<[super::GroupCheck; 2]> = groups
        .iter()
        .filter(|g| !g.open && !widened.contains(&g.id))
        .map(|g| ctx.group_check(g, vx.arcs.len()))
        .collect();
    // Optional fields without an arc yet are fields too: a rejected one gets an arc for the
    // error.
    let labels = vx
        .arcs
        .keys()
        .copied()
        .chain(vx.lazy().iter().map(|f| f.label));
    // Each rejected label, with where the struct that does not allow it opens and the
    // allowed name it is likely a typo of.
    let mut rejected: Vec<(Label, Option<Span>, Option<String>)> = Vec::new();
    for label in labels {
        let Label::Field(sym) = label else { continue };
        if ctx.sym_class(sym) != FieldClass::Regular || rejected.iter().any(|(l, _, _)| *l == label)
        {
            continue;
        }
        if let Some(c) = checks.iter().find(|c| !c.allows(ctx, sym)) {
            let typo_of =
                crate::diag::closest(ctx.field_name(sym), c.label_names(ctx)).map(str::to_string);
            rejected.push((label, c.at(ctx), typo_of));
        }
    }
    drop(checks);
    for (label, closed_at, typo_of) in rejected {
        let Some(a) = existing_arc(ctx, v, label) else {
            continue;
        };
        let mut spans = vec![ctx.v(a).span];
        spans.extend(closed_at.filter(|s| *s != Span::default()));
        let mut b = Bot::new("orche::eval::closed", "field not allowed", spans);
        if let Some(name) = typo_of {
            Rc::make_mut(&mut b).help = Some(format!("did you mean `{name}`?"));
        }
        ctx.set_err(a, b);
    }
}

/// Gives every optional field below `v` its arc and value (`orche eval` shows them; export and
/// `finalize_deep` leave them alone). Each vertex once.
pub fn finalize_optional(ctx: &mut Ctx, v: VId) {
    let mut seen: super::FastMap<VId, ()> = super::FastMap::default();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        let t = ctx.deref(v);
        if seen.insert(t, ()).is_some() {
            continue;
        }
        finalize(ctx, t);
        let labels: Vec<Label> = ctx.v(t).lazy().iter().map(|f| f.label).collect();
        for l in labels {
            existing_arc(ctx, t, l);
        }
        if let Some(alts) = ctx.v(t).alts() {
            stack.extend(alts.iter().map(|(a, _)| *a));
        }
        let arcs: Vec<VId> = ctx.v(t).arcs.values().copied().collect();
        stack.extend(arcs.into_iter().rev());
    }
}

/// Finalizes `v` and every regular arc below it.
pub fn finalize_deep(ctx: &mut Ctx, v: VId) {
    finalize(ctx, v);
    let t = ctx.deref(v);
    if ctx.v(t).deep_final {
        // Walked before: a value shared by several fields (`total_resources`, `levels`).
        return;
    }
    if let Some(alts) = ctx.v(t).alts().cloned() {
        for (a, _) in alts {
            finalize_deep(ctx, a);
        }
        return;
    }
    let skip = |ctx: &Ctx, a: VId| {
        let av = ctx.v(a);
        matches!(av.label, Label::Let(_))
            || (!av.has_regular && !av.has_required && av.has_optional)
    };
    let n = ctx.v(t).arcs.len();
    for i in 0..n {
        let a = ctx.v(t).arcs.nth(i);
        if skip(ctx, a) {
            continue;
        }
        finalize_deep(ctx, a);
        if ctx.v(t).arcs.len() != n {
            // Finalizing `a` gave this struct an arc (a lookup of an optional field, which is
            // inserted where it was declared): positions moved, so the rest is walked by id.
            let rest: Vec<VId> = ctx
                .v(t)
                .arcs
                .iter()
                .map(|(_, x)| *x)
                .skip_while(|x| *x != a)
                .skip(1)
                .collect();
            for a in rest {
                if !skip(ctx, a) {
                    finalize_deep(ctx, a);
                }
            }
            break;
        }
    }
    super::order::apply(ctx, t);
    check_container_validators(ctx, t);
    if ctx.v(t).status == Status::Final {
        ctx.vm(t).deep_final = true;
    }
}

/// Validators such as `list.UniqueItems` or `struct.MinFields(1)` constrain a whole list or
/// struct: they run once its elements are final.
fn check_container_validators(ctx: &mut Ctx, t: VId) {
    let vx = ctx.v(t);
    if vx.err.is_some() || (!vx.is_struct && vx.lists().is_empty()) {
        return;
    }
    let validators: Vec<Val> = match &vx.base {
        Val::Validator(_) => vec![vx.base.clone()],
        Val::Conj(cs) => cs
            .iter()
            .filter(|c| matches!(c, Val::Validator(_)))
            .cloned()
            .collect(),
        _ => return,
    };
    if validators.is_empty() {
        return;
    }
    let mut errs = Vec::new();
    let Some(data) = super::report::export_vertex(ctx, t, super::ExportMode::Concrete, &mut errs)
    else {
        return;
    };
    if !errs.is_empty() {
        return;
    }
    for v in validators {
        let Val::Validator(val) = v else { continue };
        let b = match &val.func {
            super::Func::Builtin(b) => b,
            super::Func::Predeclared(_) => {
                let span = ctx.v(t).span;
                if let Some(e) = super::matchn::check_data(ctx, &val, &data, span) {
                    ctx.set_err(t, e);
                    return;
                }
                continue;
            }
        };
        let mut args = vec![data.clone()];
        args.extend(val.args.iter().cloned());
        let shown = expr::show_value(&data);
        let msg = match (b.func)(&args) {
            Ok(crate::value::Value::Bool(true)) => continue,
            Ok(_) => format!("invalid value {shown} (does not satisfy {})", val.text),
            Err(super::builtins::BuiltinError::Incomplete(_)) => continue,
            Err(super::builtins::BuiltinError::Msg(m)) => {
                format!("invalid value {shown} (does not satisfy {}): {m}", val.text)
            }
        };
        let span = ctx.v(t).span;
        ctx.set_err(t, Bot::new("orche::eval::validator", msg, vec![span]));
        return;
    }
}

/// Closedness that an embedded definition brings does not exclude the embedding struct's own
/// fields: inside a closed struct the embedded fields join its group; in an open one, the
/// embedded group is widened by the struct's declared fields.
fn widen_embedded(
    ctx: &mut Ctx,
    v: VId,
    id: ExprId,
    lit: &StructLit,
    close: CloseId,
    env: &Option<Rc<Env>>,
    groups: Vec<CloseId>,
) {
    if groups.is_empty() {
        return;
    }
    let lit_index = ctx.note_lit(id);
    for g in groups {
        let Some(i) = ctx.v(v).groups().iter().position(|x| x.id == g) else {
            continue;
        };
        if close != 0 {
            let moved = ctx.vm(v).groups_mut().remove(i);
            let ci = group(ctx, v, close);
            let target = &mut ctx.vm(v).groups_mut()[ci];
            target.lits.extend(moved.lits);
            if let Some(m) = moved.more {
                let t = target.more_mut();
                t.labels.extend(m.labels);
                t.patterns.extend(m.patterns);
            }
            target.open |= moved.open;
        } else {
            // The embedding struct's own fields (not its patterns) are allowed too.
            let grp = &mut ctx.vm(v).groups_mut()[i];
            grp.lits.push((lit_index, true));
            grp.open |= lit.has_ellipsis;
            // The struct's own fields are closed as the embedded definition's are, all the
            // way down (cue v0.14.2: `{#D, objs: name: "x"}` allows no `objs.extra`): their
            // conjuncts from this literal take the definition's child group, if the arc has
            // not used them yet.
            for d in &lit.decls {
                let Decl::Field { label, value, .. } = d else {
                    continue;
                };
                if is_definition(ctx, *label) || ctx.is_const(*value) {
                    continue;
                }
                if close_own_field(ctx, v, *label, *value, env, g) {
                    continue;
                }
                // Used already: one level down, the fields its own struct value declares
                // (`{#deps, root: input: …}` where `#deps: root: {}`), where the embedded
                // definition closes that field too.
                let ExprKind::Struct(inner) = &ctx.prog.expr(*value).kind else {
                    continue;
                };
                let Some(a) = existing_arc(ctx, v, *label) else {
                    continue;
                };
                let Some(cg) = ctx.existing_child_group(g, super::label_key(*label)) else {
                    continue;
                };
                let li = ctx.note_lit(*value);
                register(ctx, a, cg, Reg::Lit(li));
                if inner.has_ellipsis {
                    register(ctx, a, cg, Reg::Open);
                }
            }
        }
    }
}

/// Puts the conjunct `value` (in `env`, not closed) of field `label` of `v` into the child
/// group of `g` for that label, while the arc (or the lazy optional field) has not been
/// expanded. Whether it did.
fn close_own_field(
    ctx: &mut Ctx,
    v: VId,
    label: Label,
    value: ExprId,
    env: &Option<Rc<Env>>,
    g: CloseId,
) -> bool {
    let same = |c: &Conj| {
        c.close == 0
            && matches!(c.expr.get(), ConjKind::Expr(e) if e == value)
            && match (&c.env, env) {
                (None, None) => true,
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                _ => false,
            }
    };
    let a = match ctx.v(v).arcs.get(&label) {
        Some(a) => *a,
        None => {
            // A lazy field's conjunct takes its child group when it is given its arc.
            let Some(x) = ctx.vm(v).x.as_mut() else {
                return false;
            };
            let Some(f) = x
                .lazy
                .iter_mut()
                .find(|f| f.label == label && same(&f.conj))
            else {
                return false;
            };
            f.conj.close = g;
            let cg = ctx.child_group(g, label);
            ctx.embed_groups.insert(cg, ());
            return true;
        }
    };
    if ctx.v(a).status != Status::Fresh || ctx.v(a).is_shared() {
        return false;
    }
    let Some(i) = ctx.v(a).conjs.iter().position(same) else {
        return false;
    };
    let cg = ctx.child_group(g, label);
    ctx.embed_groups.insert(cg, ());
    ctx.vm(a).conjs[i].close = cg;
    true
}

/// Whether field `a` is only optional so far (`x?: int`): a reference to it is incomplete.
fn optional_only(ctx: &Ctx, a: VId) -> bool {
    let av = ctx.v(a);
    !av.has_regular && !av.has_required && av.has_optional
}
