//! The declared side of the loop: a federation's resources as probes and plans need them,
//! read from its exported value (`federation.#Federation`), with the kind defaults of
//! `orche/actions` applied. Invariant: resources keep the federation's declaration order
//! (sites, then resources), and the digest depends only on what is declared.

use super::kinds::{Actions, Kinds};
use super::template::{self, Arg, Argv};
use crate::value::Value;
use indexmap::IndexMap;

/// A resource's health policy (`federation.#Health`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub timeout: u64,
    pub interval: u64,
    pub retries: u64,
    pub backoff: String,
    pub base_delay: u64,
}

impl Health {
    /// The wait before retry `n` (1-based), in seconds, by the seed's formulas; `fixed_jitter`
    /// gives its base (the script adds 0 to 5 seconds of jitter).
    pub fn delay(&self, n: u64) -> u64 {
        let b = self.base_delay;
        match self.backoff.as_str() {
            "progressive" => b * n + n * n * 2,
            "fixed_jitter" => b,
            _ => b.saturating_mul(1u64 << (n - 1).min(32)),
        }
    }

    pub fn jitter(&self) -> bool {
        self.backoff == "fixed_jitter"
    }
}

/// One declared resource.
#[derive(Clone, Debug)]
pub struct Resource {
    /// "site/name".
    pub key: String,
    pub site: String,
    pub name: String,
    pub kind: String,
    /// The resource's own fields, with the kind's defaults for those it leaves out.
    pub fields: IndexMap<String, Value>,
    /// The fields every resource has: site, key, federation, timeout, depends_on (joined).
    pub builtins: IndexMap<String, Value>,
    pub health: Health,
    /// Dependencies, "site/name".
    pub depends_on: Vec<String>,
    /// Dependency level in the federation graph.
    pub level: usize,
    /// Lifecycle commands declared on the resource itself.
    pub actions: Actions,
}

impl Resource {
    /// The value a placeholder `${name}` stands for.
    pub fn lookup(&self, name: &str) -> Option<&Value> {
        self.builtins.get(name).or_else(|| self.fields.get(name))
    }

    /// Whether the resource declares `field` (defaults included).
    pub fn declares(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }
}

/// The declared resources of a federation.
#[derive(Clone, Debug)]
pub struct Declared {
    pub federation: String,
    /// Every site, in declaration order.
    pub sites: Vec<String>,
    pub resources: Vec<Resource>,
    /// Position of each resource by key.
    index: IndexMap<String, usize>,
    /// `sha256:` and the hex digest of the declared resources.
    pub digest: String,
}

impl Declared {
    /// Reads the resources of a federation from the parts of its exported value: `name`,
    /// `sites` and `levels`.
    pub fn from_parts(
        mut parts: IndexMap<String, Value>,
        kinds: &Kinds,
    ) -> Result<Declared, String> {
        let federation = match parts.get("name") {
            Some(Value::Str(s)) => s.clone(),
            _ => return Err("the federation has no `name`".into()),
        };
        let Some(Value::Struct(levels)) = parts.swap_remove("levels") else {
            return Err("the federation has no `levels`".into());
        };
        let Some(Value::Struct(sites)) = parts.swap_remove("sites") else {
            return Err("the federation has no `sites`".into());
        };
        let site_names: Vec<String> = sites.keys().cloned().collect();
        let mut raw = Vec::new();
        for (site, s) in sites {
            let Value::Struct(mut s) = s else {
                continue;
            };
            let Some(Value::Struct(rs)) = s.swap_remove("resources") else {
                continue;
            };
            for (name, r) in rs {
                let Value::Struct(fields) = r else {
                    return Err(format!("{site}/{name}: not a struct"));
                };
                raw.push((site.clone(), name, fields));
            }
        }
        // Resources are independent: read them in parallel, in order.
        use rayon::prelude::*;
        let resources: Vec<Resource> = raw
            .into_par_iter()
            .map(|(site, name, fields)| {
                let key = format!("{site}/{name}");
                resource(&federation, &site, &name, key, fields, &levels, kinds)
            })
            .collect::<Result<_, String>>()?;
        let digest = digest_of(&federation, &resources);
        let index = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.clone(), i))
            .collect();
        Ok(Declared {
            federation,
            sites: site_names,
            resources,
            index,
            digest,
        })
    }

    /// Only the resources of `sites` (all when empty).
    pub fn select(&self, sites: &[String]) -> Vec<&Resource> {
        self.resources
            .iter()
            .filter(|r| sites.is_empty() || sites.contains(&r.site))
            .collect()
    }

    pub fn get(&self, key: &str) -> Option<&Resource> {
        self.index.get(key).map(|&i| &self.resources[i])
    }
}

#[allow(clippy::too_many_arguments)]
fn resource(
    federation: &str,
    site: &str,
    name: &str,
    key: String,
    fields: IndexMap<String, Value>,
    levels: &IndexMap<String, Value>,
    kinds: &Kinds,
) -> Result<Resource, String> {
    let kind = fields
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{key}: no `kind`"))?
        .to_string();
    let k = kinds
        .get(&kind)
        .ok_or_else(|| format!("{key}: orche/actions has no kind {kind:?}"))?;
    let num = |h: &IndexMap<String, Value>, f: &str, d: u64| -> u64 {
        match h.get(f) {
            Some(Value::Num(n)) => n.to_i64().and_then(|i| u64::try_from(i).ok()).unwrap_or(d),
            // A duration string (`timeout: "30s"`): its seconds, rounded up.
            Some(Value::Str(s)) => crate::eval::builtins::time::duration_seconds(s)
                .and_then(|i| u64::try_from(i).ok())
                .unwrap_or(d),
            _ => d,
        }
    };
    let empty = IndexMap::new();
    let h = match fields.get("health") {
        Some(Value::Struct(h)) => h,
        _ => &empty,
    };
    let health = Health {
        timeout: num(h, "timeout", 60).max(1),
        interval: num(h, "interval", 5),
        retries: num(h, "retries", 3),
        backoff: h
            .get("backoff")
            .and_then(Value::as_str)
            .unwrap_or("exponential")
            .to_string(),
        base_delay: num(h, "base_delay", 2),
    };
    let depends_on = dependencies(site, &fields);
    let level = level_of(levels, &key);
    let mut builtins = IndexMap::new();
    builtins.insert("site".to_string(), Value::Str(site.to_string()));
    builtins.insert("key".to_string(), Value::Str(key.clone()));
    builtins.insert("federation".to_string(), Value::Str(federation.to_string()));
    builtins.insert("timeout".to_string(), Value::int(health.timeout as i64));
    builtins.insert("depends_on".to_string(), Value::Str(depends_on.join(",")));
    let mut actions = Actions::default();
    if let Some(Value::Struct(a)) = fields.get("actions") {
        let cmd = |f: &str| -> Option<Argv> {
            match a.get(f) {
                Some(Value::List(xs)) => Some(Argv(
                    xs.iter()
                        .filter_map(|x| x.as_str().map(|s| Arg::Text(s.to_string())))
                        .collect(),
                )),
                _ => None,
            }
        };
        actions = Actions {
            create: cmd("create"),
            update: cmd("update"),
            remove: cmd("remove"),
        };
    }
    // The resource's own `name` field is its name unless it says otherwise.
    let mut filled = fields;
    filled
        .entry("name".to_string())
        .or_insert_with(|| Value::Str(name.to_string()));
    // Defaults are templates over the resource's fields (and the builtins).
    let mut defaults = Vec::new();
    for (f, d) in &k.defaults {
        if filled.contains_key(f) {
            continue;
        }
        let v = match d {
            Value::Str(t) => {
                let lookup = |n: &str| builtins.get(n).or_else(|| filled.get(n));
                let words = template::render_plain(&Argv(vec![Arg::Text(t.clone())]), &lookup)
                    .map_err(|e| format!("{key}: default of `{f}`: {e}"))?;
                Value::Str(words.concat())
            }
            other => other.clone(),
        };
        defaults.push((f.clone(), v));
    }
    filled.extend(defaults);
    Ok(Resource {
        key,
        site: site.to_string(),
        name: name.to_string(),
        kind,
        fields: filled,
        builtins,
        health,
        depends_on,
        level,
        actions,
    })
}

/// `sha256:` and the hex digest of the federation's name and the resources' keys, kinds and
/// fields, in order (each as compact JSON, one per line).
fn digest_of(federation: &str, resources: &[Resource]) -> String {
    use rayon::prelude::*;
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(crate::export::json::to_compact(&Value::Str(federation.to_string())).as_bytes());
    h.update(b"\n");
    // The lines are written in parallel and hashed in order.
    let lines: Vec<String> = resources
        .par_iter()
        .map(|r| {
            let mut line = String::new();
            crate::export::json::quote(&mut line, &r.key);
            line.push(' ');
            crate::export::json::quote(&mut line, &r.kind);
            line.push(' ');
            line.push_str(&crate::export::json::to_compact_fields(&r.fields));
            line.push('\n');
            line
        })
        .collect();
    for line in &lines {
        h.update(line.as_bytes());
    }
    format!("sha256:{}", hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
    }
    s
}

/// `sha256:` and the hex digest of `bytes`.
pub fn sha256_tagged(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// The hex SHA-256 digest of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// A resource's dependencies (`depends_on` entries that are `true`), qualified as the
/// federation's graph qualifies them (`graph.QualifyKeys`): "x" is a resource of the same site.
pub fn dependencies(site: &str, fields: &IndexMap<String, Value>) -> Vec<String> {
    match fields.get("depends_on") {
        Some(Value::Struct(d)) => d
            .iter()
            .filter(|(_, v)| **v == Value::Bool(true))
            .map(|(k, _)| {
                crate::eval::builtins::graph::qualified(site, k).unwrap_or_else(|| k.clone())
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The dependency level of `key` in the federation's `levels` (0 when absent).
pub fn level_of(levels: &IndexMap<String, Value>, key: &str) -> usize {
    match levels.get(key) {
        Some(Value::Num(n)) => n
            .to_i64()
            .and_then(|i| usize::try_from(i).ok())
            .unwrap_or(0),
        _ => 0,
    }
}
