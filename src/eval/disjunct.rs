//! Disjunctions. Scalar alternatives meet at the value level (`Val::Disj`); alternatives with
//! structs or lists are resolved by evaluating one clone of the vertex per combination of
//! alternatives and keeping those without errors. Invariant: a clone replays the vertex's
//! conjuncts and takes its recorded choices in the order the disjunctions are met, so the
//! replay is deterministic.

use super::structs::{expand, finalize_deep, process, process_val};
use super::unify::{normalize_disj, push_alt};
use super::{expr, report, Bot, Conj, ConjExpr, ConjKind, Ctx, ExportMode, Status, VId, Val};
use crate::lower::{ExprId, ExprKind, Label};
use crate::source::Span;
use std::rc::Rc;

/// Combinations explored for one vertex before giving up.
const MAX_COMBINATIONS: usize = 4096;

pub fn meet_disjunction(ctx: &mut Ctx, v: VId, alts: Vec<(Conj, bool)>, span: Span) {
    let any_mark = alts.iter().any(|(_, m)| *m);
    // A clone takes its recorded choice.
    if let Some(idx) = ctx.v(v).choice() {
        ctx.vm(v).xm().choice_pos += 1;
        if let Some((c, m)) = alts.get(idx).cloned() {
            if any_mark && !m {
                ctx.vm(v).is_default = false;
            }
            process(ctx, v, c);
        }
        return;
    }
    if alts.iter().all(|(c, _)| is_scalar_alt(ctx, c)) {
        if let Some(val) = scalar_value(ctx, &alts, span) {
            process_val(ctx, v, val, 0, span);
            return;
        }
    }
    ctx.vm(v).xm().pending.push((alts, span));
}

/// The value of a disjunction whose alternatives are all plain values: `None` when one of them
/// turns out to be a struct or list.
fn scalar_value(ctx: &mut Ctx, alts: &[(Conj, bool)], span: Span) -> Option<Val> {
    let any_mark = alts.iter().any(|(_, m)| *m);
    let mut out = Vec::new();
    let mut first_err = None;
    for (c, m) in alts {
        let val = match c.expr.get() {
            ConjKind::Expr(e) => expr::eval(ctx, e, c.env.as_ref()),
            ConjKind::Val(i) => ctx.conj_vals[i as usize].clone(),
        };
        match val {
            ref x if composite(x) => return None,
            Val::Bottom(_) => {
                first_err.get_or_insert(val);
            }
            Val::Disj(ds) => {
                let inner_any = ds.iter().any(|(_, x)| *x);
                for (d, im) in ds.iter() {
                    let mark = if any_mark {
                        *m && (!inner_any || *im)
                    } else {
                        *im
                    };
                    push_alt(&mut out, d.clone(), mark);
                }
            }
            other => push_alt(&mut out, other, *m),
        }
    }
    Some(normalize_disj(out).unwrap_or_else(|| {
        first_err.unwrap_or_else(|| {
            Val::Bottom(Bot::new(
                "orche::eval::disjunction",
                "empty disjunction",
                vec![span],
            ))
        })
    }))
}

/// Whether a value is or holds a struct or list: a nested disjunction with a struct
/// alternative (`(0 | {f: 0}) | 1`) or a meet of such (`(0 | {f: 0}) & (0 | {f: 0})`) is
/// resolved by clones like any other, not met as a value.
fn composite(v: &Val) -> bool {
    match v {
        Val::Vertex(_) | Val::Data(_) => true,
        Val::Disj(ds) => ds.iter().any(|(d, _)| composite(d)),
        Val::Conj(cs) => cs.iter().any(composite),
        _ => false,
    }
}

/// What `meet_disjunction` meets for a disjunction of constant scalars (`Ctx::is_const`),
/// computed once per expression.
pub fn const_value(ctx: &mut Ctx, id: ExprId, alts: &[(ExprId, bool)], span: Span) -> Val {
    if let Some(v) = ctx.const_disj.get(&id) {
        return v.clone();
    }
    let conjs: Vec<(Conj, bool)> = alts
        .iter()
        .map(|(a, m)| {
            (
                Conj {
                    expr: ConjExpr::expr(*a),
                    env: None,
                    close: 0,
                },
                *m,
            )
        })
        .collect();
    let val = scalar_value(ctx, &conjs, span).unwrap_or(Val::Top);
    ctx.const_disj.insert(id, val.clone());
    val
}

/// Whether an alternative can be evaluated as a plain value (no struct or list literal).
fn is_scalar_alt(ctx: &Ctx, c: &Conj) -> bool {
    match c.expr.get() {
        ConjKind::Val(i) => !matches!(ctx.conj_vals[i as usize], Val::Vertex(_) | Val::Data(_)),
        ConjKind::Expr(e) => !matches!(
            ctx.prog.expr(e).kind,
            ExprKind::Struct(_) | ExprKind::List(_)
        ),
    }
}

/// Resolves the pending disjunctions of `v` by evaluating clones.
pub fn resolve(ctx: &mut Ctx, v: VId) {
    let pending = std::mem::take(&mut ctx.vm(v).xm().pending);
    let sizes: Vec<usize> = pending.iter().map(|(a, _)| a.len()).collect();
    let total = sizes
        .iter()
        .try_fold(1usize, |acc, n| acc.checked_mul(*n))
        .unwrap_or(usize::MAX);
    let span = pending.first().map(|(_, s)| *s).unwrap_or(ctx.v(v).span);
    if total > MAX_COMBINATIONS || total == 0 {
        let msg = if total == 0 {
            "empty disjunction".to_string()
        } else {
            format!("too many disjunction combinations ({total})")
        };
        ctx.set_err(v, Bot::new("orche::eval::disjunction", msg, vec![span]));
        return;
    }
    // No alternative of these disjunctions is marked: the default is that of the alternatives
    // which have one of their own (a nested disjunction's), as CUE's rule U1 has it.
    let unmarked = pending.iter().all(|(alts, _)| alts.iter().all(|(_, m)| !m));
    let mut survivors: Vec<(VId, bool, Option<crate::value::Value>)> = Vec::new();
    let mut errors: Vec<Rc<Bot>> = Vec::new();
    let mut combo = vec![0usize; sizes.len()];
    for _ in 0..total {
        let mut choices = ctx.v(v).choices().to_vec();
        choices.extend(combo.iter().copied());
        let (parent, label, vspan) = (ctx.v(v).parent(), ctx.v(v).label, ctx.v(v).span);
        let c = ctx.new_vertex(parent, label, vspan);
        {
            let conjs = ctx.v(v).conjs.clone();
            let (hr, ho, hq) = (
                ctx.v(v).has_regular,
                ctx.v(v).has_optional,
                ctx.v(v).has_required,
            );
            let cv = ctx.vm(c);
            cv.conjs = conjs;
            cv.xm().choices = Some(Rc::new(choices));
            cv.has_regular = hr;
            cv.has_optional = ho;
            cv.has_required = hq;
        }
        expand(ctx, c);
        finalize_deep(ctx, c);
        match first_error(ctx, c) {
            Some(e) => errors.push(e),
            None => {
                let d = ctx.v(c).is_default;
                let mut errs = Vec::new();
                // Alternatives that differ only in optional fields are not the same value.
                let val = if has_optional(ctx, c) {
                    None
                } else {
                    report::export_vertex(ctx, c, ExportMode::Concrete, &mut errs)
                        .filter(|_| errs.is_empty())
                };
                if let Some(x) = &val {
                    if let Some(s) = survivors.iter_mut().find(|(_, _, y)| y.as_ref() == Some(x)) {
                        s.1 |= d;
                        advance(&mut combo, &sizes);
                        continue;
                    }
                }
                survivors.push((c, d, val));
            }
        }
        advance(&mut combo, &sizes);
    }
    if unmarked && survivors.iter().any(|(c, _, _)| has_own_default(ctx, *c)) {
        for s in survivors.iter_mut() {
            s.1 = has_own_default(ctx, s.0);
        }
    }
    match survivors.len() {
        0 if same_deeper_error(ctx, v, &errors) => {
            // Every alternative failed with the same error at the same field below this one
            // (a conflict the disjunction did not cause): that error, where it arose.
            let mut spans: Vec<Span> = Vec::new();
            for e in &errors {
                for s in &e.spans {
                    if !spans.contains(s) {
                        spans.push(*s);
                    }
                }
            }
            let e = &errors[0];
            ctx.set_err(
                v,
                Rc::new(Bot {
                    spans,
                    ..(**e).clone()
                }),
            );
        }
        0 => {
            let detail = if errors.len() == 1 {
                errors[0].msg.clone()
            } else {
                format!(
                    "{} errors in empty disjunction: {}",
                    errors.len(),
                    errors
                        .iter()
                        .map(|e| e.msg.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            let spans = errors
                .first()
                .map(|e| e.spans.clone())
                .unwrap_or_else(|| vec![span]);
            let incomplete = !errors.is_empty() && errors.iter().all(|e| e.incomplete);
            ctx.set_err(
                v,
                Rc::new(Bot {
                    code: if errors.len() == 1 {
                        errors[0].code
                    } else {
                        "orche::eval::disjunction"
                    },
                    msg: detail,
                    spans,
                    incomplete,
                    help: None,
                    typo: None,
                    origin: Default::default(),
                }),
            );
        }
        1 => ctx.vm(v).set_forward(Some(survivors[0].0)),
        _ => {
            let any_default = survivors.iter().any(|(_, d, _)| *d);
            let all_default = survivors.iter().all(|(_, d, _)| *d);
            let alts: Vec<(VId, bool)> = survivors
                .iter()
                .map(|(c, d, _)| (*c, *d && any_default && !all_default))
                .collect();
            let defaults: Vec<VId> = alts.iter().filter(|(_, d)| *d).map(|(c, _)| *c).collect();
            ctx.vm(v).xm().alts = Some(alts);
            if defaults.len() == 1 {
                // Lookups go through the default; export does too.
                ctx.vm(v).set_forward(None);
            }
        }
    }
    if ctx.v(v).status == Status::Expanding {
        ctx.vm(v).status = Status::Expanded;
    }
}

/// Whether a clone's value has a default of its own: the alternative it took was a
/// disjunction with a marked default (`(*0 | {f: 0})` in `(*0 | {f: 0}) | 1`).
fn has_own_default(ctx: &Ctx, c: VId) -> bool {
    let cx = ctx.v(ctx.deref(c));
    cx.alts().is_some_and(|alts| alts.iter().any(|(_, d)| *d))
        || matches!(&cx.base, Val::Disj(ds) if ds.iter().any(|(_, d)| *d))
}

fn advance(combo: &mut [usize], sizes: &[usize]) {
    for i in (0..combo.len()).rev() {
        combo[i] += 1;
        if combo[i] < sizes[i] {
            return;
        }
        combo[i] = 0;
    }
}

/// The first non-incomplete error in a vertex's regular subtree.
/// Whether `errors` (one per failed alternative of `v`) are one error: the same message,
/// arisen at the same field below `v`.
fn same_deeper_error(ctx: &Ctx, v: VId, errors: &[Rc<Bot>]) -> bool {
    let Some(first) = errors.first() else {
        return false;
    };
    let Some(o) = first.origin.get() else {
        return false;
    };
    let at = ctx.path(o);
    report::path_below(&ctx.path(v), &at)
        && errors.iter().all(|e| {
            e.msg == first.msg
                && e.code == first.code
                && !e.incomplete
                && e.origin.get().is_some_and(|o| ctx.path(o) == at)
        })
}

pub fn first_error(ctx: &Ctx, v: VId) -> Option<Rc<Bot>> {
    let v = ctx.deref(v);
    let vx = ctx.v(v);
    if let Some(e) = &vx.err {
        if !e.incomplete {
            return Some(e.clone());
        }
    }
    if let Some(alts) = vx.alts() {
        return if alts.iter().all(|(a, _)| first_error(ctx, *a).is_some()) {
            first_error(ctx, alts[0].0)
        } else {
            None
        };
    }
    for (l, a) in vx.arcs.iter() {
        if matches!(l, Label::Let(_)) {
            continue;
        }
        let av = ctx.v(*a);
        if !av.has_regular && !av.has_required {
            continue;
        }
        if let Some(e) = first_error(ctx, *a) {
            return Some(e);
        }
    }
    None
}

fn has_optional(ctx: &Ctx, v: VId) -> bool {
    let v = ctx.deref(v);
    !ctx.v(v).lazy().is_empty()
        || ctx.v(v).arcs.values().any(|a| {
            let av = ctx.v(*a);
            (!av.has_regular && (av.has_optional || av.has_required)) || has_optional(ctx, *a)
        })
}
