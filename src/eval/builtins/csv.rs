//! The `encoding/csv` package: `Encode` (a list of records to RFC 4180 text, as Go's
//! `csv.Writer`) and `Decode` (text to a list of records of strings, as Go's `csv.Reader` with
//! its defaults). Invariant: errors carry Go's messages with line and column.

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::Value;

type R = Result<Value, BuiltinError>;

const P: &str = "encoding/csv";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Decode", 1, decode),
    builtin!(P, "Encode", 1, encode),
];

/// Whether Go's writer quotes the field.
fn needs_quotes(f: &str) -> bool {
    if f.is_empty() {
        return false;
    }
    if f == "\\." {
        return true;
    }
    if f.bytes().any(|c| matches!(c, b'\n' | b'\r' | b'"' | b',')) {
        return true;
    }
    f.chars().next().is_some_and(|c| c.is_whitespace())
}

fn encode(args: &[Value]) -> R {
    let a = Args::new(args, "csv.Encode");
    let not_list = |v: &Value| {
        a.fail(format!(
            "error in call to encoding/csv.Encode: cannot use value {} (type {}) as list",
            super::show(v),
            v.kind_name()
        ))
    };
    let rows = match a.get(0)? {
        Value::List(l) => l,
        v => return Err(not_list(v)),
    };
    let mut out = String::new();
    for row in rows {
        let Value::List(fields) = row else {
            return Err(not_list(row));
        };
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let text = match f {
                Value::Str(s) => s.clone(),
                other => crate::export::json::to_compact(other),
            };
            if needs_quotes(&text) {
                out.push('"');
                out.push_str(&text.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&text);
            }
        }
        out.push('\n');
        if out.len() > super::MAX_ELEMS {
            return Err(a.fail("result too large"));
        }
    }
    Ok(Value::Str(out))
}

/// Go's `csv.ParseError` text.
fn parse_error(start: usize, line: usize, col: usize, what: &str) -> String {
    if start != line {
        format!("record on line {start}; parse error on line {line}, column {col}: {what}")
    } else {
        format!("parse error on line {line}, column {col}: {what}")
    }
}

const ERR_QUOTE: &str = "extraneous or missing \" in quoted-field";
const ERR_BARE_QUOTE: &str = "bare \" in non-quoted-field";

/// Go's `csv.Reader` line reading: each line ends in `\n` (one is added at the end of the
/// input), `\r\n` becomes `\n`.
struct Lines<'a> {
    rest: &'a [u8],
    num: usize,
}

impl<'a> Lines<'a> {
    fn next_line(&mut self) -> Option<Vec<u8>> {
        if self.rest.is_empty() {
            return None;
        }
        let end = self
            .rest
            .iter()
            .position(|c| *c == b'\n')
            .map_or(self.rest.len(), |i| i + 1);
        let mut line = self.rest[..end].to_vec();
        self.rest = &self.rest[end..];
        self.num += 1;
        if line.last() != Some(&b'\n') {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            line.push(b'\n');
        }
        let n = line.len();
        if n >= 2 && line[n - 2] == b'\r' {
            line.truncate(n - 2);
            line.push(b'\n');
        }
        Some(line)
    }
}

fn len_nl(b: &[u8]) -> usize {
    usize::from(b.last() == Some(&b'\n'))
}

/// One record, or `None` at the end of the input.
fn read_record(lines: &mut Lines) -> Result<Option<(usize, Vec<String>)>, String> {
    let mut line = loop {
        match lines.next_line() {
            None => return Ok(None),
            Some(l) if l.len() == len_nl(&l) => continue,
            Some(l) => break l,
        }
    };
    let rec_line = lines.num;
    let (mut pos_line, mut col) = (lines.num, 1usize);
    let mut fields = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    // The unread part of `line` starts at `at`.
    let mut at = 0;
    'field: loop {
        let l = &line[at..];
        if l.first() != Some(&b'"') {
            let i = l.iter().position(|c| *c == b',');
            let field = match i {
                Some(i) => &l[..i],
                None => &l[..l.len() - len_nl(l)],
            };
            if let Some(j) = field.iter().position(|c| *c == b'"') {
                return Err(parse_error(rec_line, lines.num, col + j, ERR_BARE_QUOTE));
            }
            fields.push(String::from_utf8_lossy(field).into_owned());
            match i {
                Some(i) => {
                    at += i + 1;
                    col += i + 1;
                    continue 'field;
                }
                None => break 'field,
            }
        }
        at += 1;
        col += 1;
        loop {
            let l = &line[at..];
            if let Some(i) = l.iter().position(|c| *c == b'"') {
                cur.extend_from_slice(&l[..i]);
                at += i + 1;
                col += i + 1;
                let l = &line[at..];
                match l.first() {
                    Some(b'"') => {
                        cur.push(b'"');
                        at += 1;
                        col += 1;
                    }
                    Some(b',') => {
                        at += 1;
                        col += 1;
                        fields
                            .push(String::from_utf8_lossy(&std::mem::take(&mut cur)).into_owned());
                        continue 'field;
                    }
                    _ if len_nl(l) == l.len() => {
                        fields
                            .push(String::from_utf8_lossy(&std::mem::take(&mut cur)).into_owned());
                        break 'field;
                    }
                    _ => {
                        return Err(parse_error(rec_line, lines.num, col - 1, ERR_QUOTE));
                    }
                }
            } else if !l.is_empty() {
                cur.extend_from_slice(l);
                col += l.len();
                match lines.next_line() {
                    Some(next) => {
                        line = next;
                        pos_line += 1;
                        col = 1;
                    }
                    None => line = Vec::new(),
                }
                at = 0;
            } else {
                return Err(parse_error(rec_line, pos_line, col, ERR_QUOTE));
            }
        }
    }
    Ok(Some((rec_line, fields)))
}

fn decode(args: &[Value]) -> R {
    let a = Args::new(args, "csv.Decode");
    let mut lines = Lines {
        rest: a.bytes(0)?,
        num: 0,
    };
    let mut records = Vec::new();
    let mut want: Option<usize> = None;
    while let Some((line, fields)) = read_record(&mut lines).map_err(|e| a.fail(e))? {
        match want {
            None => want = Some(fields.len()),
            Some(n) if n != fields.len() => {
                return Err(a.fail(format!("record on line {line}: wrong number of fields")))
            }
            _ => {}
        }
        records.push(Value::List(fields.into_iter().map(Value::Str).collect()));
    }
    Ok(Value::List(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<Value, BuiltinError> {
        decode(&[Value::Str(s.into())])
    }

    #[test]
    fn decode_reads_quoted_fields_and_reports_like_go() {
        let v = dec("a,b\n\"c,d\",e\n").unwrap();
        assert_eq!(
            crate::export::json::to_compact(&v),
            r#"[["a","b"],["c,d","e"]]"#
        );
        assert_eq!(
            dec("a,\"b\n"),
            Err(super::super::msg(
                "parse error on line 1, column 6: extraneous or missing \" in quoted-field"
            ))
        );
        assert_eq!(
            dec("a b\"c\n"),
            Err(super::super::msg(
                "parse error on line 1, column 4: bare \" in non-quoted-field"
            ))
        );
    }
}
