//! Package arguments as `cue` takes them: files, directories (the package there; in a module
//! also its ancestors' files of that package), `dir/...` patterns (every package below, one
//! instance each), import paths resolved in the module of the current directory, and package
//! qualifiers (`.:name`, `./dir:name`, `./...:name`). Data files (`.json`, `.yaml`, …, `json:`
//! style qualifiers, `-`) are `Arg::Data`, passed through untouched to `load::load` with the
//! files. Invariant: instances come out in argument order (files first as one instance), the
//! packages of a pattern in sorted directory order; every problem is a `Diag`.

use super::module::{self, Module};
use crate::diag::Diag;
use crate::source::SourceMap;
use crate::syntax::ast;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One command-line argument, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A `.orc`/`.cue` file (or any path that is not a directory or a package argument).
    File(PathBuf),
    /// A data file or standard input: read by `load::load` with the files.
    Data(PathBuf),
    /// A directory and an optional package name (`./dir:name`).
    Dir(PathBuf, Option<String>),
    /// `dir/...`: every package in `dir` and below, optionally of one name.
    Pattern(PathBuf, Option<String>),
    /// An import path (`example.com/infra/sites:edge`), resolved in the current module.
    Import(String),
}

/// Extensions and qualifiers of data arguments (`json: file`, `yaml: file`…), which another
/// part of the loader reads.
const DATA_EXTENSIONS: [&str; 6] = ["json", "jsonl", "ndjson", "yaml", "yml", "toml"];
const DATA_QUALIFIERS: [&str; 7] = ["json", "jsonl", "ndjson", "yaml", "toml", "text", "binary"];

/// Classifies one argument.
pub fn classify(arg: &Path) -> Arg {
    let s = arg.to_string_lossy();
    if s == "-" {
        return Arg::Data(arg.to_path_buf());
    }
    if let Some((q, _)) = s.split_once(':') {
        if DATA_QUALIFIERS.contains(&q) {
            return Arg::Data(arg.to_path_buf());
        }
    }
    if arg
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| DATA_EXTENSIONS.contains(&x))
    {
        return Arg::Data(arg.to_path_buf());
    }
    if arg.exists() {
        return if arg.is_dir() {
            Arg::Dir(arg.to_path_buf(), None)
        } else {
            Arg::File(arg.to_path_buf())
        };
    }
    // `path:name` and `path/...`.
    let (path, qual) = match s.rsplit_once(':') {
        Some((p, q)) if !q.contains('/') && !q.is_empty() => (p.to_string(), Some(q.to_string())),
        _ => (s.to_string(), None),
    };
    if path == "..." || path.ends_with("/...") {
        let dir = path.strip_suffix("...").unwrap_or("");
        let dir = if dir.is_empty() { "." } else { dir };
        return Arg::Pattern(PathBuf::from(dir), qual);
    }
    if qual.is_some() && Path::new(&path).is_dir() {
        return Arg::Dir(PathBuf::from(path), qual);
    }
    let source_ext = arg
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| super::EXTENSIONS.contains(&x));
    if module::is_module_import(&s) && !source_ext && !s.starts_with('.') && !s.starts_with('/') {
        return Arg::Import(s.to_string());
    }
    Arg::File(arg.to_path_buf())
}

/// One package instance to evaluate: its files (in CUE's order: the directory's own, then its
/// ancestors') and the module its imports are resolved in.
pub struct Instance {
    pub files: Vec<ast::File>,
    /// Its data files (docs/data-files.md), kept apart for `-l` placement and `vet`.
    pub data: Vec<super::data::DataFile>,
    pub module: Option<Rc<Module>>,
    /// Built from files named on the command line (not a directory, pattern or import path):
    /// cue embeds no file into such an instance (`load/embed.rs`).
    pub from_files: bool,
}

impl Instance {
    /// A package's instance: its files, no data files.
    fn package(files: Vec<ast::File>, module: Option<Rc<Module>>) -> Instance {
        Instance {
            files,
            data: Vec::new(),
            module,
            from_files: false,
        }
    }
}

/// Reads the arguments into instances. Files and data arguments together form the first
/// instance (as `load::load` reads them); each directory or import path is one instance, each
/// pattern one per package found.
pub fn load_instances(paths: &[PathBuf], sources: &mut SourceMap) -> (Vec<Instance>, Vec<Diag>) {
    let mut diags = Vec::new();
    let mut out = Vec::new();
    let args: Vec<Arg> = paths.iter().map(|p| classify(p)).collect();
    let loose: Vec<PathBuf> = args
        .iter()
        .filter_map(|a| match a {
            Arg::File(p) | Arg::Data(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    if !loose.is_empty() || args.is_empty() {
        let (files, data, ds) = super::load_with_data(&loose, sources);
        diags.extend(ds);
        let first = loose
            .iter()
            .find(|p| matches!(classify(p), Arg::File(_)))
            .cloned();
        let dir = first
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .map(|d| {
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d
                }
            })
            .unwrap_or_else(|| PathBuf::from("."));
        let module = find_module(&dir, sources, &mut diags);
        out.push(Instance {
            files,
            data,
            module,
            from_files: true,
        });
    }
    let data_only = !loose.is_empty() && !loose.iter().any(|p| matches!(classify(p), Arg::File(_)));
    for a in args {
        match a {
            Arg::File(_) | Arg::Data(_) => {}
            Arg::Dir(dir, qual) => {
                let module = find_module(&dir, sources, &mut diags);
                if let Some(files) = dir_instance(
                    &dir,
                    qual.as_deref(),
                    module.as_deref(),
                    sources,
                    &mut diags,
                ) {
                    out.push(Instance::package(files, module));
                }
            }
            Arg::Pattern(dir, qual) => {
                let module = find_module(&dir, sources, &mut diags);
                let before = out.len();
                let mut dirs = Vec::new();
                walk(&dir, &mut dirs);
                for d in dirs {
                    let names = names_in(&d, sources, &mut diags);
                    let wanted: Vec<&String> = match &qual {
                        Some(q) => names.iter().filter(|n| *n == q).collect(),
                        None => names.iter().collect(),
                    };
                    if wanted.is_empty() {
                        continue;
                    }
                    if let Some(files) = dir_instance(
                        &d,
                        wanted
                            .first()
                            .map(|s| s.as_str())
                            .filter(|_| qual.is_some()),
                        module.as_deref(),
                        sources,
                        &mut diags,
                    ) {
                        out.push(Instance::package(files, module.clone()));
                    }
                }
                if out.len() == before && diags.is_empty() {
                    diags.push(Diag::new(
                        "orche::load::no_packages",
                        format!(
                            "{}: matched no packages",
                            paths_shown(&dir, qual.as_deref())
                        ),
                    ));
                }
            }
            Arg::Import(path) => {
                let cwd = PathBuf::from(".");
                let module = find_module(&cwd, sources, &mut diags);
                if module.is_none() && diags.is_empty() {
                    diags.push(
                        Diag::new(
                            "orche::load::import",
                            format!("cannot find package {path:?}: not inside a module"),
                        )
                        .with_help(
                            "an import path as an argument is resolved in the module of the \
                             current directory (cue.mod/module.cue or orche.mod/module.orc)",
                        ),
                    );
                    continue;
                }
                if let Some(files) =
                    module::resolve(module.as_deref(), &path, None, sources, &mut diags)
                {
                    out.push(Instance::package(files, module));
                }
            }
        }
    }
    // Data files beside one package (`orche vet ./schemas site.yaml`) belong to it, as in cue.
    if data_only && out.len() == 2 {
        let first = out.remove(0);
        out[0].data = first.data;
    }
    (out, diags)
}

fn paths_shown(dir: &Path, qual: Option<&str>) -> String {
    let d = dir.display().to_string();
    let base = if d == "." {
        "./...".to_string()
    } else {
        format!("{}/...", d.trim_end_matches('/'))
    };
    match qual {
        Some(q) => format!("{base}:{q}"),
        None => base,
    }
}

fn find_module(dir: &Path, sources: &mut SourceMap, diags: &mut Vec<Diag>) -> Option<Rc<Module>> {
    match module::find(dir, sources) {
        Ok(m) => m.map(Rc::new),
        Err(ds) => {
            diags.extend(ds);
            None
        }
    }
}

/// The files of the package in `dir` (named `qual`, or its only package). In a module the
/// ancestors' files of the package up to the module root come too; outside a module a
/// directory whose files have no package clause is one package of them all (orche's own use).
fn dir_instance(
    dir: &Path,
    qual: Option<&str>,
    module: Option<&Module>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> Option<Vec<ast::File>> {
    let stop = module.map_or(dir.to_path_buf(), |m| m.root.clone());
    let before = diags.len();
    match module::package_files(dir, &stop, qual, sources, diags) {
        Ok(files) => Some(files),
        Err(_) if diags.len() > before => None,
        Err(module::Missing::NoDir) => {
            diags.push(Diag::new(
                "orche::load::io",
                format!("cannot read {}: no such directory", dir.display()),
            ));
            None
        }
        Err(module::Missing::OtherPackages(found)) => {
            diags.push(Diag::new(
                "orche::load::package",
                format!(
                    "no files of package {:?} in {}: found {}",
                    qual.unwrap_or(""),
                    dir.display(),
                    found.join(", ")
                ),
            ));
            None
        }
        Err(module::Missing::NoFiles(files))
            if module.is_none() && qual.is_none() && !files.is_empty() =>
        {
            // Outside a module: the directory's package-less files are its package (as
            // orche always read a directory).
            Some(files)
        }
        Err(module::Missing::NoFiles(_)) if module.is_none() && qual.is_none() => {
            // No source files at all: `load` words the error.
            let (files, ds) = super::load(&[dir.to_path_buf()], sources);
            diags.extend(ds);
            (diags.len() == before).then_some(files)
        }
        Err(module::Missing::NoFiles(_)) => {
            diags.push(
                Diag::new(
                    "orche::load::empty_dir",
                    format!(
                        "{}: no files of a package{} in directory",
                        dir.display(),
                        qual.map(|q| format!(" named {q:?}")).unwrap_or_default()
                    ),
                )
                .with_help(
                    "inside a module, a directory's package is the files with a `package` clause \
                     (not `package _`)",
                ),
            );
            None
        }
    }
}

/// The package names declared in `dir` (not `_`), sorted.
fn names_in(dir: &Path, sources: &mut SourceMap, diags: &mut Vec<Diag>) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(list) = super::dir_files(dir) else {
        return names;
    };
    for f in list {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if let Some(n) = package_clause(&text) {
            if n != "_" && !names.contains(&n) {
                names.push(n);
            }
        } else if text.contains("package") {
            // The clause is not on a line of its own: parse to be sure.
            if let Some(file) = super::load_file_named(&f, module::display(&f), sources, diags) {
                if let Some(p) = file.package {
                    if p.name != "_" && !names.contains(&p.name) {
                        names.push(p.name);
                    }
                }
            }
        }
    }
    names.sort();
    names
}

/// A `package name` line before any other declaration, read without parsing the file.
fn package_clause(text: &str) -> Option<String> {
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with("//") || l.starts_with('@') {
            continue;
        }
        let rest = l.strip_prefix("package")?;
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let name = rest.trim().split("//").next()?.trim();
        return (!name.is_empty()).then(|| name.to_string());
    }
    None
}

/// `dir` and every directory below it, sorted, parents first; `cue.mod`, `orche.mod` and names
/// starting with `.` or `_` are skipped, as CUE skips them.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !(n.starts_with('.') || n.starts_with('_') || n == "cue.mod" || n == "orche.mod")
        })
        .collect();
    subs.sort();
    for s in subs {
        walk(&s, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_arguments() {
        assert_eq!(classify(Path::new("-")), Arg::Data("-".into()));
        assert_eq!(classify(Path::new("a.yaml")), Arg::Data("a.yaml".into()));
        assert_eq!(classify(Path::new("json:x")), Arg::Data("json:x".into()));
        assert_eq!(classify(Path::new("./...")), Arg::Pattern(".".into(), None));
        assert_eq!(
            classify(Path::new("./nothere/...:edge")),
            Arg::Pattern("./nothere/".into(), Some("edge".into()))
        );
        assert_eq!(
            classify(Path::new("example.com/infra/sites:edge")),
            Arg::Import("example.com/infra/sites:edge".into())
        );
        assert_eq!(
            classify(Path::new("missing.cue")),
            Arg::File("missing.cue".into())
        );
        assert_eq!(
            classify(Path::new(".:name")),
            Arg::Dir(".".into(), Some("name".into()))
        );
    }

    #[test]
    fn reads_package_clauses() {
        assert_eq!(package_clause("// c\npackage foo\n"), Some("foo".into()));
        assert_eq!(package_clause("a: 1\npackage foo"), None);
        assert_eq!(package_clause("packages: 1"), None);
    }
}
