//! Parsing: source text → `ast::File`. pest does the recognising (grammar/orche.pest); the
//! `convert` module turns pairs into AST nodes, one function per grammar rule. Files take a
//! fast path first: `descent`, a hand-written parser that builds the same AST and leaves
//! anything else (every error included) to pest. Invariant: pest's `Rule` never leaves this
//! module tree, and every failure is a `Diag` with a span, never a panic.

pub mod ast;
mod convert;
pub use convert::declare_big_stack;
/// How deep brackets, braces and expressions may nest (`orche::syntax::too_deep` past it).
pub const MAX_NESTING: usize = error::MAX_DEPTH;
mod descent;
mod error;
mod strings;

use crate::diag::Diag;
use crate::source::FileId;

/// Parse one file. On failure, returns the syntax errors found (pest stops at the first).
pub fn parse_file(file: FileId, text: &str) -> Result<ast::File, Vec<Diag>> {
    convert::parse_file(file, text)
}

/// `parse_file`'s fast path alone (the hand-written parser): `None` where `parse_file` hands
/// the text to pest. For tests that compare the two paths.
#[doc(hidden)]
pub fn parse_file_fast(file: FileId, text: &str) -> Option<ast::File> {
    convert::parse_file_fast(file, text)
}

/// `parse_file` with pest alone, as it parses input the fast path gives up on. For tests that
/// compare the two paths.
#[doc(hidden)]
pub fn parse_file_with_pest(file: FileId, text: &str) -> Result<ast::File, Vec<Diag>> {
    convert::parse_file_with_pest(file, text)
}

/// Parse a standalone expression (the `-e` flag of the CLI).
pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Vec<Diag>> {
    convert::parse_expr(file, text)
}
