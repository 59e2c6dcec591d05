//! The kinds table of `orche/actions` as typed data: per kind, the probes, the comparisons and
//! the lifecycle commands. Read once per run from the evaluated stdlib package. Invariant:
//! everything orche knows about a kind comes from this table; no other code matches on kind
//! names.

use super::template::{Arg, Argv};
use crate::value::Value;
use indexmap::IndexMap;

/// A read-only check.
#[derive(Clone, Debug)]
pub struct Check {
    pub argv: Argv,
    /// The observed field whose command this check runs (its output is then that field's
    /// observed value, and the command runs once).
    pub observe: Option<String>,
    /// The field that must be declared true for the check to apply.
    pub when: Option<String>,
    /// The exit status it passes with (a template).
    pub exit: String,
    pub stdout: Option<String>,
    pub at_least: Option<String>,
}

/// How an observed field is read from a command's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAs {
    String,
    Int,
    Bool,
    Lines,
    Exit,
}

impl ReadAs {
    pub fn name(self) -> &'static str {
        match self {
            ReadAs::String => "string",
            ReadAs::Int => "int",
            ReadAs::Bool => "bool",
            ReadAs::Lines => "lines",
            ReadAs::Exit => "exit",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Observe {
    pub argv: Argv,
    pub read_as: ReadAs,
    pub true_word: String,
    pub when: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Equal,
    Subset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    None,
    Update,
    Replace,
}

/// A declared field and how it compares with what is observed.
#[derive(Clone, Debug)]
pub struct Field {
    pub observed: String,
    pub sha256: bool,
    /// The observed value expected instead of the declared one.
    pub expect: Option<Value>,
    pub matching: Match,
    pub change: Change,
    /// Commands by declared value (`"true"`, `"false"`, or `"*"`).
    pub update: IndexMap<String, Argv>,
}

#[derive(Clone, Debug)]
pub struct Discover {
    pub argv: Argv,
    pub identity: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Actions {
    pub create: Option<Argv>,
    pub update: Option<Argv>,
    pub remove: Option<Argv>,
}

#[derive(Clone, Debug)]
pub struct Kind {
    pub name: String,
    pub tools: Vec<String>,
    pub ready: Option<Argv>,
    pub defaults: IndexMap<String, Value>,
    pub exists: Option<Check>,
    pub healthy: Check,
    pub observe: IndexMap<String, Observe>,
    pub fields: IndexMap<String, Field>,
    pub discover: Option<Discover>,
    pub actions: Actions,
}

/// Every kind, in the table's order.
#[derive(Clone, Debug, Default)]
pub struct Kinds(pub IndexMap<String, Kind>);

impl Kinds {
    pub fn get(&self, name: &str) -> Option<&Kind> {
        self.0.get(name)
    }

    /// Reads the exported value of `orche/actions`' `kinds`.
    pub fn from_value(v: &Value) -> Result<Kinds, String> {
        let m = as_struct(v, "kinds")?;
        let mut out = IndexMap::new();
        for (name, k) in m {
            out.insert(
                name.clone(),
                kind(name, k).map_err(|e| format!("kinds.{name}.{e}"))?,
            );
        }
        Ok(Kinds(out))
    }
}

fn as_struct<'a>(v: &'a Value, what: &str) -> Result<&'a IndexMap<String, Value>, String> {
    match v {
        Value::Struct(m) => Ok(m),
        _ => Err(format!("{what}: expected a struct")),
    }
}

fn get_str(m: &IndexMap<String, Value>, f: &str) -> Result<Option<String>, String> {
    match m.get(f) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        Some(Value::Num(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{f}: expected a string")),
    }
}

fn argv(v: &Value, what: &str) -> Result<Argv, String> {
    let Value::List(xs) = v else {
        return Err(format!("{what}: expected a list"));
    };
    let mut out = Vec::new();
    for x in xs {
        match x {
            Value::Str(s) => out.push(Arg::Text(s.clone())),
            Value::Struct(m) => {
                let field = get_str(m, "each")?.ok_or(format!("{what}: `each` expected"))?;
                let Some(Value::List(args)) = m.get("as") else {
                    return Err(format!("{what}: `as` expected"));
                };
                let args = args
                    .iter()
                    .map(|a| a.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(format!("{what}.as: expected strings"))?;
                out.push(Arg::Each { field, args });
            }
            _ => return Err(format!("{what}: expected strings or {{each, as}}")),
        }
    }
    Ok(Argv(out))
}

fn check(v: &Value, what: &str, observe: &IndexMap<String, Observe>) -> Result<Check, String> {
    let m = as_struct(v, what)?;
    let from = get_str(m, "observe")?;
    let argv = match (m.get("argv"), &from) {
        (Some(a), _) => argv(a, what)?,
        (None, Some(f)) => observe
            .get(f)
            .ok_or(format!("{what}.observe: no observed field {f:?}"))?
            .argv
            .clone(),
        (None, None) => return Err(format!("{what}: `argv` or `observe` expected")),
    };
    Ok(Check {
        argv,
        observe: from,
        when: get_str(m, "when")?,
        exit: get_str(m, "exit")?.unwrap_or_else(|| "0".into()),
        stdout: get_str(m, "stdout")?,
        at_least: get_str(m, "at_least")?,
    })
}

fn kind(name: &str, v: &Value) -> Result<Kind, String> {
    let m = as_struct(v, name)?;
    let strings = |f: &str| -> Result<Vec<String>, String> {
        match m.get(f) {
            None => Ok(Vec::new()),
            Some(Value::List(xs)) => xs
                .iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or(format!("{f}: expected strings")),
            Some(_) => Err(format!("{f}: expected a list")),
        }
    };
    let empty = IndexMap::new();
    let sub = |f: &str| -> Result<&IndexMap<String, Value>, String> {
        match m.get(f) {
            None => Ok(&empty),
            Some(v) => as_struct(v, f),
        }
    };
    let mut observe = IndexMap::new();
    for (f, o) in sub("observe")? {
        let om = as_struct(o, f)?;
        let read_as = match get_str(om, "as")?.as_deref() {
            None | Some("string") => ReadAs::String,
            Some("int") => ReadAs::Int,
            Some("bool") => ReadAs::Bool,
            Some("lines") => ReadAs::Lines,
            Some("exit") => ReadAs::Exit,
            Some(x) => return Err(format!("observe.{f}.as: unknown {x:?}")),
        };
        observe.insert(
            f.clone(),
            Observe {
                argv: argv(
                    om.get("argv").ok_or(format!("observe.{f}.argv: missing"))?,
                    f,
                )?,
                read_as,
                true_word: get_str(om, "true_word")?.unwrap_or_else(|| "true".into()),
                when: get_str(om, "when")?,
            },
        );
    }
    let mut fields = IndexMap::new();
    for (f, x) in sub("fields")? {
        let fm = as_struct(x, f)?;
        let mut update = IndexMap::new();
        if let Some(u) = fm.get("update") {
            for (val, a) in as_struct(u, "update")? {
                update.insert(val.clone(), argv(a, &format!("fields.{f}.update"))?);
            }
        }
        fields.insert(
            f.clone(),
            Field {
                observed: get_str(fm, "observed")?.unwrap_or_else(|| f.clone()),
                sha256: get_str(fm, "digest")?.as_deref() == Some("sha256"),
                expect: fm.get("expect").cloned(),
                matching: match get_str(fm, "match")?.as_deref() {
                    Some("subset") => Match::Subset,
                    _ => Match::Equal,
                },
                change: match get_str(fm, "change")?.as_deref() {
                    Some("replace") => Change::Replace,
                    Some("none") => Change::None,
                    _ => Change::Update,
                },
                update,
            },
        );
    }
    let actions = sub("actions")?;
    let action = |f: &str| actions.get(f).map(|a| argv(a, f)).transpose();
    Ok(Kind {
        name: name.to_string(),
        tools: strings("tools")?,
        ready: m.get("ready").map(|a| argv(a, "ready")).transpose()?,
        defaults: sub("defaults")?.clone(),
        exists: m
            .get("exists")
            .map(|c| check(c, "exists", &observe))
            .transpose()?,
        healthy: check(
            m.get("healthy").ok_or("healthy: missing")?,
            "healthy",
            &observe,
        )?,
        observe,
        fields,
        discover: match m.get("discover") {
            None => None,
            Some(d) => {
                let dm = as_struct(d, "discover")?;
                Some(Discover {
                    argv: argv(dm.get("argv").ok_or("discover.argv: missing")?, "discover")?,
                    identity: match dm.get("identity") {
                        Some(Value::List(xs)) => xs
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    },
                })
            }
        },
        actions: Actions {
            create: action("create")?,
            update: action("update")?,
            remove: action("remove")?,
        },
    })
}

#[cfg(test)]
mod tests {
    /// The embedded `orche/actions` table evaluates and has the shape this module reads.
    #[test]
    fn stdlib_table_reads() {
        let kinds = crate::compile::kinds().expect("orche/actions reads");
        for k in [
            "docker", "systemd", "http", "tcp", "file", "process", "command",
        ] {
            assert!(kinds.get(k).is_some(), "kind {k} is missing");
        }
        let docker = kinds.get("docker").unwrap();
        assert!(docker.actions.create.is_some() && docker.discover.is_some());
    }
}
