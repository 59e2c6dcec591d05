//! Emitters: evaluated values → text. JSON and YAML print concrete data; `orc` prints an
//! evaluated value in orche syntax, incomplete parts included; `graph` prints a dependency
//! graph as JSON, Graphviz DOT or Mermaid. Invariant: output depends only on the value, never
//! on hashing or timing.

pub mod diff;
pub mod graph;
pub mod json;
pub mod orc;
pub mod plan_sh;
pub mod probe;
pub mod report;
pub mod shell;
pub mod yaml;
