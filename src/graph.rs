//! Dependency graphs: the algorithms behind the `orche/graph` natives and the `orche graph`
//! command. A graph is a dependency map `{[node]: {[dep]: true}}` read from a [`Value`]; nodes
//! keep the order they were declared in, and every result lists nodes in a stable order
//! derived from it. Invariants: every function is O(nodes + edges), plus sorting each node's
//! dependencies; nothing recurses on the graph's depth.
//!
//! Errors are [`GraphError`]s: a message and the `(node, dep)` entries of the map it is about,
//! so that the evaluator can point at the `depends_on` entries in the source.

use crate::value::Value;
use indexmap::{IndexMap, IndexSet};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::VecDeque;

/// A failure, with the dependency entries `(node, dep)` it concerns.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphError {
    pub msg: String,
    pub at: Vec<(String, String)>,
    /// A hint (`did you mean …?` for a missing dependency).
    pub help: Option<String>,
}

impl GraphError {
    fn new(msg: impl Into<String>) -> GraphError {
        GraphError {
            msg: msg.into(),
            at: Vec::new(),
            help: None,
        }
    }
}

/// Likely typos among missing dependencies: for the first few, the closest node name, looked
/// for among the nodes of the same site first (`site/x` names), then among all.
fn missing_hints(
    names: &IndexSet<String, foldhash::fast::FixedState>,
    missing: &[(String, String)],
) -> Option<String> {
    let hints: Vec<String> = missing
        .iter()
        .take(5)
        .filter_map(|(_, dep)| {
            let site = dep.split_once('/').map(|(s, _)| &dep[..=s.len()]);
            let near = site
                .and_then(|p| {
                    crate::diag::closest(
                        dep,
                        names
                            .iter()
                            .map(String::as_str)
                            .filter(|n| n.starts_with(p)),
                    )
                })
                .or_else(|| crate::diag::closest(dep, names.iter().map(String::as_str)))?;
            Some(format!("did you mean `{near}` for `{dep}`?"))
        })
        .collect();
    (!hints.is_empty()).then(|| hints.join("\n"))
}

/// What [`Graph::analyze`] computes for an acyclic graph.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Dependencies first (see [`Graph::order`]).
    pub order: Vec<usize>,
    /// Per node: 0 without dependencies, else 1 + the largest level of its dependencies.
    pub levels: Vec<usize>,
    /// The nodes of each level, in declaration order.
    pub waves: Vec<Vec<usize>>,
}

impl Analysis {
    /// The startup estimate for node weights (health timeouts): the sum of all weights, and
    /// the sum over waves of the largest weight in each wave. `None` when a node has no
    /// weight or a sum does not fit in an i64.
    pub fn startup(&self, weights: &[Option<i64>]) -> Option<(i64, i64)> {
        let w = weights.iter().copied().collect::<Option<Vec<i64>>>()?;
        let sequential: i128 = w.iter().map(|&x| x as i128).sum();
        let parallel: i128 = self
            .waves
            .iter()
            .map(|wave| wave.iter().map(|&n| w[n] as i128).max().unwrap_or(0))
            .sum();
        i64::try_from(sequential)
            .ok()
            .zip(i64::try_from(parallel).ok())
    }
}

/// A dependency graph over named nodes, in declaration order.
#[derive(Clone, Debug)]
pub struct Graph {
    /// Hashed with foldhash (fixed seed): built for every graph function call, and only ever
    /// iterated by index.
    names: IndexSet<String, foldhash::fast::FixedState>,
    /// The dependencies of each node, by index, in the order the map lists them.
    deps: Vec<Vec<usize>>,
}

impl Graph {
    /// Reads a dependency map. A dependency must be a node of the map (else an error naming
    /// both); `false` entries are not edges.
    pub fn from_value(v: &Value) -> Result<Graph, GraphError> {
        Graph::from_value_weighted(v).map(|(g, _)| g)
    }

    /// Reads a dependency map whose values are either dependency sets `{[dep]: true}` or
    /// nodes `{depends_on: {[dep]: true}, timeout?: int, …}`; the second form gives each node
    /// its `timeout` as a weight (`None` where there is none).
    pub fn from_value_weighted(v: &Value) -> Result<(Graph, Vec<Option<i64>>), GraphError> {
        let Value::Struct(map) = v else {
            return Err(GraphError::new(format!(
                "a dependency graph must be a struct {{[node]: {{[dependency]: true}}}}, found {}",
                v.kind_name()
            )));
        };
        let mut edges: IndexMap<&str, Vec<&str>> = IndexMap::with_capacity(map.len());
        let mut weights = Vec::with_capacity(map.len());
        for (node, value) in map {
            let Value::Struct(fields) = value else {
                return Err(GraphError::new(format!(
                    "the dependencies of {node} must be a struct {{[dependency]: true}}, found {}",
                    value.kind_name()
                )));
            };
            // A node struct, or the dependency set itself.
            let (ds, weight) = match fields.get("depends_on") {
                Some(Value::Struct(ds)) => (
                    ds,
                    match fields.get("timeout") {
                        Some(Value::Num(n)) => n.to_i64(),
                        // A duration string (`"30s"`): its seconds.
                        Some(Value::Str(s)) => crate::eval::builtins::time::duration_seconds(s),
                        _ => None,
                    },
                ),
                _ => (fields, None),
            };
            let mut list = Vec::with_capacity(ds.len());
            for (dep, mark) in ds {
                match mark {
                    Value::Bool(true) => list.push(dep.as_str()),
                    Value::Bool(false) => {}
                    other => {
                        return Err(GraphError {
                            msg: format!(
                                "dependency {dep} of {node} must be true or false, found {}",
                                other.kind_name()
                            ),
                            at: vec![(node.clone(), dep.clone())],
                            help: None,
                        })
                    }
                }
            }
            edges.insert(node.as_str(), list);
            weights.push(weight);
        }
        let g = Graph::from_edges(edges.iter().map(|(n, ds)| (*n, ds.iter().copied())))?;
        Ok((g, weights))
    }

    /// Builds a graph from `(node, deps)` pairs in declaration order.
    pub fn from_edges<'a, D>(
        nodes: impl Iterator<Item = (&'a str, D)> + Clone,
    ) -> Result<Graph, GraphError>
    where
        D: Iterator<Item = &'a str>,
    {
        let names: IndexSet<String, foldhash::fast::FixedState> =
            nodes.clone().map(|(n, _)| n.to_string()).collect();
        let mut deps = Vec::with_capacity(names.len());
        let mut missing = Vec::new();
        for (node, ds) in nodes {
            let mut list = Vec::new();
            for d in ds {
                match names.get_index_of(d) {
                    Some(i) => list.push(i),
                    None => missing.push((node.to_string(), d.to_string())),
                }
            }
            deps.push(list);
        }
        if !missing.is_empty() {
            let msg = missing
                .iter()
                .map(|(n, d)| format!("{n} depends on missing {d}"))
                .collect::<Vec<_>>()
                .join("; ");
            let help = missing_hints(&names, &missing);
            return Err(GraphError {
                msg,
                at: missing,
                help,
            });
        }
        Ok(Graph { names, deps })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.get_index_of(name)
    }

    /// The direct dependencies of node `i`.
    pub fn deps(&self, i: usize) -> &[usize] {
        &self.deps[i]
    }

    /// The direct dependents of every node (reverse edges), in declaration order.
    fn dependents_lists(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.len()];
        for (n, ds) in self.deps.iter().enumerate() {
            for &d in ds {
                out[d].push(n);
            }
        }
        out
    }

    /// Every cycle, one per strongly connected component that has one, as a path that starts
    /// and ends at the component's first-declared node and follows dependencies (the shortest
    /// such path). Ordered by that first node.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let mut pg: DiGraph<(), ()> = DiGraph::with_capacity(self.len(), 0);
        for _ in 0..self.len() {
            pg.add_node(());
        }
        for (n, ds) in self.deps.iter().enumerate() {
            for &d in ds {
                pg.add_edge(NodeIndex::new(n), NodeIndex::new(d), ());
            }
        }
        let mut comp = vec![usize::MAX; self.len()];
        let mut starts = Vec::new();
        for (c, scc) in petgraph::algo::kosaraju_scc(&pg).iter().enumerate() {
            let start = scc.iter().map(|x| x.index()).min().unwrap_or(0);
            let looped = scc.len() > 1 || self.deps[start].contains(&start);
            for x in scc {
                comp[x.index()] = c;
            }
            if looped {
                starts.push((start, c));
            }
        }
        starts.sort_unstable();
        starts
            .into_iter()
            .map(|(start, c)| self.shortest_cycle(start, |x| comp[x] == c))
            .collect()
    }

    /// The shortest path from `start` back to itself along dependencies within `inside`.
    fn shortest_cycle(&self, start: usize, inside: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut prev: IndexMap<usize, usize> = IndexMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(x) = queue.pop_front() {
            for &d in &self.deps[x] {
                if d == start {
                    let mut path = vec![x];
                    let mut at = x;
                    while at != start {
                        at = prev[&at];
                        path.push(at);
                    }
                    path.reverse();
                    path.push(start);
                    return path;
                }
                if inside(d) && !prev.contains_key(&d) {
                    prev.insert(d, x);
                    queue.push_back(d);
                }
            }
        }
        vec![start, start]
    }

    /// The error for a graph with cycles, or `Ok` when it has none.
    pub fn check_acyclic(&self) -> Result<(), GraphError> {
        let cycles = self.cycles();
        if cycles.is_empty() {
            return Ok(());
        }
        let paths: Vec<String> = cycles.iter().map(|c| self.path_text(c)).collect();
        let msg = if paths.len() == 1 {
            format!("dependency cycle: {}", paths[0])
        } else {
            format!("dependency cycles: {}", paths.join("; "))
        };
        let at = cycles
            .iter()
            .flat_map(|c| {
                c.windows(2)
                    .map(|w| (self.name(w[0]).to_string(), self.name(w[1]).to_string()))
            })
            .collect();
        Err(GraphError {
            msg,
            at,
            help: None,
        })
    }

    /// A path written `a -> b -> a`.
    pub fn path_text(&self, path: &[usize]) -> String {
        path.iter()
            .map(|&i| self.name(i))
            .collect::<Vec<_>>()
            .join(" -> ")
    }

    /// A topological order (dependencies first) that keeps declaration order wherever the
    /// dependencies allow: nodes are taken in declaration order, and each one is preceded by
    /// those of its dependencies not yet placed (in declaration order, recursively). A node is
    /// thus moved only to come after what it needs.
    pub fn order(&self) -> Result<Vec<usize>, GraphError> {
        self.check_acyclic()?;
        Ok(self.order_acyclic())
    }

    /// [`Graph::order`] for a graph known to have no cycle.
    fn order_acyclic(&self) -> Vec<usize> {
        let sorted: Vec<Vec<usize>> = self
            .deps
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d.sort_unstable();
                d.dedup();
                d
            })
            .collect();
        let mut placed = vec![false; self.len()];
        let mut out = Vec::with_capacity(self.len());
        // An explicit stack of (node, next dependency to visit): no recursion on depth.
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for root in 0..self.len() {
            if placed[root] {
                continue;
            }
            stack.push((root, 0));
            while let Some((n, k)) = stack.pop() {
                if let Some(&d) = sorted[n].get(k) {
                    stack.push((n, k + 1));
                    if !placed[d] {
                        stack.push((d, 0));
                    }
                } else if !placed[n] {
                    placed[n] = true;
                    out.push(n);
                }
            }
        }
        out
    }

    /// Order, levels and waves, from one cycle check and one ordering.
    pub fn analyze(&self) -> Result<Analysis, GraphError> {
        let order = self.order()?;
        let mut levels = vec![0usize; self.len()];
        for &n in &order {
            levels[n] = self.deps[n]
                .iter()
                .map(|&d| levels[d] + 1)
                .max()
                .unwrap_or(0);
        }
        let depth = levels.iter().max().map_or(0, |m| m + 1);
        let mut waves = vec![Vec::new(); depth];
        for (n, l) in levels.iter().enumerate() {
            waves[*l].push(n);
        }
        Ok(Analysis {
            order,
            levels,
            waves,
        })
    }

    /// The level of every node: 0 without dependencies, else one more than the largest level
    /// among its dependencies.
    pub fn levels(&self) -> Result<Vec<usize>, GraphError> {
        self.analyze().map(|a| a.levels)
    }

    /// The nodes grouped by level (the groups that can start in parallel), each group in
    /// declaration order.
    pub fn waves(&self) -> Result<Vec<Vec<usize>>, GraphError> {
        self.analyze().map(|a| a.waves)
    }

    /// The order of groups of nodes (the sites of resources): group `a` depends on group `b`
    /// when a node of `a` depends on a node of `b`. `groups` names the groups in priority
    /// order, which [`Graph::order`] keeps wherever it can; `group_of` gives each node's group
    /// (an index into `groups`). A cycle between groups is an error that lists it, located at
    /// the node entries that make its edges.
    pub fn group_order(
        &self,
        groups: &[String],
        group_of: &[usize],
    ) -> Result<Vec<usize>, GraphError> {
        let mut edges: Vec<IndexMap<usize, (usize, usize)>> = vec![IndexMap::new(); groups.len()];
        for (n, ds) in self.deps.iter().enumerate() {
            for &d in ds {
                let (a, b) = (group_of[n], group_of[d]);
                if a != b {
                    edges[a].entry(b).or_insert((n, d));
                }
            }
        }
        let g = Graph::from_edges(groups.iter().enumerate().map(|(i, name)| {
            (
                name.as_str(),
                edges[i]
                    .keys()
                    .map(|&b| groups[b].as_str())
                    .collect::<Vec<_>>()
                    .into_iter(),
            )
        }))?;
        g.order().map_err(|mut e| {
            // Point at the dependencies of nodes that make each group edge.
            e.at =
                e.at.iter()
                    .filter_map(|(a, b)| {
                        let (a, b) = (g.index(a)?, g.index(b)?);
                        let &(n, d) = edges[a].get(&b)?;
                        Some((self.name(n).to_string(), self.name(d).to_string()))
                    })
                    .collect();
            e
        })
    }

    /// Nodes without dependencies.
    pub fn roots(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&n| self.deps[n].is_empty())
            .collect()
    }

    /// Nodes that nothing depends on.
    pub fn leaves(&self) -> Vec<usize> {
        let mut used = vec![false; self.len()];
        for ds in &self.deps {
            for &d in ds {
                used[d] = true;
            }
        }
        (0..self.len()).filter(|&n| !used[n]).collect()
    }

    /// Every node that depends on `node`, directly or not (its blast radius), in declaration
    /// order, without `node` itself.
    pub fn dependents(&self, node: usize) -> Vec<usize> {
        self.reach(node, &self.dependents_lists())
    }

    /// Every node that depends on one of `sources`, directly or not, other than the sources
    /// themselves, each with the source it depends on that is fewest edges away (the
    /// earliest declared among equals): the blast radius of a change to several nodes, in
    /// one pass. In declaration order.
    pub fn dependents_of_any(&self, sources: &[usize]) -> Vec<(usize, usize)> {
        let next = self.dependents_lists();
        let mut via = vec![usize::MAX; self.len()];
        let mut starts: Vec<usize> = sources
            .iter()
            .copied()
            .filter(|&s| s < self.len())
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let mut queue = VecDeque::with_capacity(starts.len());
        for &s in &starts {
            via[s] = s;
            queue.push_back(s);
        }
        while let Some(x) = queue.pop_front() {
            for &y in &next[x] {
                if via[y] == usize::MAX {
                    via[y] = via[x];
                    queue.push_back(y);
                }
            }
        }
        (0..self.len())
            .filter(|&n| via[n] != usize::MAX && via[n] != n)
            .map(|n| (n, via[n]))
            .collect()
    }

    /// Every node that `node` depends on, directly or not, in declaration order.
    pub fn ancestors(&self, node: usize) -> Vec<usize> {
        self.reach(node, &self.deps)
    }

    fn reach(&self, node: usize, next: &[Vec<usize>]) -> Vec<usize> {
        let mut seen = vec![false; self.len()];
        let mut stack = vec![node];
        while let Some(x) = stack.pop() {
            for &y in &next[x] {
                if !seen[y] {
                    seen[y] = true;
                    stack.push(y);
                }
            }
        }
        seen[node] = false;
        (0..self.len()).filter(|&n| seen[n]).collect()
    }

    /// Names of `nodes`, as a list value.
    pub fn names_value(&self, nodes: &[usize]) -> Value {
        Value::List(
            nodes
                .iter()
                .map(|&i| Value::Str(self.name(i).to_string()))
                .collect(),
        )
    }

    /// The node named `name`, or an error saying it is not in the graph.
    pub fn node(&self, name: &str) -> Result<usize, GraphError> {
        self.index(name)
            .ok_or_else(|| GraphError::new(format!("{name} is not a node of the graph")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(spec: &[(&str, &[&str])]) -> Result<Graph, GraphError> {
        Graph::from_edges(spec.iter().map(|(n, ds)| (*n, ds.iter().copied())))
    }

    fn names(g: &Graph, v: &[usize]) -> Vec<String> {
        v.iter().map(|&i| g.name(i).to_string()).collect()
    }

    /// The blast radius of several changed nodes: each dependent once, with its nearest
    /// changed dependency; a changed node reached from another is not listed.
    #[test]
    fn dependents_of_any_names_the_nearest_source() {
        let g = graph(&[
            ("db", &[]),
            ("cache", &[]),
            ("api", &["db"]),
            ("web", &["api", "cache"]),
            ("cdn", &["web"]),
            ("batch", &["db"]),
        ])
        .unwrap();
        let idx = |n: &str| g.index(n).unwrap();
        let got: Vec<(String, String)> = g
            .dependents_of_any(&[idx("cache"), idx("db"), idx("api")])
            .into_iter()
            .map(|(n, v)| (g.name(n).to_string(), g.name(v).to_string()))
            .collect();
        let want = [("web", "cache"), ("cdn", "cache"), ("batch", "db")];
        assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
        assert!(g.dependents_of_any(&[idx("cdn")]).is_empty());
    }

    #[test]
    fn order_keeps_declaration_order_among_ready_nodes() {
        let g = graph(&[("b", &["a"]), ("c", &[]), ("a", &[])]).unwrap();
        assert_eq!(names(&g, &g.order().unwrap()), ["a", "b", "c"]);
        // Only what a node needs moves ahead of it.
        let g = graph(&[
            ("east", &["west", "edge1"]),
            ("west", &[]),
            ("edge2", &[]),
            ("edge1", &[]),
        ])
        .unwrap();
        assert_eq!(
            names(&g, &g.order().unwrap()),
            ["west", "edge1", "east", "edge2"]
        );
    }

    #[test]
    fn levels_are_longest_paths() {
        let g = graph(&[("a", &[]), ("b", &["a"]), ("c", &["a", "b"]), ("d", &[])]).unwrap();
        assert_eq!(g.levels().unwrap(), [0, 1, 2, 0]);
        let w: Vec<Vec<String>> = g.waves().unwrap().iter().map(|w| names(&g, w)).collect();
        assert_eq!(w, [vec!["a", "d"], vec!["b"], vec!["c"]]);
    }

    #[test]
    fn cycles_are_paths_in_dependency_order() {
        let g = graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &["d"])]).unwrap();
        let c: Vec<String> = g.cycles().iter().map(|c| g.path_text(c)).collect();
        assert_eq!(c, ["a -> b -> c -> a", "d -> d"]);
        let e = g.order().unwrap_err();
        assert_eq!(e.msg, "dependency cycles: a -> b -> c -> a; d -> d");
        assert_eq!(e.at.len(), 4);
        assert_eq!(e.at[0], ("a".to_string(), "b".to_string()));
    }

    #[test]
    fn shortest_cycle_is_chosen() {
        let g = graph(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &["a"])]).unwrap();
        let c: Vec<String> = g.cycles().iter().map(|c| g.path_text(c)).collect();
        assert_eq!(c, ["a -> c -> a"]);
    }

    #[test]
    fn startup_sums_timeouts_per_wave() {
        let g = graph(&[
            ("pg", &[]),
            ("mongo", &[]),
            ("redis", &[]),
            ("app", &["pg"]),
        ])
        .unwrap();
        let a = g.analyze().unwrap();
        let w = [Some(60), Some(90), Some(30), Some(120)];
        assert_eq!(a.startup(&w), Some((300, 210)));
        assert_eq!(a.startup(&[Some(1), None, Some(1), Some(1)]), None);
    }

    #[test]
    fn group_order_follows_dependencies_between_groups() {
        let g = graph(&[("e/app", &["w/db"]), ("w/db", &[]), ("w/x", &["e/app"])]).unwrap();
        let groups = ["e".to_string(), "w".to_string(), "z".to_string()];
        let e = g.group_order(&groups, &[0, 1, 1]).unwrap_err();
        assert_eq!(e.msg, "dependency cycle: e -> w -> e");
        assert_eq!(
            e.at,
            [
                ("e/app".to_string(), "w/db".to_string()),
                ("w/x".to_string(), "e/app".to_string())
            ]
        );
        let g = graph(&[("e/app", &["w/db"]), ("w/db", &[])]).unwrap();
        let order = g.group_order(&groups, &[0, 1]).unwrap();
        assert_eq!(order, [1, 0, 2]);
    }

    #[test]
    fn missing_dependencies_name_both_ends() {
        let e = graph(&[("a", &["x"])]).unwrap_err();
        assert_eq!(e.msg, "a depends on missing x");
        assert_eq!(e.at, [("a".to_string(), "x".to_string())]);
    }

    #[test]
    fn reachability() {
        let g = graph(&[("a", &[]), ("b", &["a"]), ("c", &["b"]), ("d", &[])]).unwrap();
        assert_eq!(names(&g, &g.dependents(0)), ["b", "c"]);
        assert_eq!(names(&g, &g.ancestors(2)), ["a", "b"]);
        assert_eq!(names(&g, &g.roots()), ["a", "d"]);
        assert_eq!(names(&g, &g.leaves()), ["c", "d"]);
    }

    #[test]
    fn deep_chains_do_not_recurse() {
        let n = 200_000;
        let names: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
        let deps: Vec<Vec<&str>> = (0..n)
            .map(|i| {
                if i == 0 {
                    vec![]
                } else {
                    vec![names[i - 1].as_str()]
                }
            })
            .collect();
        let g = Graph::from_edges(
            names
                .iter()
                .zip(&deps)
                .map(|(n, d)| (n.as_str(), d.iter().copied())),
        )
        .unwrap();
        assert_eq!(g.levels().unwrap()[n - 1], n - 1);
    }
}
