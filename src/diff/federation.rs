//! The federation half of `orche diff`: both sides read as `orche plan` reads a federation
//! (`state::declared`: resources by site, kind defaults applied, dependencies qualified,
//! levels), then compared resource by resource. A resource is keyed `site/name`; it is added,
//! removed, or changed in some fields (its dependencies compared qualified). The blast radius
//! is every resource not changed itself that depends, directly or not, on a changed resource
//! (in the new graph) or on a removed one (in the old graph), with the wave it is in now and
//! the nearest changed resource it depends on (`graph::Graph::dependents_of_any`). A site's
//! deployment order moved when the resources it has on both sides come in another order
//! (the federation's deployment order, restricted to the site), or in other waves.
//! Invariant: sites in the new side's order, then those only the old side has; resources of
//! a site in the new side's order, then those removed, in the old side's order.

use super::value::Kind;
use crate::graph::Graph;
use crate::state::declared::{Declared, Resource};
use crate::state::kinds::Kinds;
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

/// One side read as a federation, with its dependency graph and order.
struct Side {
    declared: Declared,
    graph: Option<Graph>,
    /// Position of each resource in the deployment order.
    rank: Vec<usize>,
}

fn side(found: &Found, kinds: &Kinds, which: &str) -> Result<Side, String> {
    let mut parts = IndexMap::new();
    for k in ["name", "sites", "levels"] {
        if let Some(v) = found.fields.get(k) {
            parts.insert(k.to_string(), v.clone());
        }
    }
    let declared = Declared::from_parts(parts, kinds).map_err(|m| {
        let at = if found.path.is_empty() {
            String::new()
        } else {
            format!(" ({})", found.path)
        };
        format!("{which}: cannot read the federation{at}: {m}")
    })?;
    // The graph of an evaluated federation has no missing dependency and no cycle (both are
    // evaluation errors); should it have one anyway, the order is left out, not guessed.
    let graph = Graph::from_edges(
        declared
            .resources
            .iter()
            .map(|r| (r.key.as_str(), r.depends_on.iter().map(String::as_str))),
    )
    .ok();
    let mut rank = vec![usize::MAX; declared.resources.len()];
    if let Some(order) = graph.as_ref().and_then(|g| g.order().ok()) {
        for (i, n) in order.into_iter().enumerate() {
            rank[n] = i;
        }
    }
    Ok(Side {
        declared,
        graph,
        rank,
    })
}

/// Compares two federations.
pub fn compare(old: &Found, new: &Found, kinds: &Kinds) -> Result<FederationDiff, String> {
    let (o, n) = rayon::join(|| side(old, kinds, "old"), || side(new, kinds, "new"));
    let (o, n) = (o?, n?);
    let od = &o.declared;
    let nd = &n.declared;
    let old_sites: IndexSet<&str> = od.sites.iter().map(String::as_str).collect();
    let new_sites: IndexSet<&str> = nd.sites.iter().map(String::as_str).collect();
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
                ..resource_change(r, &new_rev[j])
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
                    ..resource_change(r, &new_rev[j])
                }
            }
        };
        touched.insert(r.key.as_str());
        if let Some(list) = by_site.get_mut(r.site.as_str()) {
            list.push(change);
        }
    }
    for (i, r) in od.resources.iter().enumerate() {
        if in_new.contains_key(r.key.as_str()) {
            continue;
        }
        touched_old.push(i);
        touched.insert(r.key.as_str());
        let mut c = resource_change(r, &old_rev[i]);
        c.change = Kind::Removed;
        c.old_wave = Some(r.level + 1);
        c.new_wave = None;
        if let Some(list) = by_site.get_mut(r.site.as_str()) {
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
                site_rank
                    .get(r.site.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                j,
                Affected {
                    resource: r.key.clone(),
                    site: r.site.clone(),
                    kind: r.kind.clone(),
                    wave: r.level + 1,
                    via: v,
                },
            ))
        })
        .collect();
    blast_radius.sort_by_key(|(s, j, a)| (*s, a.wave, *j));
    let blast_radius = blast_radius.into_iter().map(|(_, _, a)| a).collect();

    let order_moved = new_sites
        .iter()
        .filter(|s| old_sites.contains(*s))
        .filter_map(|s| order_moved(s, &o, &n, &in_old, &in_new))
        .collect();

    Ok(FederationDiff {
        path: new.path.clone(),
        old_name: od.federation.clone(),
        new_name: nd.federation.clone(),
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

/// The direct dependents of every resource, in declaration order.
fn reverse(d: &Declared) -> Vec<Vec<String>> {
    let index: IndexMap<&str, usize> = d
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .collect();
    let mut rev = vec![Vec::new(); d.resources.len()];
    for r in &d.resources {
        for dep in &r.depends_on {
            if let Some(&j) = index.get(dep.as_str()) {
                rev[j].push(r.key.clone());
            }
        }
    }
    rev
}

fn resource_change(r: &Resource, dependents: &[String]) -> ResourceChange {
    ResourceChange {
        resource: r.key.clone(),
        site: r.site.clone(),
        name: r.name.clone(),
        kind: r.kind.clone(),
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

/// The site's order move, if its common resources come in another order or waves.
fn order_moved(
    site: &str,
    o: &Side,
    n: &Side,
    in_old: &IndexMap<&str, usize>,
    in_new: &IndexMap<&str, usize>,
) -> Option<OrderMoved> {
    let ordered = |s: &Side| -> Vec<usize> {
        let mut v: Vec<usize> = s
            .declared
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.site == site)
            .map(|(i, _)| i)
            .collect();
        v.sort_by_key(|&i| (s.rank[i], i));
        v
    };
    let old_order = ordered(o);
    let new_order = ordered(n);
    let keys = |s: &Side, v: &[usize]| -> Vec<String> {
        v.iter()
            .map(|&i| s.declared.resources[i].key.clone())
            .collect()
    };
    let common_old: Vec<&str> = old_order
        .iter()
        .map(|&i| o.declared.resources[i].key.as_str())
        .filter(|k| in_new.contains_key(k))
        .collect();
    let common_new: Vec<&str> = new_order
        .iter()
        .map(|&i| n.declared.resources[i].key.as_str())
        .filter(|k| in_old.contains_key(k))
        .collect();
    let waves: Vec<WaveMove> = new_order
        .iter()
        .filter_map(|&j| {
            let r = &n.declared.resources[j];
            let &i = in_old.get(r.key.as_str())?;
            let before = o.declared.resources[i].level;
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
        old_order: keys(o, &old_order),
        new_order: keys(n, &new_order),
        waves,
    })
}
