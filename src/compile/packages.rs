//! The imported packages of one evaluation: every `orche/…` stdlib package and every module
//! package (`load::module`) imported, directly or not, by the input files, each lowered once
//! into the program however many packages import it, and looked up by the evaluator through
//! `PackageLoader` (by canonical import path: `example.com/x` and `example.com/x:x` are one
//! package). Invariant: the import graph is acyclic when no diagnostic was pushed; a cycle is
//! one `orche::load::import_cycle` error naming the packages around it.

use crate::diag::Diag;
use crate::eval::PackageLoader;
use crate::load::module::{self, Module};
use crate::lower::{self, ExprId, Program};
use crate::source::{SourceMap, Span};
use crate::syntax::ast;
use indexmap::IndexMap;

/// Lowered packages by canonical import path.
pub struct Packages {
    roots: IndexMap<String, ExprId>,
}

impl PackageLoader for Packages {
    fn root_expr(&self, path: &str) -> Option<ExprId> {
        match self.roots.get(path) {
            Some(r) => Some(*r),
            None if module::is_module_import(path) => {
                self.roots.get(&module::canonical(path)).copied()
            }
            None => None,
        }
    }
}

struct Walk<'a> {
    prog: &'a mut Program,
    module: Option<&'a Module>,
    sources: &'a mut SourceMap,
    diags: &'a mut Vec<Diag>,
    roots: IndexMap<String, ExprId>,
    /// The module packages being loaded, outermost first, with the import that led to each.
    stack: Vec<(String, String, Span)>,
    /// Packages that failed to load (reported once).
    failed: Vec<String>,
}

/// Lowers every package `files` import, directly or through other packages.
pub fn lower_imports(
    prog: &mut Program,
    files: &[&ast::File],
    module: Option<&Module>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diag>,
) -> Packages {
    let mut w = Walk {
        prog,
        module,
        sources,
        diags,
        roots: IndexMap::new(),
        stack: Vec::new(),
        failed: Vec::new(),
    };
    w.imports_of(files.iter().copied());
    Packages { roots: w.roots }
}

impl Walk<'_> {
    fn imports_of<'f>(&mut self, files: impl IntoIterator<Item = &'f ast::File>) {
        let imports: Vec<(String, Span)> = files
            .into_iter()
            .flat_map(|f| f.imports.iter().map(|i| (i.path.clone(), i.span)))
            .collect();
        for (path, span) in imports {
            if path.starts_with("orche/") {
                self.stdlib(&path);
            } else if module::is_module_import(&path) {
                self.module_package(&path, span);
            }
        }
    }

    fn stdlib(&mut self, path: &str) {
        if self.roots.contains_key(path) {
            return;
        }
        let Some(pfiles) = crate::load::stdlib_package(path, self.sources, self.diags) else {
            return;
        };
        // Reserve the key first: stdlib packages may import each other.
        self.roots.insert(path.to_string(), ExprId::MAX);
        self.imports_of(&pfiles);
        let refs: Vec<&ast::File> = pfiles.iter().collect();
        let (root, lowered) = lower::lower_package(self.prog, &refs, Span::default());
        self.diags.extend(lowered.diags);
        self.roots.insert(path.to_string(), root);
    }

    fn module_package(&mut self, raw: &str, at: Span) {
        let key = module::canonical(raw);
        if self.roots.contains_key(&key) || self.failed.contains(&key) {
            return;
        }
        if let Some(i) = self.stack.iter().position(|(k, _, _)| *k == key) {
            self.cycle(i, raw, at);
            return;
        }
        let Some(pfiles) = module::resolve(self.module, raw, Some(at), self.sources, self.diags)
        else {
            self.failed.push(key);
            return;
        };
        self.stack.push((key.clone(), raw.to_string(), at));
        self.imports_of(&pfiles);
        self.stack.pop();
        let refs: Vec<&ast::File> = pfiles.iter().collect();
        let span = pfiles.first().map(|f| f.span).unwrap_or_default();
        let (root, lowered) = lower::lower_package_in(self.prog, &refs, span, Some(&key));
        self.diags.extend(lowered.diags);
        self.roots.insert(key, root);
    }

    /// The import at `at` of `raw` closes a cycle starting at `self.stack[from]`.
    fn cycle(&mut self, from: usize, raw: &str, at: Span) {
        let mut names: Vec<&str> = self.stack[from..]
            .iter()
            .map(|(_, r, _)| r.as_str())
            .collect();
        names.push(raw);
        let mut d = Diag::new(
            "orche::load::import_cycle",
            format!("package import cycle not allowed: {}", names.join(" → ")),
        );
        for (_, r, span) in &self.stack[from..] {
            d = d.with_label(*span, format!("imports {r}"));
        }
        d = d
            .with_label(at, format!("imports {raw}, closing the cycle"))
            .with_help("move what the packages share into a package that imports neither");
        self.diags.push(d);
        // Every package of the cycle is reported once.
        for (k, _, _) in &self.stack[from..] {
            self.failed.push(k.clone());
        }
    }
}
