//! Data files as input: JSON, JSON lines, YAML (with several documents) and TOML, read into
//! the AST of a file whose spans point into the data text registered in the `SourceMap`, so
//! lowering, evaluation and error rendering treat data as they treat source. Also the
//! command-line side of inputs: file-type qualifiers (`yaml: FILE`, which apply to every
//! following argument until the next one) and `-` for standard input. See docs/data-files.md.
//!
//! Invariant: every span made here indexes the data file's own text, on char boundaries;
//! numbers keep their exact value (big integers, decimals as written); malformed input is a
//! `Diag` with the data file's line and column, never a panic.

use crate::diag::Diag;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{self, Decl, Expr, ExprKind};
use std::path::{Path, PathBuf};

/// How an input is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// orche/CUE source.
    Source,
    Json,
    /// One JSON value after another (`.jsonl`, `.ndjson`).
    Jsonl,
    Yaml,
    Toml,
}

impl Kind {
    /// The kind a file's extension names; `Source` for anything else.
    pub fn of_path(p: &Path) -> Kind {
        match p.extension().and_then(|x| x.to_str()) {
            Some("json") => Kind::Json,
            Some("jsonl" | "ndjson") => Kind::Jsonl,
            Some("yaml" | "yml") => Kind::Yaml,
            Some("toml") => Kind::Toml,
            _ => Kind::Source,
        }
    }

    /// The kind a qualifier (`json:`) names.
    fn of_tag(tag: &str) -> Option<Kind> {
        Some(match tag {
            "cue" | "orc" | "data" | "graph" => Kind::Source,
            "json" => Kind::Json,
            "jsonl" | "ndjson" => Kind::Jsonl,
            "yaml" | "yml" => Kind::Yaml,
            "toml" => Kind::Toml,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Json => "JSON",
            Kind::Jsonl => "JSON lines",
            Kind::Yaml => "YAML",
            Kind::Toml => "TOML",
        }
    }
}

/// The documents of one data file (a YAML stream or a JSON-lines file has several; an empty
/// YAML file has one, `null`).
#[derive(Clone, Debug)]
pub struct DataFile {
    /// The name the file was given as (`-` for standard input).
    pub name: String,
    pub file: FileId,
    pub kind: Kind,
    pub docs: Vec<Expr>,
}

/// Where `-l`/`--path` places each data document: label expressions evaluated against the
/// document (or, with `with_context`, against `{filename, index, recordCount, data}`).
#[derive(Clone, Debug, Default)]
pub struct Placement {
    pub labels: Vec<String>,
    pub with_context: bool,
    /// `--list`: the documents that land at one path are the elements of a list there (at the
    /// root without `-l`), in argument order, instead of being unified.
    pub list: bool,
}

impl Placement {
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && !self.list
    }
}

/// The command-line inputs sorted out: source paths (for the package loader), source read
/// from standard input, and data files read and converted.
#[derive(Default)]
pub struct Inputs {
    pub sources: Vec<PathBuf>,
    pub stdin_source: Vec<ast::File>,
    pub data: Vec<DataFile>,
    /// Arguments that were data or standard input (read or not).
    pub other: usize,
}

/// Whether an argument is a file-type qualifier (`json:`): its kind, or `None` for a path.
/// A qualifier naming no known type is an error.
fn qualifier(arg: &Path) -> Option<Result<Kind, String>> {
    let s = arg.to_str()?;
    let tag = s.strip_suffix(':')?;
    if tag.is_empty() || tag.contains(['/', '.', ':']) {
        return None;
    }
    Some(Kind::of_tag(tag).ok_or_else(|| tag.to_string()))
}

/// Whether the arguments name any data file (by extension or qualifier).
pub fn any_data(paths: &[PathBuf]) -> bool {
    paths.iter().any(|p| {
        matches!(qualifier(p), Some(Ok(k)) if k != Kind::Source)
            || (qualifier(p).is_none() && Kind::of_path(p) != Kind::Source)
    })
}

/// Sorts the arguments out and reads the data files (and standard input). A qualifier applies
/// to every argument after it until the next qualifier, as in `cue`; `-` without one is source.
pub fn split_inputs(paths: &[PathBuf], sources: &mut SourceMap, diags: &mut Vec<Diag>) -> Inputs {
    let mut out = Inputs::default();
    let mut forced: Option<Kind> = None;
    // `data:` / `graph:`: CUE source read in cue's data or graph mode (`source_mode`).
    let mut mode: Option<&'static str> = None;
    let mut pending_qualifier = false;
    for p in paths {
        match qualifier(p) {
            Some(Ok(k)) => {
                forced = Some(k);
                mode = match p.to_str() {
                    Some("data:") => Some("data"),
                    Some("graph:") => Some("graph"),
                    _ => None,
                };
                pending_qualifier = true;
                continue;
            }
            Some(Err(tag)) => {
                diags.push(
                    Diag::new(
                        "orche::load::qualifier",
                        format!("unknown file type qualifier {tag:?}:"),
                    )
                    .with_help(
                        "qualifiers are cue:, data:, graph:, json:, jsonl:, yaml:, toml: \
                         (`yaml: FILE`)",
                    ),
                );
                continue;
            }
            None => {}
        }
        pending_qualifier = false;
        let stdin = p.as_os_str() == "-";
        if stdin
            || mode.is_some()
            || forced.is_some_and(|k| k != Kind::Source)
            || Kind::of_path(p) != Kind::Source
        {
            out.other += 1;
        }
        let kind = forced.unwrap_or_else(|| {
            if stdin {
                Kind::Source
            } else {
                Kind::of_path(p)
            }
        });
        if kind == Kind::Source {
            if stdin {
                if let Some(text) = read_stdin(diags) {
                    if let Some(f) = super::parse_text("-".into(), text, sources, diags) {
                        out.stdin_source.push(f);
                    }
                }
            } else if let Some(mode) = mode {
                let text = super::read_text(p, diags);
                if let Some(f) =
                    text.and_then(|t| super::parse_text(p.display().to_string(), t, sources, diags))
                {
                    source_mode(&f, mode, diags);
                    out.stdin_source.push(f);
                }
            } else {
                out.sources.push(p.clone());
            }
            continue;
        }
        let name = p.display().to_string();
        let text = if stdin {
            read_stdin(diags)
        } else {
            super::read_text(p, diags)
        };
        let Some(text) = text else { continue };
        let id = sources.add(name.clone(), text);
        let text = sources.get(id).text.clone();
        let docs = match kind {
            Kind::Json => json_docs(id, &text, false),
            Kind::Jsonl => json_docs(id, &text, true),
            Kind::Yaml => yaml_docs(id, &text),
            Kind::Toml => toml_doc(id, &text).map(|e| vec![e]),
            Kind::Source => unreachable!("handled above"),
        };
        match docs {
            Ok(docs) => out.data.push(DataFile {
                name,
                file: id,
                kind,
                docs,
            }),
            Err(d) => diags.push(d),
        }
    }
    if pending_qualifier {
        diags.push(
            Diag::new(
                "orche::load::qualifier",
                "a file type qualifier must be followed by a file",
            )
            .with_help("write the qualifier as its own argument before the file: `yaml: FILE`"),
        );
    }
    out
}

/// cue's file forms `data:` and `graph:` for CUE source: no definitions and no expressions
/// (operators, calls, comprehensions, interpolations, defaults) in either, and in data mode no
/// references either (`int` among them). Each one found is an `orche::load::data_mode` error
/// at it, in cue's words.
fn source_mode(file: &ast::File, mode: &'static str, diags: &mut Vec<Diag>) {
    fn err(diags: &mut Vec<Diag>, what: &str, mode: &str, span: Span) {
        diags.push(
            Diag::new(
                "orche::load::data_mode",
                format!("{what} not allowed in {mode} mode"),
            )
            .with_label(span, what),
        );
    }
    fn decls(ds: &[Decl], mode: &'static str, diags: &mut Vec<Diag>) {
        for d in ds {
            match d {
                Decl::Field(f) => {
                    match &f.label.kind {
                        ast::LabelKind::Ident(i) if i.name.starts_with('#') => {
                            err(diags, "definitions", mode, f.label.span)
                        }
                        ast::LabelKind::Ident(_) | ast::LabelKind::String(_) => {}
                        _ => err(diags, "expressions", mode, f.label.span),
                    }
                    expr(&f.value, mode, diags);
                }
                Decl::Embed(e) => expr(e, mode, diags),
                Decl::Let(l) => err(diags, "expressions", mode, l.span),
                Decl::Ellipsis(_, span) => err(diags, "expressions", mode, *span),
                Decl::Comprehension(c) => err(diags, "expressions", mode, c.span),
            }
        }
    }
    fn expr(e: &Expr, mode: &'static str, diags: &mut Vec<Diag>) {
        match &e.kind {
            ExprKind::Ident(_) | ExprKind::Selector(..) if mode == "data" => {
                err(diags, "references", mode, e.span)
            }
            ExprKind::Ident(_) | ExprKind::Selector(..) => {}
            ExprKind::Struct(ds) => decls(ds, mode, diags),
            ExprKind::List(items) => {
                for it in items {
                    match it {
                        ast::ListElem::Expr(x) => expr(x, mode, diags),
                        ast::ListElem::Comprehension(c) => err(diags, "expressions", mode, c.span),
                        ast::ListElem::Ellipsis(_, span) => err(diags, "expressions", mode, *span),
                    }
                }
            }
            ExprKind::Unary(ast::UnaryOp::Neg | ast::UnaryOp::Plus, x)
                if matches!(x.kind, ExprKind::Int(_) | ExprKind::Float(_)) => {}
            ExprKind::Paren(x) => expr(x, mode, diags),
            ExprKind::Bottom
            | ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::String(_)
            | ExprKind::Bytes(_) => {}
            _ => err(diags, "expressions", mode, e.span),
        }
    }
    decls(&file.decls, mode, diags);
}

/// Standard input as text (at most `limit::MAX_INPUT` bytes, UTF-8).
fn read_stdin(diags: &mut Vec<Diag>) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(crate::limit::MAX_INPUT + 1)
        .read_to_end(&mut bytes)
    {
        diags.push(Diag::new(
            "orche::load::io",
            format!("cannot read standard input: {e}"),
        ));
        return None;
    }
    if bytes.len() as u64 > crate::limit::MAX_INPUT {
        diags.push(Diag::new(
            "orche::limit::input_size",
            format!(
                "-: standard input is over the limit of {} for one input",
                crate::limit::human(crate::limit::MAX_INPUT)
            ),
        ));
        return None;
    }
    super::utf8_text("-", bytes, diags)
}

/// A data document as the declarations of a file: a struct's fields, or the value embedded.
pub fn doc_file(doc: Expr) -> ast::File {
    let span = doc.span;
    let decls = match doc.kind {
        ExprKind::Struct(decls) => decls,
        _ => vec![Decl::Embed(doc)],
    };
    ast::File {
        package: None,
        imports: Vec::new(),
        decls,
        span,
    }
}

/// A field `key: value` of a data struct (a regular field, whatever the key looks like).
pub fn field(key: String, key_span: Span, value: Expr) -> Decl {
    let span = key_span.to(value.span);
    Decl::Field(ast::Field {
        label: ast::Label {
            alias: None,
            value_alias: None,
            kind: ast::LabelKind::String(key),
            span: key_span,
        },
        constraint: ast::Constraint::Regular,
        value,
        span,
    })
}

/// The value of a regular field of a data struct, by name.
pub fn lookup<'a>(doc: &'a Expr, name: &str) -> Option<&'a Expr> {
    let ExprKind::Struct(decls) = &doc.kind else {
        return None;
    };
    decls.iter().find_map(|d| match d {
        Decl::Field(f) => match &f.label.kind {
            ast::LabelKind::String(s) if s == name => Some(&f.value),
            _ => None,
        },
        _ => None,
    })
}

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

/// A number literal from decimal text with an optional leading sign: `-` becomes a negation,
/// as in source.
fn number(text: &str, float: bool, span: Span) -> Expr {
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lit = if float {
        ExprKind::Float(digits.to_string())
    } else {
        ExprKind::Int(digits.to_string())
    };
    let e = mk(lit, span);
    if neg {
        mk(ExprKind::Unary(ast::UnaryOp::Neg, Box::new(e)), span)
    } else {
        e
    }
}

fn data_error(kind: Kind, file: FileId, at: usize, msg: impl Into<String>) -> Diag {
    let msg = msg.into();
    let code = match kind {
        Kind::Yaml => "orche::load::yaml",
        Kind::Toml => "orche::load::toml",
        Kind::Json | Kind::Jsonl | Kind::Source => "orche::load::json",
    };
    Diag::new(code, format!("invalid {}: {msg}", kind.name()))
        .with_label(Span::new(file, at, at), msg)
}

/// How deep data may nest (the parser's own limit for source).
const MAX_DEPTH: usize = crate::syntax::MAX_NESTING;

// ---------------------------------------------------------------------------------------
// JSON

struct Json<'a> {
    file: FileId,
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    kind: Kind,
}

/// The documents of a JSON file (exactly one value) or a JSON-lines file (any number).
pub fn json_docs(file: FileId, text: &str, lines: bool) -> Result<Vec<Expr>, Diag> {
    let kind = if lines { Kind::Jsonl } else { Kind::Json };
    let mut p = Json {
        file,
        text,
        b: text.as_bytes(),
        pos: 0,
        kind,
    };
    let mut docs = Vec::new();
    loop {
        p.ws();
        if p.pos >= p.b.len() {
            break;
        }
        if !lines && !docs.is_empty() {
            return Err(p.unexpected("after top-level value"));
        }
        docs.push(p.value(0)?);
    }
    if docs.is_empty() && !lines {
        return Err(p.err("unexpected end of JSON input"));
    }
    Ok(docs)
}

impl Json<'_> {
    fn err(&self, msg: impl Into<String>) -> Diag {
        data_error(self.kind, self.file, self.pos, msg)
    }

    fn unexpected(&self, context: &str) -> Diag {
        match self.text[self.pos..].chars().next() {
            None => self.err("unexpected end of JSON input"),
            Some(c) => self.err(format!("invalid character {c:?} {context}")),
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start, self.pos)
    }

    fn value(&mut self, depth: usize) -> Result<Expr, Diag> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.pos;
        match self.b.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                let mut decls = Vec::new();
                self.ws();
                if self.b.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(mk(ExprKind::Struct(decls), self.span(start)));
                }
                loop {
                    self.ws();
                    if self.b.get(self.pos) != Some(&b'"') {
                        return Err(self.unexpected("looking for beginning of object key string"));
                    }
                    let kstart = self.pos;
                    let key = self.string()?;
                    let kspan = self.span(kstart);
                    self.ws();
                    if self.b.get(self.pos) != Some(&b':') {
                        return Err(self.unexpected("after object key"));
                    }
                    self.pos += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    decls.push(field(key, kspan, v));
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(mk(ExprKind::Struct(decls), self.span(start)));
                        }
                        _ => return Err(self.unexpected("after object key:value pair")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut elems = Vec::new();
                self.ws();
                if self.b.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(mk(ExprKind::List(elems), self.span(start)));
                }
                loop {
                    self.ws();
                    elems.push(ast::ListElem::Expr(self.value(depth + 1)?));
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(mk(ExprKind::List(elems), self.span(start)));
                        }
                        _ => return Err(self.unexpected("after array element")),
                    }
                }
            }
            Some(b'"') => {
                let s = self.string()?;
                Ok(mk(ExprKind::String(s), self.span(start)))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't' | b'f' | b'n') => {
                for (word, kind) in [
                    ("true", ExprKind::Bool(true)),
                    ("false", ExprKind::Bool(false)),
                    ("null", ExprKind::Null),
                ] {
                    if self.text[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(mk(kind, self.span(start)));
                    }
                }
                self.pos += 1;
                while self.b.get(self.pos).is_some_and(u8::is_ascii_alphabetic) {
                    self.pos += 1;
                }
                Err(self.unexpected("in literal (expecting true, false or null)"))
            }
            _ => Err(self.unexpected("looking for beginning of value")),
        }
    }

    fn digits(&mut self) -> usize {
        let s = self.pos;
        while self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - s
    }

    fn number(&mut self) -> Result<Expr, Diag> {
        let start = self.pos;
        if self.b[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("in numeric literal")),
        }
        let mut float = false;
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            float = true;
            if self.digits() == 0 {
                return Err(self.unexpected("after decimal point in numeric literal"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.pos) {
            self.pos += 1;
            float = true;
            if let Some(b'+' | b'-') = self.b.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("in exponent of numeric literal"));
            }
        }
        let span = self.span(start);
        Ok(number(&self.text[start..self.pos], float, span))
    }

    /// A string literal at `pos` (on its opening quote), decoded.
    fn string(&mut self) -> Result<String, Diag> {
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            match self.b.get(self.pos) {
                None => return Err(self.err("unexpected end of JSON input")),
                Some(b'"') => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    let c = match self.b.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.text[self.pos..].starts_with("\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                            run = self.pos;
                            continue;
                        }
                        _ => return Err(self.unexpected("in string escape code")),
                    };
                    out.push(c);
                    self.pos += 1;
                    run = self.pos;
                }
                Some(c) if *c < 0x20 => {
                    return Err(self.unexpected("in string literal"));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Diag> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self
                .b
                .get(self.pos)
                .and_then(|c| (*c as char).to_digit(16))
                .ok_or_else(|| self.unexpected("in \\u hexadecimal character escape"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}

// ---------------------------------------------------------------------------------------
// YAML

/// The documents of a YAML stream. An empty stream is one `null` document.
pub fn yaml_docs(file: FileId, text: &str) -> Result<Vec<Expr>, Diag> {
    let mut docs = yaml::docs(file, text)?;
    if docs.is_empty() {
        // An empty stream is `null`, as in cue.
        docs.push(mk(ExprKind::Null, Span::new(file, 0, 0)));
    }
    Ok(docs)
}

// ---------------------------------------------------------------------------------------
// TOML

/// A TOML document as one struct.
pub fn toml_doc(file: FileId, text: &str) -> Result<Expr, Diag> {
    use toml::de::{DeTable, DeValue};
    let table = DeTable::parse(text).map_err(|e| {
        let at = e.span().map(|r| r.start).unwrap_or(0);
        let msg = e.message().trim_end().to_string();
        data_error(Kind::Toml, file, clamp(text, at), msg)
    })?;
    fn value(file: FileId, text: &str, v: &toml::Spanned<DeValue<'_>>) -> Result<Expr, Diag> {
        let r = v.span();
        let span = Span::new(file, clamp(text, r.start), clamp(text, r.end));
        Ok(match v.get_ref() {
            DeValue::String(s) => mk(ExprKind::String(s.to_string()), span),
            DeValue::Boolean(b) => mk(ExprKind::Bool(*b), span),
            DeValue::Integer(i) => {
                let digits = i.as_str();
                let n = num_bigint::BigInt::parse_bytes(digits.as_bytes(), i.radix()).ok_or_else(
                    || data_error(Kind::Toml, file, span.start as usize, "bad integer"),
                )?;
                number(&n.to_string(), false, span)
            }
            DeValue::Float(f) => {
                let t: String = f.as_str().chars().filter(|c| *c != '_').collect();
                if t.contains("inf") || t.contains("nan") {
                    return Err(data_error(
                        Kind::Toml,
                        file,
                        span.start as usize,
                        format!("{t}: infinity and NaN are not numbers in orche (nor in CUE)"),
                    ));
                }
                number(&t, true, span)
            }
            // As cue reads them: the date-time as written.
            DeValue::Datetime(d) => mk(ExprKind::String(d.to_string()), span),
            DeValue::Array(a) => {
                let mut elems = Vec::new();
                for x in a {
                    elems.push(ast::ListElem::Expr(value(file, text, x)?));
                }
                mk(ExprKind::List(elems), span)
            }
            DeValue::Table(t) => table_expr(file, text, t, span)?,
        })
    }
    fn table_expr(file: FileId, text: &str, t: &DeTable<'_>, span: Span) -> Result<Expr, Diag> {
        let mut decls = Vec::new();
        for (k, v) in t {
            let kr = k.span();
            let kspan = Span::new(file, clamp(text, kr.start), clamp(text, kr.end));
            decls.push(field(k.get_ref().to_string(), kspan, value(file, text, v)?));
        }
        Ok(mk(ExprKind::Struct(decls), span))
    }
    let r = table.span();
    let span = Span::new(file, clamp(text, r.start), clamp(text, r.end));
    table_expr(file, text, table.get_ref(), span)
}

/// `at` moved back to a char boundary of `text` (and into it).
fn clamp(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

mod yaml;

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Expr {
        let mut docs = json_docs(FileId(0), text, false).expect("parses");
        docs.remove(0)
    }

    #[test]
    fn json_strings_decode_escapes_and_surrogates() {
        let e = one(r#""a\/b\u00e9\ud83d\ude00\n""#);
        assert!(matches!(e.kind, ExprKind::String(ref s) if s == "a/bé😀\n"));
    }

    #[test]
    fn json_numbers_keep_their_text() {
        let e = one("123456789012345678901234567890");
        assert!(matches!(e.kind, ExprKind::Int(ref s) if s == "123456789012345678901234567890"));
        let e = one("-1.50e3");
        let ExprKind::Unary(ast::UnaryOp::Neg, inner) = e.kind else {
            panic!("negation expected")
        };
        assert!(matches!(inner.kind, ExprKind::Float(ref s) if s == "1.50e3"));
    }

    #[test]
    fn json_errors_point_at_the_offending_byte() {
        let err = json_docs(FileId(0), "{\"a\": [1,]}", false).unwrap_err();
        assert_eq!(err.labels[0].span.start, 9);
        assert!(err.message.contains("looking for beginning of value"));
        let err = json_docs(FileId(0), "{} {}", false).unwrap_err();
        assert!(err.message.contains("after top-level value"));
    }

    #[test]
    fn qualifiers_apply_until_the_next() {
        assert!(matches!(
            qualifier(Path::new("yaml:")),
            Some(Ok(Kind::Yaml))
        ));
        assert!(matches!(qualifier(Path::new("xml:")), Some(Err(_))));
        assert!(qualifier(Path::new("./a:")).is_none());
        assert!(any_data(&[PathBuf::from("x.yml")]));
        assert!(!any_data(&[PathBuf::from("x.cue")]));
    }
}
