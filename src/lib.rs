//! orche: a compiler for a typed, CUE-compatible configuration language.
//!
//! The pipeline, one module per phase:
//! 1. `syntax`: text → `ast::File` (pest grammar in grammar/orche.pest).
//! 2. `lower`: AST → lowered expressions with references resolved to scopes; imports loaded.
//! 3. `eval`: unification of conjuncts into a tree of vertices (the evaluated value).
//! 4. `value`: the evaluated value as plain data, with spans, for emitters and builtins.
//! 5. `export`: JSON, YAML and orche-syntax emitters.

pub mod alloc;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod eval;
pub mod export;
pub mod fmt;
pub mod graph;
pub mod limit;
pub mod load;
pub mod lower;
pub mod lsp;
pub mod render;
pub mod source;
pub mod state;
pub mod syntax;
pub mod value;
