//! The schema validators `matchN(n, [schemas…])` and `matchIf(if, then, else)`.
//!
//! A value matches a schema when unifying the two gives no error: non-concrete fields are
//! fine, a conflict, a field that a closed schema does not allow, or a required field that is
//! missing are not. The value itself is not changed by the schemas. `matchN` holds when the
//! number of schemas matched satisfies `n` (a number or a constraint such as `>0`); `matchIf`
//! asks the value to match `then` when it matches `if`, and `else` otherwise.
//!
//! Scalars are checked as soon as they meet the validator (`check_scalar`, no evaluator
//! needed); structs and lists once their data is complete (`check_data`, which unifies the
//! data with each schema in a scratch vertex).

use super::unify::{meet, show};
use super::{expr, structs, Bot, Conj, Ctx, Func, Val, Validator};
use crate::lower::{ExprId, Label, Predeclared};
use crate::source::Span;
use crate::value::Value;
use std::rc::Rc;

/// Builds the validator of a `matchN` or `matchIf` call.
pub fn make(
    ctx: &mut Ctx,
    p: Predeclared,
    args: &[ExprId],
    env: Option<&Rc<super::Env>>,
    span: Span,
) -> Val {
    let mut schemas = Vec::new();
    if p == Predeclared::MatchN {
        let n = expr::eval(ctx, args[0], env);
        if let Val::Bottom(_) = n {
            return n;
        }
        schemas.push(n);
        match expr::eval(ctx, args[1], env) {
            Val::Vertex(t) => {
                let (t, elems) = structs::expanded_elems(ctx, t);
                if ctx.v(t).lists().is_empty() {
                    return super::bottom(
                        "orche::eval::call",
                        "matchN: the second argument must be a list of schemas",
                        span,
                    );
                }
                for e in elems {
                    schemas.push(structs::value_of(ctx, e));
                }
            }
            b @ Val::Bottom(_) => return b,
            other => {
                return super::bottom(
                    "orche::eval::call",
                    format!(
                        "matchN: the second argument must be a list of schemas, not {}",
                        show(&other)
                    ),
                    span,
                )
            }
        }
    } else {
        for a in args {
            schemas.push(expr::eval(ctx, *a, env));
        }
    }
    let shown: Vec<String> = schemas.iter().map(|s| show_schema(ctx, s)).collect();
    let text = if p == Predeclared::MatchN {
        format!("matchN({}, [{}])", shown[0], shown[1..].join(", "))
    } else {
        format!("matchIf({})", shown.join(", "))
    };
    Val::Validator(Rc::new(Validator {
        func: Func::Predeclared(p),
        args: vec![],
        schemas: schemas.into(),
        text,
    }))
}

/// A schema as messages show it: a definition by its path, other structs as `{...}`.
fn show_schema(ctx: &Ctx, s: &Val) -> String {
    let is_def = |t: super::VId| {
        matches!(ctx.v(t).label, Label::Field(sym)
            if crate::lower::is_definition_name(ctx.sym_name(sym)))
    };
    if let Val::Vertex(t) = s {
        // A list element that is a reference to a definition holds a copy of it.
        let t = match ctx.v(*t).first_inlined() {
            Some(d) if !is_def(*t) && ctx.v(*t).conjs.len() == 1 => d,
            _ => *t,
        };
        if is_def(t) {
            return ctx.path(t);
        }
    }
    show(s)
}

/// Checks a concrete scalar against a `matchN`/`matchIf` validator: `None` when it holds or
/// cannot be decided yet, else the error.
pub fn check_scalar(v: &Validator, x: &Val) -> Option<Val> {
    let verdict = decide(v, |s| scalar_matches(s, x))?;
    verdict.map(|msg| fail(&v.text, &show(x), msg))
}

/// Checks complete data (a struct or list) against a `matchN`/`matchIf` validator: the error
/// message when it does not hold.
pub fn check_data(ctx: &mut Ctx, v: &Validator, data: &Value, span: Span) -> Option<Rc<Bot>> {
    let verdict = decide(v, |s| data_matches(ctx, s, data, span))??;
    let Val::Bottom(b) = fail(&v.text, &expr::show_value(data), verdict) else {
        return None;
    };
    Some(Rc::new(Bot {
        spans: vec![span],
        ..(*b).clone()
    }))
}

fn fail(text: &str, shown: &str, why: String) -> Val {
    Val::Bottom(Bot::new(
        "orche::eval::validator",
        format!("invalid value {shown} (does not satisfy {text}): {why}"),
        vec![],
    ))
}

/// Applies the rule of the validator given a way to test one schema: `None` when undecided,
/// `Some(None)` when it holds, `Some(Some(why))` when it does not.
fn decide(v: &Validator, mut matches: impl FnMut(&Val) -> Option<bool>) -> Option<Option<String>> {
    match v.func {
        Func::Predeclared(Predeclared::MatchN) => {
            let (n, schemas) = v.schemas.split_first()?;
            let mut count = 0i64;
            for s in schemas {
                if matches(s)? {
                    count += 1;
                }
            }
            let c = Val::num(crate::value::Num::from_i64(count));
            match meet(n, &c) {
                Val::Bottom(_) => Some(Some(format!("{count} matched, expected {}", show(n)))),
                _ => Some(None),
            }
        }
        Func::Predeclared(Predeclared::MatchIf) => {
            let [cond, then, els] = &v.schemas[..] else {
                return None;
            };
            let (branch, which) = if matches(cond)? {
                (then, "then")
            } else {
                (els, "else")
            };
            if matches(branch)? {
                Some(None)
            } else {
                Some(Some(format!("does not match the {which} schema")))
            }
        }
        _ => None,
    }
}

/// Whether scalar `x` matches schema `s`; `None` when that needs the evaluator.
fn scalar_matches(s: &Val, x: &Val) -> Option<bool> {
    match s {
        Val::Vertex(_) => None,
        Val::Validator(v) if matches!(v.func, Func::Predeclared(_)) => {
            Some(check_scalar(v, x).is_none())
        }
        s => Some(!matches!(meet(s, x), Val::Bottom(_))),
    }
}

/// Whether `data` matches schema `s`.
fn data_matches(ctx: &mut Ctx, s: &Val, data: &Value, span: Span) -> Option<bool> {
    let x = match data {
        Value::List(_) | Value::Struct(_) => None,
        other => Some(expr::scalar_from_value(other)),
    };
    match s {
        Val::Vertex(_) => {}
        Val::Validator(v) => {
            return Some(match &v.func {
                Func::Predeclared(_) => check_data(ctx, v, data, span).is_none(),
                Func::Builtin(b) => {
                    let mut args = vec![data.clone()];
                    args.extend(v.args.iter().cloned());
                    matches!(
                        (b.func)(&args),
                        Ok(Value::Bool(true)) | Err(super::builtins::BuiltinError::Incomplete(_))
                    )
                }
            })
        }
        Val::Disj(ds) => {
            for (d, _) in ds.iter() {
                if data_matches(ctx, d, data, span)? {
                    return Some(true);
                }
            }
            return Some(false);
        }
        Val::Top => return Some(true),
        Val::Kind(k) => return Some(super::unify::kind_of(&data_val(data)) & k != 0),
        s => {
            return Some(match &x {
                Some(x) => !matches!(meet(s, x), Val::Bottom(_)),
                None => false,
            })
        }
    }
    // Unify the data with the schema in a scratch vertex and look for errors.
    let c = ctx.new_vertex(None, crate::eval::ANON, span);
    ctx.vm(c).has_regular = true;
    for val in [data_val(data), s.clone()] {
        let expr = ctx.conj_val(val);
        ctx.vm(c).conjs.push(Conj {
            expr,
            env: None,
            close: 0,
        });
    }
    structs::finalize_deep(ctx, c);
    Some(!has_errors(ctx, c))
}

fn data_val(data: &Value) -> Val {
    match data {
        Value::List(_) | Value::Struct(_) => Val::Data(Rc::new(data.clone())),
        other => expr::scalar_from_value(other),
    }
}

/// Whether the finalized vertex `v` holds an error other than a missing concrete value: a
/// conflict, a field not allowed, a required field without a value.
fn has_errors(ctx: &Ctx, v: super::VId) -> bool {
    let v = ctx.deref(v);
    let vx = ctx.v(v);
    if let Some(e) = &vx.err {
        return !e.incomplete;
    }
    if let Some(alts) = vx.alts() {
        return alts.iter().all(|(a, _)| has_errors(ctx, *a));
    }
    vx.arcs.iter().any(|(l, a)| {
        if matches!(l, Label::Let(_)) {
            return false;
        }
        let av = ctx.v(*a);
        if av.has_required && !av.has_regular {
            return true;
        }
        (av.has_regular || av.has_required) && has_errors(ctx, *a)
    })
}
