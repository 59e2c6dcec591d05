//! The `orche` command line: parses arguments with clap, calls the library, renders the
//! diagnostics with miette and writes output. The only code that prints or exits. Invariant:
//! `-o FILE` is written whole (temporary file, then rename) or not at all.

mod cli;

use clap::{Parser, Subcommand, ValueEnum};
use orche::compile::{self, Format, Request};
use orche::diag::Diag;
use orche::eval::ExportMode;
use orche::source::SourceMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "orche",
    version,
    about = "Compile typed, CUE-compatible configurations of multi-site infrastructure"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the concrete value as JSON or YAML; anything not concrete is an error.
    ///
    /// With --probes, print a read-only probe script (or the probes as JSON) for the
    /// federation; the script prints live state for `orche drift` and `orche plan`.
    Export {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        /// Export only the value of this expression (with --probes: the federation to probe).
        #[arg(short = 'e', long = "expression")]
        expr: Option<String>,
        /// json or yaml; with --probes, sh (default) or json.
        #[arg(long = "out", value_enum)]
        out: Option<ExportOut>,
        /// Emit the probe script whose output is live state (for `orche drift` and `orche plan`).
        #[arg(long = "probes")]
        probes: bool,
        /// With --probes: probe only the resources of this site (repeatable).
        #[arg(long = "site", requires = "probes")]
        site: Vec<String>,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "outfile")]
        outfile: Option<PathBuf>,
    },
    /// Print the evaluated value; incomplete values are allowed.
    Eval {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        #[arg(short = 'e', long = "expression")]
        expr: Option<String>,
        #[arg(long = "out", value_enum, default_value = "orc")]
        out: EvalOut,
        #[arg(short = 'o', long = "outfile")]
        outfile: Option<PathBuf>,
    },
    /// Print the dependency graph of a federation: nodes, levels, order, waves and cycles.
    Graph {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        /// The federation or graph to print (default: the root, or its one federation).
        #[arg(short = 'e', long = "expression")]
        expr: Option<String>,
        #[arg(long = "out", value_enum, default_value = "json")]
        out: GraphOut,
        #[arg(short = 'o', long = "outfile")]
        outfile: Option<PathBuf>,
    },
    /// Compare the federation with live state: exit 0 in sync, 2 drift found, 1 error.
    ///
    /// Live state is what the script of `orche export --probes` prints; give one file per
    /// site probed, they merge.
    Drift {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        /// The federation (default: the root, or its one federation).
        #[arg(short = 'e', long = "expression")]
        expr: Option<String>,
        /// A live-state document (repeatable: one per site; they merge).
        #[arg(long = "live", required = true)]
        live: Vec<PathBuf>,
        #[arg(long = "out", value_enum, default_value = "text")]
        out: DriftOut,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "outfile")]
        outfile: Option<PathBuf>,
    },
    /// Plan the steps that bring live state to the declared one, in dependency order.
    ///
    /// With --out sh, a script that only shows the steps unless run with --apply (and
    /// --destroy for removals and replacements).
    Plan {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        /// The federation (default: the root, or its one federation).
        #[arg(short = 'e', long = "expression")]
        expr: Option<String>,
        /// A live-state document (repeatable: one per site; they merge).
        #[arg(long = "live", required = true)]
        live: Vec<PathBuf>,
        #[arg(long = "out", value_enum, default_value = "text")]
        out: PlanOut,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "outfile")]
        outfile: Option<PathBuf>,
    },
    /// Compare two versions of a configuration: the value diff by data path and, for a
    /// federation, the resources added, removed and changed with their blast radius.
    ///
    /// Exit 0 when nothing changed, 2 when something did, 1 when either side fails to
    /// evaluate.
    Diff {
        /// The old side: a file (.orc or .cue) or a directory (its package).
        old: PathBuf,
        /// The new side: a file or a directory.
        new: PathBuf,
        /// Compare only the value of this expression, on both sides.
        #[arg(short = 'e', long = "expression")]
        expr: Option<String>,
        #[arg(long = "out", value_enum, default_value = "text")]
        out: DiffOut,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "outfile")]
        outfile: Option<PathBuf>,
    },
    /// Check that everything unifies and is concrete; print every error.
    Vet {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        #[arg(long = "format", value_enum, default_value = "text")]
        format: VetFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportOut {
    Json,
    Yaml,
    Sh,
}

#[derive(Clone, Copy, ValueEnum)]
enum DriftOut {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanOut {
    Text,
    Json,
    Sh,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffOut {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum EvalOut {
    Orc,
    Json,
    Yaml,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphOut {
    Json,
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
enum VetFormat {
    Text,
    Json,
}

/// Small blocks in size classes (see `orche::alloc`): cheaper than glibc's `malloc` for the
/// evaluator's millions of small objects, without touching more memory.
#[global_allocator]
static ALLOC: orche::alloc::SizeClasses = orche::alloc::SizeClasses;

fn main() -> ExitCode {
    // Usage errors exit 1, like every other error: 2 is `orche drift`'s "drift found".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Page faults are a large part of the wall time (see `orche::alloc`): a second thread
    // takes most of them while the compiler thread works.
    orche::alloc::start_prefaulting();
    // Deeply nested inputs recurse deeply; give the compiler a large stack, on which the
    // parser runs too.
    let child = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            orche::syntax::declare_big_stack();
            run(cli)
        });
    match child.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("orche: internal error (this is a bug; please report it with the input)");
            ExitCode::from(2)
        }
    }
}

/// No file arguments mean the package in the current directory, as with `cue`.
fn or_cwd(files: Vec<PathBuf>) -> Vec<PathBuf> {
    if files.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        files
    }
}

fn run(cli: Cli) -> ExitCode {
    match cli.cmd {
        Cmd::Export {
            files,
            expr,
            out,
            outfile,
            probes,
            site,
        } => {
            if probes {
                let out = match out {
                    None | Some(ExportOut::Sh) => cli::state::ProbeOut::Sh,
                    Some(ExportOut::Json) => cli::state::ProbeOut::Json,
                    Some(ExportOut::Yaml) => {
                        eprintln!("orche: --probes writes sh or json, not yaml");
                        return ExitCode::FAILURE;
                    }
                };
                let done = cli::state::probes(&or_cwd(files), expr.as_deref(), &site, out);
                return finish(done, outfile.as_deref());
            }
            let format = match out {
                None | Some(ExportOut::Json) => Format::Json,
                Some(ExportOut::Yaml) => Format::Yaml,
                Some(ExportOut::Sh) => {
                    eprintln!("orche: --out sh is for --probes");
                    return ExitCode::FAILURE;
                }
            };
            emit(
                Request {
                    paths: or_cwd(files),
                    expr,
                    mode: ExportMode::Concrete,
                    format,
                    exit_after: true,
                },
                outfile.as_deref(),
            )
        }
        Cmd::Eval {
            files,
            expr,
            out,
            outfile,
        } => {
            let format = match out {
                EvalOut::Orc => Format::Orc,
                EvalOut::Json => Format::Json,
                EvalOut::Yaml => Format::Yaml,
            };
            emit(
                Request {
                    paths: or_cwd(files),
                    expr,
                    mode: ExportMode::Eval,
                    format,
                    exit_after: true,
                },
                outfile.as_deref(),
            )
        }
        Cmd::Graph {
            files,
            expr,
            out,
            outfile,
        } => {
            let format = match out {
                GraphOut::Json => compile::GraphFormat::Json,
                GraphOut::Dot => compile::GraphFormat::Dot,
                GraphOut::Mermaid => compile::GraphFormat::Mermaid,
            };
            let outcome = compile::graph(&compile::GraphRequest {
                paths: or_cwd(files),
                expr,
                format,
                exit_after: true,
            });
            // The graph is printed even with errors (a cycle is easiest to see drawn); the
            // exit status still says there were errors.
            render(&outcome.sources, &outcome.diags);
            let written = match outcome.output {
                Some(text) => write_output(outfile.as_deref(), &text),
                None => ExitCode::FAILURE,
            };
            if outcome.diags.is_empty() {
                written
            } else {
                ExitCode::FAILURE
            }
        }
        Cmd::Drift {
            files,
            expr,
            live,
            out,
            outfile,
        } => {
            let out = match out {
                DriftOut::Text => cli::state::DriftOut::Text,
                DriftOut::Json => cli::state::DriftOut::Json,
            };
            let color = outfile.is_none() && stdout_color();
            let done = cli::state::drift(&or_cwd(files), expr.as_deref(), &live, out, color);
            finish(done, outfile.as_deref())
        }
        Cmd::Plan {
            files,
            expr,
            live,
            out,
            outfile,
        } => {
            let out = match out {
                PlanOut::Text => cli::state::PlanOut::Text,
                PlanOut::Json => cli::state::PlanOut::Json,
                PlanOut::Sh => cli::state::PlanOut::Sh,
            };
            let color = outfile.is_none() && stdout_color();
            let done = cli::state::plan(&or_cwd(files), expr.as_deref(), &live, out, color);
            finish(done, outfile.as_deref())
        }
        Cmd::Diff {
            old,
            new,
            expr,
            out,
            outfile,
        } => {
            let out = match out {
                DiffOut::Text => cli::diff::DiffOut::Text,
                DiffOut::Json => cli::diff::DiffOut::Json,
                DiffOut::Markdown => cli::diff::DiffOut::Markdown,
            };
            let color = outfile.is_none() && stdout_color();
            let done = cli::diff::diff(&old, &new, expr.as_deref(), out, color);
            finish(done, outfile.as_deref())
        }
        Cmd::Vet { files, format } => {
            let outcome = compile::run(&Request {
                paths: or_cwd(files),
                expr: None,
                mode: ExportMode::Concrete,
                format: Format::Json,
                exit_after: true,
            });
            if outcome.diags.is_empty() {
                if let VetFormat::Json = format {
                    println!("[]");
                }
                return ExitCode::SUCCESS;
            }
            match format {
                VetFormat::Text => render(&outcome.sources, &outcome.diags),
                VetFormat::Json => println!("{}", diags_json(&outcome.sources, &outcome.diags)),
            }
            ExitCode::FAILURE
        }
    }
}

/// Colour on standard output: only on a terminal, and never with NO_COLOR.
fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Prints a state command's warnings and errors, writes its output, and exits with its status
/// (or 1 when the output cannot be written).
fn finish(done: cli::state::Done, outfile: Option<&Path>) -> ExitCode {
    render_as(&done.sources, &done.warnings, miette::Severity::Warning);
    render(&done.sources, &done.diags);
    if let Some(text) = &done.stdout {
        if write_output(outfile, text) != ExitCode::SUCCESS {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::from(done.code)
}

fn emit(req: Request, outfile: Option<&Path>) -> ExitCode {
    let outcome = compile::run(&req);
    if !outcome.diags.is_empty() {
        render(&outcome.sources, &outcome.diags);
        return ExitCode::FAILURE;
    }
    let text = outcome.output.unwrap_or_default();
    write_output(outfile, &text)
}

/// Writes `text` to `outfile` (whole or not at all) or to standard output.
fn write_output(outfile: Option<&Path>, text: &str) -> ExitCode {
    match outfile {
        Some(path) => match write_atomic(path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("orche: cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        None => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
    }
}

/// Writes through a temporary file in the same directory, then renames it into place.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.orche-{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn render(sources: &SourceMap, diags: &[Diag]) {
    render_as(sources, diags, miette::Severity::Error);
}

fn render_as(sources: &SourceMap, diags: &[Diag], severity: miette::Severity) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut all = String::new();
    for d in diags {
        let report = to_miette(sources, d, severity);
        let mut s = String::new();
        if handler.render_report(&mut s, report.as_ref()).is_err() {
            s = d.render_plain(sources);
        }
        all.push_str(&s);
        if !s.ends_with('\n') {
            all.push('\n');
        }
    }
    eprint!("{all}");
}

fn to_miette(
    sources: &SourceMap,
    d: &Diag,
    severity: miette::Severity,
) -> Box<dyn miette::Diagnostic + Send + Sync> {
    let mut md = miette::MietteDiagnostic::new(d.headline())
        .with_code(d.code)
        .with_severity(severity);
    if let Some(h) = &d.help {
        md = md.with_help(h.clone());
    }
    // A snippet of a very long line (minified or generated input) would flood the terminal:
    // such labels are given as positions only.
    let long_line = |l: &orche::diag::Label| {
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
    let mut files: Vec<(orche::source::FileId, u32, Vec<miette::LabeledSpan>)> = Vec::new();
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
    let source = |f: orche::source::FileId| {
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
    fn of(file: &orche::source::SourceFile) -> Window {
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
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            miette::SourceSpan::new((inner.span().offset() + base).into(), inner.span().len()),
            inner.line() + first_line,
            inner.column(),
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

fn diags_json(sources: &SourceMap, diags: &[Diag]) -> String {
    let arr: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let labels: Vec<serde_json::Value> = d
                .labels
                .iter()
                .map(|l| {
                    let f = sources.get(l.span.file);
                    let (line, col) = f.line_col(l.span.start);
                    serde_json::json!({"file": f.name, "line": line, "column": col, "text": l.text})
                })
                .collect();
            serde_json::json!({"code": d.code, "path": d.path, "message": d.message, "labels": labels, "help": d.help})
        })
        .collect();
    serde_json::to_string_pretty(&arr).unwrap_or_else(|_| "[]".into())
}
