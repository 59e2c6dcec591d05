//! Loading: command-line paths → parsed files of one package. A directory means the files of
//! its package; several files unify into one value. Also the table of embedded `orche/…`
//! standard-library packages. Invariant: every unreadable, non-UTF-8 or unparsable input
//! becomes a `Diag` naming the file; nothing panics.

use crate::diag::Diag;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::{self, ast};
use std::path::{Path, PathBuf};

pub mod args;
pub mod cache;
pub mod data;
pub mod embed;
pub mod module;
pub mod tags;

/// The embedded standard library: import path → files (name, text).
pub static STDLIB: &[(&str, &[(&str, &str)])] = &[
    (
        "orche/federation",
        &[(
            "stdlib/orche/federation/federation.orc",
            include_str!("../stdlib/orche/federation/federation.orc"),
        )],
    ),
    (
        "orche/actions",
        &[(
            "stdlib/orche/actions/actions.orc",
            include_str!("../stdlib/orche/actions/actions.orc"),
        )],
    ),
    (
        "orche/units",
        &[(
            "stdlib/orche/units/units.orc",
            include_str!("../stdlib/orche/units/units.orc"),
        )],
    ),
];

/// Whether an import path names a known package (builtin or embedded stdlib).
pub fn package_known(path: &str) -> bool {
    crate::eval::builtins::package_exists(path) || STDLIB.iter().any(|(p, _)| *p == path)
}

/// Extensions orche reads from a directory.
pub(crate) const EXTENSIONS: [&str; 2] = ["orc", "cue"];

/// Reads and parses the inputs. Returns the parsed files (in argument order, directory entries
/// sorted by name; data files' documents last, each unified at the root) and every problem
/// found.
pub fn load(paths: &[PathBuf], sources: &mut SourceMap) -> (Vec<ast::File>, Vec<Diag>) {
    let (mut files, data, diags) = load_with_data(paths, sources);
    files.extend(
        data.into_iter()
            .flat_map(|d| d.docs.into_iter().map(data::doc_file)),
    );
    (files, diags)
}

/// [`load`], with the data files (`.json`, `.yaml`, …, or named by a qualifier such as
/// `yaml:`) kept apart as documents (docs/data-files.md), for placing them (`-l`) or checking
/// them one by one (`vet`).
pub fn load_with_data(
    paths: &[PathBuf],
    sources: &mut SourceMap,
) -> (Vec<ast::File>, Vec<data::DataFile>, Vec<Diag>) {
    let mut diags = Vec::new();
    let inputs = data::split_inputs(paths, sources, &mut diags);
    let mut files = inputs.stdin_source;
    if !inputs.sources.is_empty() || inputs.other == 0 {
        let (more, ds) = load_sources(&inputs.sources, sources);
        files.extend(more);
        diags.extend(ds);
    }
    (files, inputs.data, diags)
}

/// The source files and directories among the inputs.
fn load_sources(paths: &[PathBuf], sources: &mut SourceMap) -> (Vec<ast::File>, Vec<Diag>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    if paths.is_empty() {
        diags.push(
            Diag::new("orche::load::no_input", "no input files")
                .with_help("pass one or more .orc/.cue files or a directory"),
        );
        return (files, diags);
    }
    for p in paths {
        if p.is_dir() {
            match dir_files(p) {
                Ok(list) if list.is_empty() => diags.push(
                    Diag::new(
                        "orche::load::empty_dir",
                        format!("{}: no .orc or .cue files in directory", p.display()),
                    )
                    .with_help(
                        "a directory argument means the package of the .orc/.cue files in it",
                    ),
                ),
                Ok(list) => {
                    let mut parsed = Vec::new();
                    for f in list {
                        if let Some(file) = load_file(&f, sources, &mut diags) {
                            parsed.push(file);
                        }
                    }
                    // The directory's package: the package clause of its files; files of other
                    // packages in the same directory are left out.
                    let pkg = parsed
                        .iter()
                        .find_map(|f| f.package.as_ref().map(|p| p.name.clone()));
                    for f in parsed {
                        if f.package.as_ref().map(|p| &p.name) == pkg.as_ref() || pkg.is_none() {
                            files.push(f);
                        }
                    }
                }
                Err(e) => diags.push(Diag::new(
                    "orche::load::io",
                    format!("{}: {e}", p.display()),
                )),
            }
        } else if let Some(f) = load_file(p, sources, &mut diags) {
            files.push(f);
        }
    }
    check_packages(&files, &mut diags);
    (files, diags)
}

/// The source files of a directory, sorted. As cue builds a package for `export`, `eval` and
/// `vet`, files whose names start with `.` or `_` and `*_tool.cue` files (`cue cmd`'s
/// commands, which orche does not run) are not part of it.
pub(crate) fn dir_files(p: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p)? {
        let path = e?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let skipped = name.starts_with('.') || name.starts_with('_') || name.ends_with("_tool.cue");
        if path.is_file()
            && !skipped
            && path
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| EXTENSIONS.contains(&x))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Why an input was not read.
enum Refused {
    Io(std::io::Error),
    Limit(Diag),
}

/// The bytes of an input file. Only regular files are read (a FIFO or a device would block or
/// never end), and at most `limit::MAX_INPUT` bytes of them, also when the file grows while it
/// is read.
fn read_input(p: &Path) -> Result<Vec<u8>, Refused> {
    use std::io::Read;
    let name = p.display();
    let meta = std::fs::metadata(p).map_err(Refused::Io)?;
    if !meta.is_file() {
        let what = file_kind(&meta);
        return Err(Refused::Limit(
            Diag::new(
                "orche::load::not_a_file",
                format!("{name}: is {what}, not a regular file"),
            )
            .with_help("orche reads .orc/.cue files and directories of them"),
        ));
    }
    let too_big = |len: u64| {
        Refused::Limit(
            Diag::new(
                "orche::limit::input_size",
                format!(
                    "{name}: the file is {}, over the limit of {} for one input",
                    crate::limit::human(len),
                    crate::limit::human(crate::limit::MAX_INPUT)
                ),
            )
            .with_help("split the configuration into several files of one package"),
        )
    };
    if meta.len() > crate::limit::MAX_INPUT {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(p)
        .and_then(|f| f.take(crate::limit::MAX_INPUT + 1).read_to_end(&mut bytes))
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > crate::limit::MAX_INPUT {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// What a path that is not a regular file or a directory is, for messages.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

fn load_file(p: &Path, sources: &mut SourceMap, diags: &mut Vec<Diag>) -> Option<ast::File> {
    load_file_named(p, p.display().to_string(), sources, diags)
}

/// `load_file`, the file shown as `name` in messages.
pub(crate) fn load_file_named(
    p: &Path,
    name: String,
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> Option<ast::File> {
    let text = read_text_named(p, &name, diags)?;
    parse_text(name, text, sources, diags)
}

/// The text of an input file, or `None` with the problem in `diags`.
fn read_text(p: &Path, diags: &mut Vec<Diag>) -> Option<String> {
    read_text_named(p, &p.display().to_string(), diags)
}

/// [`read_text`], the file shown as `name` in messages.
fn read_text_named(p: &Path, name: &str, diags: &mut Vec<Diag>) -> Option<String> {
    let bytes = match read_input(p) {
        Ok(b) => b,
        Err(Refused::Limit(d)) => {
            diags.push(d);
            return None;
        }
        Err(Refused::Io(e)) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
                _ => e.to_string(),
            };
            diags.push(Diag::new(
                "orche::load::io",
                format!("cannot read {name}: {why}"),
            ));
            return None;
        }
    };
    utf8_text(name, bytes, diags)
}

/// Bytes as text, or `None` with an error naming the first invalid byte's line and column.
fn utf8_text(name: &str, bytes: Vec<u8>, diags: &mut Vec<Diag>) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let line = valid.matches('\n').count() + 1;
            let col = valid
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count())
                .unwrap_or(0)
                + 1;
            diags.push(
                Diag::new(
                    "orche::load::utf8",
                    format!("{name}:{line}:{col}: invalid UTF-8 (byte offset {at})"),
                )
                .with_help("orche source and data files must be UTF-8 encoded"),
            );
            None
        }
    }
}

pub fn parse_text(
    name: String,
    text: String,
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> Option<ast::File> {
    let id = sources.add(name, text);
    parse_added(id, sources, diags)
}

/// Parses a file already in `sources`.
fn parse_added(id: FileId, sources: &SourceMap, diags: &mut Vec<Diag>) -> Option<ast::File> {
    let text = sources.get(id).text.clone();
    match syntax::parse_file(id, &text) {
        Ok(f) => Some(f),
        Err(es) => {
            diags.extend(es);
            None
        }
    }
}

pub(crate) fn check_packages(files: &[ast::File], diags: &mut Vec<Diag>) {
    let mut first: Option<&ast::Ident> = None;
    for f in files {
        if let Some(p) = &f.package {
            match first {
                None => first = Some(p),
                Some(q) if q.name != p.name && p.name != "_" && q.name != "_" => {
                    diags.push(
                        Diag::new(
                            "orche::load::package",
                            format!("found packages {:?} and {:?}", q.name, p.name),
                        )
                        .with_label(p.span, "different package")
                        .with_label(q.span, "first package"),
                    );
                }
                _ => {}
            }
        }
    }
}

/// Parses the files of an embedded stdlib package.
pub fn stdlib_package(
    path: &str,
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> Option<Vec<ast::File>> {
    let (_, files) = STDLIB.iter().find(|(p, _)| *p == path)?;
    Some(
        files
            .iter()
            .filter_map(|(name, text)| {
                let id = sources.add_stdlib(*name, *text);
                parse_added(id, sources, diags)
            })
            .collect(),
    )
}

/// An empty span in no file, for diagnostics about the invocation itself.
pub fn no_span() -> Span {
    Span::default()
}
