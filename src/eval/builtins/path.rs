//! The `path` package as CUE defines it: Go's `path/filepath` with the operating system as an
//! argument (`"unix"` by default; `"windows"` has `\` separators and volume names, the others
//! behave as Unix). Invariant: every function works on bytes exactly as Go's does, so results
//! match `cue` for any input; a bad pattern or OS is an error, never a panic.

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::Value;

type R = Result<Value, BuiltinError>;

const P: &str = "path";

/// Functions whose last parameter, the OS, may be left out (CUE's default `"unix"`).
macro_rules! with_os {
    ($name:expr, $params:expr, $func:expr) => {
        Builtin {
            pkg: P,
            name: $name,
            params: $params,
            variadic: true,
            func: $func,
            validator: false,
        }
    };
}

pub(super) static FUNCS: &[Builtin] = &[
    with_os!("Base", 1, base),
    with_os!("Clean", 1, clean_fn),
    with_os!("Dir", 1, dir),
    with_os!("Ext", 1, ext),
    with_os!("FromSlash", 1, from_slash_fn),
    with_os!("IsAbs", 1, is_abs_fn),
    with_os!("Join", 1, join_fn),
    with_os!("Match", 2, match_fn),
    with_os!("Rel", 2, rel_fn),
    with_os!("Resolve", 2, resolve),
    with_os!("Split", 1, split),
    builtin!(P, "SplitList", 2, split_list),
    with_os!("ToSlash", 1, to_slash_fn),
    with_os!("VolumeName", 1, volume_fn),
];

pub(super) fn consts(name: &str) -> Option<Value> {
    let os = match name {
        "Unix" => "unix",
        "Windows" => "windows",
        "Plan9" => "plan9",
        _ => return None,
    };
    Some(Value::Str(os.to_string()))
}

const OSES: [&str; 18] = [
    "unix",
    "windows",
    "plan9",
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "solaris",
    "zos",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Os {
    Unix,
    Windows,
    Plan9,
}

impl Os {
    fn sep(self) -> u8 {
        if self == Os::Windows {
            b'\\'
        } else {
            b'/'
        }
    }

    fn is_sep(self, c: u8) -> bool {
        c == b'/' || (self == Os::Windows && c == b'\\')
    }
}

/// The arguments and the OS: argument `i` when given (one of CUE's OS names), else Unix.
fn args_os<'a>(
    args: &'a [Value],
    fname: &'static str,
    i: usize,
) -> Result<(Args<'a>, Os), BuiltinError> {
    if args.len() > i + 1 {
        return Err(super::msg(format!(
            "too many arguments in call to {fname} (have {}, want {})",
            args.len(),
            i + 1
        )));
    }
    let a = Args::new(args, fname);
    let os = match args.get(i) {
        None => Os::Unix,
        Some(Value::Str(s)) if s == "windows" => Os::Windows,
        Some(Value::Str(s)) if s == "plan9" => Os::Plan9,
        Some(Value::Str(s)) if OSES.contains(&s.as_str()) => Os::Unix,
        Some(v) => {
            let alts: Vec<String> = OSES
                .iter()
                .enumerate()
                .map(|(j, o)| {
                    if j == 0 {
                        format!("*\"{o}\"")
                    } else {
                        format!("\"{o}\"")
                    }
                })
                .collect();
            return Err(super::msg(format!(
                "cannot use {} as {} in argument {} to {fname}",
                super::show(v),
                alts.join(" | "),
                i + 1
            )));
        }
    };
    Ok((a, os))
}

fn s(x: Vec<u8>) -> Value {
    Value::Str(String::from_utf8_lossy(&x).into_owned())
}

fn volume_len(p: &[u8], os: Os) -> usize {
    if os != Os::Windows || p.len() < 2 {
        return 0;
    }
    if p[1] == b':' && p[0].is_ascii_alphabetic() {
        return 2;
    }
    let l = p.len();
    let slash = |c: u8| c == b'/' || c == b'\\';
    if l >= 5 && slash(p[0]) && slash(p[1]) && !slash(p[2]) && p[2] != b'.' {
        let mut n = 3;
        while n < l - 1 {
            if slash(p[n]) {
                n += 1;
                if !slash(p[n]) {
                    if p[n] == b'.' {
                        break;
                    }
                    while n < l && !slash(p[n]) {
                        n += 1;
                    }
                    return n;
                }
                break;
            }
            n += 1;
        }
    }
    0
}

fn from_slash(p: &[u8], os: Os) -> Vec<u8> {
    if os == Os::Windows {
        p.iter()
            .map(|&c| if c == b'/' { b'\\' } else { c })
            .collect()
    } else {
        p.to_vec()
    }
}

fn to_slash(p: &[u8], os: Os) -> Vec<u8> {
    if os == Os::Windows {
        p.iter()
            .map(|&c| if c == b'\\' { b'/' } else { c })
            .collect()
    } else {
        p.to_vec()
    }
}

/// Go's `filepath.Clean`.
fn clean(original: &[u8], os: Os) -> Vec<u8> {
    let vol_len = volume_len(original, os);
    let path = &original[vol_len..];
    if path.is_empty() {
        if vol_len > 1 && os.is_sep(original[0]) && os.is_sep(original[1]) {
            return from_slash(original, os);
        }
        let mut out = original.to_vec();
        out.push(b'.');
        return out;
    }
    let rooted = os.is_sep(path[0]);
    let n = path.len();
    let sep = os.sep();
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(sep);
        r = 1;
        dotdot = 1;
    }
    while r < n {
        if os.is_sep(path[r]) {
            r += 1;
        } else if path[r] == b'.' && (r + 1 == n || os.is_sep(path[r + 1])) {
            r += 1;
        } else if path[r] == b'.'
            && path.get(r + 1) == Some(&b'.')
            && (r + 2 == n || os.is_sep(path[r + 2]))
        {
            r += 2;
            if out.len() > dotdot {
                // Back to the separator before the last element (Go's `out.w--` loop).
                let mut w = out.len() - 1;
                while w > dotdot && !os.is_sep(out[w]) {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                if !out.is_empty() {
                    out.push(sep);
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(sep);
            }
            while r < n && !os.is_sep(path[r]) {
                out.push(path[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        out.push(b'.');
    }
    let mut all = original[..vol_len].to_vec();
    all.extend(out);
    from_slash(&all, os)
}

fn join(elems: &[&str], os: Os) -> Vec<u8> {
    if os != Os::Windows {
        for (i, e) in elems.iter().enumerate() {
            if !e.is_empty() {
                return clean(elems[i..].join("/").as_bytes(), os);
            }
        }
        return Vec::new();
    }
    let mut b: Vec<u8> = Vec::new();
    let mut last = 0u8;
    for e in elems {
        let mut e = e.as_bytes();
        if b.is_empty() {
        } else if os.is_sep(last) {
            while !e.is_empty() && os.is_sep(e[0]) {
                e = &e[1..];
            }
        } else if last == b':' {
        } else {
            b.push(b'\\');
            last = b'\\';
        }
        if !e.is_empty() {
            b.extend_from_slice(e);
            last = e[e.len() - 1];
        }
    }
    if b.is_empty() {
        return b;
    }
    clean(&b, os)
}

fn is_abs(p: &[u8], os: Os) -> bool {
    match os {
        Os::Unix => p.starts_with(b"/"),
        Os::Plan9 => p.starts_with(b"/") || p.starts_with(b"#"),
        Os::Windows => {
            let l = volume_len(p, os);
            if l == 0 {
                return false;
            }
            if l > 2 {
                return true;
            }
            p.get(l).is_some_and(|c| os.is_sep(*c))
        }
    }
}

fn base(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Base", 1)?;
    let mut p = a.str(0)?.as_bytes();
    if p.is_empty() {
        return Ok(Value::Str(".".into()));
    }
    while !p.is_empty() && os.is_sep(p[p.len() - 1]) {
        p = &p[..p.len() - 1];
    }
    p = &p[volume_len(p, os)..];
    if let Some(i) = p.iter().rposition(|c| os.is_sep(*c)) {
        p = &p[i + 1..];
    }
    if p.is_empty() {
        return Ok(s(vec![os.sep()]));
    }
    Ok(s(p.to_vec()))
}

fn clean_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Clean", 1)?;
    Ok(s(clean(a.str(0)?.as_bytes(), os)))
}

fn dir(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Dir", 1)?;
    let p = a.str(0)?.as_bytes();
    let vol = volume_len(p, os);
    let mut i = p.len();
    while i > vol && !os.is_sep(p[i - 1]) {
        i -= 1;
    }
    let d = clean(&p[vol..i], os);
    if d == b"." && vol > 2 {
        return Ok(s(p[..vol].to_vec()));
    }
    let mut out = p[..vol].to_vec();
    out.extend(d);
    Ok(s(out))
}

fn ext(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Ext", 1)?;
    let p = a.str(0)?.as_bytes();
    for i in (0..p.len()).rev() {
        if os.is_sep(p[i]) {
            break;
        }
        if p[i] == b'.' {
            return Ok(s(p[i..].to_vec()));
        }
    }
    Ok(Value::Str(String::new()))
}

fn from_slash_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.FromSlash", 1)?;
    Ok(s(from_slash(a.str(0)?.as_bytes(), os)))
}

fn to_slash_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.ToSlash", 1)?;
    Ok(s(to_slash(a.str(0)?.as_bytes(), os)))
}

fn volume_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.VolumeName", 1)?;
    let p = a.str(0)?.as_bytes();
    Ok(s(p[..volume_len(p, os)].to_vec()))
}

fn is_abs_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.IsAbs", 1)?;
    Ok(Value::Bool(is_abs(a.str(0)?.as_bytes(), os)))
}

fn join_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Join", 1)?;
    Ok(s(join(&a.str_list(0)?, os)))
}

fn split(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Split", 1)?;
    let p = a.str(0)?.as_bytes();
    let vol = volume_len(p, os);
    let mut i = p.len();
    while i > vol && !os.is_sep(p[i - 1]) {
        i -= 1;
    }
    Ok(Value::List(vec![s(p[..i].to_vec()), s(p[i..].to_vec())]))
}

fn split_list(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.SplitList", 1)?;
    let p = a.str(0)?;
    if p.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    let parts: Vec<Value> = match os {
        Os::Unix => p.split(':').map(|x| Value::Str(x.to_string())).collect(),
        Os::Plan9 => p.split('\0').map(|x| Value::Str(x.to_string())).collect(),
        Os::Windows => {
            // `;` separates, except inside double quotes, which are removed.
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            for c in p.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ';' if !quoted => out.push(Value::Str(std::mem::take(&mut cur))),
                    c => cur.push(c),
                }
            }
            out.push(Value::Str(cur));
            out
        }
    };
    Ok(Value::List(parts))
}

fn resolve(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Resolve", 2)?;
    let (d, sub) = (a.str(0)?, a.str(1)?);
    if is_abs(sub.as_bytes(), os) {
        return Ok(s(clean(sub.as_bytes(), os)));
    }
    let d = String::from_utf8_lossy(&clean(d.as_bytes(), os)).into_owned();
    Ok(s(join(&[&d, sub], os)))
}

fn same_word(a: &[u8], b: &[u8], os: Os) -> bool {
    if os == Os::Windows {
        String::from_utf8_lossy(a).to_lowercase() == String::from_utf8_lossy(b).to_lowercase()
    } else {
        a == b
    }
}

fn rel_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Rel", 2)?;
    let (basepath, targpath) = (a.str(0)?, a.str(1)?);
    let fail = || a.fail(format!("Rel: can't make {targpath} relative to {basepath}"));
    let (bp, tp) = (basepath.as_bytes(), targpath.as_bytes());
    let base_vol = &bp[..volume_len(bp, os)];
    let targ_vol = &tp[..volume_len(tp, os)];
    let base_all = clean(bp, os);
    let targ_all = clean(tp, os);
    if same_word(&targ_all, &base_all, os) {
        return Ok(Value::Str(".".into()));
    }
    let mut base: &[u8] = &base_all[base_vol.len()..];
    let targ: &[u8] = &targ_all[targ_vol.len()..];
    let sep_only = [os.sep()];
    if base == b"." {
        base = b"";
    } else if base.is_empty() && volume_len(base_vol, os) > 2 {
        base = &sep_only;
    }
    let sep = os.sep();
    let base_slashed = base.first() == Some(&sep);
    let targ_slashed = targ.first() == Some(&sep);
    if base_slashed != targ_slashed || !same_word(base_vol, targ_vol, os) {
        return Err(fail());
    }
    let (bl, tl) = (base.len(), targ.len());
    let (mut b0, mut bi, mut t0, mut ti) = (0, 0, 0, 0);
    loop {
        while bi < bl && base[bi] != sep {
            bi += 1;
        }
        while ti < tl && targ[ti] != sep {
            ti += 1;
        }
        if !same_word(&targ[t0..ti], &base[b0..bi], os) {
            break;
        }
        if bi < bl {
            bi += 1;
        }
        if ti < tl {
            ti += 1;
        }
        b0 = bi;
        t0 = ti;
    }
    if &base[b0..bi] == b".." {
        return Err(fail());
    }
    if b0 != bl {
        let seps = base[b0..bl].iter().filter(|c| **c == sep).count();
        let mut out = b"..".to_vec();
        for _ in 0..seps {
            out.push(sep);
            out.extend_from_slice(b"..");
        }
        if t0 != tl {
            out.push(sep);
            out.extend_from_slice(&targ[t0..]);
        }
        return Ok(s(out));
    }
    Ok(s(targ[t0..].to_vec()))
}

const BAD_PATTERN: &str = "syntax error in pattern";

fn match_fn(args: &[Value]) -> R {
    let (a, os) = args_os(args, "path.Match", 2)?;
    let (pattern, name) = (a.str(0)?, a.str(1)?);
    glob(pattern.as_bytes(), name.as_bytes(), os)
        .map(Value::Bool)
        .map_err(|e| a.fail(e))
}

/// Go's `path.Match` (`/` separates segments): `@embed`'s `glob=` matches each segment of a
/// file name with it. A malformed pattern matches nothing.
pub(crate) fn path_match(pattern: &str, name: &str) -> bool {
    glob(pattern.as_bytes(), name.as_bytes(), Os::Unix).unwrap_or(false)
}

/// Go's `filepath.Match`.
fn glob(mut pattern: &[u8], mut name: &[u8], os: Os) -> Result<bool, &'static str> {
    let sep = os.sep();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern, os);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains(&sep));
        }
        let (t, ok, err) = match_chunk(chunk, name, os);
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if let Some(e) = err {
            return Err(e);
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != sep {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..], os);
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                if let Some(e) = err {
                    return Err(e);
                }
                i += 1;
            }
        }
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern, os);
            pattern = rest;
            if let (_, _, Some(e)) = match_chunk(chunk, b"", os) {
                return Err(e);
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(mut pattern: &[u8], os: Os) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while pattern.first() == Some(&b'*') {
        pattern = &pattern[1..];
        star = true;
    }
    let mut inrange = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if os != Os::Windows => {
                if i + 1 < pattern.len() {
                    i += 1;
                }
            }
            b'[' => inrange = true,
            b']' => inrange = false,
            b'*' if !inrange => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// The first character of `s` and its length in bytes (a bad byte is U+FFFD, length 1).
fn decode(s: &[u8]) -> (char, usize) {
    let n = match s.first() {
        None => return ('\u{fffd}', 0),
        Some(c) if *c < 0x80 => 1,
        Some(c) if *c >= 0xf0 => 4,
        Some(c) if *c >= 0xe0 => 3,
        _ => 2,
    };
    match s.get(..n).and_then(|b| std::str::from_utf8(b).ok()) {
        Some(t) => (t.chars().next().unwrap_or('\u{fffd}'), n),
        None => ('\u{fffd}', 1),
    }
}

fn get_esc(mut chunk: &[u8], os: Os) -> Result<(char, &[u8]), &'static str> {
    if chunk.is_empty() || chunk[0] == b'-' || chunk[0] == b']' {
        return Err(BAD_PATTERN);
    }
    if chunk[0] == b'\\' && os != Os::Windows {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(BAD_PATTERN);
        }
    }
    let (r, n) = decode(chunk);
    if r == '\u{fffd}' && n == 1 {
        return Err(BAD_PATTERN);
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return Err(BAD_PATTERN);
    }
    Ok((r, rest))
}

fn match_chunk<'a>(
    mut chunk: &[u8],
    mut s: &'a [u8],
    os: Os,
) -> (&'a [u8], bool, Option<&'static str>) {
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk[0] {
            b'[' => {
                let mut r = '\0';
                if !failed {
                    let (c, n) = decode(s);
                    r = c;
                    s = &s[n.max(1).min(s.len())..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if chunk.first() == Some(&b'^') {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = match get_esc(chunk, os) {
                        Ok(x) => x,
                        Err(e) => return (b"", false, Some(e)),
                    };
                    chunk = rest;
                    let mut hi = lo;
                    if chunk[0] == b'-' {
                        match get_esc(&chunk[1..], os) {
                            Ok((h, rest)) => {
                                hi = h;
                                chunk = rest;
                            }
                            Err(e) => return (b"", false, Some(e)),
                        }
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == os.sep() {
                        failed = true;
                    }
                    let (_, n) = decode(s);
                    s = &s[n.max(1).min(s.len())..];
                }
                chunk = &chunk[1..];
            }
            c => {
                let mut c = c;
                if c == b'\\' && os != Os::Windows {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return (b"", false, Some(BAD_PATTERN));
                    }
                    c = chunk[0];
                }
                if !failed {
                    if c != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        return (b"", false, None);
    }
    (s, true, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_and_join_follow_go() {
        let c = |p: &str, os| String::from_utf8(clean(p.as_bytes(), os)).unwrap();
        assert_eq!(c("a//b/./../c/", Os::Unix), "a/c");
        assert_eq!(c("", Os::Unix), ".");
        assert_eq!(c("/../a", Os::Unix), "/a");
        assert_eq!(c("c:\\a\\..\\b", Os::Windows), "c:\\b");
        assert_eq!(join(&["a", "b/../c", "/d"], Os::Unix), b"a/c/d");
        assert_eq!(join(&["a", "b"], Os::Windows), b"a\\b");
    }

    #[test]
    fn glob_follows_go() {
        assert_eq!(glob(b"*.txt", b"a.txt", Os::Unix), Ok(true));
        assert_eq!(glob(b"a/*", b"a/b/c", Os::Unix), Ok(false));
        assert_eq!(glob(b"[a-c]?", b"bz", Os::Unix), Ok(true));
        assert_eq!(glob(b"[", b"a", Os::Unix), Err(BAD_PATTERN));
    }
}
