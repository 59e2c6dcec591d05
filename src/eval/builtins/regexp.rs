//! The `regexp` package on the `regex` crate (RE2 syntax, as Go). Invariant: patterns are
//! translated so that `\d`, `\w`, `\s` and `\b` are ASCII-only as in Go, and compiled with a
//! size limit, so a hostile pattern is an error rather than a hang or an abort.

use super::{builtin, Args, Builtin, BuiltinError, MAX_ELEMS};
use crate::value::Value;
use indexmap::IndexMap;
use regex::{Regex, RegexBuilder};

type R = Result<Value, BuiltinError>;

const P: &str = "regexp";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Find", 2, find),
    builtin!(P, "FindAll", 3, find_all),
    builtin!(P, "FindAllNamedSubmatch", 3, find_all_named_submatch),
    builtin!(P, "FindAllSubmatch", 3, find_all_submatch),
    builtin!(P, "FindNamedSubmatch", 2, find_named_submatch),
    builtin!(P, "FindSubmatch", 2, find_submatch),
    builtin!(P, "Match", 2, match_, validator),
    builtin!(P, "QuoteMeta", 1, quote_meta),
    builtin!(P, "ReplaceAll", 3, replace_all),
    builtin!(P, "ReplaceAllLiteral", 3, replace_all_literal),
    builtin!(P, "Valid", 1, valid, validator),
];

/// Compiles a Go regular expression; the error text follows Go's `error parsing regexp: …`.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&translate(pattern))
        .size_limit(1 << 22)
        .dfa_size_limit(1 << 22)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => {
                let last = s
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or("invalid syntax");
                format!(
                    "error parsing regexp: {}: `{pattern}`",
                    last.trim_start_matches("error: ")
                )
            }
            regex::Error::CompiledTooBig(_) => {
                format!("error parsing regexp: expression too large: `{pattern}`")
            }
            _ => format!("error parsing regexp: `{pattern}`"),
        })
}

/// Rewrites the Perl classes that Go defines on ASCII only (`\d \w \s \b` and negations),
/// which the `regex` crate would otherwise read as Unicode classes.
fn translate(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut in_class = false;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let ascii = match (n, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\f\\r ]"),
                    ('S', false) => Some("[^\\t\\n\\f\\r ]"),
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    ('d', true) => Some("0-9"),
                    ('D', true) => Some("[^0-9]"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('W', true) => Some("[^0-9A-Za-z_]"),
                    ('s', true) => Some("\\t\\n\\f\\r "),
                    ('S', true) => Some("[^\\t\\n\\f\\r ]"),
                    _ => None,
                };
                match ascii {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                // A `]` first in a class is a literal.
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
                continue;
            }
            '[' if in_class => {
                // `[:alpha:]` inside a class; otherwise a literal `[` (Go has no nested classes).
                if chars.peek() == Some(&':') {
                    out.push('[');
                    for d in chars.by_ref() {
                        out.push(d);
                        if d == ']' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\[");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' | '-' if in_class && chars.peek() == Some(&c) => {
                // `&&`, `~~` and `--` are set operations for the regex crate, literals in Go.
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn re(a: &Args, i: usize) -> Result<Regex, BuiltinError> {
    compile(a.str(i)?).map_err(|m| a.fail(m))
}

/// Go's `n` argument: at most n results for n ≥ 0, all otherwise.
fn limit(a: &Args, i: usize) -> Result<usize, BuiltinError> {
    let n = a.i64(i)?;
    Ok(if n < 0 { usize::MAX } else { n as usize })
}

fn no_match(a: &Args) -> BuiltinError {
    a.fail("no match")
}

fn strs<'s>(items: impl IntoIterator<Item = &'s str>) -> Value {
    Value::List(
        items
            .into_iter()
            .map(|s| Value::Str(s.to_string()))
            .collect(),
    )
}

fn find(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.Find");
    let r = re(&a, 0)?;
    let s = a.str(1)?;
    r.find(s)
        .map(|m| Value::Str(m.as_str().to_string()))
        .ok_or_else(|| no_match(&a))
}

fn find_all(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.FindAll");
    let r = re(&a, 0)?;
    let s = a.str(1)?;
    let n = limit(&a, 2)?;
    let m: Vec<&str> = r.find_iter(s).take(n).map(|m| m.as_str()).collect();
    if m.is_empty() {
        return Err(no_match(&a));
    }
    Ok(strs(m))
}

fn groups(c: &regex::Captures) -> Value {
    strs(c.iter().map(|m| m.map_or("", |m| m.as_str())))
}

fn named(r: &Regex, c: &regex::Captures) -> Value {
    let mut out = IndexMap::new();
    for (i, name) in r.capture_names().enumerate() {
        if let Some(name) = name {
            let text = c.get(i).map_or("", |m| m.as_str());
            out.insert(name.to_string(), Value::Str(text.to_string()));
        }
    }
    Value::Struct(out)
}

fn find_submatch(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.FindSubmatch");
    let r = re(&a, 0)?;
    let s = a.str(1)?;
    r.captures(s)
        .map(|c| groups(&c))
        .ok_or_else(|| no_match(&a))
}

fn find_all_submatch(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.FindAllSubmatch");
    let r = re(&a, 0)?;
    let s = a.str(1)?;
    let n = limit(&a, 2)?;
    let all: Vec<Value> = r.captures_iter(s).take(n).map(|c| groups(&c)).collect();
    if all.is_empty() {
        return Err(no_match(&a));
    }
    Ok(Value::List(all))
}

fn find_named_submatch(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.FindNamedSubmatch");
    let r = re(&a, 0)?;
    let s = a.str(1)?;
    r.captures(s)
        .map(|c| named(&r, &c))
        .ok_or_else(|| no_match(&a))
}

fn find_all_named_submatch(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.FindAllNamedSubmatch");
    let r = re(&a, 0)?;
    let s = a.str(1)?;
    let n = limit(&a, 2)?;
    let all: Vec<Value> = r.captures_iter(s).take(n).map(|c| named(&r, &c)).collect();
    if all.is_empty() {
        return Err(no_match(&a));
    }
    Ok(Value::List(all))
}

fn match_(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.Match");
    let r = re(&a, 0)?;
    Ok(Value::Bool(r.is_match(a.str(1)?)))
}

fn replace_all(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.ReplaceAll");
    let r = re(&a, 0)?;
    let (s, repl) = (a.str(1)?, a.str(2)?);
    // Each `$` reference expands to at most the whole input.
    let per_match = repl.len() as u64 + repl.matches('$').count() as u64 * s.len() as u64;
    check_size(&a, &r, s, per_match)?;
    // Go and the regex crate share the `$1`, `${name}` and `$$` expansion syntax.
    Ok(Value::Str(r.replace_all(s, repl).into_owned()))
}

fn replace_all_literal(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.ReplaceAllLiteral");
    let r = re(&a, 0)?;
    let (s, repl) = (a.str(1)?, a.str(2)?);
    check_size(&a, &r, s, repl.len() as u64)?;
    Ok(Value::Str(
        r.replace_all(s, regex::NoExpand(repl)).into_owned(),
    ))
}

/// Refuses a replacement whose result could exceed `MAX_ELEMS` bytes.
fn check_size(a: &Args, r: &Regex, s: &str, per_match: u64) -> Result<(), BuiltinError> {
    if per_match == 0 {
        return Ok(());
    }
    let n = r.find_iter(s).count() as u64;
    if s.len() as u64 + n.saturating_mul(per_match) > MAX_ELEMS as u64 {
        return Err(a.fail(format!("result too large (more than {MAX_ELEMS} bytes)")));
    }
    Ok(())
}

fn valid(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.Valid");
    re(&a, 0)?;
    Ok(Value::Bool(true))
}

/// Go's `regexp.QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
fn quote_meta(args: &[Value]) -> R {
    let a = Args::new(args, "regexp.QuoteMeta");
    let mut out = String::new();
    for c in a.str(0)?.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::Str(out))
}

#[cfg(test)]
mod tests {
    use super::super::{call, lookup, show, Member};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> String {
        let Some(Member::Func(b)) = lookup("regexp", name) else {
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

    #[test]
    fn table() {
        let i = Value::int;
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("Find", vec![st(r"f\w\w"), st("afoot")], r#""foo""#),
            ("Find", vec![st(r"f\w\w"), st("bar")], "error: no match"),
            (
                "FindAll",
                vec![st(r"f\w\w"), st("afoot afloat from"), i(2)],
                r#"["foo", "flo"]"#,
            ),
            (
                "FindAll",
                vec![st(r"f\w\w"), st("bla"), i(-1)],
                "error: no match",
            ),
            (
                "FindSubmatch",
                vec![st(r"f(\w)(\w)"), st("afloat afoot from")],
                r#"["flo", "l", "o"]"#,
            ),
            (
                "FindSubmatch",
                vec![st(r"f(x)?o"), st("fo")],
                r#"["fo", ""]"#,
            ),
            (
                "FindAllSubmatch",
                vec![st(r"f(\w)(\w)"), st("afloat afoot from"), i(-1)],
                r#"[["flo", "l", "o"], ["foo", "o", "o"], ["fro", "r", "o"]]"#,
            ),
            (
                "FindNamedSubmatch",
                vec![st(r"f(?P<A>\w)(?P<B>\w)"), st("afloat afoot from")],
                r#"{A: "l", B: "o"}"#,
            ),
            (
                "FindAllNamedSubmatch",
                vec![st(r"f(?P<A>\w)(?P<B>\w)"), st("afloat afoot from"), i(2)],
                r#"[{A: "l", B: "o"}, {A: "o", B: "o"}]"#,
            ),
            ("Match", vec![st("^a+$"), st("aaa")], "true"),
            ("Match", vec![st(r"^\d+$"), st("١٢")], "false"),
            ("Match", vec![st(r"^[\d.]+$"), st("1.5")], "true"),
            ("Match", vec![st(r"^[a-z]--$"), st("a--")], "true"),
            (
                "ReplaceAll",
                vec![st("a(x*)b"), st("-ab-axxb-"), st("${1}W")],
                r#""-W-xxW-""#,
            ),
            (
                "ReplaceAllLiteral",
                vec![st("a(x*)b"), st("-ab-axxb-"), st("$1")],
                r#""-$1-$1-""#,
            ),
            ("QuoteMeta", vec![st("1.5-2.0?")], r#""1\\.5-2\\.0\\?""#),
            (
                "Valid",
                vec![st("a(b")],
                "error: error parsing regexp: unclosed group: `a(b`",
            ),
            ("Valid", vec![st("ab")], "true"),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args.clone()), want, "{name}({args:?})");
        }
    }
}
