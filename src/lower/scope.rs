//! Lexical scopes for lowering: a stack of frames mirroring the evaluator's environment frames.
//! Invariant: `lookup` returns the number of frames between the use and the declaration, which
//! is exactly the `up` count the evaluator walks.

use super::Label;
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

#[derive(Default, Debug)]
pub struct Scope {
    pub names: IndexMap<String, Binding>,
    /// Ids of the `let` declarations of this struct, in source order.
    pub lets: Vec<u32>,
    /// A scope of names only, with no frame at run time: a value alias (`a: X=v`), whose
    /// binding is a field of the struct scope below it.
    pub frameless: bool,
}

#[derive(Default)]
pub struct Scopes {
    stack: Vec<Scope>,
    imports: IndexMap<String, Rc<str>>,
}

impl Scopes {
    pub fn new_struct_scope(&self) -> Scope {
        Scope::default()
    }

    pub fn push(&mut self, s: Scope) {
        self.stack.push(s);
    }

    /// A binding frame: each name gets the slot of its position; empty names are skipped.
    pub fn push_vars(&mut self, names: Vec<String>) {
        let mut s = Scope::default();
        for (i, n) in names.into_iter().enumerate() {
            if !n.is_empty() && n != "_" {
                s.names.insert(n, Binding::Var(i as u32));
            }
        }
        self.stack.push(s);
    }

    /// A value alias: `name` refers to field `label` of the innermost struct scope, within the
    /// field's value only. Pushes no frame.
    pub fn push_value_alias(&mut self, name: &str, label: Label) {
        let mut s = Scope {
            frameless: true,
            ..Scope::default()
        };
        s.names.insert(name.to_string(), Binding::Field(label));
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
                None => imp
                    .path
                    .rsplit('/')
                    .next()
                    .unwrap_or(&imp.path)
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .to_string(),
            };
            self.imports.insert(name, imp.path.as_str().into());
        }
    }

    pub fn lookup(&self, name: &str) -> Option<(u32, Binding)> {
        let mut up = 0u32;
        for s in self.stack.iter().rev() {
            if let Some(b) = s.names.get(name) {
                return Some((up, b.clone()));
            }
            if !s.frameless {
                up += 1;
            }
        }
        // Imports are visible in the file scope, below the package's fields.
        self.imports
            .get(name)
            .map(|p| (0, Binding::Import(p.clone())))
    }
}
