//! Argv templates of `orche/actions`: elements with `${field}` placeholders and `{each: f,
//! as: [...]}` expansions, rendered against one resource's fields. Invariant: rendering never
//! builds shell text; it yields argv words, each made of literal pieces and (for a script that
//! binds a field at run time) shell variables, and the emitters quote every piece.

use crate::value::Value;

/// One element of a template command.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// One argument, with placeholders.
    Text(String),
    /// `as`, repeated for every element (or entry) of the field; nothing when it is absent.
    Each { field: String, args: Vec<String> },
}

/// A template command.
#[derive(Clone, Debug, PartialEq)]
pub struct Argv(pub Vec<Arg>);

/// What a placeholder stands for while rendering.
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    /// A value known when orche runs.
    Value(&'a Value),
    /// A value the script reads at run time from this shell variable.
    Shell(&'a str),
}

/// A piece of a rendered word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Var(String),
}

/// A rendered argument: pieces that the emitter joins into one shell word.
pub type Word = Vec<Piece>;

/// Why a template could not be rendered for a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// A placeholder names a field the resource does not declare.
    Missing(String),
    /// A placeholder names a field whose value is a list or struct (use `each`).
    NotScalar(String),
    /// A value holds a NUL byte, which no argument can carry.
    Nul(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Missing(x) => write!(f, "`{x}` is not declared"),
            Unavailable::NotScalar(x) => {
                write!(f, "`{x}` is a list or struct where one value is expected")
            }
            Unavailable::Nul(x) => write!(f, "`{x}` holds a NUL character"),
        }
    }
}

/// The text of a scalar as a command argument: strings as they are, numbers in their
/// canonical form, booleans as `true`/`false`.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Num(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Renders `text`, replacing `${field}` by `lookup(field)` and `$$` by `$`. A `$` not followed
/// by `{` or `$` is literal.
pub fn render_text<'a>(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<Param<'a>>,
) -> Result<Word, Unavailable> {
    let mut word: Word = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        lit.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            lit.push('$');
            rest = r;
            continue;
        }
        let Some(body) = after.strip_prefix('{') else {
            lit.push('$');
            rest = after;
            continue;
        };
        let Some(end) = body.find('}') else {
            lit.push('$');
            rest = after;
            continue;
        };
        let name = &body[..end];
        rest = &body[end + 1..];
        match lookup(name) {
            None => return Err(Unavailable::Missing(name.to_string())),
            Some(Param::Value(v)) => {
                let Some(s) = scalar_text(v) else {
                    return Err(Unavailable::NotScalar(name.to_string()));
                };
                if s.contains('\0') {
                    return Err(Unavailable::Nul(name.to_string()));
                }
                lit.push_str(&s);
            }
            Some(Param::Shell(var)) => {
                if !lit.is_empty() {
                    word.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                word.push(Piece::Var(var.to_string()));
            }
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() || word.is_empty() {
        word.push(Piece::Lit(lit));
    }
    Ok(word)
}

/// Renders a command. `lookup` gives the resource's fields (and the ones every resource has).
pub fn render<'a>(
    argv: &Argv,
    lookup: &dyn Fn(&str) -> Option<Param<'a>>,
) -> Result<Vec<Word>, Unavailable> {
    let mut out = Vec::new();
    for arg in &argv.0 {
        match arg {
            Arg::Text(t) => out.push(render_text(t, lookup)?),
            Arg::Each { field, args } => {
                let items: Vec<(Value, Option<Value>)> = match lookup(field) {
                    None => Vec::new(),
                    Some(Param::Shell(_)) => return Err(Unavailable::Missing(field.clone())),
                    Some(Param::Value(Value::List(xs))) => {
                        xs.iter().map(|x| (x.clone(), None)).collect()
                    }
                    Some(Param::Value(Value::Struct(m))) => m
                        .iter()
                        .map(|(k, v)| (Value::Str(k.clone()), Some(v.clone())))
                        .collect(),
                    Some(Param::Value(v)) => vec![(v.clone(), None)],
                };
                for (item, value) in &items {
                    let inner = |name: &str| -> Option<Param<'_>> {
                        match (name, value) {
                            ("item", None) => Some(Param::Value(item)),
                            ("key", Some(_)) => Some(Param::Value(item)),
                            ("value", Some(v)) => Some(Param::Value(v)),
                            _ => lookup(name),
                        }
                    };
                    for a in args {
                        out.push(render_text(a, &inner)?);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Renders a command whose every placeholder is known: plain strings.
pub fn render_plain<'a>(
    argv: &Argv,
    lookup: &dyn Fn(&str) -> Option<&'a Value>,
) -> Result<Vec<String>, Unavailable> {
    let words = render(argv, &|n| lookup(n).map(Param::Value))?;
    Ok(words.into_iter().map(plain).collect())
}

/// A word without shell variables as one string.
pub fn plain(word: Word) -> String {
    word.into_iter()
        .map(|p| match p {
            Piece::Lit(s) | Piece::Var(s) => s,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn fields() -> IndexMap<String, Value> {
        let mut m = IndexMap::new();
        m.insert("name".into(), Value::Str("web".into()));
        m.insert("port".into(), Value::int(8080));
        m.insert(
            "ports".into(),
            Value::List(vec![
                Value::Str("1:1/tcp".into()),
                Value::Str("2:2/tcp".into()),
            ]),
        );
        let mut env = IndexMap::new();
        env.insert("A".to_string(), Value::Str("x y".into()));
        m.insert("env".into(), Value::Struct(env));
        m
    }

    #[test]
    fn placeholders_and_escapes() {
        let f = fields();
        let argv = Argv(vec![
            Arg::Text("${name}:${port}".into()),
            Arg::Text("$$HOME {{.Id}} $x".into()),
            Arg::Each {
                field: "ports".into(),
                args: vec!["-p".into(), "${item}".into()],
            },
            Arg::Each {
                field: "env".into(),
                args: vec!["-e".into(), "${key}=${value}".into()],
            },
            Arg::Each {
                field: "absent".into(),
                args: vec!["--never".into()],
            },
        ]);
        let out = render_plain(&argv, &|n| f.get(n)).unwrap();
        assert_eq!(
            out,
            [
                "web:8080",
                "$HOME {{.Id}} $x",
                "-p",
                "1:1/tcp",
                "-p",
                "2:2/tcp",
                "-e",
                "A=x y"
            ]
        );
    }

    #[test]
    fn missing_and_shell_bound() {
        let f = fields();
        let argv = Argv(vec![Arg::Text("${nope}".into())]);
        assert_eq!(
            render_plain(&argv, &|n| f.get(n)),
            Err(Unavailable::Missing("nope".into()))
        );
        let argv = Argv(vec![Arg::Text("c=${container}!".into())]);
        let out = render(&argv, &|n| (n == "container").then_some(Param::Shell("c"))).unwrap();
        assert_eq!(
            out,
            vec![vec![
                Piece::Lit("c=".into()),
                Piece::Var("c".into()),
                Piece::Lit("!".into())
            ]]
        );
    }
}
