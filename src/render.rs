//! Reported problems in every output format, from one model. [`locate`] turns [`Diag`]s into
//! [`Item`]s — file names, 1-based line and column ranges, related locations — once; each format
//! (`text`, `json`, `github`, `gitlab`, `sarif`) is one file that only lays items out. The language
//! server will be one more renderer over the same items.
//!
//! Positions: lines count from 1; columns count from 1 in Unicode scalar values
//! ([`ColumnUnit::Chars`]) unless a renderer asks for another unit; a range's end is the
//! position just after its last character.
//! Invariant: nothing here prints; every renderer returns its text.

pub mod github;
pub mod gitlab;
pub mod json;
pub mod sarif;
pub mod text;

use crate::diag::{Diag, Severity};
use crate::source::{ColumnUnit, SourceMap, Span};

/// A position in a file, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// From `start` up to (not including) `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: Pos,
    pub end: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file's name as it was loaded (the path given, or `stdlib/orche/…` for the embedded
    /// standard library).
    pub file: String,
    /// Whether the file is part of orche's embedded standard library.
    pub stdlib: bool,
    pub range: Range,
}

/// Another place a problem involves (the other side of a conflict, a declaration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub at: Location,
    pub message: String,
}

/// One diagnostic with its positions worked out.
#[derive(Clone, Debug)]
pub struct Item<'a> {
    pub diag: &'a Diag,
    /// The primary location: the diagnostic's first label; `None` for a problem about the
    /// invocation itself (no input files, say).
    pub at: Option<Location>,
    pub related: Vec<Related>,
}

impl Item<'_> {
    pub fn severity(&self) -> Severity {
        self.diag.severity
    }
}

/// Counts for a summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    /// Input files checked (the standard library not counted).
    pub files: usize,
}

/// The items of `diags`, in order, with columns counted in `unit`.
pub fn locate<'a>(sources: &SourceMap, diags: &'a [Diag], unit: ColumnUnit) -> Vec<Item<'a>> {
    diags
        .iter()
        .map(|d| {
            let mut labels = d.labels.iter();
            let at = labels.next().map(|l| location(sources, l.span, unit));
            let related = labels
                .map(|l| Related {
                    at: location(sources, l.span, unit),
                    message: if l.text.is_empty() {
                        "related location".to_string()
                    } else {
                        l.text.clone()
                    },
                })
                .collect();
            Item {
                diag: d,
                at,
                related,
            }
        })
        .collect()
}

/// The location of a span, its columns counted in `unit`.
pub fn location(sources: &SourceMap, span: Span, unit: ColumnUnit) -> Location {
    let file = sources.get(span.file);
    let (line, column) = file.line_col_in(span.start, unit);
    let (end_line, end_column) = file.line_col_in(span.end.max(span.start), unit);
    Location {
        file: file.name.clone(),
        stdlib: file.stdlib,
        range: Range {
            start: Pos { line, column },
            end: Pos {
                line: end_line,
                column: end_column,
            },
        },
    }
}

/// Errors and warnings among `items`, and the number of input files in `sources`.
pub fn summary(sources: &SourceMap, items: &[Item]) -> Summary {
    let errors = items
        .iter()
        .filter(|i| i.severity() == Severity::Error)
        .count();
    Summary {
        errors,
        warnings: items.len() - errors,
        files: input_files(sources),
    }
}

/// The files a user gave (not the standard library, not a `-e` expression).
pub fn input_files(sources: &SourceMap) -> usize {
    sources
        .files()
        .filter(|(_, f)| !f.stdlib && f.name != "<expression>")
        .count()
}

/// A path as a URI reference (for SARIF and the language server's `file://` URIs): bytes
/// outside the unreserved set and `/` percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`uri`]: percent-escapes decoded (`None` when they do not decode to UTF-8).
pub fn uri_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `N errors, M warnings in K files` (singular where one).
pub fn summary_line(s: &Summary) -> String {
    fn n(k: usize, what: &str) -> String {
        format!("{k} {what}{}", if k == 1 { "" } else { "s" })
    }
    format!(
        "{}, {} in {}",
        n(s.errors, "error"),
        n(s.warnings, "warning"),
        n(s.files, "file")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_in_the_unit_asked_for() {
        let mut sources = SourceMap::new();
        // `é` is 2 bytes, 1 UTF-16 unit; `𝄞` is 4 bytes, 2 UTF-16 units.
        let text = "a: 1\nb: \"é𝄞\" & 3\n";
        let f = sources.add("in.orc", text);
        let at = text.find("& 3").unwrap() + 2;
        let span = Span::new(f, at, at + 1);
        let d = [Diag::new("orche::eval::conflict", "x").with_label(span, "")];
        let col = |unit| locate(&sources, &d, unit)[0].at.clone().unwrap().range;
        assert_eq!(
            col(ColumnUnit::Chars).start,
            Pos {
                line: 2,
                column: 11
            }
        );
        assert_eq!(
            col(ColumnUnit::Chars).end,
            Pos {
                line: 2,
                column: 12
            }
        );
        assert_eq!(col(ColumnUnit::Utf16).start.column, 12);
        assert_eq!(col(ColumnUnit::Utf8).start.column, 15);
    }

    #[test]
    fn uris_are_percent_encoded_and_decoded() {
        assert_eq!(
            uri("sites/east coast/a#1.orc"),
            "sites/east%20coast/a%231.orc"
        );
        assert_eq!(uri("é.orc"), "%C3%A9.orc");
        for p in ["/a b/é#%.orc", "plain/x.orc", ""] {
            assert_eq!(uri_decode(&uri(p)).as_deref(), Some(p));
        }
        assert_eq!(uri_decode("%zz"), None);
        assert_eq!(uri_decode("%2"), Some("%2".to_string()));
    }

    #[test]
    fn summary_counts_and_spells() {
        let s = Summary {
            errors: 1,
            warnings: 2,
            files: 1,
        };
        assert_eq!(summary_line(&s), "1 error, 2 warnings in 1 file");
    }
}
