//! `orche lsp`: the language server. It owns nothing but the protocol and the open documents;
//! every answer comes from the library (`compile::diagnose_texts` for diagnostics, the syntax tree
//! for the outline, `render::locate` for positions).
//!
//! - Diagnostics: on open and on every change, the whole package the document belongs to is
//!   checked as `orche vet` checks it (errors and `orche::lint::…` warnings), with the open
//!   documents as edited and the package's other files as on disk. Each diagnostic is
//!   published to the file of its first place inside the package, its other places as
//!   related information; files whose diagnostics went away get an empty list. The syntax
//!   trees of the last checked package are kept (`load::cache`): a check parses only the
//!   files whose text changed.
//! - Completion: import paths, a field's string alternatives, a struct's allowed fields
//!   (`lsp/complete.rs`).
//! - Formatting: `orche fmt`'s result, as one edit of the whole document.
//! - Code actions: the `did you mean …?` hints as quick fixes that edit the text; "add the
//!   missing required fields" for a struct that lacks some (`lsp/required.rs`).
//! - Hover: the evaluated value of the field under the cursor, defaults resolved, with its
//!   type where it is not concrete, the doc comments of its declarations and their places
//!   (`lsp/hover.rs`, `compile::hover_at`).
//! - Go to definition: from the references lowering resolved (`compile::Outcome::refs`), kept
//!   per file from its package's last check.
//! - Edits that arrive while a check runs are coalesced: every message waiting is read before
//!   the next check, which always sees the newest text, so an older result is never published
//!   over a newer one.
//! - Positions: UTF-8 when the client offers it (`general.positionEncodings`), else UTF-16.
//! - Places in the embedded standard library point at copies written to a cache directory
//!   (`$XDG_CACHE_HOME/orche/stdlib-VERSION/`, else `~/.cache/…`), so any editor can open them.
//! - A request that fails or panics gets an error response; an unknown method gets
//!   `MethodNotFound`; the server keeps running.

mod complete;
mod hover;
mod required;
mod symbols;

use crate::compile;
use crate::diag::Severity;
use crate::load::cache::ParseCache;
use crate::render::{self, Location};
use crate::source::ColumnUnit;
use indexmap::{IndexMap, IndexSet};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// An open document.
struct Doc {
    text: String,
    /// The file's path for `file:` URIs; `None` for other schemes (an unsaved buffer).
    path: Option<PathBuf>,
}

struct Server {
    unit: ColumnUnit,
    docs: IndexMap<String, Doc>,
    /// Per package (its key), the URIs last given a non-empty diagnostics list.
    published: IndexMap<String, IndexSet<String>>,
    /// Packages whose documents changed since their last check, by key, with one of their URIs.
    dirty: IndexMap<String, String>,
    /// Per file, from its package's last check: each reference's range and the LSP location
    /// of its declaration.
    definitions: IndexMap<String, Vec<(render::Range, Value)>>,
    /// The syntax trees of the last checked package's files, so that a check after an edit
    /// parses only the files whose text changed.
    parsed: ParseCache,
}

/// Serves one client on `conn` until it asks to shut down and exits. Errors are protocol errors
/// (a closed connection, an initialize that is not one).
pub fn serve(conn: &Connection) -> Result<(), String> {
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    let offers_utf8 = params
        .pointer("/capabilities/general/positionEncodings")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|e| e == "utf-8"));
    let unit = if offers_utf8 {
        ColumnUnit::Utf8
    } else {
        ColumnUnit::Utf16
    };
    let result = json!({
        "capabilities": {
            "positionEncoding": if offers_utf8 { "utf-8" } else { "utf-16" },
            "textDocumentSync": {"openClose": true, "change": 1},
            "documentSymbolProvider": true,
            "definitionProvider": true,
            "documentFormattingProvider": true,
            "hoverProvider": true,
            "completionProvider": {"triggerCharacters": ["\"", ":"]},
            "codeActionProvider": {"codeActionKinds": ["quickfix"]},
        },
        "serverInfo": {"name": "orche", "version": env!("CARGO_PKG_VERSION")},
    });
    conn.initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let mut server = Server {
        unit,
        docs: IndexMap::new(),
        published: IndexMap::new(),
        dirty: IndexMap::new(),
        definitions: IndexMap::new(),
        parsed: ParseCache::new(),
    };
    loop {
        // Block for one message, then take every one already waiting: edits typed faster than
        // a check runs collapse into one check of the newest text.
        let Ok(first) = conn.receiver.recv() else {
            return Ok(());
        };
        let mut batch = vec![first];
        while let Ok(m) = conn.receiver.try_recv() {
            batch.push(m);
        }
        for msg in batch {
            match msg {
                Message::Request(req) => {
                    // `shutdown` is answered here; the `exit` that follows may already be in
                    // this batch, so it is not awaited.
                    let resp = if req.method == "shutdown" {
                        Response::new_ok(req.id, Value::Null)
                    } else {
                        server.request(req)
                    };
                    send(conn, Message::Response(resp))?;
                }
                Message::Notification(n) => {
                    if n.method == "exit" {
                        return Ok(());
                    }
                    server.notification(n);
                }
                Message::Response(_) => {}
            }
        }
        for (key, uri) in std::mem::take(&mut server.dirty) {
            for n in server.check(&key, &uri) {
                send(conn, Message::Notification(n))?;
            }
        }
    }
}

fn send(conn: &Connection, m: Message) -> Result<(), String> {
    conn.sender.send(m).map_err(|e| e.to_string())
}

impl Server {
    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.answer(req)));
        match outcome {
            Ok(Ok(v)) => Response::new_ok(id, v),
            Ok(Err((code, msg))) => Response::new_err(id, code as i32, msg),
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                "orche: internal error while answering (this is a bug; please report it)".into(),
            ),
        }
    }

    fn answer(&mut self, req: Request) -> Result<Value, (ErrorCode, String)> {
        let uri = req
            .params
            .pointer("/textDocument/uri")
            .and_then(Value::as_str)
            .map(str::to_string);
        match req.method.as_str() {
            "textDocument/documentSymbol" => {
                let (_, text) = self.document(uri)?;
                Ok(symbols::outline(&text, self.unit))
            }
            "textDocument/hover" => {
                let (uri, text) = self.document(uri)?;
                let offset = self.offset_at(&req.params, &text)?;
                let Some((path, label)) = hover::path_at(&text, offset) else {
                    return Ok(Value::Null);
                };
                let key = self.package_key(&uri);
                let texts = self.package_texts(&key, &uri);
                let Some(found) = compile::hover_at(&texts, &path) else {
                    return Ok(Value::Null);
                };
                let extras = self.hover_extras(&found);
                let value = found.value;
                let mut sources = crate::source::SourceMap::new();
                let id = sources.add(uri.clone(), text);
                let range = lsp_range(&render::location(
                    &sources,
                    crate::source::Span { file: id, ..label },
                    self.unit,
                ));
                Ok(json!({
                    "contents": {"kind": "markdown", "value": hover::markdown(&path, &value, &extras)},
                    "range": range,
                }))
            }
            "textDocument/completion" => {
                let (uri, text) = self.document(uri)?;
                let offset = self.offset_at(&req.params, &text)?;
                let Some((want, blanked)) = complete::want(&text, offset) else {
                    return Ok(json!([]));
                };
                let key = self.package_key(&uri);
                let texts: Vec<(String, String)> = self
                    .package_texts(&key, &uri)
                    .into_iter()
                    .map(|(u, t)| {
                        if u == uri {
                            (u, blanked.clone())
                        } else {
                            (u, t)
                        }
                    })
                    .collect();
                Ok(Value::Array(complete::items(&want, &texts)))
            }
            "textDocument/codeAction" => {
                let (uri, text) = self.document(uri)?;
                let diags = req
                    .params
                    .pointer("/context/diagnostics")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut actions: Vec<Value> = diags
                    .iter()
                    .filter_map(|d| self.quick_fix(&uri, &text, d))
                    .collect();
                actions.extend(self.add_required(&uri, &text, &diags));
                Ok(Value::Array(actions))
            }
            "textDocument/formatting" => {
                // The same result as `orche fmt`: one edit replacing the whole text, none when
                // it is formatted already; a file that does not parse is an error.
                let (_, text) = self.document(uri)?;
                let formatted =
                    crate::fmt::format(crate::source::FileId(0), &text).map_err(|ds| {
                        let why = ds.first().map(|d| d.headline()).unwrap_or_default();
                        (ErrorCode::RequestFailed, format!("not formatted: {why}"))
                    })?;
                if formatted == text {
                    return Ok(json!([]));
                }
                let mut sources = crate::source::SourceMap::new();
                let id = sources.add("doc", text.as_str());
                let whole = render::location(
                    &sources,
                    crate::source::Span::new(id, 0, text.len()),
                    self.unit,
                );
                Ok(json!([{"range": lsp_range(&whole), "newText": formatted}]))
            }
            "textDocument/definition" => {
                let uri = uri.ok_or((ErrorCode::InvalidParams, "no textDocument.uri".into()))?;
                let (line, column) = position(&req.params)?;
                let (line, column) = (line + 1, column + 1);
                let found = self.definitions.get(&uri).and_then(|defs| {
                    defs.iter().find(|(r, _)| {
                        r.start.line == line && r.start.column <= column && column <= r.end.column
                    })
                });
                Ok(found.map(|(_, loc)| loc.clone()).unwrap_or(Value::Null))
            }
            m => Err((ErrorCode::MethodNotFound, format!("unsupported method {m}"))),
        }
    }

    fn notification(&mut self, n: Notification) {
        let p = &n.params;
        let Some(uri) = p.pointer("/textDocument/uri").and_then(Value::as_str) else {
            return;
        };
        let uri = uri.to_string();
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let text = p
                    .pointer("/textDocument/text")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let path = uri_to_path(&uri);
                self.docs.insert(uri.clone(), Doc { text, path });
            }
            "textDocument/didChange" => {
                // Full sync: the last change holds the whole text.
                let text = p
                    .pointer("/contentChanges")
                    .and_then(Value::as_array)
                    .and_then(|c| c.last())
                    .and_then(|c| c.get("text"))
                    .and_then(Value::as_str);
                match (self.docs.get_mut(&uri), text) {
                    (Some(doc), Some(t)) => doc.text = t.to_string(),
                    _ => return,
                }
            }
            "textDocument/didSave" => {}
            "textDocument/didClose" => {
                self.docs.shift_remove(&uri);
            }
            _ => return,
        }
        let key = self.package_key(&uri);
        self.dirty.insert(key, uri);
    }

    /// The document a request is about and its text.
    fn document(&self, uri: Option<String>) -> Result<(String, String), (ErrorCode, String)> {
        let uri = uri.ok_or((ErrorCode::InvalidParams, "no textDocument.uri".into()))?;
        let text = self.text_of(&uri).ok_or((
            ErrorCode::InvalidParams,
            format!("{uri} is not open and cannot be read"),
        ))?;
        Ok((uri, text))
    }

    /// The byte offset in `text` of a request's `position`.
    fn offset_at(&self, params: &Value, text: &str) -> Result<usize, (ErrorCode, String)> {
        let (line, character) = position(params)?;
        Ok(offset_of(text, line, character, self.unit))
    }

    /// The quick fix of a diagnostic whose help says `did you mean `X`?` (a typo'd field, kind
    /// or dependency): the name in the diagnostic's range replaced by X, quotes kept.
    fn quick_fix(&self, uri: &str, text: &str, d: &Value) -> Option<Value> {
        let message = d.get("message")?.as_str()?;
        let rest = &message[message.find("did you mean ")? + "did you mean ".len()..];
        // A value: `did you mean "docker"?` — the quoted value replaces the one written.
        if let Some(quoted) = rest.strip_prefix('"') {
            let value = format!("\"{}\"", &quoted[..quoted.find('"')?]);
            return self.replace_in_range(uri, text, d, None, &value);
        }
        let rest = rest.strip_prefix('`')?;
        let suggestion = &rest[..rest.find('`')?];
        // `did you mean `X` for `Y`?` names the typo; otherwise it is the text in the range.
        let typo = rest
            .find("` for `")
            .and_then(|i| rest[i + 7..].split('`').next());
        self.replace_in_range(uri, text, d, Some(typo), suggestion)
    }

    /// "Add the missing required fields": one action per struct that `field is required but
    /// not present` diagnostics are about, adding every required field it lacks
    /// (`lsp/required.rs`), with those diagnostics.
    fn add_required(&self, uri: &str, text: &str, diags: &[Value]) -> Vec<Value> {
        let mut structs: IndexMap<Vec<String>, Vec<Value>> = IndexMap::new();
        for d in diags {
            let path = d
                .get("message")
                .and_then(Value::as_str)
                .and_then(required::struct_path);
            if let Some(path) = path {
                structs.entry(path).or_default().push(d.clone());
            }
        }
        if structs.is_empty() {
            return Vec::new();
        }
        let key = self.package_key(uri);
        let texts = self.package_texts(&key, uri);
        let mut out = Vec::new();
        for (path, ds) in structs {
            let Some(range) = required::struct_literal(text, &path) else {
                continue;
            };
            let missing = compile::missing_required(&texts, &path).unwrap_or_default();
            if missing.is_empty() {
                continue;
            }
            let Some(new_text) = required::with_fields(text, range, &missing) else {
                continue;
            };
            let names: Vec<&str> = missing.iter().map(|(n, _, _)| n.as_str()).collect();
            let range = json!({
                "start": position_of(text, range.0, self.unit),
                "end": position_of(text, range.1, self.unit),
            });
            out.push(json!({
                "title": format!("Add the missing required fields: {}", names.join(", ")),
                "kind": "quickfix",
                "diagnostics": ds,
                "isPreferred": true,
                "edit": {"changes": {uri: [{"range": range, "newText": new_text}]}},
            }));
        }
        out
    }

    /// The quick fix replacing `typo` in the text of the diagnostic's range by `with` (the
    /// whole text when `typo` is `None`).
    fn replace_in_range(
        &self,
        uri: &str,
        text: &str,
        d: &Value,
        typo: Option<Option<&str>>,
        with: &str,
    ) -> Option<Value> {
        let pos = |k: &str, f: &str| {
            d.pointer(&format!("/range/{k}/{f}"))
                .and_then(Value::as_u64)
                .map(|n| n as usize)
        };
        let start = offset_of(
            text,
            pos("start", "line")?,
            pos("start", "character")?,
            self.unit,
        );
        let end = offset_of(
            text,
            pos("end", "line")?,
            pos("end", "character")?,
            self.unit,
        );
        let written = text.get(start..end.max(start))?;
        let new_text = match typo {
            None if written.starts_with('"') => with.to_string(),
            None => return None,
            Some(typo) => {
                let mut typo = typo.unwrap_or_else(|| written.trim_matches('"'));
                let mut with = with;
                // A dependency written without its site (`db` for `edge/db`).
                if !written.contains(typo) {
                    if let (Some((site, t)), Some((same, w))) =
                        (typo.rsplit_once('/'), with.rsplit_once('/'))
                    {
                        if site == same {
                            (typo, with) = (t, w);
                        }
                    }
                }
                if typo.is_empty() {
                    return None;
                }
                if !written.contains(typo) {
                    // The hint may point at the value (`dbb: true`): the name is the label
                    // before it on the same line.
                    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                    let at = line_start + text[line_start..start].rfind(typo)?;
                    let range = json!({
                        "start": position_of(text, at, self.unit),
                        "end": position_of(text, at + typo.len(), self.unit),
                    });
                    return Some(fix(uri, d, range, with));
                }
                written.replacen(typo, with, 1)
            }
        };
        Some(fix(uri, d, d["range"].clone(), &new_text))
    }

    /// The hover's notes besides the value: the doc comments of the declarations that gave
    /// it and their places (the package's files first, then the standard library's, each in
    /// the order the evaluator met them, one per line).
    fn hover_extras(&self, h: &compile::Hover) -> hover::Extras {
        let mut docs: Vec<String> = Vec::new();
        let mut places: Vec<(bool, hover::Place)> = Vec::new();
        let mut lines: Vec<(crate::source::FileId, usize)> = Vec::new();
        for span in &h.declarations {
            let file = h.sources.get(span.file);
            if file.name == "<expression>" {
                continue;
            }
            let (line, _) = file.line_col(span.start);
            if lines.contains(&(span.file, line)) {
                continue;
            }
            lines.push((span.file, line));
            if let Some(doc) = hover::doc_comment(&file.text, span.start as usize) {
                if !docs.contains(&doc) {
                    docs.push(doc);
                }
            }
            let l = render::location(&h.sources, *span, self.unit);
            let uri = self.uri_of(&l);
            let name = if l.stdlib {
                l.file.clone()
            } else {
                uri_to_path(&uri)
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| l.file.clone())
            };
            let link = uri.starts_with("file://").then(|| format!("{uri}#L{line}"));
            places.push((
                l.stdlib,
                hover::Place {
                    shown: format!("{name}:{line}"),
                    link,
                },
            ));
        }
        places.sort_by_key(|(stdlib, _)| *stdlib);
        hover::Extras {
            disjunction: h.disjunction.clone(),
            kind: h.kind.clone(),
            docs,
            places: places.into_iter().map(|(_, p)| p).collect(),
        }
    }

    /// The text of `uri`: the open document, else the file on disk.
    fn text_of(&self, uri: &str) -> Option<String> {
        match self.docs.get(uri) {
            Some(d) => Some(d.text.clone()),
            None => std::fs::read_to_string(uri_to_path(uri)?).ok(),
        }
    }

    /// The package a document belongs to: its directory and package name; a document with no
    /// package clause, or not a file, is a package of its own.
    fn package_key(&self, uri: &str) -> String {
        let Some(path) = uri_to_path(uri) else {
            return uri.to_string();
        };
        let text = self.text_of(uri).unwrap_or_default();
        match (package_name(&text), path.parent()) {
            (Some(pkg), Some(dir)) => format!("{}\n{pkg}", dir.display()),
            _ => uri.to_string(),
        }
    }

    /// The URIs and texts of the package `key` (the one `uri` belongs to).
    fn package_texts(&self, key: &str, uri: &str) -> Vec<(String, String)> {
        let Some((dir, pkg)) = key.split_once('\n') else {
            return self
                .text_of(uri)
                .map(|t| vec![(uri.to_string(), t)])
                .unwrap_or_default();
        };
        let mut uris: IndexSet<String> = IndexSet::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|x| x.to_str())
                            .is_some_and(|x| x == "orc" || x == "cue")
                })
                .collect();
            paths.sort();
            uris.extend(paths.iter().map(|p| path_to_uri(p)));
        }
        // Open documents of the directory, saved or not.
        for (u, d) in &self.docs {
            if d.path.as_deref().and_then(Path::parent) == Some(Path::new(dir)) {
                uris.insert(u.clone());
            }
        }
        let mut out: Vec<(String, String)> = uris
            .into_iter()
            .filter_map(|u| self.text_of(&u).map(|t| (u, t)))
            .filter(|(_, t)| package_name(t).as_deref() == Some(pkg))
            .collect();
        out.sort();
        out
    }

    /// Checks the package `key` and returns the `publishDiagnostics` notifications: one per
    /// file with diagnostics, and an empty one per file that had some before.
    fn check(&mut self, key: &str, uri: &str) -> Vec<Notification> {
        let texts = self.package_texts(key, uri);
        let outcome = compile::diagnose_texts_with(&texts, &mut self.parsed);
        let mut diags = outcome.diags;
        diags.extend(outcome.warnings);
        let items = render::locate(&outcome.sources, &diags, self.unit);
        let package: IndexSet<&str> = texts.iter().map(|(u, _)| u.as_str()).collect();
        let mut by_file: IndexMap<String, Vec<Value>> = IndexMap::new();
        for item in &items {
            let mut places: Vec<&Location> = item.at.iter().collect();
            places.extend(item.related.iter().map(|r| &r.at));
            // Shown in the first file of the package it points into; a problem with no place
            // in the package (in the standard library only) goes to the edited file.
            let home = places
                .iter()
                .find(|l| !l.stdlib && package.contains(l.file.as_str()))
                .map(|l| l.file.clone());
            let home_loc = places
                .iter()
                .find(|l| Some(&l.file) == home.as_ref())
                .copied();
            let file = home.unwrap_or_else(|| uri.to_string());
            let d = item.diag;
            let mut message = d.headline();
            if let Some(h) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(h);
            }
            let related: Vec<Value> = item
                .at
                .iter()
                .map(|l| (l, "the problem".to_string()))
                .chain(item.related.iter().map(|r| (&r.at, r.message.clone())))
                .filter(|(l, _)| Some(*l) != home_loc)
                .map(|(l, m)| json!({"location": {"uri": self.uri_of(l), "range": lsp_range(l)}, "message": m}))
                .collect();
            let range = home_loc.map(lsp_range).unwrap_or_else(
                || json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}),
            );
            let mut diag = json!({
                "range": range,
                "severity": match d.severity { Severity::Error => 1, Severity::Warning => 2 },
                "code": d.code,
                "source": "orche",
                "message": message,
            });
            if !related.is_empty() {
                diag["relatedInformation"] = Value::Array(related);
            }
            by_file.entry(file).or_default().push(diag);
        }
        for (u, _) in &texts {
            self.definitions.shift_remove(u);
        }
        for r in &outcome.refs {
            let at = render::location(&outcome.sources, r.at, self.unit);
            let to = match &r.to {
                crate::lower::Target::Span(s) => {
                    let l = render::location(&outcome.sources, *s, self.unit);
                    Some(json!({"uri": self.uri_of(&l), "range": lsp_range(&l)}))
                }
                crate::lower::Target::Package { path, name } => {
                    package_member(path, name, self.unit)
                }
            };
            if let Some(to) = to {
                self.definitions
                    .entry(at.file)
                    .or_default()
                    .push((at.range, to));
            }
        }
        let before = self.published.shift_remove(key).unwrap_or_default();
        let mut out = Vec::new();
        for u in before.iter().filter(|u| !by_file.contains_key(*u)) {
            out.push(publish(u, Vec::new()));
        }
        let now: IndexSet<String> = by_file.keys().cloned().collect();
        // The edited document always hears back, clean or not.
        if !by_file.contains_key(uri) && !before.contains(uri) && self.docs.contains_key(uri) {
            out.push(publish(uri, Vec::new()));
        }
        for (u, ds) in by_file {
            out.push(publish(&u, ds));
        }
        if !now.is_empty() {
            self.published.insert(key.to_string(), now);
        }
        out
    }

    /// The URI of a location: package files are named by their URI already; standard library
    /// files by a cached copy.
    fn uri_of(&self, l: &Location) -> String {
        if l.stdlib {
            stdlib_copy(&l.file)
                .map(|p| path_to_uri(&p))
                .unwrap_or_else(|| format!("orche-stdlib:{}", render::uri(&l.file)))
        } else {
            l.file.clone()
        }
    }
}

fn publish(uri: &str, diagnostics: Vec<Value>) -> Notification {
    Notification::new(
        "textDocument/publishDiagnostics".into(),
        json!({"uri": uri, "diagnostics": diagnostics}),
    )
}

/// An LSP range (0-based) of a location whose columns were counted in the session's unit.
fn lsp_range(l: &Location) -> Value {
    let r = &l.range;
    json!({
        "start": {"line": r.start.line - 1, "character": r.start.column - 1},
        "end": {"line": r.end.line - 1, "character": r.end.column - 1},
    })
}

/// A request's 0-based `position`: line and character.
fn position(params: &Value) -> Result<(usize, usize), (ErrorCode, String)> {
    let pos = |k: &str| {
        params
            .pointer(&format!("/position/{k}"))
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .ok_or((ErrorCode::InvalidParams, format!("no position.{k}")))
    };
    Ok((pos("line")?, pos("character")?))
}

/// A quick fix of diagnostic `d`: `range` of `uri` replaced by `new_text`.
fn fix(uri: &str, d: &Value, range: Value, new_text: &str) -> Value {
    json!({
        "title": format!("Change to {new_text}"),
        "kind": "quickfix",
        "diagnostics": [d],
        "isPreferred": true,
        "edit": {"changes": {uri: [{"range": range, "newText": new_text}]}},
    })
}

/// The 0-based LSP position of a byte offset, `character` counted in `unit`.
fn position_of(text: &str, offset: usize, unit: ColumnUnit) -> Value {
    let mut sources = crate::source::SourceMap::new();
    let id = sources.add("doc", text);
    let l = render::location(&sources, crate::source::Span::new(id, offset, offset), unit);
    lsp_range(&l)["start"].clone()
}

/// The byte offset of a 0-based LSP position (`character` counted in `unit`), clamped to the
/// line's end and the text's end.
fn offset_of(text: &str, line: usize, character: usize, unit: ColumnUnit) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut counted = 0;
    for (i, c) in text[start..end].char_indices() {
        if counted >= character {
            return start + i;
        }
        counted += match unit {
            ColumnUnit::Chars => 1,
            ColumnUnit::Utf16 => c.len_utf16(),
            ColumnUnit::Utf8 => c.len_utf8(),
        };
    }
    end
}

/// The name in the file's `package` clause, if it has one (comments and blank lines before it
/// skipped; attributes are not expected there).
fn package_name(text: &str) -> Option<String> {
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        let rest = t.strip_prefix("package")?;
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '#')
            .collect();
        return (!name.is_empty() && rest.starts_with(char::is_whitespace)).then_some(name);
    }
    None
}

pub fn path_to_uri(p: &Path) -> String {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    format!("file://{}", render::uri(&abs.to_string_lossy()))
}

pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path` is not a local file; `file:///path` has an empty host.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    render::uri_decode(path).map(PathBuf::from)
}

/// The location of `name` declared at the top of the embedded package `path`, if it is one.
fn package_member(path: &str, name: &str, unit: ColumnUnit) -> Option<Value> {
    let (_, files) = crate::load::STDLIB.iter().find(|(p, _)| *p == path)?;
    let mut sources = crate::source::SourceMap::new();
    for (file, text) in files.iter() {
        let id = sources.add_stdlib(*file, *text);
        let Ok(ast) = crate::syntax::parse_file(id, text) else {
            continue;
        };
        let found = ast.decls.iter().find_map(|d| match d {
            crate::syntax::ast::Decl::Field(f) => match &f.label.kind {
                crate::syntax::ast::LabelKind::Ident(i) if i.name == name => Some(f.label.span),
                _ => None,
            },
            _ => None,
        });
        if let Some(span) = found {
            let l = render::location(&sources, span, unit);
            let uri = path_to_uri(&stdlib_copy(file)?);
            return Some(json!({"uri": uri, "range": lsp_range(&l)}));
        }
    }
    None
}

/// A copy of an embedded standard library file in the cache directory, written when missing
/// or different.
fn stdlib_copy(name: &str) -> Option<PathBuf> {
    let text = crate::load::STDLIB
        .iter()
        .flat_map(|(_, files)| files.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)?;
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let path = base
        .join("orche")
        .join(format!("stdlib-{}", env!("CARGO_PKG_VERSION")))
        .join(name);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(path.parent()?).ok()?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, text).ok()?;
        std::fs::rename(&tmp, &path).ok()?;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_clause_is_read_past_comments() {
        assert_eq!(
            package_name("// c\n\npackage edge\na: 1"),
            Some("edge".into())
        );
        assert_eq!(package_name("a: 1\npackage x"), None);
        assert_eq!(package_name("packagex: 1"), None);
    }

    #[test]
    fn offsets_of_positions_in_each_unit() {
        let t = "a\né𝄞x: 1\n";
        let x = t.find('x').unwrap();
        assert_eq!(offset_of(t, 1, 2, ColumnUnit::Chars), x);
        assert_eq!(offset_of(t, 1, 3, ColumnUnit::Utf16), x);
        assert_eq!(offset_of(t, 1, 6, ColumnUnit::Utf8), x);
        assert_eq!(offset_of(t, 0, 99, ColumnUnit::Utf16), 1);
        assert_eq!(offset_of(t, 9, 0, ColumnUnit::Utf16), t.len());
    }

    #[test]
    fn file_uris_round_trip() {
        let p = Path::new("/tmp/a b/é.orc");
        let u = path_to_uri(p);
        assert_eq!(u, "file:///tmp/a%20b/%C3%A9.orc");
        assert_eq!(uri_to_path(&u).as_deref(), Some(p));
        assert_eq!(uri_to_path("untitled:1"), None);
    }
}
