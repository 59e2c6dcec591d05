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
    /// Evaluation steps a run may take (default 200M; also ORCHE_MAX_STEPS): 500M, 2G, 3000000000.
    #[arg(long = "max-steps", global = true, value_name = "N")]
    max_steps: Option<String>,
    /// Memory a run may use (default 4G; also ORCHE_MAX_MEMORY): 512M, 16G.
    #[arg(long = "max-memory", global = true, value_name = "SIZE")]
    max_memory: Option<String>,
}

/// The evaluation budget from the flags, else the environment, else the defaults; a value
/// that does not read as a count or a size is a usage error naming it.
fn budget(cli: &Cli) -> Result<orche::limit::Budget, String> {
    let mut b = orche::limit::Budget::default();
    // The flag's value, else the variable's, with the name to quote in an error.
    let pick = |flag: &Option<String>, name: &str, var: &str| match flag {
        Some(v) => Some((v.clone(), name.to_string())),
        None => std::env::var(var).ok().map(|v| (v, var.to_string())),
    };
    if let Some((v, from)) = pick(&cli.max_steps, "--max-steps", "ORCHE_MAX_STEPS") {
        b.steps = orche::limit::parse_count(&v)
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                format!("{from}: expected a count of steps such as 2000000000 or 2G, found {v:?}")
            })?;
    }
    if let Some((v, from)) = pick(&cli.max_memory, "--max-memory", "ORCHE_MAX_MEMORY") {
        b.memory = orche::limit::parse_size(&v)
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{from}: expected a size such as 512M or 16G, found {v:?}"))?;
    }
    Ok(b)
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
        /// Export only the value of this expression (with --probes: the federation to probe);
        /// repeatable: each value is printed in turn, as cue does.
        #[arg(short = 'e', long = "expression")]
        expr: Vec<String>,
        /// json, yaml, cue (CUE syntax) or text (a string value printed as it is); with
        /// --probes, sh (default) or json.
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
        /// With -o: replace the file if it exists (without it, an existing file is an error,
        /// as with cue).
        #[arg(short = 'f', long = "force")]
        force: bool,
        /// JSON output escapes `<`, `>` and `&` (`\u003c`…), as cue's --escape (Go's HTML
        /// escaping).
        #[arg(long = "escape")]
        escape: bool,
        /// Unify each data file's documents with this expression, each on its own, and print
        /// each result (cue's `--schema`; not with -l, --list or -e).
        #[arg(short = 'd', long = "schema", value_name = "EXPR")]
        schema: Vec<String>,
        #[command(flatten)]
        place: PlaceArgs,
        #[command(flatten)]
        tags: TagArgs,
    },
    /// Print the evaluated value; incomplete values are allowed.
    Eval {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        /// Print only the value of this expression; repeatable (each value after a `// expr`
        /// line, as cue does).
        #[arg(short = 'e', long = "expression")]
        expr: Vec<String>,
        #[arg(long = "out", value_enum, default_value = "orc")]
        out: EvalOut,
        #[arg(short = 'o', long = "outfile")]
        outfile: Option<PathBuf>,
        /// With -o: replace the file if it exists.
        #[arg(short = 'f', long = "force")]
        force: bool,
        /// Every value must be concrete, as with export (cue's `eval -c`); the output stays
        /// orche text.
        #[arg(short = 'c', long = "concrete")]
        concrete: bool,
        /// Show hidden fields (`_name`), which are left out by default, as with cue.
        #[arg(short = 'H', long = "show-hidden")]
        show_hidden: bool,
        /// Accepted for cue's command lines: orche eval always shows optional fields (`-O`);
        /// `-a` is `-H` and `-O`; the output is always simplified (`-s`).
        #[arg(short = 'O', long = "show-optional", hide = true)]
        show_optional: bool,
        #[arg(short = 'a', long = "all", hide = true)]
        all: bool,
        #[arg(short = 's', long = "simplify", hide = true)]
        simplify: bool,
        /// Unify each data file's documents with this expression, each on its own, and print
        /// each result (cue's `--schema`; not with -l, --list or -e).
        #[arg(short = 'd', long = "schema", value_name = "EXPR")]
        schema: Vec<String>,
        #[command(flatten)]
        place: PlaceArgs,
        #[command(flatten)]
        tags: TagArgs,
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
    /// Put .orc/.cue files in the canonical layout (docs/fmt.md).
    ///
    /// Without flags, files that change are rewritten in place. Exit 0 when nothing is left to
    /// do, 1 when files would change (--check, --diff) or a file has a syntax error (it is left
    /// untouched), 2 on a usage or I/O error.
    Fmt {
        /// Files, or directories (every .orc/.cue file under them); default: the current
        /// directory.
        paths: Vec<PathBuf>,
        /// List the files that would change; write nothing.
        #[arg(long = "check")]
        check: bool,
        /// Print the unified diff of each file that would change; write nothing.
        #[arg(long = "diff")]
        diff: bool,
    },
    /// Run the language server on standard input and output (for editors).
    ///
    /// Diagnostics of the whole package as you type (every error and warning `orche vet`
    /// reports) and the document outline. See docs/lsp.md.
    Lsp,
    /// Check that everything unifies and is concrete; report every error and warning.
    ///
    /// Exit 0 when clean (warnings allowed unless --strict), 1 when problems were found, 2 on
    /// a usage or I/O error. Formats: text (stderr); on stdout json, github (workflow commands
    /// that annotate a pull request), gitlab (a Code Quality report) and sarif (for
    /// code-scanning uploads).
    Vet {
        /// Files (.orc or .cue) or directories (their package); default: the current directory.
        files: Vec<PathBuf>,
        #[arg(long = "format", value_enum, default_value = "text")]
        format: VetFormat,
        /// Warnings fail too (exit 1).
        #[arg(long = "strict")]
        strict: bool,
        /// Check each data file's documents against this expression instead of the root
        /// (repeatable: each must hold; CUE's `vet -d`).
        #[arg(short = 'd', long = "schema", value_name = "EXPR")]
        schema: Vec<String>,
        #[command(flatten)]
        place: PlaceArgs,
        /// Report every value that is not concrete (cue's `vet -c`); without it, incomplete
        /// values are one error saying the instance is incomplete, as cue's default.
        #[arg(short = 'c', long = "concrete")]
        concrete: bool,
        #[command(flatten)]
        tags: TagArgs,
    },
}

/// `-t` and `-T`, as cue takes them (docs/cli.md).
#[derive(clap::Args, Clone, Default)]
struct TagArgs {
    /// Inject a value into the fields marked `@tag(key)` (`key=value`), or set a tag for
    /// `@if(…)` file selection and `short=` names (`name`); repeatable, as cue's `-t`.
    #[arg(short = 't', long = "inject", value_name = "KEY=VALUE")]
    tags: Vec<String>,
    /// Inject system variables into `@tag(key,var=name)` fields: now, os, arch, cwd,
    /// username, hostname, rand (cue's `-T`).
    #[arg(short = 'T', long = "inject-vars")]
    vars: bool,
}

impl TagArgs {
    fn tags(self) -> orche::load::tags::Tags {
        orche::load::tags::Tags {
            given: self.tags,
            vars: self.vars,
        }
    }
}

/// Where data files' documents go (docs/data-files.md).
#[derive(clap::Args, Clone, Default)]
struct PlaceArgs {
    /// Place each data document at this label (repeatable: one label per level), an
    /// expression evaluated against the document: -l '"sites"' -l name.
    #[arg(short = 'l', long = "path", value_name = "EXPR")]
    path: Vec<String>,
    /// Evaluate -l labels against {filename, index, recordCount, data} instead of the document.
    #[arg(long = "with-context")]
    with_context: bool,
    /// The documents placed at one path form a list there (at the root without -l), in
    /// argument order, instead of being unified (cue's `--list`).
    #[arg(long = "list")]
    list: bool,
}

impl PlaceArgs {
    fn placement(self) -> orche::load::data::Placement {
        orche::load::data::Placement {
            labels: self.path,
            with_context: self.with_context,
            list: self.list,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportOut {
    Json,
    Yaml,
    Text,
    // CUE syntax (`cue export --out cue`); `orc` is the same.
    #[value(alias = "orc")]
    Cue,
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
    Github,
    Gitlab,
    Sarif,
}

/// Small blocks in size classes (see `orche::alloc`): cheaper than glibc's `malloc` for the
/// evaluator's millions of small objects, without touching more memory.
#[global_allocator]
static ALLOC: orche::alloc::SizeClasses = orche::alloc::SizeClasses;

fn main() -> ExitCode {
    // Usage errors exit 1, like every other error (2 is `orche drift`'s "drift found"),
    // except for the CI gates, whose 1 means "problems found" and 2 a usage or I/O error.
    let cli = match Cli::try_parse_from(hoist_globals(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if !e.use_stderr() {
                ExitCode::SUCCESS
            } else if ci_gate() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            };
        }
    };
    match budget(&cli) {
        Ok(b) => orche::limit::configure(b),
        Err(e) => {
            eprintln!("orche: {e}");
            return if ci_gate() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            };
        }
    }
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

/// Whether the command line names `vet` or `fmt`, whose usage errors exit 2: its first
/// argument that is not an option.
fn ci_gate() -> bool {
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .is_some_and(|a| a == "vet" || a == "fmt")
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
            force,
            escape,
            schema,
            place,
            tags,
        } => {
            let tags = tags.tags();
            if probes {
                let out = match out {
                    None | Some(ExportOut::Sh) => cli::state::ProbeOut::Sh,
                    Some(ExportOut::Json) => cli::state::ProbeOut::Json,
                    Some(ExportOut::Yaml | ExportOut::Text | ExportOut::Cue) => {
                        eprintln!("orche: --probes writes sh or json");
                        return ExitCode::FAILURE;
                    }
                };
                let Some(expr) = one_expr(expr) else {
                    return ExitCode::FAILURE;
                };
                let done = cli::state::probes(&or_cwd(files), expr.as_deref(), &site, out);
                return finish(done, outfile.as_deref());
            }
            let format = match out {
                None | Some(ExportOut::Json) => Format::Json,
                Some(ExportOut::Yaml) => Format::Yaml,
                Some(ExportOut::Text) => Format::Text,
                Some(ExportOut::Cue) => Format::Orc,
                Some(ExportOut::Sh) => {
                    eprintln!("orche: --out sh is for --probes");
                    return ExitCode::FAILURE;
                }
            };
            if let Some(code) = refuse_existing(outfile.as_deref(), force) {
                return code;
            }
            emit_each(
                Request {
                    paths: or_cwd(files),
                    expr: None,
                    mode: ExportMode::Concrete,
                    format,
                    exit_after: true,
                    tags,
                    concrete: true,
                    show_hidden: false,
                },
                expr,
                schema,
                place,
                Output {
                    file: outfile.as_deref(),
                    escape,
                },
            )
        }
        Cmd::Eval {
            files,
            expr,
            out,
            outfile,
            force,
            concrete,
            show_hidden,
            show_optional: _,
            all,
            simplify: _,
            schema,
            place,
            tags,
        } => {
            if let Some(code) = refuse_existing(outfile.as_deref(), force) {
                return code;
            }
            let tags = tags.tags();
            let format = match out {
                EvalOut::Orc => Format::Orc,
                EvalOut::Json => Format::Json,
                EvalOut::Yaml => Format::Yaml,
            };
            emit_each(
                Request {
                    paths: or_cwd(files),
                    expr: None,
                    mode: ExportMode::Eval,
                    format,
                    exit_after: true,
                    tags,
                    concrete,
                    show_hidden: show_hidden || all,
                },
                expr,
                schema,
                place,
                Output {
                    file: outfile.as_deref(),
                    escape: false,
                },
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
        Cmd::Fmt { paths, check, diff } => {
            let mode = match (check, diff) {
                (_, true) => cli::fmt::Mode::Diff,
                (true, false) => cli::fmt::Mode::Check,
                (false, false) => cli::fmt::Mode::Write,
            };
            let done = cli::fmt::fmt(&paths, mode);
            render(&done.sources, &done.diags);
            if write_output(None, &done.stdout) != ExitCode::SUCCESS {
                return ExitCode::from(2);
            }
            ExitCode::from(done.code)
        }
        Cmd::Lsp => {
            orche::eval::keep_arenas();
            let (conn, io) = lsp_server::Connection::stdio();
            let served = orche::lsp::serve(&conn);
            drop(conn);
            let joined = io.join();
            match (served, joined) {
                (Ok(()), Ok(())) => ExitCode::SUCCESS,
                (Err(e), _) => {
                    eprintln!("orche lsp: {e}");
                    ExitCode::FAILURE
                }
                (_, Err(e)) => {
                    eprintln!("orche lsp: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Vet {
            files,
            format,
            strict,
            schema,
            place,
            concrete,
            tags,
        } => {
            let format = match format {
                VetFormat::Text => cli::vet::VetFormat::Text,
                VetFormat::Json => cli::vet::VetFormat::Json,
                VetFormat::Github => cli::vet::VetFormat::Github,
                VetFormat::Gitlab => cli::vet::VetFormat::Gitlab,
                VetFormat::Sarif => cli::vet::VetFormat::Sarif,
            };
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let data = cli::vet::DataArgs {
                placement: place.placement(),
                schemas: schema,
            };
            let done = cli::vet::vet(
                &or_cwd(files),
                format,
                strict,
                color,
                &data,
                &tags.tags(),
                concrete,
            );
            eprint!("{}", done.stderr);
            if write_output(None, &done.stdout) != ExitCode::SUCCESS {
                return ExitCode::from(2);
            }
            ExitCode::from(done.code)
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
    render(&done.sources, &done.warnings);
    render(&done.sources, &done.diags);
    if let Some(text) = &done.stdout {
        if write_output(outfile, text) != ExitCode::SUCCESS {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::from(done.code)
}

/// `--probes` takes one federation: at most one `-e`.
fn one_expr(mut exprs: Vec<String>) -> Option<Option<String>> {
    if exprs.len() > 1 {
        eprintln!("orche: --probes takes one -e expression");
        return None;
    }
    Some(exprs.pop())
}

/// [`emit`] once per `-e` expression (once for the whole value without one). With several,
/// each value is printed in turn as cue does: JSON and text one after the other, YAML
/// documents separated by `---`, `eval` output after a `// expr` line; a failing expression
/// is reported and the others still printed (exit 1).
/// Where `emit_each` writes, and whether JSON is HTML-escaped (`--escape`).
struct Output<'a> {
    file: Option<&'a Path>,
    escape: bool,
}

impl Output<'_> {
    /// Writes `text`, escaped as Go's `json.HTMLEscape` does when asked (in JSON these
    /// characters only occur inside strings, so the text can be rewritten as it is).
    fn write(&self, format: Format, text: &str) -> ExitCode {
        if self.escape && format == Format::Json {
            let escaped = text
                .replace('&', "\\u0026")
                .replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('\u{2028}', "\\u2028")
                .replace('\u{2029}', "\\u2029");
            return write_output(self.file, &escaped);
        }
        write_output(self.file, text)
    }
}

fn emit_each(
    req: Request,
    exprs: Vec<String>,
    schema: Vec<String>,
    place: PlaceArgs,
    output: Output,
) -> ExitCode {
    if !schema.is_empty() {
        if !exprs.is_empty() {
            eprintln!("orche: -d/--schema cannot be combined with -e");
            return ExitCode::FAILURE;
        }
        let outcome = compile::export_data(&req, &place.placement(), &schema);
        if !outcome.diags.is_empty() {
            render(&outcome.sources, &outcome.diags);
            return ExitCode::FAILURE;
        }
        return output.write(req.format, &outcome.output.unwrap_or_default());
    }
    if exprs.len() <= 1 {
        return emit(
            Request {
                expr: exprs.into_iter().next(),
                ..req
            },
            place,
            output,
        );
    }
    let mut text = String::new();
    let mut failed = false;
    for (i, e) in exprs.iter().enumerate() {
        let outcome = compile::run_placed(
            &Request {
                expr: Some(e.clone()),
                ..req.clone()
            },
            &place.clone().placement(),
        );
        if !outcome.diags.is_empty() {
            render(&outcome.sources, &outcome.diags);
            failed = true;
            continue;
        }
        let out = outcome.output.unwrap_or_default();
        match (req.mode, req.format) {
            (ExportMode::Eval, Format::Orc) => {
                text.push_str(&format!("// {e}\n"));
            }
            (_, Format::Yaml) if i > 0 && !text.is_empty() => text.push_str("---\n"),
            _ => {}
        }
        text.push_str(&out);
    }
    let written = output.write(req.format, &text);
    if failed {
        ExitCode::FAILURE
    } else {
        written
    }
}

fn emit(req: Request, place: PlaceArgs, output: Output) -> ExitCode {
    let outcome = compile::run_placed(&req, &place.placement());
    if !outcome.diags.is_empty() {
        render(&outcome.sources, &outcome.diags);
        return ExitCode::FAILURE;
    }
    let text = outcome.output.unwrap_or_default();
    output.write(req.format, &text)
}

/// cue's rule for `-o`: an existing file is not replaced without `--force` (a FIFO or device,
/// such as /dev/null, is written to). The error, when there is one, is printed here.
fn refuse_existing(outfile: Option<&Path>, force: bool) -> Option<ExitCode> {
    let path = outfile?;
    let exists = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    (exists && !force).then(|| {
        eprintln!(
            "orche: error writing {:?}: file already exists (use --force to replace it)",
            path.display().to_string()
        );
        ExitCode::FAILURE
    })
}

/// cue takes `-t`/`--inject` before the command too (`cue -t x eval`): it is moved after the
/// command, where the commands declare it. Other arguments keep their order.
fn hoist_globals(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut hoisted = Vec::new();
    let mut rest = Vec::new();
    let mut it = args.into_iter();
    let program = it.next();
    let mut command = None;
    while let Some(a) = it.next() {
        let s = a.to_string_lossy().into_owned();
        match s.as_str() {
            "-t" | "--inject" => {
                hoisted.push(a);
                hoisted.extend(it.next());
            }
            _ if s.starts_with("--inject=") || (s.starts_with("-t") && s.len() > 2) => {
                hoisted.push(a)
            }
            "--max-steps" | "--max-memory" => {
                rest.push(a);
                rest.extend(it.next());
            }
            _ if s.starts_with('-') => rest.push(a),
            _ => {
                command = Some(a);
                break;
            }
        }
    }
    let Some(command) = command else {
        // No command: nothing to move after it; clap reports what is missing.
        return program.into_iter().chain(rest).chain(hoisted).collect();
    };
    program
        .into_iter()
        .chain(rest)
        .chain(std::iter::once(command))
        .chain(hoisted)
        .chain(it)
        .collect()
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
    // A file rewritten in place (`orche fmt`) keeps its permissions.
    let perms = std::fs::metadata(path).ok().map(|m| m.permissions());
    let result = std::fs::write(&tmp, text)
        .and_then(|_| match perms {
            Some(p) => std::fs::set_permissions(&tmp, p),
            None => Ok(()),
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Prints diagnostics to standard error (colour only on a terminal, never with NO_COLOR).
fn render(sources: &SourceMap, diags: &[Diag]) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    eprint!("{}", orche::render::text::render(sources, diags, color));
}
