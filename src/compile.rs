//! The library's front door: load → lower → evaluate → emit, for one invocation. The CLI and
//! (later) the language server call this; it returns text or diagnostics and never prints.
//! Invariant: the same request gives byte-identical output.

use crate::diag::Diag;
use crate::eval::{self, ExportMode};
use crate::export;
use crate::load::args::Instance;
use crate::load::cache::ParseCache;
use crate::load::module::Module;
use crate::lower::{self, Program};
use crate::source::{SourceMap, Span};
use crate::syntax;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

mod packages;
mod place;
mod schema;
pub use place::{export_data, vet_data};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Orc,
    /// cue's `--out text`: a string value printed as it is; any other value is an error.
    Text,
    /// No text at all: the problems of a concrete value only (`orche vet`, the editor's
    /// checks); the output is empty when there are none.
    Diagnostics,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub paths: Vec<PathBuf>,
    pub expr: Option<String>,
    /// Concrete (export, vet) or incomplete allowed (eval).
    pub mode: ExportMode,
    pub format: Format,
    /// The process exits right after this request: the evaluation is not freed (at 50,000
    /// resources freeing the arena costs a tenth of a second). The CLI sets it; a long-lived
    /// caller (the language server) must not.
    pub exit_after: bool,
    /// `-t key=value` / `-t name` arguments: `@tag` injection and `@if` selection
    /// (`load::tags`).
    pub tags: crate::load::tags::Tags,
    /// With `ExportMode::Eval`: every regular value must still be concrete (`eval -c`); the
    /// output stays in the eval format. Ignored by the concrete mode, which always checks.
    pub concrete: bool,
    /// With `ExportMode::Eval` and the orche text format: hidden fields are printed too
    /// (`eval -H`, `-a`); cue leaves them out by default.
    pub show_hidden: bool,
}

impl Request {
    /// A check of a package that is not a command line's (the editor's texts, a data
    /// document): a concrete value in `format` (`Json`, or `Diagnostics` for the problems
    /// only), no tags, kept alive after.
    pub(crate) fn check(format: Format) -> Request {
        Request {
            paths: Vec::new(),
            expr: None,
            mode: ExportMode::Concrete,
            format,
            exit_after: false,
            tags: Default::default(),
            concrete: true,
            show_hidden: false,
        }
    }
}

pub struct Outcome {
    pub sources: SourceMap,
    /// The rendered output when there were no errors.
    pub output: Option<String>,
    pub diags: Vec<Diag>,
    /// `orche::lint::…` warnings about the input package (empty when it did not lower). Only
    /// `orche vet` and the editor show them.
    pub warnings: Vec<Diag>,
    /// The input package's resolved references (for go to definition).
    pub refs: Vec<lower::Reference>,
    /// Wall-clock time of each phase that ran, in order (`examples/phases.rs` prints them).
    pub timings: Timings,
}

impl Outcome {
    /// A request that stopped with `diags` before producing anything.
    pub(crate) fn failed(sources: SourceMap, diags: Vec<Diag>, timings: Timings) -> Outcome {
        Outcome {
            sources,
            output: None,
            diags,
            warnings: Vec::new(),
            refs: Vec::new(),
            timings,
        }
    }
}

/// Phase name → elapsed time, in the order the phases ran.
pub type Timings = Vec<(&'static str, Duration)>;

/// Records the time since the previous mark under `phase`.
struct Clock {
    last: Instant,
    timings: Timings,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            last: Instant::now(),
            timings: Vec::new(),
        }
    }

    fn mark(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.timings.push((phase, now - self.last));
        self.last = now;
    }
}

pub fn run(req: &Request) -> Outcome {
    run_placed(req, &crate::load::data::Placement::default())
}

/// [`run`], with each data document placed at the path `placement`'s label expressions give
/// (`-l`, docs/data-files.md).
pub fn run_placed(req: &Request, placement: &crate::load::data::Placement) -> Outcome {
    let emit =
        |ev: &mut eval::Evaluated, at, clock: &mut Clock| match report_and_emit(req, ev, at, clock)
        {
            Ok(text) => (Some(text), Vec::new()),
            Err(diags) => (None, diags),
        };
    let (mut sources, instances, clock) = match load_instances(&req.paths) {
        Ok(x) => x,
        Err(outcome) => return outcome,
    };
    // Each instance (several for `./...` or several directories) evaluated on its own and
    // printed in turn, as `cue` prints them.
    let separator = match (req.mode, req.format) {
        (_, Format::Json | Format::Text | Format::Diagnostics) => "",
        (_, Format::Yaml) => "---\n",
        (_, Format::Orc) => "// ---\n",
    };
    let mut all = Outcome {
        sources: SourceMap::new(),
        output: Some(String::new()),
        diags: Vec::new(),
        warnings: Vec::new(),
        refs: Vec::new(),
        timings: Vec::new(),
    };
    for (i, inst) in instances.into_iter().enumerate() {
        let o = evaluate_instance(
            sources,
            inst,
            placement,
            &req.tags,
            req.expr.as_deref(),
            req.exit_after,
            Clock::new(),
            emit,
        );
        sources = o.sources;
        all.diags.extend(o.diags);
        all.warnings.extend(o.warnings);
        all.refs.extend(o.refs);
        all.timings.extend(o.timings);
        all.output = match (all.output, o.output) {
            // The first instance's text is taken as it is, not copied (it may be 100 MB).
            (Some(_), Some(more)) if i == 0 => Some(more),
            (Some(mut text), Some(more)) => {
                if i > 0 {
                    text.push_str(separator);
                }
                text.push_str(&more);
                Some(text)
            }
            _ => None,
        };
    }
    all.sources = sources;
    all.timings.insert(
        0,
        (
            "parse",
            clock.timings.first().map_or(Duration::ZERO, |t| t.1),
        ),
    );
    all
}

/// Reads the command-line arguments into package instances (`load::args`); an outcome with
/// the problems when there are any.
fn load_instances(paths: &[PathBuf]) -> Result<(SourceMap, Vec<Instance>, Clock), Outcome> {
    let mut clock = Clock::new();
    let mut sources = SourceMap::new();
    let (instances, diags) = crate::load::args::load_instances(paths, &mut sources);
    clock.mark("parse");
    if !diags.is_empty() {
        return Err(Outcome::failed(sources, diags, clock.timings));
    }
    Ok((sources, instances, clock))
}

/// `evaluate_files` on one instance, its imports resolved in its module.
fn evaluate_instance(
    mut sources: SourceMap,
    mut inst: Instance,
    placement: &crate::load::data::Placement,
    tags: &crate::load::tags::Tags,
    expr: Option<&str>,
    exit_after: bool,
    clock: Clock,
    f: impl FnOnce(&mut eval::Evaluated, eval::VId, &mut Clock) -> (Option<String>, Vec<Diag>),
) -> Outcome {
    let module = inst.module.clone();
    let (files, mut tag_diags) = crate::load::tags::apply(inst.files, &sources, tags);
    let (mut files, embed_diags) = crate::load::embed::apply(
        files,
        &mut sources,
        crate::load::embed::module_for(&inst.module, inst.from_files),
    );
    tag_diags.extend(embed_diags);
    if !tag_diags.is_empty() {
        return Outcome::failed(sources, tag_diags, clock.timings);
    }
    // Data read against the schema (`json+pb:`, `.textproto`) first.
    let (decoded, diags) = place::decode_data(
        sources,
        &files,
        module.as_deref(),
        &mut inst.data,
        placement,
        &[],
    );
    sources = decoded;
    if !diags.is_empty() {
        return Outcome::failed(sources, diags, clock.timings);
    }
    match place::place_all(inst.data, placement, &mut sources) {
        Ok(placed) => files.extend(placed),
        Err(diags) => return Outcome::failed(sources, diags, clock.timings),
    }
    evaluate_files(
        sources,
        files.into_iter().map(Rc::new).collect(),
        Vec::new(),
        expr.map(Select::Text),
        exit_after,
        module.as_deref(),
        clock,
        f,
    )
}

/// Loads, lowers and evaluates `paths` (and `expr` in the package's scope), then hands the
/// evaluation and the selected vertex to `f`. Load, syntax and lowering problems end the
/// request before `f` runs.
fn with_evaluation(
    paths: &[PathBuf],
    expr: Option<&str>,
    exit_after: bool,
    f: impl FnOnce(&mut eval::Evaluated, eval::VId, &mut Clock) -> (Option<String>, Vec<Diag>),
) -> Outcome {
    let placement = crate::load::data::Placement::default();
    let tags = crate::load::tags::Tags::default();
    with_evaluation_placed(paths, &placement, &tags, expr, exit_after, f)
}

/// [`with_evaluation`], data documents placed as `placement` says and `-t` tags applied to
/// the parsed files (`load::tags`).
fn with_evaluation_placed(
    paths: &[PathBuf],
    placement: &crate::load::data::Placement,
    tags: &crate::load::tags::Tags,
    expr: Option<&str>,
    exit_after: bool,
    f: impl FnOnce(&mut eval::Evaluated, eval::VId, &mut Clock) -> (Option<String>, Vec<Diag>),
) -> Outcome {
    let (sources, mut instances, clock) = match load_instances(paths) {
        Ok(x) => x,
        Err(outcome) => return outcome,
    };
    if instances.len() != 1 {
        return Outcome {
            sources,
            output: None,
            diags: vec![Diag::new(
                "orche::load::several_packages",
                format!(
                    "the arguments name {} packages; this command takes one",
                    instances.len()
                ),
            )
            .with_help("name one directory, file set or import path")],
            warnings: Vec::new(),
            refs: Vec::new(),
            timings: clock.timings,
        };
    }
    let inst = instances.remove(0);
    evaluate_instance(sources, inst, placement, tags, expr, exit_after, clock, f)
}

/// The value an evaluation hands on: an expression's (as text, or already parsed), or the
/// root's when there is none.
enum Select<'a> {
    Text(&'a str),
    Ast(syntax::ast::Expr),
}

/// Checks a package given as texts, as `orche vet` checks files: the language server's view
/// of a package (its open documents as edited, the other files as on disk). A text that does
/// not parse is left out, its syntax errors reported, and the rest of the package is still
/// evaluated, so that its problems stay visible while one file is being typed. The output is
/// the exported JSON when there are no errors.
pub fn check_texts(texts: &[(String, String)]) -> Outcome {
    check_texts_as(texts, Format::Json, None)
}

/// [`check_texts`] for the problems only: the output is empty (no JSON is written), as the
/// language server needs it.
pub fn diagnose_texts(texts: &[(String, String)]) -> Outcome {
    check_texts_as(texts, Format::Diagnostics, None)
}

/// [`diagnose_texts`], the texts unchanged since the last call with the same `cache` not
/// parsed again (`load::cache`): the language server's check of a package after an edit
/// parses the edited file only. The outcome is the same as without the cache.
pub fn diagnose_texts_with(texts: &[(String, String)], cache: &mut ParseCache) -> Outcome {
    check_texts_as(texts, Format::Diagnostics, Some(cache))
}

fn check_texts_as(
    texts: &[(String, String)],
    format: Format,
    cache: Option<&mut ParseCache>,
) -> Outcome {
    let mut clock = Clock::new();
    let (mut sources, files, syntax) = parse_texts(texts, cache);
    clock.mark("parse");
    let module = texts_module(texts, &mut sources);
    evaluate_files(
        sources,
        files,
        syntax,
        None,
        false,
        module.as_ref(),
        clock,
        |ev, at, clock| {
            let req = Request::check(format);
            match report_and_emit(&req, ev, at, clock) {
                Ok(json) => (Some(json), Vec::new()),
                Err(diags) => (None, diags),
            }
        },
    )
}

/// The module the first text's file lies in (`load::module`), for the imports of a package
/// given as texts; a module file with errors counts as none here (the CLI reports it).
fn texts_module(texts: &[(String, String)], sources: &mut SourceMap) -> Option<Module> {
    let dir = std::path::Path::new(&texts.first()?.0).parent()?;
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    crate::load::module::find(dir, sources).ok().flatten()
}

/// Parses `(name, text)` pairs, through `cache` when there is one: the sources, the files
/// that parse, the syntax errors of the others. Without a cache the trees are the caller's
/// alone, freed when it drops them (before evaluation).
fn parse_texts(
    texts: &[(String, String)],
    cache: Option<&mut ParseCache>,
) -> (SourceMap, Vec<Rc<syntax::ast::File>>, Vec<Diag>) {
    let mut sources = SourceMap::new();
    let mut syntax = Vec::new();
    let files = match cache {
        Some(cache) => cache.parse(texts, &mut sources, &mut syntax),
        None => ParseCache::new().parse(texts, &mut sources, &mut syntax),
    };
    (sources, files, syntax)
}

/// Evaluates a package given as texts and hands the evaluation and its root to `f`; `None`
/// when the package does not lower (syntax errors of single files leave those files out).
fn with_texts<T>(
    texts: &[(String, String)],
    f: impl FnOnce(&mut eval::Evaluated, eval::VId) -> Option<T>,
) -> Option<T> {
    with_texts_and_sources(texts, f).0
}

/// [`with_texts`], also returning the files of the evaluation (the package's and the
/// standard library's), for places in what `f` found.
fn with_texts_and_sources<T>(
    texts: &[(String, String)],
    f: impl FnOnce(&mut eval::Evaluated, eval::VId) -> Option<T>,
) -> (Option<T>, SourceMap) {
    let (mut sources, files, _) = parse_texts(texts, None);
    let module = texts_module(texts, &mut sources);
    let mut result = None;
    let outcome = evaluate_files(
        sources,
        files,
        Vec::new(),
        None,
        false,
        module.as_ref(),
        Clock::new(),
        |ev, at, _| {
            result = f(ev, at);
            (None, Vec::new())
        },
    );
    (result, outcome.sources)
}

/// The vertex at a data path (field names from the root), if each is a regular field.
fn follow(ev: &mut eval::Evaluated, at: eval::VId, path: &[String]) -> Option<eval::VId> {
    path.iter().try_fold(at, |v, name| ev.field(v, name))
}

/// The evaluated value at a data path of a package given as texts, printed as `orche eval`
/// prints it; `None` when the package does not lower or the path names no regular field. The
/// language server's hover.
pub fn value_at(texts: &[(String, String)], path: &[String]) -> Option<String> {
    with_texts(texts, |ev, at| {
        let v = follow(ev, at, path)?;
        eval::finalize_optional(ev, v);
        Some(export::orc::print(&ev.ctx, v))
    })
}

/// What the language server's hover shows of the field at a data path.
pub struct Hover {
    /// The files of the evaluation (the package's texts and the standard library's), for
    /// the places in `declarations`.
    pub sources: SourceMap,
    /// The value printed as `orche eval` prints it, defaults resolved as `orche export`
    /// resolves them (`export::orc::print_resolved`).
    pub value: String,
    /// The value before its default was taken (`int & >0 | *5`), when the field's own value
    /// is a disjunction with a default.
    pub disjunction: Option<String>,
    /// The type of a value that is not concrete (`int` for `int & >0`); `None` for concrete
    /// values, structs and lists.
    pub kind: Option<String>,
    /// The expressions unified into the field, and those of the values they reference
    /// (`Evaluated::declarations`), in the order the evaluator met them.
    pub declarations: Vec<Span>,
}

/// The hover of the field at a data path of a package given as texts; `None` as for
/// [`value_at`].
pub fn hover_at(texts: &[(String, String)], path: &[String]) -> Option<Hover> {
    let (found, sources) = with_texts_and_sources(texts, |ev, at| hover_of(ev, at, path));
    let (value, disjunction, kind, declarations) = found?;
    Some(Hover {
        sources,
        value,
        disjunction,
        kind,
        declarations,
    })
}

type HoverParts = (String, Option<String>, Option<String>, Vec<Span>);

fn hover_of(ev: &mut eval::Evaluated, at: eval::VId, path: &[String]) -> Option<HoverParts> {
    let (last, parents) = path.split_last()?;
    let parent = follow(ev, at, parents)?;
    let arc = ev.field_arc(parent, last)?;
    let v = ev.ctx.deref(arc);
    eval::finalize_optional(ev, v);
    let value = export::orc::print_resolved(&ev.ctx, v);
    let plain = export::orc::print(&ev.ctx, v);
    let vx = ev.ctx.v(v);
    let disjunction = (plain != value
        && (vx.alts().is_some() || matches!(vx.base, eval::Val::Disj(_))))
    .then(|| plain.trim_end().to_string());
    let kind = eval::type_of_incomplete(&ev.ctx, v);
    Some((value, disjunction, kind, ev.declarations(arc)))
}

/// The required fields the struct at a data path lacks, each with a value to write for it
/// (`eval::placeholder`; `None` when none is obvious); `None` as for [`value_at`]. The
/// language server's "add the missing required fields".
pub fn missing_required(
    texts: &[(String, String)],
    path: &[String],
) -> Option<Vec<(String, Option<String>, String)>> {
    with_texts(texts, |ev, at| {
        let v = follow(ev, at, path)?;
        let missing = ev.missing_required(v);
        Some(
            missing
                .into_iter()
                .map(|(name, a)| {
                    let shown = export::orc::print(&ev.ctx, a);
                    let ty = shown.split_whitespace().collect::<Vec<_>>().join(" ");
                    (name, eval::placeholder(&ev.ctx, a), ty)
                })
                .collect(),
        )
    })
}

/// A field a struct has or allows, for the language server's completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    /// Declared optional and not set: allowed, absent unless written.
    pub optional: bool,
    /// Its value (or type) printed on one line, cut after 80 characters.
    pub value: String,
}

/// The fields the struct at a data path has or allows; `None` as for [`value_at`].
pub fn fields_at(texts: &[(String, String)], path: &[String]) -> Option<Vec<FieldInfo>> {
    with_texts(texts, |ev, at| {
        let v = follow(ev, at, path)?;
        let fields = ev.declared_fields(v);
        Some(
            fields
                .into_iter()
                .map(|(name, optional, vid)| {
                    // The first lines are enough for 80 characters: a large value is not
                    // printed whole.
                    let (shown, cut) = export::orc::print_prefix(&ev.ctx, vid, 2048);
                    let mut value = shown.split_whitespace().collect::<Vec<_>>().join(" ");
                    if cut || value.chars().count() > 80 {
                        value = value.chars().take(79).collect::<String>() + "…";
                    }
                    FieldInfo {
                        name,
                        optional,
                        value,
                    }
                })
                .collect(),
        )
    })
}

/// Lowers and evaluates parsed `files`, then hands the evaluation to `f`; `prior` problems
/// (syntax errors of files left out) are reported first and do not stop the evaluation.
fn evaluate_files(
    mut sources: SourceMap,
    files: Vec<Rc<syntax::ast::File>>,
    prior: Vec<Diag>,
    expr: Option<Select<'_>>,
    exit_after: bool,
    module: Option<&Module>,
    mut clock: Clock,
    f: impl FnOnce(&mut eval::Evaluated, eval::VId, &mut Clock) -> (Option<String>, Vec<Diag>),
) -> Outcome {
    let mut diags = Vec::new();
    let mut files = files;
    let root_span = files.first().map(|f| f.span).unwrap_or_default();
    let parsed = match expr {
        Some(Select::Text(text)) => {
            let id = sources.add("<expression>", text);
            match syntax::parse_expr(id, text) {
                Ok(e) => {
                    // As cue does for `-e`: builtin packages the expression names
                    // (`strings.ToUpper(x)`) are imported for it, in a file of their own put
                    // first (the expression sees the first file's imports).
                    if let Some(f) = place::expression_imports(&e, &files) {
                        files.insert(0, Rc::new(f));
                    }
                    Some(e)
                }
                Err(es) => {
                    diags.extend(es);
                    None
                }
            }
        }
        Some(Select::Ast(e)) => Some(e),
        None => None,
    };
    let mut prog = Program::default();
    let refs: Vec<&syntax::ast::File> = files.iter().map(|f| &**f).collect();
    let loader = packages::lower_imports(&mut prog, &refs, module, &mut sources, &mut diags);
    let (root, lowered) = lower::lower_package(&mut prog, &refs, root_span);
    // The expression's own imports are used by it, not by the package's files.
    let expression_file = parsed.as_ref().map(|e| e.span.file);
    diags.extend(lowered.diags.into_iter().filter(|d| {
        !(d.code == "orche::load::unused_import"
            && d.labels.first().map(|l| l.span.file) == expression_file)
    }));
    let warnings = lowered.warnings;
    let references = lowered.refs;
    let expr = parsed.map(|e| {
        let (x, ds) = lower::lower_expr_in_root(&mut prog, &e, &refs);
        diags.extend(ds);
        x
    });
    clock.mark("lower");
    // The AST is not needed any more: its memory is free for evaluation (but for the trees a
    // `ParseCache` keeps for the next check).
    drop(refs);
    drop(files);
    clock.mark("free-ast");
    if !diags.is_empty() {
        let mut all = prior;
        all.extend(diags);
        return Outcome {
            sources,
            output: None,
            diags: all,
            warnings,
            refs: references,
            timings: clock.timings,
        };
    }
    // A budget that runs out (`limit`) abandons the evaluation: its diagnostic is the result.
    let run = crate::limit::catch(|| {
        let mut ev = eval::evaluate(&prog, root, Some(&loader));
        ev.ctx.sources = Some(&sources);
        let at = match expr {
            Some(x) => eval::evaluate_in_root(&mut ev, x),
            None => ev.root,
        };
        clock.mark("eval");
        let result = f(&mut ev, at, &mut clock);
        if exit_after {
            std::mem::forget(ev);
        }
        result
    });
    let (output, found) = run.unwrap_or_else(|d| (None, vec![d]));
    let mut diags = prior;
    diags.extend(found);
    if exit_after {
        std::mem::forget(prog);
    }
    Outcome {
        sources,
        output,
        diags,
        warnings,
        refs: references,
        timings: clock.timings,
    }
}

/// The errors of the evaluated value, or its rendering. Exporting concrete JSON or YAML walks
/// the tree once: the walk that collects the errors also produces the output (JSON is written
/// straight from the vertices, without a `Value` tree).
fn report_and_emit(
    req: &Request,
    ev: &mut eval::Evaluated,
    at: eval::VId,
    clock: &mut Clock,
) -> Result<String, Vec<Diag>> {
    if req.format == Format::Text {
        let mut errs = Vec::new();
        let v = eval::export_value(&ev.ctx, at, ExportMode::Concrete, &mut errs);
        clock.mark("export");
        let diags = eval::report_to_diags(&ev.ctx, errs);
        if !diags.is_empty() {
            return Err(diags);
        }
        return match v {
            Some(crate::value::Value::Str(text)) => Ok(format!("{text}\n")),
            Some(other) => {
                let d = Diag::new(
                    "orche::export::text",
                    format!(
                        "cannot use value {} (type {}) as string",
                        eval::builtins::show(&other),
                        other.kind_name()
                    ),
                );
                Err(vec![match &req.expr {
                    Some(e) => d.with_path(e.clone()),
                    None => d,
                }])
            }
            None => Err(vec![Diag::new(
                "orche::export::text",
                "the value has no text form",
            )]),
        };
    }
    if req.mode == ExportMode::Concrete && req.format != Format::Orc {
        let mut errs = Vec::new();
        let text = if req.format == Format::Json {
            // Straight from the vertices to text.
            let mut w = export::json::JsonWriter::new();
            let ok = eval::export_to(&ev.ctx, at, ExportMode::Concrete, &mut errs, &mut w);
            ok.then(|| w.finish())
        } else if req.format == Format::Diagnostics {
            // The same walk for its errors, writing nothing.
            let sink = &mut crate::value::NullSink::new();
            let ok = eval::export_to(&ev.ctx, at, ExportMode::Concrete, &mut errs, sink);
            ok.then(String::new)
        } else {
            eval::export_value(&ev.ctx, at, ExportMode::Concrete, &mut errs)
                .map(|v| export::yaml::to_string(&v))
        };
        clock.mark("export");
        let diags = eval::report_to_diags(&ev.ctx, errs);
        match text {
            Some(text) if diags.is_empty() => return Ok(text),
            _ => return Err(diags),
        }
    }
    let mut diags = eval::diagnostics(ev, req.mode, at);
    if req.mode == ExportMode::Eval && at != ev.root && diags.is_empty() {
        // `eval -e x`: a selected value that is an error (an undefined field, an operand not
        // concrete) fails, as with cue, where `eval` of the whole package prints it.
        let v = ev.ctx.deref(at);
        if let Some(b) = ev.ctx.v(v).err.clone() {
            diags = eval::report_to_diags(&ev.ctx, vec![(v, b)]);
        }
    }
    if let Some(e) = &req.expr {
        // Errors of the expression's own value are at its path, as cue names them.
        for d in diags.iter_mut().filter(|d| d.path.is_empty()) {
            d.path = e.trim().to_string();
        }
    }
    if req.mode == ExportMode::Eval && req.expr.is_none() {
        // Errors anywhere in the package count, not only below the selected value (a data
        // document unified with a `-d` schema).
        let mut all = eval::diagnostics(ev, ExportMode::Eval, ev.root);
        for d in diags {
            if !all.contains(&d) {
                all.push(d);
            }
        }
        diags = all;
    }
    if req.mode == ExportMode::Eval && req.concrete {
        // `eval -c`: what export would report about the selected value.
        for d in eval::diagnostics(ev, ExportMode::Concrete, at) {
            if !diags.contains(&d) {
                diags.push(d);
            }
        }
    }
    clock.mark("report");
    if !diags.is_empty() {
        return Err(diags);
    }
    let output = match (req.mode, req.format) {
        (ExportMode::Eval, Format::Orc) => {
            eval::finalize_optional(ev, at);
            export::orc::print_eval(&ev.ctx, at, req.show_hidden, !req.concrete)
        }
        _ => {
            let mut errs = Vec::new();
            // eval's CUE text is handled above: what is left is concrete data (`export
            // --out cue` among it).
            match eval::export_value(&ev.ctx, at, ExportMode::Concrete, &mut errs) {
                Some(v) if errs.is_empty() => match req.format {
                    Format::Yaml => export::yaml::to_string(&v),
                    Format::Orc => export::orc::data(&v),
                    _ => export::json::to_string(&v),
                },
                _ => return Err(eval::report_to_diags(&ev.ctx, errs)),
            }
        }
    };
    clock.mark("emit");
    Ok(output)
}

/// What `orche graph` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Json,
    Dot,
    Mermaid,
}

#[derive(Clone, Debug)]
pub struct GraphRequest {
    pub paths: Vec<PathBuf>,
    pub expr: Option<String>,
    pub format: GraphFormat,
    /// As [`Request::exit_after`].
    pub exit_after: bool,
}

/// `orche graph`: finds the federation (or graph) at the selected value and renders its
/// dependency graph. The output is produced whenever the nodes are concrete and every
/// dependency names a node, so that a cycle can be seen; the diagnostics of the federation
/// (a cycle among them) come with it.
pub fn graph(req: &GraphRequest) -> Outcome {
    with_evaluation(
        &req.paths,
        req.expr.as_deref(),
        req.exit_after,
        |ev, at, _| {
            let (graph_at, name) = match find_graph(ev, at, Seek::FederationOrGraph) {
                Ok(x) => x,
                Err(msg) => return (None, vec![Diag::new("orche::graph::not_found", msg)]),
            };
            let diags = eval::diagnostics(ev, ExportMode::Concrete, graph_at.owner);
            let Some(nodes_at) = ev.field(graph_at.graph, "nodes") else {
                return (None, diags);
            };
            let mut errs = Vec::new();
            let nodes = match eval::export_value(&ev.ctx, nodes_at, ExportMode::Concrete, &mut errs)
            {
                Some(v) if errs.is_empty() => v,
                _ => {
                    let mut all = diags;
                    for d in eval::report_to_diags(&ev.ctx, errs) {
                        if !all.contains(&d) {
                            all.push(d);
                        }
                    }
                    return (None, all);
                }
            };
            match export::graph::render(&nodes, name.as_deref(), req.format) {
                Ok(text) => (Some(text), diags),
                Err(msg) => {
                    let mut all = diags;
                    if all.is_empty() {
                        let span = ev.ctx.v(nodes_at).span;
                        all.push(
                            Diag::new("orche::graph::invalid", msg)
                                .with_path(ev.ctx.path(nodes_at))
                                .with_label(span, ""),
                        );
                    }
                    (None, all)
                }
            }
        },
    )
}

/// Where a graph was found: the vertex with `nodes`, and the value it belongs to (whose
/// errors are reported).
struct GraphAt {
    graph: eval::VId,
    owner: eval::VId,
}

/// The graph at `at`: `at` itself when it has `nodes` (a `#FederationGraph` or `#SiteGraph`),
/// its `graph` field when that has them (a `#Federation`), else the one field of `at` that is
/// such a value. Returns the federation's `name` when there is one.
/// What `find_graph` looks for, for its messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seek {
    FederationOrGraph,
    Federation,
}

fn find_graph(
    ev: &mut eval::Evaluated,
    at: eval::VId,
    seek: Seek,
) -> Result<(GraphAt, Option<String>), String> {
    fn direct(ev: &mut eval::Evaluated, v: eval::VId) -> Option<(GraphAt, Option<String>)> {
        if let Some(g) = ev.field(v, "graph") {
            if ev.field(g, "nodes").is_some() {
                let name = ev.field(v, "name").and_then(|n| {
                    let mut errs = Vec::new();
                    match eval::export_value(&ev.ctx, n, ExportMode::Concrete, &mut errs) {
                        Some(crate::value::Value::Str(s)) => Some(s),
                        _ => None,
                    }
                });
                return Some((GraphAt { graph: g, owner: v }, name));
            }
        }
        if ev.field(v, "nodes").is_some() {
            return Some((GraphAt { graph: v, owner: v }, None));
        }
        None
    }
    if let Some(found) = direct(ev, at) {
        return Ok(found);
    }
    let mut found = Vec::new();
    for (name, v) in ev.regular_fields(at) {
        if let Some(g) = direct(ev, v) {
            found.push((name, g));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 if seek == Seek::Federation => Err(
            "no federation found: expected a value with `graph.nodes` and `sites` (a \
                  federation.#Federation), or one field holding one; choose one with -e"
                .into(),
        ),
        0 => Err(
            "no federation or dependency graph found: expected a value with `graph.nodes` \
                  (a federation.#Federation) or `nodes` (a graph), or one field holding one; \
                  choose one with -e"
                .into(),
        ),
        _ => Err(format!(
            "several {} found ({}): choose one with -e",
            if seek == Seek::Federation {
                "federations"
            } else {
                "federations or graphs"
            },
            found
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The kinds table of `orche/actions`, evaluated from the embedded stdlib.
pub fn kinds() -> Result<crate::state::kinds::Kinds, Vec<Diag>> {
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    let Some(files) = crate::load::stdlib_package("orche/actions", &mut sources, &mut diags) else {
        return Err(vec![Diag::new(
            "orche::state::no_actions",
            "the standard library has no orche/actions package",
        )]);
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut prog = Program::default();
    let refs: Vec<&syntax::ast::File> = files.iter().collect();
    let (root, lowered) = lower::lower_package(&mut prog, &refs, Span::default());
    if !lowered.diags.is_empty() {
        return Err(lowered.diags);
    }
    let mut ev = eval::evaluate(&prog, root, None);
    let mut errs = Vec::new();
    let value = ev
        .field(ev.root, "kinds")
        .and_then(|k| eval::export_value(&ev.ctx, k, ExportMode::Concrete, &mut errs));
    if !errs.is_empty() {
        return Err(eval::report_to_diags(&ev.ctx, errs));
    }
    let value = value.ok_or_else(|| {
        vec![Diag::new(
            "orche::state::no_actions",
            "orche/actions has no concrete `kinds`",
        )]
    })?;
    crate::state::kinds::Kinds::from_value(&value).map_err(|m| {
        vec![Diag::new(
            "orche::state::bad_actions",
            format!("orche/actions: {m}"),
        )]
    })
}

/// What the state commands (`export --probes`, `drift`, `plan`) start from.
pub struct StateInput {
    pub sources: SourceMap,
    /// The federation's declared resources, when it evaluated without errors.
    pub declared: Option<crate::state::declared::Declared>,
    pub kinds: crate::state::kinds::Kinds,
    pub diags: Vec<Diag>,
}

/// Evaluates `paths`, finds the federation (as `orche graph` does) and reads its declared
/// resources. Any error of the federation's value ends the request.
pub fn declared(paths: &[PathBuf], expr: Option<&str>, exit_after: bool) -> StateInput {
    let kinds = match kinds() {
        Ok(k) => k,
        Err(diags) => {
            return StateInput {
                sources: SourceMap::new(),
                declared: None,
                kinds: Default::default(),
                diags,
            }
        }
    };
    let mut found = None;
    let outcome = with_evaluation(paths, expr, exit_after, |ev, at, _| {
        let (graph_at, _) = match find_graph(ev, at, Seek::Federation) {
            Ok(x) => x,
            Err(msg) => return (None, vec![Diag::new("orche::state::no_federation", msg)]),
        };
        if graph_at.owner == graph_at.graph {
            return (
                None,
                vec![Diag::new(
                    "orche::state::no_federation",
                    "found a dependency graph, not a federation: probes and plans need a \
                     federation.#Federation (sites with resources)",
                )],
            );
        }
        let diags = eval::diagnostics(ev, ExportMode::Concrete, graph_at.owner);
        if !diags.is_empty() {
            return (None, diags);
        }
        // Only the parts probes and plans read: exporting the whole federation would copy
        // every resource again (`total_resources`, the graph's nodes and analyses).
        let mut errs = Vec::new();
        let mut parts = indexmap::IndexMap::new();
        for path in [&["name"][..], &["sites"], &["levels"]] {
            let mut at = Some(graph_at.owner);
            for f in path {
                at = at.and_then(|v| ev.field(v, f));
            }
            let Some(at) = at else {
                continue;
            };
            let Some(v) = eval::export_value(&ev.ctx, at, ExportMode::Concrete, &mut errs) else {
                continue;
            };
            let key = path.join(".");
            parts.insert(key, v);
        }
        if !errs.is_empty() {
            return (None, eval::report_to_diags(&ev.ctx, errs));
        }
        let span = ev.ctx.v(graph_at.owner).span;
        found = Some((parts, span, ev.ctx.path(graph_at.owner)));
        (None, Vec::new())
    });
    let mut diags = outcome.diags;
    let mut declared = None;
    if let Some((v, span, path)) = found {
        match crate::state::declared::Declared::from_parts(v, &kinds) {
            Ok(d) => declared = Some(d),
            Err(m) => diags.push(
                Diag::new("orche::state::bad_federation", m)
                    .with_path(path)
                    .with_label(span, "this federation"),
            ),
        }
    }
    StateInput {
        sources: outcome.sources,
        declared,
        kinds,
        diags,
    }
}

/// One side of `orche diff`: the concrete value `orche export` would print (as data), or the
/// diagnostics that stop it.
pub struct ValueInput {
    pub sources: SourceMap,
    pub value: Option<crate::value::Value>,
    pub diags: Vec<Diag>,
}

/// Evaluates `paths` (and `expr`) as `orche export` does and returns the concrete value as
/// data. Safe to call from several threads at once: each call owns its evaluation.
pub fn value(paths: &[PathBuf], expr: Option<&str>, exit_after: bool) -> ValueInput {
    let mut found = None;
    let outcome = with_evaluation(paths, expr, exit_after, |ev, at, _| {
        let mut errs = Vec::new();
        let v = eval::export_value(&ev.ctx, at, ExportMode::Concrete, &mut errs);
        let diags = eval::report_to_diags(&ev.ctx, errs);
        if diags.is_empty() {
            found = v;
        }
        (None, diags)
    });
    ValueInput {
        sources: outcome.sources,
        value: found,
        diags: outcome.diags,
    }
}
