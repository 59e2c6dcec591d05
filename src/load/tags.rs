//! Tags and build attributes, as `cue help injection` describes them: a step on parsed files,
//! before lowering. `@if(expr)` before a file's `package` clause keeps the file only when the
//! expression holds over the tags given bare (`-t prod`); `@tag(key)` after a field injects
//! `-t key=value` into it, typed by `type=` (`string` by default, `int`, `number`, `bool`), and
//! `short=a|b` lets `-t a` set it to `"a"`. Attributes are found by lexing each file's text
//! again (the AST drops them) and matched to the innermost field around them by span.
//! With `-T` (`--inject-vars`), `@tag(key,var=name)` takes the system variable `name` (`now`,
//! `os`, `arch`, `cwd`, `username`, `hostname`, `rand`) when no `-t key=value` gives it one.
//! Invariant: without `-t`/`-T` arguments and without `@if` attributes, the files pass
//! unchanged; every tag given is used or reported, as cue reports it.

use crate::diag::Diag;
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, BinaryOp, Decl, Expr, ExprKind, LabelKind};

/// One `-t` argument: `key=value`, or a bare name (an `@if` tag or a `short=` value).
#[derive(Clone, Debug)]
struct Given {
    key: String,
    value: Option<String>,
    used: bool,
}

/// An attribute found in a file: its name, its argument text and where it is.
pub(super) struct Attr {
    pub(super) name: String,
    pub(super) body: String,
    pub(super) span: Span,
}

/// What `-t` and `-T` give: the `-t` arguments (`key=value` or a bare name) and whether `-T`
/// (`--inject-vars`) asks for the system variables.
#[derive(Clone, Debug, Default)]
pub struct Tags {
    pub given: Vec<String>,
    pub vars: bool,
}

/// Keeps the files that `@if` selects and injects the `-t` values into `@tag` fields (and,
/// when `vars` is set, the system variables into `@tag(…,var=…)` fields). Returns the files
/// left and every problem (an unknown tag, a value of the wrong type, a file with two `@if`s,
/// all files excluded).
pub fn apply(
    files: Vec<ast::File>,
    sources: &SourceMap,
    tags: &Tags,
) -> (Vec<ast::File>, Vec<Diag>) {
    let vars = tags.vars.then(SystemVars::read);
    let mut given: Vec<Given> = tags
        .given
        .iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) => Given {
                key: k.trim().to_string(),
                value: Some(v.to_string()),
                used: false,
            },
            None => Given {
                key: t.trim().to_string(),
                value: None,
                used: false,
            },
        })
        .collect();
    let mut diags = Vec::new();
    let mut kept = Vec::new();
    let mut excluded = Vec::new();
    let total = files.len();
    for mut file in files {
        let src = sources.get(file.span.file);
        // A file without `@` has no attribute: nothing to lex (a third of the time of a
        // 100 × 50 export went to lexing every file again).
        if src.stdlib || !src.text.contains('@') {
            kept.push(file);
            continue;
        }
        let text = src.text.clone();
        let attrs = attributes(&text, file.span);
        let lead = leading_count(&text, &attrs);
        let ifs: Vec<&Attr> = attrs[..lead].iter().filter(|a| a.name == "if").collect();
        if ifs.len() > 1 {
            diags.push(
                Diag::new("orche::load::build_attr", "multiple @if attributes")
                    .with_label(ifs[1].span, "second @if")
                    .with_label(ifs[0].span, "previous declaration here"),
            );
            continue;
        }
        if let Some(a) = ifs.first() {
            match eval_if(&a.body, &mut given) {
                Ok(true) => {}
                Ok(false) => {
                    excluded.push(format!("{}: @if({}) did not match", src.name, a.body));
                    continue;
                }
                Err(e) => {
                    diags.push(
                        Diag::new("orche::load::build_attr", format!("invalid @if: {e}"))
                            .with_label(a.span, "here"),
                    );
                    continue;
                }
            }
        }
        for a in attrs[lead..].iter().filter(|a| a.name == "tag") {
            if let Err(d) = inject(&mut file, a, &mut given, vars.as_ref()) {
                diags.push(d);
            }
        }
        kept.push(file);
    }
    if kept.iter().all(|f| sources.get(f.span.file).stdlib) && total > 0 && !excluded.is_empty() {
        diags.push(Diag::new(
            "orche::load::build_attr",
            format!(
                "build constraints exclude all CUE files:\n    {}",
                excluded.join("\n    ")
            ),
        ));
    }
    for g in given.iter().filter(|g| !g.used) {
        let message = match g.value {
            Some(_) => format!("no tag for {:?}", g.key),
            None => format!("tag {:?} not used in any file", g.key),
        };
        diags.push(Diag::new("orche::load::tag", message));
    }
    (kept, diags)
}

/// The values `-T` injects, read once per run: the time (RFC 3339, UTC, nanoseconds as Go's
/// `RFC3339Nano` prints them), Go's names of the OS and architecture, the current directory,
/// the user and host names and a random 128-bit integer.
struct SystemVars {
    now: String,
}

impl SystemVars {
    fn read() -> SystemVars {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        SystemVars {
            now: rfc3339_nano(t.as_secs() as i64, t.subsec_nanos()),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "now" => self.now.clone(),
            "os" => std::env::consts::OS.to_string(),
            "arch" => match std::env::consts::ARCH {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                "x86" => "386",
                "powerpc64" => "ppc64",
                a => a,
            }
            .to_string(),
            "cwd" => std::env::current_dir()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_default(),
            "username" => username(),
            "hostname" => std::fs::read_to_string("/proc/sys/kernel/hostname")
                .or_else(|_| std::fs::read_to_string("/etc/hostname"))
                .map(|h| h.trim().to_string())
                .unwrap_or_default(),
            "rand" => {
                let mut b = [0u8; 16];
                if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
                    let _ = std::io::Read::read_exact(&mut f, &mut b);
                }
                if b == [0; 16] {
                    // No /dev/urandom: the clock's nanoseconds, hashed, are random enough.
                    let n = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_nanos();
                    b = n
                        .wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
                        .to_le_bytes();
                }
                u128::from_le_bytes(b).to_string()
            }
            _ => return None,
        })
    }
}

/// The user's name as Go's `os/user.Current` finds it: the password entry of the process's
/// user id, else `$USER`.
fn username() -> String {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
        });
    if let (Some(uid), Ok(passwd)) = (uid, std::fs::read_to_string("/etc/passwd")) {
        for l in passwd.lines() {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() > 2 && f[2] == uid {
                return f[0].to_string();
            }
        }
    }
    std::env::var("USER").unwrap_or_default()
}

/// Seconds and nanoseconds since 1970 as Go's `time.RFC3339Nano` prints a UTC time
/// (`2024-07-22T15:42:09.335482408Z`, trailing zeros of the fraction dropped).
fn rfc3339_nano(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let mut frac = String::new();
    if nanos > 0 {
        frac = format!(".{nanos:09}");
        while frac.ends_with('0') {
            frac.pop();
        }
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Every attribute of a file, from its text (`@name(body)`).
pub(super) fn attributes(text: &str, file: Span) -> Vec<Attr> {
    let Some(toks) = crate::fmt::lex::lex(text) else {
        return Vec::new();
    };
    toks.iter()
        .filter(|t| t.kind == crate::fmt::lex::Kind::Attr)
        .filter_map(|t| {
            let inner = t.text.strip_prefix('@')?;
            let open = inner.find('(')?;
            let body = inner[open + 1..].strip_suffix(')')?;
            Some(Attr {
                name: inner[..open].to_string(),
                body: body.trim().to_string(),
                span: Span::new(file.file, t.start, t.start + t.text.len()),
            })
        })
        .collect()
}

/// How many of `attrs` are file-level: before the `package` clause, or before the first
/// declaration in a file without one.
pub(super) fn leading_count(text: &str, attrs: &[Attr]) -> usize {
    let Some(toks) = crate::fmt::lex::lex(text) else {
        return 0;
    };
    use crate::fmt::lex::Kind;
    let first = toks
        .iter()
        .find(|t| !matches!(t.kind, Kind::Attr | Kind::Comment | Kind::Newline))
        .map_or(usize::MAX, |t| t.start);
    attrs
        .iter()
        .take_while(|a| (a.span.start as usize) < first)
        .count()
}

/// Evaluates an `@if` expression: tag names (true when given bare), `!`, `&&`, `||`, parens.
fn eval_if(body: &str, given: &mut [Given]) -> Result<bool, String> {
    let toks = if_tokens(body)?;
    let mut p = IfParser {
        toks: &toks,
        at: 0,
        given,
    };
    let v = p.or()?;
    if p.at != toks.len() {
        return Err(format!("unexpected {:?}", toks[p.at]));
    }
    Ok(v)
}

fn if_tokens(body: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '&' || c == '|' {
            if cs.get(i + 1) != Some(&c) {
                return Err(format!("expected {c}{c}"));
            }
            out.push(format!("{c}{c}"));
            i += 2;
        } else if c == '!' || c == '(' || c == ')' {
            out.push(c.to_string());
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || matches!(cs[i], '_' | '-' | '.')) {
                i += 1;
            }
            out.push(cs[start..i].iter().collect());
        } else {
            return Err(format!("unexpected {c:?}"));
        }
    }
    Ok(out)
}

struct IfParser<'a> {
    toks: &'a [String],
    at: usize,
    given: &'a mut [Given],
}

impl IfParser<'_> {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.at).map(String::as_str)
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.peek() == Some("||") {
            self.at += 1;
            v |= self.and()?;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.unary()?;
        while self.peek() == Some("&&") {
            self.at += 1;
            v &= self.unary()?;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<bool, String> {
        match self.peek() {
            Some("!") => {
                self.at += 1;
                Ok(!self.unary()?)
            }
            Some("(") => {
                self.at += 1;
                let v = self.or()?;
                if self.peek() != Some(")") {
                    return Err("expected )".into());
                }
                self.at += 1;
                Ok(v)
            }
            Some(name) if !matches!(name, "&&" | "||" | ")") => {
                let name = name.to_string();
                self.at += 1;
                let mut set = false;
                for g in self.given.iter_mut().filter(|g| g.key == name) {
                    if g.value.is_none() {
                        g.used = true;
                        set = true;
                    }
                }
                Ok(set)
            }
            other => Err(format!(
                "unexpected {}",
                other.unwrap_or("end of expression")
            )),
        }
    }
}

/// The parsed arguments of `@tag(key, type=…, short=a|b, var=name)`.
struct TagSpec {
    key: String,
    typ: String,
    short: Vec<String>,
    var: Option<String>,
}

fn tag_spec(body: &str) -> TagSpec {
    let mut spec = TagSpec {
        key: String::new(),
        typ: "string".into(),
        short: Vec::new(),
        var: None,
    };
    for (i, part) in body.split(',').map(str::trim).enumerate() {
        match part.split_once('=') {
            Some(("type", t)) => spec.typ = t.trim().to_string(),
            Some(("short", s)) => spec.short = s.split('|').map(|x| x.trim().to_string()).collect(),
            Some(("var", v)) => spec.var = Some(v.trim().to_string()),
            Some(_) => {}
            None if i == 0 => spec.key = part.to_string(),
            None => {}
        }
    }
    spec
}

/// Injects the value given for `a`'s tag into the innermost field around `a`.
fn inject(
    file: &mut ast::File,
    a: &Attr,
    given: &mut [Given],
    vars: Option<&SystemVars>,
) -> Result<(), Diag> {
    let mut spec = tag_spec(&a.body);
    // Every value given (`-t key=…` and the `short=` names) is one more conjunct, so two
    // different values conflict as in cue.
    // `key=value` ones first, then the short names (the order cue's messages show).
    let mut values: Vec<String> = Vec::new();
    let mut shorts: Vec<String> = Vec::new();
    for g in given.iter_mut() {
        match &g.value {
            Some(v) if g.key == spec.key => {
                g.used = true;
                values.push(v.clone());
            }
            None if spec.short.contains(&g.key) => {
                g.used = true;
                shorts.push(g.key.clone());
            }
            _ => {}
        }
    }
    values.extend(shorts);
    if values.is_empty() {
        // `-T`: the system variable, when the tag names one (an unknown name is an error, as
        // in cue); `rand` is an integer whatever the tag's type.
        match (vars, &spec.var) {
            (Some(vars), Some(name)) => match vars.get(name) {
                Some(v) => {
                    if name == "rand" {
                        spec.typ = "int".into();
                    }
                    values.push(v)
                }
                None => {
                    return Err(Diag::new(
                        "orche::load::tag",
                        format!(
                            "tag variable '{name}' not found (one of now, os, arch, cwd, \
                             username, hostname, rand)"
                        ),
                    )
                    .with_label(a.span, "tag"))
                }
            },
            _ => return Ok(()),
        }
    }
    let mut path = Vec::new();
    let Some(field) = field_at(&mut file.decls, a.span.start as usize, &mut path) else {
        return Ok(());
    };
    for text in values {
        let lit = typed_literal(&text, &spec, a.span).map_err(|m| {
            let d = Diag::new("orche::load::tag", m).with_label(a.span, "tag");
            if path.is_empty() {
                d
            } else {
                d.with_path(path.join("."))
            }
        })?;
        conjoin(field, lit);
    }
    Ok(())
}

/// Replaces `field`'s value `v` with `v & value`: the injected value (a tag's, an embedded
/// file's) met with what the field declares, at the field value's span.
pub(super) fn conjoin(field: &mut ast::Field, value: Expr) {
    let span = field.value.span;
    let old = std::mem::replace(
        &mut field.value,
        Expr {
            kind: ExprKind::Null,
            span,
        },
    );
    field.value = Expr {
        kind: ExprKind::Binary(BinaryOp::And, Box::new(old), Box::new(value)),
        span,
    };
}

/// The field an attribute at `offset` belongs to: inside a struct value that holds it, else
/// the last field of this level whose value ends before it.
pub(super) fn field_at<'a>(
    decls: &'a mut [Decl],
    offset: usize,
    path: &mut Vec<String>,
) -> Option<&'a mut ast::Field> {
    let mut inside = None;
    let mut before = None;
    for (i, d) in decls.iter().enumerate() {
        let Decl::Field(f) = d else { continue };
        let v = f.value.span;
        let (vs, ve) = (v.start as usize, v.end as usize);
        if vs <= offset && offset < ve {
            if matches!(f.value.kind, ExprKind::Struct(_)) {
                inside = Some(i);
            }
            break;
        }
        if ve <= offset {
            before = Some(i);
        }
    }
    let i = inside.or(before)?;
    let Decl::Field(f) = &mut decls[i] else {
        return None;
    };
    path.push(match &f.label.kind {
        LabelKind::Ident(i) => i.name.clone(),
        LabelKind::String(s) => s.clone(),
        _ => "?".into(),
    });
    if inside.is_some() {
        let ExprKind::Struct(inner) = &mut f.value.kind else {
            return None;
        };
        return field_at(inner, offset, path);
    }
    Some(innermost(f, path))
}

/// `a: b: c: x @tag(t)` is short for `a: {b: {c: x}}`: the attribute belongs to `c`, the field
/// whose value ends where `a`'s does (a braced struct ends after its last field's value).
fn innermost<'a>(mut f: &'a mut ast::Field, path: &mut Vec<String>) -> &'a mut ast::Field {
    loop {
        let end = f.value.span.end;
        let descend = match &f.value.kind {
            ExprKind::Struct(ds) => {
                matches!(ds.as_slice(), [Decl::Field(g)] if g.value.span.end == end)
            }
            _ => false,
        };
        if !descend {
            return f;
        }
        let ExprKind::Struct(ds) = &mut f.value.kind else {
            unreachable!("checked above: a struct")
        };
        let Some(Decl::Field(g)) = ds.first_mut() else {
            unreachable!("checked above: one field")
        };
        path.push(match &g.label.kind {
            LabelKind::Ident(i) => i.name.clone(),
            LabelKind::String(s) => s.clone(),
            _ => "?".into(),
        });
        f = g;
    }
}

/// The tag's text as a literal of the tag's type.
fn typed_literal(text: &str, spec: &TagSpec, span: Span) -> Result<Expr, String> {
    let kind = match spec.typ.as_str() {
        "bool" => match text {
            "true" => ExprKind::Bool(true),
            "false" => ExprKind::Bool(false),
            _ => {
                return Err(format!(
                    "invalid boolean value {text:?} for injection tag {:?}",
                    spec.key
                ))
            }
        },
        "int" | "number" | "float" => {
            let e = crate::syntax::parse_expr(span.file, text).map_err(|_| {
                format!(
                    "invalid {} value {text:?} for injection tag {:?}",
                    spec.typ, spec.key
                )
            })?;
            let ok = match &e.kind {
                ExprKind::Int(_) => true,
                ExprKind::Float(_) => spec.typ != "int",
                ExprKind::Unary(ast::UnaryOp::Neg, x) => matches!(
                    (&x.kind, spec.typ.as_str()),
                    (ExprKind::Int(_), _) | (ExprKind::Float(_), "number" | "float")
                ),
                ExprKind::Ident(i) => return Err(format!("reference {:?} not found", i.name)),
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "invalid {} value {text:?} for injection tag {:?}",
                    spec.typ, spec.key
                ));
            }
            return Ok(respan(e, span));
        }
        _ => ExprKind::String(text.to_string()),
    };
    Ok(Expr { kind, span })
}

/// The literal parsed from the tag's text, with the attribute's span (its own spans index the
/// tag text, not the file).
fn respan(e: Expr, span: Span) -> Expr {
    let kind = match e.kind {
        ExprKind::Unary(op, x) => ExprKind::Unary(op, Box::new(respan(*x, span))),
        k => k,
    };
    Expr { kind, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(tags: &[&str]) -> Vec<Given> {
        tags.iter()
            .map(|t| Given {
                key: t.to_string(),
                value: None,
                used: false,
            })
            .collect()
    }

    #[test]
    fn if_expressions_follow_precedence() {
        let mut g = given(&["prod", "eu"]);
        assert_eq!(eval_if("prod", &mut g), Ok(true));
        assert_eq!(eval_if("!prod && eu", &mut g), Ok(false));
        assert_eq!(eval_if("us || (prod && !us)", &mut g), Ok(true));
        assert!(g.iter().all(|g| g.used));
        assert!(eval_if("prod &", &mut g).is_err());
        assert!(eval_if("(prod", &mut g).is_err());
    }

    #[test]
    fn times_print_as_go_rfc3339_nano() {
        assert_eq!(rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(1_721_662_929, 335_482_400),
            "2024-07-22T15:42:09.3354824Z"
        );
        assert_eq!(rfc3339_nano(951_782_400, 0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn tag_arguments_are_read() {
        let s = tag_spec("env, type=int, short=a|b");
        assert_eq!(s.key, "env");
        assert_eq!(s.typ, "int");
        assert_eq!(s.short, vec!["a", "b"]);
    }
}
