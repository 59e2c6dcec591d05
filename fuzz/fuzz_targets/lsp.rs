//! Fuzz target `lsp`: the language server (src/lsp.rs) driven in-process through
//! `lsp_server::Connection::memory()`, as an editor drives it: initialize, open the input as a
//! document, ask for its outline, formatting, code actions (with the diagnostics it published)
//! and, at a few places in it (after a `:`, a quote or a dot, at the start of a word, the end
//! of the text and past it), hover, completion and go to definition; then change it as typing
//! would (the rest of a line cut at one of those places) and ask again; then change it back,
//! close it and shut down. The positions are counted in UTF-8 or UTF-16 (the client offers
//! UTF-8 for inputs of even length).
//!
//! Checks: no panic (the server's own `catch_unwind` does not hide one: libFuzzer's panic hook
//! aborts first), stack overflow, hang or runaway memory; every request gets its response, never
//! an internal error, an unknown method or invalid parameters; every open and change gets
//! its diagnostics published; every range in the answers about the document (diagnostics,
//! outline, hover, completion edits, code action edits, formatting, definitions in the
//! document) is a valid position range of its text in the negotiated unit; formatting
//! replaces the whole text; the server ends cleanly.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use orche_fuzz::{on_cli_stack_with, text};
use serde_json::{json, Value};
use std::path::PathBuf;

/// The evaluation budget: a tenth of the other targets' steps and an eighth of their memory.
/// Every hover and completion evaluates the package anew (about 25 evaluations per input), so
/// a seed that runs the other targets' budget out (testdata/robustness/) would take each
/// input past libFuzzer's timeout; the evaluator's limits are the `eval` target's business.
const LSP_BUDGET: orche::limit::Budget = orche::limit::Budget {
    steps: 500_000,
    memory: 64 << 20,
};

/// The scratch directory of this process: the document's folder (empty on disk, so the
/// package is the document alone) and the standard library's cached copies.
fn scratch() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("orche-fuzz-lsp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("doc")).expect("cannot make the scratch directory");
        // Set once, before any server thread runs.
        std::env::set_var("XDG_CACHE_HOME", dir.join("cache"));
        dir
    })
    .clone()
}

/// Whether `(line, character)` is a position of `text` (lines split at `\n` as the server
/// splits them) in UTF-8 or UTF-16 units, on a character boundary.
fn valid_position(text: &str, line: u64, character: u64, utf8: bool) -> bool {
    let Some(l) = text.split('\n').nth(line as usize) else {
        return false;
    };
    let mut counted = 0u64;
    for c in l.chars() {
        if counted == character {
            return true;
        }
        counted += if utf8 {
            c.len_utf8() as u64
        } else {
            c.len_utf16() as u64
        };
    }
    counted == character
}

/// The LSP position of byte offset `at` of `text` (on a char boundary).
fn position_of(text: &str, at: usize, utf8: bool) -> Value {
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count();
    let character: usize = before[line_start..]
        .chars()
        .map(|c| if utf8 { c.len_utf8() } else { c.len_utf16() })
        .sum();
    json!({"line": line, "character": character})
}

/// Checks every range found in `v` (an object with `start` and `end` positions) against
/// `text`; `what` names the answer.
fn check_ranges(v: &Value, text: &str, utf8: bool, what: &str) {
    match v {
        Value::Object(m) => {
            if let (Some(s), Some(e)) = (m.get("start"), m.get("end")) {
                let pos = |p: &Value| {
                    let n = |k: &str| p.get(k).and_then(Value::as_u64);
                    match (n("line"), n("character")) {
                        (Some(l), Some(c)) => (l, c),
                        _ => panic!("{what}: a position without line and character: {v}"),
                    }
                };
                let (s, e) = (pos(s), pos(e));
                assert!(
                    valid_position(text, s.0, s.1, utf8) && valid_position(text, e.0, e.1, utf8),
                    "{what}: the range {v} is not in the text ({} bytes, {})",
                    text.len(),
                    if utf8 { "UTF-8" } else { "UTF-16" }
                );
                assert!(s <= e, "{what}: the range {v} ends before it starts");
                return;
            }
            m.values().for_each(|x| check_ranges(x, text, utf8, what));
        }
        Value::Array(a) => a.iter().for_each(|x| check_ranges(x, text, utf8, what)),
        _ => {}
    }
}

/// The places the requests ask about: after `:`, `"`, `.`, `{`, `(` or `,`, and at the start of
/// a word, at most `n` spread over the text; then its end.
fn places(text: &str, n: usize) -> Vec<usize> {
    let mut all = Vec::new();
    let mut prev = '\n';
    for (i, c) in text.char_indices() {
        if matches!(prev, ':' | '"' | '.' | '{' | '(' | ',')
            || ((c.is_alphabetic() || c == '#') && prev.is_whitespace())
        {
            all.push(i);
        }
        prev = c;
    }
    let stride = all.len().div_ceil(n).max(1);
    let mut out: Vec<usize> = all.into_iter().step_by(stride).collect();
    out.push(text.len());
    out
}

struct Client {
    conn: Connection,
    next: i32,
    uri: String,
    utf8: bool,
    /// The text the server has of the document.
    text: String,
    /// The last diagnostics published for the document.
    diagnostics: Option<Vec<Value>>,
}

impl Client {
    fn recv(&mut self) -> Message {
        let m = self
            .conn
            .receiver
            .recv()
            .expect("the server stopped before answering");
        if let Message::Notification(n) = &m {
            if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == *self.uri {
                let ds = n.params["diagnostics"]
                    .as_array()
                    .cloned()
                    .expect("publishDiagnostics without a diagnostics list");
                for d in &ds {
                    check_ranges(&d["range"], &self.text, self.utf8, "a diagnostic");
                    for r in d["relatedInformation"].as_array().into_iter().flatten() {
                        if r["location"]["uri"] == *self.uri {
                            check_ranges(
                                &r["location"],
                                &self.text,
                                self.utf8,
                                "related information",
                            );
                        }
                    }
                }
                self.diagnostics = Some(ds);
            }
        }
        m
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next += 1;
        let id = RequestId::from(self.next);
        let req = Request::new(id.clone(), method.to_string(), params);
        self.conn
            .sender
            .send(Message::Request(req))
            .expect("the server stopped before a request");
        loop {
            if let Message::Response(r) = self.recv() {
                assert_eq!(r.id, id, "a response to another request");
                return r;
            }
        }
    }

    /// A request about the document; its result, or `None` for the errors it may answer.
    fn ask(&mut self, method: &str, mut params: Value) -> Option<Value> {
        params["textDocument"] = json!({"uri": self.uri});
        let r = self.request(method, params);
        if let Some(e) = &r.error {
            let allowed =
                method == "textDocument/formatting" && e.code == ErrorCode::RequestFailed as i32;
            assert!(
                allowed,
                "{method} answered with the error {} {:?}",
                e.code, e.message
            );
            return None;
        }
        let v = r.result.unwrap_or(Value::Null);
        match method {
            // Places in other files (the standard library's) are not checked.
            "textDocument/definition" => {
                if v["uri"] == *self.uri {
                    check_ranges(&v["range"], &self.text, self.utf8, method);
                }
            }
            // The diagnostics an action quotes are the client's; its edits are the server's.
            "textDocument/codeAction" => {
                for a in v.as_array().expect("codeAction answers a list") {
                    for (u, edits) in a["edit"]["changes"].as_object().into_iter().flatten() {
                        assert_eq!(*u, self.uri, "a code action edits another file");
                        check_ranges(edits, &self.text, self.utf8, method);
                    }
                }
            }
            _ => check_ranges(&v, &self.text, self.utf8, method),
        }
        Some(v)
    }

    fn notify(&mut self, method: &str, params: Value) {
        let n = Notification::new(method.to_string(), params);
        self.conn
            .sender
            .send(Message::Notification(n))
            .expect("the server stopped before a notification");
    }

    /// Opens or changes the document to `text` and waits for its diagnostics.
    fn set_text(&mut self, text: &str, open: bool) {
        self.text = text.to_string();
        self.diagnostics = None;
        if open {
            self.notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": self.uri, "languageId": "orche", "version": 1, "text": text}}),
            );
        } else {
            self.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": self.uri, "version": 2}, "contentChanges": [{"text": text}]}),
            );
        }
        while self.diagnostics.is_none() {
            self.recv();
        }
    }

    /// Every request about the document as it is now; hover, completion and definition at
    /// `at` (each hover and completion evaluates the package anew).
    fn ask_everything(&mut self, at: &[usize]) {
        let text = self.text.clone();
        self.ask("textDocument/documentSymbol", json!({}));
        if let Some(edits) = self.ask(
            "textDocument/formatting",
            json!({"options": {"tabSize": 4, "insertSpaces": false}}),
        ) {
            let edits = edits
                .as_array()
                .expect("formatting answers a list of edits");
            for e in edits {
                assert_eq!(
                    (&e["range"]["start"], &e["range"]["end"]),
                    (
                        &json!({"line": 0, "character": 0}),
                        &position_of(&text, text.len(), self.utf8)
                    ),
                    "formatting does not replace the whole text"
                );
            }
        }
        let diagnostics = self.diagnostics.clone().unwrap_or_default();
        let whole = json!({"start": {"line": 0, "character": 0}, "end": position_of(&text, text.len(), self.utf8)});
        self.ask(
            "textDocument/codeAction",
            json!({"range": whole, "context": {"diagnostics": diagnostics}}),
        );
        let mut at: Vec<Value> = at
            .iter()
            .map(|i| position_of(&text, *i, self.utf8))
            .collect();
        // Past the end of the text: the server clamps.
        let lines = text.matches('\n').count();
        at.push(json!({"line": lines + 1, "character": 3}));
        for p in at {
            for method in [
                "textDocument/hover",
                "textDocument/completion",
                "textDocument/definition",
            ] {
                self.ask(method, json!({"position": p}));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    let dir = scratch();
    let utf8 = data.len().is_multiple_of(2);
    let uri = orche::lsp::path_to_uri(&dir.join("doc").join("fuzz.orc"));
    let (server, client) = Connection::memory();
    std::thread::scope(|s| {
        let served = s.spawn(move || on_cli_stack_with(LSP_BUDGET, || orche::lsp::serve(&server)));
        let mut c = Client {
            conn: client,
            next: 0,
            uri,
            utf8,
            text: String::new(),
            diagnostics: None,
        };
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let init = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {"general": {"positionEncodings": encodings}}}),
        );
        let negotiated =
            init.result.expect("initialize fails")["capabilities"]["positionEncoding"].clone();
        assert_eq!(negotiated, json!(if utf8 { "utf-8" } else { "utf-16" }));
        c.notify("initialized", json!({}));

        c.set_text(text, true);
        let at = places(text, 2);
        c.ask_everything(&at);
        // Typing: the rest of a line cut at one of the places, and the requests there.
        let cut = at[at.len() / 2];
        let line_end = text[cut..].find('\n').map_or(text.len(), |i| cut + i);
        let typed = format!("{}{}", &text[..cut], &text[line_end..]);
        c.set_text(&typed, false);
        c.ask_everything(&[cut]);
        c.set_text(text, false);
        c.ask("textDocument/documentSymbol", json!({}));
        c.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": c.uri}}),
        );

        let down = c.request("shutdown", Value::Null);
        assert!(down.error.is_none(), "shutdown fails");
        c.notify("exit", Value::Null);
        let served = served.join().expect("the server thread panicked");
        assert_eq!(served, Ok(()), "the server ends with an error");
    });
});
