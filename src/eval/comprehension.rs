//! Comprehensions: `for`, `if` and `let` clauses yielding struct fields or list elements, and
//! `list.Sort` with a user comparator (which evaluates a struct per comparison). Invariant: each
//! clause pushes exactly the binding frame that lowering counted.

use super::structs::{add_conj, arc, expand, lookup, process_expr, value_of};
use super::unify::{default_of, is_concrete, kind_name, kind_of, show};
use super::{
    bottom, builtins, expr, incomplete, Bot, CloseId, Conj, ConjExpr, Ctx, Env, Frame, VId, Val,
};
use crate::lower::{Clause, Comprehension, ExprId, ExprKind, FieldClass, Label};
use crate::source::Span;
use crate::value::{Num, Value};
use std::rc::Rc;

enum Sink {
    Struct,
    List(usize),
}

pub fn run_struct(ctx: &mut Ctx, v: VId, c: &Comprehension, env: Rc<Env>, close: CloseId) {
    let mut sink = Sink::Struct;
    clauses(ctx, v, c, 0, Some(env), close, &mut sink);
}

/// Runs a list comprehension, appending elements from index `n`; returns the next index.
pub fn run_list(
    ctx: &mut Ctx,
    v: VId,
    c: &Comprehension,
    env: Option<Rc<Env>>,
    close: CloseId,
    n: usize,
) -> usize {
    let mut sink = Sink::List(n);
    clauses(ctx, v, c, 0, env, close, &mut sink);
    match sink {
        Sink::List(n) => n,
        Sink::Struct => n,
    }
}

fn push_vars<const N: usize>(env: Option<Rc<Env>>, vals: [Val; N]) -> Option<Rc<Env>> {
    // From an array the slice is allocated once, at its final size.
    let vals: Rc<[Val]> = vals.into_iter().collect();
    Some(Rc::new(Env {
        parent: env,
        frame: Frame::Vars(vals),
    }))
}

fn clauses(
    ctx: &mut Ctx,
    v: VId,
    c: &Comprehension,
    i: usize,
    env: Option<Rc<Env>>,
    close: CloseId,
    sink: &mut Sink,
) {
    let Some(cl) = c.clauses.get(i) else {
        yield_body(ctx, v, c.body, env, close, sink);
        return;
    };
    match cl {
        Clause::For { source, span } => {
            let src = default_of(&expr::eval(ctx, *source, env.as_ref()));
            let items = match iterate(ctx, &src, *span) {
                Ok(items) => items,
                Err(b) => {
                    fail(ctx, v, b, sink);
                    return;
                }
            };
            for (k, val) in items {
                let e = push_vars(env.clone(), [k, val]);
                clauses(ctx, v, c, i + 1, e, close, sink);
            }
        }
        Clause::If(cond) => {
            let span = ctx.prog.expr(*cond).span;
            match default_of(&expr::eval(ctx, *cond, env.as_ref())) {
                Val::Bool(true) => clauses(ctx, v, c, i + 1, env, close, sink),
                Val::Bool(false) => {}
                Val::Bottom(b) => fail(ctx, v, b, sink),
                other if is_concrete(&other) || matches!(other, Val::Vertex(_)) => {
                    let b = Bot::new(
                        "orche::eval::comprehension",
                        format!(
                            "cannot use {} (type {}) as type bool",
                            show(&other),
                            kind_name(kind_of(&other))
                        ),
                        vec![span],
                    );
                    fail(ctx, v, b, sink)
                }
                other => fail(
                    ctx,
                    v,
                    Bot::incomplete(format!("incomplete condition {}", show(&other)), vec![span]),
                    sink,
                ),
            }
        }
        Clause::Let(e) => {
            let val = expr::eval(ctx, *e, env.as_ref());
            let e2 = push_vars(env, [val]);
            clauses(ctx, v, c, i + 1, e2, close, sink);
        }
    }
}

fn fail(ctx: &mut Ctx, v: VId, b: Rc<Bot>, _sink: &mut Sink) {
    ctx.set_err(v, b);
}

fn yield_body(
    ctx: &mut Ctx,
    v: VId,
    body: ExprId,
    env: Option<Rc<Env>>,
    close: CloseId,
    sink: &mut Sink,
) {
    match sink {
        Sink::Struct => process_expr(ctx, v, body, env, close, false),
        Sink::List(n) => {
            let span = ctx.prog.expr(body).span;
            let a = arc(ctx, v, Label::Index(*n as u32), span);
            ctx.vm(a).has_regular = true;
            add_conj(
                ctx,
                a,
                Conj {
                    expr: ConjExpr::expr(body),
                    env,
                    close: 0,
                },
            );
            *n += 1;
        }
    }
}

/// The (key, value) pairs a `for` clause iterates over.
fn iterate(ctx: &mut Ctx, src: &Val, span: Span) -> Result<Vec<(Val, Val)>, Rc<Bot>> {
    match src {
        Val::Vertex(t) => {
            expand(ctx, *t);
            let t = ctx.deref(*t);
            if let Some(alts) = ctx.v(t).alts() {
                let defaults: Vec<VId> = alts.iter().filter(|(_, d)| *d).map(|(a, _)| *a).collect();
                if defaults.len() != 1 {
                    return Err(Bot::incomplete(
                        "cannot range over an unresolved disjunction",
                        vec![span],
                    ));
                }
                return iterate(ctx, &Val::Vertex(defaults[0]), span);
            }
            if let Some(e) = &ctx.v(t).err {
                return Err(e.clone());
            }
            let arcs: Vec<(Label, VId)> = ctx.v(t).arcs.iter().map(|(l, a)| (*l, *a)).collect();
            let is_list = !ctx.v(t).lists().is_empty();
            let mut out = Vec::new();
            for (l, a) in arcs {
                match l {
                    Label::Index(i) if is_list => {
                        out.push((Val::num(Num::from_i64(i as i64)), value_of(ctx, a)))
                    }
                    Label::Field(s) if !is_list => {
                        let av = ctx.v(a);
                        if ctx.sym_class(s) != FieldClass::Regular || !av.has_regular {
                            continue;
                        }
                        let name = ctx.field_name_rc(s);
                        out.push((Val::Str(name), value_of(ctx, a)));
                    }
                    _ => {}
                }
            }
            Ok(out)
        }
        Val::Bottom(b) => Err(b.clone()),
        other if is_concrete(other) => Err(Bot::new(
            "orche::eval::comprehension",
            format!(
                "cannot range over {} (found {}, want list or struct)",
                show(other),
                kind_name(kind_of(other))
            ),
            vec![span],
        )),
        other => Err(Bot::incomplete(
            format!("cannot range over non-concrete value {}", show(other)),
            vec![span],
        )),
    }
}

/// `list.Sort(list, cmp)` and friends: the comparator is a struct with fields `x`, `y` and
/// `less`, evaluated once per comparison.
pub fn list_sort(
    ctx: &mut Ctx,
    b: &'static builtins::Builtin,
    args: &[ExprId],
    env: Option<&Rc<Env>>,
    span: Span,
) -> Val {
    let lv = default_of(&expr::eval(ctx, args[0], env));
    let items = match expr::to_value(ctx, &lv, span) {
        Ok(Value::List(items)) => items,
        Ok(other) => {
            return bottom(
                "orche::eval::builtin",
                format!("list.{}: cannot use {} as list", b.name, other.kind_name()),
                span,
            )
        }
        Err(e) => return e,
    };
    let natural = match &ctx.prog.expr(args[1]).kind {
        ExprKind::Select(_, s) => match ctx.sym_name(*s) {
            "Ascending" => Some(false),
            "Descending" => Some(true),
            _ => None,
        },
        _ => None,
    };
    let cmp_expr = args[1];
    let env = env.cloned();
    let xs = ctx.quoted_sym("x");
    let ys = ctx.quoted_sym("y");
    let less_sym = ctx.quoted_sym("less");
    let mut failure: Option<Val> = None;
    let mut less = |a: &Value, bv: &Value| -> Result<bool, builtins::BuiltinError> {
        if let Some(desc) = natural {
            let ord = natural_cmp(a, bv)
                .ok_or_else(|| builtins::BuiltinError::Msg("values are not comparable".into()))?;
            return Ok(if desc {
                ord == std::cmp::Ordering::Greater
            } else {
                ord == std::cmp::Ordering::Less
            });
        }
        let c = ctx.new_vertex(None, crate::eval::ANON, span);
        ctx.vm(c).has_regular = true;
        let mut m = indexmap::IndexMap::new();
        m.insert("x".to_string(), a.clone());
        m.insert("y".to_string(), bv.clone());
        let _ = (xs, ys);
        ctx.vm(c).conjs.push(Conj {
            expr: ConjExpr::expr(cmp_expr),
            env: env.clone(),
            close: 0,
        });
        let data = ctx.conj_val(Val::Data(Rc::new(Value::Struct(m))));
        ctx.vm(c).conjs.push(Conj {
            expr: data,
            env: None,
            close: 0,
        });
        // cue v0.14.2: a comparator without `less` is incomplete (a more concrete
        // configuration may add it), so `eval` prints the call and `export` says incomplete.
        let l = match lookup(ctx, c, Label::Field(less_sym)) {
            Some(l) => default_of(&value_of(ctx, l)),
            None => {
                return Err(builtins::BuiltinError::Incomplete(
                    "comparator has no field less".into(),
                ))
            }
        };
        match l {
            Val::Bool(x) => Ok(x),
            other => Err(builtins::BuiltinError::Msg(format!(
                "less is {}, not a bool",
                show(&other)
            ))),
        }
    };
    if b.name == "IsSorted" {
        let mut sorted = true;
        for w in items.windows(2) {
            match less(&w[1], &w[0]) {
                Ok(true) => {
                    sorted = false;
                    break;
                }
                Ok(false) => {}
                Err(e) => {
                    failure = Some(sort_failure("IsSorted", e, span));
                    break;
                }
            }
        }
        return failure.unwrap_or(Val::Bool(sorted));
    }
    // cue looks `less` up even when there is nothing to compare.
    if items.len() < 2 && natural.is_none() {
        if let Err(e) = less(&Value::Null, &Value::Null) {
            if matches!(e, builtins::BuiltinError::Incomplete(_)) {
                return sort_failure(b.name, e, span);
            }
        }
    }
    match builtins::sort_values(items, &mut less, b.name == "SortStable") {
        Ok(sorted) => expr::from_value(ctx, Value::List(sorted), span),
        Err(e) => sort_failure(b.name, e, span),
    }
}

/// A comparator's failure as the call's value: incomplete when `less` is missing.
fn sort_failure(name: &str, e: builtins::BuiltinError, span: Span) -> Val {
    match e {
        builtins::BuiltinError::Incomplete(m) => incomplete(format!("list.{name}: {m}"), span),
        builtins::BuiltinError::Msg(m) => {
            bottom("orche::eval::builtin", format!("list.{name}: {m}"), span)
        }
    }
}

fn natural_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}
