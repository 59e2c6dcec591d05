//! The federation half of `orche diff`: both sides read from their exported values as
//! `state::declared` reads a federation for `orche plan` (resources by site, dependencies
//! qualified as `graph.QualifyKeys` qualifies them, levels), but borrowed: no kind defaults,
//! templates or digest, which cost about a second at 50,000 resources and add nothing here
//! (a default follows from fields that are compared anyway). Then compared resource by
//! resource. A resource is keyed `site/name`; it is added, removed, or changed in some fields
//! (its dependencies compared qualified, as a set). The blast radius is every resource not
//! changed itself that depends, directly or not, on a changed resource (in the new graph) or
//! on a changed or removed one (in the old graph), with the wave it is in now and the nearest
//! changed resource it depends on (`graph::Graph::dependents_of_any`). A site's deployment
//! order moved when the resources it has on both sides come in another order (the
//! federation's deployment order, restricted to the site), or in other waves.
//! Invariant: sites in the new side's order, then those only the old side has; resources of
//! a site in the new side's order, then those removed, in the old side's order.

use super::value::Kind;
use crate::graph::Graph;
use crate::value::Value;
use indexmap::{IndexMap, IndexSet};
use serde::Serialize;

/// A federation found in a value: its data path (empty at the root) and its fields.
pub struct Found<'a> {
    pub path: String,
    pub fields: &'a IndexMap<String, Value>,
}

/// The federation at the root of `v`, or in its one field that holds one (as `orche graph`
/// and `orche plan` find it): a struct with a string `name`, and `sites`, `levels` and
/// `graph.nodes`.
pub fn find(v: &Value) -> Option<Found<'_>> {
    fn is_federation(v: &Value) -> Option<&IndexMap<String, Value>> {
        let Value::Struct(m) = v else { return None };
        let graph_nodes =
            matches!(m.get("graph"), Some(Value::Struct(g)) if g.contains_key("nodes"));
        (matches!(m.get("name"), Some(Value::Str(_)))
            && matches!(m.get("sites"), Some(Value::Struct(_)))
            && matches!(m.get("levels"), Some(Value::Struct(_)))
            && graph_nodes)
            .then_some(m)
    }
    if let Some(fields) = is_federation(v) {
        return Some(Found {
            path: String::new(),
            fields,
        });
    }
    let Value::Struct(m) = v else { return None };
    let mut found = m.iter().filter_map(|(k, x)| Some((k, is_federation(x)?)));
    let (k, fields) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(Found {
        path: super::value::label_text(k),
        fields,
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct FederationDiff {
    /// The data path of the federation in the new value (empty: the root).
    pub path: String,
    pub old_name: String,
    pub new_name: String,
    pub sites_added: Vec<String>,
    pub sites_removed: Vec<String>,
    /// Every resource added, removed or changed, by site.
    pub resources: Vec<ResourceChange>,
    /// Resources not changed themselves that depend on a changed or removed one, by site,
    /// then wave.
    pub blast_radius: Vec<Affected>,
    /// Sites whose deployment order moved, in site order.
    pub order_moved: Vec<OrderMoved>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ResourceChange {
    /// `site/name`.
    pub resource: String,
    pub site: String,
    pub name: String,
    /// The new kind (the old one when removed).
    pub kind: String,
    pub change: Kind,
    /// The fields that differ, old order then new (changed resources only).
    pub fields: Vec<FieldChange>,
    /// 1-based waves of the deployment on each side (absent on the side without it).
    pub old_wave: Option<usize>,
    pub new_wave: Option<usize>,
    /// The resources that depend on this one directly: in the new graph, or for a removed
    /// resource in the old one.
    pub dependents: Vec<String>,
}

/// One field of a changed resource, with its old and new values (absent on the side that
/// does not declare it). Dependencies are given as lists of qualified names.
#[derive(Clone, Debug, Serialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(
        serialize_with = "super::value::as_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub old: Option<Value>,
    #[serde(
        serialize_with = "super::value::as_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub new: Option<Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Affected {
    pub resource: String,
    pub site: String,
    pub kind: String,
    /// Its 1-based wave in the new deployment.
    pub wave: usize,
    /// The nearest changed or removed resource it depends on.
    pub via: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrderMoved {
    pub site: String,
    /// The site's resources in deployment order, on each side.
    pub old_order: Vec<String>,
    pub new_order: Vec<String>,
    /// Resources on both sides whose wave changed.
    pub waves: Vec<WaveMove>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WaveMove {
    pub resource: String,
    pub old_wave: usize,
    pub new_wave: usize,
}

impl FederationDiff {
    /// The diff of two equal federations.
    pub fn empty(old: &Found, new: &Found) -> FederationDiff {
        let name = |f: &Found| match f.fields.get("name") {
            Some(Value::Str(s)) => s.clone(),
            _ => String::new(),
        };
        FederationDiff {
            path: new.path.clone(),
            old_name: name(old),
            new_name: name(new),
            sites_added: Vec::new(),
            sites_removed: Vec::new(),
            resources: Vec::new(),
            blast_radius: Vec::new(),
            order_moved: Vec::new(),
        }
    }
}

/// One resource of a side, borrowed from its value.
struct Resource<'a> {
    /// `site/name`.
    key: String,
    site: &'a str,
    name: &'a str,
    kind: &'a str,
    fields: &'a IndexMap<String, Value>,
    /// Qualified, in declaration order.
    depends_on: Vec<String>,
    level: usize,
}

/// One side read as a federation, with its dependency graph and order.
struct Side<'a> {
    federation: &'a str,
    sites: Vec<&'a str>,
    resources: Vec<Resource<'a>>,
    graph: Option<Graph>,
    /// Position of each resource in the deployment order.
    rank: Vec<usize>,
}

fn side<'a>(found: &Found<'a>, which: &str) -> Result<Side<'a>, String> {
    let fail = |m: String| {
        let at = if found.path.is_empty() {
            String::new()
        } else {
            format!(" ({})", found.path)
        };
        format!("{which}: cannot read the federation{at}: {m}")
    };
    let f = found.fields;
    let federation = match f.get("name") {
        Some(Value::Str(s)) => s.as_str(),
        _ => return Err(fail("no `name`".into())),
    };
    let (Some(Value::Struct(sites)), Some(Value::Struct(levels))) =
        (f.get("sites"), f.get("levels"))
    else {
        return Err(fail("no `sites` or `levels`".into()));
    };
    let mut resources = Vec::new();
    for (site, s) in sites {
        let Value::Struct(s) = s else { continue };
        let Some(Value::Struct(rs)) = s.get("resources") else {
            continue;
        };
        for (name, r) in rs {
            let Value::Struct(fields) = r else {
                return Err(fail(format!("{site}/{name}: not a struct")));
            };
            let key = format!("{site}/{name}");
            let depends_on = crate::state::declared::dependencies(site, fields);
            let level = crate::state::declared::level_of(levels, &key);
            resources.push(Resource {
                key,
                site,
                name,
                kind: fields.get("kind").and_then(Value::as_str).unwrap_or(""),
                fields,
                depends_on,
                level,
            });
        }
    }
    // The graph of an evaluated federation has no missing dependency and no cycle (both are
    // evaluation errors); should it have one anyway, the order is left out, not guessed.
    let graph = Graph::from_edges(
        resources
            .iter()
            .map(|r| (r.key.as_str(), r.depends_on.iter().map(String::as_str))),
    )
    .ok();
    let mut rank = vec![usize::MAX; resources.len()];
    if let Some(order) = graph.as_ref().and_then(|g| g.order().ok()) {
        for (i, n) in order.into_iter().enumerate() {
            rank[n] = i;
        }
    }
    Ok(Side {
        federation,
        sites: sites.keys().map(String::as_str).collect(),
        resources,
        graph,
        rank,
    })
}

/// Compares two federations.
pub fn compare(old: &Found, new: &Found) -> Result<FederationDiff, String> {
    let (o, n) = rayon::join(|| side(old, "old"), || side(new, "new"));
    let (o, n) = (o?, n?);
    let od = &o;
    let nd = &n;
    let old_sites: IndexSet<&str> = od.sites.iter().copied().collect();
    let new_sites: IndexSet<&str> = nd.sites.iter().copied().collect();
    let mut sites: IndexSet<&str> = new_sites.clone();
    sites.extend(old_sites.iter().copied());

    let in_old: IndexMap<&str, usize> = od
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .collect();
    let in_new: IndexMap<&str, usize> = nd
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .collect();

    let old_rev = reverse(od);
    let new_rev = reverse(nd);

    // Per site: the new side's resources (added or changed), then the removed ones.
    let mut by_site: IndexMap<&str, Vec<ResourceChange>> =
        sites.iter().map(|s| (*s, Vec::new())).collect();
    let mut changed_new = Vec::new();
    let mut touched_old = Vec::new();
    let mut touched: IndexSet<&str> = IndexSet::new();
    for (j, r) in nd.resources.iter().enumerate() {
        let change = match in_old.get(r.key.as_str()) {
            None => ResourceChange {
                change: Kind::Added,
                fields: Vec::new(),
                old_wave: None,
                ..resource_change(r, &keys(nd, &new_rev[j]))
            },
            Some(&i) => {
                let fields = changed_fields(&od.resources[i], r);
                if fields.is_empty() {
                    continue;
                }
                changed_new.push(j);
                touched_old.push(i);
                ResourceChange {
                    change: Kind::Changed,
                    fields,
                    old_wave: Some(od.resources[i].level + 1),
                    ..resource_change(r, &keys(nd, &new_rev[j]))
                }
            }
        };
        touched.insert(r.key.as_str());
        if let Some(list) = by_site.get_mut(r.site) {
            list.push(change);
        }
    }
    for (i, r) in od.resources.iter().enumerate() {
        if in_new.contains_key(r.key.as_str()) {
            continue;
        }
        touched_old.push(i);
        touched.insert(r.key.as_str());
        let mut c = resource_change(r, &keys(od, &old_rev[i]));
        c.change = Kind::Removed;
        c.old_wave = Some(r.level + 1);
        c.new_wave = None;
        if let Some(list) = by_site.get_mut(r.site) {
            list.push(c);
        }
    }
    let resources: Vec<ResourceChange> = by_site.into_values().flatten().collect();

    // The blast radius: from the changed resources in the new graph, and from the changed and
    // removed ones in the old graph (what depended on a removed resource). The old graph
    // only adds resources that are themselves changed or removed on a valid new side, but
    // costs one pass and keeps the rule obviously complete.
    let mut via: IndexMap<&str, String> = IndexMap::new();
    if let Some(g) = &n.graph {
        for (x, v) in g.dependents_of_any(&changed_new) {
            via.insert(g.name(x), g.name(v).to_string());
        }
    }
    if let Some(g) = &o.graph {
        for (x, v) in g.dependents_of_any(&touched_old) {
            via.entry(g.name(x))
                .or_insert_with(|| g.name(v).to_string());
        }
    }
    let site_rank: IndexMap<&str, usize> = sites.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut blast_radius: Vec<(usize, usize, Affected)> = via
        .into_iter()
        .filter(|(k, _)| !touched.contains(k))
        .filter_map(|(k, v)| {
            let &j = in_new.get(k)?;
            let r = &nd.resources[j];
            Some((
                site_rank.get(r.site).copied().unwrap_or(usize::MAX),
                j,
                Affected {
                    resource: r.key.clone(),
                    site: r.site.to_string(),
                    kind: r.kind.to_string(),
                    wave: r.level + 1,
                    via: v,
                },
            ))
        })
        .collect();
    blast_radius.sort_by_key(|(s, j, a)| (*s, a.wave, *j));
    let blast_radius = blast_radius.into_iter().map(|(_, _, a)| a).collect();

    use rayon::prelude::*;
    let (old_by_site, new_by_site) = (by_site_ordered(&o), by_site_ordered(&n));
    let empty = Vec::new();
    let order_moved = new_sites
        .iter()
        .filter(|s| old_sites.contains(*s))
        .collect::<Vec<_>>()
        .into_par_iter()
        .filter_map(|s| {
            let old_order = old_by_site.get(*s).unwrap_or(&empty);
            let new_order = new_by_site.get(*s).unwrap_or(&empty);
            order_moved(s, &o, &n, old_order, new_order, &in_old, &in_new)
        })
        .collect();

    Ok(FederationDiff {
        path: new.path.clone(),
        old_name: od.federation.to_string(),
        new_name: nd.federation.to_string(),
        sites_added: new_sites
            .iter()
            .filter(|s| !old_sites.contains(*s))
            .map(|s| s.to_string())
            .collect(),
        sites_removed: old_sites
            .iter()
            .filter(|s| !new_sites.contains(*s))
            .map(|s| s.to_string())
            .collect(),
        resources,
        blast_radius,
        order_moved,
    })
}

/// The direct dependents of every resource (indices), in declaration order.
fn reverse(d: &Side) -> Vec<Vec<usize>> {
    let mut rev = vec![Vec::new(); d.resources.len()];
    if let Some(g) = &d.graph {
        for i in 0..g.len() {
            for &j in g.deps(i) {
                rev[j].push(i);
            }
        }
    }
    rev
}

fn keys(d: &Side, of: &[usize]) -> Vec<String> {
    of.iter().map(|&i| d.resources[i].key.clone()).collect()
}

fn resource_change(r: &Resource, dependents: &[String]) -> ResourceChange {
    ResourceChange {
        resource: r.key.clone(),
        site: r.site.to_string(),
        name: r.name.to_string(),
        kind: r.kind.to_string(),
        change: Kind::Changed,
        fields: Vec::new(),
        old_wave: None,
        new_wave: Some(r.level + 1),
        dependents: dependents.to_vec(),
    }
}

/// The fields of a resource that differ: its own fields (kind defaults applied) and its
/// dependencies, compared qualified (`db` and `paris/db` are the same dependency in site
/// `paris`) and as a set.
fn changed_fields(old: &Resource, new: &Resource) -> Vec<FieldChange> {
    let a: IndexSet<&String> = old.depends_on.iter().collect();
    let b: IndexSet<&String> = new.depends_on.iter().collect();
    let deps_differ = a != b;
    let deps =
        |r: &Resource| Value::List(r.depends_on.iter().map(|d| Value::Str(d.clone())).collect());
    let keys = old
        .fields
        .keys()
        .chain(new.fields.keys().filter(|k| !old.fields.contains_key(*k)));
    let mut out = Vec::new();
    for k in keys {
        if k == "depends_on" {
            if deps_differ {
                out.push(FieldChange {
                    field: k.clone(),
                    old: Some(deps(old)),
                    new: Some(deps(new)),
                });
            }
            continue;
        }
        let (x, y) = (old.fields.get(k), new.fields.get(k));
        if x != y {
            out.push(FieldChange {
                field: k.clone(),
                old: x.cloned(),
                new: y.cloned(),
            });
        }
    }
    out
}

/// Each site's resources (indices) in deployment order.
fn by_site_ordered<'a>(s: &Side<'a>) -> IndexMap<&'a str, Vec<usize>> {
    let mut out: IndexMap<&str, Vec<usize>> = IndexMap::new();
    for (i, r) in s.resources.iter().enumerate() {
        out.entry(r.site).or_default().push(i);
    }
    for v in out.values_mut() {
        v.sort_by_key(|&i| (s.rank[i], i));
    }
    out
}

/// The site's order move, if its common resources come in another order or waves.
fn order_moved(
    site: &str,
    o: &Side,
    n: &Side,
    old_order: &[usize],
    new_order: &[usize],
    in_old: &IndexMap<&str, usize>,
    in_new: &IndexMap<&str, usize>,
) -> Option<OrderMoved> {
    let keys = |s: &Side, v: &[usize]| -> Vec<String> {
        v.iter().map(|&i| s.resources[i].key.clone()).collect()
    };
    let common_old: Vec<&str> = old_order
        .iter()
        .map(|&i| o.resources[i].key.as_str())
        .filter(|k| in_new.contains_key(k))
        .collect();
    let common_new: Vec<&str> = new_order
        .iter()
        .map(|&i| n.resources[i].key.as_str())
        .filter(|k| in_old.contains_key(k))
        .collect();
    let waves: Vec<WaveMove> = new_order
        .iter()
        .filter_map(|&j| {
            let r = &n.resources[j];
            let &i = in_old.get(r.key.as_str())?;
            let before = o.resources[i].level;
            (before != r.level).then(|| WaveMove {
                resource: r.key.clone(),
                old_wave: before + 1,
                new_wave: r.level + 1,
            })
        })
        .collect();
    if common_old == common_new && waves.is_empty() {
        return None;
    }
    Some(OrderMoved {
        site: site.to_string(),
        old_order: keys(o, old_order),
        new_order: keys(n, new_order),
        waves,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A federation value from `(site, name, image, deps)` rows, levels computed as the
    /// stdlib computes them.
    fn fed(rows: &[(&str, &str, &str, &[&str])]) -> Value {
        let st = |m: IndexMap<String, Value>| Value::Struct(m);
        let mut sites: IndexMap<String, Value> = IndexMap::new();
        for (site, name, image, deps) in rows {
            let mut r = IndexMap::new();
            r.insert("kind".to_string(), Value::Str("docker".into()));
            r.insert("image".to_string(), Value::Str(image.to_string()));
            r.insert(
                "depends_on".to_string(),
                st(deps
                    .iter()
                    .map(|d| (d.to_string(), Value::Bool(true)))
                    .collect()),
            );
            let s = sites.entry(site.to_string()).or_insert_with(|| {
                st([("resources".to_string(), st(IndexMap::new()))]
                    .into_iter()
                    .collect())
            });
            if let Value::Struct(s) = s {
                if let Some(Value::Struct(rs)) = s.get_mut("resources") {
                    rs.insert(name.to_string(), st(r));
                }
            }
        }
        let keys: Vec<(String, Vec<String>)> = rows
            .iter()
            .map(|(s, n, _, ds)| {
                (
                    format!("{s}/{n}"),
                    ds.iter()
                        .map(|d| {
                            crate::eval::builtins::graph::qualified(s, d).unwrap_or(d.to_string())
                        })
                        .collect(),
                )
            })
            .collect();
        let g = Graph::from_edges(
            keys.iter()
                .map(|(k, ds)| (k.as_str(), ds.iter().map(String::as_str))),
        )
        .unwrap();
        let levels = g.levels().unwrap();
        let mut m = IndexMap::new();
        m.insert("name".to_string(), Value::Str("f".into()));
        m.insert("sites".to_string(), st(sites));
        m.insert(
            "levels".to_string(),
            st(keys
                .iter()
                .zip(levels)
                .map(|((k, _), l)| (k.clone(), Value::int(l as i64)))
                .collect()),
        );
        m.insert(
            "graph".to_string(),
            st([("nodes".to_string(), st(IndexMap::new()))]
                .into_iter()
                .collect()),
        );
        st(m)
    }

    fn diff(old: &Value, new: &Value) -> FederationDiff {
        compare(&find(old).unwrap(), &find(new).unwrap()).unwrap()
    }

    const BASE: &[(&str, &str, &str, &[&str])] = &[
        ("a", "db", "pg:16", &[]),
        ("a", "api", "api:1", &["db"]),
        ("a", "web", "web:1", &["api"]),
        ("b", "worker", "w:1", &["a/api"]),
        ("b", "cron", "c:1", &["worker"]),
        ("b", "cache", "r:7", &[]),
    ];

    /// A changed resource's blast radius runs through the graph across sites, by site then
    /// wave, each with the nearest changed resource; changed resources are not in it.
    #[test]
    fn blast_radius_across_sites() {
        let mut rows = BASE.to_vec();
        rows[0].2 = "pg:17";
        rows[3].2 = "w:2";
        let d = diff(&fed(BASE), &fed(&rows));
        let changed: Vec<(&str, Vec<&str>)> = d
            .resources
            .iter()
            .map(|r| {
                (
                    r.resource.as_str(),
                    r.fields.iter().map(|f| f.field.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            changed,
            [("a/db", vec!["image"]), ("b/worker", vec!["image"])]
        );
        let radius: Vec<(&str, usize, &str)> = d
            .blast_radius
            .iter()
            .map(|a| (a.resource.as_str(), a.wave, a.via.as_str()))
            .collect();
        assert_eq!(
            radius,
            [
                ("a/api", 2, "a/db"),
                ("a/web", 3, "a/db"),
                ("b/cron", 4, "b/worker")
            ]
        );
        assert!(d.order_moved.is_empty());
    }

    /// A removed resource: its former dependents (now pointed elsewhere) are changed, their
    /// waves moved, and so did their sites' orders; what depends on them is in the blast
    /// radius; a dependency written qualified is the same dependency.
    #[test]
    fn removal_moves_waves_and_orders() {
        let rows: Vec<(&str, &str, &str, &[&str])> = vec![
            ("a", "db", "pg:16", &[]),
            ("a", "web", "web:1", &["a/db"]),
            ("b", "worker", "w:1", &["a/db"]),
            ("b", "cron", "c:1", &["worker"]),
            ("b", "cache", "r:7", &["cron"]),
        ];
        let d = diff(&fed(BASE), &fed(&rows));
        let changes: Vec<(&str, Kind, Option<usize>, Option<usize>)> = d
            .resources
            .iter()
            .map(|r| (r.resource.as_str(), r.change, r.old_wave, r.new_wave))
            .collect();
        assert_eq!(
            changes,
            [
                ("a/web", Kind::Changed, Some(3), Some(2)),
                ("a/api", Kind::Removed, Some(2), None),
                ("b/worker", Kind::Changed, Some(3), Some(2)),
                ("b/cache", Kind::Changed, Some(1), Some(4)),
            ]
        );
        assert_eq!(d.resources[1].dependents, ["a/web", "b/worker"]);
        let radius: Vec<&str> = d.blast_radius.iter().map(|a| a.resource.as_str()).collect();
        assert_eq!(radius, ["b/cron"]);
        let moved: Vec<(&str, Vec<&str>)> = d
            .order_moved
            .iter()
            .map(|o| {
                (
                    o.site.as_str(),
                    o.new_order.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            moved,
            [
                ("a", vec!["a/db", "a/web"]),
                ("b", vec!["b/worker", "b/cron", "b/cache"]),
            ]
        );
        assert_eq!(
            d.order_moved[1].old_order,
            ["b/worker", "b/cron", "b/cache"]
        );
        let waves: Vec<(&str, usize, usize)> = d.order_moved[1]
            .waves
            .iter()
            .map(|w| (w.resource.as_str(), w.old_wave, w.new_wave))
            .collect();
        assert_eq!(
            waves,
            [("b/worker", 3, 2), ("b/cron", 4, 3), ("b/cache", 1, 4)]
        );
    }

    /// Only an order change (same waves) is a move too.
    #[test]
    fn order_without_wave_change() {
        let old: &[(&str, &str, &str, &[&str])] = &[
            ("a", "x", "1", &[]),
            ("a", "z", "1", &["x"]),
            ("a", "y", "1", &[]),
        ];
        let new: &[(&str, &str, &str, &[&str])] = &[
            ("a", "x", "1", &[]),
            ("a", "z", "1", &["y"]),
            ("a", "y", "1", &[]),
        ];
        let d = diff(&fed(old), &fed(new));
        assert_eq!(d.order_moved.len(), 1);
        assert_eq!(d.order_moved[0].old_order, ["a/x", "a/z", "a/y"]);
        assert_eq!(d.order_moved[0].new_order, ["a/x", "a/y", "a/z"]);
        assert!(d.order_moved[0].waves.is_empty());
    }
}
