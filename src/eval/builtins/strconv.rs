//! The `strconv` package: Go's number parsing and formatting and Go-syntax quoting. Invariant:
//! parse errors read like Go's (`strconv.Atoi: parsing "x": invalid syntax`), and quoting
//! produces a Go string literal that `Unquote` reads back.

use super::{builtin, float_value, int_value, Args, Builtin, BuiltinError};
use crate::value::Value;
use num_bigint::BigInt;

type R = Result<Value, BuiltinError>;

const P: &str = "strconv";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Atoi", 1, atoi),
    builtin!(P, "FormatBool", 1, format_bool),
    builtin!(P, "FormatFloat", 4, format_float),
    builtin!(P, "FormatInt", 2, format_int),
    builtin!(P, "FormatUint", 2, format_uint),
    builtin!(
        P,
        "IsGraphic",
        1,
        |a| rune_pred(a, "strconv.IsGraphic", is_graphic),
        validator
    ),
    builtin!(
        P,
        "IsPrint",
        1,
        |a| rune_pred(a, "strconv.IsPrint", is_print),
        validator
    ),
    builtin!(P, "ParseBool", 1, parse_bool),
    builtin!(P, "ParseFloat", 2, parse_float),
    builtin!(P, "ParseInt", 3, parse_int),
    builtin!(P, "ParseUint", 3, parse_uint),
    builtin!(P, "Quote", 1, |a| quote_fn(a, "strconv.Quote", false)),
    builtin!(P, "QuoteRune", 1, |a| quote_rune(
        a,
        "strconv.QuoteRune",
        false
    )),
    builtin!(P, "QuoteRuneToASCII", 1, |a| quote_rune(
        a,
        "strconv.QuoteRuneToASCII",
        true
    )),
    builtin!(P, "QuoteRuneToGraphic", 1, |a| quote_rune(
        a,
        "strconv.QuoteRuneToGraphic",
        false
    )),
    builtin!(P, "QuoteToASCII", 1, |a| quote_fn(
        a,
        "strconv.QuoteToASCII",
        true
    )),
    builtin!(P, "QuoteToGraphic", 1, |a| quote_fn(
        a,
        "strconv.QuoteToGraphic",
        false
    )),
    builtin!(P, "Unquote", 1, unquote),
];

pub(super) fn consts(name: &str) -> Option<Value> {
    (name == "IntSize").then(|| Value::int(64))
}

fn syntax_err(f: &str, s: &str) -> String {
    format!(
        "strconv.{f}: parsing {}: invalid syntax",
        go_quote(s, false)
    )
}

fn range_err(f: &str, s: &str) -> String {
    format!(
        "strconv.{f}: parsing {}: value out of range",
        go_quote(s, false)
    )
}

/// Go's `ParseUint` core: base 0 reads a `0x`/`0o`/`0b`/`0` prefix and allows underscores.
fn parse_digits(f: &str, s0: &str, s: &str, base: i64) -> Result<BigInt, String> {
    let mut base = base;
    let mut body = s;
    let mut underscores = false;
    if base == 0 {
        base = 10;
        underscores = true;
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("0x") {
            base = 16;
            body = &s[2..];
        } else if lower.starts_with("0o") {
            base = 8;
            body = &s[2..];
        } else if lower.starts_with("0b") {
            base = 2;
            body = &s[2..];
        } else if s.starts_with('0') && s.len() > 1 {
            base = 8;
            body = &s[1..];
        }
    } else if !(2..=36).contains(&base) {
        return Err(format!(
            "strconv.{f}: parsing {}: invalid base {base}",
            go_quote(s0, false)
        ));
    }
    if underscores && !underscore_ok(s) {
        return Err(syntax_err(f, s0));
    }
    let digits: String = body
        .chars()
        .filter(|c| !(underscores && *c == '_'))
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base as u32)) {
        return Err(syntax_err(f, s0));
    }
    BigInt::parse_bytes(digits.as_bytes(), base as u32).ok_or_else(|| syntax_err(f, s0))
}

/// Go's rule: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    if !s.contains('_') {
        return true;
    }
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = s.to_ascii_lowercase();
    let hex = lower.starts_with("0x");
    let mut prev = '^';
    let mut saw_prefix = false;
    let body = if lower.len() >= 2 && lower.starts_with('0') && "xob".contains(&lower[1..2]) {
        saw_prefix = true;
        &lower[2..]
    } else {
        &lower[..]
    };
    if saw_prefix {
        prev = '0';
    }
    for c in body.chars() {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            prev = '0';
        } else if c == '_' {
            if prev != '0' {
                return false;
            }
            prev = '_';
        } else {
            prev = '!';
        }
    }
    prev != '_'
}

fn bit_size(a: &Args, i: usize, f: &str, s: &str) -> Result<u32, BuiltinError> {
    match a.i64(i)? {
        0 => Ok(64),
        n @ 1..=64 => Ok(n as u32),
        n => Err(a.fail(format!(
            "strconv.{f}: parsing {}: invalid bit size {n}",
            go_quote(s, false)
        ))),
    }
}

fn parse_int(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.ParseInt");
    let s = a.str(0)?;
    let base = a.i64(1)?;
    let bits = bit_size(&a, 2, "ParseInt", s)?;
    go_parse_int("ParseInt", s, base, bits)
        .map(int_value)
        .map_err(|m| a.fail(m))
}

fn go_parse_int(f: &str, s: &str, base: i64, bits: u32) -> Result<BigInt, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut n = parse_digits(f, s, body, base)?;
    if neg {
        n = -n;
    }
    let max = (BigInt::from(1) << (bits - 1)) - 1;
    let min = -(BigInt::from(1) << (bits - 1));
    if n > max || n < min {
        return Err(range_err(f, s));
    }
    Ok(n)
}

fn parse_uint(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.ParseUint");
    let s = a.str(0)?;
    let base = a.i64(1)?;
    let bits = bit_size(&a, 2, "ParseUint", s)?;
    if s.starts_with(['+', '-']) {
        return Err(a.fail(syntax_err("ParseUint", s)));
    }
    let n = parse_digits("ParseUint", s, s, base).map_err(|m| a.fail(m))?;
    if n > (BigInt::from(1) << bits) - 1 {
        return Err(a.fail(range_err("ParseUint", s)));
    }
    Ok(int_value(n))
}

fn atoi(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.Atoi");
    let s = a.str(0)?;
    go_parse_int("Atoi", s, 10, 64)
        .map(int_value)
        .map_err(|m| a.fail(m))
}

fn parse_bool(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.ParseBool");
    let s = a.str(0)?;
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Value::Bool(true)),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Value::Bool(false)),
        _ => Err(a.fail(syntax_err("ParseBool", s))),
    }
}

fn format_bool(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.FormatBool");
    Ok(Value::Str(a.bool(0)?.to_string()))
}

fn parse_float(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.ParseFloat");
    let s = a.str(0)?;
    let bits = a.i64(1)?;
    let clean: String = if underscore_ok(s) {
        s.chars().filter(|c| *c != '_').collect()
    } else {
        String::new()
    };
    let lower = clean.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    // Rust also accepts "infinity" and "nan", as Go does; it rejects hex floats (rare).
    let ok = !body.is_empty()
        && (matches!(body, "inf" | "infinity" | "nan")
            || body
                .chars()
                .all(|c| c.is_ascii_digit() || ".e+-".contains(c)));
    let f: f64 = match ok.then(|| clean.parse::<f64>().ok()).flatten() {
        Some(f) => f,
        None => return Err(a.fail(syntax_err("ParseFloat", s))),
    };
    if f.is_infinite() && !body.starts_with("inf") {
        return Err(a.fail(range_err("ParseFloat", s)));
    }
    let f = if bits == 32 { f as f32 as f64 } else { f };
    float_value(f).map_err(|_| {
        a.fail(format!(
            "strconv.ParseFloat: parsing {}: cannot represent {} as a number",
            go_quote(s, false),
            s
        ))
    })
}

fn format_int(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.FormatInt");
    let n = a.bigint(0)?;
    let base = a.i64(1)?;
    if !(2..=36).contains(&base) {
        return Err(a.fail("strconv: illegal AppendInt/FormatInt base"));
    }
    Ok(Value::Str(n.to_str_radix(base as u32)))
}

fn format_uint(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.FormatUint");
    let n = a.u64(0)?;
    let base = a.i64(1)?;
    if !(2..=36).contains(&base) {
        return Err(a.fail("strconv: illegal AppendInt/FormatInt base"));
    }
    Ok(Value::Str(BigInt::from(n).to_str_radix(base as u32)))
}

/// `fmt` is a byte in Go: accept its code (`102`) or a one-character string (`"f"`).
fn format_float(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.FormatFloat");
    let f = a.f64(0)?;
    let fmt = match a.get(1)? {
        Value::Str(s) if s.len() == 1 => s.as_bytes()[0],
        Value::Num(_) => u8::try_from(a.i64(1)?).map_err(|_| a.type_err(1, "byte"))?,
        _ => return Err(a.type_err(1, "byte")),
    };
    let prec = a.i64(2)?.clamp(-1, 1000);
    let bits = a.i64(3)?;
    let f = if bits == 32 { f as f32 as f64 } else { f };
    go_format_float(f, fmt, prec)
        .map(Value::Str)
        .ok_or_else(|| a.fail(format!("unsupported format {:?}", fmt as char)))
}

/// Go's `strconv.FormatFloat` for the `e E f g G` formats.
pub(crate) fn go_format_float(f: f64, fmt: u8, prec: i64) -> Option<String> {
    if f.is_nan() {
        return Some("NaN".into());
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { "+Inf" } else { "-Inf" }.into());
    }
    let exp_form = |s: String, upper: bool| -> String {
        // Rust prints `1.5e3`; Go prints `1.5e+03`.
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i64 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        format!("{m}{}{sign}{:02}", if upper { 'E' } else { 'e' }, e.abs())
    };
    let shortest = prec < 0;
    match fmt {
        b'f' => Some(if shortest {
            format!("{f}")
        } else {
            format!("{f:.*}", prec as usize)
        }),
        b'e' | b'E' => {
            let s = if shortest {
                format!("{f:e}")
            } else {
                format!("{f:.*e}", prec as usize)
            };
            Some(exp_form(s, fmt == b'E'))
        }
        b'g' | b'G' => {
            if f == 0.0 {
                return Some(if f.is_sign_negative() { "-0" } else { "0" }.into());
            }
            let (_, digits, x) = super::shortest_digits(f);
            let (nd, x) = if shortest {
                (digits.len() as i64, x)
            } else {
                // Round to `prec` significant digits first; the exponent may move up.
                let p = prec.max(1);
                let s = format!("{:.*e}", (p - 1) as usize, f.abs());
                let x2: i64 = s.split_once('e').map_or(0, |(_, e)| e.parse().unwrap_or(0));
                (p, x2)
            };
            let eprec = if shortest {
                6
            } else if nd > digits.len() as i64 && digits.len() as i64 > x {
                digits.len() as i64
            } else {
                nd
            };
            if x < -4 || x >= eprec {
                let p = if shortest {
                    None
                } else {
                    Some((nd - 1).max(0) as usize)
                };
                let s = match p {
                    None => format!("{f:e}"),
                    Some(p) => {
                        let s = format!("{f:.p$e}");
                        trim_fraction_zeros_exp(&s)
                    }
                };
                return Some(exp_form(s, fmt == b'G'));
            }
            if shortest {
                return Some(format!("{f}"));
            }
            let decimals = (nd - 1 - x).max(0) as usize;
            let s = format!("{f:.decimals$}");
            Some(trim_fraction_zeros(&s))
        }
        _ => None,
    }
}

/// `%g` drops trailing zeros of the fraction.
fn trim_fraction_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn trim_fraction_zeros_exp(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{e}", trim_fraction_zeros(m)),
        None => s.to_string(),
    }
}

fn quote_fn(args: &[Value], f: &'static str, ascii: bool) -> R {
    let a = Args::new(args, f);
    Ok(Value::Str(go_quote(a.str(0)?, ascii)))
}

fn rune_arg(a: &Args, i: usize) -> Result<char, BuiltinError> {
    let n = a.i64(i)?;
    Ok(u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}'))
}

fn quote_rune(args: &[Value], f: &'static str, ascii: bool) -> R {
    let a = Args::new(args, f);
    let c = rune_arg(&a, 0)?;
    let mut out = String::from("'");
    if c == '\'' {
        out.push_str("\\'");
    } else if c == '"' {
        out.push('"');
    } else {
        push_escaped(&mut out, c, ascii);
    }
    out.push('\'');
    Ok(Value::Str(out))
}

fn rune_pred(args: &[Value], f: &'static str, p: fn(char) -> bool) -> R {
    let a = Args::new(args, f);
    let n = a.i64(0)?;
    Ok(Value::Bool(
        u32::try_from(n)
            .ok()
            .and_then(char::from_u32)
            .is_some_and(p),
    ))
}

/// Go's `unicode.IsPrint`, approximated: no control, format, separator (except ASCII space),
/// private-use or noncharacter code points.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    is_graphic(c) && !c.is_whitespace()
}

fn is_graphic(c: char) -> bool {
    let u = c as u32;
    !(c.is_control()
        || matches!(u, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF | 0xE0001..=0xE007F)
        || (c.is_whitespace()
            && !matches!(
                u,
                0x20 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000
            )))
}

/// Go's `strconv.Quote` (or `QuoteToASCII` when `ascii`).
pub(crate) fn go_quote(s: &str, ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' {
            out.push_str("\\\"");
        } else {
            push_escaped(&mut out, c, ascii);
        }
    }
    out.push('"');
    out
}

fn push_escaped(out: &mut String, c: char, ascii: bool) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (ascii && !c.is_ascii()) || !is_print(c) => {
            let u = c as u32;
            if u < 0x20 || u == 0x7f {
                out.push_str(&format!("\\x{u:02x}"));
            } else if u < 0x10000 {
                out.push_str(&format!("\\u{u:04x}"));
            } else {
                out.push_str(&format!("\\U{u:08x}"));
            }
        }
        c => out.push(c),
    }
}

fn unquote(args: &[Value]) -> R {
    let a = Args::new(args, "strconv.Unquote");
    go_unquote(a.str(0)?)
        .map(Value::Str)
        .ok_or_else(|| a.fail("invalid syntax"))
}

/// Go's `strconv.Unquote` for `"…"`, `` `…` `` and `'…'` literals.
pub(crate) fn go_unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    let body = s.strip_prefix(q)?.strip_suffix(q)?;
    if s.len() < 2 {
        return None;
    }
    match q {
        '`' => (!body.contains('`')).then(|| body.replace('\r', "")),
        '"' | '\'' => {
            let mut out = String::new();
            let mut chars = body.chars().peekable();
            let mut count = 0;
            while let Some(c) = chars.next() {
                count += 1;
                if c == q || c == '\n' {
                    return None;
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let e = chars.next()?;
                let hex =
                    |n: usize, chars: &mut std::iter::Peekable<std::str::Chars>| -> Option<u32> {
                        let mut v = 0u32;
                        for _ in 0..n {
                            v = v * 16 + chars.next()?.to_digit(16)?;
                        }
                        Some(v)
                    };
                match e {
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\x0b'),
                    '\\' => out.push('\\'),
                    '\'' if q == '\'' => out.push('\''),
                    '"' if q == '"' => out.push('"'),
                    'x' => {
                        // A byte escape: only valid as ASCII in a Rust string.
                        let v = hex(2, &mut chars)?;
                        out.push(char::from_u32(v).filter(|c| c.is_ascii())?);
                    }
                    'u' => out.push(char::from_u32(hex(4, &mut chars)?)?),
                    'U' => out.push(char::from_u32(hex(8, &mut chars)?)?),
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.to_digit(8)?;
                        }
                        out.push(char::from_u32(v).filter(|c| c.is_ascii())?);
                    }
                    _ => return None,
                }
            }
            if q == '\'' && (count == 0 || out.chars().count() != 1) {
                return None;
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{call, lookup, show, Member};
    use super::*;
    use crate::value::number::parse_literal;

    fn run(name: &str, args: Vec<Value>) -> String {
        let Some(Member::Func(b)) = lookup("strconv", name) else {
            panic!("{name}")
        };
        match call(b, &args) {
            Ok(v) => show(&v),
            Err(BuiltinError::Msg(m) | BuiltinError::Incomplete(m)) => format!("error: {m}"),
        }
    }

    fn st(x: &str) -> Value {
        Value::Str(x.into())
    }

    fn n(s: &str) -> Value {
        Value::Num(parse_literal(s).unwrap())
    }

    #[test]
    fn table() {
        let i = Value::int;
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("Atoi", vec![st("123")], "123"),
            ("Atoi", vec![st("-12")], "-12"),
            (
                "Atoi",
                vec![st("1x")],
                r#"error: strconv.Atoi: parsing "1x": invalid syntax"#,
            ),
            (
                "Atoi",
                vec![st("99999999999999999999")],
                r#"error: strconv.Atoi: parsing "99999999999999999999": value out of range"#,
            ),
            ("ParseInt", vec![st("-0x1F"), i(0), i(64)], "-31"),
            ("ParseInt", vec![st("1_000"), i(0), i(64)], "1000"),
            (
                "ParseInt",
                vec![st("1_000"), i(10), i(64)],
                r#"error: strconv.ParseInt: parsing "1_000": invalid syntax"#,
            ),
            (
                "ParseInt",
                vec![st("ff"), i(16), i(8)],
                r#"error: strconv.ParseInt: parsing "ff": value out of range"#,
            ),
            ("ParseInt", vec![st("0755"), i(0), i(64)], "493"),
            ("ParseUint", vec![st("255"), i(10), i(8)], "255"),
            ("ParseBool", vec![st("T")], "true"),
            (
                "ParseBool",
                vec![st("yes")],
                r#"error: strconv.ParseBool: parsing "yes": invalid syntax"#,
            ),
            ("ParseFloat", vec![st("3.25"), i(64)], "3.25"),
            ("ParseFloat", vec![st("1e6"), i(64)], "1E+6"),
            ("ParseFloat", vec![st("0.1"), i(32)], "0.10000000149011612"),
            ("FormatInt", vec![i(-255), i(16)], r#""-ff""#),
            ("FormatUint", vec![i(255), i(2)], r#""11111111""#),
            ("FormatBool", vec![Value::Bool(true)], r#""true""#),
            (
                "FormatFloat",
                vec![n("3.25"), st("f"), i(-1), i(64)],
                r#""3.25""#,
            ),
            (
                "FormatFloat",
                vec![n("3.25"), i(102), i(1), i(64)],
                r#""3.2""#,
            ),
            (
                "FormatFloat",
                vec![n("1234.5678"), st("e"), i(2), i(64)],
                r#""1.23e+03""#,
            ),
            (
                "FormatFloat",
                vec![n("1e21"), st("g"), i(-1), i(64)],
                r#""1e+21""#,
            ),
            (
                "FormatFloat",
                vec![n("123456"), st("g"), i(-1), i(64)],
                r#""123456""#,
            ),
            (
                "FormatFloat",
                vec![n("1234567"), st("g"), i(-1), i(64)],
                r#""1.234567e+06""#,
            ),
            (
                "FormatFloat",
                vec![n("0.00001"), st("g"), i(-1), i(64)],
                r#""1e-05""#,
            ),
            (
                "FormatFloat",
                vec![n("3.14159"), st("g"), i(3), i(64)],
                r#""3.14""#,
            ),
            (
                "Quote",
                vec![st("a\"b\n\u{1}é")],
                r#""\"a\\\"b\\n\\x01é\"""#,
            ),
            ("QuoteToASCII", vec![st("é☺")], r#""\"\\u00e9\\u263a\"""#),
            ("QuoteRune", vec![i(9786)], r#""'☺'""#),
            ("Unquote", vec![st(r#""a\tb\u00e9""#)], r#""a\tbé""#),
            ("Unquote", vec![st("`raw\\n`")], r#""raw\\n""#),
            ("Unquote", vec![st("'x'")], r#""x""#),
            ("Unquote", vec![st("\"abc")], "error: invalid syntax"),
            ("IsPrint", vec![i(7)], "false"),
            ("IsPrint", vec![i(65)], "true"),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args.clone()), want, "{name}({args:?})");
        }
        assert_eq!(consts("IntSize"), Some(Value::int(64)));
    }
}
