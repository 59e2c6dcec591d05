//! Diagnostics as a person reads them on a terminal: miette's graphical reports, one per
//! problem, with source snippets (colour only when the caller says so). Labels in other files,
//! or far apart in one file, get snippets of their own.

use crate::diag::{Diag, Label, Severity};
use crate::source::{FileId, SourceFile, SourceMap};

/// Every diagnostic as a graphical report, errors and warnings as their severity says.
pub fn render(sources: &SourceMap, diags: &[Diag], color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut all = String::new();
    for d in diags {
        let report = to_miette(sources, d);
        let mut s = String::new();
        if handler.render_report(&mut s, report.as_ref()).is_err() {
            s = d.render_plain(sources);
        }
        all.push_str(&s);
        if !s.ends_with('\n') {
            all.push('\n');
        }
    }
    all
}

fn to_miette(sources: &SourceMap, d: &Diag) -> Box<dyn miette::Diagnostic + Send + Sync> {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let mut md = miette::MietteDiagnostic::new(d.headline())
        .with_code(d.code)
        .with_severity(severity);
    if let Some(h) = &d.help {
        md = md.with_help(h.clone());
    }
    // A snippet of a very long line (minified or generated input) would flood the terminal:
    // such labels are given as positions only.
    let long_line = |l: &Label| {
        let text = &sources.get(l.span.file).text;
        let at = (l.span.start as usize).min(text.len());
        let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
        end - start > 400
    };
    if d.labels.iter().any(long_line) {
        let at: Vec<String> = d.labels.iter().map(|l| sources.position(l.span)).collect();
        md.help = Some(match md.help.take() {
            Some(x) => format!("{x}\nat {}", at.join(", ")),
            None => format!("at {}", at.join(", ")),
        });
        return Box::new(md);
    }
    // One snippet per file: the first label's file is the report's source; labels in other
    // files (a conflict with a schema of the standard library, say) come as related reports
    // with their own snippets.
    // Labels far apart in one file get separate snippets too, or the snippet would show
    // every line between them.
    let mut files: Vec<(FileId, u32, Vec<miette::LabeledSpan>)> = Vec::new();
    for (i, l) in d.labels.iter().enumerate() {
        let file = sources.get(l.span.file);
        let text = file.text.len();
        let start = (l.span.start as usize).min(text);
        let len = (l.span.end as usize).min(text).saturating_sub(start);
        let line = file.line_col(l.span.start).0 as u32;
        let label = (!l.text.is_empty()).then(|| l.text.clone());
        // The first label is the problem's own place: the snippet's header names it even
        // when another label of the snippet comes earlier in the file.
        let span = if i == 0 {
            miette::LabeledSpan::new_primary_with_span(label, (start, len))
        } else {
            miette::LabeledSpan::new(label, start, len)
        };
        match files
            .iter_mut()
            .find(|(f, at, _)| *f == l.span.file && at.abs_diff(line) <= 6)
        {
            Some((_, _, spans)) => spans.push(span),
            None => files.push((l.span.file, line, vec![span])),
        }
    }
    let source = |f: FileId| {
        let file = sources.get(f);
        miette::NamedSource::new(file.name.clone(), Window::of(file))
    };
    let mut files = files.into_iter();
    let Some((first, _, spans)) = files.next() else {
        return Box::new(md);
    };
    let related = files
        .map(|(f, _, spans)| Snippet {
            message: "see also".into(),
            labels: spans,
            source: source(f),
            related: Vec::new(),
            md: None,
        })
        .collect();
    Box::new(Snippet {
        message: d.headline(),
        labels: spans,
        source: source(first),
        related,
        md: Some(md),
    })
}

/// A file's text as miette reads it for a snippet, without copying it and without scanning
/// it from its start for every snippet (miette's own `str` source counts lines from the
/// start: quadratic with many errors in a large file). The text is handed to miette from a
/// line boundary a little above the span, and the positions it reports are shifted back, so
/// the snippet is the same.
struct Window {
    text: std::sync::Arc<str>,
    line_starts: std::sync::Arc<[u32]>,
    /// A `\r` that is not part of `\r\n` ends a line for miette but not in `line_starts`:
    /// such a file is read from its start.
    lone_cr: bool,
}

impl Window {
    fn of(file: &SourceFile) -> Window {
        Window {
            text: file.text.clone(),
            line_starts: file.line_starts(),
            lone_cr: file.has_lone_cr(),
        }
    }
}

impl miette::SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let bytes = self.text.as_bytes();
        let (base, first_line) = if self.lone_cr || span.offset() > bytes.len() {
            (0, 0)
        } else {
            // One line more than miette keeps: it decides on the line before the context.
            let line = self
                .line_starts
                .partition_point(|&s| s as usize <= span.offset())
                .saturating_sub(1);
            let first = line.saturating_sub(context_lines_before + 1);
            (self.line_starts[first] as usize, first)
        };
        let shifted = miette::SourceSpan::new((span.offset() - base).into(), span.len());
        let inner = bytes[base..].read_span(&shifted, context_lines_before, context_lines_after)?;
        // miette counts the column in bytes; every other format counts characters.
        let start = inner.span().offset() + base;
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let column = self
            .text
            .get(line_start..line_start + inner.column())
            .map_or(inner.column(), |s| s.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            miette::SourceSpan::new(start.into(), inner.span().len()),
            inner.line() + first_line,
            column,
            inner.line_count() + first_line,
        )))
    }
}

/// A diagnostic with its source and labels in one file, and related snippets in others.
struct Snippet {
    message: String,
    labels: Vec<miette::LabeledSpan>,
    source: miette::NamedSource<Window>,
    related: Vec<Snippet>,
    /// Code and help of the main report.
    md: Option<miette::MietteDiagnostic>,
}

impl std::fmt::Debug for Snippet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::fmt::Display for Snippet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Snippet {}
impl miette::Diagnostic for Snippet {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.md.as_ref().and_then(|m| m.code())
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.md.as_ref().and_then(|m| m.help())
    }
    fn severity(&self) -> Option<miette::Severity> {
        match &self.md {
            None => Some(miette::Severity::Advice),
            Some(md) => md.severity,
        }
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}
