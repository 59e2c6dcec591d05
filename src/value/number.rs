//! Exact numbers: arbitrary-precision ints and decimal floats that keep the exponent they were
//! written with (`1.0` stays `1.0`, `1e2` prints `1E+2`), as CUE's apd decimals do. Invariant: no
//! operation rounds except division and the math builtins, which round to 34 significant digits.

use bigdecimal::BigDecimal;
use num_bigint::{BigInt, Sign};
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;

/// Significant digits kept by inexact operations (CUE's apd context precision).
pub const PRECISION: u64 = 34;

#[derive(Clone, Debug)]
pub enum Num {
    Int(BigInt),
    /// A decimal: coefficient and exponent, value = coefficient × 10^exponent.
    Float(Dec),
}

/// A decimal with an explicit exponent, so that trailing zeros are kept as written.
#[derive(Clone, Debug)]
pub struct Dec {
    pub coef: BigInt,
    pub exp: i64,
}

impl Dec {
    pub fn from_int(i: BigInt) -> Dec {
        Dec { coef: i, exp: 0 }
    }

    fn to_big(&self) -> BigDecimal {
        BigDecimal::new(self.coef.clone(), -self.exp)
    }

    fn from_big(b: BigDecimal) -> Dec {
        let (coef, scale) = b.into_bigint_and_exponent();
        Dec { coef, exp: -scale }
    }

    pub fn is_zero(&self) -> bool {
        self.coef.is_zero()
    }

    fn align(a: &Dec, b: &Dec) -> (BigInt, BigInt, i64) {
        let exp = a.exp.min(b.exp);
        let ca = &a.coef * pow10((a.exp - exp) as u64);
        let cb = &b.coef * pow10((b.exp - exp) as u64);
        (ca, cb, exp)
    }

    pub fn add(&self, o: &Dec) -> Dec {
        let (a, b, exp) = Dec::align(self, o);
        Dec { coef: a + b, exp }
    }

    pub fn sub(&self, o: &Dec) -> Dec {
        let (a, b, exp) = Dec::align(self, o);
        Dec { coef: a - b, exp }
    }

    pub fn mul(&self, o: &Dec) -> Dec {
        Dec {
            coef: &self.coef * &o.coef,
            exp: self.exp + o.exp,
        }
    }

    /// Division as the General Decimal Arithmetic specifies: exact when the quotient has at most
    /// [`PRECISION`] digits, otherwise rounded half-even; then trailing zeros are removed down to
    /// the ideal exponent `exp(a) - exp(b)`.
    pub fn div(&self, o: &Dec) -> Option<Dec> {
        if o.coef.is_zero() {
            return None;
        }
        if self.coef.is_zero() {
            return Some(Dec {
                coef: BigInt::zero(),
                exp: self.exp - o.exp,
            });
        }
        let ideal = self.exp - o.exp;
        // Scale the dividend so the integer quotient has PRECISION + 1 digits at least.
        let da = digits(&self.coef) as i64;
        let db = digits(&o.coef) as i64;
        let shift = (PRECISION as i64 + 1 - (da - db)).max(0);
        let num = &self.coef * pow10(shift as u64);
        let (q, r) = num_integer::Integer::div_rem(&num, &o.coef);
        let mut coef = q;
        let mut exp = self.exp - o.exp - shift;
        let inexact = !r.is_zero();
        // Round to PRECISION digits.
        let nd = digits(&coef) as i64;
        if nd > PRECISION as i64 || inexact {
            let drop = (nd - PRECISION as i64).max(0);
            if drop > 0 {
                let p = pow10(drop as u64);
                let (q2, r2) = num_integer::Integer::div_rem(&coef, &p);
                let half = &p / 2;
                let r2a = r2.abs();
                let mut q2 = q2;
                let round_up = match r2a.cmp(&half) {
                    Ordering::Greater => true,
                    Ordering::Less => false,
                    Ordering::Equal => inexact || q2.is_odd_int(),
                };
                if round_up {
                    if coef.sign() == Sign::Minus {
                        q2 -= 1;
                    } else {
                        q2 += 1;
                    }
                }
                coef = q2;
                exp += drop;
            }
            if inexact {
                return Some(Dec { coef, exp });
            }
        }
        // Exact: strip trailing zeros while above the ideal exponent.
        let ten = BigInt::from(10);
        while exp < ideal && !coef.is_zero() && (&coef % &ten).is_zero() {
            coef /= &ten;
            exp += 1;
        }
        Some(Dec { coef, exp })
    }

    pub fn neg(&self) -> Dec {
        Dec {
            coef: -&self.coef,
            exp: self.exp,
        }
    }

    // Inherent rather than `Ord`: it compares by value across representations (1 and 1.0).
    #[allow(clippy::should_implement_trait)]
    pub fn cmp(&self, o: &Dec) -> Ordering {
        let (a, b, _) = Dec::align(self, o);
        a.cmp(&b)
    }

    pub fn to_f64(&self) -> f64 {
        self.to_big().to_f64().unwrap_or(f64::NAN)
    }

    pub fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        // Shortest round-trip representation.
        let s = format!("{:e}", f);
        parse_decimal(&s)
    }

    /// The integer part if the value is integral.
    pub fn to_integer(&self) -> Option<BigInt> {
        if self.exp >= 0 {
            return Some(&self.coef * pow10(self.exp as u64));
        }
        let p = pow10((-self.exp) as u64);
        let (q, r) = num_integer::Integer::div_rem(&self.coef, &p);
        r.is_zero().then_some(q)
    }

    /// Truncated integer part.
    pub fn trunc(&self) -> BigInt {
        if self.exp >= 0 {
            return &self.coef * pow10(self.exp as u64);
        }
        &self.coef / pow10((-self.exp) as u64)
    }

    pub fn sqrt(&self) -> Option<Dec> {
        Dec::from_f64(self.to_f64().sqrt()).or_else(|| Some(Dec::from_int(BigInt::zero())))
    }

    pub fn round_to(&self, digits_after: i64) -> Dec {
        Dec::from_big(
            self.to_big()
                .with_scale_round(digits_after, bigdecimal::RoundingMode::HalfEven),
        )
    }
}

trait IsOdd {
    fn is_odd_int(&self) -> bool;
}
impl IsOdd for BigInt {
    fn is_odd_int(&self) -> bool {
        !(self % 2u32).is_zero()
    }
}

fn digits(i: &BigInt) -> usize {
    if i.is_zero() {
        1
    } else {
        i.abs().to_str_radix(10).len()
    }
}

pub fn pow10(n: u64) -> BigInt {
    num_traits::pow(BigInt::from(10), n as usize)
}

impl fmt::Display for Dec {
    /// General Decimal Arithmetic to-scientific-string, as apd prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.coef.sign() == Sign::Minus;
        let ds = self.coef.abs().to_str_radix(10);
        let n = ds.len() as i64;
        let adjusted = self.exp + n - 1;
        if neg {
            f.write_str("-")?;
        }
        if self.exp <= 0 && adjusted >= -6 {
            if self.exp == 0 {
                return f.write_str(&ds);
            }
            let point = n + self.exp; // digits before the point
            if point > 0 {
                let (a, b) = ds.split_at(point as usize);
                write!(f, "{a}.{b}")
            } else {
                write!(f, "0.{}{}", "0".repeat((-point) as usize), ds)
            }
        } else {
            let (a, b) = ds.split_at(1);
            if b.is_empty() {
                write!(
                    f,
                    "{a}E{}{}",
                    if adjusted >= 0 { "+" } else { "" },
                    adjusted
                )
            } else {
                write!(
                    f,
                    "{a}.{b}E{}{}",
                    if adjusted >= 0 { "+" } else { "" },
                    adjusted
                )
            }
        }
    }
}

/// Parses a decimal literal without underscores: `1.5`, `.5`, `1e3`, `1.5E-3`.
pub fn parse_decimal(s: &str) -> Option<Dec> {
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant.strip_prefix('+').unwrap_or(mant)),
    };
    let (ip, fp) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    if ip.is_empty() && fp.is_empty() {
        return None;
    }
    let digits = format!("{ip}{fp}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut coef: BigInt = digits.parse().ok()?;
    if neg {
        coef = -coef;
    }
    Some(Dec {
        coef,
        exp: exp - fp.len() as i64,
    })
}

/// Bits of the largest integer magnitude below 10^(MAX_EXPONENT + 1) (log2(10) ≈ 3.3219).
const MAX_INT_BITS: u64 = (crate::limit::MAX_EXPONENT as u64 + 1) * 33_219 / 10_000;

/// Whether a number is within orche's range: its most significant digit's decimal exponent
/// between -`MAX_EXPONENT` and `MAX_EXPONENT` (`crate::limit`), as in CUE's decimal context.
/// Digits are counted from the coefficient's bits, so the bound is exact to within one digit.
pub fn in_range(n: &Num) -> bool {
    let (coef, exp) = match n {
        Num::Int(i) => return i.bits() <= MAX_INT_BITS,
        Num::Float(d) => (&d.coef, d.exp),
    };
    if coef.is_zero() {
        return true;
    }
    let digits = (coef.bits() as f64 * std::f64::consts::LOG10_2) as i64 + 1;
    let adjusted = exp.saturating_add(digits - 1);
    (-crate::limit::MAX_EXPONENT..=crate::limit::MAX_EXPONENT).contains(&adjusted)
}

/// Whether `text` is a well-formed number literal whose value is out of range ([`in_range`]).
pub fn literal_out_of_range(text: &str) -> bool {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let (body, _) = split_multiplier(&t);
    if body.contains(['e', 'E']) && !body.to_ascii_lowercase().starts_with("0x") {
        let Some(i) = body.find(['e', 'E']) else {
            return false;
        };
        let exp = &body[i + 1..];
        let digits = exp.trim_start_matches(['+', '-']);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            // An exponent too large for an i64 is out of range too.
            return match parse_decimal(body) {
                Some(d) => !in_range(&Num::Float(d)),
                None => true,
            };
        }
    }
    parse_literal(text).is_some_and(|n| !in_range(&n))
}

/// Parses an int or float literal as written in source (underscores, `0x`, `0o`, `0b`, and
/// multipliers `K M G T P` and `Ki Mi Gi Ti Pi`).
pub fn parse_literal(text: &str) -> Option<Num> {
    // Most literals are short decimal integers (`8080`, `3`): read them without the copies
    // and the arbitrary-precision parse below. 18 digits always fit a u64.
    if !text.is_empty() && text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit()) {
        let v = text.bytes().fold(0u64, |v, b| v * 10 + u64::from(b - b'0'));
        return Some(Num::Int(BigInt::from(v)));
    }
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let (body, mult) = split_multiplier(&t);
    if let Some(m) = mult {
        let d = parse_decimal(body)?;
        // `1e999999999K` must not build a billion-digit integer: it stays a float, out of
        // range, for the caller to refuse.
        if !in_range(&Num::Float(d.clone())) {
            return Some(Num::Float(d));
        }
        let v = d.mul(&Dec::from_int(m));
        return v.to_integer().map(Num::Int);
    }
    let lower = body.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return BigInt::parse_bytes(rest.as_bytes(), radix).map(Num::Int);
        }
    }
    if body.contains(['.', 'e', 'E']) {
        return parse_decimal(body).map(Num::Float);
    }
    // CUE allows legacy octal `0777`? It does not; a leading zero is just decimal here.
    body.parse::<BigInt>().ok().map(Num::Int)
}

fn split_multiplier(t: &str) -> (&str, Option<BigInt>) {
    let table: [(&str, u32, u32); 10] = [
        ("Ki", 1024, 1),
        ("Mi", 1024, 2),
        ("Gi", 1024, 3),
        ("Ti", 1024, 4),
        ("Pi", 1024, 5),
        ("K", 1000, 1),
        ("M", 1000, 2),
        ("G", 1000, 3),
        ("T", 1000, 4),
        ("P", 1000, 5),
    ];
    if t.starts_with("0x") || t.starts_with("0X") {
        return (t, None);
    }
    for (suf, base, p) in table {
        if let Some(b) = t.strip_suffix(suf) {
            if !b.is_empty() {
                return (b, Some(num_traits::pow(BigInt::from(base), p as usize)));
            }
        }
    }
    (t, None)
}

impl Num {
    pub fn is_int(&self) -> bool {
        matches!(self, Num::Int(_))
    }

    pub fn to_dec(&self) -> Dec {
        match self {
            Num::Int(i) => Dec::from_int(i.clone()),
            Num::Float(d) => d.clone(),
        }
    }

    pub fn from_i64(i: i64) -> Num {
        Num::Int(BigInt::from(i))
    }

    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Num::Int(i) => i.to_i64(),
            Num::Float(d) => d.to_integer().and_then(|i| i.to_i64()),
        }
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Num::Int(i) => i.to_f64().unwrap_or(f64::NAN),
            Num::Float(d) => d.to_f64(),
        }
    }

    pub fn is_zero(&self) -> bool {
        match self {
            Num::Int(i) => i.is_zero(),
            Num::Float(d) => d.is_zero(),
        }
    }

    // Inherent rather than `Ord`: it compares by value across representations (1 and 1.0).
    #[allow(clippy::should_implement_trait)]
    pub fn cmp(&self, o: &Num) -> Ordering {
        match (self, o) {
            (Num::Int(a), Num::Int(b)) => a.cmp(b),
            _ => self.to_dec().cmp(&o.to_dec()),
        }
    }

    pub fn add(&self, o: &Num) -> Num {
        match (self, o) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a + b),
            _ => Num::Float(self.to_dec().add(&o.to_dec())),
        }
    }

    pub fn sub(&self, o: &Num) -> Num {
        match (self, o) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a - b),
            _ => Num::Float(self.to_dec().sub(&o.to_dec())),
        }
    }

    pub fn mul(&self, o: &Num) -> Num {
        match (self, o) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a * b),
            _ => Num::Float(self.to_dec().mul(&o.to_dec())),
        }
    }

    /// `/`: always a float; `None` on division by zero.
    pub fn div(&self, o: &Num) -> Option<Num> {
        self.to_dec().div(&o.to_dec()).map(Num::Float)
    }

    pub fn neg(&self) -> Num {
        match self {
            Num::Int(i) => Num::Int(-i),
            Num::Float(d) => Num::Float(d.neg()),
        }
    }

    pub fn one() -> Num {
        Num::Int(BigInt::one())
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(d) => write!(f, "{d}"),
        }
    }
}

impl PartialEq for Num {
    fn eq(&self, o: &Num) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str) -> String {
        parse_literal(s).unwrap().to_string()
    }

    #[test]
    fn literals_keep_their_form() {
        assert_eq!(show("1.0"), "1.0");
        assert_eq!(show("2.00"), "2.00");
        assert_eq!(show("1e2"), "1E+2");
        assert_eq!(show("1_000"), "1000");
        assert_eq!(show("0x10"), "16");
        assert_eq!(show("1Ki"), "1024");
        assert_eq!(show("1.5K"), "1500");
        assert_eq!(show(".5"), "0.5");
        assert_eq!(show("1.5e-3"), "0.0015");
        assert_eq!(show("1e-7"), "1E-7");
    }

    #[test]
    fn division_follows_gda() {
        let d = |a: &str, b: &str| {
            parse_literal(a)
                .unwrap()
                .div(&parse_literal(b).unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(d("1", "4"), "0.25");
        assert_eq!(d("4", "2"), "2");
        assert_eq!(d("1.0", "1.0"), "1");
        assert_eq!(d("1", "3"), "0.3333333333333333333333333333333333");
        assert_eq!(d("2", "3"), "0.6666666666666666666666666666666667");
    }
}
