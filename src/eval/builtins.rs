//! Builtin packages (`strings`, `list`, `math`, `regexp`, `encoding/json`, …): static tables of
//! native functions and constants over concrete [`Value`]s, looked up by import path and CUE's
//! exported member name. Invariant: no builtin panics or allocates without bound on any input;
//! every failure is a [`BuiltinError`] in CUE's wording.
//!
//! Message conventions, so the evaluator only adds context and spans:
//! - a failure inside the function is the bare detail (`division by zero`); CUE prints it as
//!   `error in call to math.MultipleOf: division by zero` for a call and as
//!   `invalid value 5 (does not satisfy math.MultipleOf(0)): division by zero` for a validator;
//! - a bad argument is already complete (`cannot use 1 (type int) as string in argument 1 to
//!   strings.ToUpper`), as are wrong argument counts: [`call_error_message`] tells them apart;
//! - a validator that simply does not hold returns `Ok(Value::Bool(false))`.
//!
//! Members that need the evaluator (a comparator or a constraint: `list.Sort`,
//! `list.SortStable`, `list.IsSorted`, `list.MatchN`) are listed so that lookup and arity work,
//! but their `func` returns an error; the evaluator intercepts them (see [`needs_evaluator`]) and
//! sorts with [`sort_values`].

mod base64;
mod bits;
mod crypto;
mod csv;
pub mod graph;
mod hex;
mod host;
mod json;
mod list;
mod math;
mod net;
pub(crate) mod path;
mod regexp;
mod strconv;
mod strings;
mod structs;
mod tabwriter;
mod template;
pub(crate) mod time;
mod uuid;
mod yaml;

use crate::value::{Dec, Num, Value};
use indexmap::IndexMap;
use num_bigint::BigInt;
use num_traits::{ToPrimitive, Zero};

pub use net::cidr_contains;

/// Why a builtin call did not produce a value.
#[derive(Clone, Debug, PartialEq)]
pub enum BuiltinError {
    /// A real error (bad argument, failed conversion) with its full message.
    Msg(String),
    /// The argument is not concrete enough yet (incomplete).
    Incomplete(String),
}

pub type Func = fn(&[Value]) -> Result<Value, BuiltinError>;

/// One native function of a package.
#[derive(Debug)]
pub struct Builtin {
    /// The import path, e.g. `encoding/json`.
    pub pkg: &'static str,
    pub name: &'static str,
    /// Number of parameters (args are checked by the caller).
    pub params: usize,
    pub variadic: bool,
    pub func: Func,
    /// True when the result is a bool, so the builtin may be used as a validator
    /// (`strings.MinRunes(3)`), as CUE allows for every bool-valued builtin.
    pub validator: bool,
}

impl Builtin {
    /// The name as CUE prints it in messages: `json.Marshal` for `encoding/json`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", short_pkg(self.pkg), self.name)
    }
}

/// A package member: a function or a constant (`math.Pi`, `math.MaxInt64`, …).
#[derive(Clone, Debug)]
pub enum Member {
    Func(&'static Builtin),
    Const(Value),
}

struct Package {
    path: &'static str,
    /// The tables of the package's functions (a package may span several files).
    funcs: &'static [&'static [Builtin]],
    consts: fn(&str) -> Option<Value>,
}

fn no_consts(_: &str) -> Option<Value> {
    None
}

static PACKAGES: &[Package] = &[
    Package {
        path: "crypto/md5",
        funcs: &[crypto::MD5],
        consts: crypto::md5_consts,
    },
    Package {
        path: "crypto/sha1",
        funcs: &[crypto::SHA1],
        consts: crypto::sha1_consts,
    },
    Package {
        path: "crypto/sha256",
        funcs: &[crypto::SHA256],
        consts: crypto::sha256_consts,
    },
    Package {
        path: "crypto/sha512",
        funcs: &[crypto::SHA512],
        consts: crypto::sha512_consts,
    },
    Package {
        path: "encoding/base64",
        funcs: &[base64::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "encoding/csv",
        funcs: &[csv::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "encoding/hex",
        funcs: &[hex::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "encoding/json",
        funcs: &[json::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "encoding/yaml",
        funcs: &[yaml::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "list",
        funcs: &[list::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "math",
        funcs: &[math::FUNCS],
        consts: math::consts,
    },
    Package {
        path: "math/bits",
        funcs: &[bits::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "net",
        funcs: &[net::FUNCS, host::FUNCS],
        consts: net::consts,
    },
    Package {
        path: "orche/graph",
        funcs: &[graph::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "path",
        funcs: &[path::FUNCS],
        consts: path::consts,
    },
    Package {
        path: "regexp",
        funcs: &[regexp::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "strconv",
        funcs: &[strconv::FUNCS],
        consts: strconv::consts,
    },
    Package {
        path: "strings",
        funcs: &[strings::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "struct",
        funcs: &[structs::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "text/tabwriter",
        funcs: &[tabwriter::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "text/template",
        funcs: &[template::FUNCS],
        consts: no_consts,
    },
    Package {
        path: "time",
        funcs: &[time::FUNCS],
        consts: time::consts,
    },
    Package {
        path: "uuid",
        funcs: &[uuid::FUNCS],
        consts: uuid::consts,
    },
];

fn package(path: &str) -> Option<&'static Package> {
    PACKAGES.iter().find(|p| p.path == path)
}

/// Looks up a member of a builtin package by import path and exported name.
pub fn lookup(pkg: &str, name: &str) -> Option<Member> {
    let p = package(pkg)?;
    if let Some(b) = p
        .funcs
        .iter()
        .flat_map(|t| t.iter())
        .find(|b| b.name == name)
    {
        return Some(Member::Func(b));
    }
    (p.consts)(name).map(Member::Const)
}

/// Whether `pkg` is the import path of a builtin package.
pub fn package_exists(pkg: &str) -> bool {
    package(pkg).is_some()
}

/// The import paths of all builtin packages, sorted.
pub fn packages() -> impl Iterator<Item = &'static str> {
    PACKAGES.iter().map(|p| p.path)
}

/// Builtins whose arguments are a comparator or a constraint rather than data: the evaluator
/// must implement them itself (with [`sort_values`] for the sorting ones).
pub fn needs_evaluator(b: &Builtin) -> bool {
    b.pkg == "list" && matches!(b.name, "Sort" | "SortStable" | "IsSorted" | "MatchN")
}

/// Calls a builtin after checking the argument count, with CUE's messages for a wrong count.
pub fn call(b: &Builtin, args: &[Value]) -> Result<Value, BuiltinError> {
    let n = args.len();
    if n > b.params && !b.variadic {
        return Err(msg(format!(
            "too many arguments in call to {} (have {n}, want {})",
            b.qualified_name(),
            b.params
        )));
    }
    if n < b.params {
        return Err(msg(format!(
            "not enough arguments in call to {} (have {n}, want {})",
            b.qualified_name(),
            b.params
        )));
    }
    (b.func)(args)
}

/// The message CUE prints for a failed call: `error in call to path/pkg.Name: <detail>` (the
/// full import path, as `cue` prints it), except for argument errors and messages that already
/// carry the prefix (validators' own errors), which are complete as they are.
pub fn call_error_message(b: &Builtin, message: &str) -> String {
    if is_argument_error(message) || message.starts_with("error in call to ") {
        message.to_string()
    } else {
        format!("error in call to {}.{}: {message}", b.pkg, b.name)
    }
}

/// Whether a builtin's message is about its arguments (kind or count) rather than its work.
pub fn is_argument_error(message: &str) -> bool {
    [
        "cannot use ",
        "too many arguments",
        "not enough arguments",
        "invalid type element",
        "invalid element ",
    ]
    .iter()
    .any(|p| message.starts_with(p))
}

/// Sorts `items` with the evaluator's `less` (CUE's `list.Sort` comparator), propagating its
/// first error. Both modes use a stable merge sort: for a strict weak order the unstable
/// mode's result differs from Go's only in the order of equal elements.
pub fn sort_values(
    items: Vec<Value>,
    less: &mut dyn FnMut(&Value, &Value) -> Result<bool, BuiltinError>,
    stable: bool,
) -> Result<Vec<Value>, BuiltinError> {
    let _ = stable;
    merge_sort(items, less)
}

fn merge_sort(
    mut items: Vec<Value>,
    less: &mut dyn FnMut(&Value, &Value) -> Result<bool, BuiltinError>,
) -> Result<Vec<Value>, BuiltinError> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items, less)?;
    let right = merge_sort(right, less)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    loop {
        match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => {
                // Take from the right only when strictly less: this keeps the sort stable.
                if less(b, a)? {
                    out.extend(r.next());
                } else {
                    out.extend(l.next());
                }
            }
            (Some(_), None) => out.extend(l.next()),
            (None, Some(_)) => out.extend(r.next()),
            (None, None) => break,
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the package modules.

/// Largest list or string (in elements or bytes) a builtin builds, so that `strings.Repeat`,
/// `list.Repeat` and `list.Range` cannot exhaust memory.
pub(crate) const MAX_ELEMS: usize = 10_000_000;

/// Largest decimal exponent a numeric builtin accepts: exact arithmetic aligns exponents by
/// multiplying coefficients by powers of ten, so `1e1000000000` would not fit in memory.
pub(crate) const MAX_EXP: u64 = 100_000;

pub(crate) fn msg(s: impl Into<String>) -> BuiltinError {
    BuiltinError::Msg(s.into())
}

/// The last element of an import path: `json` for `encoding/json`.
pub(crate) fn short_pkg(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Argument access for one builtin: typed getters that fail with CUE's messages.
pub(crate) struct Args<'a> {
    args: &'a [Value],
    /// The qualified name for messages, e.g. `strings.Join`.
    fname: &'static str,
}

impl<'a> Args<'a> {
    pub(crate) fn new(args: &'a [Value], fname: &'static str) -> Args<'a> {
        Args { args, fname }
    }

    pub(crate) fn get(&self, i: usize) -> Result<&'a Value, BuiltinError> {
        self.args.get(i).ok_or_else(|| {
            msg(format!(
                "not enough arguments in call to {} (have {}, want {})",
                self.fname,
                self.args.len(),
                i + 1
            ))
        })
    }

    /// `cannot use 1 (type int) as string in argument 1 to strings.ToUpper`.
    pub(crate) fn type_err(&self, i: usize, expected: &str) -> BuiltinError {
        if super::unify::quiet() {
            // A failed alternative of a disjunction: the message would be dropped unread.
            return msg(String::new());
        }
        match self.args.get(i) {
            Some(v) => msg(format!(
                "cannot use {} (type {}) as {expected} in argument {} to {}",
                show(v),
                v.kind_name(),
                i + 1,
                self.fname
            )),
            None => msg(format!("not enough arguments in call to {}", self.fname)),
        }
    }

    /// A failure inside the function: the bare detail (`negative count`); see the module doc.
    pub(crate) fn fail(&self, detail: impl std::fmt::Display) -> BuiltinError {
        msg(detail.to_string())
    }

    pub(crate) fn str(&self, i: usize) -> Result<&'a str, BuiltinError> {
        match self.get(i)? {
            Value::Str(s) => Ok(s),
            _ => Err(self.type_err(i, "string")),
        }
    }

    /// Bytes, or a string as its UTF-8 bytes (CUE's `bytes | string` parameters).
    pub(crate) fn bytes(&self, i: usize) -> Result<&'a [u8], BuiltinError> {
        match self.get(i)? {
            Value::Bytes(b) => Ok(b),
            Value::Str(s) => Ok(s.as_bytes()),
            _ => Err(self.type_err(i, "bytes")),
        }
    }

    pub(crate) fn bool(&self, i: usize) -> Result<bool, BuiltinError> {
        match self.get(i)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.type_err(i, "bool")),
        }
    }

    pub(crate) fn bigint(&self, i: usize) -> Result<&'a BigInt, BuiltinError> {
        match self.get(i)? {
            Value::Num(Num::Int(n)) => Ok(n),
            _ => Err(self.type_err(i, "int")),
        }
    }

    /// An int that fits Go's 64-bit `int`.
    pub(crate) fn i64(&self, i: usize) -> Result<i64, BuiltinError> {
        let n = self.bigint(i)?;
        n.to_i64().ok_or_else(|| {
            msg(format!(
                "cannot use {n} (type int) as int in argument {} to {}: value out of range",
                i + 1,
                self.fname
            ))
        })
    }

    pub(crate) fn u64(&self, i: usize) -> Result<u64, BuiltinError> {
        let n = self.bigint(i)?;
        n.to_u64().ok_or_else(|| {
            msg(format!(
                "cannot use {n} (type int) as uint64 in argument {} to {}: value out of range",
                i + 1,
                self.fname
            ))
        })
    }

    /// Any number, as an exact decimal with a bounded exponent (see [`MAX_EXP`]).
    pub(crate) fn dec(&self, i: usize) -> Result<Dec, BuiltinError> {
        match self.get(i)? {
            Value::Num(n) => {
                let d = n.to_dec();
                if d.exp.unsigned_abs() > MAX_EXP {
                    return Err(msg(format!(
                        "cannot use {n} (type {}) as number in argument {} to {}: exponent out of range",
                        self.get(i)?.kind_name(),
                        i + 1,
                        self.fname
                    )));
                }
                Ok(d)
            }
            _ => Err(self.type_err(i, "number")),
        }
    }

    pub(crate) fn num(&self, i: usize) -> Result<&'a Num, BuiltinError> {
        match self.get(i)? {
            Value::Num(n) => Ok(n),
            _ => Err(self.type_err(i, "number")),
        }
    }

    /// A number as a Go float64; values beyond its range are an error, as in CUE.
    pub(crate) fn f64(&self, i: usize) -> Result<f64, BuiltinError> {
        let n = self.num(i)?;
        let f = n.to_f64();
        if f.is_finite() {
            Ok(f)
        } else {
            let dir = if n.cmp(&Num::from_i64(0)).is_lt() {
                "down"
            } else {
                "up"
            };
            Err(msg(format!(
                "cannot use {n} (type {}) as float64 in argument {} to {}: value was rounded {dir}",
                self.get(i)?.kind_name(),
                i + 1,
                self.fname
            )))
        }
    }

    pub(crate) fn list(&self, i: usize) -> Result<&'a [Value], BuiltinError> {
        match self.get(i)? {
            Value::List(l) => Ok(l),
            _ => Err(self.type_err(i, "list")),
        }
    }

    pub(crate) fn strct(&self, i: usize) -> Result<&'a IndexMap<String, Value>, BuiltinError> {
        match self.get(i)? {
            Value::Struct(s) => Ok(s),
            _ => Err(self.type_err(i, "struct")),
        }
    }

    /// A list whose elements are all strings.
    pub(crate) fn str_list(&self, i: usize) -> Result<Vec<&'a str>, BuiltinError> {
        let l = self.list(i)?;
        l.iter()
            .enumerate()
            .map(|(j, v)| match v {
                Value::Str(s) => Ok(s.as_str()),
                _ => Err(msg(format!(
                    "invalid type element {j} ({}) of string list argument {i}",
                    v.kind_name()
                ))),
            })
            .collect()
    }

    /// A list whose elements are all numbers, as decimals.
    pub(crate) fn dec_list(&self, i: usize) -> Result<Vec<Dec>, BuiltinError> {
        let l = self.list(i)?;
        l.iter()
            .enumerate()
            .map(|(j, v)| match v {
                Value::Num(n) if n.to_dec().exp.unsigned_abs() <= MAX_EXP => Ok(n.to_dec()),
                Value::Num(n) => Err(msg(format!(
                    "invalid element {j} ({n}) of number list argument {i}: exponent out of range"
                ))),
                _ => Err(msg(format!(
                    "invalid type element {j} ({}) of number list argument {i}",
                    v.kind_name()
                ))),
            })
            .collect()
    }
}

/// A value in CUE syntax, for messages: `"a"`, `'b'`, `[1, 2]`, `{a: 1}`.
pub fn show(v: &Value) -> String {
    let mut out = String::new();
    show_into(v, &mut out);
    out
}

fn show_into(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(n) => out.push_str(&n.to_string()),
        Value::Str(s) => out.push_str(&strconv::go_quote(s, false)),
        Value::Bytes(b) => out.push_str(&quote_bytes(b)),
        Value::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                show_into(x, out);
            }
            out.push(']');
        }
        Value::Struct(fields) => {
            out.push('{');
            for (i, (k, x)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if is_identifier(k) {
                    out.push_str(k);
                } else {
                    out.push_str(&strconv::go_quote(k, false));
                }
                out.push_str(": ");
                show_into(x, out);
            }
            out.push('}');
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$')
        && cs.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !s.starts_with("__")
}

/// A bytes literal: `'a\x00'`.
fn quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("'");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('\'');
    out
}

/// A decimal result of an exact-arithmetic builtin. CUE marks an integral result as an int;
/// here a result is an int when its exponent is not negative, so that `2.0` keeps printing as
/// written (CUE prints the digits of the decimal either way).
pub(crate) fn dec_value(d: Dec) -> Value {
    if d.exp >= 0 && d.exp.unsigned_abs() <= MAX_EXP {
        if let Some(i) = d.to_integer() {
            return Value::Num(Num::Int(i));
        }
    }
    Value::Num(Num::Float(d))
}

pub(crate) fn int_value(i: impl Into<BigInt>) -> Value {
    Value::Num(Num::Int(i.into()))
}

/// A Go `float64` result, converted as CUE does (`fmt.Sprintf("%g", f)` read back as a decimal):
/// the shortest digits, with an exponent form below 1e-4 and from 1e6 up.
pub(crate) fn float_value(f: f64) -> Result<Value, BuiltinError> {
    go_float_dec(f)
        .map(|d| Value::Num(Num::Float(d)))
        .ok_or_else(|| {
            msg(format!(
                "invalid float: {}",
                if f.is_nan() {
                    "NaN"
                } else if f > 0.0 {
                    "+Inf"
                } else {
                    "-Inf"
                }
            ))
        })
}

/// The decimal that Go's `%g` prints for `f`; `None` for NaN and infinities.
pub(crate) fn go_float_dec(f: f64) -> Option<Dec> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some(Dec {
            coef: BigInt::zero(),
            exp: 0,
        });
    }
    let (neg, digits, x) = shortest_digits(f);
    let nd = digits.len() as i64;
    let mut coef: BigInt = digits.parse().ok()?;
    if neg {
        coef = -coef;
    }
    let e = x - (nd - 1); // value = digits × 10^e
    if !(-4..6).contains(&x) {
        return Some(Dec { coef, exp: e });
    }
    if e >= 0 {
        Some(Dec {
            coef: coef * crate::value::number::pow10(e as u64),
            exp: 0,
        })
    } else {
        Some(Dec { coef, exp: e })
    }
}

/// Shortest round-trip digits of a finite non-zero float: (negative, digits, decimal exponent
/// of the first digit).
pub(crate) fn shortest_digits(f: f64) -> (bool, String, i64) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (f < 0.0, digits.to_string(), exp.parse().unwrap_or(0))
}

/// Round a decimal to `prec` significant digits, half-even (apd's default context).
pub(crate) fn round_sig(d: &Dec, prec: u64) -> Dec {
    let s = d.coef.magnitude().to_string();
    let nd = s.len() as u64;
    if nd <= prec {
        return d.clone();
    }
    let drop = nd - prec;
    let p = crate::value::number::pow10(drop);
    let (q, r) = num_integer::Integer::div_rem(&d.coef, &p);
    let twice = (&r * 2u32).magnitude().clone();
    let pm = p.magnitude().clone();
    let mut q = q;
    let odd = (&q % 2u32) != BigInt::zero();
    if twice > pm || (twice == pm && odd) {
        if d.coef < BigInt::zero() {
            q -= 1;
        } else {
            q += 1;
        }
    }
    // Rounding up may add a digit (999 → 1000): drop it again.
    let mut out = Dec {
        coef: q,
        exp: d.exp + drop as i64,
    };
    if out.coef.magnitude().to_string().len() as u64 > prec {
        out = Dec {
            coef: &out.coef / 10,
            exp: out.exp + 1,
        };
    }
    out
}

/// Shorthand for static tables.
macro_rules! builtin {
    ($pkg:expr, $name:expr, $params:expr, $func:expr) => {
        $crate::eval::builtins::Builtin {
            pkg: $pkg,
            name: $name,
            params: $params,
            variadic: false,
            func: $func,
            validator: false,
        }
    };
    ($pkg:expr, $name:expr, $params:expr, $func:expr, validator) => {
        $crate::eval::builtins::Builtin {
            pkg: $pkg,
            name: $name,
            params: $params,
            variadic: false,
            func: $func,
            validator: true,
        }
    };
}
pub(crate) use builtin;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_functions_and_constants() {
        assert!(matches!(
            lookup("strings", "ToUpper"),
            Some(Member::Func(_))
        ));
        assert!(matches!(lookup("math", "Pi"), Some(Member::Const(_))));
        assert!(lookup("strings", "NoSuch").is_none());
        assert!(package_exists("encoding/json"));
        assert!(!package_exists("json"));
    }

    #[test]
    fn every_table_entry_names_its_package() {
        for p in PACKAGES {
            for b in p.funcs.iter().flat_map(|t| t.iter()) {
                assert_eq!(b.pkg, p.path, "{}", b.name);
            }
        }
    }

    #[test]
    fn go_floats_convert_like_percent_g() {
        let s = |f: f64| go_float_dec(f).unwrap().to_string();
        assert_eq!(s(2.0), "2");
        assert_eq!(s(2.5), "2.5");
        assert_eq!(s(1e6), "1E+6");
        assert_eq!(s(123456.0), "123456");
        assert_eq!(s(0.0001), "0.0001");
        assert_eq!(s(0.00001), "0.00001");
        assert_eq!(s(1.5e-5), "0.000015");
        assert!(go_float_dec(f64::NAN).is_none());
    }

    #[test]
    fn sort_values_is_stable_and_propagates_errors() {
        let items: Vec<Value> = [3, 1, 2, 1].iter().map(|i| Value::int(*i)).collect();
        let mut less = |a: &Value, b: &Value| match (a, b) {
            (Value::Num(x), Value::Num(y)) => Ok(x.cmp(y).is_lt()),
            _ => Err(msg("bad")),
        };
        let out = sort_values(items, &mut less, true).unwrap();
        assert_eq!(
            out,
            [1, 1, 2, 3]
                .iter()
                .map(|i| Value::int(*i))
                .collect::<Vec<_>>()
        );
        let bad = vec![Value::int(1), Value::Null];
        assert!(sort_values(bad, &mut less, false).is_err());
    }

    #[test]
    fn call_checks_arity() {
        let Some(Member::Func(b)) = lookup("math", "Floor") else {
            panic!()
        };
        let e = call(b, &[Value::int(3), Value::int(5)]).unwrap_err();
        assert_eq!(
            e,
            msg("too many arguments in call to math.Floor (have 2, want 1)")
        );
    }

    #[test]
    fn call_errors_are_prefixed_unless_about_arguments() {
        let Some(Member::Func(b)) = lookup("math", "MultipleOf") else {
            panic!()
        };
        assert_eq!(
            call_error_message(b, "division by zero"),
            "error in call to math.MultipleOf: division by zero"
        );
        let e = call(b, &[Value::Null, Value::int(1)]).unwrap_err();
        let BuiltinError::Msg(m) = e else { panic!() };
        assert_eq!(
            call_error_message(b, &m),
            "cannot use null (type null) as number in argument 1 to math.MultipleOf"
        );
    }

    #[test]
    fn round_sig_rounds_half_even() {
        let d = Dec {
            coef: BigInt::from(12345),
            exp: 0,
        };
        assert_eq!(round_sig(&d, 4).to_string(), "1.234E+4");
        let d = Dec {
            coef: BigInt::from(9999),
            exp: 0,
        };
        assert_eq!(round_sig(&d, 2).to_string(), "1.0E+4");
    }
}
