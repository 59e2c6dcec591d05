//! YAML output for `--out yaml`: block style, keys in value order, strings quoted whenever a
//! plain scalar could be misread (numbers, booleans, null, special characters). Invariant: the
//! output parses back to the same data.

use crate::value::Value;
use base64::Engine;

pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Struct(m) if !m.is_empty() => write_map(&mut out, v, 0),
        Value::List(l) if !l.is_empty() => write_list(&mut out, v, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, v: &Value, depth: usize) {
    let Value::Struct(m) = v else { return };
    for (k, x) in m {
        pad(out, depth);
        out.push_str(&key(k));
        out.push(':');
        write_child(out, x, depth);
    }
}

fn write_list(out: &mut String, v: &Value, depth: usize) {
    let Value::List(items) = v else { return };
    for x in items {
        pad(out, depth);
        out.push('-');
        match x {
            Value::Struct(m) if !m.is_empty() => {
                // The first key goes on the dash line.
                let mut inner = String::new();
                write_map(&mut inner, x, depth + 1);
                out.push(' ');
                out.push_str(inner.trim_start());
            }
            _ => write_child(out, x, depth),
        }
    }
}

fn write_child(out: &mut String, x: &Value, depth: usize) {
    match x {
        Value::Struct(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, x, depth + 1);
        }
        Value::List(l) if !l.is_empty() => {
            out.push('\n');
            write_list(out, x, depth + 1);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn key(k: &str) -> String {
    if plain_ok(k) {
        k.to_string()
    } else {
        dq(k)
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Num(n) => n.to_string(),
        Value::Str(s) => {
            if plain_ok(s) {
                s.clone()
            } else {
                dq(s)
            }
        }
        Value::Bytes(b) => format!(
            "!!binary {}",
            base64::engine::general_purpose::STANDARD.encode(b)
        ),
        Value::List(_) => "[]".into(),
        Value::Struct(_) => "{}".into(),
    }
}

fn dq(s: &str) -> String {
    let mut out = String::new();
    super::json::quote(&mut out, s);
    out
}

/// Whether a string can be written as a plain YAML scalar and read back as the same string.
fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if [
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", ".nan",
    ]
    .contains(&lower.as_str())
    {
        return false;
    }
    if s.parse::<f64>().is_ok()
        || s.starts_with(['0', '+', '-', '.']) && s.chars().any(|c| c.is_ascii_digit())
    {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && s.chars().all(|c| !c.is_control())
}
