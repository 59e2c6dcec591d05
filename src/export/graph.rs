//! `orche graph` output: a dependency graph's nodes (site, level, dependencies), order, waves
//! and cycles as JSON, Graphviz DOT (sites as clusters, edges from dependency to dependent)
//! or Mermaid. Invariants: nodes appear in declaration order; every name from the
//! configuration is escaped for the target syntax, so no name can break the output.

use crate::compile::GraphFormat;
use crate::graph::{Analysis, Graph};
use crate::value::{DataSink, Num, Scalar, Value};
use indexmap::IndexMap;

/// One node as read from the evaluated `nodes` struct.
struct Node<'a> {
    key: &'a str,
    site: Option<&'a str>,
    label: &'a str,
    kind: Option<&'a str>,
}

/// The graph with everything the formats print.
struct View<'a> {
    name: Option<&'a str>,
    nodes: Vec<Node<'a>>,
    graph: Graph,
    /// Order, levels and waves; `None` when the graph has cycles.
    analysis: Option<Analysis>,
    cycles: Vec<Vec<usize>>,
}

/// Renders the `nodes` of a graph (`{[key]: {depends_on: {[key]: true}, site?, resource?,
/// kind?}}`). Fails when a dependency names no node or a node is malformed.
pub fn render(nodes: &Value, name: Option<&str>, format: GraphFormat) -> Result<String, String> {
    let view = view(nodes, name)?;
    Ok(match format {
        GraphFormat::Json => json(&view),
        GraphFormat::Dot => dot(&view),
        GraphFormat::Mermaid => mermaid(&view),
    })
}

fn view<'a>(nodes: &'a Value, name: Option<&'a str>) -> Result<View<'a>, String> {
    let Value::Struct(map) = nodes else {
        return Err(format!(
            "nodes must be a struct, found {}",
            nodes.kind_name()
        ));
    };
    let mut list = Vec::with_capacity(map.len());
    let mut deps: Vec<Vec<&str>> = Vec::with_capacity(map.len());
    for (key, n) in map {
        let Value::Struct(f) = n else {
            return Err(format!(
                "node {key} must be a struct, found {}",
                n.kind_name()
            ));
        };
        let text = |k: &str| f.get(k).and_then(Value::as_str);
        list.push(Node {
            key,
            site: text("site"),
            label: text("resource").unwrap_or(key),
            kind: text("kind"),
        });
        let ds = match f.get("depends_on") {
            None => Vec::new(),
            Some(Value::Struct(d)) => d
                .iter()
                .filter(|(_, v)| **v == Value::Bool(true))
                .map(|(k, _)| k.as_str())
                .collect(),
            Some(other) => {
                return Err(format!(
                    "depends_on of node {key} must be a struct, found {}",
                    other.kind_name()
                ))
            }
        };
        deps.push(ds);
    }
    let graph = Graph::from_edges(
        list.iter()
            .zip(&deps)
            .map(|(n, d)| (n.key, d.iter().copied())),
    )
    .map_err(|e| e.msg)?;
    let (analysis, cycles) = match graph.analyze() {
        Ok(a) => (Some(a), Vec::new()),
        Err(_) => (None, graph.cycles()),
    };
    Ok(View {
        name,
        nodes: list,
        graph,
        analysis,
        cycles,
    })
}

/// Edges `(dependency, dependent)` that lie on a reported cycle.
fn cycle_edges(v: &View) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = v
        .cycles
        .iter()
        .flat_map(|c| c.windows(2).map(|w| (w[1], w[0])))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The JSON text, streamed (no `Value` copy of the graph): the exact text
/// `json::to_string` gives for the same structure.
fn json(v: &View) -> String {
    let g = &v.graph;
    let mut w = super::json::JsonWriter::new();
    let names = |w: &mut super::json::JsonWriter, nodes: &[usize]| {
        w.begin_list();
        for &i in nodes {
            w.scalar(Scalar::Str(g.name(i)));
        }
        w.end_list();
    };
    w.begin_struct();
    if let Some(n) = v.name {
        w.field("name");
        w.scalar(Scalar::Str(n));
    }
    w.field("nodes");
    w.begin_struct();
    for (i, n) in v.nodes.iter().enumerate() {
        w.field(n.key);
        w.begin_struct();
        if let Some(s) = n.site {
            w.field("site");
            w.scalar(Scalar::Str(s));
        }
        if let Some(k) = n.kind {
            w.field("kind");
            w.scalar(Scalar::Str(k));
        }
        if let Some(a) = &v.analysis {
            w.field("level");
            w.scalar(Scalar::Num(&Num::from_i64(a.levels[i] as i64)));
        }
        w.field("depends_on");
        names(&mut w, g.deps(i));
        w.end_struct();
    }
    w.end_struct();
    let empty: &[Vec<usize>] = &[];
    let (order, waves): (&[usize], &[Vec<usize>]) = match &v.analysis {
        Some(a) => (&a.order, &a.waves),
        None => (&[], empty),
    };
    w.field("order");
    names(&mut w, order);
    w.field("waves");
    w.begin_list();
    for wave in waves {
        names(&mut w, wave);
    }
    w.end_list();
    w.field("cycles");
    w.begin_list();
    for c in &v.cycles {
        names(&mut w, c);
    }
    w.end_list();
    w.end_struct();
    w.finish()
}

/// A DOT double-quoted string.
fn dot_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn node_label(v: &View, i: usize) -> String {
    match &v.analysis {
        Some(a) => format!("{}\nlevel {}", v.nodes[i].label, a.levels[i]),
        None => v.nodes[i].label.to_string(),
    }
}

/// The nodes of each site, sites in order of first appearance; nodes without a site last.
fn by_site<'v>(v: &'v View) -> (Vec<(&'v str, Vec<usize>)>, Vec<usize>) {
    let mut sites: IndexMap<&str, Vec<usize>> = IndexMap::new();
    let mut loose = Vec::new();
    for (i, n) in v.nodes.iter().enumerate() {
        match n.site {
            Some(s) => sites.entry(s).or_default().push(i),
            None => loose.push(i),
        }
    }
    (sites.into_iter().collect(), loose)
}

fn dot(v: &View) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "digraph {} {{\n",
        dot_str(v.name.unwrap_or("orche"))
    ));
    out.push_str("    rankdir=LR;\n");
    out.push_str("    node [shape=box, style=rounded];\n");
    let (sites, loose) = by_site(v);
    for (c, (site, nodes)) in sites.iter().enumerate() {
        out.push_str(&format!("    subgraph cluster_{c} {{\n"));
        out.push_str(&format!("        label={};\n", dot_str(site)));
        for &i in nodes {
            out.push_str(&format!(
                "        {} [label={}];\n",
                dot_str(v.nodes[i].key),
                dot_str(&node_label(v, i))
            ));
        }
        out.push_str("    }\n");
    }
    for &i in &loose {
        out.push_str(&format!(
            "    {} [label={}];\n",
            dot_str(v.nodes[i].key),
            dot_str(&node_label(v, i))
        ));
    }
    let red = cycle_edges(v);
    for (n, node) in v.nodes.iter().enumerate() {
        for &d in v.graph.deps(n) {
            let attr = if red.binary_search(&(d, n)).is_ok() {
                " [color=red]"
            } else {
                ""
            };
            out.push_str(&format!(
                "    {} -> {}{attr};\n",
                dot_str(v.nodes[d].key),
                dot_str(node.key)
            ));
        }
    }
    out.push_str("}\n");
    out
}

/// Mermaid label text inside double quotes: quotes, angle brackets and `#` as entity codes.
fn mermaid_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mermaid(v: &View) -> String {
    let mut out = String::from("flowchart LR\n");
    let node = |i: usize| {
        let label = match &v.analysis {
            Some(a) => format!("{} (level {})", v.nodes[i].label, a.levels[i]),
            None => v.nodes[i].label.to_string(),
        };
        format!("n{i}[{}]", mermaid_str(&label))
    };
    let (sites, loose) = by_site(v);
    for (c, (site, nodes)) in sites.iter().enumerate() {
        out.push_str(&format!("    subgraph site{c}[{}]\n", mermaid_str(site)));
        for &i in nodes {
            out.push_str(&format!("        {}\n", node(i)));
        }
        out.push_str("    end\n");
    }
    for &i in &loose {
        out.push_str(&format!("    {}\n", node(i)));
    }
    let red = cycle_edges(v);
    let mut link = 0;
    let mut red_links = Vec::new();
    for n in 0..v.nodes.len() {
        for &d in v.graph.deps(n) {
            out.push_str(&format!("    n{d} --> n{n}\n"));
            if red.binary_search(&(d, n)).is_ok() {
                red_links.push(link.to_string());
            }
            link += 1;
        }
    }
    if !red_links.is_empty() {
        out.push_str(&format!(
            "    linkStyle {} stroke:red\n",
            red_links.join(",")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_names() {
        assert_eq!(dot_str(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(mermaid_str(r##"<b>"x#"##), r##""#lt;b#gt;#quot;x#35;""##);
    }
}
