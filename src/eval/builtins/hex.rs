//! The `encoding/hex` package: lower-case hex encoding, decoding and Go's `hex.Dump` layout.
//! Invariant: decoding errors name the offending byte as Go does.

use super::{builtin, int_value, Args, Builtin, BuiltinError};
use crate::value::Value;

type R = Result<Value, BuiltinError>;

const P: &str = "encoding/hex";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Decode", 1, decode),
    builtin!(P, "DecodedLen", 1, decoded_len),
    builtin!(P, "Dump", 1, dump),
    builtin!(P, "Encode", 1, encode),
    builtin!(P, "EncodedLen", 1, encoded_len),
];

fn encode(args: &[Value]) -> R {
    let a = Args::new(args, "hex.Encode");
    Ok(Value::Str(
        a.bytes(0)?.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

fn decode(args: &[Value]) -> R {
    let a = Args::new(args, "hex.Decode");
    let s = a.str(0)?;
    let digit = |c: char| {
        c.to_digit(16).ok_or_else(|| {
            a.fail(format!(
                "encoding/hex: invalid byte: U+{:04X} {c:?}",
                c as u32
            ))
        })
    };
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::with_capacity(chars.len() / 2);
    for pair in chars.chunks(2) {
        match pair {
            [h, l] => out.push((digit(*h)? * 16 + digit(*l)?) as u8),
            [h] => {
                digit(*h)?;
                return Err(a.fail("encoding/hex: odd length hex string"));
            }
            _ => {}
        }
    }
    Ok(Value::Bytes(out))
}

fn encoded_len(args: &[Value]) -> R {
    let a = Args::new(args, "hex.EncodedLen");
    Ok(int_value(a.i64(0)? as i128 * 2))
}

fn decoded_len(args: &[Value]) -> R {
    let a = Args::new(args, "hex.DecodedLen");
    Ok(int_value(a.i64(0)? / 2))
}

/// `hexdump -C` layout: offset, 16 bytes in two groups of 8, the printable characters.
fn dump(args: &[Value]) -> R {
    let a = Args::new(args, "hex.Dump");
    let data = a.bytes(0)?;
    let mut out = String::new();
    for (n, line) in data.chunks(16).enumerate() {
        out.push_str(&format!("{:08x}  ", n * 16));
        for i in 0..16 {
            match line.get(i) {
                Some(b) => out.push_str(&format!("{b:02x} ")),
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        out.extend(line.iter().map(|b| {
            if (32..=126).contains(b) {
                *b as char
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
    Ok(Value::Str(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let st = |s: &str| Value::Str(s.into());
        assert_eq!(encode(&[st("Hi!")]), Ok(st("486921")));
        assert_eq!(decode(&[st("486921")]), Ok(Value::Bytes(b"Hi!".to_vec())));
        assert_eq!(
            decode(&[st("48g")]),
            Err(BuiltinError::Msg(
                "encoding/hex: invalid byte: U+0067 'g'".into()
            ))
        );
        assert_eq!(
            decode(&[st("486")]),
            Err(BuiltinError::Msg(
                "encoding/hex: odd length hex string".into()
            ))
        );
        assert_eq!(
            dump(&[st("Go is an open source programming language.")]),
            Ok(st(concat!(
                "00000000  47 6f 20 69 73 20 61 6e  20 6f 70 65 6e 20 73 6f  |Go is an open so|\n",
                "00000010  75 72 63 65 20 70 72 6f  67 72 61 6d 6d 69 6e 67  |urce programming|\n",
                "00000020  20 6c 61 6e 67 75 61 67  65 2e                    | language.|\n",
            )))
        );
    }
}
