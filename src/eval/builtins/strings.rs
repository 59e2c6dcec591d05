//! The `strings` package: Go's `strings` functions that CUE exports, plus CUE's own (`MinRunes`,
//! `ByteAt`, `SliceRunes`, `ToCamel`, …). Invariant: indices are byte offsets as in Go, slicing
//! only happens on char boundaries, and no result exceeds `MAX_ELEMS` bytes.

use super::{builtin, int_value, Args, Builtin, BuiltinError, MAX_ELEMS};
use crate::value::Value;

type R = Result<Value, BuiltinError>;

const P: &str = "strings";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "ByteAt", 2, byte_at),
    builtin!(P, "ByteSlice", 3, byte_slice),
    builtin!(P, "Compare", 2, compare),
    builtin!(P, "Contains", 2, contains, validator),
    builtin!(P, "ContainsAny", 2, contains_any, validator),
    builtin!(P, "Count", 2, count),
    builtin!(P, "Fields", 1, fields),
    builtin!(P, "HasPrefix", 2, has_prefix, validator),
    builtin!(P, "HasSuffix", 2, has_suffix, validator),
    builtin!(P, "Index", 2, index),
    builtin!(P, "IndexAny", 2, index_any),
    builtin!(P, "Join", 2, join),
    builtin!(P, "LastIndex", 2, last_index),
    builtin!(P, "LastIndexAny", 2, last_index_any),
    builtin!(P, "MaxRunes", 2, max_runes, validator),
    builtin!(P, "MinRunes", 2, min_runes, validator),
    builtin!(P, "Repeat", 2, repeat),
    builtin!(P, "Replace", 4, replace),
    builtin!(P, "Runes", 1, runes),
    builtin!(P, "SliceRunes", 3, slice_runes),
    builtin!(P, "Split", 2, split),
    builtin!(P, "SplitAfter", 2, split_after),
    builtin!(P, "SplitAfterN", 3, split_after_n),
    builtin!(P, "SplitN", 3, split_n),
    builtin!(P, "ToCamel", 1, to_camel),
    builtin!(P, "ToLower", 1, to_lower),
    builtin!(P, "ToTitle", 1, to_title),
    builtin!(P, "ToUpper", 1, to_upper),
    builtin!(P, "Trim", 2, trim),
    builtin!(P, "TrimLeft", 2, trim_left),
    builtin!(P, "TrimPrefix", 2, trim_prefix),
    builtin!(P, "TrimRight", 2, trim_right),
    builtin!(P, "TrimSpace", 1, trim_space),
    builtin!(P, "TrimSuffix", 2, trim_suffix),
];

fn s(v: impl Into<String>) -> Value {
    Value::Str(v.into())
}

fn str_list<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
    Value::List(items.into_iter().map(|x| Value::Str(x.into())).collect())
}

/// Two string arguments, the common shape.
fn two<'a>(
    args: &'a [Value],
    f: &'static str,
) -> Result<(Args<'a>, &'a str, &'a str), BuiltinError> {
    let a = Args::new(args, f);
    let x = a.str(0)?;
    let y = a.str(1)?;
    Ok((a, x, y))
}

fn byte_at(args: &[Value]) -> R {
    let a = Args::new(args, "strings.ByteAt");
    let b = a.bytes(0)?;
    let i = a.i64(1)?;
    usize::try_from(i)
        .ok()
        .and_then(|i| b.get(i))
        .map(|x| int_value(*x))
        .ok_or_else(|| a.fail("index out of range"))
}

fn byte_slice(args: &[Value]) -> R {
    let a = Args::new(args, "strings.ByteSlice");
    let b = a.bytes(0)?;
    let (start, end) = (a.i64(1)?, a.i64(2)?);
    if start < 0 || start > end || end > b.len() as i64 {
        return Err(a.fail("index out of range"));
    }
    Ok(Value::Bytes(b[start as usize..end as usize].to_vec()))
}

fn compare(args: &[Value]) -> R {
    let (_, x, y) = two(args, "strings.Compare")?;
    Ok(int_value(x.cmp(y) as i8))
}

fn contains(args: &[Value]) -> R {
    let (_, x, y) = two(args, "strings.Contains")?;
    Ok(Value::Bool(x.contains(y)))
}

fn contains_any(args: &[Value]) -> R {
    let (_, x, chars) = two(args, "strings.ContainsAny")?;
    Ok(Value::Bool(x.chars().any(|c| chars.contains(c))))
}

fn count(args: &[Value]) -> R {
    let (_, x, sub) = two(args, "strings.Count")?;
    Ok(int_value(go_count(x, sub) as u64))
}

fn go_count(x: &str, sub: &str) -> usize {
    if sub.is_empty() {
        x.chars().count() + 1
    } else {
        x.matches(sub).count()
    }
}

fn fields(args: &[Value]) -> R {
    let a = Args::new(args, "strings.Fields");
    Ok(str_list(a.str(0)?.split_whitespace()))
}

fn has_prefix(args: &[Value]) -> R {
    let (_, x, p) = two(args, "strings.HasPrefix")?;
    Ok(Value::Bool(x.starts_with(p)))
}

fn has_suffix(args: &[Value]) -> R {
    let (_, x, p) = two(args, "strings.HasSuffix")?;
    Ok(Value::Bool(x.ends_with(p)))
}

fn index(args: &[Value]) -> R {
    let (_, x, sub) = two(args, "strings.Index")?;
    Ok(int_value(x.find(sub).map_or(-1, |i| i as i64)))
}

fn last_index(args: &[Value]) -> R {
    let (_, x, sub) = two(args, "strings.LastIndex")?;
    Ok(int_value(x.rfind(sub).map_or(-1, |i| i as i64)))
}

fn index_any(args: &[Value]) -> R {
    let (_, x, chars) = two(args, "strings.IndexAny")?;
    Ok(int_value(
        x.find(|c| chars.contains(c)).map_or(-1, |i| i as i64),
    ))
}

fn last_index_any(args: &[Value]) -> R {
    let (_, x, chars) = two(args, "strings.LastIndexAny")?;
    Ok(int_value(
        x.rfind(|c| chars.contains(c)).map_or(-1, |i| i as i64),
    ))
}

fn join(args: &[Value]) -> R {
    let a = Args::new(args, "strings.Join");
    let elems = a.str_list(0)?;
    let sep = a.str(1)?;
    let total: usize = elems.iter().map(|e| e.len() + sep.len()).sum();
    if total > MAX_ELEMS * 10 {
        return Err(a.fail("result too large"));
    }
    Ok(s(elems.join(sep)))
}

fn min_runes(args: &[Value]) -> R {
    let a = Args::new(args, "strings.MinRunes");
    let x = a.str(0)?;
    let n = a.i64(1)?;
    Ok(Value::Bool(x.chars().count() as i64 >= n))
}

fn max_runes(args: &[Value]) -> R {
    let a = Args::new(args, "strings.MaxRunes");
    let x = a.str(0)?;
    let n = a.i64(1)?;
    Ok(Value::Bool(x.chars().count() as i64 <= n))
}

fn repeat(args: &[Value]) -> R {
    let a = Args::new(args, "strings.Repeat");
    let x = a.str(0)?;
    let n = a.i64(1)?;
    if n < 0 {
        return Err(a.fail("strings: negative Repeat count"));
    }
    if x.len().saturating_mul(n as usize) > MAX_ELEMS {
        return Err(a.fail(format!("result too large (more than {MAX_ELEMS} bytes)")));
    }
    Ok(s(x.repeat(n as usize)))
}

fn replace(args: &[Value]) -> R {
    let a = Args::new(args, "strings.Replace");
    let (x, old, new) = (a.str(0)?, a.str(1)?, a.str(2)?);
    let n = a.i64(3)?;
    // Bound the result before building it: every match may grow by new.len() bytes.
    let matches = go_count(x, old) as u64;
    let matches = if n < 0 {
        matches
    } else {
        matches.min(n as u64)
    };
    if x.len() as u64 + matches.saturating_mul(new.len() as u64) > MAX_ELEMS as u64 {
        return Err(a.fail(format!("result too large (more than {MAX_ELEMS} bytes)")));
    }
    Ok(s(go_replace(x, old, new, n)))
}

/// Go's `strings.Replace`: an empty `old` matches before every rune and at the end.
fn go_replace(x: &str, old: &str, new: &str, n: i64) -> String {
    if old == new || n == 0 {
        return x.to_string();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if !old.is_empty() {
        return x.replacen(old, new, limit);
    }
    let mut out = String::with_capacity(x.len());
    let mut done = 0;
    for c in x.chars() {
        if done < limit {
            out.push_str(new);
            done += 1;
        }
        out.push(c);
    }
    if done < limit {
        out.push_str(new);
    }
    out
}

fn runes(args: &[Value]) -> R {
    let a = Args::new(args, "strings.Runes");
    Ok(Value::List(
        a.str(0)?.chars().map(|c| int_value(c as u32)).collect(),
    ))
}

fn slice_runes(args: &[Value]) -> R {
    let a = Args::new(args, "strings.SliceRunes");
    let x: Vec<char> = a.str(0)?.chars().collect();
    let (start, end) = (a.i64(1)?, a.i64(2)?);
    if start < 0 || start > end || end > x.len() as i64 {
        return Err(a.fail("index out of range"));
    }
    Ok(s(x[start as usize..end as usize]
        .iter()
        .collect::<String>()))
}

/// Go's `genSplit`: `save` bytes of the separator stay with each piece; `n < 0` means all.
fn gen_split(x: &str, sep: &str, save: bool, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        return explode(x, n);
    }
    let max = go_count(x, sep) as i64 + 1;
    let n = if n < 0 || n > max { max } else { n };
    let mut out = Vec::new();
    let mut rest = x;
    while (out.len() as i64) < n - 1 {
        let Some(m) = rest.find(sep) else { break };
        let keep = if save { m + sep.len() } else { m };
        out.push(rest[..keep].to_string());
        rest = &rest[m + sep.len()..];
    }
    out.push(rest.to_string());
    out
}

/// Splits into single runes; the `n`-th piece holds the remainder.
fn explode(x: &str, n: i64) -> Vec<String> {
    let total = x.chars().count() as i64;
    let n = if n < 0 || n > total { total } else { n };
    let mut out = Vec::new();
    let mut rest = x;
    while (out.len() as i64) < n - 1 {
        let Some(c) = rest.chars().next() else { break };
        out.push(c.to_string());
        rest = &rest[c.len_utf8()..];
    }
    if n > 0 {
        out.push(rest.to_string());
    }
    out
}

fn split(args: &[Value]) -> R {
    let (_, x, sep) = two(args, "strings.Split")?;
    Ok(str_list(gen_split(x, sep, false, -1)))
}

fn split_after(args: &[Value]) -> R {
    let (_, x, sep) = two(args, "strings.SplitAfter")?;
    Ok(str_list(gen_split(x, sep, true, -1)))
}

fn split_n(args: &[Value]) -> R {
    let (a, x, sep) = two(args, "strings.SplitN")?;
    Ok(str_list(gen_split(x, sep, false, a.i64(2)?)))
}

fn split_after_n(args: &[Value]) -> R {
    let (a, x, sep) = two(args, "strings.SplitAfterN")?;
    Ok(str_list(gen_split(x, sep, true, a.i64(2)?)))
}

/// Go maps case rune by rune (`unicode.ToUpper`); a rune whose full mapping is several
/// characters (ß → SS) keeps its simple mapping, which is itself.
fn map_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn map_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn to_upper(args: &[Value]) -> R {
    let a = Args::new(args, "strings.ToUpper");
    Ok(s(a.str(0)?.chars().map(map_upper).collect::<String>()))
}

fn to_lower(args: &[Value]) -> R {
    let a = Args::new(args, "strings.ToLower");
    Ok(s(a.str(0)?.chars().map(map_lower).collect::<String>()))
}

/// Maps the first rune of every word (after a white-space rune, or at the start).
fn map_word_starts(x: &str, f: fn(char) -> char) -> String {
    let mut prev = ' ';
    x.chars()
        .map(|c| {
            let out = if prev.is_whitespace() { f(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

fn to_title(args: &[Value]) -> R {
    let a = Args::new(args, "strings.ToTitle");
    Ok(s(map_word_starts(a.str(0)?, map_upper)))
}

fn to_camel(args: &[Value]) -> R {
    let a = Args::new(args, "strings.ToCamel");
    Ok(s(map_word_starts(a.str(0)?, map_lower)))
}

fn trim(args: &[Value]) -> R {
    let (_, x, cut) = two(args, "strings.Trim")?;
    Ok(s(x.trim_matches(|c| cut.contains(c))))
}

fn trim_left(args: &[Value]) -> R {
    let (_, x, cut) = two(args, "strings.TrimLeft")?;
    Ok(s(x.trim_start_matches(|c| cut.contains(c))))
}

fn trim_right(args: &[Value]) -> R {
    let (_, x, cut) = two(args, "strings.TrimRight")?;
    Ok(s(x.trim_end_matches(|c| cut.contains(c))))
}

fn trim_prefix(args: &[Value]) -> R {
    let (_, x, p) = two(args, "strings.TrimPrefix")?;
    Ok(s(x.strip_prefix(p).unwrap_or(x)))
}

fn trim_suffix(args: &[Value]) -> R {
    let (_, x, p) = two(args, "strings.TrimSuffix")?;
    Ok(s(x.strip_suffix(p).unwrap_or(x)))
}

fn trim_space(args: &[Value]) -> R {
    let a = Args::new(args, "strings.TrimSpace");
    Ok(s(a.str(0)?.trim()))
}

#[cfg(test)]
mod tests {
    use super::super::{call, lookup, show, Member};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> String {
        let Some(Member::Func(b)) = lookup("strings", name) else {
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
            (
                "Join",
                vec![Value::List(vec![st("Hello"), st("World!")]), st(" ")],
                r#""Hello World!""#,
            ),
            (
                "Join",
                vec![Value::List(vec![i(1)]), st(" ")],
                "error: invalid type element 0 (int) of string list argument 0",
            ),
            ("ByteAt", vec![st("a"), i(0)], "97"),
            ("ByteAt", vec![st("a"), i(5)], "error: index out of range"),
            ("ByteSlice", vec![st("Hello"), i(2), i(5)], "'llo'"),
            ("SliceRunes", vec![st("✓ Hello"), i(0), i(3)], r#""✓ H""#),
            ("Runes", vec![st("Café")], "[67, 97, 102, 233]"),
            ("ToCamel", vec![st("AlphaBeta")], r#""alphaBeta""#),
            ("ToTitle", vec![st("alpha beta")], r#""Alpha Beta""#),
            ("ToUpper", vec![st("straße")], r#""STRAßE""#),
            ("MaxRunes", vec![st("quux"), i(3)], "false"),
            ("MinRunes", vec![st("e"), i(1)], "true"),
            ("Split", vec![st("a,b,c"), st(",")], r#"["a", "b", "c"]"#),
            ("Split", vec![st("abc"), st("")], r#"["a", "b", "c"]"#),
            ("Split", vec![st(""), st("")], "[]"),
            ("Split", vec![st(""), st(",")], r#"[""]"#),
            (
                "SplitN",
                vec![st("a,b,c"), st(","), i(2)],
                r#"["a", "b,c"]"#,
            ),
            ("SplitN", vec![st("a,b,c"), st(","), i(0)], "[]"),
            (
                "SplitAfter",
                vec![st("a,b,"), st(",")],
                r#"["a,", "b,", ""]"#,
            ),
            (
                "SplitAfterN",
                vec![st("a,b,c"), st(","), i(2)],
                r#"["a,", "b,c"]"#,
            ),
            ("Fields", vec![st("  a b\t c\n")], r#"["a", "b", "c"]"#),
            ("Count", vec![st("cheese"), st("e")], "3"),
            ("Count", vec![st("five"), st("")], "5"),
            ("Index", vec![st("chicken"), st("ken")], "4"),
            ("Index", vec![st("chicken"), st("dmr")], "-1"),
            ("LastIndex", vec![st("go gopher"), st("go")], "3"),
            ("IndexAny", vec![st("chicken"), st("kmr")], "4"),
            ("LastIndexAny", vec![st("golang"), st("go")], "5"),
            (
                "Replace",
                vec![st("oink oink oink"), st("k"), st("ky"), i(2)],
                r#""oinky oinky oink""#,
            ),
            (
                "Replace",
                vec![st("oink oink oink"), st("oink"), st("moo"), i(-1)],
                r#""moo moo moo""#,
            ),
            (
                "Replace",
                vec![st("ab"), st(""), st("-"), i(-1)],
                r#""-a-b-""#,
            ),
            ("Repeat", vec![st("na"), i(2)], r#""nana""#),
            (
                "Repeat",
                vec![st("na"), i(-1)],
                "error: strings: negative Repeat count",
            ),
            (
                "Repeat",
                vec![st("na"), i(i64::MAX)],
                "error: result too large (more than 10000000 bytes)",
            ),
            (
                "Trim",
                vec![st("¡¡¡Hello, Gophers!!!"), st("!¡")],
                r#""Hello, Gophers""#,
            ),
            ("TrimLeft", vec![st("xxhixx"), st("x")], r#""hixx""#),
            ("TrimRight", vec![st("xxhixx"), st("x")], r#""xxhi""#),
            ("TrimPrefix", vec![st("prefix-x"), st("prefix-")], r#""x""#),
            ("TrimSuffix", vec![st("x.go"), st(".go")], r#""x""#),
            ("TrimSpace", vec![st(" \t a \n")], r#""a""#),
            ("Compare", vec![st("a"), st("b")], "-1"),
            ("ContainsAny", vec![st("failure"), st("ui")], "true"),
            ("ContainsAny", vec![st("foo"), st("")], "false"),
            (
                "HasPrefix",
                vec![i(42), st("x")],
                "error: cannot use 42 (type int) as string in argument 1 to strings.HasPrefix",
            ),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args.clone()), want, "{name}({args:?})");
        }
    }
}
