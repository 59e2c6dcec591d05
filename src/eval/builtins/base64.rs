//! The `encoding/base64` package: standard padded base64. CUE's functions take an encoding
//! first, which must be `null` (the standard encoding). Invariant: decoding ignores `\r` and
//! `\n` as Go does, and reports the offset of the first bad byte.

use super::{builtin, int_value, Args, Builtin, BuiltinError};
use crate::value::Value;
use base64::Engine;

type R = Result<Value, BuiltinError>;

const P: &str = "encoding/base64";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Decode", 2, decode),
    builtin!(P, "DecodedLen", 2, decoded_len),
    builtin!(P, "Encode", 2, encode),
    builtin!(P, "EncodedLen", 2, encoded_len),
];

fn check_encoding(a: &Args) -> Result<(), BuiltinError> {
    match a.get(0)? {
        Value::Null => Ok(()),
        _ => Err(a.fail("base64: unsupported encoding")),
    }
}

fn encode(args: &[Value]) -> R {
    let a = Args::new(args, "base64.Encode");
    check_encoding(&a)?;
    Ok(Value::Str(
        base64::engine::general_purpose::STANDARD.encode(a.bytes(1)?),
    ))
}

fn decode(args: &[Value]) -> R {
    let a = Args::new(args, "base64.Decode");
    check_encoding(&a)?;
    let s: Vec<u8> = a
        .bytes(1)?
        .iter()
        .copied()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&s)
        .map(Value::Bytes)
        .map_err(|e| {
            let at = match e {
                base64::DecodeError::InvalidByte(i, _) => i,
                base64::DecodeError::InvalidLastSymbol(i, _) => i,
                base64::DecodeError::InvalidLength(n) => n - n % 4,
                base64::DecodeError::InvalidPadding => s.len().saturating_sub(1),
            };
            a.fail(format!("illegal base64 data at input byte {at}"))
        })
}

fn encoded_len(args: &[Value]) -> R {
    let a = Args::new(args, "base64.EncodedLen");
    check_encoding(&a)?;
    let n = a.i64(1)?;
    if n < 0 {
        return Err(a.fail("negative length"));
    }
    Ok(int_value((n as i128 + 2) / 3 * 4))
}

fn decoded_len(args: &[Value]) -> R {
    let a = Args::new(args, "base64.DecodedLen");
    check_encoding(&a)?;
    let n = a.i64(1)?;
    if n < 0 {
        return Err(a.fail("negative length"));
    }
    Ok(int_value(n / 4 * 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let st = |s: &str| Value::Str(s.into());
        assert_eq!(encode(&[Value::Null, st("foo")]), Ok(st("Zm9v")));
        assert_eq!(
            encode(&[Value::Null, Value::Bytes(vec![0xff])]),
            Ok(st("/w=="))
        );
        assert_eq!(
            decode(&[Value::Null, st("Zm9v\n")]),
            Ok(Value::Bytes(b"foo".to_vec()))
        );
        assert_eq!(
            decode(&[Value::Null, st("Zm9$")]),
            Err(BuiltinError::Msg(
                "illegal base64 data at input byte 3".into()
            ))
        );
        assert!(encode(&[Value::int(1), st("x")]).is_err());
        assert_eq!(
            encoded_len(&[Value::Null, Value::int(4)]),
            Ok(Value::int(8))
        );
        assert_eq!(
            decoded_len(&[Value::Null, Value::int(8)]),
            Ok(Value::int(6))
        );
    }
}
