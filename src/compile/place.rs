//! Data documents into the evaluation: placing each at the path its `-l` label expressions
//! give (`orche export -l`, with `--with-context`), and `orche vet` of data files, each
//! document checked on its own against the package's root or the `-d` expressions (CUE's
//! `vet -d`). See docs/data-files.md. Invariant: documents are placed and checked in argument
//! order, and a label that does not evaluate to a string is an error naming the data file.

use super::{evaluate_files, report_and_emit, Clock, Outcome, Request, Select};
use crate::diag::Diag;
use crate::eval::{self, ExportMode};
use crate::load::data::{self, DataFile, Placement};
use crate::lower::{self, Program};
use crate::source::{SourceMap, Span};
use crate::syntax::{self, ast};
use crate::value::Value;
use std::path::PathBuf;
use std::rc::Rc;

/// Every data document as a file of the package, placed as `placement` says.
pub(super) fn place_all(
    data: Vec<DataFile>,
    placement: &Placement,
    sources: &mut SourceMap,
) -> Result<Vec<ast::File>, Vec<Diag>> {
    let mut out = Vec::new();
    if placement.is_empty() {
        for d in data {
            out.extend(d.docs.into_iter().map(data::doc_file));
        }
        return Ok(out);
    }
    let labels = parse_labels(placement, sources)?;
    let mut diags = Vec::new();
    for d in data {
        // With `--list`: the documents of each label path, in the order the paths first
        // appear; one list per data file, as cue makes them (two files' lists at one path
        // are unified, element by element).
        let mut lists: Vec<(Vec<(String, Span)>, Vec<ast::Expr>)> = Vec::new();
        let count = d.docs.len();
        for (index, doc) in d.docs.into_iter().enumerate() {
            let ctx = (d.name.as_str(), index, count, placement.with_context);
            match place_labels(ctx, &doc, &labels) {
                Ok(names) if placement.list => {
                    let key: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
                    match lists
                        .iter_mut()
                        .find(|(k, _)| k.iter().map(|(n, _)| n.as_str()).eq(key.iter().copied()))
                    {
                        Some((_, docs)) => docs.push(doc),
                        None => lists.push((names, vec![doc])),
                    }
                }
                Ok(names) => out.push(data::doc_file(wrap(names, doc))),
                Err(e) => diags.push(e),
            }
        }
        for (names, docs) in lists {
            let span = docs[0].span.to(docs[docs.len() - 1].span);
            let list = ast::Expr {
                kind: ast::ExprKind::List(docs.into_iter().map(ast::ListElem::Expr).collect()),
                span,
            };
            out.push(data::doc_file(wrap(names, list)));
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// `value` wrapped in one field per label, outermost first.
fn wrap(names: Vec<(String, Span)>, value: ast::Expr) -> ast::Expr {
    let mut doc = value;
    for (label, span) in names.into_iter().rev() {
        let outer = doc.span;
        doc = ast::Expr {
            kind: ast::ExprKind::Struct(vec![data::field(label, span, doc)]),
            span: outer,
        };
    }
    doc
}

/// The label expressions, parsed (each registered as a source of its own).
fn parse_labels(
    placement: &Placement,
    sources: &mut SourceMap,
) -> Result<Vec<(String, ast::Expr)>, Vec<Diag>> {
    let mut diags = Vec::new();
    let mut out = Vec::new();
    for text in &placement.labels {
        let id = sources.add("<-l label>", text.clone());
        match syntax::parse_expr(id, text) {
            Ok(e) => out.push((text.clone(), e)),
            Err(es) => diags.extend(es),
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// The labels one document's `-l` expressions give, each with the (empty) span at the start
/// of the document that its field takes. `ctx` is the data file's name, the document's index,
/// the file's document count and `--with-context`.
fn place_labels(
    ctx: (&str, usize, usize, bool),
    doc: &ast::Expr,
    labels: &[(String, ast::Expr)],
) -> Result<Vec<(String, Span)>, Diag> {
    let (name, index, count, with_context) = ctx;
    let span = Span::new(
        doc.span.file,
        doc.span.start as usize,
        doc.span.start as usize,
    );
    let mut names = Vec::new();
    for (text, e) in labels {
        let found = if with_context {
            None
        } else {
            quick_label(doc, e)
        };
        let label = match found {
            Some(s) => s,
            None => eval_label(name, index, count, doc, text, e, with_context)?,
        };
        names.push((label, span));
    }
    Ok(names)
}

/// A label read straight from the document: a string literal, or a field (`name`,
/// `metadata.name`) holding a string. `None` when the expression needs evaluating.
fn quick_label(doc: &ast::Expr, e: &ast::Expr) -> Option<String> {
    fn at<'a>(doc: &'a ast::Expr, e: &ast::Expr) -> Option<&'a ast::Expr> {
        match &e.kind {
            ast::ExprKind::Ident(id) if !id.name.starts_with(['#', '_']) => {
                data::lookup(doc, &id.name)
            }
            ast::ExprKind::Selector(base, id) => data::lookup(at(doc, base)?, &id.name),
            _ => None,
        }
    }
    match &e.kind {
        ast::ExprKind::String(s) => Some(s.clone()),
        _ => match &at(doc, e)?.kind {
            ast::ExprKind::String(s) => Some(s.clone()),
            _ => None,
        },
    }
}

/// Evaluates a label expression against the document (or its context), with the builtin
/// packages it names imported, as `cue` does for `-l`.
fn eval_label(
    name: &str,
    index: usize,
    count: usize,
    doc: &ast::Expr,
    text: &str,
    e: &ast::Expr,
    with_context: bool,
) -> Result<String, Diag> {
    let span = Span::new(
        doc.span.file,
        doc.span.start as usize,
        doc.span.start as usize,
    );
    let scope = if with_context {
        let int = |n: usize| ast::Expr {
            kind: ast::ExprKind::Int(n.to_string()),
            span,
        };
        ast::Expr {
            kind: ast::ExprKind::Struct(vec![
                data::field(
                    "filename".into(),
                    span,
                    ast::Expr {
                        kind: ast::ExprKind::String(name.to_string()),
                        span,
                    },
                ),
                data::field("index".into(), span, int(index)),
                data::field("recordCount".into(), span, int(count)),
                data::field("data".into(), span, doc.clone()),
            ]),
            span,
        }
    } else {
        doc.clone()
    };
    let mut file = data::doc_file(scope);
    let mut used = Vec::new();
    package_names(e, &mut used);
    for name in used {
        let pkg = crate::eval::builtins::packages().find(|p| p.rsplit('/').next() == Some(&name));
        if let Some(pkg) = pkg.filter(|_| !file.decls.iter().any(|d| is_field(d, &name))) {
            file.imports.push(ast::Import {
                alias: None,
                path: pkg.to_string(),
                span,
            });
        }
    }
    let fail = |why: String| {
        Diag::new(
            "orche::load::label",
            format!("{name}: cannot place document {index}: label {text:?} {why}"),
        )
        .with_label(span, "this document")
        .with_help("a -l label is an expression evaluated against each data document (with --with-context: against {filename, index, recordCount, data}); write a literal label in quotes: -l '\"sites\"'")
    };
    let result = crate::limit::catch(|| {
        let mut prog = Program::default();
        let refs = [&file];
        let (root, lowered) = lower::lower_package(&mut prog, &refs, span);
        let (x, ds) = lower::lower_expr_in_root(&mut prog, e, &refs);
        // The imports are the label's, lowered after the document: not unused.
        let mut problems = lowered
            .diags
            .into_iter()
            .filter(|d| d.code != "orche::load::unused_import")
            .chain(ds);
        if let Some(d) = problems.next() {
            return Err(d.message);
        }
        let mut ev = eval::evaluate(&prog, root, None);
        let at = eval::evaluate_in_root(&mut ev, x);
        let mut errs = Vec::new();
        let v = eval::export_value(&ev.ctx, at, ExportMode::Concrete, &mut errs);
        if let Some(d) = eval::report_to_diags(&ev.ctx, errs).into_iter().next() {
            return Err(d.message);
        }
        Ok(v)
    });
    match result {
        Ok(Ok(Some(Value::Str(s)))) => Ok(s),
        Ok(Ok(Some(v))) => Err(fail(format!(
            "is {}, not a string",
            crate::export::json::to_string(&v).trim_end()
        ))),
        Ok(Ok(None)) => Err(fail("has no concrete value".into())),
        Ok(Err(msg)) => Err(fail(format!("does not evaluate: {msg}"))),
        Err(d) => Err(d),
    }
}

fn is_field(d: &ast::Decl, name: &str) -> bool {
    matches!(d, ast::Decl::Field(f) if matches!(&f.label.kind, ast::LabelKind::String(s) if s == name))
}

/// A file holding the imports of the builtin packages that a `-e` expression names as the
/// base of a selector (`yaml` in `yaml.Marshal(x)`) and that no file declares or imports
/// under that name; `None` when there are none. Its span is empty, in the expression's own
/// source (so that its imports are told apart), and its package is the first file's.
pub(super) fn expression_imports(e: &ast::Expr, files: &[Rc<ast::File>]) -> Option<ast::File> {
    let mut used = Vec::new();
    package_names(e, &mut used);
    let span = Span::new(e.span.file, e.span.start as usize, e.span.start as usize);
    let imports: Vec<ast::Import> = used
        .into_iter()
        .filter(|name| {
            !files.iter().any(|f| {
                f.decls.iter().any(|d| declares(d, name))
                    || f.imports.iter().any(|i| import_name(i) == name)
            })
        })
        // `yaml` is `encoding/yaml`: the builtin package whose last path element it is (cue
        // has one for each name).
        .filter_map(|name| {
            crate::eval::builtins::packages()
                .find(|p| p.rsplit('/').next() == Some(name.as_str()))
                .map(|p| ast::Import {
                    alias: None,
                    path: p.to_string(),
                    span,
                })
        })
        .collect();
    (!imports.is_empty()).then(|| ast::File {
        package: files.first().and_then(|f| f.package.clone()),
        imports,
        decls: Vec::new(),
        span,
    })
}

/// Whether `d` is a field named `name` (an identifier or a string label).
fn declares(d: &ast::Decl, name: &str) -> bool {
    let ast::Decl::Field(f) = d else {
        return false;
    };
    match &f.label.kind {
        ast::LabelKind::Ident(i) => i.name == name,
        ast::LabelKind::String(s) => s == name,
        _ => false,
    }
}

/// The name an import declares: its alias, else its path's last element (before `:`/`@`).
fn import_name(i: &ast::Import) -> &str {
    if let Some(a) = &i.alias {
        return &a.name;
    }
    let p = i.path.split([':', '@']).next().unwrap_or(&i.path);
    p.rsplit('/').next().unwrap_or(p)
}

/// The identifiers used as the base of a selector (`strings` in `strings.ToUpper(x)`).
fn package_names(e: &ast::Expr, out: &mut Vec<String>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Selector(base, _) => {
            if let K::Ident(id) = &base.kind {
                if !out.contains(&id.name) {
                    out.push(id.name.clone());
                }
            } else {
                package_names(base, out);
            }
        }
        K::Call(f, args) => {
            package_names(f, out);
            args.iter().for_each(|a| package_names(a, out));
        }
        K::Index(a, b) | K::Binary(_, a, b) => {
            package_names(a, out);
            package_names(b, out);
        }
        K::Unary(_, a) | K::Paren(a) => package_names(a, out),
        K::Interpolation(i) => {
            for p in &i.parts {
                if let ast::InterpPart::Expr(x) = p {
                    package_names(x, out);
                }
            }
        }
        K::List(elems) => {
            for x in elems {
                if let ast::ListElem::Expr(x) = x {
                    package_names(x, out);
                }
            }
        }
        _ => {}
    }
}

/// `orche vet` with data files: each document of each data file is checked on its own,
/// unified with the package's root, or with every `-d` expression when there are any (then
/// the package's root itself is not exported), and must be concrete. `None` when the inputs
/// name no data file (an ordinary vet). Every document's errors are reported.
pub fn vet_data(
    paths: &[PathBuf],
    placement: &Placement,
    schemas: &[String],
    tags: &crate::load::tags::Tags,
) -> Option<Outcome> {
    if !data::any_data(paths) {
        return None;
    }
    let req = Request::check(super::Format::Diagnostics);
    Some(each_document(paths, placement, schemas, tags, &req))
}

/// `orche export|eval -d EXPR` (cue's `--schema`): each document of the data files unified
/// with the `-d` expressions (not with the package's root, which is not printed) and printed in
/// `req`'s mode and format, one after another; every document's errors are reported. As with
/// cue, `-d` takes no `-l` or `--list`, and needs data files.
pub fn export_data(req: &Request, placement: &Placement, schemas: &[String]) -> Outcome {
    let usage = |msg: &str| {
        Outcome::failed(
            SourceMap::new(),
            vec![Diag::new("orche::load::schema", msg)],
            Vec::new(),
        )
    };
    if !placement.is_empty() {
        return usage("cannot combine -d/--schema with -l/--path or --list");
    }
    if !data::any_data(&req.paths) {
        return usage(
            "-d/--schema applies to data files (.json, .yaml, …), and the arguments name none",
        );
    }
    each_document(&req.paths, placement, schemas, &req.tags, req)
}

/// Evaluates each data document on its own (with the package, or against `schemas`) and
/// reports as `req` says: problems only (`Format::Diagnostics`), or each document's output in
/// turn.
fn each_document(
    paths: &[PathBuf],
    placement: &Placement,
    schemas: &[String],
    tags: &crate::load::tags::Tags,
    req: &Request,
) -> Outcome {
    let mut clock = Clock::new();
    let mut sources = SourceMap::new();
    let (mut instances, mut diags) = crate::load::args::load_instances(paths, &mut sources);
    if diags.is_empty() && instances.len() != 1 {
        diags.push(
            Diag::new(
                "orche::load::several_packages",
                format!(
                    "the arguments name {} packages; vet with data files takes one",
                    instances.len()
                ),
            )
            .with_help("name one directory, file set or import path beside the data files"),
        );
    }
    let (files, mut data, module) = match instances.pop() {
        Some(inst) if diags.is_empty() => {
            let (files, tag_diags) = crate::load::tags::apply(inst.files, &sources, tags);
            diags.extend(tag_diags);
            let (files, embed_diags) = crate::load::embed::apply(
                files,
                &mut sources,
                crate::load::embed::module_for(&inst.module, inst.from_files),
            );
            diags.extend(embed_diags);
            (files, inst.data, inst.module)
        }
        _ => (Vec::new(), Vec::new(), None),
    };
    let early = |sources, diags, clock: Clock| Outcome::failed(sources, diags, clock.timings);
    if !diags.is_empty() {
        return early(sources, diags, clock);
    }
    let mut exprs = Vec::new();
    let mut bad = Vec::new();
    for text in schemas {
        let id = sources.add("<-d expression>", text.clone());
        match syntax::parse_expr(id, text) {
            Ok(e) => exprs.push(e),
            Err(es) => bad.extend(es),
        }
    }
    if !bad.is_empty() {
        return early(sources, bad, clock);
    }
    // Data read against the schema (`json+pb:`, `.textproto`): the `-d` expressions, else the
    // package's root.
    let (decoded, diags) = decode_data(
        sources,
        &files,
        module.as_deref(),
        &mut data,
        placement,
        &exprs,
    );
    sources = decoded;
    if !diags.is_empty() {
        return early(sources, diags, clock);
    }
    clock.mark("parse");
    // Shared by every document's evaluation.
    let files: Vec<Rc<ast::File>> = files.into_iter().map(Rc::new).collect();
    // Each document placed (when -l is given) as one file of its own; with --list each data
    // file's documents together, as the list they make.
    let mut docs = Vec::new();
    for d in data {
        if placement.list {
            docs.push(d);
            continue;
        }
        for doc in &d.docs {
            docs.push(DataFile {
                name: d.name.clone(),
                file: d.file,
                kind: d.kind,
                docs: vec![doc.clone()],
                decode: crate::load::data::Decode::None,
            });
        }
    }
    let mut all = Vec::new();
    let mut warnings = Vec::new();
    let mut first = true;
    let mut output = String::new();
    let separator = match req.format {
        super::Format::Yaml => "---\n",
        _ => "",
    };
    for one in docs {
        let placed = if exprs.is_empty() {
            match place_all(vec![one.clone()], placement, &mut sources) {
                Ok(p) => p,
                Err(ds) => {
                    all.extend(ds);
                    continue;
                }
            }
        } else {
            vec![]
        };
        let (pkg, select) = if exprs.is_empty() {
            let mut pkg = files.clone();
            pkg.extend(placed.into_iter().map(Rc::new));
            (pkg, None)
        } else {
            let doc = one.docs.into_iter().next().expect("one document");
            let span = doc.span;
            let both = exprs.iter().cloned().fold(doc, |acc, e| ast::Expr {
                kind: ast::ExprKind::Binary(ast::BinaryOp::And, Box::new(e), Box::new(acc)),
                span,
            });
            (files.clone(), Some(Select::Ast(both)))
        };
        let outcome = evaluate_files(
            sources,
            pkg,
            Vec::new(),
            select,
            false,
            module.as_deref(),
            Clock::new(),
            |ev, at, clock| match report_and_emit(req, ev, at, clock) {
                Ok(text) => (Some(text), Vec::new()),
                Err(diags) => (None, diags),
            },
        );
        if let Some(text) = outcome.output {
            if !output.is_empty() {
                output.push_str(separator);
            }
            output.push_str(&text);
        }
        sources = outcome.sources;
        for d in outcome.diags {
            if !all.contains(&d) {
                all.push(d);
            }
        }
        if first {
            warnings = outcome.warnings;
            first = false;
        }
    }
    clock.mark("eval");
    Outcome {
        sources,
        output: (req.format != super::Format::Diagnostics).then_some(output),
        diags: all,
        warnings,
        refs: Vec::new(),
        timings: clock.timings,
    }
}

/// Reads the data files that depend on the schema (`json+pb:`, `yaml+pb:`, `.textproto`)
/// against it, as cue does: the package is evaluated without them (or the `-d` expressions
/// `schemas` in it), and each document is rewritten (protobuf's JSON mapping) or decoded (text
/// format) by the schema at the place its `-l` labels give (the root without them; a
/// textproto file is always read against the root or the `-d` expressions). The other data
/// files pass unchanged. The problems found are returned beside the sources.
pub(super) fn decode_data(
    mut sources: SourceMap,
    files: &[ast::File],
    module: Option<&crate::load::module::Module>,
    data: &mut [DataFile],
    placement: &Placement,
    schemas: &[ast::Expr],
) -> (SourceMap, Vec<Diag>) {
    use crate::load::data::{pb, textproto, Decode};
    if !data.iter().any(DataFile::needs_schema) {
        return (sources, Vec::new());
    }
    if files.is_empty() && schemas.is_empty() {
        if let Some(d) = data.iter().find(|d| matches!(d.decode, Decode::ProtoJson)) {
            // As cue: protobuf's JSON mapping needs a schema (a textproto file without one
            // keeps no field, as cue's does).
            let diag = Diag::new(
                "orche::load::protobuf",
                format!("{}: no schema specified for protobuf interpretation", d.name),
            )
            .with_help("name the schema's files or package before the data: `orche export schema.cue json+pb: data.json`");
            return (sources, vec![diag]);
        }
    }
    // The labels of every protobuf JSON document, in order.
    let mut paths: Vec<Vec<Vec<String>>> = Vec::new();
    if !placement.labels.is_empty() {
        let labels = match parse_labels(placement, &mut sources) {
            Ok(l) => l,
            Err(diags) => return (sources, diags),
        };
        for d in data.iter() {
            let mut here = Vec::new();
            if matches!(d.decode, Decode::ProtoJson) {
                let count = d.docs.len();
                for (index, doc) in d.docs.iter().enumerate() {
                    let ctx = (d.name.as_str(), index, count, placement.with_context);
                    match place_labels(ctx, doc, &labels) {
                        Ok(names) => here.push(names.into_iter().map(|(n, _)| n).collect()),
                        Err(e) => return (sources, vec![e]),
                    }
                }
            }
            paths.push(here);
        }
    }
    let select = schemas.iter().cloned().reduce(|acc, e| {
        let span = e.span;
        ast::Expr {
            kind: ast::ExprKind::Binary(ast::BinaryOp::And, Box::new(acc), Box::new(e)),
            span,
        }
    });
    let mut found = Vec::new();
    let outcome = evaluate_files(
        sources,
        files.iter().cloned().map(Rc::new).collect(),
        Vec::new(),
        select.map(Select::Ast),
        false,
        module,
        Clock::new(),
        |ev, at, _| {
            let mut s = super::schema::EvalSchema::new(ev);
            for (i, d) in data.iter_mut().enumerate() {
                match &d.decode {
                    Decode::None => {}
                    Decode::ProtoJson => {
                        for (j, doc) in d.docs.iter_mut().enumerate() {
                            let mut node = Some(at);
                            let mut path = Vec::new();
                            if let Some(labels) = paths.get(i).and_then(|p| p.get(j)) {
                                for l in labels {
                                    node = node.and_then(|n| s.ev.field(n, l));
                                    path.push(l.clone());
                                }
                            }
                            if let Some(node) = node {
                                pb::rewrite_json(&mut s, node, doc, &mut path, &mut found);
                            }
                        }
                    }
                    Decode::TextProto(m) => {
                        let m = m.clone();
                        d.docs = vec![textproto::decode(&mut s, at, &m, &mut found)];
                    }
                }
                d.decode = Decode::None;
            }
            (None, Vec::new())
        },
    );
    let mut diags = outcome.diags;
    diags.extend(found);
    (outcome.sources, diags)
}
