//! The value diff: two concrete values compared by data path. Structs are compared field by
//! field (a field only one side has is added or removed whole), lists element by element by
//! index (a longer list has its extra elements added, a shorter one removed), anything else
//! by equality (a scalar, or a value whose kind changed, is changed whole). Paths are written
//! as orche's diagnostics write them: labels joined by `.`, list indices as numbers (`a.b.2`),
//! labels that are not identifiers quoted (`a."x-y"`). Invariant: changes come in the order of
//! the old value, with what only the new value has after the fields of the same struct, in
//! its order.

use crate::value::Value;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Added,
    Removed,
    Changed,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
        }
    }
}

/// One difference.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// The data path; empty for the whole value.
    pub path: String,
    pub change: Kind,
    /// The old value (absent when added).
    #[serde(serialize_with = "as_json", skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value (absent when removed).
    #[serde(serialize_with = "as_json", skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// A value as the JSON `orche export` prints (numbers exact).
pub(super) fn as_json<S: serde::Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => to_json(v).serialize(s),
        None => s.serialize_none(),
    }
}

/// A value as a `serde_json::Value` (numbers kept as written: `arbitrary_precision`).
pub fn to_json(v: &Value) -> serde_json::Value {
    serde_json::from_str(&crate::export::json::to_compact(v)).unwrap_or(serde_json::Value::Null)
}

/// Every difference between `old` and `new`.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let mut path = String::new();
    walk(old, new, &mut path, &mut out);
    out
}

fn walk(old: &Value, new: &Value, path: &mut String, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Struct(a), Value::Struct(b)) => {
            for (k, x) in a {
                let y = b.get(k);
                // Equal subtrees (most of them) are skipped before any path is written.
                if y == Some(x) {
                    continue;
                }
                let len = push_label(path, k);
                match y {
                    Some(y) => walk(x, y, path, out),
                    None => out.push(Change {
                        path: path.clone(),
                        change: Kind::Removed,
                        old: Some(x.clone()),
                        new: None,
                    }),
                }
                path.truncate(len);
            }
            for (k, y) in b {
                if a.contains_key(k) {
                    continue;
                }
                let len = push_label(path, k);
                out.push(Change {
                    path: path.clone(),
                    change: Kind::Added,
                    old: None,
                    new: Some(y.clone()),
                });
                path.truncate(len);
            }
        }
        (Value::List(a), Value::List(b)) => {
            for i in 0..a.len().max(b.len()) {
                if a.get(i) == b.get(i) {
                    continue;
                }
                let len = push_index(path, i);
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => walk(x, y, path, out),
                    (Some(x), None) => out.push(Change {
                        path: path.clone(),
                        change: Kind::Removed,
                        old: Some(x.clone()),
                        new: None,
                    }),
                    (None, Some(y)) => out.push(Change {
                        path: path.clone(),
                        change: Kind::Added,
                        old: None,
                        new: Some(y.clone()),
                    }),
                    (None, None) => {}
                }
                path.truncate(len);
            }
        }
        _ => {
            if old != new {
                out.push(Change {
                    path: path.clone(),
                    change: Kind::Changed,
                    old: Some(old.clone()),
                    new: Some(new.clone()),
                });
            }
        }
    }
}

/// Appends a field label to `path`; returns the length to truncate back to.
fn push_label(path: &mut String, label: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(&label_text(label));
    len
}

fn push_index(path: &mut String, i: usize) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(&i.to_string());
    len
}

/// A label as a data path writes it: bare when it is an identifier that reads as a regular
/// field, quoted otherwise (`"x-y"`, `"#x"`, `"2"`).
pub fn label_text(label: &str) -> String {
    if crate::lower::is_identifier(label) && !label.starts_with(['#', '_', '$']) {
        label.to_string()
    } else {
        format!("{label:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn s(fields: &[(&str, Value)]) -> Value {
        Value::Struct(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<IndexMap<_, _>>(),
        )
    }

    fn text(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn paths_and_kinds() {
        let old = s(&[
            ("a", s(&[("x-y", text("1")), ("gone", Value::Bool(true))])),
            ("l", Value::List(vec![text("p"), text("q"), text("r")])),
            ("k", text("same")),
        ]);
        let new = s(&[
            ("k", text("same")),
            ("l", Value::List(vec![text("p"), text("Q")])),
            ("a", s(&[("x-y", Value::int(1)), ("new", Value::Null)])),
        ]);
        let got: Vec<(String, Kind)> = diff(&old, &new)
            .into_iter()
            .map(|c| (c.path, c.change))
            .collect();
        assert_eq!(
            got,
            [
                ("a.\"x-y\"".to_string(), Kind::Changed),
                ("a.gone".to_string(), Kind::Removed),
                ("a.new".to_string(), Kind::Added),
                ("l.1".to_string(), Kind::Changed),
                ("l.2".to_string(), Kind::Removed),
            ]
        );
        assert!(diff(&old, &old).is_empty());
        assert_eq!(diff(&text("a"), &text("b"))[0].path, "");
    }
}
