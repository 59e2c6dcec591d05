//! The `orche/graph` package: native functions over a dependency map
//! `{[node]: {[dependency]: true}}` (or of nodes `{[node]: {depends_on: {…}, timeout?: int}}`),
//! built on [`crate::graph::Graph`]. Invariant: every result
//! lists nodes in an order derived from the map's declaration order, so output is stable.
//!
//! [`call`] returns a [`GraphError`] that names the `(node, dependency)` entries an error is
//! about; the evaluator turns them into source spans. The table's `func`s flatten that into a
//! [`BuiltinError`] for callers without spans (validators).

use super::{builtin, Args, Builtin, BuiltinError};
use crate::graph::{Graph, GraphError};
use crate::value::Value;
use indexmap::IndexMap;
use std::rc::Rc;

const P: &str = "orche/graph";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Acyclic", 1, |a| flat("Acyclic", a), validator),
    builtin!(P, "Analyze", 1, |a| flat("Analyze", a)),
    builtin!(P, "Ancestors", 2, |a| flat("Ancestors", a)),
    builtin!(P, "Cycles", 1, |a| flat("Cycles", a)),
    builtin!(P, "Dependents", 2, |a| flat("Dependents", a)),
    builtin!(P, "GroupOrder", 3, |a| flat("GroupOrder", a)),
    builtin!(P, "Leaves", 1, |a| flat("Leaves", a)),
    builtin!(P, "Levels", 1, |a| flat("Levels", a)),
    builtin!(P, "Qualify", 2, qualify),
    builtin!(P, "QualifyKeys", 2, qualify_keys),
    builtin!(P, "Roots", 1, |a| flat("Roots", a)),
    builtin!(P, "TopoOrder", 1, |a| flat("TopoOrder", a)),
    builtin!(P, "Waves", 1, |a| flat("Waves", a)),
];

/// Whether the function `name` takes a dependency map as its first argument (all but
/// `Qualify`): such calls go through [`call`], or [`call_on`] with the map already read.
pub fn takes_graph(name: &str) -> bool {
    !matches!(name, "Qualify" | "QualifyKeys")
}

/// `Qualify(prefix, key)`: the node key `key` if it is already qualified (has a `/`), else
/// `prefix/key`. How `#Federation` turns a resource's dependencies into node keys.
fn qualify(args: &[Value]) -> Result<Value, BuiltinError> {
    let a = Args::new(args, "graph.Qualify");
    let (prefix, key) = (a.str(0)?, a.str(1)?);
    Ok(Value::Str(
        qualified(prefix, key).unwrap_or_else(|| key.to_string()),
    ))
}

/// `QualifyKeys(prefix, set)`: the struct `set` with every key qualified as by `Qualify`
/// (entries whose keys become equal are unified). How `#Federation` turns a resource's
/// `depends_on` into its node's. The evaluator keeps the entries' own values (and so where
/// they were written, for errors): `expr::qualify_keys`; this is the same on data.
fn qualify_keys(args: &[Value]) -> Result<Value, BuiltinError> {
    let a = Args::new(args, "graph.QualifyKeys");
    let prefix = a.str(0)?;
    let Value::Struct(m) = a.get(1)? else {
        return Err(a.type_err(1, "struct"));
    };
    let mut out: IndexMap<String, Value> = IndexMap::with_capacity(m.len());
    for (k, v) in m {
        let key = qualified(prefix, k).unwrap_or_else(|| k.clone());
        match out.get(&key) {
            Some(old) if old != v => {
                return Err(a.fail(format!("conflicting values for {key}")));
            }
            Some(_) => {}
            None => {
                out.insert(key, v.clone());
            }
        }
    }
    Ok(Value::Struct(out))
}

/// `Qualify`'s rule: `prefix/key`, or `None` when `key` is already qualified (the evaluator
/// then keeps its string without a copy).
pub fn qualified(prefix: &str, key: &str) -> Option<String> {
    (!key.contains('/')).then(|| {
        let mut q = String::with_capacity(prefix.len() + 1 + key.len());
        q.push_str(prefix);
        q.push('/');
        q.push_str(key);
        q
    })
}

fn flat(name: &str, args: &[Value]) -> Result<Value, BuiltinError> {
    call(name, args).map_err(|e| BuiltinError::Msg(e.msg))
}

/// Calls the `orche/graph` function `name` (arity already checked) on concrete arguments.
pub fn call(name: &str, args: &[Value]) -> Result<Value, GraphError> {
    let (g, weights) = Graph::from_value_weighted(&args[0])?;
    let Value::Struct(nodes) = &args[0] else {
        unreachable!("Graph::from_value accepted a struct")
    };
    let field = |i: usize, f: &str| -> Option<Rc<str>> {
        match nodes.get_index(i)?.1 {
            Value::Struct(fs) => fs.get(f).and_then(Value::as_str).map(Rc::from),
            _ => None,
        }
    };
    call_on(
        name,
        &Input {
            graph: &g,
            weights: &weights,
            field: &field,
        },
        args,
    )
}

/// A dependency map as the natives use it, however it was read (from a [`Value`] by [`call`],
/// or straight from the evaluator's vertices).
pub struct Input<'a> {
    pub graph: &'a Graph,
    /// Per node: its `timeout`, when it is a node struct that has one.
    pub weights: &'a [Option<i64>],
    /// The string field `f` of node `i` (`GroupOrder`), if it has one.
    pub field: &'a dyn Fn(usize, &str) -> Option<Rc<str>>,
}

/// Calls the `orche/graph` function `name` on the map `input`; `args[0]` is not looked at
/// (it is the map), the other arguments are concrete.
pub fn call_on(name: &str, input: &Input, args: &[Value]) -> Result<Value, GraphError> {
    let g = input.graph;
    let node = |i: usize| -> Result<usize, GraphError> {
        let a = Args::new(args, "graph");
        let s = a.str(i).map_err(|e| GraphError {
            msg: message(e),
            at: Vec::new(),
            help: None,
        })?;
        g.node(s)
    };
    Ok(match name {
        "Acyclic" => Value::Bool(g.check_acyclic().is_ok()),
        "Analyze" => {
            let a = g.analyze()?;
            let mut m = IndexMap::new();
            m.insert("order".to_string(), g.names_value(&a.order));
            m.insert("levels".to_string(), levels(g, &a.levels));
            m.insert("waves".to_string(), waves(g, &a.waves));
            if let Some((sequential, parallel)) = a.startup(input.weights) {
                let mut st = IndexMap::new();
                st.insert("sequential".to_string(), Value::int(sequential));
                st.insert("parallel".to_string(), Value::int(parallel));
                m.insert("startup".to_string(), Value::Struct(st));
            }
            Value::Struct(m)
        }
        "Ancestors" => g.names_value(&g.ancestors(node(1)?)),
        "Cycles" => Value::List(g.cycles().iter().map(|c| g.names_value(c)).collect()),
        "Dependents" => g.names_value(&g.dependents(node(1)?)),
        "GroupOrder" => group_order(input, args)?,
        "Leaves" => g.names_value(&g.leaves()),
        "Levels" => levels(g, &g.levels()?),
        "Roots" => g.names_value(&g.roots()),
        "TopoOrder" => g.names_value(&g.order()?),
        "Waves" => waves(g, &g.waves()?),
        other => unreachable!("orche/graph has no function {other}"),
    })
}

/// `GroupOrder(nodes, field, groups)`: the `groups` (a list of names, in priority order) in
/// dependency order, each node belonging to the group named by its string field `field`.
fn group_order(input: &Input, args: &[Value]) -> Result<Value, GraphError> {
    let g = input.graph;
    let plain = |m: String| GraphError {
        msg: m,
        at: Vec::new(),
        help: None,
    };
    let a = Args::new(args, "graph.GroupOrder");
    let field = a.str(1).map_err(|e| plain(message(e)))?;
    let Value::List(items) = &args[2] else {
        return Err(plain(format!(
            "the groups must be a list of names, found {}",
            args[2].kind_name()
        )));
    };
    let mut groups: indexmap::IndexSet<String> = indexmap::IndexSet::with_capacity(items.len());
    for it in items {
        match it {
            Value::Str(s) => {
                groups.insert(s.clone());
            }
            other => {
                return Err(plain(format!(
                    "a group name must be a string, found {}",
                    other.kind_name()
                )))
            }
        }
    }
    let mut group_of = Vec::with_capacity(g.len());
    for i in 0..g.len() {
        let key = g.name(i);
        let Some(name) = (input.field)(i, field) else {
            return Err(plain(format!("node {key} has no string field {field}")));
        };
        let Some(gi) = groups.get_index_of(&*name) else {
            return Err(plain(format!(
                "node {key} is in group {name}, which is not in the list of groups"
            )));
        };
        group_of.push(gi);
    }
    let names: Vec<String> = groups.into_iter().collect();
    let order = g.group_order(&names, &group_of)?;
    Ok(Value::List(
        order
            .into_iter()
            .map(|i| Value::Str(names[i].clone()))
            .collect(),
    ))
}

fn message(e: BuiltinError) -> String {
    match e {
        BuiltinError::Msg(m) | BuiltinError::Incomplete(m) => m,
    }
}

fn levels(g: &Graph, levels: &[usize]) -> Value {
    let mut m = IndexMap::with_capacity(g.len());
    for (i, l) in levels.iter().enumerate() {
        m.insert(g.name(i).to_string(), Value::int(*l as i64));
    }
    Value::Struct(m)
}

fn waves(g: &Graph, waves: &[Vec<usize>]) -> Value {
    Value::List(waves.iter().map(|w| g.names_value(w)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(spec: &[(&str, &[&str])]) -> Value {
        Value::Struct(
            spec.iter()
                .map(|(n, ds)| {
                    let m = ds
                        .iter()
                        .map(|d| (d.to_string(), Value::Bool(true)))
                        .collect();
                    (n.to_string(), Value::Struct(m))
                })
                .collect(),
        )
    }

    fn text(v: &Value) -> String {
        crate::eval::expr::show_value(v)
    }

    #[test]
    fn functions() {
        let g = deps(&[("db", &[]), ("app", &["db"]), ("web", &["app"])]);
        let s = |v| Value::Str(String::from(v));
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("TopoOrder", vec![g.clone()], r#"["db", "app", "web"]"#),
            ("Levels", vec![g.clone()], "{db: 0, app: 1, web: 2}"),
            ("Waves", vec![g.clone()], r#"[["db"], ["app"], ["web"]]"#),
            ("Roots", vec![g.clone()], r#"["db"]"#),
            ("Leaves", vec![g.clone()], r#"["web"]"#),
            ("Dependents", vec![g.clone(), s("db")], r#"["app", "web"]"#),
            ("Ancestors", vec![g.clone(), s("web")], r#"["db", "app"]"#),
            ("Cycles", vec![g.clone()], "[]"),
            (
                "Analyze",
                vec![g.clone()],
                r#"{order: ["db", "app", "web"], levels: {db: 0, app: 1, web: 2}, waves: [["db"], ["app"], ["web"]]}"#,
            ),
            ("Acyclic", vec![g.clone()], "true"),
        ];
        let q = |p: &str, k: &str| {
            let v = [Value::Str(p.into()), Value::Str(k.into())];
            text(&qualify(&v).unwrap())
        };
        assert_eq!(q("hub", "db"), r#""hub/db""#);
        assert_eq!(q("hub", "edge/db"), r#""edge/db""#);
        for (name, args, want) in cases {
            assert_eq!(text(&call(name, &args).unwrap()), want, "{name}");
        }
    }

    #[test]
    fn errors() {
        let cyc = deps(&[("a", &["b"]), ("b", &["a"])]);
        let e = call("Levels", std::slice::from_ref(&cyc)).unwrap_err();
        assert_eq!(e.msg, "dependency cycle: a -> b -> a");
        assert_eq!(text(&call("Acyclic", &[cyc]).unwrap()), "false");
        let e = call("Dependents", &[deps(&[("a", &[])]), Value::Str("z".into())]).unwrap_err();
        assert_eq!(e.msg, "z is not a node of the graph");
        assert!(call("Roots", &[Value::int(1)]).is_err());
    }
}
