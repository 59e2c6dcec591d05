//! Calls of the `orche/graph` natives. The dependency map (the first argument) is read straight
//! from its vertex into a [`Graph`], once per vertex (`dag.Analyze(nodes)` and
//! `dag.GroupOrder(nodes, …)` share one reading), instead of being copied into a `Value` per
//! call. Invariant: the result and the errors are those of [`builtins::graph::call`] on the
//! map as concrete data; a map of any other shape, or with errors, takes that path.

use super::builtins::{self, graph::Input, Builtin};
use super::expr::{eval, from_value, to_value};
use super::report::{default_ref, export_to, ExportMode};
use super::structs::{finalize_deep, lookup};
use super::unify::default_of;
use super::{Bot, Ctx, Env, VId, Val};
use crate::graph::{Graph, GraphError};
use crate::lower::{ExprId, Label};
use crate::source::Span;
use crate::value::{NullSink, Value};
use std::rc::Rc;

/// A dependency map read from a vertex.
pub struct GraphRead {
    /// Arcs of the map's vertex when it was read: a reading is reused only while this holds.
    arcs: usize,
    result: Result<ReadGraph, GraphError>,
}

struct ReadGraph {
    graph: Graph,
    weights: Vec<Option<i64>>,
    /// The vertex of each node, for its fields (`GroupOrder`).
    nodes: Vec<VId>,
}

/// Calls `b` (a function of `orche/graph`, arity checked) on the arguments `args`.
pub fn call(
    ctx: &mut Ctx,
    b: &'static Builtin,
    args: &[ExprId],
    env: Option<&Rc<Env>>,
    span: Span,
) -> Val {
    let first = default_of(&eval(ctx, args[0], env));
    let map = match first {
        Val::Vertex(t) => Some(t),
        _ => None,
    };
    let read = map.and_then(|t| read_graph(ctx, t));
    let mut vals = Vec::with_capacity(args.len());
    if read.is_none() {
        match to_value(ctx, &first, span) {
            Ok(x) => vals.push(x),
            Err(e) => return e,
        }
    } else {
        // Not looked at: the natives get the map as `Input`.
        vals.push(Value::Null);
    }
    for a in &args[1..] {
        let v = default_of(&eval(ctx, *a, env));
        match to_value(ctx, &v, span) {
            Ok(x) => vals.push(x),
            Err(e) => return e,
        }
    }
    let result = match &read {
        None => builtins::graph::call(b.name, &vals),
        Some(r) => match &r.result {
            Err(e) => Err(e.clone()),
            Ok(rg) => {
                let c: &Ctx = ctx;
                let field = |i: usize, f: &str| node_field(c, rg.nodes[i], f);
                let input = Input {
                    graph: &rg.graph,
                    weights: &rg.weights,
                    field: &field,
                };
                builtins::graph::call_on(b.name, &input, &vals)
            }
        },
    };
    match result {
        Ok(v) => from_value(ctx, v, span),
        Err(e) => {
            let mut spans = Vec::new();
            if let Some(g) = map {
                for (node, dep) in &e.at {
                    spans.extend(entry_span(ctx, g, node, dep));
                }
            }
            if spans.is_empty() {
                spans.push(span);
            }
            Val::Bottom(Rc::new(Bot {
                code: "orche::graph::invalid",
                msg: e.msg,
                spans,
                incomplete: false,
                help: e.help,
                typo: None,
                origin: Default::default(),
            }))
        }
    }
}

/// The dependency map at `t` as a graph, read once per vertex; `None` when the map has errors,
/// is incomplete or is not of the usual shape (`{[node]: {[dep]: bool}}` or nodes with a
/// `depends_on` struct), which [`builtins::graph::call`] then reports.
fn read_graph(ctx: &mut Ctx, t: VId) -> Option<Rc<GraphRead>> {
    finalize_deep(ctx, t);
    let t = ctx.deref(t);
    if let Some(r) = ctx.graph_reads.get(&t) {
        if r.arcs == ctx.v(t).arcs.len() {
            return Some(r.clone());
        }
    }
    // The same walk as exporting, without building data: any error or incomplete value in the
    // map is the call's error, as when the map is converted to data.
    if !export_to(
        ctx,
        t,
        ExportMode::Concrete,
        &mut Vec::new(),
        &mut NullSink::new(),
    ) {
        return None;
    }
    let read = Rc::new(read_map(ctx, t)?);
    ctx.graph_reads.insert(t, read.clone());
    Some(read)
}

fn read_map(ctx: &Ctx, t: VId) -> Option<GraphRead> {
    let tx = ctx.v(t);
    if !tx.is_struct || !tx.lists().is_empty() {
        return None;
    }
    let depends_on = ctx.find_sym("depends_on").map(Label::Field);
    let timeout = ctx.find_sym("timeout").map(Label::Field);
    let mut edges: Vec<(&str, Vec<&str>)> = Vec::with_capacity(tx.arcs.len());
    let mut weights = Vec::with_capacity(tx.arcs.len());
    let mut nodes = Vec::with_capacity(tx.arcs.len());
    for (name, a) in regular_fields(ctx, t) {
        let n = final_vertex(ctx, a)?;
        let nx = ctx.v(n);
        if !nx.is_struct || !nx.lists().is_empty() {
            return None;
        }
        // A node struct, or the dependency set itself.
        let ds = depends_on.and_then(|l| regular_arc(ctx, n, l));
        let (set, weight) = match ds {
            Some(d) => {
                let d = final_vertex(ctx, d)?;
                let dx = ctx.v(d);
                if !dx.is_struct || !dx.lists().is_empty() {
                    return None;
                }
                let w = timeout
                    .and_then(|l| regular_arc(ctx, n, l))
                    .and_then(|w| final_vertex(ctx, w))
                    .and_then(|w| match default_ref(&ctx.v(w).base) {
                        Val::Num(x) if !ctx.v(w).is_struct && ctx.v(w).lists().is_empty() => {
                            x.to_i64()
                        }
                        // A duration string (`"30s"`): its seconds.
                        Val::Str(s) if !ctx.v(w).is_struct && ctx.v(w).lists().is_empty() => {
                            super::builtins::time::duration_seconds(s)
                        }
                        _ => None,
                    });
                (d, w)
            }
            None => (n, None),
        };
        let mut deps = Vec::new();
        for (dep, m) in regular_fields(ctx, set) {
            let m = final_vertex(ctx, m)?;
            let mx = ctx.v(m);
            if mx.is_struct || !mx.lists().is_empty() {
                return None;
            }
            match default_ref(&mx.base) {
                Val::Bool(true) => deps.push(dep),
                Val::Bool(false) => {}
                _ => return None,
            }
        }
        edges.push((name, deps));
        weights.push(weight);
        nodes.push(n);
    }
    let result =
        Graph::from_edges(edges.iter().map(|(n, ds)| (*n, ds.iter().copied()))).map(|graph| {
            ReadGraph {
                graph,
                weights,
                nodes,
            }
        });
    Some(GraphRead {
        arcs: tx.arcs.len(),
        result,
    })
}

/// The regular fields of the struct at `v` that are present, as data has them.
fn regular_fields<'c>(ctx: &'c Ctx, v: VId) -> impl Iterator<Item = (&'c str, VId)> + 'c {
    ctx.present_fields(v).map(|(s, a)| (ctx.field_name(s), a))
}

/// The arc `l` of `v` if it is a regular field that is present.
fn regular_arc(ctx: &Ctx, v: VId, l: Label) -> Option<VId> {
    let a = *ctx.v(v).arcs.get(&l)?;
    ctx.v(a).has_regular.then_some(a)
}

/// The vertex that holds the value of `a`: forwarding followed, and the default of a
/// disjunction with one (as exporting takes it).
fn final_vertex(ctx: &Ctx, a: VId) -> Option<VId> {
    let mut a = ctx.deref(a);
    let mut guard = 0;
    while let Some(alts) = ctx.v(a).alts() {
        let mut defaults = alts.iter().filter(|(_, d)| *d);
        match (defaults.next(), defaults.next()) {
            (Some((d, _)), None) => a = ctx.deref(*d),
            _ => return None,
        }
        guard += 1;
        if guard > 64 {
            return None;
        }
    }
    Some(a)
}

/// The string field `f` of the node at `n`.
fn node_field(ctx: &Ctx, n: VId, f: &str) -> Option<Rc<str>> {
    let a = regular_arc(ctx, n, Label::Field(ctx.find_sym(f)?))?;
    let a = final_vertex(ctx, a)?;
    let ax = ctx.v(a);
    if ax.is_struct || !ax.lists().is_empty() {
        return None;
    }
    match default_ref(&ax.base) {
        Val::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// Where the entry `g[node][dep]` of a dependency map was written: the spans of its value.
fn entry_span(ctx: &mut Ctx, g: VId, node: &str, dep: &str) -> Vec<Span> {
    // The entry is `g[node][dep]` in a dependency set, `g[node].depends_on[dep]` in a node.
    let mut found = None;
    for path in [&[node, dep][..], &[node, "depends_on", dep]] {
        let mut at = Some(g);
        for key in path {
            let label = Label::Field(ctx.quoted_sym(key));
            at = at.and_then(|v| lookup(ctx, v, label)).map(|a| ctx.deref(a));
        }
        if at.is_some() {
            found = at;
            break;
        }
    }
    let Some(mut at) = found else {
        return Vec::new();
    };
    // A value copied from a reference (`(k): v` in a comprehension) was written where the
    // referenced vertex was.
    let mut n = 0;
    while let Some(t) = ctx.v(at).first_inlined() {
        at = ctx.deref(t);
        n += 1;
        if n > 64 {
            break;
        }
    }
    let v = ctx.v(at);
    match v.base_spans().first() {
        Some(s) => vec![*s],
        None => vec![v.span],
    }
}
