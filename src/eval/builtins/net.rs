//! The `net` package: IP address and CIDR validators and conversions with Go `net/netip`
//! semantics (an IPv4-mapped IPv6 address is IPv6; predicates look through the mapping). Host,
//! port, FQDN and URL functions of the same package live in `host.rs`. Invariant: addresses are
//! parsed once into [`Addr`] and printed back in Go's canonical form (RFC 5952 for IPv6).

use super::{builtin, int_value, show, Args, Builtin, BuiltinError};
use crate::value::Value;
use indexmap::IndexMap;
use num_bigint::{BigInt, Sign};
use std::net::{Ipv4Addr, Ipv6Addr};

type R = Result<Value, BuiltinError>;

const P: &str = "net";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "AddIP", 2, add_ip),
    builtin!(P, "AddIPCIDR", 2, add_ip_cidr),
    builtin!(P, "CompareIP", 2, compare_ip),
    builtin!(
        P,
        "GlobalUnicastIP",
        1,
        |a| pred(a, "net.GlobalUnicastIP", Addr::is_global_unicast),
        validator
    ),
    builtin!(P, "IP", 1, |a| family(a, "net.IP", |_| true), validator),
    builtin!(P, "IPCIDR", 1, ip_cidr, validator),
    builtin!(P, "IPString", 1, ip_string),
    builtin!(
        P,
        "IPv4",
        1,
        |a| family(a, "net.IPv4", |x| matches!(x, Addr::V4(_))),
        validator
    ),
    builtin!(
        P,
        "IPv6",
        1,
        |a| family(a, "net.IPv6", |x| matches!(x, Addr::V6(..))),
        validator
    ),
    builtin!(P, "InCIDR", 2, in_cidr, validator),
    builtin!(
        P,
        "InterfaceLocalMulticastIP",
        1,
        |a| pred(a, "net.InterfaceLocalMulticastIP", |x| x
            .v6_prefix(0xff01, 16)),
        validator
    ),
    builtin!(
        P,
        "LinkLocalMulticastIP",
        1,
        |a| pred(a, "net.LinkLocalMulticastIP", Addr::is_link_local_multicast),
        validator
    ),
    builtin!(
        P,
        "LinkLocalUnicastIP",
        1,
        |a| pred(a, "net.LinkLocalUnicastIP", Addr::is_link_local_unicast),
        validator
    ),
    builtin!(
        P,
        "LoopbackIP",
        1,
        |a| pred(a, "net.LoopbackIP", Addr::is_loopback),
        validator
    ),
    builtin!(
        P,
        "MulticastIP",
        1,
        |a| pred(a, "net.MulticastIP", Addr::is_multicast),
        validator
    ),
    builtin!(P, "ParseCIDR", 1, parse_cidr),
    builtin!(P, "ParseIP", 1, parse_ip),
    builtin!(P, "ToIP16", 1, to_ip16),
    builtin!(P, "ToIP4", 1, to_ip4),
    builtin!(
        P,
        "UnspecifiedIP",
        1,
        |a| pred(a, "net.UnspecifiedIP", Addr::is_unspecified),
        validator
    ),
];

pub(super) fn consts(name: &str) -> Option<Value> {
    match name {
        "IPv4len" => Some(Value::int(4)),
        "IPv6len" => Some(Value::int(16)),
        _ => None,
    }
}

/// An IP address as `net/netip` holds it: IPv4, or IPv6 with an optional zone.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Addr {
    V4([u8; 4]),
    V6([u8; 16], String),
}

impl Addr {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Addr::V4(b) => b.to_vec(),
            Addr::V6(b, _) => b.to_vec(),
        }
    }

    fn as16(&self) -> [u8; 16] {
        match self {
            Addr::V4(b) => Ipv4Addr::from(*b).to_ipv6_mapped().octets(),
            Addr::V6(b, _) => *b,
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address; other addresses unchanged.
    fn unmap(&self) -> Addr {
        match self {
            Addr::V6(b, _) if b[..10].iter().all(|x| *x == 0) && b[10] == 0xff && b[11] == 0xff => {
                Addr::V4([b[12], b[13], b[14], b[15]])
            }
            other => other.clone(),
        }
    }

    fn v6_prefix(&self, hi: u16, bits: u32) -> bool {
        match self.unmap() {
            Addr::V6(b, _) => {
                let first = u16::from_be_bytes([b[0], b[1]]);
                first >> (16 - bits) == hi >> (16 - bits)
            }
            Addr::V4(_) => false,
        }
    }

    fn is_loopback(&self) -> bool {
        match self.unmap() {
            Addr::V4(b) => b[0] == 127,
            Addr::V6(b, _) => Ipv6Addr::from(b) == Ipv6Addr::LOCALHOST,
        }
    }

    fn is_multicast(&self) -> bool {
        match self.unmap() {
            Addr::V4(b) => b[0] & 0xf0 == 0xe0,
            Addr::V6(b, _) => b[0] == 0xff,
        }
    }

    fn is_link_local_multicast(&self) -> bool {
        match self.unmap() {
            Addr::V4(b) => b[0] == 224 && b[1] == 0 && b[2] == 0,
            v6 => v6.v6_prefix(0xff02, 16),
        }
    }

    fn is_link_local_unicast(&self) -> bool {
        match self.unmap() {
            Addr::V4(b) => b[0] == 169 && b[1] == 254,
            v6 => v6.v6_prefix(0xfe80, 10),
        }
    }

    fn is_unspecified(&self) -> bool {
        match self {
            Addr::V4(b) => *b == [0; 4],
            Addr::V6(b, _) => *b == [0; 16],
        }
    }

    fn is_global_unicast(&self) -> bool {
        let u = self.unmap();
        if let Addr::V4(b) = u {
            if b == [255; 4] {
                return false;
            }
        }
        !self.is_unspecified()
            && !self.is_loopback()
            && !self.is_multicast()
            && !self.is_link_local_unicast()
    }

    fn bit_len(&self) -> u32 {
        match self {
            Addr::V4(_) => 32,
            Addr::V6(..) => 128,
        }
    }

    fn to_int(&self) -> BigInt {
        BigInt::from_bytes_be(Sign::Plus, &self.bytes())
    }

    fn with_bytes(&self, b: &[u8]) -> Addr {
        match self {
            Addr::V4(_) => Addr::V4(b.try_into().unwrap_or([0; 4])),
            Addr::V6(_, z) => Addr::V6(b.try_into().unwrap_or([0; 16]), z.clone()),
        }
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::V4(b) => write!(f, "{}", Ipv4Addr::from(*b)),
            Addr::V6(b, z) => {
                let ip = Ipv6Addr::from(*b);
                // netip prints only IPv4-mapped addresses with a dotted tail.
                let text = match ip.to_ipv4_mapped() {
                    Some(v4) => format!("::ffff:{v4}"),
                    None => {
                        let s = ip.to_string();
                        match s.strip_prefix("::") {
                            // Rust prints IPv4-compatible addresses (::a.b.c.d) dotted; Go does not.
                            Some(rest) if rest.contains('.') => format_v6_hex(b),
                            _ => s,
                        }
                    }
                };
                if z.is_empty() {
                    f.write_str(&text)
                } else {
                    write!(f, "{text}%{z}")
                }
            }
        }
    }
}

/// RFC 5952 form without a dotted tail.
fn format_v6_hex(b: &[u8; 16]) -> String {
    let groups: Vec<u16> = (0..8)
        .map(|i| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]))
        .collect();
    let (mut best, mut best_len, mut i) = (8, 0, 0);
    while i < 8 {
        if groups[i] == 0 {
            let start = i;
            while i < 8 && groups[i] == 0 {
                i += 1;
            }
            if i - start > best_len && i - start >= 2 {
                best = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let hex = |g: &[u16]| {
        g.iter()
            .map(|x| format!("{x:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best_len == 0 {
        return hex(&groups);
    }
    format!(
        "{}::{}",
        hex(&groups[..best]),
        hex(&groups[best + best_len..])
    )
}

/// Go's `netip.ParseAddr`, with its error text.
fn parse_addr(s: &str) -> Result<Addr, String> {
    let err = |why: &str| format!("ParseAddr({}): {why}", super::strconv::go_quote(s, false));
    if s.is_empty() {
        return Err(err("unable to parse IP"));
    }
    if s.contains(':') {
        let (ip, zone) = match s.split_once('%') {
            Some((_, "")) => return Err(err("zone must be a non-empty string")),
            Some((ip, z)) => (ip, z.to_string()),
            None => (s, String::new()),
        };
        return ip
            .parse::<Ipv6Addr>()
            .map(|a| Addr::V6(a.octets(), zone))
            .map_err(|_| err(&v6_reason(ip)));
    }
    if let Ok(a) = s.parse::<Ipv4Addr>() {
        return Ok(Addr::V4(a.octets()));
    }
    Err(err(&v4_reason(s)))
}

fn v4_reason(s: &str) -> String {
    if !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return if s.contains('.') {
            "unexpected character".into()
        } else {
            "unable to parse IP".into()
        };
    }
    let fields: Vec<&str> = s.split('.').collect();
    for f in &fields {
        if f.is_empty() {
            return "IPv4 field must have at least one digit".into();
        }
        if f.len() > 1 && f.starts_with('0') {
            return "IPv4 field has octet with leading zero".into();
        }
        if f.parse::<u32>().map_or(true, |v| v > 255) {
            return "IPv4 field has value >255".into();
        }
    }
    if fields.len() < 4 {
        "IPv4 address too short".into()
    } else {
        "IPv4 address too long".into()
    }
}

fn v6_reason(s: &str) -> String {
    for g in s.split(':') {
        if g.len() > 4 && !g.contains('.') && g.chars().all(|c| c.is_ascii_hexdigit()) {
            return format!(
                "each group must have 4 or less digits (at {})",
                super::strconv::go_quote(g, false)
            );
        }
    }
    if s.matches("::").count() > 1 {
        return "multiple :: in address".into();
    }
    "unable to parse IP".into()
}

/// An IP argument: a string, bytes holding the text, or a list of 4 or 16 byte values. The
/// inner `Err` is a value of an accepted type that is not an address.
pub(super) fn ip_arg(a: &Args, i: usize) -> Result<Result<Addr, String>, BuiltinError> {
    match a.get(i)? {
        Value::Str(s) => Ok(parse_addr(s)),
        Value::Bytes(b) => Ok(parse_addr(&String::from_utf8_lossy(b))),
        Value::List(items) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| match v {
                    Value::Num(n) => n.to_i64().and_then(|x| u8::try_from(x).ok()),
                    _ => None,
                })
                .collect();
            Ok(match bytes.as_deref() {
                Some(b) if b.len() == 4 => Ok(Addr::V4(b.try_into().unwrap_or([0; 4]))),
                Some(b) if b.len() == 16 => {
                    Ok(Addr::V6(b.try_into().unwrap_or([0; 16]), String::new()))
                }
                _ => Err(format!("invalid IP {}", show(a.get(i)?))),
            })
        }
        other => Err(a.fail(format!("invalid type {} for IP address", other.kind_name()))),
    }
}

/// IP, IPv4, IPv6: an unparsable address is an error, the wrong family is `false`.
fn family(args: &[Value], f: &'static str, ok: fn(&Addr) -> bool) -> R {
    let a = Args::new(args, f);
    match ip_arg(&a, 0)? {
        Ok(addr) => Ok(Value::Bool(ok(&addr))),
        Err(m) => Err(a.fail(m)),
    }
}

/// The address predicates: anything that is not an address is simply `false`.
fn pred(args: &[Value], f: &'static str, ok: fn(&Addr) -> bool) -> R {
    let a = Args::new(args, f);
    Ok(Value::Bool(ip_arg(&a, 0)?.is_ok_and(|x| ok(&x))))
}

fn addr_or_fail(a: &Args, i: usize) -> Result<Addr, BuiltinError> {
    ip_arg(a, i)?.map_err(|m| a.fail(m))
}

fn byte_list(b: &[u8]) -> Value {
    Value::List(b.iter().map(|x| int_value(*x)).collect())
}

fn parse_ip(args: &[Value]) -> R {
    let a = Args::new(args, "net.ParseIP");
    let s = a.str(0)?;
    let addr = parse_addr(s).map_err(|_| {
        a.fail(format!(
            "invalid IP address {}",
            super::strconv::go_quote(s, false)
        ))
    })?;
    Ok(byte_list(&addr.bytes()))
}

fn to_ip4(args: &[Value]) -> R {
    let a = Args::new(args, "net.ToIP4");
    match addr_or_fail(&a, 0)? {
        Addr::V4(b) => Ok(byte_list(&b)),
        other => Err(a.fail(format!(
            "cannot convert {} to IPv4",
            super::strconv::go_quote(&other.to_string(), false)
        ))),
    }
}

fn to_ip16(args: &[Value]) -> R {
    let a = Args::new(args, "net.ToIP16");
    Ok(byte_list(&addr_or_fail(&a, 0)?.as16()))
}

fn ip_string(args: &[Value]) -> R {
    let a = Args::new(args, "net.IPString");
    Ok(Value::Str(addr_or_fail(&a, 0)?.to_string()))
}

fn compare_ip(args: &[Value]) -> R {
    let a = Args::new(args, "net.CompareIP");
    let (x, y) = (addr_or_fail(&a, 0)?, addr_or_fail(&a, 1)?);
    // netip orders by address family first (IPv4 before IPv6), then bytes, then zone.
    let key = |v: &Addr| {
        (
            v.bit_len(),
            v.bytes(),
            match v {
                Addr::V6(_, z) => z.clone(),
                _ => String::new(),
            },
        )
    };
    Ok(int_value(key(&x).cmp(&key(&y)) as i8))
}

/// A parsed CIDR prefix: address and prefix length.
struct Prefix {
    addr: Addr,
    bits: u32,
}

impl Prefix {
    fn contains(&self, ip: &Addr) -> bool {
        if self.addr.bit_len() != ip.bit_len() || matches!(ip, Addr::V6(_, z) if !z.is_empty()) {
            return false;
        }
        let shift = self.addr.bit_len() - self.bits;
        (self.addr.to_int() >> shift) == (ip.to_int() >> shift)
    }
}

/// Go's `netip.ParsePrefix`, with its error text.
fn parse_prefix(s: &str) -> Result<Prefix, String> {
    let q = super::strconv::go_quote(s, false);
    let Some((ip, bits)) = s.rsplit_once('/') else {
        return Err(format!("netip.ParsePrefix({q}): no '/'"));
    };
    let addr = parse_addr(ip).map_err(|e| format!("netip.ParsePrefix({q}): {e}"))?;
    if matches!(&addr, Addr::V6(_, z) if !z.is_empty()) {
        return Err(format!(
            "netip.ParsePrefix({q}): IPv6 zones cannot be present in a prefix"
        ));
    }
    let bad = || {
        format!(
            "netip.ParsePrefix({q}): bad bits after slash: {}",
            super::strconv::go_quote(bits, false)
        )
    };
    if bits.is_empty()
        || !bits.bytes().all(|b| b.is_ascii_digit())
        || (bits.len() > 1 && bits.starts_with('0'))
    {
        return Err(bad());
    }
    let n: u32 = bits.parse().map_err(|_| bad())?;
    if n > addr.bit_len() {
        return Err(format!(
            "netip.ParsePrefix({q}): prefix length out of range"
        ));
    }
    Ok(Prefix { addr, bits: n })
}

fn cidr_arg(a: &Args, i: usize) -> Result<Prefix, BuiltinError> {
    match a.get(i)? {
        Value::Str(s) => parse_prefix(s).map_err(|m| a.fail(m)),
        Value::Bytes(b) => parse_prefix(&String::from_utf8_lossy(b)).map_err(|m| a.fail(m)),
        other => Err(a.fail(format!("invalid type {} for IP CIDR", other.kind_name()))),
    }
}

/// Whether `ip` lies inside `cidr`; `None` when either does not parse.
pub fn cidr_contains(cidr: &str, ip: &str) -> Option<bool> {
    let p = parse_prefix(cidr).ok()?;
    let ip = parse_addr(ip).ok()?;
    Some(p.contains(&ip))
}

fn ip_cidr(args: &[Value]) -> R {
    let a = Args::new(args, "net.IPCIDR");
    cidr_arg(&a, 0)?;
    Ok(Value::Bool(true))
}

fn in_cidr(args: &[Value]) -> R {
    let a = Args::new(args, "net.InCIDR");
    let ip = ip_arg(&a, 0)?.map_err(|_| a.fail(format!("invalid IP {}", show(&args[0]))))?;
    let p = cidr_arg(&a, 1)?;
    Ok(Value::Bool(p.contains(&ip)))
}

fn add_to(addr: &Addr, offset: &BigInt) -> Result<Addr, String> {
    let n = addr.to_int() + offset;
    if n.sign() == Sign::Minus {
        return Err("IP address arithmetic resulted in out-of-range address (underflow)".into());
    }
    let (_, mut b) = n.to_bytes_be();
    let size = (addr.bit_len() / 8) as usize;
    if n == BigInt::from(0) {
        b.clear();
    }
    if b.len() > size {
        return Err("IP address arithmetic resulted in out-of-range address (overflow)".into());
    }
    let mut full = vec![0u8; size - b.len()];
    full.extend(b);
    Ok(addr.with_bytes(&full))
}

fn add_ip(args: &[Value]) -> R {
    let a = Args::new(args, "net.AddIP");
    let offset = a.bigint(1)?;
    if let Some(Ok(p)) = a.get(0)?.as_str().map(parse_prefix) {
        let addr = add_to(&p.addr, offset).map_err(|m| a.fail(m))?;
        return Ok(Value::Str(format!("{addr}/{}", p.bits)));
    }
    let addr = addr_or_fail(&a, 0)?;
    Ok(Value::Str(
        add_to(&addr, offset).map_err(|m| a.fail(m))?.to_string(),
    ))
}

fn add_ip_cidr(args: &[Value]) -> R {
    let a = Args::new(args, "net.AddIPCIDR");
    let p = cidr_arg(&a, 0)?;
    let offset = a.bigint(1)?;
    let shifted = offset << (p.addr.bit_len() - p.bits) as usize;
    let addr = add_to(&p.addr, &shifted).map_err(|m| a.fail(m))?;
    Ok(Value::Str(format!("{addr}/{}", p.bits)))
}

fn parse_cidr(args: &[Value]) -> R {
    let a = Args::new(args, "net.ParseCIDR");
    let p = parse_prefix(a.str(0)?).map_err(|m| a.fail(m))?;
    let size = (p.addr.bit_len() / 8) as usize;
    let mut mask = vec![0u8; size];
    for (i, m) in mask.iter_mut().enumerate() {
        let bits = (p.bits as i64 - 8 * i as i64).clamp(0, 8) as u32;
        *m = if bits == 0 { 0 } else { 0xffu8 << (8 - bits) };
    }
    let network: Vec<u8> = p
        .addr
        .bytes()
        .iter()
        .zip(&mask)
        .map(|(x, m)| x & m)
        .collect();
    let mut out = IndexMap::new();
    out.insert(
        "prefix_mask".to_string(),
        Value::Str(p.addr.with_bytes(&mask).to_string()),
    );
    out.insert("prefix_len".to_string(), int_value(p.bits));
    out.insert(
        "prefix_addr".to_string(),
        Value::Str(p.addr.with_bytes(&network).to_string()),
    );
    if let Addr::V4(_) = p.addr {
        let bcast: Vec<u8> = network.iter().zip(&mask).map(|(x, m)| x | !m).collect();
        out.insert(
            "broadcast_addr".to_string(),
            Value::Str(p.addr.with_bytes(&bcast).to_string()),
        );
    }
    Ok(Value::Struct(out))
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
            ("IP", vec![st("23.23.23.23")], "true"),
            (
                "IPv4",
                vec![st("23.23.23.2333")],
                r#"error: ParseAddr("23.23.23.2333"): IPv4 field has value >255"#,
            ),
            ("IPv4", vec![st("2001:db8::1")], "false"),
            (
                "IPv6",
                vec![st("2001:db8::1234567")],
                r#"error: ParseAddr("2001:db8::1234567"): each group must have 4 or less digits (at "1234567")"#,
            ),
            ("IPv6", vec![st("23.23.23.23")], "false"),
            ("IP", vec![st("0:0:0:0:0:0:23.23.23.23")], "true"),
            ("IP", vec![i(123)], "error: invalid type int for IP address"),
            ("LoopbackIP", vec![bl(&[127, 0, 0, 1])], "true"),
            ("LoopbackIP", vec![st("::ffff:127.0.0.1")], "true"),
            ("MulticastIP", vec![st("ff02::1")], "true"),
            ("LinkLocalUnicastIP", vec![st("fe80::1%eth0")], "true"),
            ("GlobalUnicastIP", vec![st("10.1.2.3")], "true"),
            ("GlobalUnicastIP", vec![st("255.255.255.255")], "false"),
            ("UnspecifiedIP", vec![st("::")], "true"),
            ("ToIP4", vec![st("127.0.0.1")], "[127, 0, 0, 1]"),
            (
                "ToIP16",
                vec![st("127.0.0.1")],
                "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1]",
            ),
            (
                "IPString",
                vec![bl(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])],
                r#""::102:304""#,
            ),
            ("ParseIP", vec![st("1.2.3.4")], "[1, 2, 3, 4]"),
            ("IPCIDR", vec![st("192.168.1.0/24")], "true"),
            ("IPCIDR", vec![st("2001:db8:a0b:12f0::1/32")], "true"),
            (
                "IPCIDR",
                vec![st("172.16.12.3")],
                r#"error: netip.ParsePrefix("172.16.12.3"): no '/'"#,
            ),
            (
                "IPCIDR",
                vec![i(123)],
                "error: invalid type int for IP CIDR",
            ),
            ("InCIDR", vec![st("10.1.2.3"), st("10.0.0.0/8")], "true"),
            ("InCIDR", vec![st("11.1.2.3"), st("10.0.0.0/8")], "false"),
            ("AddIP", vec![st("127.0.0.1"), i(1)], r#""127.0.0.2""#),
            ("AddIP", vec![st("127.0.0.1/8"), i(2)], r#""127.0.0.3/8""#),
            (
                "AddIP",
                vec![st("2001:db8::/64"), i(2)],
                r#""2001:db8::2/64""#,
            ),
            (
                "AddIP",
                vec![st("0.0.0.0"), i(-1)],
                "error: IP address arithmetic resulted in out-of-range address (underflow)",
            ),
            (
                "AddIP",
                vec![st("255.255.255.255"), i(1)],
                "error: IP address arithmetic resulted in out-of-range address (overflow)",
            ),
            (
                "AddIP",
                vec![st("::ffff:127.0.0.1"), i(1)],
                r#""::ffff:127.0.0.2""#,
            ),
            (
                "AddIPCIDR",
                vec![st("192.168.0.0/23"), i(1)],
                r#""192.168.2.0/23""#,
            ),
            (
                "AddIPCIDR",
                vec![st("2001:db8:1111:2222::/64"), i(1)],
                r#""2001:db8:1111:2223::/64""#,
            ),
            ("CompareIP", vec![st("10.0.0.1"), st("::1")], "-1"),
            (
                "ParseCIDR",
                vec![st("10.20.30.40/24")],
                r#"{prefix_mask: "255.255.255.0", prefix_len: 24, prefix_addr: "10.20.30.0", broadcast_addr: "10.20.30.255"}"#,
            ),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args.clone()), want, "{name}({args:?})");
        }
        assert_eq!(cidr_contains("10.0.0.0/8", "10.9.9.9"), Some(true));
        assert_eq!(cidr_contains("10.0.0.0/8", "::ffff:10.9.9.9"), Some(false));
        assert_eq!(cidr_contains("10.0.0.0", "10.9.9.9"), None);
    }
}
