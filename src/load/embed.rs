//! File embedding, as `cue help embed` describes it (cue v0.14.2): in a file that declares
//! `@extern(embed)` before its `package` clause, `a: _ @embed(file=x.json)` adds the file's
//! value as a conjunct of `a`, `@embed(glob="x/*.yaml")` a struct of every matching file keyed
//! by its path, and `@embed(…)` on a line of its own inside a struct embeds the value into
//! that struct. `type=` names the encoding (`json`, `yaml`, `toml`, `text`, `binary`); without
//! it the extension does. A step on parsed files before lowering, beside `load/tags.rs`, whose
//! attribute finding it shares.
//!
//! Invariant: a file without `@extern(embed)` passes unchanged (its `@embed` attributes are
//! ignored, as cue ignores them); paths are relative to the file's directory and may not leave
//! it (`..`, absolute paths) nor be written unnormalised (`./x`); every problem is a
//! `orche::load::embed` error whose message starts with `@embed:`, as cue's do, at the
//! attribute; embedding is refused outside a module and in an instance of files named on the
//! command line, as cue refuses it.

use super::module::Module;
use super::tags::{attributes, field_at, leading_count, Attr};
use crate::diag::Diag;
use crate::eval::builtins::path::path_match;
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Decl, Expr, ExprKind, LabelKind};
use std::path::{Path, PathBuf};

const CODE: &str = "orche::load::embed";

/// The module files are embedded from for an instance: its module, unless the instance was
/// built from files named on the command line, which cue v0.14.2 treats as outside any module
/// for embedding (`cue export x.cue` fails with `cannot embed files when not in a module` where
/// `cue export .` embeds).
pub fn module_for(module: &Option<std::rc::Rc<Module>>, from_files: bool) -> Option<&Module> {
    module.as_deref().filter(|_| !from_files)
}

/// Applies the `@embed` attributes of `files` (those with `@extern(embed)`). `module` is the
/// instance's module: without one, a file that embeds is an error.
pub fn apply(
    mut files: Vec<ast::File>,
    sources: &mut SourceMap,
    module: Option<&Module>,
) -> (Vec<ast::File>, Vec<Diag>) {
    let mut diags = Vec::new();
    for file in files.iter_mut() {
        let src = sources.get(file.span.file);
        if src.stdlib || !src.text.contains("@embed") {
            continue;
        }
        let text = src.text.clone();
        let dir = match Path::new(&src.name).parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let attrs = attributes(&text, file.span);
        let lead = leading_count(&text, &attrs);
        if !attrs[..lead]
            .iter()
            .any(|a| a.name == "extern" && a.body.trim() == "embed")
        {
            continue;
        }
        let embeds: Vec<&Attr> = attrs[lead..].iter().filter(|a| a.name == "embed").collect();
        if embeds.is_empty() {
            continue;
        }
        if module.is_none() {
            diags.push(
                Diag::new(CODE, "cannot embed files when not in a module")
                    .with_label(embeds[0].span, "@embed")
                    .with_help(
                        "embedding needs a module (a cue.mod/module.cue above the file) and the \
                         package named by its directory (`.`), not by its files",
                    ),
            );
            continue;
        }
        for a in embeds {
            let value = spec(&a.body).and_then(|s| value(&s, &dir, a.span, sources));
            let value = match value {
                Ok(v) => v,
                Err(m) => {
                    diags.push(Diag::new(CODE, format!("@embed: {m}")).with_label(a.span, "here"));
                    continue;
                }
            };
            let at = a.span.start as usize;
            if is_declaration(&text, at) {
                struct_at(&mut file.decls, at).push(Decl::Embed(value));
            } else if let Some(field) = field_at(&mut file.decls, at, &mut Vec::new()) {
                if !matches!(field.label.kind, LabelKind::Ident(_) | LabelKind::String(_)) {
                    // cue v0.14.2 embeds only at a field of a fixed name.
                    let label = text
                        [field.label.span.start as usize..field.label.span.end as usize]
                        .to_string();
                    diags.push(
                        Diag::new(
                            CODE,
                            format!("external attribute has non-concrete label {label}"),
                        )
                        .with_label(a.span, "here"),
                    );
                    continue;
                }
                super::tags::conjoin(field, value);
            }
        }
    }
    (files, diags)
}

/// What one `@embed(…)` asks for.
#[derive(Debug, PartialEq)]
struct Spec {
    /// `file=` (false) or `glob=` (true), and its path or pattern.
    glob: bool,
    path: String,
    typ: Option<String>,
}

/// The attribute's arguments: `file=` or `glob=` (exactly one), `type=`; other arguments are
/// ignored, as cue v0.14.2 ignores them.
fn spec(body: &str) -> Result<Spec, String> {
    let (mut file, mut glob, mut typ) = (None, None, None);
    for part in split_args(body) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let v = unquote(v.trim());
        match k.trim() {
            "file" => file = Some(v),
            "glob" => glob = Some(v),
            "type" => typ = Some(v),
            _ => {}
        }
    }
    let (glob, path) = match (file, glob) {
        (Some(_), Some(_)) => return Err("attribute cannot have both file and glob field".into()),
        (Some(f), None) => (false, f),
        (None, Some(g)) => (true, g),
        (None, None) => return Err("attribute must have file or glob field".into()),
    };
    if path.starts_with('/') {
        return Err("only relative files are allowed".into());
    }
    let clean = normalize(&path);
    if clean.split('/').any(|s| s == "..") {
        return Err("cannot refer to parent directory".into());
    }
    if clean != path {
        return Err(format!("path not normalized, use {clean:?} instead"));
    }
    Ok(Spec { glob, path, typ })
}

/// Splits the attribute's body at commas outside double quotes.
fn split_args(body: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in body.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("one part at least").push(c);
    }
    parts
}

/// A value written `"quoted"` (with `\"` and `\\`) or bare.
fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_string(),
    }
}

/// Go's `path.Clean` for a relative path: `.` segments and empty ones dropped, `x/..` folded.
fn normalize(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." if out.last().is_some_and(|s| *s != "..") => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

/// The value the attribute embeds: one file's, or a struct of the glob's matches keyed by
/// their paths (sorted, as Go's `fs.Glob` returns them).
fn value(s: &Spec, dir: &Path, at: Span, sources: &mut SourceMap) -> Result<Expr, String> {
    if !s.glob {
        return file_value(&s.path, s.typ.as_deref(), dir, at, sources);
    }
    let matches = glob(dir, &s.path);
    if matches.is_empty() {
        return Err(format!("no matches for glob pattern {:?}", s.path));
    }
    let mut decls = Vec::new();
    for m in matches {
        let v = file_value(&m, s.typ.as_deref(), dir, at, sources)?;
        decls.push(Decl::Field(ast::Field {
            label: ast::Label {
                alias: None,
                value_alias: None,
                kind: LabelKind::String(m),
                span: at,
            },
            constraint: ast::Constraint::Regular,
            value: v,
            span: at,
        }));
    }
    Ok(Expr {
        kind: ExprKind::Struct(decls),
        span: at,
    })
}

/// One file's value, decoded by `typ` or by its extension.
fn file_value(
    rel: &str,
    typ: Option<&str>,
    dir: &Path,
    at: Span,
    sources: &mut SourceMap,
) -> Result<Expr, String> {
    let typ = match typ {
        Some(t) => t.to_string(),
        None => match Path::new(rel).extension().and_then(|x| x.to_str()) {
            Some("json") => "json".into(),
            Some("yaml" | "yml") => "yaml".into(),
            Some("toml") => "toml".into(),
            Some("txt") => "text".into(),
            Some("jsonl" | "ndjson") => "jsonl".into(),
            Some("cue") => "cue".into(),
            Some(x) => return Err(format!("unknown file extension .{x}")),
            None => return Err(format!("no encoding specified for file {rel:?}")),
        },
    };
    match typ.as_str() {
        "json" | "yaml" | "toml" | "text" | "binary" => {}
        "jsonl" | "ndjson" => {
            return Err(format!(
                "encoding {typ:?} not (yet) supported: requires support for streaming"
            ))
        }
        "cue" => return Err("encoding \"cue\" not (yet) supported".into()),
        other => return Err(format!("unknown filetype {other}")),
    }
    let path = dir.join(rel);
    let bytes = read(&path).map_err(|e| format!("open {rel}: {e}"))?;
    if typ == "binary" {
        return Ok(Expr {
            kind: ExprKind::Bytes(bytes),
            span: at,
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{rel}: the file is not UTF-8"))?;
    if typ == "text" {
        return Ok(Expr {
            kind: ExprKind::String(text),
            span: at,
        });
    }
    let id = sources.add(rel.to_string(), text);
    let text = sources.get(id).text.clone();
    let docs = match typ.as_str() {
        "json" => super::data::json_docs(id, &text, false),
        "yaml" => super::data::yaml_docs(id, &text),
        _ => super::data::toml_doc(id, &text).map(|e| vec![e]),
    }
    .map_err(|d| d.message.clone())?;
    let mut docs = docs.into_iter();
    match (docs.next(), docs.next()) {
        (Some(doc), None) => Ok(doc),
        (None, _) => Ok(Expr {
            kind: ExprKind::Null,
            span: at,
        }),
        (Some(_), Some(_)) => {
            Err("streaming not implemented: found more than one value in file".into())
        }
    }
}

/// A regular file's bytes, at most `limit::MAX_INPUT` of them; errors in Go's words.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let why = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(why)?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(why)?
        .take(crate::limit::MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(why)?;
    if bytes.len() as u64 > crate::limit::MAX_INPUT {
        return Err(format!(
            "the file is over the limit of {} for one input",
            crate::limit::human(crate::limit::MAX_INPUT)
        ));
    }
    Ok(bytes)
}

/// The regular files under `dir` whose paths (relative to `dir`, `/`-separated) match
/// `pattern`, segment by segment (`*`, `?` and `[…]` within a segment, as Go's `path.Match`),
/// sorted.
fn glob(dir: &Path, pattern: &str) -> Vec<String> {
    let segs: Vec<&str> = pattern.split('/').collect();
    let mut found = Vec::new();
    walk(dir, "", &segs, &mut found);
    found.sort();
    found
}

fn walk(dir: &Path, prefix: &str, segs: &[&str], found: &mut Vec<String>) {
    let Some((seg, rest)) = segs.split_first() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<(String, bool)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().to_str()?.to_string();
            let is_dir = e.path().is_dir();
            Some((name, is_dir))
        })
        .collect();
    names.sort();
    for (name, is_dir) in names {
        if !path_match(seg, &name) {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if rest.is_empty() {
            if !is_dir {
                found.push(rel);
            }
        } else if is_dir {
            walk(&dir.join(&name), &rel, rest, found);
        }
    }
}

/// Whether the attribute at `at` stands as a declaration of its own (on a line of its own, or
/// right after `{` or `,`), rather than after a field's value.
fn is_declaration(text: &str, at: usize) -> bool {
    use crate::fmt::lex::Kind;
    let Some(toks) = crate::fmt::lex::lex(text) else {
        return false;
    };
    let Some(i) = toks.iter().position(|t| t.start == at) else {
        return false;
    };
    let prev = toks[..i]
        .iter()
        .rev()
        .find(|t| !matches!(t.kind, Kind::Attr | Kind::Comment));
    match prev {
        None => true,
        Some(t) => {
            t.kind == Kind::Newline || (t.kind == Kind::Punct && matches!(t.text, "{" | ","))
        }
    }
}

/// The declarations of the innermost struct literal (a field's value) that holds offset `at`;
/// the file's own when none does.
fn struct_at(decls: &mut Vec<Decl>, at: usize) -> &mut Vec<Decl> {
    let inner = decls.iter().position(|d| match d {
        Decl::Field(f) => {
            matches!(f.value.kind, ExprKind::Struct(_))
                && (f.value.span.start as usize) < at
                && at < f.value.span.end as usize
        }
        _ => false,
    });
    match inner {
        Some(i) => match &mut decls[i] {
            Decl::Field(ast::Field {
                value:
                    Expr {
                        kind: ExprKind::Struct(inner),
                        ..
                    },
                ..
            }) => struct_at(inner, at),
            _ => unreachable!("position found a field whose value is a struct"),
        },
        None => decls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_read_as_cue_reads_them() {
        let s = spec(r#"glob="x/*.*", type=yaml"#).unwrap();
        assert_eq!(
            s,
            Spec {
                glob: true,
                path: "x/*.*".into(),
                typ: Some("yaml".into())
            }
        );
        assert_eq!(spec("file=a.json, allowEmpty").unwrap().path, "a.json");
        assert!(spec("file=a, glob=b").unwrap_err().contains("both"));
        assert!(spec("foo=1").unwrap_err().contains("must have"));
        assert!(spec("file=../a.json").unwrap_err().contains("parent"));
        assert!(spec("file=/etc/x").unwrap_err().contains("relative"));
        assert_eq!(
            spec("file=./a.json").unwrap_err(),
            r#"path not normalized, use "a.json" instead"#
        );
    }

    #[test]
    fn glob_segments_match_as_go_path_match() {
        let m = path_match;
        assert!(m("*.yaml", "a.yaml"));
        assert!(!m("*.yaml", "a.json"));
        assert!(m("*.*", "a.b"));
        assert!(m("a?c", "abc"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[^a-c]x", "bx"));
        assert!(m("\\*", "*"));
        assert!(!m("a", "ab"));
    }
}
