//! JSON as `cue export` prints it: 4-space indent, no HTML escaping, numbers as written, bytes
//! as base64. Invariant: field order is the value's order.

use crate::value::{DataSink, Scalar, Value};
use base64::Engine;
use std::fmt::Write as _;

pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v, 0);
    out.push('\n');
    out
}

/// Compact JSON (no whitespace), as `json.Marshal` produces.
pub fn to_compact(v: &Value) -> String {
    let mut out = String::new();
    write_compact(&mut out, v);
    out
}

/// Writes the same text as `to_string` from data events (`eval::export_to`), without a `Value`
/// tree in between.
pub struct JsonWriter {
    out: String,
    /// Open containers: (is a list, values written so far).
    open: Vec<(bool, usize)>,
    /// Quoted field names followed by `": "`, by symbol (`field_sym`): most names repeat.
    keys: Vec<Option<Box<str>>>,
    /// Output length at which to make room ahead again (`room_ahead`): first one step in,
    /// so that small outputs never need it.
    next_mark: usize,
}

/// Output bytes between two requests to fault in the next part of the buffer ahead of use.
const ROOM_STEP: usize = 1 << 20;

impl JsonWriter {
    pub fn new() -> JsonWriter {
        JsonWriter {
            out: String::new(),
            open: Vec::new(),
            keys: Vec::new(),
            next_mark: ROOM_STEP,
        }
    }

    /// The text, with the final newline `to_string` adds.
    pub fn finish(mut self) -> String {
        self.out.push('\n');
        self.out
    }

    /// Reserves the next part of the output and has its pages faulted in on another core
    /// (`alloc::prefault`) before they are written.
    #[cold]
    fn room_ahead(&mut self) {
        self.out.reserve(4 * ROOM_STEP);
        let len = self.out.len();
        let ahead = (self.out.capacity() - len).min(4 * ROOM_STEP);
        // SAFETY: `len <= capacity`: the pointer stays inside the allocation.
        let spare = unsafe { self.out.as_ptr().add(len) };
        crate::alloc::prefault(spare, ahead);
        self.next_mark = len + ROOM_STEP;
    }

    /// Starts the next entry of the innermost container on its own line.
    fn next_entry(&mut self) {
        let depth = self.open.len();
        if let Some((_, n)) = self.open.last_mut() {
            if *n > 0 {
                self.out.push(',');
            }
            *n += 1;
            self.out.push('\n');
            indent(&mut self.out, depth);
        }
    }

    /// A value is about to be written: list elements start a new entry (struct fields did in
    /// `field`).
    fn value(&mut self) {
        if let Some((true, _)) = self.open.last() {
            self.next_entry();
        }
    }

    fn close(&mut self, bracket: char) {
        if let Some((_, n)) = self.open.pop() {
            if n > 0 {
                self.out.push('\n');
                indent(&mut self.out, self.open.len());
            }
        }
        self.out.push(bracket);
    }
}

impl Default for JsonWriter {
    fn default() -> JsonWriter {
        JsonWriter::new()
    }
}

impl DataSink for JsonWriter {
    fn scalar(&mut self, s: Scalar) {
        self.value();
        let out = &mut self.out;
        match s {
            Scalar::Null => out.push_str("null"),
            Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            // Integers that fit in 64 bits skip big-number formatting.
            Scalar::Num(n) => match n.to_i64().filter(|_| n.is_int()) {
                Some(i) => push_int(out, i),
                None => {
                    let _ = write!(out, "{n}");
                }
            },
            Scalar::Str(s) => quote(out, s),
            Scalar::Bytes(b) => quote(out, &base64::engine::general_purpose::STANDARD.encode(b)),
        }
    }

    fn begin_struct(&mut self) {
        if self.out.len() >= self.next_mark {
            self.room_ahead();
        }
        self.value();
        self.out.push('{');
        self.open.push((false, 0));
    }

    fn field(&mut self, name: &str) {
        self.next_entry();
        quote(&mut self.out, name);
        self.out.push_str(": ");
    }

    fn field_sym(&mut self, sym: u32, name: &str) {
        self.next_entry();
        let i = sym as usize;
        if self.keys.len() <= i {
            self.keys.resize(i + 1, None);
        }
        let key = self.keys[i].get_or_insert_with(|| {
            let mut k = String::with_capacity(name.len() + 4);
            quote(&mut k, name);
            k.push_str(": ");
            k.into_boxed_str()
        });
        self.out.push_str(key);
    }

    fn field_known(&mut self, sym: u32) -> bool {
        if !matches!(self.keys.get(sym as usize), Some(Some(_))) {
            return false;
        }
        self.next_entry();
        if let Some(Some(key)) = self.keys.get(sym as usize) {
            self.out.push_str(key);
        }
        true
    }

    fn end_struct(&mut self) {
        self.close('}');
    }

    fn begin_list(&mut self) {
        self.value();
        self.out.push('[');
        self.open.push((true, 0));
    }

    fn end_list(&mut self) {
        self.close(']');
    }
}

fn indent(out: &mut String, n: usize) {
    // One copy for the usual depths instead of one per level.
    const SPACES: &str = "                                                                ";
    let mut left = 4 * n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// Appends the decimal text of `i` (what `write!(out, "{i}")` writes, without the formatting
/// machinery: most numbers in configurations are small integers).
fn push_int(out: &mut String, i: i64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    // The buffer holds ASCII digits only.
    out.push_str(std::str::from_utf8(&buf[pos..]).unwrap_or_default());
}

fn write(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::List(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, x) in items.iter().enumerate() {
                indent(out, depth + 1);
                write(out, x, depth + 1);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, depth);
            out.push(']');
        }
        Value::Struct(m) if !m.is_empty() => {
            out.push_str("{\n");
            for (i, (k, x)) in m.iter().enumerate() {
                indent(out, depth + 1);
                quote(out, k);
                out.push_str(": ");
                write(out, x, depth + 1);
                if i + 1 < m.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, depth);
            out.push('}');
        }
        other => write_compact(out, other),
    }
}

/// Compact JSON of a struct's fields, without building the struct.
pub fn to_compact_fields(m: &indexmap::IndexMap<String, Value>) -> String {
    let mut out = String::new();
    write_compact_fields(&mut out, m);
    out
}

fn write_compact_fields(out: &mut String, m: &indexmap::IndexMap<String, Value>) {
    out.push('{');
    for (i, (k, x)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        quote(out, k);
        out.push(':');
        write_compact(out, x);
    }
    out.push('}');
}

fn write_compact(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(n) => out.push_str(&n.to_string()),
        Value::Str(s) => quote(out, s),
        Value::Bytes(b) => quote(out, &base64::engine::general_purpose::STANDARD.encode(b)),
        Value::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(out, x);
            }
            out.push(']');
        }
        Value::Struct(m) => write_compact_fields(out, m),
    }
}

/// Whether `b` holds a byte that `quote` may have to escape: a control character, `"`, `\\`
/// or 0xE2 (the first byte of U+2028 and U+2029). Eight bytes at a time: the output is
/// mostly strings, and this scan is most of the cost of writing one.
fn needs_escape(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether some byte of `x` is zero, resp. below 0x20. Exact: the high bit of a byte
    // is set by a borrow only when a lower byte is a real hit.
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let hit = |x: u64| {
        x.wrapping_sub(0x20 * ONES) & !x & HIGH != 0
            || has_zero(x ^ (u64::from(b'"') * ONES))
            || has_zero(x ^ (u64::from(b'\\') * ONES))
            || has_zero(x ^ (0xE2 * ONES))
    };
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        if hit(u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))) {
            return true;
        }
    }
    // The last 0-7 bytes, padded with a byte that needs no escape.
    let mut tail = [b'a'; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    hit(u64::from_le_bytes(tail))
}

/// A JSON string literal, escaped as Go's encoder does with HTML escaping off.
pub fn quote(out: &mut String, s: &str) {
    out.push('"');
    // Most strings need no escape: copy them whole. (U+2028 and U+2029 start with 0xE2.)
    if !needs_escape(s.as_bytes()) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut done = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[done..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(esc);
        }
        done = i + c.len_utf8();
    }
    out.push_str(&s[done..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    #[test]
    fn field_names_by_symbol_are_quoted_once_and_written_each_time() {
        let mut w = JsonWriter::new();
        w.begin_struct();
        w.field_sym(3, "a\"b");
        w.begin_struct();
        w.field_sym(3, "a\"b");
        w.scalar(Scalar::Bool(true));
        w.end_struct();
        w.field_sym(0, "c");
        w.scalar(Scalar::Null);
        w.end_struct();
        assert_eq!(
            w.finish(),
            "{\n    \"a\\\"b\": {\n        \"a\\\"b\": true\n    },\n    \"c\": null\n}\n"
        );
    }

    #[test]
    fn a_known_field_is_written_as_field_sym_writes_it() {
        let mut w = JsonWriter::new();
        w.begin_struct();
        // Not met yet: nothing written, the caller gives the name.
        assert!(!w.field_known(3));
        w.field_sym(3, "a\"b");
        w.begin_struct();
        assert!(w.field_known(3));
        w.scalar(Scalar::Bool(true));
        assert!(!w.field_known(7));
        w.field_sym(7, "c");
        w.scalar(Scalar::Null);
        w.end_struct();
        w.end_struct();
        assert_eq!(
            w.finish(),
            "{\n    \"a\\\"b\": {\n        \"a\\\"b\": true,\n        \"c\": null\n    }\n}\n"
        );
    }

    #[test]
    fn needs_escape_agrees_with_a_byte_scan() {
        let slow = |b: &[u8]| {
            b.iter()
                .any(|&b| b < 0x20 || b == b'"' || b == b'\\' || b == 0xE2)
        };
        for byte in 0..=255u8 {
            for len in 1..20 {
                for at in 0..len {
                    // Neighbours that would borrow or carry (0xff, 0x20) must not hide or fake
                    // a hit.
                    for fill in [b'a', 0xff, 0x20] {
                        let mut b = vec![fill; len];
                        b[at] = byte;
                        assert_eq!(
                            needs_escape(&b),
                            slow(&b),
                            "{byte:#x} at {at} of {len}, among {fill:#x}"
                        );
                    }
                }
            }
        }
    }

    fn feed(v: &Value, w: &mut JsonWriter) {
        match v {
            Value::Null => w.scalar(Scalar::Null),
            Value::Bool(b) => w.scalar(Scalar::Bool(*b)),
            Value::Num(n) => w.scalar(Scalar::Num(n)),
            Value::Str(s) => w.scalar(Scalar::Str(s)),
            Value::Bytes(b) => w.scalar(Scalar::Bytes(b)),
            Value::List(items) => {
                w.begin_list();
                for x in items {
                    feed(x, w);
                }
                w.end_list();
            }
            Value::Struct(m) => {
                w.begin_struct();
                for (k, x) in m {
                    w.field(k);
                    feed(x, w);
                }
                w.end_struct();
            }
        }
    }

    #[test]
    fn writer_matches_to_string() {
        let mut inner = IndexMap::new();
        inner.insert(
            "e\"s\\c\u{1}\u{2028}é".to_string(),
            Value::Str("x\ny\t\"".into()),
        );
        inner.insert("empty".to_string(), Value::Struct(IndexMap::new()));
        inner.insert("nil".to_string(), Value::List(vec![]));
        let mut m = IndexMap::new();
        m.insert("a".to_string(), Value::int(1));
        for (k, i) in [("z", 0), ("n", -42), ("max", i64::MAX), ("min", i64::MIN)] {
            m.insert(k.to_string(), Value::int(i));
        }
        m.insert(
            "l".to_string(),
            Value::List(vec![
                Value::Null,
                Value::Bool(true),
                Value::Struct(inner.clone()),
                Value::List(vec![Value::Bytes(b"hi".to_vec())]),
            ]),
        );
        m.insert("s".to_string(), Value::Struct(inner));
        for v in [
            Value::Struct(m),
            Value::List(vec![]),
            Value::Struct(IndexMap::new()),
            Value::Str("plain".into()),
        ] {
            let mut w = JsonWriter::new();
            feed(&v, &mut w);
            assert_eq!(w.finish(), to_string(&v));
        }
    }
}
