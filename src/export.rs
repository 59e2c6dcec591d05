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

/// ANSI colours for the text reports, or none: `on` only when the caller says the output is a
/// terminal. Each report adds its own methods (what colour a status or a kind is).
pub(crate) struct Paint {
    pub on: bool,
}

impl Paint {
    pub(crate) fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}
