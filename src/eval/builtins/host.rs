//! The host, port and URL half of the `net` package: `SplitHostPort`, `JoinHostPort`, `FQDN`,
//! `URL`, `AbsURL` and the URL escapes, with Go's `net` and `net/url` rules and error texts.
//! Invariant: these functions only inspect text; nothing is resolved or fetched.

use super::net::ip_arg;
use super::{builtin, show, Args, Builtin, BuiltinError};
use crate::value::Value;

type R = Result<Value, BuiltinError>;

const P: &str = "net";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "AbsURL", 1, abs_url, validator),
    builtin!(P, "FQDN", 1, fqdn, validator),
    builtin!(P, "JoinHostPort", 2, join_host_port),
    builtin!(P, "PathEscape", 1, |a| escape_fn(
        a,
        "net.PathEscape",
        false
    )),
    builtin!(P, "PathUnescape", 1, |a| unescape_fn(
        a,
        "net.PathUnescape",
        false
    )),
    builtin!(P, "QueryEscape", 1, |a| escape_fn(
        a,
        "net.QueryEscape",
        true
    )),
    builtin!(P, "QueryUnescape", 1, |a| unescape_fn(
        a,
        "net.QueryUnescape",
        true
    )),
    builtin!(P, "SplitHostPort", 1, split_host_port),
    builtin!(P, "URL", 1, url, validator),
];

/// Go's `net.SplitHostPort`, with its error text.
fn split_host_port(args: &[Value]) -> R {
    let a = Args::new(args, "net.SplitHostPort");
    let s = a.str(0)?;
    let err = |why: &str| a.fail(format!("address {s}: {why}"));
    let Some(i) = s.rfind(':') else {
        return Err(err("missing port in address"));
    };
    let (host, j, k);
    if s.starts_with('[') {
        let Some(end) = s.find(']') else {
            return Err(err("missing ']' in address"));
        };
        if end + 1 == s.len() {
            return Err(err("missing port in address"));
        }
        if end + 1 != i {
            return Err(if s.as_bytes()[end + 1] == b':' {
                err("too many colons in address")
            } else {
                err("missing port in address")
            });
        }
        host = &s[1..end];
        (j, k) = (1, end + 1);
    } else {
        host = &s[..i];
        if host.contains(':') {
            return Err(err("too many colons in address"));
        }
        (j, k) = (0, 0);
    }
    if s[j..].contains('[') {
        return Err(err("unexpected '[' in address"));
    }
    if s[k..].contains(']') {
        return Err(err("unexpected ']' in address"));
    }
    Ok(Value::List(vec![
        Value::Str(host.to_string()),
        Value::Str(s[i + 1..].to_string()),
    ]))
}

fn join_host_port(args: &[Value]) -> R {
    let a = Args::new(args, "net.JoinHostPort");
    let host = match a.get(0)? {
        Value::List(_) => match ip_arg(&a, 0)? {
            Ok(addr) => addr.to_string(),
            Err(_) => return Err(a.fail(format!("invalid host {}", show(&args[0])))),
        },
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Str(s) => s.clone(),
        _ => return Err(a.type_err(0, "string")),
    };
    let port = match a.get(1)? {
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Num(_) => a.i64(1)?.to_string(),
        _ => return Err(a.type_err(1, "string")),
    };
    Ok(Value::Str(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }))
}

/// An ASCII domain name under IDNA's strict (STD3) rules: labels of letters, digits and inner
/// hyphens, 1–63 bytes each, 253 bytes in all; one trailing dot allowed.
fn fqdn(args: &[Value]) -> R {
    let a = Args::new(args, "net.FQDN");
    let s = a.str(0)?;
    let name = s.strip_suffix('.').unwrap_or(s);
    let ok = s.is_ascii()
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    Ok(Value::Bool(ok))
}

/// Go's `url.Parse` checks that matter for validation: control characters, `%` escapes and
/// the scheme. Returns the scheme.
fn check_url(s: &str) -> Result<String, String> {
    let q = super::strconv::go_quote(s, false);
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(format!(
            "parse {q}: net/url: invalid control character in URL"
        ));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let frag_at = s.find('#').unwrap_or(s.len());
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                let end = (i + 3).min(s.len());
                let bad = s.get(i..end).unwrap_or("%");
                return Err(format!(
                    "parse {q}: invalid URL escape {}",
                    super::strconv::go_quote(bad, false)
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    let _ = frag_at;
    // Scheme: letters first, then letters, digits, + - . up to the first ':'.
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err(format!("parse {q}: missing protocol scheme")),
            ':' => return Ok(s[..i].to_string()),
            _ => break,
        }
    }
    let first_segment = s.split(['/', '?', '#']).next().unwrap_or("");
    if first_segment.contains(':') {
        return Err(format!(
            "parse {q}: first path segment in URL cannot contain colon"
        ));
    }
    Ok(String::new())
}

fn url(args: &[Value]) -> R {
    let a = Args::new(args, "net.URL");
    check_url(a.str(0)?).map_err(|m| a.fail(m))?;
    Ok(Value::Bool(true))
}

fn abs_url(args: &[Value]) -> R {
    let a = Args::new(args, "net.AbsURL");
    let scheme = check_url(a.str(0)?).map_err(|m| a.fail(m))?;
    if scheme.is_empty() {
        return Err(a.fail("URL is not absolute"));
    }
    Ok(Value::Bool(true))
}

/// Go's `url.PathEscape` (`query == false`) and `url.QueryEscape`.
fn escape(s: &str, query: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (!query && matches!(b, b'$' | b'&' | b'+' | b',' | b':' | b';' | b'=' | b'@'));
        if keep {
            out.push(b as char);
        } else if query && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape(s: &str, query: bool) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                let Some(h) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                    let bad = s.get(i..(i + 3).min(s.len())).unwrap_or("%");
                    return Err(format!(
                        "invalid URL escape {}",
                        super::strconv::go_quote(bad, false)
                    ));
                };
                out.push(h);
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "cannot convert result to string: invalid UTF-8".into())
}

fn escape_fn(args: &[Value], f: &'static str, query: bool) -> R {
    let a = Args::new(args, f);
    Ok(Value::Str(escape(a.str(0)?, query)))
}

fn unescape_fn(args: &[Value], f: &'static str, query: bool) -> R {
    let a = Args::new(args, f);
    unescape(a.str(0)?, query)
        .map(Value::Str)
        .map_err(|m| a.fail(m))
}

#[cfg(test)]
mod tests {
    use super::super::{call, lookup, Member};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> String {
        let Some(Member::Func(b)) = lookup("net", name) else {
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

    fn bl(b: &[i64]) -> Value {
        Value::List(b.iter().map(|x| Value::int(*x)).collect())
    }

    #[test]
    fn table() {
        let i = Value::int;
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("FQDN", vec![st("foo.bar.")], "true"),
            (
                "FQDN",
                vec![st(
                    "foo.bararararararararararararararararararararararararararararararararara",
                )],
                "false",
            ),
            ("FQDN", vec![st("hello world")], "false"),
            ("FQDN", vec![st("under_score.example.com.")], "false"),
            ("FQDN", vec![st("valid.example.com.")], "true"),
            (
                "SplitHostPort",
                vec![st("[::%lo0]:80")],
                r#"["::%lo0", "80"]"#,
            ),
            (
                "SplitHostPort",
                vec![st("foo")],
                "error: address foo: missing port in address",
            ),
            (
                "JoinHostPort",
                vec![st("mod.test"), st("80")],
                r#""mod.test:80""#,
            ),
            (
                "JoinHostPort",
                vec![st("2001:db8::1"), i(80)],
                r#""[2001:db8::1]:80""#,
            ),
            (
                "JoinHostPort",
                vec![bl(&[192, 30, 4, 2]), i(80)],
                r#""192.30.4.2:80""#,
            ),
            (
                "JoinHostPort",
                vec![bl(&[192, 30, 4]), i(80)],
                "error: invalid host [192, 30, 4]",
            ),
            ("PathEscape", vec![st("foo/bar")], r#""foo%2Fbar""#),
            ("PathUnescape", vec![st("foo%2Fbar")], r#""foo/bar""#),
            ("QueryEscape", vec![st("f%o")], r#""f%25o""#),
            ("QueryUnescape", vec![st("f%25o")], r#""f%o""#),
            ("URL", vec![st("/foo/bar")], "true"),
            (
                "URL",
                vec![st("%")],
                r#"error: parse "%": invalid URL escape "%""#,
            ),
            ("AbsURL", vec![st("/foo/bar")], "error: URL is not absolute"),
            ("AbsURL", vec![st("https://foo.com/bar")], "true"),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args.clone()), want, "{name}({args:?})");
        }
    }
}
