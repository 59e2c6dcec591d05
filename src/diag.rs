//! Diagnostics as data. Every phase reports problems as [`Diag`] values: a stable code
//! (`orche::<phase>::<name>`, documented in docs/diagnostics.md), a message that leads with the
//! data path when there is one, and labelled spans. Rendering happens only at the edge (the CLI
//! renders through miette; `--format json` serialises). Invariant: nothing here prints.

use crate::source::{SourceMap, Span};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One reported problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    /// `orche::syntax::unexpected`, `orche::eval::conflict`, …
    pub code: &'static str,
    /// The data path (`a.b[2].c`), empty when the problem is not about a value.
    pub path: String,
    /// The message without the path, e.g. `conflicting values 80 and "80" (mismatched types int and string)`.
    pub message: String,
    /// Source spans: the first is primary.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diag {
    pub fn new(code: &'static str, message: impl Into<String>) -> Diag {
        Diag {
            code,
            path: String::new(),
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Diag {
        self.path = path.into();
        self
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diag {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    /// `path: message`, or just the message when there is no path.
    pub fn headline(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }

    /// A plain-text rendering without colours: headline then one `file:line:col` per label.
    pub fn render_plain(&self, sources: &SourceMap) -> String {
        let mut out = self.headline();
        for l in &self.labels {
            out.push_str("\n    ");
            out.push_str(&sources.position(l.span));
            if !l.text.is_empty() {
                out.push_str(": ");
                out.push_str(&l.text);
            }
        }
        out
    }
}
