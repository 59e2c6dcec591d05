//! The library's front door: load → lower → evaluate → emit, for one invocation. The CLI and
//! (later) the language server call this; it returns text or diagnostics and never prints.
//! Invariant: the same request gives byte-identical output.

use crate::diag::Diag;
use crate::eval::{self, ExportMode, PackageLoader};
use crate::export;
use crate::lower::{self, ExprId, Program};
use crate::source::{SourceMap, Span};
use crate::syntax;
use indexmap::IndexMap;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Orc,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub paths: Vec<PathBuf>,
    pub expr: Option<String>,
    /// Concrete (export, vet) or incomplete allowed (eval).
    pub mode: ExportMode,
    pub format: Format,
}

pub struct Outcome {
    pub sources: SourceMap,
    /// The rendered output when there were no errors.
    pub output: Option<String>,
    pub diags: Vec<Diag>,
}

struct StdLoader {
    roots: IndexMap<String, ExprId>,
}

impl PackageLoader for StdLoader {
    fn root_expr(&self, path: &str) -> Option<ExprId> {
        self.roots.get(path).copied()
    }
}

/// Lowers every `orche/…` package imported (transitively) by `files`.
fn lower_stdlib(
    prog: &mut Program,
    files: &[syntax::ast::File],
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> StdLoader {
    let mut roots = IndexMap::new();
    let mut queue: Vec<String> = files
        .iter()
        .flat_map(|f| f.imports.iter().map(|i| i.path.clone()))
        .filter(|p| p.starts_with("orche/"))
        .collect();
    while let Some(path) = queue.pop() {
        if roots.contains_key(&path) {
            continue;
        }
        let Some(pfiles) = crate::load::stdlib_package(&path, sources, diags) else {
            continue;
        };
        queue.extend(
            pfiles
                .iter()
                .flat_map(|f| f.imports.iter().map(|i| i.path.clone()))
                .filter(|p| p.starts_with("orche/")),
        );
        let refs: Vec<&syntax::ast::File> = pfiles.iter().collect();
        let (root, ds) = lower::lower_package(prog, &refs, Span::default());
        diags.extend(ds);
        roots.insert(path, root);
    }
    StdLoader { roots }
}

pub fn run(req: &Request) -> Outcome {
    let mut sources = SourceMap::new();
    let (files, mut diags) = crate::load::load(&req.paths, &mut sources);
    if !diags.is_empty() {
        return Outcome {
            sources,
            output: None,
            diags,
        };
    }
    let mut prog = Program::default();
    let loader = lower_stdlib(&mut prog, &files, &mut sources, &mut diags);
    let refs: Vec<&syntax::ast::File> = files.iter().collect();
    let root_span = files.first().map(|f| f.span).unwrap_or_default();
    let (root, ds) = lower::lower_package(&mut prog, &refs, root_span);
    diags.extend(ds);
    let expr = match &req.expr {
        Some(text) => {
            let id = sources.add("<expression>", text.as_str());
            match syntax::parse_expr(id, text) {
                Ok(e) => {
                    let (x, ds) = lower::lower_expr_in_root(&mut prog, &e, &refs);
                    diags.extend(ds);
                    Some(x)
                }
                Err(es) => {
                    diags.extend(es);
                    None
                }
            }
        }
        None => None,
    };
    if !diags.is_empty() {
        return Outcome {
            sources,
            output: None,
            diags,
        };
    }
    let mut ev = eval::evaluate(&prog, root, Some(&loader));
    let at = match expr {
        Some(x) => eval::evaluate_in_root(&mut ev, x),
        None => ev.root,
    };
    let mut diags = eval::diagnostics(&ev, req.mode, at);
    if req.mode == ExportMode::Eval && req.expr.is_none() {
        // Errors anywhere in the package count, not only below the selected value.
        diags = eval::diagnostics(&ev, ExportMode::Eval, ev.root);
    }
    if !diags.is_empty() {
        return Outcome {
            sources,
            output: None,
            diags,
        };
    }
    let output = match (req.mode, req.format) {
        (ExportMode::Eval, Format::Orc) => export::orc::print(&ev.ctx, at),
        _ => {
            let mut errs = Vec::new();
            let mode = if req.format == Format::Orc {
                ExportMode::Eval
            } else {
                ExportMode::Concrete
            };
            match eval::export_value(&ev.ctx, at, mode, &mut errs) {
                Some(v) if errs.is_empty() => match req.format {
                    Format::Yaml => export::yaml::to_string(&v),
                    _ => export::json::to_string(&v),
                },
                _ => {
                    let diags = eval::report_to_diags(&ev.ctx, errs);
                    return Outcome {
                        sources,
                        output: None,
                        diags,
                    };
                }
            }
        }
    };
    Outcome {
        sources,
        output: Some(output),
        diags: Vec::new(),
    }
}
