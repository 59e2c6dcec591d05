//! Expressions as operands: references, selectors, arithmetic, comparison, interpolation and
//! calls. Invariant: `eval` always returns a value (errors are `Val::Bottom`), and evaluates a
//! vertex only as far as the operand needs (scalars finalize; structs stay vertices).

use super::builtins::{self, BuiltinError, Member};
use super::structs::{self, frame_var, frame_vertex, lookup, value_of};
use super::unify::{
    bound_op_str, default_of, is_concrete, kind_name, kind_of, meet, normalize_disj, push_alt,
    scalar_eq, show,
};
use super::{bottom, incomplete, Bot, Conj, ConjExpr, Ctx, Env, Func, Val, Validator};
use crate::lower::{
    kind, BinOp, BoundOp, ExprId, ExprKind, InterpPart, Label, Predeclared, Ref, UnOp,
};
use crate::source::Span;
use crate::value::{Num, Value};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};
use std::rc::Rc;

pub fn eval(ctx: &mut Ctx, id: ExprId, env: Option<&Rc<Env>>) -> Val {
    ctx.step(env_vertex(env));
    let prog = ctx.prog;
    // Composite constants (`int & >0`, `"a" | "b"`) are evaluated once.
    if matches!(
        prog.expr(id).kind,
        ExprKind::Binary(..)
            | ExprKind::Unary(..)
            | ExprKind::Bound(..)
            | ExprKind::Disj(_)
            | ExprKind::Interp { .. }
    ) && ctx.is_const(id)
    {
        if let Some(v) = ctx.const_vals.get(&id) {
            return v.clone();
        }
        let v = eval_expr(ctx, id, env);
        ctx.const_vals.insert(id, v.clone());
        return v;
    }
    eval_expr(ctx, id, env)
}

fn eval_expr(ctx: &mut Ctx, id: ExprId, env: Option<&Rc<Env>>) -> Val {
    let prog = ctx.prog;
    let e = prog.expr(id);
    let span = e.span;
    match &e.kind {
        ExprKind::Top => Val::Top,
        ExprKind::Bottom => bottom(
            "orche::eval::explicit",
            "explicit error (_|_ literal) in source",
            span,
        ),
        ExprKind::Null => Val::Null,
        ExprKind::Bool(b) => Val::Bool(*b),
        ExprKind::Num(n) => Val::Num(n.clone()),
        ExprKind::Str(s) => Val::Str(s.clone()),
        ExprKind::Bytes(b) => Val::Bytes(b.clone()),
        ExprKind::Kind(k) => Val::Kind(*k),
        ExprKind::Interp { parts, bytes } => interpolate(ctx, parts, *bytes, env, span),
        ExprKind::Struct(_) | ExprKind::List(_) => anon(ctx, id, env, span),
        ExprKind::Ref(Ref::Field { up, label }) => match frame_vertex(env, *up) {
            Some(p) => match lookup(ctx, p, *label) {
                Some(a) if optional_only(ctx, a) => incomplete(
                    format!(
                        "cannot reference optional field: {}",
                        ctx.label_name(*label)
                    ),
                    span,
                ),
                Some(a) => value_of(ctx, a),
                None => {
                    let name = ctx.label_name(*label);
                    let v = incomplete(format!("undefined field: {name}"), span);
                    undefined_in(v, p, *label)
                }
            },
            None => bottom(
                "orche::eval::internal",
                "reference to a missing scope",
                span,
            ),
        },
        ExprKind::Ref(Ref::Frame { up }) => match frame_vertex(env, *up) {
            Some(p) => value_of(ctx, p),
            None => bottom(
                "orche::eval::internal",
                "reference to a missing scope",
                span,
            ),
        },
        ExprKind::Ref(Ref::Var { up, slot }) => frame_var(env, *up, *slot).unwrap_or_else(|| {
            bottom(
                "orche::eval::internal",
                "reference to a missing binding",
                span,
            )
        }),
        // A module package is a value of its own (`import "example.com/x"`, then `x` embedded
        // or selected from); builtin and `orche/…` packages are looked up by member.
        ExprKind::Import(p) => match module_package(ctx, p) {
            Some(v) => Val::Vertex(v),
            None => Val::Pkg(p.clone()),
        },
        ExprKind::Predeclared(p) => Val::Func(Func::Predeclared(*p)),
        ExprKind::Unresolved(name) => bottom(
            "orche::lower::unresolved",
            format!("reference {name:?} not found"),
            span,
        ),
        ExprKind::Select(x, sym) => {
            // A builtin of an imported package (`strings.Contains`) is the same function
            // wherever the expression is evaluated: looked up once.
            let import = matches!(ctx.prog.expr(*x).kind, ExprKind::Import(_));
            if import {
                if let Some(f) = ctx.pkg_members.get(&id) {
                    return f.clone();
                }
            }
            let base = eval(ctx, *x, env);
            let v = select(ctx, base, *sym, span);
            if import && matches!(v, Val::Func(_) | Val::Validator(_)) {
                ctx.pkg_members.insert(id, v.clone());
            }
            v
        }
        ExprKind::Index(..) => match structs::resolve_target(ctx, id, env) {
            Some(t) => value_of(ctx, t),
            None => index_error(ctx, id, env, span),
        },
        ExprKind::Slice(x, lo, hi) => slice(ctx, *x, *lo, *hi, env, span),
        ExprKind::Call(f, args) => call(ctx, *f, args, env, span),
        ExprKind::Unary(op, x) => {
            let v = default_of(&eval(ctx, *x, env));
            unary(ctx, *op, v, span)
        }
        ExprKind::Bound(op, x) => {
            let v = default_of(&eval(ctx, *x, env));
            match v {
                Val::Bottom(_) => v,
                Val::Str(re) if matches!(op, BoundOp::Match | BoundOp::NotMatch) => {
                    // A pattern that does not compile is an error where it is written.
                    match super::unify::compile_regex(&re) {
                        Ok(_) => Val::Bound(*op, Rc::new(Val::Str(re))),
                        Err(e) => bottom(
                            "orche::eval::regexp",
                            format!("invalid regular expression {:?}: {e}", &*re),
                            span,
                        ),
                    }
                }
                // Ordering bounds need a number, string or bytes, and only `==` and `!=`
                // take a list or struct (cue v0.14.2's wording).
                Val::Null | Val::Bool(_) | Val::Vertex(_)
                    if is_ordering(*op)
                        || matches!(
                            (&v, op),
                            (Val::Vertex(_), BoundOp::Match | BoundOp::NotMatch)
                        ) =>
                {
                    let what = match &v {
                        Val::Bool(b) => Err(format!("invalid value {b} (type bool)")),
                        Val::Null => Ok("null"),
                        _ => match vertex_kind(ctx, &v) {
                            Some(kind::LIST) => Ok("list"),
                            Some(_) => Ok("struct"),
                            None => {
                                let msg = format!("non-concrete value {} for bound", show(&v));
                                return incomplete(msg, span);
                            }
                        },
                    };
                    let op = bound_op_str(*op);
                    let msg = match what {
                        Ok(kind) => format!("cannot use {kind} for bound {op}"),
                        Err(value) => format!("{value} for bound {op}"),
                    };
                    bottom("orche::eval::bound", msg, span)
                }
                v if is_concrete(&v) => Val::Bound(*op, Rc::new(v)),
                // `==[1, 2]`, `!={a: 1}` (`@experiment(structcmp)`): the operand as data, or
                // the error or incompleteness that keeps it from being data.
                Val::Vertex(_) => match to_value(ctx, &v, span) {
                    Ok(data) => Val::Bound(*op, Rc::new(Val::Data(Rc::new(data)))),
                    Err(e) => e,
                },
                v => incomplete(format!("non-concrete value {} for bound", show(&v)), span),
            }
        }
        ExprKind::Binary(BinOp::And, a, b) => {
            // Struct literals meet in one vertex even when each alone is a scalar: an
            // embedding may read a field the other side sets (`{#t: _, #t} & {#t: "s", _}`).
            let literal = |e: ExprId| matches!(ctx.prog.expr(e).kind, ExprKind::Struct(_));
            if literal(*a) || literal(*b) {
                return anon(ctx, id, env, span);
            }
            let x = eval(ctx, *a, env);
            let y = eval(ctx, *b, env);
            if matches!(x, Val::Vertex(_)) || matches!(y, Val::Vertex(_)) {
                anon(ctx, id, env, span)
            } else {
                match meet(&x, &y) {
                    Val::Bottom(b) => Val::Bottom(structs::with_span(b, span)),
                    m => m,
                }
            }
        }
        ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b)
            if is_bottom_lit(ctx, *a) || is_bottom_lit(ctx, *b) =>
        {
            // `x == _|_` asks whether evaluating x fails (an undefined field counts).
            let other = if is_bottom_lit(ctx, *a) { *b } else { *a };
            let v = eval(ctx, other, env);
            let failed = matches!(v, Val::Bottom(_));
            Val::Bool(if *op == BinOp::Eq { failed } else { !failed })
        }
        ExprKind::Binary(op, a, b) => {
            let x = eval(ctx, *a, env);
            // `&&` and `||` need only one side when it decides.
            let x = default_of(&x);
            match (op, &x) {
                (BinOp::LogicalAnd, Val::Bool(false)) => return Val::Bool(false),
                (BinOp::LogicalOr, Val::Bool(true)) => return Val::Bool(true),
                _ => {}
            }
            let y = default_of(&eval(ctx, *b, env));
            binary(ctx, *op, x, y, span)
        }
        ExprKind::Disj(alts) => {
            let mut out = Vec::new();
            let mut has_vertex = false;
            let mut first_err = None;
            for (a, m) in alts {
                let v = eval(ctx, *a, env);
                if matches!(v, Val::Vertex(_)) {
                    has_vertex = true;
                    break;
                }
                if let Val::Bottom(_) = v {
                    first_err.get_or_insert(v);
                    continue;
                }
                match v {
                    Val::Disj(ds) => {
                        for (d, dm) in ds.iter() {
                            push_alt(&mut out, d.clone(), *m || *dm);
                        }
                    }
                    v => push_alt(&mut out, v, *m),
                }
            }
            if has_vertex {
                return anon(ctx, id, env, span);
            }
            normalize_disj(out).unwrap_or_else(|| {
                first_err.unwrap_or_else(|| {
                    bottom("orche::eval::disjunction", "empty disjunction", span)
                })
            })
        }
    }
}

/// Evaluates an expression into a fresh vertex (struct and list operands).
pub fn anon(ctx: &mut Ctx, id: ExprId, env: Option<&Rc<Env>>, span: Span) -> Val {
    let parent = env.and_then(innermost_vertex);
    let v = ctx.new_vertex(parent, crate::eval::ANON, span);
    ctx.vm(v).has_regular = true;
    ctx.vm(v).conjs.push(Conj {
        expr: ConjExpr::expr(id),
        env: env.cloned(),
        close: 0,
    });
    value_of(ctx, v)
}

fn innermost_vertex(e: &Rc<Env>) -> Option<super::VId> {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let super::Frame::Vertex(v) = c.frame {
            return Some(v);
        }
        cur = c.parent.as_ref();
    }
    None
}

fn index_error(ctx: &mut Ctx, id: ExprId, env: Option<&Rc<Env>>, span: Span) -> Val {
    let (x, i) = match &ctx.prog.expr(id).kind {
        ExprKind::Index(x, i) => (*x, *i),
        _ => return bottom("orche::eval::internal", "not an index", span),
    };
    let base = default_of(&eval(ctx, x, env));
    let iv = default_of(&eval(ctx, i, env));
    match (&base, &iv) {
        (Val::Bottom(_), _) => base,
        (_, Val::Bottom(_)) => iv,
        (Val::Vertex(t), Val::Num(n)) if n.is_int() => {
            let t = ctx.deref(*t);
            let len = ctx.v(t).arcs.len();
            if ctx.v(t).lists().is_empty() {
                return bottom(
                    "orche::eval::index",
                    format!("invalid operand (found struct, want list) for index {n}"),
                    span,
                );
            }
            if n.to_i64().is_some_and(|i| i < 0) {
                return bottom(
                    "orche::eval::index",
                    format!("invalid index {n} (index must be non-negative)"),
                    span,
                );
            }
            let msg = format!("index out of range [{n}] with length {len}");
            // An open list (`[...int]`) may still grow: not an error yet, as in CUE.
            if ctx.v(t).lists().iter().all(|l| l.open) {
                return incomplete(msg, span);
            }
            bottom("orche::eval::index", msg, span)
        }
        (Val::Vertex(_), Val::Str(s)) => incomplete(format!("undefined field: {s}"), span),
        (Val::Str(_) | Val::Bytes(_), Val::Num(n)) => match &base {
            Val::Bytes(b) => match n
                .to_i64()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| b.get(i))
            {
                Some(c) => Val::num(Num::from_i64(*c as i64)),
                None => bottom(
                    "orche::eval::index",
                    format!("index {n} out of range"),
                    span,
                ),
            },
            _ => bottom(
                "orche::eval::index",
                format!("cannot index string {}", show(&base)),
                span,
            ),
        },
        (_, Val::Bool(_)) | (_, Val::Null) => bottom(
            "orche::eval::index",
            format!(
                "invalid index {} (invalid type {})",
                show(&iv),
                kind_name(kind_of(&iv))
            ),
            span,
        ),
        _ if !is_concrete(&iv) => incomplete(format!("index {} is not concrete", show(&iv)), span),
        _ if matches!(base, Val::Vertex(_)) => bottom(
            "orche::eval::index",
            format!("invalid index {}", show(&iv)),
            span,
        ),
        _ if is_concrete(&base) => bottom(
            "orche::eval::index",
            format!(
                "invalid operand {} (found {}, want list or struct)",
                show(&base),
                kind_name(kind_of(&base))
            ),
            span,
        ),
        _ => incomplete(
            format!("cannot index non-concrete value {}", show(&base)),
            span,
        ),
    }
}

/// Whether field `a` is only optional so far (`x?: int`): referring to it is incomplete.
fn optional_only(ctx: &Ctx, a: super::VId) -> bool {
    let av = ctx.v(a);
    !av.has_regular && !av.has_required && av.has_optional
}

/// Marks an "undefined field" error with the struct it was looked up in, for a hint when it
/// is reported.
fn undefined_in(v: Val, within: super::VId, label: Label) -> Val {
    match v {
        Val::Bottom(mut b) => {
            Rc::make_mut(&mut b).typo = Some(super::Typo::Field { within, label });
            Val::Bottom(b)
        }
        v => v,
    }
}

fn select(ctx: &mut Ctx, base: Val, sym: crate::lower::Sym, span: Span) -> Val {
    let base = default_of(&base);
    match base {
        // A struct of an imported module package that is an error is that error wherever a
        // field is selected from it (`b: c.c & {x: 1}`, then `b.x`), reported where it was
        // made, as CUE does.
        Val::Vertex(t) if package_error(ctx, t).is_some() => {
            Val::Bottom(package_error(ctx, t).expect("checked"))
        }
        Val::Vertex(t) => match lookup(ctx, t, Label::Field(sym)) {
            Some(a) => {
                if optional_only(ctx, a) {
                    return incomplete(
                        format!("cannot reference optional field: {}", ctx.field_name(sym)),
                        span,
                    );
                }
                value_of(ctx, a)
            }
            None => {
                let name = ctx.label_name(Label::Field(sym));
                let t = ctx.deref(t);
                if !ctx.v(t).lists().is_empty() {
                    return bottom(
                        "orche::eval::select",
                        format!("invalid selector {name} for list"),
                        span,
                    );
                }
                // A closed struct that is complete and does not allow the field will never
                // have it: that is an error, not an incomplete value.
                // So is a member an imported package (finished when imported) lacks.
                let v = if ctx.v(t).status >= super::Status::Expanded
                    && (structs::rejects(ctx, t, Label::Field(sym))
                        || ctx.packages.values().any(|p| *p == t))
                {
                    bottom(
                        "orche::eval::select",
                        format!("undefined field: {name}"),
                        span,
                    )
                } else {
                    incomplete(format!("undefined field: {name}"), span)
                };
                undefined_in(v, t, Label::Field(sym))
            }
        },
        Val::Pkg(p) => {
            let name = ctx.sym_name(sym).to_string();
            if let Some(v) = stdlib_member(ctx, &p, &name) {
                return v;
            }
            match builtins::lookup(&p, &name) {
                Some(Member::Const(v)) => from_value(ctx, v, span),
                Some(Member::Func(b)) => {
                    if b.validator && b.params == 1 {
                        Val::Validator(Rc::new(Validator {
                            func: Func::Builtin(b),
                            args: vec![],
                            schemas: Rc::new([]),
                            text: format!("{}.{}", short_pkg(&p), name),
                        }))
                    } else {
                        Val::Func(Func::Builtin(b))
                    }
                }
                None => bottom(
                    "orche::eval::select",
                    format!("undefined field: {name} (package {p} has no member {name})"),
                    span,
                ),
            }
        }
        Val::Bottom(_) => base,
        other if is_concrete(&other) => bottom(
            "orche::eval::select",
            format!(
                "invalid selector {} for value of type {}",
                ctx.sym_name(sym),
                kind_name(kind_of(&other))
            ),
            span,
        ),
        other => incomplete(
            format!(
                "cannot select {} from non-concrete value {}",
                ctx.sym_name(sym),
                show(&other)
            ),
            span,
        ),
    }
}

fn stdlib_member(ctx: &mut Ctx, pkg: &str, name: &str) -> Option<Val> {
    if !pkg.starts_with("orche/") {
        return None;
    }
    let root = package_vertex(ctx, pkg)?;
    let sym = ctx.syms.get_index_of(name)? as u32;
    let a = lookup(ctx, root, Label::Field(crate::lower::Sym(sym)))?;
    Some(value_of(ctx, a))
}

/// The evaluated root of an `orche/…` package, evaluated once per evaluation.
pub fn package_vertex(ctx: &mut Ctx, pkg: &str) -> Option<super::VId> {
    if let Some(v) = ctx.packages.get(pkg) {
        return Some(*v);
    }
    let expr = ctx.loader?.root_expr(pkg)?;
    let span = ctx.prog.expr(expr).span;
    let v = ctx.new_vertex(None, Label::Index(0), span);
    ctx.vm(v).has_regular = true;
    ctx.vm(v).conjs.push(Conj {
        expr: ConjExpr::expr(expr),
        env: None,
        close: 0,
    });
    ctx.packages.insert(pkg.into(), v);
    // Evaluated in full now, so that its definitions are final when they are used: a field
    // whose only conjunct is one of them shares its value (`structs::can_share`).
    super::structs::finalize_deep(ctx, v);
    Some(v)
}

/// The error of a finished vertex lying in an imported module package, if it has one that is
/// not an incomplete value.
pub fn package_error(ctx: &Ctx, t: super::VId) -> Option<Rc<super::Bot>> {
    if ctx.packages.is_empty() {
        return None;
    }
    let vx = ctx.v(t);
    let err = vx.err.as_ref().filter(|e| !e.incomplete)?;
    in_module_package(ctx, t).then(|| err.clone())
}

/// Whether `t` lies in an imported module package (its root is one of `ctx.packages`).
pub fn in_module_package(ctx: &Ctx, t: super::VId) -> bool {
    if ctx.packages.is_empty() {
        return false;
    }
    let mut at = t;
    while let Some(p) = ctx.v(at).parent() {
        at = p;
    }
    ctx.packages
        .iter()
        .any(|(k, v)| *v == at && crate::load::module::is_module_import(k))
}

/// The evaluated root of an imported module package (`load::module`); `None` for builtin and
/// `orche/…` packages.
pub fn module_package(ctx: &mut Ctx, pkg: &str) -> Option<super::VId> {
    if !crate::load::module::is_module_import(pkg) {
        return None;
    }
    package_vertex(ctx, pkg)
}

fn short_pkg(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// `<`, `<=`, `>`, `>=`.
fn is_ordering(op: BoundOp) -> bool {
    matches!(op, BoundOp::Lt | BoundOp::Le | BoundOp::Gt | BoundOp::Ge)
}

/// The kind of a struct or list operand (`Val::Vertex`): `kind::STRUCT` or `kind::LIST`.
/// `None` for any other value, and for a disjunction whose alternatives are still open.
fn vertex_kind(ctx: &mut Ctx, v: &Val) -> Option<u16> {
    let Val::Vertex(t) = v else {
        return None;
    };
    structs::expand(ctx, *t);
    let t = ctx.deref(*t);
    let tx = ctx.v(t);
    if tx.alts().is_some() {
        return None;
    }
    Some(if tx.lists().is_empty() {
        kind::STRUCT
    } else {
        kind::LIST
    })
}

fn unary(ctx: &mut Ctx, op: UnOp, v: Val, span: Span) -> Val {
    let undefined = |shown: &str, k: u16| {
        let sign = match op {
            UnOp::Neg => "-",
            UnOp::Plus => "+",
            UnOp::Not => "!",
        };
        bottom(
            "orche::eval::operand",
            format!(
                "invalid operation {sign}{shown} (operator not defined on {})",
                kind_name(k)
            ),
            span,
        )
    };
    if let Some(k) = vertex_kind(ctx, &v) {
        return undefined(if k == kind::LIST { "[...]" } else { "{...}" }, k);
    }
    match (op, &v) {
        (_, Val::Bottom(_)) => v,
        (UnOp::Neg, Val::Num(n)) => Val::num(n.neg()),
        (UnOp::Plus, Val::Num(_)) => v,
        (UnOp::Not, Val::Bool(b)) => Val::Bool(!b),
        (UnOp::Neg | UnOp::Plus, Val::Kind(k)) if k & kind::NUMBER == *k => {
            incomplete(format!("operand {} of '-' not concrete", show(&v)), span)
        }
        _ if !is_concrete(&v) => incomplete(format!("operand {} not concrete", show(&v)), span),
        _ => undefined(&show(&v), kind_of(&v)),
    }
}

fn op_str(op: BinOp) -> &'static str {
    match op {
        BinOp::And => "&",
        BinOp::LogicalOr => "||",
        BinOp::LogicalAnd => "&&",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Match => "=~",
        BinOp::NotMatch => "!~",
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
    }
}

fn binary(ctx: &mut Ctx, op: BinOp, x: Val, y: Val, span: Span) -> Val {
    if let Val::Bottom(_) = x {
        return x;
    }
    if let Val::Bottom(_) = y {
        return y;
    }
    let (xk, yk) = (vertex_kind(ctx, &x), vertex_kind(ctx, &y));
    if xk.is_some() || yk.is_some() {
        // A struct or list is never a number, string or bool: an operator on one is a type
        // error (`2 + {a: 1}`), not a value that more data could complete. Comparing one with
        // null, or with a value of its own kind, is what `==` and `!=` allow.
        let shown = |v: &Val, k: Option<u16>| match k {
            Some(kind::LIST) => "[...]".to_string(),
            Some(_) => "{...}".to_string(),
            None => show(v),
        };
        let name = |v: &Val, k: Option<u16>| kind_name(k.unwrap_or_else(|| kind_of(v)));
        let compares = match (xk, yk) {
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => !is_concrete(&y) || matches!(y, Val::Null),
            (None, _) => !is_concrete(&x) || matches!(x, Val::Null),
        };
        let lists = xk == Some(kind::LIST) && yk == Some(kind::LIST);
        let msg = match op {
            BinOp::Eq | BinOp::Ne if compares => None,
            BinOp::Add if lists => Some(
                "invalid operation: lists are not added with `+` (list.Concat joins them)"
                    .to_string(),
            ),
            BinOp::Mul if (xk == Some(kind::LIST)) != (yk == Some(kind::LIST)) => Some(
                "invalid operation: lists are not multiplied with `*` (list.Repeat repeats one)"
                    .to_string(),
            ),
            _ => Some(format!(
                "invalid operation {} {} {} (mismatched types {} and {})",
                shown(&x, xk),
                op_str(op),
                shown(&y, yk),
                name(&x, xk),
                name(&y, yk)
            )),
        };
        if let Some(msg) = msg {
            return bottom("orche::eval::operand", msg, span);
        }
    }
    if matches!(op, BinOp::Eq | BinOp::Ne) {
        if let (Val::Vertex(_), _) | (_, Val::Vertex(_)) = (&x, &y) {
            let eq = match (to_value(ctx, &x, span), to_value(ctx, &y, span)) {
                (Ok(a), Ok(b)) => a == b,
                (Err(e), _) | (_, Err(e)) => return e,
            };
            return Val::Bool(if op == BinOp::Eq { eq } else { !eq });
        }
    }
    if !is_concrete(&x) || !is_concrete(&y) {
        let nc = if !is_concrete(&x) { &x } else { &y };
        return incomplete(
            format!(
                "non-concrete value {} in operand to {}",
                show(nc),
                op_str(op)
            ),
            span,
        );
    }
    let mismatch = || {
        bottom(
            "orche::eval::operand",
            format!(
                "invalid operation {} {} {} (mismatched types {} and {})",
                show(&x),
                op_str(op),
                show(&y),
                kind_name(kind_of(&x)),
                kind_name(kind_of(&y))
            ),
            span,
        )
    };
    match op {
        BinOp::Eq | BinOp::Ne => {
            let comparable = kind_of(&x) == kind_of(&y)
                || (kind_of(&x) & kind::NUMBER != 0 && kind_of(&y) & kind::NUMBER != 0)
                || matches!(x, Val::Null)
                || matches!(y, Val::Null);
            if !comparable {
                return mismatch();
            }
            let eq = scalar_eq(&x, &y);
            Val::Bool(if op == BinOp::Eq { eq } else { !eq })
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let bop = match op {
                BinOp::Lt => crate::lower::BoundOp::Lt,
                BinOp::Le => crate::lower::BoundOp::Le,
                BinOp::Gt => crate::lower::BoundOp::Gt,
                _ => crate::lower::BoundOp::Ge,
            };
            match super::unify::check_bound(bop, &y, &x) {
                Ok(b) => Val::Bool(b),
                Err(_) => mismatch(),
            }
        }
        BinOp::Match | BinOp::NotMatch => {
            let bop = if op == BinOp::Match {
                crate::lower::BoundOp::Match
            } else {
                crate::lower::BoundOp::NotMatch
            };
            match super::unify::check_bound(bop, &y, &x) {
                Ok(b) => Val::Bool(b),
                Err(e) if e == "type" => mismatch(),
                Err(e) => bottom("orche::eval::regexp", e, span),
            }
        }
        BinOp::LogicalAnd | BinOp::LogicalOr => match (&x, &y) {
            (Val::Bool(a), Val::Bool(b)) => Val::Bool(if op == BinOp::LogicalAnd {
                *a && *b
            } else {
                *a || *b
            }),
            _ => mismatch(),
        },
        BinOp::Add => match (&x, &y) {
            (Val::Num(a), Val::Num(b)) => checked_num(a.add(b), span),
            (Val::Str(a), Val::Str(b)) if a.len() + b.len() > crate::limit::MAX_BUILT => {
                too_long((a.len() + b.len()) as u128, span)
            }
            (Val::Bytes(a), Val::Bytes(b)) if a.len() + b.len() > crate::limit::MAX_BUILT => {
                too_long((a.len() + b.len()) as u128, span)
            }
            (Val::Str(a), Val::Str(b)) => Val::Str(format!("{a}{b}").into()),
            (Val::Bytes(a), Val::Bytes(b)) => Val::Bytes([&a[..], &b[..]].concat().into()),
            _ => mismatch(),
        },
        BinOp::Sub => match (&x, &y) {
            (Val::Num(a), Val::Num(b)) => checked_num(a.sub(b), span),
            _ => mismatch(),
        },
        BinOp::Mul => match (&x, &y) {
            (Val::Num(a), Val::Num(b)) => checked_num(a.mul(b), span),
            (Val::Str(s), Val::Num(n)) | (Val::Num(n), Val::Str(s)) if n.is_int() => {
                match as_int(n).and_then(repeat_count) {
                    Some(c) if c as u128 * s.len() as u128 > crate::limit::MAX_BUILT as u128 => {
                        too_long(c as u128 * s.len() as u128, span)
                    }
                    Some(c) => Val::Str(s.repeat(c).into()),
                    None => bottom("orche::eval::operand", "invalid string repeat count", span),
                }
            }
            (Val::Bytes(s), Val::Num(n)) | (Val::Num(n), Val::Bytes(s)) if n.is_int() => {
                match as_int(n).and_then(repeat_count) {
                    Some(c) if c as u128 * s.len() as u128 > crate::limit::MAX_BUILT as u128 => {
                        too_long(c as u128 * s.len() as u128, span)
                    }
                    Some(c) => Val::Bytes(s.repeat(c).into()),
                    None => bottom("orche::eval::operand", "invalid bytes repeat count", span),
                }
            }
            _ => mismatch(),
        },
        BinOp::Div => match (&x, &y) {
            (Val::Num(a), Val::Num(b)) => match a.div(b) {
                Some(q) => checked_num(q, span),
                None => bottom("orche::eval::division", "division by zero", span),
            },
            _ => mismatch(),
        },
        BinOp::And => meet(&x, &y),
    }
}

/// The vertex of the innermost frame of `env`, if it is one: where a step is taken, for the
/// budget's message.
fn env_vertex(env: Option<&Rc<Env>>) -> super::VId {
    match env.map(|e| &e.frame) {
        Some(super::Frame::Vertex(v)) => *v,
        _ => super::NO_VID,
    }
}

/// The result of arithmetic, or an error when it is out of orche's range (`number::in_range`):
/// repeated squaring must not build numbers of millions of digits.
fn checked_num(n: Num, span: Span) -> Val {
    if crate::value::number::in_range(&n) {
        Val::num(n)
    } else {
        bottom(
            "orche::limit::number",
            format!(
                "the result is out of range: orche's numbers have decimal exponents within ±{}",
                crate::limit::MAX_EXPONENT
            ),
            span,
        )
    }
}

/// The error of `+` or `*` on strings or bytes that would build more than `limit::MAX_BUILT`.
fn too_long(len: u128, span: Span) -> Val {
    bottom("orche::limit::size", crate::limit::too_long(len), span)
}

/// The integer of a number that is one.
fn as_int(n: &Num) -> Option<&BigInt> {
    match n {
        Num::Int(i) => Some(i),
        Num::Float(_) => None,
    }
}

fn repeat_count(n: &BigInt) -> Option<usize> {
    let c: usize = n.try_into().ok()?;
    (c <= 10_000_000).then_some(c)
}

fn interpolate(
    ctx: &mut Ctx,
    parts: &[InterpPart],
    bytes: bool,
    env: Option<&Rc<Env>>,
    span: Span,
) -> Val {
    let mut out: Vec<u8> = Vec::new();
    for p in parts {
        match p {
            InterpPart::Lit(s) => out.extend_from_slice(s.as_bytes()),
            InterpPart::Expr(e) => {
                let v = default_of(&eval(ctx, *e, env));
                match &v {
                    Val::Str(s) => out.extend_from_slice(s.as_bytes()),
                    Val::Bytes(b) => {
                        if bytes {
                            out.extend_from_slice(b)
                        } else {
                            out.extend_from_slice(String::from_utf8_lossy(b).as_bytes())
                        }
                    }
                    Val::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
                    Val::Bool(b) => out.extend_from_slice(b.to_string().as_bytes()),
                    Val::Bottom(_) => return v,
                    Val::Vertex(t) => {
                        let t = ctx.deref(*t);
                        let what = if ctx.v(t).lists().is_empty() {
                            "struct"
                        } else {
                            "list"
                        };
                        return bottom(
                            "orche::eval::interpolation",
                            format!("invalid interpolation: cannot use {what} as string"),
                            span,
                        );
                    }
                    Val::Null => {
                        return bottom(
                            "orche::eval::interpolation",
                            "invalid interpolation: cannot use null as string",
                            span,
                        )
                    }
                    other => {
                        return incomplete(
                            format!("invalid interpolation: non-concrete value {}", show(other)),
                            span,
                        )
                    }
                }
            }
        }
    }
    if out.len() > crate::limit::MAX_BUILT {
        return too_long(out.len() as u128, span);
    }
    if bytes {
        Val::Bytes(out.into())
    } else {
        // Built from strings only (bytes were decoded lossily above): valid UTF-8, so the
        // buffer becomes the string without a second copy.
        match String::from_utf8(out) {
            Ok(s) => Val::Str(s.into()),
            Err(e) => Val::Str(String::from_utf8_lossy(e.as_bytes()).into_owned().into()),
        }
    }
}

fn slice(
    ctx: &mut Ctx,
    x: ExprId,
    lo: Option<ExprId>,
    hi: Option<ExprId>,
    env: Option<&Rc<Env>>,
    span: Span,
) -> Val {
    let base = default_of(&eval(ctx, x, env));
    let bound = |ctx: &mut Ctx, e: Option<ExprId>| -> Result<Option<usize>, Val> {
        match e {
            None => Ok(None),
            Some(e) => match default_of(&eval(ctx, e, env)) {
                Val::Num(n) if n.is_int() => {
                    let i = as_int(&n).cloned().unwrap_or_default();
                    usize::try_from(&i).map(Some).map_err(|_| {
                        bottom(
                            "orche::eval::index",
                            format!("invalid slice index {i}"),
                            span,
                        )
                    })
                }
                Val::Bottom(b) => Err(Val::Bottom(b)),
                v => Err(bottom(
                    "orche::eval::index",
                    format!("invalid slice index {}", show(&v)),
                    span,
                )),
            },
        }
    };
    let (l, h) = match (bound(ctx, lo), bound(ctx, hi)) {
        (Ok(l), Ok(h)) => (l, h),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    match base {
        Val::Vertex(_) => {
            let items = match to_value(ctx, &base, span) {
                Ok(Value::List(items)) => items,
                Ok(_) => return bottom("orche::eval::index", "cannot slice a struct", span),
                Err(e) => return e,
            };
            let (l, h) = (l.unwrap_or(0), h.unwrap_or(items.len()));
            if l > h || h > items.len() {
                return bottom(
                    "orche::eval::index",
                    format!(
                        "invalid slice index: {l} > {h} or out of range ({})",
                        items.len()
                    ),
                    span,
                );
            }
            from_value(ctx, Value::List(items[l..h].to_vec()), span)
        }
        Val::Bytes(b) => {
            let (l, h) = (l.unwrap_or(0), h.unwrap_or(b.len()));
            if l > h || h > b.len() {
                return bottom("orche::eval::index", "slice out of range", span);
            }
            Val::Bytes(b[l..h].into())
        }
        Val::Bottom(_) => base,
        other => bottom(
            "orche::eval::index",
            format!("cannot slice {}", show(&other)),
            span,
        ),
    }
}

fn call(ctx: &mut Ctx, f: ExprId, args: &[ExprId], env: Option<&Rc<Env>>, span: Span) -> Val {
    let fv = eval(ctx, f, env);
    match fv {
        Val::Func(Func::Predeclared(p)) => predeclared(ctx, p, args, env, span),
        Val::Func(Func::Builtin(b)) => call_builtin(ctx, b, args, env, span),
        Val::Validator(v) if v.args.is_empty() => match &v.func {
            Func::Builtin(b) => call_builtin(ctx, b, args, env, span),
            _ => bottom("orche::eval::call", "cannot call non-function", span),
        },
        Val::Bottom(_) => fv,
        other => bottom(
            "orche::eval::call",
            format!("cannot call non-function {}", show(&other)),
            span,
        ),
    }
}

/// `list.Repeat(list, n)` of a list whose elements are not all concrete (`[int]`): a list
/// vertex whose elements carry the conjuncts of the originals. `None` when the builtin on data
/// does the job (concrete elements) or the arguments are not a list and a count.
fn list_repeat(ctx: &mut Ctx, args: &[ExprId], env: Option<&Rc<Env>>, span: Span) -> Option<Val> {
    let Val::Vertex(t) = default_of(&eval(ctx, args[0], env)) else {
        return None;
    };
    structs::expand(ctx, t);
    let t = ctx.deref(t);
    if ctx.v(t).lists().is_empty() || ctx.v(t).is_struct {
        return None;
    }
    if to_value(ctx, &Val::Vertex(t), span).is_ok() {
        return None;
    }
    let elems = ctx.v(t).list_elems();
    let n = match default_of(&eval(ctx, args[1], env)) {
        Val::Num(n) => n.to_i64().filter(|n| *n >= 0)?,
        _ => return None,
    };
    let total = (n as usize).checked_mul(elems.len())?;
    if total > 1 << 20 {
        return None;
    }
    let c = ctx.new_vertex(None, crate::eval::ANON, span);
    ctx.vm(c).has_regular = true;
    let mut k = 0u32;
    for _ in 0..n {
        for (_, e) in &elems {
            let a = ctx.new_vertex(Some(c), Label::Index(k), ctx.v(*e).span);
            ctx.vm(a).has_regular = true;
            ctx.vm(a).conjs = ctx.v(*e).conjs.clone();
            ctx.vm(c).arcs.insert(Label::Index(k), a);
            k += 1;
        }
    }
    ctx.vm(c).xm().lists.push(super::ListInfo {
        len: k as usize,
        open: false,
        rest: None,
    });
    ctx.vm(c).status = super::Status::Expanded;
    Some(Val::Vertex(c))
}

/// `graph.QualifyKeys(prefix, set)` on a struct: a new struct whose fields are the set's own
/// entries (so that errors about them point where they were written) under qualified keys.
/// Its arcs are those entries themselves, whose parent stays the set: the struct is only ever
/// inlined (`structs::inline_built_struct`) or read, never finalized or exported as a place.
/// `None` for anything but a prefix string and a struct without errors.
fn qualify_keys(ctx: &mut Ctx, args: &[ExprId], env: Option<&Rc<Env>>, span: Span) -> Option<Val> {
    let [p, s] = args else { return None };
    let Val::Str(prefix) = default_of(&eval(ctx, *p, env)) else {
        return None;
    };
    let Val::Vertex(t) = default_of(&eval(ctx, *s, env)) else {
        return None;
    };
    structs::expand(ctx, t);
    let t = ctx.deref(t);
    let tx = ctx.v(t);
    if !tx.is_struct || tx.alts().is_some() || tx.err.is_some() {
        return None;
    }
    let entries: Vec<(crate::lower::Sym, super::VId)> = ctx.present_fields(t).collect();
    let c = ctx.new_vertex(None, crate::eval::ANON, span);
    ctx.vm(c).has_regular = true;
    ctx.vm(c).is_struct = true;
    for (s, a) in entries {
        let key = Label::Field(
            match builtins::graph::qualified(&prefix, ctx.field_name(s)) {
                Some(q) => ctx.quoted_sym(&q),
                None => s,
            },
        );
        let Some(&had) = ctx.v(c).arcs.get(&key) else {
            ctx.vm(c).arcs.insert(key, a);
            continue;
        };
        // Two keys that qualify alike (`x` and `site/x`): a field of its own unifies both.
        let e = if ctx.v(had).parent() == Some(c) {
            had
        } else {
            let e = ctx.new_vertex(Some(c), key, ctx.v(had).span);
            ctx.vm(e).has_regular = true;
            let first = ctx.conj_val(Val::Vertex(had));
            ctx.vm(e).conjs.push(Conj {
                expr: first,
                env: None,
                close: 0,
            });
            ctx.vm(c).arcs.replace(key, e);
            e
        };
        let expr = ctx.conj_val(Val::Vertex(a));
        structs::add_conj(
            ctx,
            e,
            Conj {
                expr,
                env: None,
                close: 0,
            },
        );
    }
    Some(Val::Vertex(c))
}

fn call_builtin(
    ctx: &mut Ctx,
    b: &'static builtins::Builtin,
    args: &[ExprId],
    env: Option<&Rc<Env>>,
    span: Span,
) -> Val {
    // Only messages use the qualified name: built on demand, not per call.
    let name = || b.qualified_name();
    if b.validator && args.len() + 1 == b.params {
        let vals = match arg_values(ctx, args, env, span, &name) {
            Ok(vals) => vals,
            Err(e) => return e,
        };
        let text = format!(
            "{}({})",
            name(),
            vals.iter().map(show_value).collect::<Vec<_>>().join(", ")
        );
        return Val::Validator(Rc::new(Validator {
            func: Func::Builtin(b),
            args: vals,
            schemas: Rc::new([]),
            text,
        }));
    }
    if args.len() < b.params || (!b.variadic && args.len() > b.params) {
        return bottom(
            "orche::eval::call",
            format!(
                "{}: expected {} argument(s), found {}",
                name(),
                b.params,
                args.len()
            ),
            span,
        );
    }
    if b.pkg == "list" && b.name == "Repeat" && args.len() == 2 {
        if let Some(v) = list_repeat(ctx, args, env, span) {
            return v;
        }
    }
    if b.pkg == "list"
        && (b.name == "Sort" || b.name == "SortStable" || b.name == "IsSorted")
        && args.len() == 2
    {
        return super::comprehension::list_sort(ctx, b, args, env, span);
    }
    if b.pkg == "orche/graph" {
        if builtins::graph::takes_graph(b.name) {
            return super::graph_call::call(ctx, b, args, env, span);
        }
        if b.name == "QualifyKeys" {
            if let Some(v) = qualify_keys(ctx, args, env, span) {
                return v;
            }
        }
        // `Qualify` on two strings, once per dependency of every resource: without the
        // round trip through data.
        if let [p, k] = args {
            let (p, k) = (eval(ctx, *p, env), eval(ctx, *k, env));
            if let (Val::Str(p), Val::Str(k)) = (default_of(&p), default_of(&k)) {
                return match builtins::graph::qualified(&p, &k) {
                    Some(q) => Val::Str(q.into()),
                    None => Val::Str(k),
                };
            }
        }
    }
    let vals = match arg_values(ctx, args, env, span, &name) {
        Ok(vals) => vals,
        Err(e) => return e,
    };
    match (b.func)(&vals) {
        Ok(v) => {
            // A builtin's work is the size of what it returns (`list.Range`, `strings.Repeat`):
            // a call in a loop must count against the budget as the loop's vertices do.
            let size = match &v {
                Value::List(xs) => xs.len(),
                Value::Struct(m) => m.len(),
                Value::Str(s) => s.len() / 64,
                Value::Bytes(b) => b.len() / 64,
                _ => 0,
            };
            ctx.steps(size as u64, env_vertex(env));
            from_value(ctx, v, span)
        }
        Err(BuiltinError::Msg(m)) => bottom(
            "orche::eval::builtin",
            builtins::call_error_message(b, &m),
            span,
        ),
        Err(BuiltinError::Incomplete(m)) => incomplete(format!("{}: {m}", name()), span),
    }
}

/// The arguments of a builtin call as concrete data (defaults taken); an error value if one
/// is not concrete. An error inside an argument computed apart (`f([g(x), 1])`) says where in
/// that argument it is, as a path from it (`0`), since the field's own path does not tell.
fn arg_values(
    ctx: &mut Ctx,
    args: &[ExprId],
    env: Option<&Rc<Env>>,
    span: Span,
    name: &dyn Fn() -> String,
) -> Result<Vec<Value>, Val> {
    let mut vals = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let v = default_of(&eval(ctx, *a, env));
        match to_value_at(ctx, &v, span) {
            Ok(x) => vals.push(x),
            Err((at, e)) => {
                return Err(match (&v, at, &e) {
                    (Val::Vertex(t), Some(at), Val::Bottom(b)) => match inner_path(ctx, *t, at) {
                        Some(rel) => Val::Bottom(Rc::new(Bot {
                            msg: format!("{} argument {}, at {rel}: {}", name(), i + 1, b.msg),
                            ..(**b).clone()
                        })),
                        None => e,
                    },
                    _ => e,
                });
            }
        }
    }
    Ok(vals)
}

/// The path of `at` inside the value `t` computed apart (a literal argument or operand), when
/// `at` lies strictly under it.
fn inner_path(ctx: &Ctx, t: super::VId, at: super::VId) -> Option<String> {
    if ctx.v(t).label != crate::eval::ANON || at == t {
        return None;
    }
    let mut cur = ctx.v(at).parent();
    while let Some(c) = cur {
        if c == t {
            return Some(ctx.path(at));
        }
        cur = ctx.v(c).parent();
    }
    None
}

pub fn show_value(v: &Value) -> String {
    show_data(v, false)
}

/// Data as cue prints it inside a message about a bound: `[1,2]`, `{a:1,b:"x"}`.
pub fn show_compact(v: &Value) -> String {
    show_data(v, true)
}

/// `show_value` (`[1, 2]`, `{a: 1}`) or, `compact`, without the spaces.
fn show_data(v: &Value, compact: bool) -> String {
    let (sep, colon) = if compact { (",", ":") } else { (", ", ": ") };
    match v {
        Value::Str(s) => super::unify::quote_str(s),
        Value::Num(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Bytes(b) => super::unify::quote_bytes(b),
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|x| show_data(x, compact))
                .collect::<Vec<_>>()
                .join(sep)
        ),
        Value::Struct(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}{colon}{}", show_data(v, compact)))
                .collect::<Vec<_>>()
                .join(sep)
        ),
    }
}

fn predeclared(
    ctx: &mut Ctx,
    p: Predeclared,
    args: &[ExprId],
    env: Option<&Rc<Env>>,
    span: Span,
) -> Val {
    let want = match p {
        Predeclared::Len | Predeclared::Close | Predeclared::And | Predeclared::Or => 1,
        Predeclared::MatchIf => 3,
        _ => 2,
    };
    if args.len() != want {
        return bottom(
            "orche::eval::call",
            format!("expected {want} argument(s) in call, found {}", args.len()),
            span,
        );
    }
    match p {
        Predeclared::MatchN | Predeclared::MatchIf => super::matchn::make(ctx, p, args, env, span),
        Predeclared::Len => {
            let v = default_of(&eval(ctx, args[0], env));
            match v {
                Val::Str(s) => Val::num(Num::from_i64(s.len() as i64)),
                Val::Bytes(b) => Val::num(Num::from_i64(b.len() as i64)),
                Val::Vertex(t) => {
                    structs::expand(ctx, t);
                    let t = ctx.deref(t);
                    let vx = ctx.v(t);
                    let n = if !vx.lists().is_empty() {
                        vx.arcs
                            .keys()
                            .filter(|l| matches!(l, Label::Index(_)))
                            .count()
                    } else {
                        ctx.present_fields(t).count()
                    };
                    Val::num(Num::from_i64(n as i64))
                }
                Val::Bottom(_) => v,
                v if is_concrete(&v) => bottom(
                    "orche::eval::call",
                    format!(
                        "invalid argument {} (type {}) to len",
                        show(&v),
                        kind_name(kind_of(&v))
                    ),
                    span,
                ),
                v => incomplete(format!("len of non-concrete value {}", show(&v)), span),
            }
        }
        Predeclared::Close => {
            let v = eval(ctx, args[0], env);
            match v {
                Val::Vertex(t) if !ctx.v(t).conjs.is_empty() => {
                    // The closed struct allows exactly the fields its conjuncts declare: they
                    // all join one fresh closedness group.
                    let g = ctx.fresh_group();
                    ctx.close_groups.insert(g, ());
                    let conjs: super::Conjs = ctx
                        .v(t)
                        .conjs
                        .iter()
                        .map(|c| Conj {
                            close: g,
                            ..c.clone()
                        })
                        .collect();
                    let c = ctx.new_vertex(ctx.v(t).parent(), ctx.v(t).label, span);
                    ctx.vm(c).has_regular = true;
                    ctx.vm(c).conjs = conjs;
                    value_of(ctx, c)
                }
                other => other,
            }
        }
        Predeclared::And | Predeclared::Or => {
            let v = eval(ctx, args[0], env);
            let t = match v {
                Val::Vertex(t) => ctx.deref(t),
                Val::Bottom(_) => return v,
                other => {
                    return bottom(
                        "orche::eval::call",
                        format!(
                            "cannot use {} as list in argument to {}",
                            show(&other),
                            if p == Predeclared::And { "and" } else { "or" }
                        ),
                        span,
                    )
                }
            };
            let (t, elems) = structs::expanded_elems(ctx, t);
            let c = ctx.new_vertex(ctx.v(t).parent(), crate::eval::ANON, span);
            ctx.vm(c).has_regular = true;
            if p == Predeclared::And {
                for e in elems {
                    let conjs = ctx.v(e).conjs.clone();
                    ctx.vm(c).conjs.extend(conjs);
                }
                let v = value_of(ctx, c);
                // A scalar with definitions beside it (`and([{2, #x: 1}, …])`) keeps them,
                // so that their errors are reported.
                let cd = ctx.deref(c);
                if !matches!(v, Val::Vertex(_) | Val::Bottom(_)) && !ctx.v(cd).arcs.is_empty() {
                    return Val::Vertex(cd);
                }
                v
            } else {
                if elems.is_empty() {
                    return incomplete("empty list in call to or", span);
                }
                // Scalars, types and bounds make a plain disjunction value.
                let vals: Vec<Val> = elems.iter().map(|e| value_of(ctx, *e)).collect();
                if vals
                    .iter()
                    .all(|v| !matches!(v, Val::Vertex(_) | Val::Bottom(_)))
                {
                    let mut out = Vec::new();
                    for v in vals {
                        match v {
                            Val::Disj(ds) => {
                                for (d, dm) in ds.iter() {
                                    push_alt(&mut out, d.clone(), *dm);
                                }
                            }
                            v => push_alt(&mut out, v, false),
                        }
                    }
                    return normalize_disj(out).unwrap_or_else(|| {
                        bottom("orche::eval::disjunction", "empty disjunction", span)
                    });
                }
                let mut alts = Vec::new();
                for e in elems {
                    let v = value_of(ctx, e);
                    alts.push((
                        Conj {
                            expr: ctx.conj_val(v),
                            env: None,
                            close: 0,
                        },
                        false,
                    ));
                }
                ctx.vm(c).status = super::Status::Expanding;
                super::disjunct::meet_disjunction(ctx, c, alts, span);
                ctx.vm(c).status = super::Status::Fresh;
                super::disjunct::resolve(ctx, c);
                ctx.vm(c).status = super::Status::Expanded;
                value_of(ctx, c)
            }
        }
        Predeclared::Div | Predeclared::Mod | Predeclared::Quo | Predeclared::Rem => {
            let a = default_of(&eval(ctx, args[0], env));
            let b = default_of(&eval(ctx, args[1], env));
            let name = match p {
                Predeclared::Div => "div",
                Predeclared::Mod => "mod",
                Predeclared::Quo => "quo",
                _ => "rem",
            };
            match (&a, &b) {
                (Val::Bottom(_), _) => a,
                (_, Val::Bottom(_)) => b,
                (Val::Num(x), Val::Num(y)) if x.is_int() && y.is_int() => {
                    let zero = BigInt::zero();
                    let (x, y) = (as_int(x).unwrap_or(&zero), as_int(y).unwrap_or(&zero));
                    if y.is_zero() {
                        return bottom(
                            "orche::eval::division",
                            format!("division by zero in {name}"),
                            span,
                        );
                    }
                    let r = match p {
                        Predeclared::Quo => x / y,
                        Predeclared::Rem => x % y,
                        Predeclared::Div => {
                            // Euclidean division: the remainder is never negative.
                            let (q, r) = x.div_mod_floor(y);
                            if r.is_negative() || (y.is_negative() && !r.is_zero()) {
                                if y.is_negative() {
                                    q + 1
                                } else {
                                    q
                                }
                            } else {
                                q
                            }
                        }
                        _ => {
                            let r = x.mod_floor(y);
                            if r.is_negative() {
                                r + y.abs()
                            } else if y.is_negative() && !r.is_zero() {
                                r - y
                            } else {
                                r
                            }
                        }
                    };
                    Val::num(Num::Int(r))
                }
                _ if !is_concrete(&a) || !is_concrete(&b) => {
                    incomplete(format!("non-concrete argument to {name}"), span)
                }
                _ => bottom(
                    "orche::eval::call",
                    format!(
                        "{name}: arguments must be integers, found {} and {}",
                        show(&a),
                        show(&b)
                    ),
                    span,
                ),
            }
        }
    }
}

/// A concrete scalar as data; `None` otherwise.
pub fn to_value_scalar(v: &Val) -> Option<Value> {
    Some(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => Value::Num((**n).clone()),
        Val::Str(s) => Value::Str(s.to_string()),
        Val::Bytes(b) => Value::Bytes(b.to_vec()),
        _ => return None,
    })
}

/// A value as concrete data, for builtins and comparisons. Errors are returned as bottoms.
pub fn to_value(ctx: &mut Ctx, v: &Val, span: Span) -> Result<Value, Val> {
    to_value_at(ctx, v, span).map_err(|(_, e)| e)
}

/// `to_value`, with the vertex an error was found at (for a struct or list).
fn to_value_at(ctx: &mut Ctx, v: &Val, span: Span) -> Result<Value, (Option<super::VId>, Val)> {
    match v {
        Val::Vertex(t) => {
            structs::finalize_deep(ctx, *t);
            let mut errs = Vec::new();
            match super::report::export_vertex(ctx, *t, super::ExportMode::Concrete, &mut errs) {
                Some(x) if errs.is_empty() => Ok(x),
                _ => {
                    let first = errs.into_iter().next();
                    Err(match first {
                        Some((at, b)) => (Some(at), Val::Bottom(b)),
                        None => (None, incomplete("incomplete value", span)),
                    })
                }
            }
        }
        Val::Bottom(_) => Err((None, v.clone())),
        other => to_value_scalar(other).ok_or_else(|| {
            (
                None,
                incomplete(format!("non-concrete value {}", show(other)), span),
            )
        }),
    }
}

/// Data as a value: scalars directly, lists and structs as fresh vertices.
pub fn from_value(ctx: &mut Ctx, v: Value, span: Span) -> Val {
    match v {
        Value::List(_) | Value::Struct(_) => {
            let t = ctx.new_vertex(None, crate::eval::ANON, span);
            ctx.vm(t).has_regular = true;
            let data = ctx.conj_val(Val::Data(Rc::new(v)));
            ctx.vm(t).conjs.push(Conj {
                expr: data,
                env: None,
                close: 0,
            });
            Val::Vertex(t)
        }
        other => scalar_from_value(&other),
    }
}

pub fn scalar_from_value(v: &Value) -> Val {
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Num(n) => Val::num(n.clone()),
        Value::Str(s) => Val::Str(s.as_str().into()),
        Value::Bytes(b) => Val::Bytes(b.as_slice().into()),
        _ => Val::Top,
    }
}

fn is_bottom_lit(ctx: &Ctx, id: ExprId) -> bool {
    matches!(ctx.prog.expr(id).kind, ExprKind::Bottom)
}
