//! `orche eval` output: an evaluated value in orche (CUE) syntax, incomplete values included,
//! definitions and optional fields shown, lets left out; for the command line, hidden fields
//! only when asked for (`-H`) and definitions left out with `-c`, as `cue eval` prints them
//! (`print_eval`), which shows a value not complete yet as the expressions it was written
//! with (`y: x + 1`). Invariant: fields print in the order
//! the evaluator stored them; each value printed is a step of the run's budget (`limit`), so
//! printing runs inside `limit::catch` as the evaluation does. `print_eval`'s text starts
//! with the imports of the builtin packages its validators name (`import "list"` before
//! `#types: list.MinItems(1)`), as cue's eval prints them, so that the text reads again.

use crate::eval::{Ctx, VId};
use crate::lower::Label;

pub fn print(ctx: &Ctx, v: VId) -> String {
    print_with(ctx, v, &Opts::new(false, usize::MAX))
}

/// `orche eval`'s text: [`print`], hidden fields (`_x`) only with `hidden` and definitions
/// (`#X`) only with `definitions`.
pub fn print_eval(ctx: &Ctx, v: VId, hidden: bool, definitions: bool) -> String {
    let mut o = Opts::new(false, usize::MAX);
    o.hidden = hidden;
    o.definitions = definitions;
    o.written = true;
    let body = print_with(ctx, v, &o);
    let mut pkgs = o.pkgs.into_inner();
    pkgs.sort_unstable();
    pkgs.dedup();
    match &pkgs[..] {
        [] => body,
        [one] => format!("import {one:?}\n\n{body}"),
        several => {
            let mut out = String::from("import (\n");
            for p in several {
                out.push_str(&format!("\t{p:?}\n"));
            }
            out.push_str(")\n\n");
            out.push_str(&body);
            out
        }
    }
}

/// The builtin packages the validators of `v` name (`list` for `list.MinItems(1)`), into
/// `out`.
fn builtin_packages(v: &crate::eval::Val, out: &mut Vec<std::rc::Rc<str>>) {
    use crate::eval::{Func, Val};
    match v {
        Val::Validator(x) => {
            if let Func::Builtin(b) = &x.func {
                out.push(b.pkg.into());
            }
        }
        Val::Bound(_, x) => builtin_packages(x, out),
        Val::Conj(xs) => xs.iter().for_each(|x| builtin_packages(x, out)),
        Val::Disj(xs) => xs.iter().for_each(|(x, _)| builtin_packages(x, out)),
        _ => {}
    }
}

/// What is printed: defaults resolved or not, the length past which printing stops, and
/// which kinds of fields are shown.
struct Opts {
    resolve: bool,
    max: usize,
    hidden: bool,
    definitions: bool,
    /// The packages the printed validators and expressions name (`print_eval` imports them).
    pkgs: std::cell::RefCell<Vec<std::rc::Rc<str>>>,
    /// A value not complete yet is shown as the expressions it was written with, as `cue
    /// eval` shows it (`y: x + 1`), where the source texts are at hand; else as `_|_ // why`.
    written: bool,
    /// `import_spans`, computed when the first expression is printed.
    imports: std::cell::OnceCell<Vec<(crate::source::Span, std::rc::Rc<str>)>>,
}

impl Opts {
    fn new(resolve: bool, max: usize) -> Opts {
        Opts {
            resolve,
            max,
            hidden: true,
            definitions: true,
            pkgs: Default::default(),
            written: false,
            imports: Default::default(),
        }
    }

    /// Whether a field labelled `l` (printed as `name`) is shown.
    fn shows(&self, l: &Label, name: &str) -> bool {
        matches!(l, Label::Field(_))
            && (self.hidden || !name.starts_with('_'))
            && (self.definitions || !name.starts_with('#'))
    }
}

/// The start of [`print`]'s text: printing stops once the text is past `max` bytes, so a
/// one-line summary of a large value (the language server's completion) costs no more than
/// its first lines. The flag says whether the text was cut.
pub fn print_prefix(ctx: &Ctx, v: VId, max: usize) -> (String, bool) {
    let text = print_with(ctx, v, &Opts::new(false, max));
    let cut = text.len() > max;
    (text, cut)
}

/// As [`print`], with defaults resolved as `orche export` resolves them: a disjunction with
/// one default shows that default (`int & >0 | *5` is `5`); one with none or several stays a
/// disjunction. The language server's hover.
pub fn print_resolved(ctx: &Ctx, v: VId) -> String {
    print_with(ctx, v, &Opts::new(true, usize::MAX))
}

/// The text of `v`, stopping once it is past `max` bytes.
fn print_with(ctx: &Ctx, v: VId, o: &Opts) -> String {
    let mut out = String::new();
    let t = resolved(ctx, ctx.deref(v), o.resolve);
    if ctx.v(t).is_struct && ctx.v(t).alts().is_none() && ctx.v(t).err.is_none() {
        fields(ctx, t, 0, o, &mut out);
    } else {
        value(ctx, v, 0, o, &mut out);
        out.push('\n');
    }
    out
}

/// The single default alternative of `t` when resolving and it has one, else `t`.
fn resolved(ctx: &Ctx, t: VId, resolve: bool) -> VId {
    if !resolve {
        return t;
    }
    match ctx.v(t).alts() {
        Some(alts) => {
            let mut defaults = alts.iter().filter(|(_, d)| *d);
            match (defaults.next(), defaults.next()) {
                (Some((a, _)), None) => resolved(ctx, ctx.deref(*a), resolve),
                _ => t,
            }
        }
        None => t,
    }
}

fn tabs(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push('\t');
    }
}

fn fields(ctx: &Ctx, v: VId, depth: usize, o: &Opts, out: &mut String) {
    let vx = ctx.v(v);
    for (l, a) in vx.arcs.iter() {
        if out.len() > o.max {
            return;
        }
        let av = ctx.v(*a);
        let name = match l {
            Label::Field(_) => ctx.label_name(*l),
            _ => continue,
        };
        if !o.shows(l, &name) {
            continue;
        }
        let marker = if av.has_regular {
            ""
        } else if av.has_required {
            "!"
        } else if av.has_optional {
            "?"
        } else {
            ""
        };
        tabs(out, depth);
        out.push_str(&name);
        out.push_str(marker);
        out.push_str(": ");
        value(ctx, *a, depth, o, out);
        out.push('\n');
    }
}

fn value(ctx: &Ctx, v: VId, depth: usize, o: &Opts, out: &mut String) {
    let (resolve, max) = (o.resolve, o.max);
    if out.len() > max {
        return;
    }
    // A value shared at every level doubles its text at every level (`a1: {l: a0, r: a0}`, …):
    // each value printed counts against the run's budget, as in the JSON export, so that the
    // language server's hover of such a field stops with `orche::limit::…` instead of printing
    // 2^n copies.
    ctx.step(v);
    let t = resolved(ctx, ctx.deref(v), resolve);
    let vx = ctx.v(t);
    if let Some(e) = &vx.err {
        // A value that contains itself through an optional field is printed as written
        // (`foo?: Foo`): cue does not unroll it.
        let recursive = e.code == "orche::eval::structural_cycle" && !vx.has_regular;
        if o.written && (e.incomplete || recursive) && !vx.is_struct {
            if let Some(text) = written(ctx, t, o) {
                out.push_str(&text);
                return;
            }
        }
        out.push_str("_|_ // ");
        out.push_str(&e.msg);
        return;
    }
    if let Some(alts) = vx.alts() {
        for (i, (a, d)) in alts.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            if *d {
                out.push('*');
            }
            value(ctx, *a, depth, o, out);
        }
        return;
    }
    if vx.is_struct {
        let shown = |l: &Label| matches!(l, Label::Field(_)) && o.shows(l, &ctx.label_name(*l));
        if !vx.arcs.keys().any(shown) {
            out.push_str("{}");
            return;
        }
        out.push_str("{\n");
        fields(ctx, t, depth + 1, o, out);
        tabs(out, depth);
        out.push('}');
        return;
    }
    if !vx.lists().is_empty() {
        let items = vx.list_elems();
        let open = vx.lists().iter().all(|l| l.open);
        if items.is_empty() {
            out.push_str(if open { "[...]" } else { "[]" });
            return;
        }
        out.push_str("[\n");
        for (_, a) in items {
            if out.len() > max {
                break;
            }
            tabs(out, depth + 1);
            value(ctx, a, depth + 1, o, out);
            out.push_str(",\n");
        }
        if open {
            tabs(out, depth + 1);
            out.push_str("...\n");
        }
        tabs(out, depth);
        out.push(']');
        return;
    }
    // A string longer than the room left (`print_prefix`) is shown from its start only: the
    // completion of a struct holding strings of megabytes quotes a line of each, not all.
    if let crate::eval::Val::Str(text) = &vx.base {
        let mut room = max.saturating_sub(out.len());
        if text.len() > room {
            while !text.is_char_boundary(room) {
                room -= 1;
            }
            let head = crate::eval::Val::Str(text[..room].into());
            out.push_str(&crate::eval::show_val(&head));
            return;
        }
    }
    builtin_packages(&vx.base, &mut o.pkgs.borrow_mut());
    if resolve {
        out.push_str(&crate::eval::show_val(&crate::eval::default_val(&vx.base)));
    } else {
        out.push_str(&crate::eval::show_val(&vx.base));
    }
}

/// The conjuncts of `t` as written, joined by `&` and laid out as `orche fmt` lays them out
/// (`int & b*2`), with the packages they import noted in `o.pkgs`. `None` when a conjunct
/// is not an expression of a source text (data, a value computed by a builtin) or its text
/// holds a comment or a multi-line string, which one line cannot show.
fn written(ctx: &Ctx, t: VId, o: &Opts) -> Option<String> {
    use crate::eval::ConjKind;
    let sources = ctx.sources?;
    let mut parts: Vec<&str> = Vec::new();
    let mut pkgs = Vec::new();
    for c in &ctx.v(t).conjs {
        let ConjKind::Expr(e) = c.expr.get() else {
            return None;
        };
        let span = ctx.prog.expr(e).span;
        let text = sources
            .get(span.file)
            .text
            .get(span.start as usize..span.end as usize)?
            .trim();
        if text.is_empty()
            || ["//", "\"\"\"", "'''", "#\""]
                .iter()
                .any(|m| text.contains(m))
        {
            return None;
        }
        if !parts.contains(&text) {
            parts.push(text);
            let index = o.imports.get_or_init(|| import_spans(ctx));
            pkgs.extend(
                index
                    .iter()
                    .filter(|(s, _)| {
                        s.file == span.file && s.start >= span.start && s.end <= span.end
                    })
                    .map(|(_, path)| path.clone()),
            );
        }
    }
    if parts.is_empty() {
        return None;
    }
    // Line breaks (and the indentation after them) become one space: no string literal
    // spans lines here, so only layout changes.
    let joined = parts.join(" & ");
    let one_line = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let field = format!("x: {one_line}\n");
    let text = match crate::fmt::format(crate::source::FileId::default(), &field) {
        Ok(f) => f
            .strip_prefix("x: ")
            .map_or(one_line.clone(), |s| s.trim_end().to_string()),
        Err(_) => one_line,
    };
    o.pkgs.borrow_mut().extend(pkgs);
    Some(text)
}

/// Every package reference of the program (`strings` in `strings.ToUpper(s)`) with its
/// place, to find those inside a printed expression.
fn import_spans(ctx: &Ctx) -> Vec<(crate::source::Span, std::rc::Rc<str>)> {
    ctx.prog
        .exprs
        .iter()
        .filter_map(|x| match &x.kind {
            crate::lower::ExprKind::Import(path) => Some((x.span, path.clone())),
            _ => None,
        })
        .collect()
}

/// `export --out cue`: concrete data as CUE text, laid out as `cue export --out cue` lays it
/// out: one field a line, a struct of one field as `a: b: c: 1`, lists of scalars on one line,
/// tabs. Every label that is not a plain identifier (`#x`, `_x`, `a-b`) is quoted, so a field
/// stays a regular field when the text is read again.
pub fn data(v: &crate::value::Value) -> String {
    use crate::value::Value;
    let mut out = String::new();
    match v {
        Value::Struct(fields) => {
            for (k, x) in fields {
                data_field(k, x, 0, &mut out);
            }
        }
        other => {
            data_value(other, 0, &mut out);
            out.push('\n');
        }
    }
    out
}

fn data_label(k: &str) -> String {
    // Bare only as an identifier that reads back as a regular field (not `#x` or `_x`).
    if crate::lower::is_identifier(k) && !k.starts_with(['#', '_']) {
        k.to_string()
    } else {
        crate::eval::builtins::show(&crate::value::Value::Str(k.to_string()))
    }
}

fn data_field(k: &str, v: &crate::value::Value, depth: usize, out: &mut String) {
    use crate::value::Value;
    tabs(out, depth);
    out.push_str(&data_label(k));
    out.push_str(": ");
    let mut v = v;
    // `a: b: 1` for a struct of one field, as cue prints it.
    while let Value::Struct(fields) = v {
        if fields.len() != 1 {
            break;
        }
        let (k, x) = fields.first().expect("one field");
        out.push_str(&data_label(k));
        out.push_str(": ");
        v = x;
    }
    data_value(v, depth, out);
    out.push('\n');
}

fn data_value(v: &crate::value::Value, depth: usize, out: &mut String) {
    use crate::value::Value;
    match v {
        Value::Struct(fields) if fields.is_empty() => out.push_str("{}"),
        Value::Struct(fields) => {
            out.push_str("{\n");
            for (k, x) in fields {
                data_field(k, x, depth + 1, out);
            }
            tabs(out, depth);
            out.push('}');
        }
        Value::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                data_value(x, depth, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&crate::eval::builtins::show(scalar)),
    }
}
