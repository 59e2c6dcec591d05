//! The `uuid` package (RFC 4122, as CUE's wraps github.com/google/uuid): `Valid`, `Parse`,
//! `URN`, `FromInt`, `ToInt`, `Variant`, `Version`, name-based `SHA1` (version 5) and `MD5`
//! (version 3), and the `ns` name spaces. Invariant: parsing accepts exactly google/uuid's
//! four forms and fails with its messages.

use super::{builtin, int_value, Args, Builtin, BuiltinError};
use crate::value::Value;
use indexmap::IndexMap;
use num_bigint::{BigInt, Sign};
use sha2::Digest;

type R = Result<Value, BuiltinError>;

const P: &str = "uuid";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "FromInt", 1, from_int),
    builtin!(P, "MD5", 2, |a| named(a, "uuid.MD5", 3)),
    builtin!(P, "Parse", 1, parse),
    builtin!(P, "SHA1", 2, |a| named(a, "uuid.SHA1", 5)),
    builtin!(P, "ToInt", 1, to_int),
    builtin!(P, "URN", 1, urn),
    builtin!(P, "Valid", 1, valid, validator),
    builtin!(P, "Variant", 1, variant),
    builtin!(P, "Version", 1, version),
];

/// `uuid.ns`: the name spaces of RFC 4122, appendix C, and the nil UUID.
pub(super) fn consts(name: &str) -> Option<Value> {
    if name != "ns" {
        return None;
    }
    let mut m = IndexMap::new();
    for (k, v) in [
        ("DNS", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        ("URL", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
        ("OID", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"),
        ("X500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
        ("Nil", "00000000-0000-0000-0000-000000000000"),
    ] {
        m.insert(k.to_string(), Value::Str(v.to_string()));
    }
    Some(Value::Struct(m))
}

/// google/uuid's `Parse`: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, with a `urn:uuid:` prefix,
/// in braces (any two enclosing bytes), or 32 hex digits.
fn parse_uuid(s: &str) -> Result<[u8; 16], String> {
    let b = s.as_bytes();
    let format = || "invalid UUID format".to_string();
    let hex = |hi: u8, lo: u8| -> Option<u8> {
        let h = (hi as char).to_digit(16)?;
        let l = (lo as char).to_digit(16)?;
        Some((h * 16 + l) as u8)
    };
    let mut out = [0u8; 16];
    let body = match b.len() {
        36 => b,
        45 => {
            if !b[..9].eq_ignore_ascii_case(b"urn:uuid:") {
                return Err(format!(
                    "invalid urn prefix: {}",
                    super::strconv::go_quote(&String::from_utf8_lossy(&b[..9]), false)
                ));
            }
            &b[9..]
        }
        38 => &b[1..37],
        32 => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = hex(b[2 * i], b[2 * i + 1]).ok_or_else(format)?;
            }
            return Ok(out);
        }
        n => return Err(format!("invalid UUID length: {n}")),
    };
    if body[8] != b'-' || body[13] != b'-' || body[18] != b'-' || body[23] != b'-' {
        return Err(format());
    }
    for (i, x) in [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]
        .iter()
        .enumerate()
    {
        out[i] = hex(body[*x], body[x + 1]).ok_or_else(format)?;
    }
    Ok(out)
}

fn to_string(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn arg_uuid(a: &Args, i: usize) -> Result<[u8; 16], BuiltinError> {
    parse_uuid(a.str(i)?).map_err(|e| a.fail(e))
}

fn valid(args: &[Value]) -> R {
    let a = Args::new(args, "uuid.Valid");
    arg_uuid(&a, 0)?;
    Ok(Value::Bool(true))
}

fn parse(args: &[Value]) -> R {
    let a = Args::new(args, "uuid.Parse");
    Ok(Value::Str(to_string(&arg_uuid(&a, 0)?)))
}

fn urn(args: &[Value]) -> R {
    let a = Args::new(args, "uuid.URN");
    Ok(Value::Str(format!(
        "urn:uuid:{}",
        to_string(&arg_uuid(&a, 0)?)
    )))
}

fn variant(args: &[Value]) -> R {
    let a = Args::new(args, "uuid.Variant");
    let u = arg_uuid(&a, 0)?;
    // google/uuid's Variant values: Invalid 0, RFC4122 1, Reserved 2, Microsoft 3, Future 4.
    let v = match u[8] {
        b if b & 0xc0 == 0x80 => 1,
        b if b & 0xe0 == 0xc0 => 3,
        b if b & 0xe0 == 0xe0 => 4,
        _ => 2,
    };
    Ok(Value::int(v))
}

fn version(args: &[Value]) -> R {
    let a = Args::new(args, "uuid.Version");
    Ok(Value::int((arg_uuid(&a, 0)?[6] >> 4) as i64))
}

/// A name-based UUID: the digest of the name space's bytes and the data, with the version
/// and the RFC 4122 variant bits set.
fn named(args: &[Value], fname: &'static str, ver: u8) -> R {
    let a = Args::new(args, fname);
    let space = arg_uuid(&a, 0)?;
    let data = match a.get(1)? {
        Value::Bytes(b) => b.as_slice(),
        Value::Str(s) => s.as_bytes(),
        v => {
            return Err(super::msg(format!(
                "cannot use {} (type {}) as (string|bytes) in argument 2 to {fname}",
                super::show(v),
                v.kind_name()
            )))
        }
    };
    let digest: Vec<u8> = if ver == 5 {
        let mut h = sha1::Sha1::new();
        h.update(space);
        h.update(data);
        h.finalize().to_vec()
    } else {
        let mut h = md5::Md5::new();
        h.update(space);
        h.update(data);
        h.finalize().to_vec()
    };
    let mut u = [0u8; 16];
    u.copy_from_slice(&digest[..16]);
    u[6] = (u[6] & 0x0f) | (ver << 4);
    u[8] = (u[8] & 0x3f) | 0x80;
    Ok(Value::Str(to_string(&u)))
}

fn from_int(args: &[Value]) -> R {
    let a = Args::new(args, "uuid.FromInt");
    // Go's big.Int.Bytes: the magnitude, big-endian.
    let (_, bytes) = a.bigint(0)?.to_bytes_be();
    let bytes = if bytes == [0] { Vec::new() } else { bytes };
    if bytes.len() > 16 {
        return Err(a.fail(format!("invalid UUID (got {} bytes)", bytes.len())));
    }
    let mut u = [0u8; 16];
    u[16 - bytes.len()..].copy_from_slice(&bytes);
    Ok(Value::Str(to_string(&u)))
}

/// CUE's `ToInt`: the string's bytes read as one big-endian number.
fn to_int(args: &[Value]) -> R {
    let a = Args::new(args, "uuid.ToInt");
    Ok(int_value(BigInt::from_bytes_be(
        Sign::Plus,
        a.str(0)?.as_bytes(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_based_uuids_match_rfc_4122() {
        let dns = Value::Str("6ba7b810-9dad-11d1-80b4-00c04fd430c8".into());
        let name = Value::Str("example.com".into());
        assert_eq!(
            named(&[dns, name], "uuid.SHA1", 5).unwrap(),
            Value::Str("cfbff0d1-9375-5685-968c-48ce8b15ae17".into())
        );
    }

    #[test]
    fn parse_accepts_googles_forms() {
        let want = parse_uuid("f47ac10b-58cc-0372-8567-0e02b2c3d479").unwrap();
        for s in [
            "urn:uuid:f47ac10b-58cc-0372-8567-0e02b2c3d479",
            "{f47ac10b-58cc-0372-8567-0e02b2c3d479}",
            "f47ac10b58cc037285670e02b2c3d479",
            "F47AC10B-58CC-0372-8567-0E02B2C3D479",
        ] {
            assert_eq!(parse_uuid(s).unwrap(), want, "{s}");
        }
        assert_eq!(parse_uuid("xyz").unwrap_err(), "invalid UUID length: 3");
    }
}
