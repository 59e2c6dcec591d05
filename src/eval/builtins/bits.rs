//! The `math/bits` package. CUE's versions of `And`, `Or`, `Xor` and `Clear` work on the
//! magnitudes of arbitrary-size ints; the others on uint64. Invariant: results are never
//! negative.

use super::{builtin, int_value, Args, Builtin, BuiltinError};
use crate::value::Value;
use num_bigint::BigInt;

type R = Result<Value, BuiltinError>;

const B: &str = "math/bits";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(B, "And", 2, |a| big_op(a, "bits.And", |x, y| x & y)),
    builtin!(B, "Clear", 2, clear),
    builtin!(B, "Len", 1, |a| u64_op(
        a,
        "bits.Len",
        |x| (64 - x.leading_zeros()) as u64
    )),
    builtin!(B, "OnesCount", 1, |a| u64_op(
        a,
        "bits.OnesCount",
        |x| x.count_ones() as u64
    )),
    builtin!(B, "Or", 2, |a| big_op(a, "bits.Or", |x, y| x | y)),
    builtin!(B, "Reverse", 1, |a| u64_op(
        a,
        "bits.Reverse",
        u64::reverse_bits
    )),
    builtin!(B, "ReverseBytes", 1, |a| u64_op(
        a,
        "bits.ReverseBytes",
        u64::swap_bytes
    )),
    builtin!(B, "Xor", 2, |a| big_op(a, "bits.Xor", |x, y| x ^ y)),
];

fn big_op(
    args: &[Value],
    f: &'static str,
    op: fn(&num_bigint::BigUint, &num_bigint::BigUint) -> num_bigint::BigUint,
) -> R {
    let a = Args::new(args, f);
    let (x, y) = (a.bigint(0)?.magnitude(), a.bigint(1)?.magnitude());
    Ok(int_value(BigInt::from(op(x, y))))
}

/// `a &^ b`: the bits of a that are not set in b.
fn clear(args: &[Value]) -> R {
    let a = Args::new(args, "bits.Clear");
    let (x, y) = (a.bigint(0)?.magnitude(), a.bigint(1)?.magnitude());
    let mut out = x.clone();
    for i in 0..x.bits() {
        if y.bit(i) {
            out.set_bit(i, false);
        }
    }
    Ok(int_value(BigInt::from(out)))
}

fn u64_op(args: &[Value], f: &'static str, op: fn(u64) -> u64) -> R {
    let a = Args::new(args, f);
    Ok(int_value(op(a.u64(0)?)))
}

#[cfg(test)]
mod tests {
    use super::super::{call, lookup, show, Member};
    use super::*;
    use crate::value::number::parse_literal;

    fn run(pkg: &str, name: &str, args: &[&str]) -> String {
        let Some(Member::Func(b)) = lookup(pkg, name) else {
            panic!("{name}")
        };
        let args: Vec<Value> = args
            .iter()
            .map(|s| Value::Num(parse_literal(s).unwrap()))
            .collect();
        match call(b, &args) {
            Ok(v) => show(&v),
            Err(BuiltinError::Msg(m) | BuiltinError::Incomplete(m)) => format!("error: {m}"),
        }
    }

    #[test]
    fn bits_table() {
        assert_eq!(run("math/bits", "And", &["12", "10"]), "8");
        assert_eq!(run("math/bits", "Or", &["12", "10"]), "14");
        assert_eq!(run("math/bits", "Xor", &["12", "10"]), "6");
        assert_eq!(run("math/bits", "Clear", &["12", "10"]), "4");
        assert_eq!(run("math/bits", "OnesCount", &["255"]), "8");
        assert_eq!(run("math/bits", "Len", &["8"]), "4");
    }
}
