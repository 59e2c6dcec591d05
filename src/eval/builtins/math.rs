//! The `math` and `math/bits` packages. Functions CUE computes on apd decimals (`Abs`, `Floor`,
//! `Pow`, `Exp`, `Log`, …) are computed here on exact decimals, with the transcendental ones
//! carried to 90 digits and rounded half-even to 34 significant digits as apd does; functions
//! CUE computes on Go `float64` (`Sqrt`, `Sin`, …) use `f64` and convert like `%g`.
//! Invariant: every result is finite; overflow, NaN and domain errors are `BuiltinError`s.

use super::{builtin, dec_value, float_value, int_value, round_sig, Args, Builtin, BuiltinError};
use crate::value::number::{parse_decimal, pow10, PRECISION};
use crate::value::{Dec, Num, Value};
use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

type R = Result<Value, BuiltinError>;

const P: &str = "math";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Abs", 1, abs),
    builtin!(P, "Acos", 1, |a| f1(a, "math.Acos", f64::acos)),
    builtin!(P, "Acosh", 1, |a| f1(a, "math.Acosh", f64::acosh)),
    builtin!(P, "Asin", 1, |a| f1(a, "math.Asin", f64::asin)),
    builtin!(P, "Asinh", 1, |a| f1(a, "math.Asinh", f64::asinh)),
    builtin!(P, "Atan", 1, |a| f1(a, "math.Atan", f64::atan)),
    builtin!(P, "Atan2", 2, |a| f2(a, "math.Atan2", f64::atan2)),
    builtin!(P, "Atanh", 1, |a| f1(a, "math.Atanh", f64::atanh)),
    builtin!(P, "Cbrt", 1, cbrt),
    builtin!(P, "Ceil", 1, |a| round_int(a, "math.Ceil", Rounding::Ceil)),
    builtin!(P, "Copysign", 2, copysign),
    builtin!(P, "Cos", 1, |a| f1(a, "math.Cos", f64::cos)),
    builtin!(P, "Cosh", 1, |a| f1(a, "math.Cosh", f64::cosh)),
    builtin!(P, "Dim", 2, dim),
    builtin!(P, "Exp", 1, exp),
    builtin!(P, "Exp2", 1, exp2),
    builtin!(P, "Expm1", 1, |a| f1(a, "math.Expm1", f64::exp_m1)),
    builtin!(P, "Floor", 1, |a| round_int(
        a,
        "math.Floor",
        Rounding::Floor
    )),
    builtin!(P, "Hypot", 2, |a| f2(a, "math.Hypot", f64::hypot)),
    builtin!(P, "Ilogb", 1, ilogb),
    builtin!(P, "Jacobi", 2, jacobi),
    builtin!(P, "Ldexp", 2, ldexp),
    builtin!(P, "Log", 1, log),
    builtin!(P, "Log10", 1, log10),
    builtin!(P, "Log1p", 1, |a| f1(a, "math.Log1p", f64::ln_1p)),
    builtin!(P, "Log2", 1, log2),
    builtin!(P, "Logb", 1, logb),
    builtin!(P, "Mod", 2, |a| f2(a, "math.Mod", |x, y| x % y)),
    builtin!(P, "MultipleOf", 2, multiple_of, validator),
    builtin!(P, "Pow", 2, pow),
    builtin!(P, "Pow10", 1, pow10_fn),
    builtin!(P, "Remainder", 2, |a| f2(
        a,
        "math.Remainder",
        ieee_remainder
    )),
    builtin!(P, "Round", 1, |a| round_int(
        a,
        "math.Round",
        Rounding::HalfUp
    )),
    builtin!(P, "RoundToEven", 1, |a| round_int(
        a,
        "math.RoundToEven",
        Rounding::HalfEven
    )),
    builtin!(P, "Signbit", 1, signbit, validator),
    builtin!(P, "Sin", 1, |a| f1(a, "math.Sin", f64::sin)),
    builtin!(P, "Sinh", 1, |a| f1(a, "math.Sinh", f64::sinh)),
    builtin!(P, "Sqrt", 1, |a| f1(a, "math.Sqrt", f64::sqrt)),
    builtin!(P, "Tan", 1, |a| f1(a, "math.Tan", f64::tan)),
    builtin!(P, "Tanh", 1, |a| f1(a, "math.Tanh", f64::tanh)),
    builtin!(P, "Trunc", 1, |a| round_int(
        a,
        "math.Trunc",
        Rounding::Down
    )),
];

/// Constants with the digits CUE prints for them.
pub(super) fn consts(name: &str) -> Option<Value> {
    let float = |s: &str| parse_decimal(s).map(|d| Value::Num(Num::Float(d)));
    let int = |s: &str| s.parse::<BigInt>().ok().map(|i| Value::Num(Num::Int(i)));
    match name {
        "E" => float("2.71828182845904523536028747135266249775724709369995957496696763"),
        "Pi" => float("3.14159265358979323846264338327950288419716939937510582097494459"),
        "Phi" => float("1.61803398874989484820458683436563811772030917980576286213544861"),
        "Sqrt2" => float("1.41421356237309504880168872420969807856967187537694807317667974"),
        "SqrtE" => float("1.64872127070012814684865078781416357165377610071014801157507931"),
        "SqrtPi" => float("1.77245385090551602729816748334114518279754945612238712821380779"),
        "SqrtPhi" => float("1.27201964951406896425242246173749149171560804184009624861664038"),
        "Ln2" => float("0.693147180559945309417232121458176568075500134360255254120680009"),
        "Log2E" => float("1.442695040888963407359924681001892137426645954152985934135449408"),
        "Ln10" => float("2.3025850929940456840179914546843642076011014886287729760333278"),
        "Log10E" => float("0.43429448190325182765112891891660508229439700580366656611445378"),
        "MaxInt" | "MaxInt64" => int("9223372036854775807"),
        "MinInt" | "MinInt64" => int("-9223372036854775808"),
        "MaxInt8" => int("127"),
        "MinInt8" => int("-128"),
        "MaxInt16" => int("32767"),
        "MinInt16" => int("-32768"),
        "MaxInt32" => int("2147483647"),
        "MinInt32" => int("-2147483648"),
        "MaxUint" | "MaxUint64" => int("18446744073709551615"),
        "MaxUint8" => int("255"),
        "MaxUint16" => int("65535"),
        "MaxUint32" => int("4294967295"),
        _ => None,
    }
}

/// A Go float64 function of one argument.
fn f1(args: &[Value], f: &'static str, op: fn(f64) -> f64) -> R {
    let a = Args::new(args, f);
    let x = a.f64(0)?;
    float_value(op(x)).map_err(|e| a.fail(err_text(e)))
}

fn f2(args: &[Value], f: &'static str, op: fn(f64, f64) -> f64) -> R {
    let a = Args::new(args, f);
    let (x, y) = (a.f64(0)?, a.f64(1)?);
    float_value(op(x, y)).map_err(|e| a.fail(err_text(e)))
}

fn err_text(e: BuiltinError) -> String {
    match e {
        BuiltinError::Msg(m) | BuiltinError::Incomplete(m) => m,
    }
}

/// Go's `math.Remainder`: x - n·y with n the integer nearest x/y, ties to even.
fn ieee_remainder(x: f64, y: f64) -> f64 {
    if y == 0.0 || !x.is_finite() || y.is_nan() {
        return f64::NAN;
    }
    if y.is_infinite() {
        return x;
    }
    let n = (x / y).round_ties_even();
    let r = x - n * y;
    if r == 0.0 {
        0.0f64.copysign(x)
    } else {
        r
    }
}

fn ilogb(args: &[Value]) -> R {
    let a = Args::new(args, "math.Ilogb");
    let x = a.f64(0)?;
    if x == 0.0 {
        return Ok(int_value(i32::MIN));
    }
    Ok(int_value(binary_exponent(x)))
}

fn logb(args: &[Value]) -> R {
    let a = Args::new(args, "math.Logb");
    let x = a.f64(0)?;
    if x == 0.0 {
        return Err(a.fail("invalid float: -Inf"));
    }
    float_value(binary_exponent(x) as f64)
}

/// The unbiased binary exponent of a finite non-zero float (subnormals normalised).
fn binary_exponent(x: f64) -> i64 {
    let bits = x.abs().to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64;
    if e == 0 {
        let mant = bits & ((1u64 << 52) - 1);
        return -1022 - (mant.leading_zeros() as i64 - 12) - 1;
    }
    e - 1023
}

fn ldexp(args: &[Value]) -> R {
    let a = Args::new(args, "math.Ldexp");
    let frac = a.f64(0)?;
    let e = a.i64(1)?.clamp(-2200, 2200) as i32;
    // Scale in steps so that intermediate powers of two stay finite.
    let mut x = frac;
    let mut e = e;
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    float_value(x * 2f64.powi(e)).map_err(|m| a.fail(err_text(m)))
}

fn jacobi(args: &[Value]) -> R {
    let a = Args::new(args, "math.Jacobi");
    let (x, y) = (a.bigint(0)?.clone(), a.bigint(1)?.clone());
    if y.is_even() {
        return Err(a.fail(format!(
            "big: invalid 2nd argument to Int.Jacobi: need odd integer but got {y}"
        )));
    }
    // The algorithm of Go's big.Jacobi, on non-negative numbers.
    let (mut x, mut y) = (x, y);
    let mut j = 1i64;
    if y.is_negative() {
        if x.is_negative() {
            j = -1;
        }
        y = -y;
    }
    x = x.mod_floor(&y);
    loop {
        if y.is_one() {
            return Ok(int_value(j));
        }
        if x.is_zero() {
            return Ok(int_value(0));
        }
        let s = x.trailing_zeros().unwrap_or(0);
        if s & 1 != 0 {
            let bmod8 = (&y % 8u32).to_u32().unwrap_or(0);
            if bmod8 == 3 || bmod8 == 5 {
                j = -j;
            }
        }
        let c = &x >> s;
        if (&y % 4u32).to_u32() == Some(3) && (&c % 4u32).to_u32() == Some(3) {
            j = -j;
        }
        x = y.mod_floor(&c);
        y = c;
    }
}

fn abs(args: &[Value]) -> R {
    let a = Args::new(args, "math.Abs");
    let d = a.dec(0)?;
    Ok(dec_value(Dec {
        coef: d.coef.abs(),
        exp: d.exp,
    }))
}

fn signbit(args: &[Value]) -> R {
    let a = Args::new(args, "math.Signbit");
    Ok(Value::Bool(a.dec(0)?.coef.sign() == Sign::Minus))
}

fn copysign(args: &[Value]) -> R {
    let a = Args::new(args, "math.Copysign");
    let (x, y) = (a.dec(0)?, a.dec(1)?);
    let mag = x.coef.abs();
    let coef = if y.coef.sign() == Sign::Minus {
        -mag
    } else {
        mag
    };
    Ok(dec_value(Dec { coef, exp: x.exp }))
}

fn dim(args: &[Value]) -> R {
    let a = Args::new(args, "math.Dim");
    let d = a.dec(0)?.sub(&a.dec(1)?);
    if d.coef.is_negative() {
        return Ok(int_value(0));
    }
    Ok(dec_value(d))
}

fn multiple_of(args: &[Value]) -> R {
    let a = Args::new(args, "math.MultipleOf");
    let (x, y) = (a.dec(0)?, a.dec(1)?);
    if y.is_zero() {
        return Err(a.fail("division by zero"));
    }
    // x is a multiple of y when x / y = (cx / cy) × 10^(ex - ey) is an integer.
    let (cx, cy) = (x.coef.abs(), y.coef.abs());
    let d = x.exp - y.exp;
    let whole = if d >= 0 {
        // cy must divide cx × 10^d: work modulo cy so that a large d stays cheap.
        (cx * BigInt::from(10).modpow(&BigInt::from(d), &cy)) % &cy
    } else {
        cx % (cy * pow10(d.unsigned_abs()))
    };
    Ok(Value::Bool(whole.is_zero()))
}

enum Rounding {
    Floor,
    Ceil,
    Down,
    HalfUp,
    HalfEven,
}

fn round_int(args: &[Value], f: &'static str, mode: Rounding) -> R {
    let a = Args::new(args, f);
    let d = a.dec(0)?;
    if d.exp >= 0 {
        return Ok(int_value(d.trunc()));
    }
    if d.exp < -100_000 {
        // |x| < 1 for any coefficient of sensible size: the integer part is 0 or ±1.
        let s = d.coef.sign();
        let r = match (mode, s) {
            (Rounding::Floor, Sign::Minus) => -1,
            (Rounding::Ceil, Sign::Plus) => 1,
            _ => 0,
        };
        return Ok(int_value(r));
    }
    let p = pow10((-d.exp) as u64);
    let (q, r) = d.coef.div_rem(&p); // truncated toward zero
    if r.is_zero() {
        return Ok(int_value(q));
    }
    let neg = d.coef.is_negative();
    let away = if neg { &q - 1 } else { &q + 1 };
    let twice: BigInt = (&r * 2u32).abs();
    let out = match mode {
        Rounding::Down => q,
        Rounding::Floor => {
            if neg {
                away
            } else {
                q
            }
        }
        Rounding::Ceil => {
            if neg {
                q
            } else {
                away
            }
        }
        Rounding::HalfUp => {
            if twice >= p {
                away
            } else {
                q
            }
        }
        Rounding::HalfEven => match twice.cmp(&p) {
            std::cmp::Ordering::Greater => away,
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Equal => {
                if q.is_even() {
                    q
                } else {
                    away
                }
            }
        },
    };
    Ok(int_value(out))
}

fn pow10_fn(args: &[Value]) -> R {
    let a = Args::new(args, "math.Pow10");
    let n = a.i64(0)?;
    if !(i32::MIN as i64..=i32::MAX as i64).contains(&n) {
        return Err(a.type_err(0, "int32"));
    }
    Ok(dec_value(Dec {
        coef: BigInt::one(),
        exp: n,
    }))
}

fn pow(args: &[Value]) -> R {
    let a = Args::new(args, "math.Pow");
    let (x, y) = (a.dec(0)?, a.dec(1)?);
    dec_pow(&x, &y).map(dec_value).map_err(|m| a.fail(m))
}

fn exp2(args: &[Value]) -> R {
    let a = Args::new(args, "math.Exp2");
    let y = a.dec(0)?;
    dec_pow(
        &Dec {
            coef: BigInt::from(2),
            exp: 0,
        },
        &y,
    )
    .map(dec_value)
    .map_err(|m| a.fail(m))
}

/// Work precision of the transcendental functions, in significant digits.
const WORK: u64 = 90;

/// apd's `Pow`: exact (then rounded to 34 digits) for integer exponents, `exp(y·ln x)` otherwise.
fn dec_pow(x: &Dec, y: &Dec) -> Result<Dec, String> {
    if y.is_zero() {
        return Ok(Dec {
            coef: BigInt::one(),
            exp: 0,
        });
    }
    if let Some(n) = y.to_integer() {
        if x.is_zero() {
            return if n.is_negative() {
                Err("division by zero".into())
            } else {
                Ok(x.clone())
            };
        }
        let e = n
            .abs()
            .to_u64()
            .filter(|e| *e <= 1_000_000_000)
            .ok_or("exponent out of range")?;
        let mut result = Dec {
            coef: BigInt::one(),
            exp: 0,
        };
        let mut base = x.clone();
        let mut e = e;
        let mut inexact = false;
        while e > 0 {
            if e & 1 == 1 {
                result = result.mul(&base);
                inexact |= digits(&result.coef) > WORK;
                result = round_sig(&result, WORK);
            }
            e >>= 1;
            if e > 0 {
                base = base.mul(&base);
                inexact |= digits(&base.coef) > WORK;
                base = round_sig(&base, WORK);
            }
            check_exp(&result)?;
        }
        if n.is_negative() {
            let one = Dec {
                coef: BigInt::one(),
                exp: 0,
            };
            return one.div(&result).ok_or_else(|| "division by zero".into());
        }
        let _ = inexact;
        return Ok(round_sig(&result, PRECISION));
    }
    if x.coef.is_negative() {
        return Err("invalid operation: negative base with fractional exponent".into());
    }
    if x.is_zero() {
        return if y.coef.is_negative() {
            Err("division by zero".into())
        } else {
            Ok(x.clone())
        };
    }
    let l = ln(x)?;
    Ok(round_sig(&exp_work(&mul_work(&l, y))?, PRECISION))
}

fn check_exp(d: &Dec) -> Result<(), String> {
    if d.exp.abs() > 100_000_000 {
        Err("exponent out of range".into())
    } else {
        Ok(())
    }
}

fn digits(i: &BigInt) -> u64 {
    if i.is_zero() {
        1
    } else {
        i.magnitude().to_string().len() as u64
    }
}

fn mul_work(a: &Dec, b: &Dec) -> Dec {
    round_sig(&a.mul(b), WORK)
}

/// a / b to WORK significant digits (truncated, then the caller rounds to 34).
fn div_work(a: &Dec, b: &Dec) -> Dec {
    if a.is_zero() {
        return Dec {
            coef: BigInt::zero(),
            exp: 0,
        };
    }
    let shift = WORK as i64 + 2 + digits(&b.coef) as i64 - digits(&a.coef) as i64;
    let shift = shift.max(0);
    let q = (&a.coef * pow10(shift as u64)) / &b.coef;
    round_sig(
        &Dec {
            coef: q,
            exp: a.exp - b.exp - shift,
        },
        WORK,
    )
}

fn small(n: i64) -> Dec {
    Dec {
        coef: BigInt::from(n),
        exp: 0,
    }
}

/// Natural logarithm to WORK digits; `x` must be positive.
fn ln(x: &Dec) -> Result<Dec, String> {
    if x.coef.sign() != Sign::Plus {
        return Err(if x.is_zero() {
            "invalid float: -Inf".into()
        } else {
            "invalid operation: logarithm of a negative number".into()
        });
    }
    // x = m × 10^p with 1 ≤ m < 10.
    let nd = digits(&x.coef) as i64;
    let p = x.exp + nd - 1;
    let m = Dec {
        coef: x.coef.clone(),
        exp: -(nd - 1),
    };
    let mut out = ln_small(&m);
    if p != 0 {
        out = round_sig(&out.add(&mul_work(&ln_small(&small(10)), &small(p))), WORK);
    }
    Ok(out)
}

/// ln m for 1 ≤ m ≤ 10, by the series 2·atanh((m-1)/(m+1)).
fn ln_small(m: &Dec) -> Dec {
    let one = small(1);
    let z = div_work(&m.sub(&one), &m.add(&one));
    let z2 = mul_work(&z, &z);
    let mut term = z.clone();
    let mut sum = z;
    let limit = Dec {
        coef: BigInt::one(),
        exp: -(WORK as i64) - 5,
    };
    for k in 1..5000i64 {
        term = mul_work(&term, &z2);
        let t = div_work(&term, &small(2 * k + 1));
        if t.coef.abs().is_zero() || abs_cmp(&t, &limit).is_lt() {
            break;
        }
        sum = round_sig(&sum.add(&t), WORK + 5);
    }
    mul_work(&sum, &small(2))
}

fn abs_cmp(a: &Dec, b: &Dec) -> std::cmp::Ordering {
    Dec {
        coef: a.coef.abs(),
        exp: a.exp,
    }
    .cmp(&Dec {
        coef: b.coef.abs(),
        exp: b.exp,
    })
}

/// e^x to WORK digits: reduce by halving until |r| < 1e-3, sum the series, square back.
fn exp_work(x: &Dec) -> Result<Dec, String> {
    if x.is_zero() {
        return Ok(small(1));
    }
    if abs_cmp(x, &small(1_000_000_000)).is_gt() {
        return Err(if x.coef.is_negative() {
            "exponent underflow".into()
        } else {
            "exponent overflow".into()
        });
    }
    let mut r = x.clone();
    let mut k = 0u32;
    let thresh = Dec {
        coef: BigInt::one(),
        exp: -3,
    };
    while abs_cmp(&r, &thresh).is_gt() {
        r = div_work(&r, &small(2));
        k += 1;
    }
    let mut sum = small(1);
    let mut term = small(1);
    let limit = Dec {
        coef: BigInt::one(),
        exp: -(WORK as i64) - 5,
    };
    for n in 1..200i64 {
        term = div_work(&mul_work(&term, &r), &small(n));
        if term.is_zero() || abs_cmp(&term, &limit).is_lt() {
            break;
        }
        sum = round_sig(&sum.add(&term), WORK + 5);
    }
    for _ in 0..k {
        sum = mul_work(&sum, &sum);
        check_exp(&sum)?;
    }
    Ok(sum)
}

fn exp(args: &[Value]) -> R {
    let a = Args::new(args, "math.Exp");
    let x = a.dec(0)?;
    if x.is_zero() {
        return Ok(int_value(1));
    }
    exp_work(&x)
        .map(|d| dec_value(round_sig(&d, PRECISION)))
        .map_err(|m| a.fail(m))
}

fn log(args: &[Value]) -> R {
    let a = Args::new(args, "math.Log");
    let x = a.dec(0)?;
    if x.to_integer().is_some_and(|i| i.is_one()) {
        return Ok(int_value(0));
    }
    ln(&x)
        .map(|d| dec_value(round_sig(&d, PRECISION)))
        .map_err(|m| a.fail(m))
}

fn log10(args: &[Value]) -> R {
    let a = Args::new(args, "math.Log10");
    let x = a.dec(0)?;
    // An exact power of ten has an exact logarithm.
    if x.coef.sign() == Sign::Plus {
        let s = x.coef.to_string();
        if s.trim_end_matches('0') == "1" {
            return Ok(int_value(x.exp + s.len() as i64 - 1));
        }
    }
    let l = ln(&x).map_err(|m| a.fail(m))?;
    Ok(dec_value(round_sig(
        &div_work(&l, &ln_small(&small(10))),
        PRECISION,
    )))
}

/// CUE divides the 34-digit logarithms: `Quo(Ln(x), Ln(2))`.
fn log2(args: &[Value]) -> R {
    let a = Args::new(args, "math.Log2");
    let x = a.dec(0)?;
    if x.to_integer().is_some_and(|i| i.is_one()) {
        return Ok(int_value(0));
    }
    let lx = round_sig(&ln(&x).map_err(|m| a.fail(m))?, PRECISION);
    let l2 = round_sig(&ln_small(&small(2)), PRECISION);
    lx.div(&l2)
        .map(dec_value)
        .ok_or_else(|| a.fail("division by zero"))
}

fn cbrt(args: &[Value]) -> R {
    let a = Args::new(args, "math.Cbrt");
    let x = a.dec(0)?;
    if x.is_zero() {
        return Ok(dec_value(x));
    }
    let neg = x.coef.is_negative();
    let mag = Dec {
        coef: x.coef.abs(),
        exp: x.exp,
    };
    let l = ln(&mag).map_err(|m| a.fail(m))?;
    let mut r = round_sig(
        &exp_work(&div_work(&l, &small(3))).map_err(|m| a.fail(m))?,
        PRECISION,
    );
    // A perfect cube gives an exact root: reduce it.
    let reduced = strip_zeros(&r);
    if reduced.mul(&reduced).mul(&reduced).cmp(&mag).is_eq() {
        r = reduced;
    }
    if neg {
        r = r.neg();
    }
    Ok(dec_value(r))
}

fn strip_zeros(d: &Dec) -> Dec {
    let mut out = d.clone();
    let ten = BigInt::from(10);
    while !out.coef.is_zero() && (&out.coef % &ten).is_zero() {
        out.coef /= &ten;
        out.exp += 1;
    }
    out
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
    fn table() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("Floor", &["3.14159"], "3"),
            ("Floor", &["-2.2"], "-3"),
            ("Floor", &["29e2"], "2900"),
            ("Ceil", &["2.5"], "3"),
            ("Ceil", &["-2.2"], "-2"),
            ("Trunc", &["-2.9"], "-2"),
            ("Round", &["2.5"], "3"),
            ("Round", &["-2.5"], "-3"),
            ("RoundToEven", &["2.5"], "2"),
            ("RoundToEven", &["-2.5"], "-2"),
            ("MultipleOf", &["9801", "99"], "true"),
            ("MultipleOf", &["100.01", "4"], "false"),
            ("MultipleOf", &["5", "2.5"], "true"),
            ("MultipleOf", &["100", "1.00001"], "false"),
            ("MultipleOf", &["100e100", "10"], "true"),
            ("MultipleOf", &["1e90000", "7"], "false"),
            ("MultipleOf", &["7e90000", "7"], "true"),
            ("MultipleOf", &["1", "1e-5"], "true"),
            ("MultipleOf", &["0.5", "1"], "false"),
            ("Floor", &["1e1000000000"], "error: cannot use 1E+1000000000 (type float) as number in argument 1 to math.Floor: exponent out of range"),
            ("MultipleOf", &["5", "0"], "error: division by zero"),
            ("Pow", &["8", "4"], "4096"),
            ("Pow", &["2", "-2"], "0.25"),
            ("Pow10", &["4"], "10000"),
            ("Signbit", &["-4"], "true"),
            ("Abs", &["2.5"], "2.5"),
            ("Abs", &["-2.2"], "2.2"),
            ("Cbrt", &["2"], "1.259921049894873164767210607278228"),
            ("Cbrt", &["8"], "2"),
            ("Copysign", &["5", "-2.2"], "-5"),
            ("Exp", &["3"], "20.08553692318766774092852965458172"),
            ("Exp2", &["3.5"], "11.31370849898476039041350979367758"),
            ("Log", &["4"], "1.386294361119890618834464242916353"),
            ("Log10", &["4"], "0.6020599913279623904274777894489861"),
            ("Log10", &["1000"], "3"),
            ("Log2", &["5"], "2.321928094887362347870319429489391"),
            ("Dim", &["3", "2.5"], "0.5"),
            ("Dim", &["5", "7.2"], "0"),
            ("Sqrt", &["4"], "2"),
            ("Sqrt", &["2"], "1.4142135623730951"),
            ("Sqrt", &["-1"], "error: invalid float: NaN"),
            ("Asin", &["2.0e400"], "error: cannot use 2.0E+400 (type float) as float64 in argument 1 to math.Asin: value was rounded up"),
            ("Jacobi", &["1000", "201"], "1"),
            ("Jacobi", &["1000", "2000"], "error: big: invalid 2nd argument to Int.Jacobi: need odd integer but got 2000"),
        ];
        for (name, args, want) in cases {
            assert_eq!(run("math", name, args), *want, "{name}({args:?})");
        }
    }

    #[test]
    fn constants() {
        assert_eq!(show(&consts("MaxInt64").unwrap()), "9223372036854775807");
        assert!(show(&consts("Pi").unwrap()).starts_with("3.14159265358979323846"));
        assert!(consts("Nope").is_none());
    }
}
