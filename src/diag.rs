//! Diagnostics as data. Every phase reports problems as [`Diag`] values: a stable code
//! (`orche::<phase>::<name>`, documented in docs/diagnostics.md), a message that leads with the
//! data path when there is one, and labelled spans. Rendering happens only at the edge (the CLI
//! renders through miette; `--format json` serialises). Invariant: nothing here prints.

use crate::source::{SourceMap, Span};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// How bad a problem is. Errors fail a command; warnings (`orche::lint::…`) are reported by
/// `orche vet` (and the editor) and fail nothing unless `--strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// `error` or `warning`, as every output format spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One reported problem.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diag {
    /// `orche::syntax::unexpected`, `orche::eval::conflict`, …
    pub code: &'static str,
    pub severity: Severity,
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
            severity: Severity::Error,
            path: String::new(),
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning: reported, but it fails nothing unless the caller is strict.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Warning,
            ..Diag::new(code, message)
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

    /// A plain-text rendering without colours: headline, one `file:line:col` per label, then
    /// the help line if any.
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
        if let Some(h) = &self.help {
            out.push_str("\nhelp: ");
            out.push_str(h);
        }
        out
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely
/// typo (at most a third of the name's length, so nothing for names under three characters);
/// the first such candidate on ties. For `did you mean …?` hints.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = name.chars().count();
    let limit = len / 3;
    if limit == 0 {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // A length difference is a lower bound of the distance: most candidates stop here.
        if c == name
            || c.len().abs_diff(name.len()) > 4 * limit
            || c.chars().count().abs_diff(len) > limit
        {
            continue;
        }
        let d = edit_distance(name, c);
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance in characters: insertions, deletions and substitutions, and a swap
/// of two neighbours counted as one (the commonest typo).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for swaps), one back, current.
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut d = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits_and_swaps() {
        assert_eq!(edit_distance("network", "network"), 0);
        assert_eq!(edit_distance("netwrok", "network"), 1);
        assert_eq!(edit_distance("netork", "network"), 1);
        assert_eq!(edit_distance("tier", "tiers"), 1);
        assert_eq!(edit_distance("kind", "mind"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "xyz"), 3);
    }

    #[test]
    fn closest_suggests_only_likely_typos() {
        let c = ["name", "tier", "location", "network", "resources"];
        assert_eq!(closest("netwrok", c), Some("network"));
        assert_eq!(closest("locaton", c), Some("location"));
        assert_eq!(closest("resource", c), Some("resources"));
        assert_eq!(closest("tire", c), Some("tier"));
        // Too far from everything, or too short to guess.
        assert_eq!(closest("gateway", c), None);
        assert_eq!(closest("x", c), None);
        // The exact name is not a suggestion for itself.
        assert_eq!(closest("name", ["name"]), None);
    }
}
