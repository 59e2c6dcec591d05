//! Reconciliation plans: the steps that bring live state to the declared one, ordered by the
//! federation's dependency graph. Missing resources are created and changed ones updated or
//! replaced wave by wave in dependency order; extra ones are removed first, dependents before
//! what they depend on. Invariants: a step's commands come from `orche/actions` or the
//! resource's own `actions`, never guessed (a step without one says why); every step carries
//! what the plan script needs to tell, before it acts, whether live state is still what the
//! plan was made from, and whether the step is already done.

use super::declared::{Declared, Resource};
use super::drift::{self, DriftStatus, Report};
use super::kinds::{Change, Kind, Kinds, Match};
use super::live::Live;
use super::probe::{self, ProbeSpec};
use super::template::{self, Argv, Unavailable};
use crate::value::Value;
use indexmap::{IndexMap, IndexSet};
use serde::Serialize;

/// The version of the plan format. Changes are additive.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Remove,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Remove => "remove",
        }
    }
}

/// One observed field the plan script compares before acting.
#[derive(Clone, Debug)]
pub struct VerifyField {
    /// The observed field.
    pub field: String,
    /// Its value when the plan was made, as a canonical JSON token (`token`).
    pub planned: String,
    /// What it must be once the step is done: the token (equal) or the tokens of entries
    /// that must be among its lines (subset); `None` when the step does not set it.
    pub expected: Option<(Match, Vec<String>)>,
}

/// How the plan script checks a step's resource before and after acting.
#[derive(Clone, Debug)]
pub struct Verify {
    pub probe: ProbeSpec,
    /// Whether it existed when the plan was made.
    pub planned_exists: bool,
    /// Whether it exists once the step is done.
    pub desired_exists: bool,
    /// Whether the step is done only once the resource is healthy (a step for an unhealthy
    /// resource: its fields already match).
    pub desired_healthy: bool,
    pub fields: Vec<VerifyField>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub action: Action,
    pub resource: String,
    pub site: String,
    pub kind: String,
    /// 1-based; the steps of a wave run in parallel.
    pub wave: usize,
    /// The commands, run in order (a replace removes, then creates); empty when the step has
    /// none (see `missing_action`).
    pub argv: Vec<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_action: Option<String>,
    /// Seconds: each command's limit, and how long to wait for the resource to be healthy.
    pub timeout: u64,
    /// Why: the fields that differ, or what the resource is.
    pub reason: Vec<String>,
    pub destructive: bool,
    /// Every resource that depends on this one, directly or not (from the graph).
    pub dependents: Vec<String>,
    /// Resources this one depends on that earlier steps of this plan act on: in a dry run,
    /// this step waits for them rather than failing.
    pub waits_on: Vec<String>,
    /// Present when the plan was built for the plan script (`build(…, true)`).
    #[serde(skip)]
    pub verify: Option<Verify>,
}

/// A resource the plan leaves alone, and why.
#[derive(Clone, Debug, Serialize)]
pub struct NotPlanned {
    pub resource: String,
    pub status: DriftStatus,
    pub why: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub format_version: u32,
    pub federation: String,
    pub declared_digest: String,
    pub live_digest: String,
    pub sites: Vec<String>,
    pub steps: Vec<Step>,
    pub not_planned: Vec<NotPlanned>,
    /// Steps per action, every action listed.
    pub summary: IndexMap<&'static str, usize>,
}

impl Plan {
    /// `Plan: 2 to create, 1 to update, 1 to replace, 1 to remove.`
    pub fn summary_line(&self) -> String {
        let n = |a: &str| self.summary.get(a).copied().unwrap_or(0);
        format!(
            "Plan: {} to create, {} to update, {} to replace, {} to remove.",
            n("create"),
            n("update"),
            n("replace"),
            n("remove")
        )
    }
}

/// Builds the plan from the drift report.
/// `verify`: also record, per step, what the plan script checks before acting (only the
/// script needs it).
pub fn build(
    declared: &Declared,
    kinds: &Kinds,
    live: &Live,
    report: &Report,
    verify: bool,
) -> Plan {
    let dependents = Dependents::of(declared);
    let fed_value = Value::Str(declared.federation.clone());
    /// What one entry of the report gives.
    enum Out {
        Nothing,
        Skip(NotPlanned),
        Remove(Step, Vec<String>),
        Act(usize, Step),
    }
    // Entries are independent: their steps are made in parallel, in order.
    use rayon::prelude::*;
    let outs: Vec<Out> = report
        .resources
        .par_iter()
        .map(|e| {
            let skip = |why: &str| {
                Out::Skip(NotPlanned {
                    resource: e.resource.clone(),
                    status: e.status,
                    why: why.to_string(),
                })
            };
            match e.status {
                DriftStatus::InSync => Out::Nothing,
                DriftStatus::Unknown => {
                    skip(e.error.as_deref().unwrap_or("its live state is unknown"))
                }
                DriftStatus::Extra => {
                    let Some(p) = live.resources.get(&e.resource) else {
                        return Out::Nothing;
                    };
                    let Some(kind) = kinds.get(&p.resource.kind) else {
                        return skip("its kind is not in orche/actions");
                    };
                    let (step, deps) = remove_step(&e.resource, kind, &p.resource, &fed_value);
                    Out::Remove(step, deps)
                }
                DriftStatus::Missing | DriftStatus::Changed | DriftStatus::Unhealthy => {
                    let (Some(r), Some(kind)) = (declared.get(&e.resource), kinds.get(&e.kind))
                    else {
                        return Out::Nothing;
                    };
                    let empty = IndexMap::new();
                    let observed = live
                        .resources
                        .get(&e.resource)
                        .map_or(&empty, |p| &p.resource.observed);
                    let exists = e.status != DriftStatus::Missing;
                    match act_step(r, kind, e, exists, observed, &dependents, verify) {
                        Some(step) => Out::Act(r.level, step),
                        None => Out::Nothing,
                    }
                }
            }
        })
        .collect();
    let mut removes = Vec::new();
    // The dependencies each removed object recorded when it was created.
    let mut recorded = Vec::new();
    let mut acts: Vec<(usize, Step)> = Vec::new();
    let mut not_planned = Vec::new();
    for o in outs {
        match o {
            Out::Nothing => {}
            Out::Skip(n) => not_planned.push(n),
            Out::Remove(s, deps) => {
                removes.push(s);
                recorded.push(deps);
            }
            Out::Act(l, s) => acts.push((l, s)),
        }
    }

    // Removals first, dependents before their dependencies.
    order_removals(&mut removes, &recorded);
    let first_act_wave = removes.iter().map(|s| s.wave).max().map_or(1, |m| m + 1);
    // Then one wave per dependency level that has steps.
    let levels: std::collections::BTreeSet<usize> = acts.iter().map(|(l, _)| *l).collect();
    let wave_of: IndexMap<usize, usize> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| (*l, first_act_wave + i))
        .collect();
    let acting: IndexSet<String> = acts.iter().map(|(_, s)| s.resource.clone()).collect();
    let mut steps = removes;
    steps.sort_by_key(|s| s.wave);
    let mut later: Vec<Step> = Vec::new();
    for (level, mut s) in acts {
        s.wave = wave_of[&level];
        if let Some(r) = declared.get(&s.resource) {
            s.waits_on = r
                .depends_on
                .iter()
                .filter(|d| acting.contains(*d))
                .cloned()
                .collect();
        }
        later.push(s);
    }
    later.sort_by_key(|s| s.wave);
    steps.extend(later);

    let mut summary: IndexMap<&'static str, usize> = [
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Remove,
    ]
    .iter()
    .map(|a| (a.name(), 0))
    .collect();
    for s in &steps {
        *summary.entry(s.action.name()).or_default() += 1;
    }
    Plan {
        format_version: FORMAT_VERSION,
        federation: declared.federation.clone(),
        declared_digest: declared.digest.clone(),
        live_digest: report.live_digest.clone(),
        sites: report.sites.clone(),
        steps,
        not_planned,
        summary,
    }
}

/// Reverse dependency lists of the federation graph, for blast radii.
struct Dependents<'a> {
    index: IndexMap<&'a str, usize>,
    rev: Vec<Vec<usize>>,
}

impl<'a> Dependents<'a> {
    fn of(d: &'a Declared) -> Dependents<'a> {
        let index: IndexMap<&str, usize> = d
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.as_str(), i))
            .collect();
        let mut rev = vec![Vec::new(); d.resources.len()];
        for (i, r) in d.resources.iter().enumerate() {
            for dep in &r.depends_on {
                if let Some(&j) = index.get(dep.as_str()) {
                    rev[j].push(i);
                }
            }
        }
        Dependents { index, rev }
    }

    /// Every resource that depends on `key`, directly or not, in declaration order.
    fn all(&self, key: &str) -> Vec<String> {
        let Some(&start) = self.index.get(key) else {
            return Vec::new();
        };
        let mut seen = IndexSet::new();
        let mut stack = vec![start];
        while let Some(x) = stack.pop() {
            for &y in &self.rev[x] {
                if y != start && seen.insert(y) {
                    stack.push(y);
                }
            }
        }
        let mut found: Vec<usize> = seen.into_iter().collect();
        found.sort_unstable();
        found
            .into_iter()
            .map(|i| {
                self.index
                    .get_index(i)
                    .map(|(k, _)| k.to_string())
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// Renders a command of the resource; `Err` says why there is none.
fn command(r: &Resource, a: &Argv) -> Result<Vec<String>, Unavailable> {
    template::render_plain(a, &|n| r.lookup(n))
}

fn act_step(
    r: &Resource,
    kind: &Kind,
    e: &drift::Entry,
    exists: bool,
    observed: &IndexMap<String, serde_json::Value>,
    dependents: &Dependents,
    with_verify: bool,
) -> Option<Step> {
    let create = r.actions.create.as_ref().or(kind.actions.create.as_ref());
    let remove = r.actions.remove.as_ref().or(kind.actions.remove.as_ref());
    let render = |what: &str, a: Option<&Argv>| -> Result<Vec<String>, String> {
        match a {
            None => Err(format!("no {what} action declared for kind {}", r.kind)),
            Some(a) => command(r, a).map_err(|e| format!("cannot {what}: {e}")),
        }
    };
    let (action, cmds, reason): (Action, Result<Vec<Vec<String>>, String>, Vec<String>) =
        match e.status {
            DriftStatus::Missing => (
                Action::Create,
                render("create", create).map(|c| vec![c]),
                vec!["missing".into()],
            ),
            DriftStatus::Changed if e.changes.iter().any(|c| c.field == "kind") => (
                Action::Replace,
                Err(format!(
                    "cannot replace: the live resource is of another kind ({}); remove it by hand, \
                     then plan again",
                    e.changes
                        .iter()
                        .find(|c| c.field == "kind")
                        .map(|c| c.live.to_string())
                        .unwrap_or_default()
                )),
                vec!["kind".into()],
            ),
            DriftStatus::Changed => {
                let changed: Vec<&str> = e.changes.iter().map(|c| c.field.as_str()).collect();
                let most = e
                    .changes
                    .iter()
                    .filter_map(|c| kind.fields.get(&c.field).map(|f| f.change))
                    .max()
                    .unwrap_or(Change::Update);
                let reason = changed.iter().map(|s| s.to_string()).collect();
                if most == Change::Replace {
                    let cmds = render("remove", remove)
                        .and_then(|rm| render("create", create).map(|cr| vec![rm, cr]));
                    (Action::Replace, cmds, reason)
                } else {
                    (Action::Update, update_commands(r, kind, &changed), reason)
                }
            }
            DriftStatus::Unhealthy => (
                Action::Update,
                match &r.actions.update {
                    Some(a) => command(r, a)
                        .map(|c| vec![c])
                        .map_err(|e| format!("cannot update: {e}")),
                    None => Err(format!(
                        "unhealthy, and no update action declared (declare actions.update on {})",
                        r.key
                    )),
                },
                vec!["unhealthy".into()],
            ),
            _ => return None,
        };
    let (argv, missing_action) = match cmds {
        Ok(c) => (c, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    let verify = with_verify.then(|| {
        let probe = probe::spec(r, kind);
        let fields = verify_fields(r, kind, &probe, exists, observed);
        Verify {
            probe,
            planned_exists: exists,
            desired_exists: true,
            desired_healthy: e.status == DriftStatus::Unhealthy,
            fields,
        }
    });
    Some(Step {
        action,
        resource: r.key.clone(),
        site: r.site.clone(),
        kind: r.kind.clone(),
        wave: 0,
        argv,
        missing_action,
        timeout: r.health.timeout,
        reason,
        destructive: action == Action::Replace,
        dependents: dependents.all(&r.key),
        waits_on: Vec::new(),
        verify,
    })
}

/// The commands that set the changed fields: the resource's own update action, else each
/// field's command for its declared value, else the kind's update action.
fn update_commands(
    r: &Resource,
    kind: &Kind,
    changed: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    if let Some(a) = &r.actions.update {
        return command(r, a)
            .map(|c| vec![c])
            .map_err(|e| format!("cannot update: {e}"));
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for f in changed {
        let Some(field) = kind.fields.get(*f) else {
            continue;
        };
        let value = r
            .fields
            .get(*f)
            .and_then(template::scalar_text)
            .unwrap_or_default();
        let argv = field
            .update
            .get(&value)
            .or_else(|| field.update.get("*"))
            .or(kind.actions.update.as_ref());
        let Some(argv) = argv else {
            return Err(if field.change == Change::None {
                format!(
                    "`{f}` is checked, not set, by orche: declare actions.update on {}",
                    r.key
                )
            } else {
                format!("no update action declared for `{f}` of kind {}", r.kind)
            });
        };
        let cmd = command(r, argv).map_err(|e| format!("cannot update `{f}`: {e}"))?;
        if !out.contains(&cmd) {
            out.push(cmd);
        }
    }
    Ok(out)
}

/// The compared fields: their planned tokens, and what they must be once the step is done.
fn verify_fields(
    r: &Resource,
    kind: &Kind,
    probe: &ProbeSpec,
    exists: bool,
    observed: &IndexMap<String, serde_json::Value>,
) -> Vec<VerifyField> {
    let mut out = Vec::new();
    for (name, f) in &kind.fields {
        let Some(declared) = r.fields.get(name) else {
            continue;
        };
        if !probe.observe.iter().any(|o| o.field == f.observed) {
            continue;
        }
        let planned = match observed.get(&f.observed) {
            Some(v) if exists => token(v),
            _ => "null".into(),
        };
        let expected = drift::expected_observation(declared, f);
        let tokens = match (f.matching, &expected) {
            (Match::Subset, serde_json::Value::Array(xs)) => xs.iter().map(token).collect(),
            _ => vec![token(&expected)],
        };
        out.push(VerifyField {
            field: f.observed.clone(),
            planned,
            expected: Some((f.matching, tokens)),
        });
    }
    out
}

/// The step that removes an extra object, and the dependencies it recorded.
fn remove_step(
    key: &str,
    kind: &Kind,
    l: &super::live::LiveResource,
    federation: &Value,
) -> (Step, Vec<String>) {
    let (site, name) = drift::split_key(key);
    let key_v = Value::Str(key.to_string());
    let site_v = Value::Str(site.clone());
    let name_v = Value::Str(name.clone());
    let identity: IndexMap<String, Value> = l
        .identity
        .iter()
        .map(|(k, v)| (k.clone(), Value::Str(v.clone())))
        .collect();
    let lookup = probe::identity_lookup(&key_v, &site_v, &name_v, federation, &identity);
    let (argv, missing_action) = match &kind.actions.remove {
        None => (
            Vec::new(),
            Some(format!("no remove action declared for kind {}", kind.name)),
        ),
        Some(a) => match template::render(a, &lookup) {
            Ok(words) => (vec![words.into_iter().map(template::plain).collect()], None),
            Err(e) => (Vec::new(), Some(format!("cannot remove: {e}"))),
        },
    };
    let probe = probe::spec_for_identity(key, kind, &lookup);
    let planned_fields = kind
        .fields
        .values()
        .filter(|f| probe.observe.iter().any(|o| o.field == f.observed))
        .map(|f| VerifyField {
            field: f.observed.clone(),
            planned: l.observed.get(&f.observed).map_or("null".into(), token),
            expected: None,
        })
        .collect();
    let deps: Vec<String> = l
        .identity
        .get("depends_on")
        .map(|d| {
            d.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let step = Step {
        action: Action::Remove,
        resource: key.to_string(),
        site,
        kind: kind.name.clone(),
        wave: 0,
        argv,
        missing_action,
        timeout: probe.timeout,
        reason: vec!["extra: not declared".into()],
        destructive: true,
        dependents: Vec::new(),
        waits_on: Vec::new(),
        verify: Some(Verify {
            probe,
            planned_exists: true,
            desired_exists: false,
            desired_healthy: false,
            fields: planned_fields,
        }),
    };
    (step, deps)
}

/// Waves and dependents of removals: an object is removed after every removed object that
/// depends on it (by the dependencies each recorded when it was created), that is, at its
/// level in the graph of the removed objects with its edges reversed. A recorded cycle (which
/// orche would not have created) puts them all in one wave.
fn order_removals(removes: &mut [Step], recorded: &[Vec<String>]) {
    let keys: IndexSet<String> = removes.iter().map(|s| s.resource.clone()).collect();
    let mut dependents: Vec<Vec<&str>> = vec![Vec::new(); removes.len()];
    for (i, deps) in recorded.iter().enumerate() {
        for d in deps {
            if let Some(j) = keys.get_index_of(d.as_str()).filter(|&j| j != i) {
                dependents[j].push(keys[i].as_str());
            }
        }
    }
    let reversed = crate::graph::Graph::from_edges(
        keys.iter()
            .zip(&dependents)
            .map(|(k, ds)| (k.as_str(), ds.iter().copied())),
    );
    let levels = reversed.and_then(|g| g.levels()).ok();
    for (i, s) in removes.iter_mut().enumerate() {
        s.wave = levels.as_ref().map_or(1, |l| l[i] + 1);
        s.dependents = dependents[i].iter().map(|d| d.to_string()).collect();
    }
}

/// A JSON value as the probe scripts print it: no spaces, strings with every character
/// outside printable ASCII escaped (`\n`, `\t`, `\r`, `\b`, `\f`, else `\u00xx`, surrogate
/// pairs above U+FFFF), so that a script can compare what it sees with the plan byte for byte.
pub fn token(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_token(&mut out, v);
    out
}

fn write_token(out: &mut String, v: &serde_json::Value) {
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => out.push_str(&n.to_string()),
        serde_json::Value::String(s) => ascii_string(out, s),
        serde_json::Value::Array(xs) => {
            out.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_token(out, x);
            }
            out.push(']');
        }
        serde_json::Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ascii_string(out, k);
                out.push(':');
                write_token(out, x);
            }
            out.push('}');
        }
    }
}

/// A JSON string in printable ASCII.
pub fn ascii_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removal(key: &str) -> Step {
        Step {
            action: Action::Remove,
            resource: key.into(),
            site: String::new(),
            kind: "docker".into(),
            wave: 0,
            argv: Vec::new(),
            missing_action: None,
            timeout: 10,
            reason: Vec::new(),
            destructive: true,
            dependents: Vec::new(),
            waits_on: Vec::new(),
            verify: None,
        }
    }

    /// Dependents are removed first; a dependency on an object not removed is ignored; a
    /// recorded cycle puts every removal in one wave.
    #[test]
    fn removals_dependents_first() {
        let mut steps = vec![removal("a/db"), removal("a/api"), removal("a/web")];
        let recorded = vec![
            vec![],
            vec!["a/db".to_string(), "a/kept".to_string()],
            vec!["a/api".to_string()],
        ];
        order_removals(&mut steps, &recorded);
        let waves: Vec<usize> = steps.iter().map(|s| s.wave).collect();
        assert_eq!(waves, [3, 2, 1]);
        assert_eq!(steps[0].dependents, ["a/api"]);
        let mut cyclic = vec![removal("a/x"), removal("a/y")];
        order_removals(&mut cyclic, &[vec!["a/y".into()], vec!["a/x".into()]]);
        assert_eq!(cyclic.iter().map(|s| s.wave).collect::<Vec<_>>(), [1, 1]);
    }

    #[test]
    fn tokens_are_ascii() {
        let v = serde_json::json!(["a\"b\\c\n\u{1}", "é😀", 12, true, null]);
        assert_eq!(
            token(&v),
            r#"["a\"b\\c\n\u0001","\u00e9\ud83d\ude00",12,true,null]"#
        );
    }
}
