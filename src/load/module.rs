//! CUE modules without a network: finding the module a directory belongs to (the nearest
//! ancestor with `cue.mod/module.cue` or orche's own `orche.mod/module.orc`), reading its module
//! path, and resolving import paths to the files of a package: inside the module (the package's
//! directory plus the files of the same package in its ancestors up to the module root, as CUE
//! builds an instance), or vendored under `cue.mod/gen`, `cue.mod/pkg` and `cue.mod/usr` (all
//! three unified, as CUE does). Invariant: nothing is fetched; an import that is not found is a
//! `Diag` naming the import, the module root and every directory tried.

use crate::diag::Diag;
use crate::source::{SourceMap, Span};
use crate::syntax::ast;
use std::path::{Path, PathBuf};

/// The module files orche recognises, in the order they are looked for in each directory.
pub const MODULE_FILES: [(&str, &str); 2] =
    [("orche.mod", "module.orc"), ("cue.mod", "module.cue")];

/// A module: its root directory, its module path (`example.com/infra`) and the directory
/// holding its module file (`cue.mod` or `orche.mod`; vendored packages live under it).
#[derive(Clone, Debug)]
pub struct Module {
    pub root: PathBuf,
    pub path: String,
    pub mod_dir: PathBuf,
}

/// The module `dir` lies in: the nearest ancestor (or `dir` itself) with a module file; `None`
/// when there is none. A module file that does not parse or lacks `module` or
/// `language: version` is an error, as in CUE; except an empty module file (no declarations)
/// of a module the current directory is not in, which counts as none: cue reads only the
/// module of the current directory, so `cue export ./pkg` passes over `pkg/cue.mod/module.cue`
/// when it is empty (older CUE's module without a path).
pub fn find(dir: &Path, sources: &mut SourceMap) -> Result<Option<Module>, Vec<Diag>> {
    let start = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut at: Option<&Path> = Some(&start);
    while let Some(d) = at {
        for (sub, file) in MODULE_FILES {
            let f = d.join(sub).join(file);
            if f.is_file() {
                return read(d, &f, sources);
            }
        }
        at = d.parent();
    }
    Ok(None)
}

/// Reads a module file: `module: "…"` and `language: version: "…"` at its top.
fn read(root: &Path, file: &Path, sources: &mut SourceMap) -> Result<Option<Module>, Vec<Diag>> {
    let mut diags = Vec::new();
    let shown = display(file);
    let Some(f) = super::load_file_named(file, shown.clone(), sources, &mut diags) else {
        return Err(diags);
    };
    if f.decls.is_empty() && !cwd_within(root) {
        return Ok(None);
    }
    let module = top_string(&f.decls, &["module"]);
    let version = top_string(&f.decls, &["language", "version"]);
    let bad = |msg: String, span: Span| {
        Diag::new(
            "orche::load::module_file",
            format!("invalid module file {shown}: {msg}"),
        )
        .with_label(span, "")
        .with_help("a module file holds `module: \"example.com/name\"` and `language: version: \"v0.9.0\"`")
    };
    let Some((path, span)) = module else {
        return Err(vec![bad("no `module` path".into(), f.span)]);
    };
    let first = path.split('/').next().unwrap_or("");
    if !first.contains('.') {
        return Err(vec![bad(
            format!("module path {path:?} is not valid: missing dot in first path element"),
            span,
        )]);
    }
    if version.is_none() {
        return Err(vec![bad(
            "no language version declared (`language: version: \"v0.9.0\"`)".into(),
            f.span,
        )]);
    }
    let path = path.split('@').next().unwrap_or(&path).to_string();
    Ok(Some(Module {
        root: root.to_path_buf(),
        path,
        mod_dir: file.parent().unwrap_or(root).to_path_buf(),
    }))
}

/// Whether the current directory is `root` or lies below it (`root` is canonical).
fn cwd_within(root: &Path) -> bool {
    std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok())
        .is_some_and(|d| d.starts_with(root))
}

/// The string literal at `names` (a path of plain field names) in top-level declarations.
fn top_string(decls: &[ast::Decl], names: &[&str]) -> Option<(String, Span)> {
    let (first, rest) = names.split_first()?;
    for d in decls {
        let ast::Decl::Field(f) = d else { continue };
        let name = match &f.label.kind {
            ast::LabelKind::Ident(i) => i.name.as_str(),
            ast::LabelKind::String(s) => s.as_str(),
            _ => continue,
        };
        if name != *first {
            continue;
        }
        match (&f.value.kind, rest.is_empty()) {
            (ast::ExprKind::String(s), true) => return Some((s.clone(), f.value.span)),
            (ast::ExprKind::Struct(inner), false) => {
                if let Some(found) = top_string(inner, rest) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// An import path split as CUE reads it: `example.com/infra/sites@v0:edge` is the directory
/// path `example.com/infra/sites` and the package name `edge` (by default the last path
/// element).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportPath {
    pub dir: String,
    pub package: String,
}

impl ImportPath {
    pub fn parse(s: &str) -> ImportPath {
        let (path, qual) = match s.rsplit_once(':') {
            Some((p, q)) => (p, Some(q)),
            None => (s, None),
        };
        let dir = match path.rsplit_once('@') {
            Some((d, v)) if !v.contains('/') => d,
            _ => path,
        };
        let last = dir.rsplit('/').next().unwrap_or(dir);
        ImportPath {
            dir: dir.to_string(),
            package: qual.unwrap_or(last).to_string(),
        }
    }

    /// One spelling per package: `dir:package`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.dir, self.package)
    }
}

/// Whether an import path names a package of a module (its first element has a dot), as
/// opposed to a builtin package (`strings`, `encoding/json`) or orche's `orche/…`.
pub fn is_module_import(path: &str) -> bool {
    path.split('/')
        .next()
        .is_some_and(|first| first.contains('.'))
}

/// The key under which a module package is lowered and looked up; other paths unchanged.
pub fn canonical(path: &str) -> String {
    if is_module_import(path) {
        ImportPath::parse(path).key()
    } else {
        path.to_string()
    }
}

/// A path as shown in messages: relative to the current directory when it lies below it.
pub fn display(p: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
        if let Ok(rel) = p.strip_prefix(&cwd) {
            let s = rel.display().to_string();
            return if s.is_empty() {
                ".".into()
            } else {
                format!("./{s}")
            };
        }
    }
    p.display().to_string()
}

/// The files of the package `imp` names, parsed: the package's directory first, then its
/// ancestors' files of the same package up to the module root (in-module imports), or the
/// vendored copies under `cue.mod/gen`, `pkg`, `usr`. `at` is the import's span, for the error
/// (`None` for an import path given as a command-line argument).
pub fn resolve(
    module: Option<&Module>,
    raw: &str,
    at: Option<Span>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> Option<Vec<ast::File>> {
    let imp = ImportPath::parse(raw);
    let Some(m) = module else {
        diags.push(
            labelled(
                Diag::new(
                    "orche::load::import",
                    format!("import {raw:?} not found: not inside a module"),
                ),
                at,
            )
            .with_help(
                "a package of one's own is imported from inside a module: a directory with \
                 cue.mod/module.cue (or orche.mod/module.orc) declaring `module: \"…\"`; see \
                 docs/modules.md",
            ),
        );
        return None;
    };
    let (dirs, inside) = if imp.dir == m.path || imp.dir.starts_with(&format!("{}/", m.path)) {
        let rest = imp.dir[m.path.len()..].trim_start_matches('/');
        (vec![m.root.join(rest)], true)
    } else {
        let vendored = ["gen", "pkg", "usr"]
            .iter()
            .map(|sub| m.mod_dir.join(sub).join(&imp.dir))
            .collect::<Vec<_>>();
        (vendored, false)
    };
    let mut files = Vec::new();
    let mut other_packages = Vec::new();
    for dir in &dirs {
        let stop = if inside {
            m.root.as_path()
        } else {
            dir.as_path()
        };
        match package_files(dir, stop, Some(&imp.package), sources, diags) {
            Ok(found) => files.extend(found),
            Err(Missing::OtherPackages(names)) => other_packages.extend(names),
            Err(Missing::NoDir | Missing::NoFiles(_)) => {}
        }
    }
    if files.is_empty() {
        let tried = dirs.iter().map(|d| display(d)).collect::<Vec<_>>();
        let why = if other_packages.is_empty() {
            format!("no .cue/.orc files in {}", tried.join(", "))
        } else {
            format!(
                "no files with package name {:?} (found {})",
                imp.package,
                other_packages.join(", ")
            )
        };
        diags.push(
            labelled(
                Diag::new(
                    "orche::load::import",
                    format!("cannot find package {raw:?}: {why}"),
                ),
                at,
            )
            .with_help(format!(
                "searched from the module {} at {}; tried {}{}",
                m.path,
                display(&m.root),
                tried.join(", "),
                if inside {
                    ""
                } else {
                    " (vendored packages live under cue.mod/gen, cue.mod/pkg or cue.mod/usr; \
                     nothing is fetched)"
                }
            )),
        );
        return None;
    }
    Some(files)
}

fn labelled(d: Diag, at: Option<Span>) -> Diag {
    match at {
        Some(span) => d.with_label(span, "imported here"),
        None => d,
    }
}

/// Why a directory gave no files of the package.
pub enum Missing {
    NoDir,
    /// The directory has no package files: only files without a package clause or of
    /// `package _` (these, parsed), or none.
    NoFiles(Vec<ast::File>),
    /// Only files of other packages (their names, `name (file)`).
    OtherPackages(Vec<String>),
}

/// The parsed files of package `name` in `dir`, then in each ancestor of `dir` up to `stop`
/// (inclusive). Files without a package clause and `package _` files belong to no package.
/// `name` `None`: the one package of `dir` (several are an error, as in CUE).
pub fn package_files(
    dir: &Path,
    stop: &Path,
    name: Option<&str>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> Result<Vec<ast::File>, Missing> {
    if !dir.is_dir() {
        return Err(Missing::NoDir);
    }
    let own = parse_dir(dir, sources, diags);
    let names = package_names(&own, sources);
    let name = match name {
        Some(n) => n.to_string(),
        None => match names.as_slice() {
            [] => return Err(Missing::NoFiles(own)),
            [(n, _)] => n.clone(),
            [(a, fa), (b, fb), ..] => {
                diags.push(
                    Diag::new(
                        "orche::load::package",
                        format!(
                            "found packages {a:?} ({fa}) and {b:?} ({fb}) in {:?}",
                            display(dir)
                        ),
                    )
                    .with_help(format!(
                        "name one with a qualifier: {}:{a} or {}:{b}",
                        display(dir),
                        display(dir)
                    )),
                );
                return Err(Missing::NoFiles(Vec::new()));
            }
        },
    };
    let mut files: Vec<ast::File> = own.into_iter().filter(|f| is_package(f, &name)).collect();
    if files.is_empty() {
        return Err(if names.is_empty() {
            Missing::NoFiles(Vec::new())
        } else {
            Missing::OtherPackages(names.iter().map(|(n, f)| format!("{n:?} in {f}")).collect())
        });
    }
    // Ancestors' files of the same package, nearest first, up to the module root.
    if let (Ok(d), Ok(s)) = (std::fs::canonicalize(dir), std::fs::canonicalize(stop)) {
        if d.starts_with(&s) && d != s {
            let mut at = d.parent();
            while let Some(p) = at {
                files.extend(
                    parse_dir(p, sources, diags)
                        .into_iter()
                        .filter(|f| is_package(f, &name)),
                );
                if p == s {
                    break;
                }
                at = p.parent();
            }
        }
    }
    Ok(files)
}

fn is_package(f: &ast::File, name: &str) -> bool {
    f.package
        .as_ref()
        .is_some_and(|p| p.name == name && p.name != "_")
}

/// The package names declared in `files` (not `_`), each with its first file's name, in
/// order of first appearance.
fn package_names(files: &[ast::File], sources: &SourceMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for f in files {
        if let Some(p) = &f.package {
            if p.name != "_" && !out.iter().any(|(n, _)| *n == p.name) {
                let file = &sources.get(p.span.file).name;
                let base = file.rsplit('/').next().unwrap_or(file);
                out.push((p.name.clone(), base.to_string()));
            }
        }
    }
    out
}

/// The parsed .cue/.orc files of one directory, sorted by name; problems go to `diags`.
fn parse_dir(dir: &Path, sources: &mut SourceMap, diags: &mut Vec<Diag>) -> Vec<ast::File> {
    let list = match super::dir_files(dir) {
        Ok(l) => l,
        Err(e) => {
            diags.push(Diag::new(
                "orche::load::io",
                format!("{}: {e}", display(dir)),
            ));
            return Vec::new();
        }
    };
    list.iter()
        .filter_map(|f| super::load_file_named(f, display(f), sources, diags))
        .collect()
}
