//! From vertices to results: concrete data for emitters (`export_vertex`) and the errors of an
//! evaluation as diagnostics (`collect`). Invariant: the walk visits arcs in their stored order,
//! so the same input gives the same data and the same error list.

use super::unify::{is_concrete, show};
use super::{expr, Bot, Ctx, VId, Val};
use crate::diag::Diag;
use crate::lower::{FieldClass, Label};
use crate::value::{DataSink, Scalar, Value, ValueBuilder};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportMode {
    /// Every regular field must be concrete (`orche export`).
    Concrete,
    /// Incomplete values are allowed (`orche eval`); only real errors are reported.
    Eval,
}

/// Concrete data of a finalized vertex; problems are pushed to `errs` as (path, error).
pub fn export_vertex(
    ctx: &Ctx,
    v: VId,
    mode: ExportMode,
    errs: &mut Vec<(VId, Rc<Bot>)>,
) -> Option<Value> {
    let mut b = ValueBuilder::default();
    if export_to(ctx, v, mode, errs, &mut b) {
        b.finish()
    } else {
        None
    }
}

/// Streams the concrete data of a finalized vertex to `out`; problems are pushed to `errs` as
/// (path, error). Returns false when the data is incomplete or wrong: what `out` received is
/// then partial.
pub fn export_to<S: DataSink>(
    ctx: &Ctx,
    v: VId,
    mode: ExportMode,
    errs: &mut Vec<(VId, Rc<Bot>)>,
    out: &mut S,
) -> bool {
    // A value met again through another field (one that shares it, or the field it was
    // shared from): a sink without data skips it when it was walked clean before.
    let t = ctx.deref(v);
    if out.walked_clean(t) {
        ctx.step(v);
        return true;
    }
    let before = errs.len();
    let ok = export_vertex_to(ctx, v, mode, errs, out);
    if ok && errs.len() == before && !ctx.v(t).arcs.is_empty() {
        out.mark_clean(t);
    }
    ok
}

/// How many fields or elements ahead of the walk their vertices are fetched.
const AHEAD: usize = 4;

/// At the `i`th child of a struct or list (`nth` gives them by position), has the CPU fetch
/// the vertex `AHEAD` children on (the first `AHEAD` too, at the first): the walk meets each
/// vertex in cache instead of waiting for its memory, a wait that was most of its time.
fn fetch_ahead(ctx: &Ctx, i: usize, nth: impl Fn(usize) -> Option<VId>) {
    if i == 0 {
        (0..AHEAD).filter_map(&nth).for_each(|a| ctx.prefetch(a));
    }
    if let Some(a) = nth(i + AHEAD) {
        ctx.prefetch(a);
    }
}

fn export_vertex_to<S: DataSink>(
    ctx: &Ctx,
    v: VId,
    mode: ExportMode,
    errs: &mut Vec<(VId, Rc<Bot>)>,
    out: &mut S,
) -> bool {
    // Errors are reported at the field asked for, not at the vertex it forwards to.
    let at = v;
    // A value shared at every level doubles its output at every level: each value written
    // counts against the run's budget.
    ctx.step(at);
    let v = ctx.deref(v);
    let vx = ctx.v(v);
    if let Some(e) = &vx.err {
        errs.push((at, e.clone()));
        return false;
    }
    if let Some(alts) = vx.alts() {
        let defaults: Vec<VId> = alts.iter().filter(|(_, d)| *d).map(|(a, _)| *a).collect();
        if defaults.len() == 1 {
            return export_to(ctx, defaults[0], mode, errs, out);
        }
        let mut vals = Vec::new();
        for (a, _) in alts {
            let mut e2 = Vec::new();
            vals.push(
                export_vertex(ctx, *a, mode, &mut e2)
                    .map(|x| expr::show_value(&x))
                    .unwrap_or_else(|| "{...}".into()),
            );
        }
        errs.push((
            v,
            Bot::incomplete(
                format!("incomplete value {}", vals.join(" | ")),
                vec![vx.span],
            ),
        ));
        return false;
    }
    if vx.is_struct {
        out.begin_struct();
        let mut ok = true;
        let arcs = &vx.arcs;
        for (i, (l, a)) in arcs.iter().enumerate() {
            fetch_ahead(ctx, i, |j| arcs.at(j).map(|(_, a)| a));
            let s = match l {
                Label::Field(s) => *s,
                _ => continue,
            };
            let class = ctx.sym_class(s);
            let av = ctx.v(*a);
            if class != FieldClass::Regular {
                if mode == ExportMode::Concrete {
                    // Errors in definitions and hidden fields are still errors.
                    collect_hard(ctx, *a, errs);
                }
                continue;
            }
            if !av.has_regular {
                if av.has_required && mode == ExportMode::Concrete {
                    // First the struct that lacks the field (where to add it), then where it
                    // is required.
                    let mut spans = vec![av.span];
                    let here = ctx.v(v).span;
                    if here != crate::source::Span::default() && here != av.span {
                        spans.insert(0, here);
                    }
                    errs.push((
                        *a,
                        Bot::incomplete(
                            format!("field is required but not present: {}", ctx.field_name(s)),
                            spans,
                        ),
                    ));
                    ok = false;
                }
                continue;
            }
            if !out.field_known(s.0) {
                out.field_sym(s.0, ctx.field_name(s));
            }
            if !export_to(ctx, *a, mode, errs, out) {
                ok = false;
            }
        }
        out.end_struct();
        return ok;
    }
    // A list or scalar with definitions or hidden fields beside it (an embedded scalar):
    // errors there are still errors.
    if mode == ExportMode::Concrete {
        for (l, a) in vx.arcs.iter() {
            if let Label::Field(s) = l {
                if ctx.sym_class(*s) != FieldClass::Regular {
                    collect_hard(ctx, *a, errs);
                }
            }
        }
    }
    if !vx.lists().is_empty() {
        out.begin_list();
        let mut ok = true;
        let elems = vx.list_elems();
        for (i, &(_, a)) in elems.iter().enumerate() {
            fetch_ahead(ctx, i, |j| elems.get(j).map(|(_, a)| *a));
            if !export_to(ctx, a, mode, errs, out) {
                ok = false;
            }
        }
        out.end_list();
        return ok;
    }
    let base = default_ref(&vx.base);
    let scalar = match base {
        Val::Null => Scalar::Null,
        Val::Bool(b) => Scalar::Bool(*b),
        Val::Num(n) => Scalar::Num(n),
        Val::Str(s) => Scalar::Str(s),
        Val::Bytes(b) => Scalar::Bytes(b),
        _ => {
            if mode == ExportMode::Concrete {
                let msg = match &vx.base {
                    Val::Top => "incomplete value _".to_string(),
                    b if is_concrete(b) => unreachable_msg(),
                    b => format!("incomplete value {}", show(b)),
                };
                errs.push((at, Bot::incomplete(msg, vec![ctx.v(at).span])));
            }
            return false;
        }
    };
    out.scalar(scalar);
    true
}

/// The single default of a disjunction, or the value itself (`default_of` without a copy).
pub(super) fn default_ref(v: &Val) -> &Val {
    if let Val::Disj(ds) = v {
        let mut defaults = ds.iter().filter(|(_, m)| *m);
        if let (Some((d, _)), None) = (defaults.next(), defaults.next()) {
            return d;
        }
    }
    v
}

fn unreachable_msg() -> String {
    "incomplete value".to_string()
}

/// Non-incomplete errors anywhere below `v` (definitions, hidden fields).
fn collect_hard(ctx: &Ctx, v: VId, errs: &mut Vec<(VId, Rc<Bot>)>) {
    ctx.step(v);
    let v = ctx.deref(v);
    let vx = ctx.v(v);
    if let Some(e) = &vx.err {
        if !e.incomplete {
            errs.push((v, e.clone()));
        }
        return;
    }
    if vx.alts().is_some() {
        return;
    }
    for (l, a) in vx.arcs.iter() {
        if matches!(l, Label::Let(_)) {
            continue;
        }
        let av = ctx.v(*a);
        if !av.has_regular && !av.has_required {
            continue;
        }
        collect_hard(ctx, *a, errs);
    }
}

/// All errors of the value at `at`, as diagnostics, in tree order.
pub fn collect(ctx: &Ctx, at: VId, mode: ExportMode) -> Vec<Diag> {
    let mut errs = Vec::new();
    match mode {
        ExportMode::Concrete => {
            // Only the errors are wanted: no data is built.
            export_to(ctx, at, mode, &mut errs, &mut crate::value::NullSink::new());
        }
        ExportMode::Eval => collect_hard_all(ctx, at, &mut errs),
    }
    to_diags(ctx, errs)
}

fn collect_hard_all(ctx: &Ctx, v: VId, errs: &mut Vec<(VId, Rc<Bot>)>) {
    collect_hard(ctx, v, errs)
}

/// Whether data path `at` is strictly below `here` (`a.b.c` below `a.b`; anything below the
/// root's empty path).
pub fn path_below(here: &str, at: &str) -> bool {
    if here.is_empty() {
        return !at.is_empty();
    }
    at.len() > here.len() + 1 && at.starts_with(here) && at.as_bytes()[here.len()] == b'.'
}

/// The path an error is reported at: that of `v`, or of the field below `v` where it arose
/// (an error every alternative of a disjunction met at the same deeper field).
fn report_path(ctx: &Ctx, v: VId, b: &Bot) -> String {
    let here = ctx.path(v);
    if let Some(o) = b.origin.get() {
        if o != v {
            let at = ctx.path(o);
            // A cycle through `let`s is reported inside the `let` that met it (`x.let[].c.c`),
            // as cue reports it, wherever it reached.
            if b.code == super::structs::LET_CYCLE {
                return at;
            }
            // An error made in an imported package is reported at its path there, as CUE
            // reports it.
            if path_below(&here, &at) || super::expr::in_module_package(ctx, o) {
                return at;
            }
        }
    }
    here
}

/// The `did you mean …?` hint of an error that may come from a typo (`Bot::typo`): a field of
/// the same struct, or a string alternative, with a close name.
fn typo_hint(ctx: &Ctx, b: &Bot) -> Option<String> {
    match b.typo.as_ref()? {
        super::Typo::Field {
            within,
            label: Label::Field(sym),
        } => {
            let t = ctx.deref(*within);
            let names = ctx.v(t).arcs.keys().filter_map(|l| match l {
                Label::Field(s) if ctx.sym_class(*s) == FieldClass::Regular => {
                    Some(ctx.field_name(*s))
                }
                _ => None,
            });
            crate::diag::closest(ctx.field_name(*sym), names)
                .map(|n| format!("did you mean `{n}`?"))
        }
        super::Typo::Field { .. } => None,
        super::Typo::Alternative {
            value,
            of: Val::Disj(alts),
        } => {
            let names = alts.iter().filter_map(|(x, _)| match x {
                Val::Str(s) => Some(&s[..]),
                _ => None,
            });
            crate::diag::closest(value, names)
                .map(|n| format!("did you mean {}?", show(&Val::Str(n.into()))))
        }
        super::Typo::Alternative { .. } => None,
    }
}

pub fn to_diags(ctx: &Ctx, errs: Vec<(VId, Rc<Bot>)>) -> Vec<Diag> {
    // One error that reached several fields through references is reported once: where it
    // arose if that field is among them, else at its first path.
    let mut chosen: indexmap::IndexMap<*const Bot, VId> = indexmap::IndexMap::new();
    for (v, b) in &errs {
        let p = Rc::as_ptr(b);
        let better = match chosen.get(&p) {
            None => true,
            Some(&c) => {
                // Graph errors arise in a hidden helper field of the stdlib; users look for them
                // at the computed fields (`levels`, `order`).
                if b.code.starts_with("orche::graph::") {
                    ctx.is_regular_path(*v) && !ctx.is_regular_path(c)
                } else {
                    b.origin.get() == Some(*v)
                }
            }
        };
        if better {
            chosen.insert(p, *v);
        }
    }
    let mut out: Vec<Diag> = Vec::new();
    // For each report, the other paths the same problem was found at.
    let mut also: Vec<Vec<String>> = Vec::new();
    let mut seen: hashbrown::HashSet<Diag, foldhash::fast::FixedState> = Default::default();
    type GraphKey = (&'static str, String, Vec<crate::diag::Label>);
    let mut graph_seen: hashbrown::HashSet<GraphKey, foldhash::fast::FixedState> =
        Default::default();
    type ProblemKey = (&'static str, String, Vec<crate::source::Span>);
    let mut problems: super::FastMap<ProblemKey, usize> = Default::default();
    for (v, b) in &errs {
        if chosen.get(&Rc::as_ptr(b)) != Some(v) {
            continue;
        }
        let mut d = Diag::new(b.code, b.msg.clone()).with_path(report_path(ctx, *v, b));
        // A field not allowed is shown with the struct that closes it.
        let texts: &[&str] = match b.code {
            "orche::eval::closed" if b.spans.len() > 1 => &["not allowed", "closed here"],
            _ => &[],
        };
        for (i, s) in b.spans.iter().enumerate() {
            if *s != crate::source::Span::default() {
                d = d.with_label(*s, texts.get(i).copied().unwrap_or(""));
            }
        }
        if let Some(h) = &b.help {
            d = d.with_help(h.clone());
        } else if let Some(h) = typo_hint(ctx, b) {
            d = d.with_help(h);
        }
        // Lookups by key, not by scanning `out`: a large input can have tens of thousands of
        // errors.
        if !seen.insert(d.clone()) {
            continue;
        }
        // Several graph functions over the same graph find the same missing node or cycle:
        // one report, at the first field.
        if d.code.starts_with("orche::graph::")
            && !graph_seen.insert((d.code, d.message.clone(), d.labels.clone()))
        {
            continue;
        }
        // The same problem at the same places, reached again through a reference that
        // re-evaluates it (`timeout: res.health.timeout` in a graph node): one report, which
        // names the other paths.
        if !d.labels.is_empty() {
            let mut places: Vec<crate::source::Span> = d.labels.iter().map(|l| l.span).collect();
            places.sort_by_key(|s| (s.file, s.start, s.end));
            match problems.entry((d.code, d.message.clone(), places)) {
                hashbrown::hash_map::Entry::Occupied(e) => {
                    let i = *e.get();
                    if out[i].path != d.path {
                        also[i].push(d.path);
                    }
                    continue;
                }
                hashbrown::hash_map::Entry::Vacant(e) => {
                    e.insert(out.len());
                }
            }
        }
        out.push(d);
        also.push(Vec::new());
    }
    for (d, paths) in out.iter_mut().zip(also) {
        if paths.is_empty() {
            continue;
        }
        let shown: Vec<&str> = paths.iter().take(3).map(String::as_str).collect();
        let mut note = format!("the same error is also at {}", shown.join(", "));
        if paths.len() > 3 {
            note.push_str(&format!(" and {} more", paths.len() - 3));
        }
        d.help = Some(match d.help.take() {
            Some(h) => format!("{h}\n{note}"),
            None => note,
        });
    }
    out
}
