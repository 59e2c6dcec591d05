//! The `encoding/json` package: marshalling values to compact JSON, unmarshalling JSON text
//! (numbers keep their exact text: ints stay ints, `1.50` stays `1.50`), and Go's `Valid`,
//! `Compact`, `Indent` and `HTMLEscape` on JSON text. Invariant: marshalled output is valid JSON
//! with fields in value order and no HTML escaping.

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::number::parse_decimal;
use crate::value::{Num, Value};
use base64::Engine;
use indexmap::IndexMap;

type R = Result<Value, BuiltinError>;

const P: &str = "encoding/json";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Compact", 1, compact),
    builtin!(P, "HTMLEscape", 1, html_escape),
    builtin!(P, "Indent", 3, indent),
    builtin!(P, "Marshal", 1, marshal),
    builtin!(P, "MarshalStream", 1, marshal_stream),
    builtin!(P, "Unmarshal", 1, unmarshal),
    builtin!(P, "UnmarshalStream", 1, unmarshal_stream),
    builtin!(P, "Valid", 1, valid, validator),
];

/// Appends the compact JSON form of `v`: ints as digits, floats as their decimal text, bytes
/// as base64 (as Go marshals `[]byte`).
pub(crate) fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(n) => out.push_str(&n.to_string()),
        Value::Str(s) => write_json_string(s, out),
        Value::Bytes(b) => {
            write_json_string(&base64::engine::general_purpose::STANDARD.encode(b), out)
        }
        Value::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(x, out);
            }
            out.push(']');
        }
        Value::Struct(fields) => {
            out.push('{');
            for (i, (k, x)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(x, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go's encoder writes it without HTML escaping.
pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn marshal(args: &[Value]) -> R {
    let a = Args::new(args, "json.Marshal");
    let mut out = String::new();
    write_json(a.get(0)?, &mut out);
    Ok(Value::Str(out))
}

fn marshal_stream(args: &[Value]) -> R {
    let a = Args::new(args, "json.MarshalStream");
    let mut out = String::new();
    for v in a.list(0)? {
        write_json(v, &mut out);
        out.push('\n');
    }
    Ok(Value::Str(out))
}

/// Converts parsed JSON into a value; numbers are rebuilt from their exact text.
pub(crate) fn from_json(v: serde_json::Value) -> Result<Value, String> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Num(number(&n.to_string())?),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(items) => {
            Value::List(items.into_iter().map(from_json).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(m) => {
            let mut out = IndexMap::new();
            for (k, x) in m {
                out.insert(k, from_json(x)?);
            }
            Value::Struct(out)
        }
    })
}

fn number(text: &str) -> Result<Num, String> {
    if text.contains(['.', 'e', 'E']) {
        parse_decimal(text)
            .map(Num::Float)
            .ok_or_else(|| format!("invalid number {text}"))
    } else {
        text.parse()
            .map(Num::Int)
            .map_err(|_| format!("invalid number {text}"))
    }
}

fn parse_error(e: &serde_json::Error) -> String {
    format!("json: invalid JSON: {e}")
}

fn unmarshal(args: &[Value]) -> R {
    let a = Args::new(args, "json.Unmarshal");
    let b = a.bytes(0)?;
    let v: serde_json::Value = serde_json::from_slice(b).map_err(|e| a.fail(parse_error(&e)))?;
    from_json(v).map_err(|m| a.fail(m))
}

fn unmarshal_stream(args: &[Value]) -> R {
    let a = Args::new(args, "json.UnmarshalStream");
    let b = a.bytes(0)?;
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_slice(b).into_iter::<serde_json::Value>() {
        let v = v.map_err(|e| a.fail(parse_error(&e)))?;
        out.push(from_json(v).map_err(|m| a.fail(m))?);
    }
    Ok(Value::List(out))
}

fn is_valid(b: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok()
}

fn valid(args: &[Value]) -> R {
    let a = Args::new(args, "json.Valid");
    Ok(Value::Bool(is_valid(a.bytes(0)?)))
}

/// The tokens of valid JSON text, for `Compact` and `Indent`: strings and numbers verbatim.
fn reformat(src: &str, prefix: &str, indent: Option<&str>) -> String {
    let mut out = String::with_capacity(src.len());
    let mut depth = 0usize;
    let mut chars = src.char_indices().peekable();
    let newline = |out: &mut String, depth: usize| {
        if let Some(ind) = indent {
            out.push('\n');
            out.push_str(prefix);
            for _ in 0..depth {
                out.push_str(ind);
            }
        }
    };
    while let Some((_, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {}
            '"' => {
                out.push('"');
                let mut escaped = false;
                for (_, d) in chars.by_ref() {
                    out.push(d);
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line.
                while matches!(chars.peek(), Some((_, ' ' | '\t' | '\n' | '\r'))) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if matches!(chars.peek(), Some((_, d)) if *d == close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => {
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn json_text<'a>(a: &Args<'a>, i: usize) -> Result<&'a str, BuiltinError> {
    let b = a.bytes(i)?;
    if !is_valid(b) {
        let e = serde_json::from_slice::<serde::de::IgnoredAny>(b).err();
        return Err(a.fail(e.map_or("json: invalid JSON".to_string(), |e| parse_error(&e))));
    }
    std::str::from_utf8(b).map_err(|_| a.fail("json: invalid UTF-8"))
}

fn compact(args: &[Value]) -> R {
    let a = Args::new(args, "json.Compact");
    Ok(Value::Str(reformat(json_text(&a, 0)?, "", None)))
}

fn indent(args: &[Value]) -> R {
    let a = Args::new(args, "json.Indent");
    let src = json_text(&a, 0)?;
    let (prefix, ind) = (a.str(1)?, a.str(2)?);
    // Go keeps trailing white space of the source.
    let trailing = &src[src.trim_end().len()..];
    let mut out = reformat(src, prefix, Some(ind));
    out.push_str(trailing);
    Ok(Value::Str(out))
}

fn html_escape(args: &[Value]) -> R {
    let a = Args::new(args, "json.HTMLEscape");
    let src = String::from_utf8_lossy(a.bytes(0)?).into_owned();
    let mut out = String::with_capacity(src.len());
    for c in src.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    Ok(Value::Str(out))
}

#[cfg(test)]
mod tests {
    use super::super::{call, lookup, show, Member};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> String {
        let Some(Member::Func(b)) = lookup("encoding/json", name) else {
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
        let mut m = IndexMap::new();
        m.insert(
            "b".to_string(),
            Value::List(vec![Value::int(1), Value::Null, st("<&>\n")]),
        );
        m.insert(
            "a".to_string(),
            Value::Num(crate::value::number::parse_literal("1.50").unwrap()),
        );
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "Marshal",
                vec![Value::Struct(m)],
                r#""{\"b\":[1,null,\"<&>\\n\"],\"a\":1.50}""#,
            ),
            (
                "Marshal",
                vec![Value::Bytes(b"hi".to_vec())],
                r#""\"aGk=\"""#,
            ),
            (
                "MarshalStream",
                vec![Value::List(vec![Value::int(1), st("a")])],
                r#""1\n\"a\"\n""#,
            ),
            (
                "Unmarshal",
                vec![st(r#"{"b": [1, 2.50, 1e3, true], "a": null}"#)],
                "{b: [1, 2.50, 1E+3, true], a: null}",
            ),
            (
                "Unmarshal",
                vec![st("123456789012345678901234567890")],
                "123456789012345678901234567890",
            ),
            (
                "Unmarshal",
                vec![st("{")],
                "error: json: invalid JSON: EOF while parsing an object at line 1 column 1",
            ),
            (
                "UnmarshalStream",
                vec![st("1 {\"a\": 2}\n[3]")],
                "[1, {a: 2}, [3]]",
            ),
            ("Valid", vec![st(r#"{"a": 1}"#)], "true"),
            ("Valid", vec![st("{a: 1}")], "false"),
            (
                "Compact",
                vec![st("{ \"a\" : [ 1 , \"x y\" ] }")],
                r#""{\"a\":[1,\"x y\"]}""#,
            ),
            (
                "Indent",
                vec![st(r#"{"a":[1,2],"b":{},"c":[]}"#), st(""), st("  ")],
                r#""{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}""#,
            ),
            (
                "Indent",
                vec![st("{"), st(""), st(" ")],
                "error: json: invalid JSON: EOF while parsing an object at line 1 column 1",
            ),
            (
                "HTMLEscape",
                vec![st(r#"{"a":"<b>"}"#)],
                r#""{\"a\":\"\\u003cb\\u003e\"}""#,
            ),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args.clone()), want, "{name}({args:?})");
        }
    }
}
