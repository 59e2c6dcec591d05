//! The digest packages `crypto/sha256`, `crypto/sha512`, `crypto/sha1` and `crypto/md5`: each
//! `Sum…` takes bytes or a string and returns the digest as bytes, with the packages' `Size`
//! and `BlockSize` constants. Invariant: the digests are RustCrypto's, byte for byte Go's.

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::Value;
use sha2::Digest;

type R = Result<Value, BuiltinError>;

fn sum<D: Digest>(args: &[Value], name: &'static str) -> R {
    let a = Args::new(args, name);
    Ok(Value::Bytes(D::digest(a.bytes(0)?).to_vec()))
}

pub(super) static SHA256: &[Builtin] = &[
    builtin!("crypto/sha256", "Sum224", 1, |a| sum::<sha2::Sha224>(
        a,
        "sha256.Sum224"
    )),
    builtin!("crypto/sha256", "Sum256", 1, |a| sum::<sha2::Sha256>(
        a,
        "sha256.Sum256"
    )),
];

pub(super) fn sha256_consts(name: &str) -> Option<Value> {
    match name {
        "Size" => Some(Value::int(32)),
        "Size224" => Some(Value::int(28)),
        "BlockSize" => Some(Value::int(64)),
        _ => None,
    }
}

pub(super) static SHA512: &[Builtin] = &[
    builtin!("crypto/sha512", "Sum384", 1, |a| sum::<sha2::Sha384>(
        a,
        "sha512.Sum384"
    )),
    builtin!("crypto/sha512", "Sum512", 1, |a| sum::<sha2::Sha512>(
        a,
        "sha512.Sum512"
    )),
    builtin!("crypto/sha512", "Sum512_224", 1, |a| {
        sum::<sha2::Sha512_224>(a, "sha512.Sum512_224")
    }),
    builtin!("crypto/sha512", "Sum512_256", 1, |a| {
        sum::<sha2::Sha512_256>(a, "sha512.Sum512_256")
    }),
];

pub(super) fn sha512_consts(name: &str) -> Option<Value> {
    match name {
        "Size" => Some(Value::int(64)),
        "Size224" => Some(Value::int(28)),
        "Size256" => Some(Value::int(32)),
        "Size384" => Some(Value::int(48)),
        "BlockSize" => Some(Value::int(128)),
        _ => None,
    }
}

pub(super) static SHA1: &[Builtin] = &[builtin!("crypto/sha1", "Sum", 1, |a| {
    sum::<sha1::Sha1>(a, "sha1.Sum")
})];

pub(super) fn sha1_consts(name: &str) -> Option<Value> {
    match name {
        "Size" => Some(Value::int(20)),
        "BlockSize" => Some(Value::int(64)),
        _ => None,
    }
}

pub(super) static MD5: &[Builtin] = &[builtin!("crypto/md5", "Sum", 1, |a| {
    sum::<md5::Md5>(a, "md5.Sum")
})];

pub(super) fn md5_consts(name: &str) -> Option<Value> {
    match name {
        "Size" => Some(Value::int(16)),
        "BlockSize" => Some(Value::int(64)),
        _ => None,
    }
}
