//! Probe specifications: for one resource, the read-only commands that tell whether it exists,
//! whether it is healthy and what its observed fields are, rendered from `orche/actions` with
//! the resource's values. The probe script, the plan script (which probes again before it
//! acts) and `export --probes --out json` are all written from these. Invariant: every command
//! here is read-only by construction of the kinds table, and a command that cannot be rendered
//! for a resource is left out with the reason, never guessed.

use super::declared::{Health, Resource};
use super::kinds::{Check, Kind, ReadAs};
use super::template::{self, Param, Unavailable, Word};
use crate::value::Value;
use serde::Serialize;

/// A check with its templates filled in.
#[derive(Clone, Debug, Serialize)]
pub struct RenderedCheck {
    #[serde(serialize_with = "words_ser")]
    pub argv: Vec<Word>,
    /// The observed field this check's command also gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observe: Option<String>,
    pub exit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<String>,
}

/// One observed field.
#[derive(Clone, Debug, Serialize)]
pub struct RenderedObserve {
    pub field: String,
    #[serde(serialize_with = "words_ser")]
    pub argv: Vec<Word>,
    #[serde(rename = "as", serialize_with = "read_as_ser")]
    pub read_as: ReadAs,
    pub true_word: String,
}

/// Everything a script needs to probe one resource.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeSpec {
    pub resource: String,
    pub site: String,
    pub kind: String,
    pub timeout: u64,
    pub interval: u64,
    pub retries: u64,
    pub backoff: String,
    pub base_delay: u64,
    /// The delay before each retry, in seconds (`fixed_jitter` adds up to 5 at run time).
    pub delays: Vec<u64>,
    pub tools: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<RenderedCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthy: Option<RenderedCheck>,
    pub observe: Vec<RenderedObserve>,
    /// Why the resource cannot be probed (a command names a field it does not declare); its
    /// status is then "unknown" with this reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

fn words_ser<S: serde::Serializer>(w: &[Word], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(w.len()))?;
    for word in w {
        seq.serialize_element(&template::plain(word.clone()))?;
    }
    seq.end()
}

fn read_as_ser<S: serde::Serializer>(r: &ReadAs, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.name())
}

/// Renders a check; its `exit`, `stdout` and `at_least` templates are filled from known values
/// only (they are compared in the script, not run).
pub fn render_check<'a>(
    c: &Check,
    lookup: &dyn Fn(&str) -> Option<Param<'a>>,
) -> Result<RenderedCheck, Unavailable> {
    let text = |t: &str| -> Result<String, Unavailable> {
        Ok(template::plain(template::render_text(t, lookup)?))
    };
    // A `stdout` naming an undeclared field is not compared.
    let stdout = match c.stdout.as_deref().map(text) {
        Some(Err(Unavailable::Missing(_))) | None => None,
        Some(r) => Some(r?),
    };
    Ok(RenderedCheck {
        argv: template::render(&c.argv, lookup)?,
        observe: c.observe.clone(),
        exit: text(&c.exit)?,
        stdout,
        at_least: c.at_least.as_deref().map(text).transpose()?,
    })
}

/// The retry delays of a health policy, one per retry.
pub fn delays(h: &Health) -> Vec<u64> {
    (1..=h.retries).map(|n| h.delay(n)).collect()
}

/// The probe of a declared resource.
pub fn spec(r: &Resource, kind: &Kind) -> ProbeSpec {
    let lookup = |n: &str| r.lookup(n).map(Param::Value);
    spec_with(&r.key, &r.site, kind, &r.health, &lookup, &|f| {
        r.declares(f)
    })
}

/// The probe of a resource found by discovery: only its identity is known (and the health
/// policy of the kind's defaults).
pub fn spec_for_identity<'a>(
    key: &str,
    kind: &Kind,
    lookup: &dyn Fn(&str) -> Option<Param<'a>>,
) -> ProbeSpec {
    let health = Health {
        timeout: 10,
        interval: 1,
        retries: 0,
        backoff: "exponential".into(),
        base_delay: 1,
    };
    let site = key.split_once('/').map(|(s, _)| s).unwrap_or("");
    spec_with(key, site, kind, &health, lookup, &|f| lookup(f).is_some())
}

fn spec_with<'a>(
    key: &str,
    site: &str,
    kind: &Kind,
    health: &Health,
    lookup: &dyn Fn(&str) -> Option<Param<'a>>,
    declares: &dyn Fn(&str) -> bool,
) -> ProbeSpec {
    let mut unavailable = None;
    let mut note = |what: &str, e: Unavailable| {
        if unavailable.is_none() {
            unavailable = Some(format!("cannot probe ({what}): {e}"));
        }
    };
    let exists = match kind.exists.as_ref().map(|c| render_check(c, lookup)) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            note("exists", e);
            None
        }
    };
    // A check that applies only when a field is declared true.
    let applies = |c: &Check| match &c.when {
        None => true,
        Some(f) => matches!(lookup(f), Some(Param::Value(Value::Bool(true)))),
    };
    let healthy = match render_check(&kind.healthy, lookup) {
        Ok(_) if !applies(&kind.healthy) => None,
        Ok(c) => Some(c),
        Err(e) => {
            note("healthy", e);
            None
        }
    };
    let mut observe = Vec::new();
    for (field, o) in &kind.observe {
        if o.when.as_deref().is_some_and(|w| !declares(w)) {
            continue;
        }
        // An observation that names an undeclared field is skipped: the field is then not
        // compared.
        if let Ok(argv) = template::render(&o.argv, lookup) {
            observe.push(RenderedObserve {
                field: field.clone(),
                argv,
                read_as: o.read_as,
                true_word: o.true_word.clone(),
            });
        }
    }
    ProbeSpec {
        resource: key.to_string(),
        site: site.to_string(),
        kind: kind.name.clone(),
        timeout: health.timeout,
        interval: health.interval,
        retries: health.retries,
        backoff: health.backoff.clone(),
        base_delay: health.base_delay,
        delays: delays(health),
        tools: kind.tools.clone(),
        exists,
        healthy,
        observe,
        unavailable,
    }
}

/// A lookup over known identity values (a discovered resource named in live state).
pub fn identity_lookup<'a>(
    key: &'a Value,
    site: &'a Value,
    name: &'a Value,
    federation: &'a Value,
    identity: &'a indexmap::IndexMap<String, Value>,
) -> impl Fn(&str) -> Option<Param<'a>> + 'a {
    move |n: &str| match n {
        "key" => Some(Param::Value(key)),
        "site" => Some(Param::Value(site)),
        "name" => Some(Param::Value(name)),
        "federation" => Some(Param::Value(federation)),
        other => identity.get(other).map(Param::Value),
    }
}
