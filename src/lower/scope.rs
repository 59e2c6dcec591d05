//! Lexical scopes for lowering: a stack of frames mirroring the evaluator's environment frames.
//! Invariant: `lookup` returns the number of frames between the use and the declaration, which
//! is exactly the `up` count the evaluator walks.

use super::Label;
use crate::source::Span;
use crate::syntax::ast;
use indexmap::IndexMap;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub enum Binding {
    Field(Label),
    /// The struct of the scope itself (a value alias on a pattern's struct value).
    Frame,
    Var(u32),
    Import(Rc<str>),
}

/// A scope's names, borrowed from the AST (which outlives lowering), so that declaring one
/// allocates nothing. Most struct literals declare a handful of names, found faster by a scan
/// than by hashing, and a hash table per literal cost more to build and drop than the scans
/// it saved; past `SCAN_MAX` names, an index hashed with foldhash (like the program's symbols)
/// is kept beside the entries.
#[derive(Debug)]
struct Names<'a, V> {
    entries: Vec<(&'a str, V)>,
    index: Option<hashbrown::HashMap<&'a str, usize, foldhash::fast::FixedState>>,
}

/// The most names a scope scans for a name before it keeps a hash index.
const SCAN_MAX: usize = 8;

impl<V> Default for Names<'_, V> {
    fn default() -> Self {
        Names {
            entries: Vec::new(),
            index: None,
        }
    }
}

impl<'a, V> Names<'a, V> {
    fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.entries.iter().position(|(n, _)| *n == name),
        }
    }

    fn get(&self, name: &str) -> Option<&V> {
        self.position(name).map(|i| &self.entries[i].1)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.position(name).map(|i| &mut self.entries[i].1)
    }

    fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Binds `name` to `v`, replacing its value if it has one.
    fn insert(&mut self, name: &'a str, v: V) {
        match self.get_mut(name) {
            Some(old) => *old = v,
            None => self.push(name, v),
        }
    }

    /// Binds `name`, which has no value yet, to `v`.
    fn push(&mut self, name: &'a str, v: V) {
        self.entries.push((name, v));
        let at = self.entries.len() - 1;
        match &mut self.index {
            Some(index) => {
                index.insert(name, at);
            }
            None if self.entries.len() > SCAN_MAX => {
                let index = self.entries.iter().enumerate().map(|(i, (n, _))| (*n, i));
                self.index = Some(index.collect());
            }
            None => {}
        }
    }
}

/// What a scope binds a name to, and where the name is first declared as a field or `let` of
/// the struct (for the shadowing warning; `None` for an alias): one entry, so that declaring
/// a name looks it up once.
#[derive(Debug)]
pub struct Bound {
    pub binding: Binding,
    pub decl: Option<Span>,
}

#[derive(Default, Debug)]
pub struct Scope<'a> {
    names: Names<'a, Bound>,
    /// Ids of the `let` declarations of this struct, in source order.
    pub lets: Vec<u32>,
    /// A scope of names only, with no frame at run time: a value alias (`a: X=v`), whose
    /// binding is a field of the struct scope below it.
    pub frameless: bool,
    /// The comprehension `let` this scope binds, as an index into `Scopes::tracked`.
    tracked: Option<usize>,
}

impl<'a> Scope<'a> {
    /// Binds `name` to `b` (replacing an earlier binding; where it is declared is kept).
    pub fn bind(&mut self, name: &'a str, b: Binding) {
        match self.names.get_mut(name) {
            Some(e) => e.binding = b,
            None => {
                self.names.push(
                    name,
                    Bound {
                        binding: b,
                        decl: None,
                    },
                );
            }
        }
    }

    /// A field or `let` named `name` declared at `span`: binds it to `b` unless bound already
    /// (`replace`: always), and records `span` unless a declaration was recorded.
    pub fn declare(&mut self, name: &'a str, b: Binding, span: Span, replace: bool) {
        match self.names.get_mut(name) {
            Some(e) => {
                if replace {
                    e.binding = b;
                }
                e.decl.get_or_insert(span);
            }
            None => {
                self.names.push(
                    name,
                    Bound {
                        binding: b,
                        decl: Some(span),
                    },
                );
            }
        }
    }
}

/// A `let` or an import, and whether a reference used it (for the unused warnings).
#[derive(Debug)]
pub struct Tracked {
    pub kind: TrackedKind,
    pub name: String,
    pub span: Span,
    pub used: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackedKind {
    Let,
    Import,
}

#[derive(Default)]
pub struct Scopes<'a> {
    stack: Vec<Scope<'a>>,
    /// The current file's imports: name → (path, index into `tracked`).
    imports: IndexMap<String, (Rc<str>, usize)>,
    /// Every `let` and import seen, in source order.
    pub tracked: Vec<Tracked>,
    /// Struct `let` ids → index into `tracked`.
    let_ids: IndexMap<u32, usize>,
    /// The struct `let`s whose values are being lowered, innermost last.
    pub let_stack: Vec<u32>,
    /// `(a, b)`: a reference to the struct `let` `b` in the value of the `let` `a`.
    pub let_edges: Vec<(u32, u32)>,
}

impl<'a> Scopes<'a> {
    pub fn new_struct_scope(&self) -> Scope<'a> {
        Scope::default()
    }

    pub fn push(&mut self, s: Scope<'a>) {
        self.stack.push(s);
    }

    /// A binding frame: each name gets the slot of its position; empty names are skipped.
    pub fn push_vars(&mut self, names: &[&'a str]) {
        let mut s = Scope::default();
        for (i, &n) in names.iter().enumerate() {
            if !n.is_empty() && n != "_" {
                s.names.insert(
                    n,
                    Bound {
                        binding: Binding::Var(i as u32),
                        decl: None,
                    },
                );
            }
        }
        self.stack.push(s);
    }

    /// A comprehension's `let` clause: like `push_vars` with one name, tracked for use.
    pub fn push_let_var(&mut self, name: &'a ast::Ident) {
        self.push_vars(&[&name.name]);
        let at = self.track(TrackedKind::Let, &name.name, name.span);
        if let Some(s) = self.stack.last_mut() {
            s.tracked = Some(at);
        }
    }

    /// Records the struct `let` with this id, declared at `name`.
    pub fn track_let(&mut self, id: u32, name: &ast::Ident) {
        let at = self.track(TrackedKind::Let, &name.name, name.span);
        self.let_ids.insert(id, at);
    }

    fn track(&mut self, kind: TrackedKind, name: &str, span: Span) -> usize {
        self.tracked.push(Tracked {
            kind,
            name: name.to_string(),
            span,
            used: false,
        });
        self.tracked.len() - 1
    }

    /// The number of scopes on the stack, framed or not.
    pub fn len(&self) -> usize {
        self.stack.len()
    }

    /// The index on the stack of the scope that binds `name`, if a scope does.
    pub fn binder(&self, name: &str) -> Option<usize> {
        self.stack.iter().rposition(|s| s.names.contains_key(name))
    }

    /// Where `name` is declared as a field or `let` in a scope below the stack index `below`.
    pub fn outer_declaration(&self, name: &str, below: usize) -> Option<Span> {
        self.stack[..below]
            .iter()
            .rev()
            .find_map(|s| s.names.get(name).and_then(|e| e.decl))
    }

    /// The binding of `name` without marking anything used.
    pub fn peek(&self, name: &str) -> Option<(usize, Binding)> {
        if let Some(at) = self.binder(name) {
            return self.stack[at]
                .names
                .get(name)
                .map(|e| (at, e.binding.clone()));
        }
        self.imports
            .get(name)
            .map(|(p, _)| (0, Binding::Import(p.clone())))
    }

    /// A value alias: `name` refers to field `label` of the innermost struct scope, within the
    /// field's value only. Pushes no frame.
    pub fn push_value_alias(&mut self, name: &'a str, label: Label) {
        let mut s = Scope {
            frameless: true,
            ..Scope::default()
        };
        s.bind(name, Binding::Field(label));
        self.stack.push(s);
    }

    /// The number of frames on the stack.
    pub fn depth(&self) -> usize {
        self.stack.iter().filter(|s| !s.frameless).count()
    }

    pub fn pop(&mut self) {
        self.stack.pop();
    }

    /// The id of the `i`-th let of the innermost struct scope.
    pub fn current_let(&self, i: usize) -> u32 {
        self.stack
            .last()
            .and_then(|s| s.lets.get(i).copied())
            .unwrap_or(u32::MAX)
    }

    pub fn set_imports(&mut self, imports: &[ast::Import]) {
        self.imports.clear();
        for imp in imports {
            let name = match &imp.alias {
                Some(a) => a.name.clone(),
                // `a/b@v0:name` is `name`; `a/b@v0` is `b` (CUE's default qualifier).
                None => crate::load::module::ImportPath::parse(&imp.path).package,
            };
            let at = self.track(TrackedKind::Import, &imp.path, imp.span);
            self.imports.insert(name, (imp.path.as_str().into(), at));
        }
    }

    /// The binding of `name`, the number of frames up to it, and where the declaration it
    /// resolves to is written (a field's label, a `let`'s name or the import; `None` for
    /// comprehension variables); marks a `let` or an import found as used. One walk of the
    /// stack answers all three.
    pub fn lookup(&mut self, name: &str) -> Option<(u32, Binding, Option<Span>)> {
        let mut up = 0u32;
        let mut found = None;
        for s in self.stack.iter().rev() {
            if let Some(e) = s.names.get(name) {
                found = Some((up, e.binding.clone(), e.decl, s.tracked));
                break;
            }
            if !s.frameless {
                up += 1;
            }
        }
        if let Some((up, b, decl, tracked)) = found {
            let used = match &b {
                Binding::Field(Label::Let(id)) => {
                    for &from in &self.let_stack {
                        self.let_edges.push((from, *id));
                    }
                    self.let_ids.get(id).copied()
                }
                _ => tracked,
            };
            if let Some(t) = used {
                self.tracked[t].used = true;
            }
            return Some((up, b, decl));
        }
        // Imports are visible in the file scope, below the package's fields.
        let (path, at) = self.imports.get(name)?;
        let b = Binding::Import(path.clone());
        let t = &mut self.tracked[*at];
        t.used = true;
        Some((0, b, Some(t.span)))
    }
}
