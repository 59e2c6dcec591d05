//! YAML output for `--out yaml`, in the style of the yaml.v3 encoder that `cue export --out
//! yaml` uses: block style, 2-space indentation, keys in value order, a list inside a list
//! written `- - x`, multi-line strings as literal blocks (`|-`, `|`, `|+`), strings that would
//! read back as another type (`"true"`, `"123"`, `"y"`) double-quoted, and strings that only
//! break plain syntax (`'a: b'`) single-quoted. Invariant: the output parses back to the same
//! data.

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
            Value::List(l) if !l.is_empty() => {
                // So does the first item of a nested list: `- - 1`.
                let mut inner = String::new();
                write_list(&mut inner, x, depth + 1);
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
        Value::Str(s) if block_ok(s) => {
            out.push(' ');
            literal_block(out, s, depth + 1);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// Whether a string is written as a literal block: it has a line break and a line that is not
/// empty, and nothing a block cannot hold (control characters, a leading space on its first
/// line that is not empty, which would set the block's indentation, spaces before a line
/// break). A string of line breaks alone would read back empty.
fn block_ok(s: &str) -> bool {
    let first = s.trim_start_matches('\n');
    s.contains('\n')
        && !s.trim_end_matches('\n').is_empty()
        && !first.starts_with([' ', '\t'])
        && !s.contains(" \n")
        && !s.contains("\t\n")
        && s.chars().all(|c| c == '\n' || !needs_escape(c))
}

/// Whether `c` must be escaped in a YAML scalar: control characters (C0, DEL, C1), which YAML
/// does not allow raw (only tab and line breaks), the line and paragraph separators and NEL,
/// which YAML 1.1 readers take as line breaks, and the byte order mark and the noncharacters
/// U+FFFE and U+FFFF.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// `|-` (no final line break), `|` (one) or `|+` (several), then the lines indented.
fn literal_block(out: &mut String, s: &str, depth: usize) {
    let body = s.trim_end_matches('\n');
    let breaks = s.len() - body.len();
    out.push_str(match breaks {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, depth);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..breaks {
        out.push('\n');
    }
}

fn key(k: &str) -> String {
    quoted(k)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Num(n) => n.to_string(),
        Value::Str(s) => quoted(s),
        Value::Bytes(b) => format!(
            "!!binary {}",
            base64::engine::general_purpose::STANDARD.encode(b)
        ),
        Value::List(_) => "[]".into(),
        Value::Struct(_) => "{}".into(),
    }
}

/// A string on one line: plain when it reads back as the same string; double-quoted when a
/// plain scalar would read as another type or it holds characters only escapes can write;
/// single-quoted when it only breaks plain syntax.
fn quoted(s: &str) -> String {
    if resolves_to_other_type(s) || s.chars().any(needs_escape) {
        dq(s)
    } else if plain_syntax_ok(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Double-quoted: JSON's escapes, which YAML reads the same, and `\uXXXX` for the characters
/// JSON leaves raw that YAML must not hold raw (DEL, C1 controls, the separators: found by
/// fuzz/export).
fn dq(s: &str) -> String {
    let mut json = String::new();
    super::json::quote(&mut json, s);
    if !json.chars().any(needs_escape) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether YAML (1.1 or 1.2) would read the plain scalar `s` as something other than a
/// string: null, a boolean, a number.
fn resolves_to_other_type(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if [
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf",
        ".nan",
    ]
    .contains(&lower.as_str())
    {
        return true;
    }
    s.parse::<f64>().is_ok()
        || (s.starts_with(['0', '+', '-', '.']) && s.chars().any(|c| c.is_ascii_digit()))
}

/// Whether `s` can be written as a plain scalar without changing what the parser sees.
fn plain_syntax_ok(s: &str) -> bool {
    if s.trim() != s {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    !s.contains(": ") && !s.contains(" #") && !s.ends_with(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(v: Value) -> String {
        to_string(&v)
    }

    #[test]
    fn string_styles() {
        let s = |x: &str| Value::Str(x.into());
        assert_eq!(y(s("web")), "web\n");
        assert_eq!(y(s("true")), "\"true\"\n");
        assert_eq!(y(s("a: b")), "'a: b'\n");
        assert_eq!(y(s("it's: x")), "'it''s: x'\n");
        assert_eq!(y(s("")), "\"\"\n");
        assert_eq!(y(s("bell\u{7}")), "\"bell\\a\"\n".replace("\\a", "\\u0007"));
    }

    #[test]
    fn literal_blocks_read_back_whole() {
        let field = |x: &str| {
            let mut m = indexmap::IndexMap::new();
            m.insert("k".to_string(), Value::Str(x.into()));
            y(Value::Struct(m))
        };
        assert_eq!(field("a\nb\n"), "k: |\n  a\n  b\n");
        assert_eq!(field("\na\n"), "k: |\n\n  a\n");
        // Line breaks alone would be an empty block, which reads back as "" (found by
        // fuzz/export); a first line that is not empty and starts with a space would set the
        // block's indentation.
        assert_eq!(field("\n"), "k: \"\\n\"\n");
        assert_eq!(field("\n\n"), "k: \"\\n\\n\"\n");
        assert_eq!(field("\n b"), "k: \"\\n b\"\n");
    }

    #[test]
    fn characters_yaml_cannot_hold_raw_are_escaped() {
        let s = |x: &str| Value::Str(x.into());
        assert_eq!(y(s("del\u{7f}")), "\"del\\u007F\"\n");
        assert_eq!(y(s("c1\u{85}\u{9f}")), "\"c1\\u0085\\u009F\"\n");
        assert_eq!(y(s("a\u{2028}b\u{2029}c")), "\"a\\u2028b\\u2029c\"\n");
        assert_eq!(y(s("\u{feff}x\u{fffe}")), "\"\\uFEFFx\\uFFFE\"\n");
        assert_eq!(y(s("a\nb\u{7f}\n")), "\"a\\nb\\u007F\\n\"\n");
        assert_eq!(y(s("é")), "é\n");
    }
}
