//! Unification of scalar-level values: the meet of two `Val`s. Total: a conflict is a `Bottom`
//! whose message names both values, as CUE words it. Vertices (structs and lists) are unified by
//! `structs`, not here.

use super::{Bot, Val, Validator};
use crate::lower::{kind, BoundOp};
use smallvec::SmallVec;
use std::cell::Cell;
use std::cmp::Ordering;
use std::rc::Rc;

thread_local! {
    /// Set while `meet_disj` meets pairs of alternatives whose errors nobody reads (several
    /// pairs: a failed pair is dropped): a failing validator then builds no message.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Whether an error being built now will be dropped unread (`QUIET`).
pub(crate) fn quiet() -> bool {
    QUIET.with(Cell::get)
}

/// Runs `f` with `QUIET` set, restoring it after, also when `f` unwinds.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let _restore = Restore(QUIET.with(|q| q.replace(true)));
    f()
}

pub fn kind_of(v: &Val) -> u16 {
    match v {
        Val::Top => kind::TOP,
        Val::Bottom(_) => 0,
        Val::Null => kind::NULL,
        Val::Bool(_) => kind::BOOL,
        Val::Num(n) if n.is_int() => kind::INT,
        Val::Num(_) => kind::FLOAT,
        Val::Str(_) => kind::STRING,
        Val::Bytes(_) => kind::BYTES,
        Val::Kind(k) => *k,
        Val::Bound(op, b) => bound_kind(*op, b),
        Val::Validator(_) => kind::TOP,
        Val::Conj(cs) => cs.iter().fold(kind::TOP, |k, c| k & kind_of(c)),
        Val::Disj(ds) => ds.iter().fold(0, |k, (d, _)| k | kind_of(d)),
        Val::Vertex(_) => kind::STRUCT | kind::LIST,
        Val::Func(_) => kind::FUNC,
        Val::Pkg(_) => kind::STRUCT,
        Val::Data(d) => match &**d {
            crate::value::Value::List(_) => kind::LIST,
            _ => kind::STRUCT,
        },
    }
}

/// The kinds a bound admits.
fn bound_kind(op: BoundOp, b: &Val) -> u16 {
    match op {
        BoundOp::Match | BoundOp::NotMatch => kind::STRING | kind::BYTES,
        // `!=null` allows any other value; `!=0` and `!="x"` are of their operand's kind
        // (`"a" & !=0` is a conflict, as in CUE).
        BoundOp::Ne if matches!(*b, Val::Null) => kind::TOP,
        _ => match kind_of(b) {
            k if k & kind::NUMBER != 0 => kind::NUMBER,
            k => k,
        },
    }
}

pub fn kind_name(k: u16) -> String {
    use kind::*;
    if k == TOP {
        return "_".into();
    }
    let mut parts = Vec::new();
    let mut k = k;
    if k & NUMBER == NUMBER {
        parts.push("number");
        k &= !NUMBER;
    }
    for (bit, name) in [
        (NULL, "null"),
        (BOOL, "bool"),
        (INT, "int"),
        (FLOAT, "float"),
        (STRING, "string"),
        (BYTES, "bytes"),
        (LIST, "list"),
        (STRUCT, "struct"),
        (FUNC, "func"),
    ] {
        if k & bit != 0 {
            parts.push(name);
        }
    }
    if parts.is_empty() {
        return "_|_".into();
    }
    parts.join("|")
}

pub fn is_concrete(v: &Val) -> bool {
    matches!(
        v,
        Val::Null | Val::Bool(_) | Val::Num(_) | Val::Str(_) | Val::Bytes(_)
    )
}

pub fn bound_op_str(op: BoundOp) -> &'static str {
    match op {
        BoundOp::Lt => "<",
        BoundOp::Le => "<=",
        BoundOp::Gt => ">",
        BoundOp::Ge => ">=",
        BoundOp::Eq => "==",
        BoundOp::Ne => "!=",
        BoundOp::Match => "=~",
        BoundOp::NotMatch => "!~",
    }
}

pub fn quote_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("'");
    for &c in b {
        match c {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('\'');
    out
}

/// The value as CUE would print it in a message.
pub fn show(v: &Val) -> String {
    match v {
        Val::Top => "_".into(),
        Val::Bottom(_) => "_|_".into(),
        Val::Null => "null".into(),
        Val::Bool(b) => b.to_string(),
        Val::Num(n) => n.to_string(),
        Val::Str(s) => quote_str(s),
        Val::Bytes(b) => quote_bytes(b),
        Val::Kind(k) => kind_name(*k),
        Val::Bound(op, b) => match &**b {
            Val::Data(d) => format!("{}{}", bound_op_str(*op), super::expr::show_compact(d)),
            b => format!("{}{}", bound_op_str(*op), show(b)),
        },
        Val::Validator(v) => v.text.clone(),
        Val::Conj(cs) => cs.iter().map(show).collect::<Vec<_>>().join(" & "),
        Val::Disj(ds) => ds
            .iter()
            .map(|(d, m)| format!("{}{}", if *m { "*" } else { "" }, show(d)))
            .collect::<Vec<_>>()
            .join(" | "),
        Val::Vertex(_) => "{...}".into(),
        Val::Func(_) => "func".into(),
        Val::Pkg(p) => format!("package {p}"),
        Val::Data(d) => super::expr::show_value(d),
    }
}

fn conflict(a: &Val, b: &Val) -> Val {
    let (ka, kb) = (kind_of(a), kind_of(b));
    let msg = if ka & kb == 0 {
        format!(
            "conflicting values {} and {} (mismatched types {} and {})",
            show(a),
            show(b),
            kind_name(ka),
            kind_name(kb)
        )
    } else {
        format!("conflicting values {} and {}", show(a), show(b))
    };
    Val::Bottom(Bot::new("orche::eval::conflict", msg, vec![]))
}

/// Equality of two concrete scalars.
pub fn scalar_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x.cmp(y) == Ordering::Equal,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bytes(x), Val::Bytes(y)) => x == y,
        _ => false,
    }
}

/// Checks a concrete value against a bound. `None` if the bound does not apply to the type.
pub fn check_bound(op: BoundOp, bound: &Val, x: &Val) -> Result<bool, String> {
    match op {
        BoundOp::Eq | BoundOp::Ne => {
            // `==1` is of kind number (`==2.0 & 2` holds), `!=null` allows any other value;
            // a list or struct operand is compared with the whole value when its vertex is
            // finalized.
            if kind_of(x) & bound_kind(op, bound) == 0 {
                return Err("type".into());
            }
            Ok(scalar_eq(x, bound) == (op == BoundOp::Eq))
        }
        BoundOp::Match | BoundOp::NotMatch => {
            let re = match bound {
                Val::Str(s) => s.clone(),
                _ => return Err(format!("invalid regular expression {}", show(bound))),
            };
            let text: std::borrow::Cow<str> = match x {
                Val::Str(s) => std::borrow::Cow::Borrowed(&**s),
                Val::Bytes(b) => String::from_utf8_lossy(b),
                _ => return Err("type".into()),
            };
            let r = compile_regex(&re)
                .map_err(|e| format!("invalid regular expression {re:?}: {e}"))?;
            let m = r.is_match(&text);
            Ok(if op == BoundOp::Match { m } else { !m })
        }
        _ => {
            let ord = match (x, bound) {
                (Val::Num(a), Val::Num(b)) => a.cmp(b),
                (Val::Str(a), Val::Str(b)) => a.as_ref().cmp(b.as_ref()),
                (Val::Bytes(a), Val::Bytes(b)) => a.as_ref().cmp(b.as_ref()),
                _ => return Err("type".into()),
            };
            Ok(match op {
                BoundOp::Lt => ord == Ordering::Less,
                BoundOp::Le => ord != Ordering::Greater,
                BoundOp::Gt => ord == Ordering::Greater,
                BoundOp::Ge => ord != Ordering::Less,
                _ => unreachable!("handled above"),
            })
        }
    }
}

fn check_validator(v: &Validator, x: &Val) -> Option<Val> {
    if let super::Func::Predeclared(_) = v.func {
        return super::matchn::check_scalar(v, x);
    }
    let conc = super::expr::to_value_scalar(x)?;
    let mut args = vec![conc];
    args.extend(v.args.iter().cloned());
    let res = match &v.func {
        super::Func::Builtin(b) => (b.func)(&args),
        _ => return None,
    };
    match res {
        Ok(crate::value::Value::Bool(true)) => None,
        Ok(_) | Err(super::builtins::BuiltinError::Msg(_)) if quiet() => Some(Val::Bottom(
            Bot::new("orche::eval::validator", String::new(), vec![]),
        )),
        Ok(_) => Some(Val::Bottom(Bot::new(
            "orche::eval::validator",
            format!("invalid value {} (does not satisfy {})", show(x), v.text),
            vec![],
        ))),
        Err(super::builtins::BuiltinError::Incomplete(_)) => None,
        Err(super::builtins::BuiltinError::Msg(m)) => Some(Val::Bottom(Bot::new(
            "orche::eval::validator",
            format!(
                "invalid value {} (does not satisfy {}): {}",
                show(x),
                v.text,
                m
            ),
            vec![],
        ))),
    }
}

/// Checks a concrete value `x` against a non-concrete constraint `c`: returns `x` or a bottom.
fn check(c: &Val, x: &Val) -> Val {
    match c {
        Val::Kind(k) => {
            if kind_of(x) & k != 0 {
                x.clone()
            } else {
                conflict(c, x)
            }
        }
        Val::Bound(op, b) => match check_bound(*op, b, x) {
            Ok(true) => x.clone(),
            Ok(false) => Val::Bottom(Bot::new(
                "orche::eval::bound",
                format!("invalid value {} (out of bound {})", show(x), show(c)),
                vec![],
            )),
            Err(e) if e == "type" => conflict(c, x),
            Err(e) => Val::Bottom(Bot::new("orche::eval::bound", e, vec![])),
        },
        Val::Validator(v) => check_validator(v, x).unwrap_or_else(|| x.clone()),
        Val::Conj(cs) => {
            let mut cur = x.clone();
            for c in cs.iter() {
                cur = check(c, &cur);
                if matches!(cur, Val::Bottom(_)) {
                    return cur;
                }
            }
            cur
        }
        _ => conflict(c, x),
    }
}

/// Adds constraint `c` to a conjunction of constraints, simplifying kinds and bounds.
fn add_constraint(list: &mut Vec<Val>, c: Val) -> Option<Val> {
    match &c {
        Val::Kind(k) => {
            for item in list.iter_mut() {
                if let Val::Kind(k0) = item {
                    let nk = *k0 & k;
                    if nk == 0 {
                        return Some(conflict(&Val::Kind(*k0), &c));
                    }
                    *k0 = nk;
                    return None;
                }
            }
            list.insert(0, c);
            None
        }
        Val::Bound(op, b) => {
            for item in list.iter_mut() {
                if let Val::Bound(op0, b0) = item {
                    if let (Val::Num(n0), Val::Num(n)) = (&**b0, &**b) {
                        let same_dir = matches!(
                            (*op0, *op),
                            (BoundOp::Lt | BoundOp::Le, BoundOp::Lt | BoundOp::Le)
                                | (BoundOp::Gt | BoundOp::Ge, BoundOp::Gt | BoundOp::Ge)
                        );
                        if same_dir {
                            let ord = n.cmp(n0);
                            let tighter = match op {
                                BoundOp::Lt | BoundOp::Le => {
                                    ord == Ordering::Less
                                        || (ord == Ordering::Equal && *op == BoundOp::Lt)
                                }
                                _ => {
                                    ord == Ordering::Greater
                                        || (ord == Ordering::Equal && *op == BoundOp::Gt)
                                }
                            };
                            if tighter {
                                *item = c.clone();
                            }
                            return None;
                        }
                    }
                    if *op0 == *op && super::unify::same(b0, b) {
                        return None;
                    }
                }
            }
            list.push(c);
            // `>=a & <=a` is `a`.
            let lo = list.iter().find_map(|x| match x {
                Val::Bound(BoundOp::Ge, b) => Some(b.clone()),
                _ => None,
            });
            let hi = list.iter().find_map(|x| match x {
                Val::Bound(BoundOp::Le, b) => Some(b.clone()),
                _ => None,
            });
            if let (Some(lo), Some(hi)) = (lo, hi) {
                if let (Val::Num(a), Val::Num(b)) = (&*lo, &*hi) {
                    if a.cmp(b) == Ordering::Equal {
                        let mut x = (*lo).clone();
                        for c in list.iter() {
                            x = check(c, &x);
                        }
                        return Some(x);
                    }
                }
            }
            empty_range(list)
        }
        _ => {
            list.push(c);
            None
        }
    }
}

/// A lower and an upper bound that no value satisfies (`<1 & >2`, `<"b" & >="b"`): cue
/// v0.14.2's `incompatible number bounds <1 and >2` (upper bound first), else `None`.
fn empty_range(list: &[Val]) -> Option<Val> {
    let lower = list.iter().find_map(|x| match x {
        Val::Bound(op @ (BoundOp::Gt | BoundOp::Ge), b) => Some((*op, b)),
        _ => None,
    })?;
    let upper = list.iter().find_map(|x| match x {
        Val::Bound(op @ (BoundOp::Lt | BoundOp::Le), b) => Some((*op, b)),
        _ => None,
    })?;
    let (ord, what) = match (&**lower.1, &**upper.1) {
        (Val::Num(a), Val::Num(b)) => (a.cmp(b), "number"),
        (Val::Str(a), Val::Str(b)) => (a.cmp(b), "string"),
        (Val::Bytes(a), Val::Bytes(b)) => (a.cmp(b), "bytes"),
        _ => return None,
    };
    let empty = ord == Ordering::Greater
        || (ord == Ordering::Equal && (lower.0 == BoundOp::Gt || upper.0 == BoundOp::Lt));
    if !empty {
        return None;
    }
    Some(Val::Bottom(Bot::new(
        "orche::eval::bound",
        format!(
            "incompatible {what} bounds {} and {}",
            show(&Val::Bound(upper.0, upper.1.clone())),
            show(&Val::Bound(lower.0, lower.1.clone()))
        ),
        vec![],
    )))
}

/// Structural sameness for simplification (not semantic equality).
/// Whether two concrete scalars are the same value of the same kind (`1` is not `1.0`).
fn equal_concrete(x: &Val, y: &Val) -> bool {
    scalar_eq(x, y) && kind_of(x) == kind_of(y)
}

pub fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Kind(x), Val::Kind(y)) => x == y,
        (Val::Bound(o1, b1), Val::Bound(o2, b2)) => o1 == o2 && same(b1, b2),
        (Val::Top, Val::Top) => true,
        (Val::Vertex(x), Val::Vertex(y)) => x == y,
        (Val::Validator(x), Val::Validator(y)) => x.text == y.text,
        (Val::Data(x), Val::Data(y)) => x == y,
        _ => is_concrete(a) && is_concrete(b) && scalar_eq(a, b),
    }
}

/// The meet of two scalar-level values.
pub fn meet(a: &Val, b: &Val) -> Val {
    match (a, b) {
        (Val::Top, x) | (x, Val::Top) => x.clone(),
        (Val::Bottom(_), _) => a.clone(),
        (_, Val::Bottom(_)) => b.clone(),
        (Val::Disj(_), _) | (_, Val::Disj(_)) => meet_disj(a, b),
        (x, y) if is_concrete(x) && is_concrete(y) => {
            if equal_concrete(x, y) {
                x.clone()
            } else {
                conflict(x, y)
            }
        }
        (x, c) | (c, x) if is_concrete(x) => check(c, x),
        (Val::Kind(x), Val::Kind(y)) => {
            let k = x & y;
            if k == 0 {
                conflict(a, b)
            } else {
                Val::Kind(k)
            }
        }
        (Val::Func(_), _) | (_, Val::Func(_)) | (Val::Pkg(_), _) | (_, Val::Pkg(_)) => {
            conflict(a, b)
        }
        _ => {
            let mut list: Vec<Val> = match a {
                Val::Conj(cs) => (**cs).clone(),
                _ => vec![a.clone()],
            };
            let more: Vec<Val> = match b {
                Val::Conj(cs) => (**cs).clone(),
                _ => vec![b.clone()],
            };
            for c in more {
                if let Some(done) = add_constraint(&mut list, c) {
                    return done;
                }
            }
            // A kind and a bound on a disjoint kind conflict (`string & >0`).
            let k = list.iter().fold(kind::TOP, |k, c| k & kind_of(c));
            if k == 0 {
                return conflict(a, b);
            }
            if list.len() == 1 {
                list.pop().unwrap_or(Val::Top)
            } else {
                Val::Conj(Rc::new(list))
            }
        }
    }
}

/// The alternatives of a value with their effective marks (when none is marked, all count as
/// defaults; a non-disjunction is one marked alternative), borrowed.
fn as_alts(v: &Val) -> SmallVec<[(&Val, bool); 8]> {
    match v {
        Val::Disj(ds) => {
            let any = ds.iter().any(|(_, m)| *m);
            ds.iter().map(|(d, m)| (d, !any || *m)).collect()
        }
        _ => smallvec::smallvec![(v, true)],
    }
}

/// Pairs of alternatives one meet of two scalar disjunctions may compare.
const MAX_ALTERNATIVES: usize = 4096;

fn meet_disj(a: &Val, b: &Val) -> Val {
    // A concrete scalar and a disjunction that has it among its alternatives (`"http"` and
    // `#Kind`): the scalar itself, whatever the marks.
    if let (Val::Disj(ds), x) | (x, Val::Disj(ds)) = (a, b) {
        if !matches!(x, Val::Disj(_))
            && is_concrete(x)
            && ds
                .iter()
                .any(|(d, _)| is_concrete(d) && equal_concrete(d, x))
        {
            return x.clone();
        }
    }
    let xs = as_alts(a);
    let ys = as_alts(b);
    // Alternatives that do not simplify multiply (`(<"a" | >"b" | string) & …` twelve times is
    // 3^12 of them, each compared with the others): refused past the bound struct
    // disjunctions have too.
    let pairs = xs.len().saturating_mul(ys.len());
    if pairs > MAX_ALTERNATIVES {
        return Val::Bottom(Bot::new(
            "orche::eval::disjunction",
            format!("too many disjunction alternatives ({pairs})"),
            vec![],
        ));
    }
    // Usually one alternative survives: no Vec for it.
    let mut out: SmallVec<[(Val, bool); 2]> = SmallVec::new();
    let mut first_err = None;
    // With several pairs the errors are not reported, so two different concrete values are
    // skipped without building the conflict message.
    let single = xs.len() * ys.len() == 1;
    for (x, mx) in &xs {
        for (y, my) in &ys {
            if !single && is_concrete(x) && is_concrete(y) && !equal_concrete(x, y) {
                continue;
            }
            let m = if single {
                meet(x, y)
            } else {
                quietly(|| meet(x, y))
            };
            if let Val::Bottom(_) = m {
                first_err.get_or_insert(m);
                continue;
            }
            let mark = *mx && *my;
            match out.iter_mut().find(|(e, _)| same(e, &m)) {
                Some((_, em)) => *em |= mark,
                None => out.push((m, mark)),
            }
        }
    }
    let res = if out.len() <= 1 {
        out.pop().map(|(v, _)| v)
    } else {
        normalize_disj(out.into_vec())
    };
    res.unwrap_or_else(|| {
        let detail = match &first_err {
            Some(Val::Bottom(b)) if xs.len() * ys.len() == 1 => return Val::Bottom(b.clone()),
            Some(Val::Bottom(b)) => format!(": {}", b.msg),
            _ => String::new(),
        };
        let _ = detail;
        let (value, alts) = if matches!(a, Val::Disj(_)) {
            (b, a)
        } else {
            (a, b)
        };
        let mut bot = Bot::new(
            "orche::eval::disjunction",
            format!(
                "{} does not match any alternative of {}",
                show(value),
                show(alts)
            ),
            vec![],
        );
        // A string may be a typo of one of the string alternatives.
        if let (Val::Str(v), Val::Disj(_)) = (value, alts) {
            Rc::make_mut(&mut bot).typo = Some(super::Typo::Alternative {
                value: v.clone(),
                of: alts.clone(),
            });
        }
        Val::Bottom(bot)
    })
}

/// Adds an alternative, merging duplicates (a default duplicate wins).
pub fn push_alt(out: &mut Vec<(Val, bool)>, v: Val, mark: bool) {
    for (e, m) in out.iter_mut() {
        if same(e, &v) {
            *m |= mark;
            return;
        }
    }
    out.push((v, mark));
}

/// `None` if empty; the value itself if one alternative; otherwise a disjunction. When all
/// marks are set they are cleared (no alternative is preferred).
pub fn normalize_disj(mut out: Vec<(Val, bool)>) -> Option<Val> {
    match out.len() {
        0 => None,
        1 => out.pop().map(|(v, _)| v),
        _ => {
            if out.iter().all(|(_, m)| *m) {
                for (_, m) in out.iter_mut() {
                    *m = false;
                }
            }
            Some(Val::Disj(Rc::new(out)))
        }
    }
}

/// The default of a value: the single default alternative of a disjunction, or the value.
pub fn default_of(v: &Val) -> Val {
    match v {
        Val::Disj(ds) => {
            let defaults: Vec<&Val> = ds.iter().filter(|(_, m)| *m).map(|(d, _)| d).collect();
            if defaults.len() == 1 {
                defaults[0].clone()
            } else {
                v.clone()
            }
        }
        _ => v.clone(),
    }
}

thread_local! {
    static REGEX_CACHE: std::cell::RefCell<indexmap::IndexMap<String, Rc<regex::Regex>>> = std::cell::RefCell::new(indexmap::IndexMap::new());
}

/// One line for a pattern that does not compile: the regex crate's message is a drawing of the
/// pattern with a caret, then `error: what`.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let what = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().next().unwrap_or("invalid pattern"));
    what.to_string()
}

/// Compiles a regular expression (RE2 syntax), caching by pattern text.
pub fn compile_regex(re: &str) -> Result<Rc<regex::Regex>, String> {
    if let Some(r) = REGEX_CACHE.with(|c| c.borrow().get(re).cloned()) {
        return Ok(r);
    }
    let r = Rc::new(regex::Regex::new(re).map_err(|e| regex_error(&e))?);
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 4096 {
            c.clear();
        }
        c.insert(re.to_string(), r.clone());
    });
    Ok(r)
}
