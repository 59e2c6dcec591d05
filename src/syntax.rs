//! Parsing: source text → `ast::File`. pest does the recognising (grammar/orche.pest); the
//! `convert` module turns pairs into AST nodes, one function per grammar rule. Invariant: pest's
//! `Rule` never leaves this module tree, and every failure is a `Diag` with a span, never a panic.

pub mod ast;
mod convert;
mod error;
mod strings;

use crate::diag::Diag;
use crate::source::FileId;

/// Parse one file. On failure, returns the syntax errors found (pest stops at the first).
pub fn parse_file(file: FileId, text: &str) -> Result<ast::File, Vec<Diag>> {
    convert::parse_file(file, text)
}

/// Parse a standalone expression (the `-e` flag of the CLI).
pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Vec<Diag>> {
    convert::parse_expr(file, text)
}
