//! The `list` package: slicing, aggregation and the list validators. Invariant: results are
//! built only from the arguments (no evaluation), never longer than `MAX_ELEMS`; the members
//! that need a comparator or a constraint are stubs that the evaluator intercepts.

use super::{builtin, dec_value, msg, show, Args, Builtin, BuiltinError, MAX_ELEMS};
use crate::value::{Dec, Num, Value};
use num_bigint::BigInt;

type R = Result<Value, BuiltinError>;

const P: &str = "list";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Avg", 1, avg),
    builtin!(P, "Concat", 1, concat),
    builtin!(P, "Contains", 2, contains, validator),
    builtin!(P, "Drop", 2, drop),
    builtin!(P, "FlattenN", 2, flatten_n),
    builtin!(P, "IsSorted", 2, needs_evaluator, validator),
    builtin!(P, "IsSortedStrings", 1, is_sorted_strings, validator),
    builtin!(P, "MatchN", 3, needs_evaluator, validator),
    builtin!(P, "Max", 1, max),
    builtin!(P, "MaxItems", 2, max_items, validator),
    builtin!(P, "Min", 1, min),
    builtin!(P, "MinItems", 2, min_items, validator),
    builtin!(P, "Product", 1, product),
    builtin!(P, "Range", 3, range),
    builtin!(P, "Repeat", 2, repeat),
    builtin!(P, "Reverse", 1, reverse),
    builtin!(P, "Slice", 3, slice),
    builtin!(P, "Sort", 2, needs_evaluator),
    builtin!(P, "SortStable", 2, needs_evaluator),
    builtin!(P, "SortStrings", 1, sort_strings),
    builtin!(P, "Sum", 1, sum),
    builtin!(P, "Take", 2, take),
    builtin!(P, "UniqueItems", 1, unique_items, validator),
];

fn needs_evaluator(_: &[Value]) -> R {
    Err(msg("internal error: this list builtin takes a comparator or constraint and must be evaluated by the evaluator"))
}

fn drop(args: &[Value]) -> R {
    let a = Args::new(args, "list.Drop");
    let x = a.list(0)?;
    let n = a.i64(1)?;
    if n < 0 {
        return Err(a.fail("negative index"));
    }
    let n = (n as u64).min(x.len() as u64) as usize;
    Ok(Value::List(x[n..].to_vec()))
}

fn take(args: &[Value]) -> R {
    let a = Args::new(args, "list.Take");
    let x = a.list(0)?;
    let n = a.i64(1)?;
    if n < 0 {
        return Err(a.fail("negative index"));
    }
    let n = (n as u64).min(x.len() as u64) as usize;
    Ok(Value::List(x[..n].to_vec()))
}

fn slice(args: &[Value]) -> R {
    let a = Args::new(args, "list.Slice");
    let x = a.list(0)?;
    let (i, j) = (a.i64(1)?, a.i64(2)?);
    if i < 0 {
        return Err(a.fail("negative index"));
    }
    if i > j {
        return Err(a.fail(format!("invalid index: {i} > {j}")));
    }
    if j > x.len() as i64 {
        return Err(a.fail("slice bounds out of range"));
    }
    Ok(Value::List(x[i as usize..j as usize].to_vec()))
}

fn reverse(args: &[Value]) -> R {
    let a = Args::new(args, "list.Reverse");
    Ok(Value::List(a.list(0)?.iter().rev().cloned().collect()))
}

fn concat(args: &[Value]) -> R {
    let a = Args::new(args, "list.Concat");
    let mut out = Vec::new();
    for (j, e) in a.list(0)?.iter().enumerate() {
        match e {
            Value::List(items) => out.extend(items.iter().cloned()),
            other => {
                return Err(a.fail(format!(
                    "element {j}: cannot use value {} (type {}) as list",
                    show(other),
                    other.kind_name()
                )))
            }
        }
    }
    Ok(Value::List(out))
}

fn repeat(args: &[Value]) -> R {
    let a = Args::new(args, "list.Repeat");
    let x = a.list(0)?;
    let n = a.i64(1)?;
    if n < 0 {
        return Err(a.fail("negative count"));
    }
    if x.len().saturating_mul(n as usize) > MAX_ELEMS {
        return Err(a.fail(format!("result too large (more than {MAX_ELEMS} elements)")));
    }
    let mut out = Vec::with_capacity(x.len() * n as usize);
    for _ in 0..n {
        out.extend(x.iter().cloned());
    }
    Ok(Value::List(out))
}

fn flatten_n(args: &[Value]) -> R {
    let a = Args::new(args, "list.FlattenN");
    let xs = a.list(0)?;
    let depth = a.i64(1)?;
    let mut out = Vec::new();
    flatten_into(xs, depth, &mut out);
    Ok(Value::List(out))
}

fn flatten_into(xs: &[Value], depth: i64, out: &mut Vec<Value>) {
    for x in xs {
        match x {
            Value::List(inner) if depth != 0 => flatten_into(inner, depth - 1, out),
            other => out.push(other.clone()),
        }
    }
}

fn contains(args: &[Value]) -> R {
    let a = Args::new(args, "list.Contains");
    let xs = a.list(0)?;
    let v = a.get(1)?;
    Ok(Value::Bool(xs.iter().any(|x| x == v)))
}

fn min_items(args: &[Value]) -> R {
    let a = Args::new(args, "list.MinItems");
    let count = a.list(0)?.len();
    let n = a.i64(1)?;
    if count as i64 >= n {
        return Ok(Value::Bool(true));
    }
    Err(a.fail(format!("len(list) < MinItems({n}) ({count} < {n})")))
}

fn max_items(args: &[Value]) -> R {
    let a = Args::new(args, "list.MaxItems");
    let count = a.list(0)?.len();
    let n = a.i64(1)?;
    if count as i64 <= n {
        return Ok(Value::Bool(true));
    }
    Err(a.fail(format!("len(list) > MaxItems({n}) ({count} > {n})")))
}

/// CUE compares the printed forms, so `1` and `1.0` are different items.
fn unique_items(args: &[Value]) -> R {
    let a = Args::new(args, "list.UniqueItems");
    let mut printed: Vec<String> = a.list(0)?.iter().map(show).collect();
    printed.sort();
    Ok(Value::Bool(printed.windows(2).all(|w| w[0] != w[1])))
}

fn sort_strings(args: &[Value]) -> R {
    let a = Args::new(args, "list.SortStrings");
    let mut xs = a.str_list(0)?;
    xs.sort();
    Ok(Value::List(
        xs.into_iter().map(|x| Value::Str(x.to_string())).collect(),
    ))
}

fn is_sorted_strings(args: &[Value]) -> R {
    let a = Args::new(args, "list.IsSortedStrings");
    let xs = a.str_list(0)?;
    Ok(Value::Bool(xs.windows(2).all(|w| w[0] <= w[1])))
}

fn zero() -> Dec {
    Dec {
        coef: BigInt::from(0),
        exp: 0,
    }
}

fn sum(args: &[Value]) -> R {
    let a = Args::new(args, "list.Sum");
    Ok(dec_value(
        a.dec_list(0)?.iter().fold(zero(), |acc, x| acc.add(x)),
    ))
}

fn product(args: &[Value]) -> R {
    let a = Args::new(args, "list.Product");
    let one = Dec {
        coef: BigInt::from(1),
        exp: 0,
    };
    Ok(dec_value(
        a.dec_list(0)?.iter().fold(one, |acc, x| acc.mul(x)),
    ))
}

fn avg(args: &[Value]) -> R {
    let a = Args::new(args, "list.Avg");
    let xs = a.dec_list(0)?;
    if xs.is_empty() {
        return Err(a.fail("empty list"));
    }
    let total = xs.iter().fold(zero(), |acc, x| acc.add(x));
    let n = Dec {
        coef: BigInt::from(xs.len()),
        exp: 0,
    };
    total
        .div(&n)
        .map(dec_value)
        .ok_or_else(|| a.fail("division by zero"))
}

/// The extreme element by `pick` (returns true when the candidate replaces the current one).
fn extreme(args: &[Value], f: &'static str, replace: std::cmp::Ordering) -> R {
    let a = Args::new(args, f);
    let xs = a.dec_list(0)?;
    let mut it = xs.into_iter();
    let Some(mut best) = it.next() else {
        return Err(a.fail("empty list"));
    };
    for x in it {
        if best.cmp(&x) == replace {
            best = x;
        }
    }
    Ok(dec_value(best))
}

fn max(args: &[Value]) -> R {
    extreme(args, "list.Max", std::cmp::Ordering::Less)
}

fn min(args: &[Value]) -> R {
    extreme(args, "list.Min", std::cmp::Ordering::Greater)
}

fn range(args: &[Value]) -> R {
    let a = Args::new(args, "list.Range");
    let (start, limit, step) = (a.dec(0)?, a.dec(1)?, a.dec(2)?);
    if step.is_zero() {
        return Err(a.fail("step must be non zero"));
    }
    let negative = step.coef < BigInt::from(0);
    if !negative && start.cmp(&limit).is_gt() {
        return Err(a.fail("end must be greater than start when step is positive"));
    }
    if negative && start.cmp(&limit).is_lt() {
        return Err(a.fail("end must be less than start when step is negative"));
    }
    // Check the length before building: (limit - start) / step elements at most.
    let span = limit
        .sub(&start)
        .div(&step)
        .map(|q| q.trunc())
        .unwrap_or_default();
    if span > BigInt::from(MAX_ELEMS) {
        return Err(a.fail(format!("result too large (more than {MAX_ELEMS} elements)")));
    }
    let all_int = [&args[0], &args[1], &args[2]]
        .iter()
        .all(|v| matches!(v, Value::Num(Num::Int(_))));
    let mut out = Vec::new();
    let mut num = start;
    loop {
        let c = num.cmp(&limit);
        if (!negative && !c.is_lt()) || (negative && !c.is_gt()) || out.len() > MAX_ELEMS {
            break;
        }
        let next = num.add(&step);
        out.push(if all_int {
            dec_value(num)
        } else {
            Value::Num(Num::Float(num))
        });
        num = next;
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::{call, lookup, Member};
    use super::*;
    use crate::value::number::parse_literal;

    fn run(name: &str, args: Vec<Value>) -> String {
        let Some(Member::Func(b)) = lookup("list", name) else {
            panic!("{name}")
        };
        match call(b, &args) {
            Ok(v) => show(&v),
            Err(BuiltinError::Msg(m) | BuiltinError::Incomplete(m)) => format!("error: {m}"),
        }
    }

    fn n(s: &str) -> Value {
        Value::Num(parse_literal(s).unwrap())
    }

    fn l(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| n(s)).collect())
    }

    fn st(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn table() {
        let i = Value::int;
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("Drop", vec![l(&["1", "2", "3", "4"]), i(2)], "[3, 4]"),
            ("Drop", vec![l(&["1"]), i(5)], "[]"),
            ("Drop", vec![l(&["1"]), i(-1)], "error: negative index"),
            ("Take", vec![l(&["1", "2", "3"]), i(2)], "[1, 2]"),
            ("Slice", vec![l(&["1", "2", "3", "4"]), i(1), i(3)], "[2, 3]"),
            ("Slice", vec![l(&["1"]), i(1), i(3)], "error: slice bounds out of range"),
            ("Reverse", vec![l(&["1", "2", "3"])], "[3, 2, 1]"),
            ("Concat", vec![Value::List(vec![l(&["1"]), l(&["2", "3"])])], "[1, 2, 3]"),
            ("Repeat", vec![l(&["1", "2"]), i(2)], "[1, 2, 1, 2]"),
            ("Repeat", vec![l(&["1"]), i(i64::MAX)], "error: result too large (more than 10000000 elements)"),
            (
                "FlattenN",
                vec![Value::List(vec![n("1"), Value::List(vec![l(&["2", "3"]), l(&[])]), l(&["4"])]), i(1)],
                "[1, [2, 3], [], 4]",
            ),
            (
                "FlattenN",
                vec![Value::List(vec![n("1"), Value::List(vec![l(&["2", "3"]), l(&[])]), l(&["4"])]), i(-1)],
                "[1, 2, 3, 4]",
            ),
            ("Contains", vec![l(&["1", "2"]), i(2)], "true"),
            ("Contains", vec![l(&["1", "2"]), i(3)], "false"),
            ("MinItems", vec![l(&["1"]), i(1)], "true"),
            ("MinItems", vec![l(&["1"]), i(2)], "error: len(list) < MinItems(2) (1 < 2)"),
            ("MaxItems", vec![l(&["1", "2"]), i(1)], "error: len(list) > MaxItems(1) (2 > 1)"),
            ("UniqueItems", vec![l(&["1", "2"])], "true"),
            ("UniqueItems", vec![l(&["1", "1"])], "false"),
            ("UniqueItems", vec![l(&["1", "1.0"])], "true"),
            ("Sum", vec![l(&["1", "2", "3"])], "6"),
            ("Sum", vec![l(&["1.5", "2"])], "3.5"),
            ("Sum", vec![l(&[])], "0"),
            ("Product", vec![l(&["2", "3"])], "6"),
            ("Avg", vec![l(&["1", "2", "3", "4"])], "2.5"),
            ("Avg", vec![l(&[])], "error: empty list"),
            ("Max", vec![l(&["1", "3", "2"])], "3"),
            ("Min", vec![l(&["1", "3", "-2.5"])], "-2.5"),
            ("Range", vec![i(0), i(5), i(2)], "[0, 2, 4]"),
            ("Range", vec![i(5), i(0), i(-2)], "[5, 3, 1]"),
            ("Range", vec![n("0"), n("1.0"), n("0.5")], "[0, 0.5]"),
            ("Range", vec![i(0), i(5), i(0)], "error: step must be non zero"),
            ("Range", vec![i(0), n("1e100"), i(1)], "error: result too large (more than 10000000 elements)"),
            ("Sum", vec![l(&["1e1000000000", "1"])], "error: invalid element 0 (1E+1000000000) of number list argument 0: exponent out of range"),
            ("SortStrings", vec![Value::List(vec![st("b"), st("a")])], r#"["a", "b"]"#),
            ("IsSortedStrings", vec![Value::List(vec![st("b"), st("a")])], "false"),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args.clone()), want, "{name}({args:?})");
        }
    }
}
