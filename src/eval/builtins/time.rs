//! The `time` package as CUE defines it: duration strings (`Duration`, `ParseDuration`,
//! `FormatDuration`), RFC 3339 times (`Time`, `Unix`, `Split`) and Go's layout strings
//! (`Format`, `Parse`, `FormatString`, the layout constants `RFC3339`, `Kitchen`, …).
//! Go's `time.Parse` and `Time.Format` are written out here (layout chunks, proleptic
//! Gregorian calendar), with the local time zone taken to be UTC.
//! Invariant: every input gives a value or Go's error text; arithmetic is done in `i128`, so
//! no argument overflows.

use super::{builtin, int_value, Args, Builtin, BuiltinError};
use crate::eval::builtins::strconv::go_quote;
use crate::value::Value;
use indexmap::IndexMap;

type R = Result<Value, BuiltinError>;

const P: &str = "time";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Duration", 1, duration, validator),
    builtin!(P, "Format", 2, format, validator),
    builtin!(P, "FormatDuration", 1, format_duration),
    builtin!(P, "FormatString", 2, format_string),
    builtin!(P, "Parse", 2, parse),
    builtin!(P, "ParseDuration", 1, parse_duration),
    builtin!(P, "Split", 1, split),
    builtin!(P, "Time", 1, time, validator),
    builtin!(P, "Unix", 2, unix),
];

const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";

/// The constants of CUE's `time` package (v0.14: no `DateTime`, `Stamp`, … as Go has).
pub(super) fn consts(name: &str) -> Option<Value> {
    let s = |x: &str| Some(Value::Str(x.to_string()));
    let i = |x: i64| Some(Value::int(x));
    match name {
        "ANSIC" => s("Mon Jan _2 15:04:05 2006"),
        "UnixDate" => s("Mon Jan _2 15:04:05 MST 2006"),
        "RubyDate" => s("Mon Jan 02 15:04:05 -0700 2006"),
        "RFC822" => s("02 Jan 06 15:04 MST"),
        "RFC822Z" => s("02 Jan 06 15:04 -0700"),
        "RFC850" => s("Monday, 02-Jan-06 15:04:05 MST"),
        "RFC1123" => s("Mon, 02 Jan 2006 15:04:05 MST"),
        "RFC1123Z" => s("Mon, 02 Jan 2006 15:04:05 -0700"),
        "RFC3339" => s(RFC3339),
        "RFC3339Nano" => s(RFC3339_NANO),
        "RFC3339Date" => s("2006-01-02"),
        "Kitchen" => s("3:04PM"),
        "Kitchen24" => s("15:04"),
        "Nanosecond" => i(1),
        "Microsecond" => i(1_000),
        "Millisecond" => i(1_000_000),
        "Second" => i(1_000_000_000),
        "Minute" => i(60_000_000_000),
        "Hour" => i(3_600_000_000_000),
        _ => {
            if let Some(m) = MONTHS.iter().position(|m| *m == name) {
                return i(m as i64 + 1);
            }
            DAYS.iter()
                .position(|d| *d == name)
                .map(|d| Value::int(d as i64))
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

// ---------------------------------------------------------------------------------------------
// The package's functions.

/// A validator's failure, with the `error in call to` prefix CUE shows for validators that
/// return `(bool, error)`.
fn invalid(name: &str, detail: impl std::fmt::Display) -> BuiltinError {
    super::msg(format!("error in call to time.{name}: {detail}"))
}

fn duration(args: &[Value]) -> R {
    let a = Args::new(args, "time.Duration");
    parse_go_duration(a.str(0)?).map_err(|e| invalid("Duration", e))?;
    Ok(Value::Bool(true))
}

fn parse_duration(args: &[Value]) -> R {
    let a = Args::new(args, "time.ParseDuration");
    let d = parse_go_duration(a.str(0)?).map_err(|e| a.fail(e))?;
    Ok(int_value(d))
}

fn format_duration(args: &[Value]) -> R {
    let a = Args::new(args, "time.FormatDuration");
    Ok(Value::Str(go_duration_string(a.i64(0)?)))
}

fn time(args: &[Value]) -> R {
    let a = Args::new(args, "time.Time");
    let s = a.str(0)?;
    match parse_go(RFC3339_NANO, s) {
        Ok(_) => Ok(Value::Bool(true)),
        Err(_) => Err(invalid(
            "Time",
            format!("invalid time {}", go_quote(s, false)),
        )),
    }
}

fn format(args: &[Value]) -> R {
    let a = Args::new(args, "time.Format");
    let (s, layout) = (a.str(0)?, a.str(1)?);
    match parse_go(layout, s) {
        Ok(_) => Ok(Value::Bool(true)),
        Err(_) => Err(invalid(
            "Format",
            format!("invalid time {}", go_quote(s, false)),
        )),
    }
}

fn format_string(args: &[Value]) -> R {
    let a = Args::new(args, "time.FormatString");
    let (layout, s) = (a.str(0)?, a.str(1)?);
    let t = parse_go(RFC3339_NANO, s).map_err(|e| a.fail(e))?;
    Ok(Value::Str(format_go(&t, layout)))
}

fn parse(args: &[Value]) -> R {
    let a = Args::new(args, "time.Parse");
    let (layout, s) = (a.str(0)?, a.str(1)?);
    let t = parse_go(layout, s).map_err(|e| a.fail(e))?;
    Ok(Value::Str(format_go(&t.utc(), RFC3339_NANO)))
}

fn unix(args: &[Value]) -> R {
    let a = Args::new(args, "time.Unix");
    let (sec, nsec) = (a.i64(0)? as i128, a.i64(1)? as i128);
    let total = sec * NS + nsec;
    let t = Time {
        sec: total.div_euclid(NS),
        nsec: total.rem_euclid(NS) as i64,
        offset: 0,
        zone: Some("UTC".into()),
    };
    Ok(Value::Str(format_go(&t, RFC3339_NANO)))
}

fn split(args: &[Value]) -> R {
    let a = Args::new(args, "time.Split");
    let t = parse_go(RFC3339_NANO, a.str(0)?).map_err(|e| a.fail(e))?;
    let c = t.civil();
    let mut m = IndexMap::new();
    for (k, v) in [
        ("year", c.year),
        ("month", c.month as i128),
        ("day", c.day as i128),
        ("hour", c.hour as i128),
        ("minute", c.min as i128),
        ("second", c.sec as i128),
        ("nanosecond", t.nsec as i128),
    ] {
        m.insert(k.to_string(), int_value(v));
    }
    Ok(Value::Struct(m))
}

// ---------------------------------------------------------------------------------------------
// Durations (Go's `time.ParseDuration` and `Duration.String`).

const NS: i128 = 1_000_000_000;

/// Go's `time.ParseDuration`: nanoseconds, or Go's error text.
pub(crate) fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig, false));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            s = &s[1..];
        }
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u128 = 1 << 63;
    let mut d: u128 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // [0-9]*
        let mut v: u128 = 0;
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + (s[i] - b'0') as u128;
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // (\.[0-9]*)?
        let (mut f, mut scale, mut post) = (0u128, 1f64, false);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut i = 0;
            let mut overflow = false;
            while i < s.len() && s[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + (s[i] - b'0') as u128;
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > 0;
            s = &s[i..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let mut i = 0;
        while i < s.len() && !(s[i] == b'.' || s[i].is_ascii_digit()) {
            i += 1;
        }
        if i == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                go_quote(orig, false)
            ));
        }
        let u = String::from_utf8_lossy(&s[..i]).into_owned();
        s = &s[i..];
        let unit: u128 = match u.as_str() {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(&u, false),
                    go_quote(orig, false)
                ))
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u128;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((-(d as i128)) as i64);
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// A duration written as a Go duration string (`"30s"`, `"1m30s"`), in whole seconds rounded
/// up: how the federation's health checks and graphs read a `time.Duration` where they count
/// seconds. `None` for text that is not a duration, or one that is negative.
pub(crate) fn duration_seconds(s: &str) -> Option<i64> {
    let ns = parse_go_duration(s).ok()?;
    if ns < 0 {
        return None;
    }
    Some(ns / 1_000_000_000 + i64::from(ns % 1_000_000_000 != 0))
}

/// Go's `Duration.String`: `72h3m0.5s`, `1.5µs`, `0s`.
pub(crate) fn go_duration_string(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (prec, unit) = match u {
            0 => return "0s".to_string(),
            u if u < 1_000 => (0, "ns"),
            u if u < 1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (frac, int) = frac_digits(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = frac_digits(u, 9);
        u = secs;
        let s = format!("{}{frac}s", u % 60);
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&s);
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / 10^prec` split into the fraction (`.5`, trailing zeros dropped, empty when zero)
/// and the integer part.
fn frac_digits(v: u64, prec: u32) -> (String, u64) {
    let p = 10u64.pow(prec);
    let frac = v % p;
    if frac == 0 {
        return (String::new(), v / p);
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / p)
}

// ---------------------------------------------------------------------------------------------
// Times: an instant (seconds since the Unix epoch and nanoseconds) seen at a zone offset.

#[derive(Clone, Debug)]
pub(crate) struct Time {
    /// Seconds since 1970-01-01T00:00:00Z.
    sec: i128,
    /// Nanoseconds, 0..1e9.
    nsec: i64,
    /// Seconds east of UTC.
    offset: i64,
    /// The zone's name when it has one (`UTC`, or an abbreviation read by `MST`).
    zone: Option<String>,
}

struct Civil {
    year: i128,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    /// 0 = Sunday.
    weekday: u32,
    /// 1-based day of the year.
    yday: u32,
}

impl Time {
    fn utc(&self) -> Time {
        Time {
            sec: self.sec,
            nsec: self.nsec,
            offset: 0,
            zone: Some("UTC".into()),
        }
    }

    fn civil(&self) -> Civil {
        let local = self.sec + self.offset as i128;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            min: secs / 60 % 60,
            sec: secs % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
            yday: (days - days_from_civil(year, 1, 1)) as u32 + 1,
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i128, m: u32, d: u32) -> i128 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i128;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i128 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i128) -> (i128, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i128) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(month: u32, year: i128) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------------
// Layouts: Go's reference time `Mon Jan 2 15:04:05 MST 2006`, split into chunks.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    Iso8601TZ,
    Iso8601SecondsTZ,
    Iso8601ShortTZ,
    Iso8601ColonTZ,
    Iso8601ColonSecondsTZ,
    NumTZ,
    NumSecondsTz,
    NumShortTZ,
    NumColonTZ,
    NumColonSecondsTZ,
    /// A fractional second with this many digits, trailing zeros kept (`.000`).
    Frac0(usize),
    /// A fractional second with up to this many digits, trailing zeros dropped (`.999`).
    Frac9(usize),
}

/// Go's `nextStdChunk`: the literal prefix, the chunk found (with its text) and the rest.
fn next_chunk(layout: &str) -> (&str, Option<(Std, &str)>, &str) {
    let b = layout.as_bytes();
    let lower_after = |j: usize| b.get(j).is_some_and(|c| c.is_ascii_lowercase());
    let starts = |i: usize, s: &str| layout[i..].starts_with(s);
    let mut i = 0;
    while i < b.len() {
        let found: Option<(Std, usize)> = match b[i] {
            b'J' if starts(i, "Jan") => {
                if starts(i, "January") {
                    Some((Std::LongMonth, 7))
                } else if !lower_after(i + 3) {
                    Some((Std::Month, 3))
                } else {
                    None
                }
            }
            b'M' if starts(i, "Mon") => {
                if starts(i, "Monday") {
                    Some((Std::LongWeekDay, 6))
                } else if !lower_after(i + 3) {
                    Some((Std::WeekDay, 3))
                } else {
                    None
                }
            }
            b'M' if starts(i, "MST") => Some((Std::TZ, 3)),
            b'0' if b.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) => Some((
                [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][(b[i + 1] - b'1') as usize],
                2,
            )),
            b'0' if starts(i, "002") => Some((Std::ZeroYearDay, 3)),
            b'1' if starts(i, "15") => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if starts(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if starts(i, "_2") => {
                if starts(i, "_2006") {
                    // A literal `_`, then the year.
                    return (
                        &layout[..i + 1],
                        Some((Std::LongYear, &layout[i + 1..i + 5])),
                        &layout[i + 5..],
                    );
                }
                Some((Std::UnderDay, 2))
            }
            b'_' if starts(i, "__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if starts(i, "PM") => Some((Std::PM, 2)),
            b'p' if starts(i, "pm") => Some((Std::Pm, 2)),
            b'-' => [
                ("-070000", Std::NumSecondsTz),
                ("-07:00:00", Std::NumColonSecondsTZ),
                ("-0700", Std::NumTZ),
                ("-07:00", Std::NumColonTZ),
                ("-07", Std::NumShortTZ),
            ]
            .iter()
            .find(|(p, _)| starts(i, p))
            .map(|(p, s)| (*s, p.len())),
            b'Z' => [
                ("Z070000", Std::Iso8601SecondsTZ),
                ("Z07:00:00", Std::Iso8601ColonSecondsTZ),
                ("Z0700", Std::Iso8601TZ),
                ("Z07:00", Std::Iso8601ColonTZ),
                ("Z07", Std::Iso8601ShortTZ),
            ]
            .iter()
            .find(|(p, _)| starts(i, p))
            .map(|(p, s)| (*s, p.len())),
            b'.' | b',' if matches!(b.get(i + 1), Some(b'0') | Some(b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if b.get(j).is_some_and(u8::is_ascii_digit) {
                    None
                } else {
                    let n = j - (i + 1);
                    Some((
                        if ch == b'0' {
                            Std::Frac0(n)
                        } else {
                            Std::Frac9(n)
                        },
                        j - i,
                    ))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = found {
            return (
                &layout[..i],
                Some((std, &layout[i..i + len])),
                &layout[i + len..],
            );
        }
        i += layout[i..].chars().next().map_or(1, char::len_utf8);
    }
    (layout, None, "")
}

/// Go's `Time.Format`.
fn format_go(t: &Time, layout: &str) -> String {
    let c = t.civil();
    let mut out = String::new();
    let mut rest = layout;
    loop {
        let (prefix, chunk, suffix) = next_chunk(rest);
        out.push_str(prefix);
        let Some((std, text)) = chunk else { break };
        rest = suffix;
        match std {
            Std::Year => out.push_str(&format!("{:02}", c.year.rem_euclid(100))),
            Std::LongYear => out.push_str(&pad_int(c.year, 4)),
            Std::Month => out.push_str(&MONTHS[c.month as usize - 1][..3]),
            Std::LongMonth => out.push_str(MONTHS[c.month as usize - 1]),
            Std::NumMonth => out.push_str(&c.month.to_string()),
            Std::ZeroMonth => out.push_str(&format!("{:02}", c.month)),
            Std::WeekDay => out.push_str(&DAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => out.push_str(DAYS[c.weekday as usize]),
            Std::Day => out.push_str(&c.day.to_string()),
            Std::UnderDay => out.push_str(&format!("{:>2}", c.day)),
            Std::ZeroDay => out.push_str(&format!("{:02}", c.day)),
            Std::UnderYearDay => out.push_str(&format!("{:>3}", c.yday)),
            Std::ZeroYearDay => out.push_str(&format!("{:03}", c.yday)),
            Std::Hour => out.push_str(&format!("{:02}", c.hour)),
            Std::Hour12 | Std::ZeroHour12 => {
                let h = match c.hour % 12 {
                    0 => 12,
                    h => h,
                };
                if std == Std::Hour12 {
                    out.push_str(&h.to_string())
                } else {
                    out.push_str(&format!("{h:02}"))
                }
            }
            Std::Minute => out.push_str(&c.min.to_string()),
            Std::ZeroMinute => out.push_str(&format!("{:02}", c.min)),
            Std::Second => out.push_str(&c.sec.to_string()),
            Std::ZeroSecond => out.push_str(&format!("{:02}", c.sec)),
            Std::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::TZ => match &t.zone {
                Some(name) if !name.is_empty() => out.push_str(name),
                _ => {
                    let zone = t.offset / 60;
                    out.push(if zone < 0 { '-' } else { '+' });
                    let zone = zone.abs();
                    out.push_str(&format!("{:02}{:02}", zone / 60, zone % 60));
                }
            },
            Std::Iso8601TZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601ColonSecondsTZ
                if t.offset == 0 =>
            {
                out.push('Z')
            }
            Std::Iso8601TZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601ColonSecondsTZ
            | Std::NumTZ
            | Std::NumSecondsTz
            | Std::NumShortTZ
            | Std::NumColonTZ
            | Std::NumColonSecondsTZ => {
                let colon = matches!(
                    std,
                    Std::Iso8601ColonTZ
                        | Std::NumColonTZ
                        | Std::Iso8601ColonSecondsTZ
                        | Std::NumColonSecondsTZ
                );
                let short = matches!(std, Std::NumShortTZ | Std::Iso8601ShortTZ);
                let seconds = matches!(
                    std,
                    Std::Iso8601SecondsTZ
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTZ
                        | Std::Iso8601ColonSecondsTZ
                );
                let zone = (t.offset / 60).abs();
                out.push(if t.offset < 0 { '-' } else { '+' });
                out.push_str(&format!("{:02}", zone / 60));
                if colon {
                    out.push(':');
                }
                if !short {
                    out.push_str(&format!("{:02}", zone % 60));
                }
                if seconds {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", t.offset.abs() % 60));
                }
            }
            Std::Frac0(n) | Std::Frac9(n) => {
                let digits = format!("{:09}", t.nsec);
                let mut d = &digits[..n.min(9)];
                if let Std::Frac9(_) = std {
                    d = d.trim_end_matches('0');
                    if d.is_empty() {
                        continue;
                    }
                }
                out.push_str(&text[..1]);
                out.push_str(d);
                // More than nine digits asked for: Go pads with zeros.
                for _ in 9..n {
                    if let Std::Frac0(_) = std {
                        out.push('0');
                    }
                }
            }
        }
    }
    out
}

/// Go's `appendInt(b, x, width)`: a sign, then the digits zero-padded to `width`.
fn pad_int(x: i128, width: usize) -> String {
    let digits = format!("{:0width$}", x.unsigned_abs());
    if x < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// A failed parse: Go's `ParseError` text.
fn parse_error(layout: &str, value: &str, layout_elem: &str, value_elem: &str) -> String {
    format!(
        "parsing time {} as {}: cannot parse {} as {}",
        go_quote(value, false),
        go_quote(layout, false),
        go_quote(value_elem, false),
        go_quote(layout_elem, false)
    )
}

fn parse_message(value: &str, message: &str) -> String {
    format!("parsing time {}{message}", go_quote(value, false))
}

/// Go's `skip`: the literal `prefix` at the start of `value` (a space matches any run of
/// spaces); on a mismatch, the value where it stopped.
fn skip<'a>(mut value: &'a str, mut prefix: &str) -> Result<&'a str, &'a str> {
    while !prefix.is_empty() {
        if prefix.starts_with(' ') {
            if !value.is_empty() && !value.starts_with(' ') {
                return Err(value);
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.is_empty() || value.as_bytes()[0] != prefix.as_bytes()[0] {
            return Err(value);
        }
        // Advance by one byte on both: they are equal, so both are at char boundaries
        // as long as whole characters match.
        let n = prefix.chars().next().map_or(1, char::len_utf8);
        if !value.is_char_boundary(n) || value[..n] != prefix[..n] {
            return Err(value);
        }
        prefix = &prefix[n..];
        value = &value[n..];
    }
    Ok(value)
}

fn digit(s: &str, i: usize) -> Option<u32> {
    s.as_bytes()
        .get(i)
        .filter(|c| c.is_ascii_digit())
        .map(|c| (c - b'0') as u32)
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let d0 = digit(s, 0)?;
    match digit(s, 1) {
        Some(d1) => Some((d0 * 10 + d1, &s[2..])),
        None if fixed => None,
        None => Some((d0, &s[1..])),
    }
}

/// Go's `getnum3`: up to three digits (exactly three when `fixed`).
fn getnum3(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 {
        match digit(s, i) {
            Some(d) => n = n * 10 + d,
            None => break,
        }
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

/// A case-insensitive match of one of `names` at the start of `s`.
fn lookup<'a>(names: impl Iterator<Item = &'a str>, s: &str) -> Option<(usize, usize)> {
    for (i, name) in names.enumerate() {
        if s.len() >= name.len()
            && s.is_char_boundary(name.len())
            && s[..name.len()].eq_ignore_ascii_case(name)
        {
            return Some((i, name.len()));
        }
    }
    None
}

/// Go's `parseNanoseconds`: `value` starts with `.` or `,` and has `n` bytes of digits after.
fn parse_nanos(value: &str, nbytes: usize) -> Option<i64> {
    if !matches!(value.as_bytes().first(), Some(b'.') | Some(b',')) {
        return None;
    }
    let nbytes = nbytes.min(10);
    let digits = value.get(1..nbytes)?;
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut ns: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    for _ in 0..(10 - nbytes) {
        ns *= 10;
    }
    Some(ns)
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `value`.
fn zone_len(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if value.starts_with("ChST") || value.starts_with("MeST") {
        return Some(4);
    }
    if value.starts_with("GMT") {
        // GMT with an hour offset: `GMT+3`, `GMT-10`.
        let mut n = 3;
        if matches!(b.get(3), Some(b'+') | Some(b'-')) {
            let mut j = 4;
            while j < b.len() && b[j].is_ascii_digit() && j < 6 {
                j += 1;
            }
            if j > 4 {
                n = j;
            }
        }
        return Some(n);
    }
    if b[0] == b'+' || b[0] == b'-' {
        let mut j = 1;
        while j < b.len() && b[j].is_ascii_digit() && j < 3 {
            j += 1;
        }
        return (j > 1).then_some(j);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || value.starts_with("WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// Go's `time.Parse(layout, value)` with the local zone UTC.
pub(crate) fn parse_go(layout_all: &str, value_all: &str) -> Result<Time, String> {
    let (mut layout, mut value) = (layout_all, value_all);
    let (mut year, mut month, mut day, mut yday) = (0i128, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0u32, 0u32, 0u32, 0i64);
    let (mut pm, mut am) = (false, false);
    let mut utc = false;
    let mut zone_offset: Option<i64> = None;
    let mut zone_name: Option<String> = None;
    loop {
        let (prefix, chunk, suffix) = next_chunk(layout);
        value = skip(value, prefix).map_err(|v| parse_error(layout_all, value_all, prefix, v))?;
        let Some((std, stdstr)) = chunk else {
            if !value.is_empty() {
                return Err(parse_message(
                    value_all,
                    &format!(": extra text: {}", go_quote(value, false)),
                ));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let bad = || parse_error(layout_all, value_all, stdstr, hold);
        let range = |what: &str| parse_message(value_all, &format!(": {what} out of range"));
        match std {
            Std::Year => {
                let (n, rest) = getnum(value, true)
                    .filter(|_| value.len() >= 2)
                    .ok_or_else(bad)?;
                year = n as i128 + if n >= 69 { 1900 } else { 2000 };
                value = rest;
            }
            Std::LongYear => {
                let p = value
                    .get(..4)
                    .filter(|p| p.bytes().all(|c| c.is_ascii_digit()));
                let p = p.ok_or_else(bad)?;
                year = p.parse().map_err(|_| bad())?;
                value = &value[4..];
            }
            Std::Month | Std::LongMonth => {
                let (i, n) = if std == Std::Month {
                    lookup(MONTHS.iter().map(|m| &m[..3]), value)
                } else {
                    lookup(MONTHS.iter().copied(), value)
                }
                .ok_or_else(bad)?;
                month = i as i64 + 1;
                value = &value[n..];
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (n, rest) = getnum(value, std == Std::ZeroMonth).ok_or_else(bad)?;
                value = rest;
                if n == 0 || n > 12 {
                    return Err(range("month"));
                }
                month = n as i64;
            }
            Std::WeekDay | Std::LongWeekDay => {
                let (_, n) = if std == Std::WeekDay {
                    lookup(DAYS.iter().map(|d| &d[..3]), value)
                } else {
                    lookup(DAYS.iter().copied(), value)
                }
                .ok_or_else(bad)?;
                value = &value[n..];
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.starts_with(' ') {
                    value = &value[1..];
                }
                let (n, rest) = getnum(value, std == Std::ZeroDay).ok_or_else(bad)?;
                day = n as i64;
                value = rest;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                if std == Std::UnderYearDay {
                    for _ in 0..2 {
                        if value.starts_with(' ') {
                            value = &value[1..];
                        }
                    }
                }
                let (n, rest) = getnum3(value, std == Std::ZeroYearDay).ok_or_else(bad)?;
                value = rest;
                if !(1..=366).contains(&n) {
                    return Err(range("day-of-year"));
                }
                yday = n as i64;
            }
            Std::Hour => {
                let (n, rest) = getnum(value, false).ok_or_else(bad)?;
                value = rest;
                if n >= 24 {
                    return Err(range("hour"));
                }
                hour = n;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (n, rest) = getnum(value, std == Std::ZeroHour12).ok_or_else(bad)?;
                value = rest;
                if n > 12 {
                    return Err(range("hour"));
                }
                hour = n;
            }
            Std::Minute | Std::ZeroMinute => {
                let (n, rest) = getnum(value, std == Std::ZeroMinute).ok_or_else(bad)?;
                value = rest;
                if n >= 60 {
                    return Err(range("minute"));
                }
                min = n;
            }
            Std::Second | Std::ZeroSecond => {
                let (n, rest) = getnum(value, std == Std::ZeroSecond).ok_or_else(bad)?;
                value = rest;
                if n >= 60 {
                    return Err(range("second"));
                }
                sec = n;
                // A fractional second right after the seconds, even if the layout has none.
                let b = value.as_bytes();
                if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
                    let next = next_chunk(layout).1.map(|c| c.0);
                    if !matches!(next, Some(Std::Frac0(_)) | Some(Std::Frac9(_))) {
                        let mut n = 2;
                        while n < b.len() && b[n].is_ascii_digit() {
                            n += 1;
                        }
                        nsec = parse_nanos(value, n).ok_or_else(bad)?;
                        value = &value[n..];
                    }
                }
            }
            Std::PM | Std::Pm => {
                let p = value.get(..2).ok_or_else(bad)?;
                let (up, down) = if std == Std::PM {
                    ("PM", "AM")
                } else {
                    ("pm", "am")
                };
                if p == up {
                    pm = true;
                } else if p == down {
                    am = true;
                } else {
                    return Err(bad());
                }
                value = &value[2..];
            }
            Std::Iso8601TZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601ColonSecondsTZ
                if value.starts_with('Z') =>
            {
                value = &value[1..];
                utc = true;
            }
            Std::Iso8601TZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601ColonSecondsTZ
            | Std::NumTZ
            | Std::NumSecondsTz
            | Std::NumShortTZ
            | Std::NumColonTZ
            | Std::NumColonSecondsTZ => {
                let b = value.as_bytes();
                let need = |n: usize| {
                    if b.len() < n || !value.is_char_boundary(n) {
                        Err(bad())
                    } else {
                        Ok(())
                    }
                };
                let (sign, h, m, s, rest);
                match std {
                    Std::Iso8601ColonTZ | Std::NumColonTZ => {
                        need(6)?;
                        if b[3] != b':' {
                            return Err(bad());
                        }
                        (sign, h, m, s, rest) =
                            (b[0], &value[1..3], &value[4..6], "00", &value[6..]);
                    }
                    Std::NumShortTZ | Std::Iso8601ShortTZ => {
                        need(3)?;
                        (sign, h, m, s, rest) = (b[0], &value[1..3], "00", "00", &value[3..]);
                    }
                    Std::Iso8601ColonSecondsTZ | Std::NumColonSecondsTZ => {
                        need(9)?;
                        if b[3] != b':' || b[6] != b':' {
                            return Err(bad());
                        }
                        (sign, h, m, s, rest) =
                            (b[0], &value[1..3], &value[4..6], &value[7..9], &value[9..]);
                    }
                    Std::Iso8601SecondsTZ | Std::NumSecondsTz => {
                        need(7)?;
                        (sign, h, m, s, rest) =
                            (b[0], &value[1..3], &value[3..5], &value[5..7], &value[7..]);
                    }
                    _ => {
                        need(5)?;
                        (sign, h, m, s, rest) =
                            (b[0], &value[1..3], &value[3..5], "00", &value[5..]);
                    }
                }
                let num = |x: &str| getnum(x, true).map(|(n, _)| n as i64).ok_or_else(bad);
                let (hr, mm, ss) = (num(h)?, num(m)?, num(s)?);
                if hr > 24 {
                    return Err(range("time zone offset hour"));
                }
                if mm > 60 {
                    return Err(range("time zone offset minute"));
                }
                if ss > 60 {
                    return Err(range("time zone offset second"));
                }
                let off = (hr * 60 + mm) * 60 + ss;
                zone_offset = Some(match sign {
                    b'+' => off,
                    b'-' => -off,
                    _ => return Err(bad()),
                });
                value = rest;
            }
            Std::TZ => {
                if value.starts_with("UTC") {
                    value = &value[3..];
                    utc = true;
                } else {
                    let n = zone_len(value).ok_or_else(bad)?;
                    zone_name = Some(value[..n].to_string());
                    value = &value[n..];
                }
            }
            Std::Frac0(n) => {
                let ndigit = 1 + n;
                if value.len() < ndigit {
                    return Err(bad());
                }
                nsec = parse_nanos(value, ndigit).ok_or_else(bad)?;
                value = &value[ndigit..];
            }
            Std::Frac9(_) => {
                let b = value.as_bytes();
                if b.len() < 2 || !matches!(b[0], b'.' | b',') || !b[1].is_ascii_digit() {
                    continue;
                }
                let mut i = 0;
                while i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                    i += 1;
                }
                nsec = parse_nanos(value, 1 + i).ok_or_else(bad)?;
                value = &value[1 + i..];
            }
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let mut yd = yday;
        let (mut m, mut d) = (0i64, 0i64);
        if is_leap(year) {
            if yd == 31 + 29 {
                m = 2;
                d = 29;
            } else if yd > 31 + 29 {
                yd -= 1;
            }
        }
        if m == 0 {
            const BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
            m = yd / 31 + 1;
            if BEFORE[m as usize] < yd {
                m += 1;
            }
            d = yd - BEFORE[m as usize - 1];
        }
        if month >= 0 && month != m {
            return Err(parse_message(
                value_all,
                ": day-of-year does not match month",
            ));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(parse_message(value_all, ": day-of-year does not match day"));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month as u32, year) as i64 {
        return Err(parse_message(value_all, ": day out of range"));
    }
    let local = days_from_civil(year, month as u32, day as u32) * 86_400
        + (hour as i128) * 3600
        + (min as i128) * 60
        + sec as i128;
    let (offset, zone) = if utc {
        (0, Some("UTC".to_string()))
    } else if let Some(off) = zone_offset {
        // The local zone is UTC: an offset of zero is that zone, others are fabricated.
        (off, (off == 0).then(|| "UTC".to_string()))
    } else if let Some(name) = zone_name {
        let off = name
            .strip_prefix("GMT")
            .and_then(|h| h.parse::<i64>().ok())
            .map_or(0, |h| h * 3600);
        (off, Some(name))
    } else {
        (0, Some("UTC".to_string()))
    };
    Ok(Time {
        sec: local - offset as i128,
        nsec,
        offset,
        zone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_like_go() {
        assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_go_duration("-1.5h"), Ok(-5_400_000_000_000));
        assert_eq!(parse_go_duration("1.5µs"), Ok(1500));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert!(parse_go_duration("9999999999h").is_err());
        assert_eq!(
            parse_go_duration("1").unwrap_err(),
            "time: missing unit in duration \"1\""
        );
        assert_eq!(go_duration_string(5_400_000_000_000), "1h30m0s");
        assert_eq!(go_duration_string(1500), "1.5µs");
        assert_eq!(go_duration_string(-1_500_000), "-1.5ms");
        assert_eq!(go_duration_string(0), "0s");
        assert_eq!(go_duration_string(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn calendar_conversions_agree() {
        for days in [-1_000_000i128, -1, 0, 59, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn layouts_parse_and_format_like_go() {
        let t = parse_go(RFC3339, "2006-01-02T15:04:05+01:00").unwrap();
        assert_eq!(format_go(&t.utc(), RFC3339_NANO), "2006-01-02T14:04:05Z");
        let t = parse_go(RFC3339_NANO, "2023-11-05T09:04:05.5+02:00").unwrap();
        assert_eq!(
            format_go(&t, "Monday January 2 06 3pm .000 ,999 Z0700 -07:00 002 __2"),
            "Sunday November 5 23 9am .500 ,5 +0200 +02:00 309 309"
        );
        assert_eq!(
            parse_go("2006-01-02", "2021-02-29").unwrap_err(),
            "parsing time \"2021-02-29\": day out of range"
        );
        assert_eq!(
            parse_go(RFC3339, "x").unwrap_err(),
            "parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as \"2006\""
        );
    }
}
