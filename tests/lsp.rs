//! `orche lsp` end to end: the built binary is started as an editor starts it, and spoken to
//! over stdio with Content-Length framing. Checked: the position encoding negotiated (UTF-8
//! when offered, else UTF-16) and a diagnostic's columns after non-ASCII text in both;
//! diagnostics of a two-file package published to the file they point into, with the other
//! side of a conflict as related information; cleared when fixed; a file with a syntax error
//! shows it while the rest of the package keeps its diagnostics; a burst of edits ends with the
//! diagnostics of the last text; after each edit of a session (syntax error made and fixed,
//! files added, removed and closed), what a fresh server shows for the same texts (the parsed
//! files the server keeps between checks); the outline; an unknown method answered with an
//! error; a hover of a value too large to print stopped by the budget; shutdown. The issue's whole editor
//! session (conflict, fix, hover, definition into the stdlib, completion, quick fix,
//! formatting) is kept as an insta snapshot of its transcript (`editor_session`).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::Receiver<Value>,
    next: i64,
}

fn read_message(r: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start(utf8: bool) -> (Client, Value) {
        Client::start_with(utf8, &[])
    }

    /// [`Client::start`] with more environment variables for the server.
    fn start_with(utf8: bool, env: &[(&str, &str)]) -> (Client, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_orche"))
            .arg("lsp")
            .env("XDG_CACHE_HOME", scratch("cache"))
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start orche lsp");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(m) = read_message(&mut stdout) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            next: 1,
        };
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let init = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null,
                   "capabilities": {"general": {"positionEncodings": encodings}}}),
        );
        c.notify("initialized", json!({}));
        (c, init)
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (notifications meanwhile are dropped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.recv();
            if m.get("id") == Some(&json!(id)) {
                return m;
            }
        }
    }

    fn recv(&self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a message from the server within 20 s")
    }

    /// Waits for the diagnostics published for `uri`, skipping other messages.
    fn diagnostics_for(&self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.recv();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    fn stop(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "orche lsp exited with {status}");
    }
}

/// A fresh directory, its own for every call: tests run in parallel, and a server's cache
/// directory removed under another server's feet made a test fail now and then.
fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lsp")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn open(c: &mut Client, path: &Path, text: &str) {
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(path), "languageId": "orche", "version": 1, "text": text}}),
    );
}

fn change(c: &mut Client, path: &Path, version: i64, text: &str) {
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(path), "version": version},
               "contentChanges": [{"text": text}]}),
    );
}

/// `é€𝄞` before the conflicting value: 3 characters, 4 UTF-16 units, 9 bytes.
const NON_ASCII: &str = "package p\nsite: {label: \"é€𝄞\", port: 80 & 81}\n";

#[test]
fn positions_in_utf8_and_utf16() {
    for (utf8, column) in [(true, 33), (false, 28)] {
        let dir = scratch(if utf8 { "utf8" } else { "utf16" });
        let a = dir.join("a.orc");
        std::fs::write(&a, NON_ASCII).unwrap();
        let (mut c, init) = Client::start(utf8);
        let enc = &init["result"]["capabilities"]["positionEncoding"];
        assert_eq!(enc, if utf8 { "utf-8" } else { "utf-16" });
        open(&mut c, &a, NON_ASCII);
        let ds = c.diagnostics_for(&uri(&a));
        assert_eq!(ds.len(), 1, "{ds:?}");
        // `80` starts after `site: {label: "é€𝄞", port: `: 27 characters, which are 33 bytes
        // and 28 UTF-16 units.
        assert_eq!(
            ds[0]["range"]["start"],
            json!({"line": 1, "character": column})
        );
        assert_eq!(ds[0]["code"], "orche::eval::conflict");
        c.stop();
    }
}

#[test]
fn package_diagnostics_follow_edits() {
    let dir = scratch("package");
    let a = dir.join("a.orc");
    let b = dir.join("b.orc");
    let a_text = "package p\nport: int\nlet unused = 1\n";
    std::fs::write(&a, a_text).unwrap();
    std::fs::write(&b, "package p\nport: \"80\"\n").unwrap();
    let (mut c, _) = Client::start(false);
    open(&mut c, &b, "package p\nport: \"80\"\n");
    // The conflict lands in one file with the other side as related information; the warning
    // lands in a.orc, which is not even open.
    let mut got = Vec::new();
    for _ in 0..2 {
        let m = c.recv();
        if m["method"] == "textDocument/publishDiagnostics" {
            got.push(m["params"].clone());
        }
    }
    let all: Vec<&Value> = got
        .iter()
        .flat_map(|p| p["diagnostics"].as_array().unwrap())
        .collect();
    let conflict = all
        .iter()
        .find(|d| d["code"] == "orche::eval::conflict")
        .expect("a conflict");
    assert!(conflict["relatedInformation"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    assert!(got.iter().any(|p| p["uri"] == uri(&a)
        && p["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "orche::lint::unused_let" && d["severity"] == 2)));

    // A syntax error in b.orc: shown, and a.orc keeps its warning.
    change(&mut c, &b, 2, "package p\nport: {\n");
    let mut seen_syntax = false;
    let mut a_kept = false;
    for _ in 0..2 {
        let m = c.recv();
        let p = &m["params"];
        let ds = p["diagnostics"].as_array().unwrap();
        if p["uri"] == uri(&b) {
            seen_syntax = ds.iter().any(|d| {
                d["code"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("orche::syntax::"))
            });
        }
        if p["uri"] == uri(&a) {
            a_kept = ds.iter().any(|d| d["code"] == "orche::lint::unused_let");
        }
    }
    assert!(seen_syntax && a_kept);

    // A burst of edits: the last text is the one checked; fixed, everything clears.
    for v in 3..40 {
        change(&mut c, &b, v, &format!("package p\nport: {v} & \"x\"\n"));
    }
    change(&mut c, &b, 40, "package p\nport: 80\n");
    std::fs::write(&a, "package p\nport: int\n").unwrap();
    change(&mut c, &b, 41, "package p\nport: 80\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut last_b = None;
    let mut last_a = None;
    while std::time::Instant::now() < deadline && (last_b != Some(0) || last_a != Some(0)) {
        let m = c.recv();
        if m["method"] != "textDocument/publishDiagnostics" {
            continue;
        }
        let n = m["params"]["diagnostics"].as_array().unwrap().len();
        if m["params"]["uri"] == uri(&b) {
            last_b = Some(n);
        } else if m["params"]["uri"] == uri(&a) {
            last_a = Some(n);
        }
    }
    assert_eq!((last_a, last_b), (Some(0), Some(0)));
    c.stop();
}

/// What an editor shows: each file's last published diagnostics (an empty list clears them).
type View = std::collections::BTreeMap<String, Value>;

impl Client {
    /// Waits until every check the messages sent so far cause has published, recording the
    /// diagnostics in `view`. A request is answered before the checks of the batch it arrived
    /// in, so two requests are sent one after the other: the checks of anything sent before
    /// the first have published before the second's answer.
    fn settle(&mut self, view: &mut View) {
        for _ in 0..2 {
            let id = self.next;
            self.next += 1;
            self.send(json!({"jsonrpc": "2.0", "id": id, "method": "orche/ping"}));
            loop {
                let m = self.recv();
                if m.get("id") == Some(&json!(id)) {
                    break;
                }
                if m["method"] == "textDocument/publishDiagnostics" {
                    let p = &m["params"];
                    view.insert(p["uri"].as_str().unwrap().into(), p["diagnostics"].clone());
                }
            }
        }
    }
}

/// The diagnostics of `view` for the files `names` of `dir` (none for an absent file), as
/// JSON text with `dir` written `DIR`.
fn shown(view: &View, dir: &Path, names: &[&str]) -> String {
    let of: Vec<(&str, Value)> = names
        .iter()
        .map(|n| {
            let ds = view.get(&uri(&dir.join(n))).cloned();
            (*n, ds.unwrap_or_else(|| json!([])))
        })
        .collect();
    serde_json::to_string_pretty(&of)
        .unwrap()
        .replace(&dir.display().to_string(), "DIR")
}

/// A server that keeps the parsed files of a package between checks shows, after every edit,
/// exactly what a fresh server shows for the same texts: edits in one file and then another,
/// a syntax error introduced and fixed, a file added before the others on disk (every file's
/// place in the package moves) and removed again, a document closed (its text on disk used
/// again), and problems whose places are in the standard library.
#[test]
fn reused_parses_give_what_a_fresh_check_gives() {
    let dir = scratch("reuse");
    let cache = scratch("reuse-cache");
    let env = [("XDG_CACHE_HOME", cache.to_str().unwrap())];
    let on_disk = [
        ("a.orc", "package p\nport: int\nlet unused = 1\n"),
        ("b.orc", "package p\nport: \"80\"\n"),
        (
            "d.orc",
            "package p\n\nimport \"orche/federation\"\n\nfed: federation.#Federation & {\n\tname: \"x\"\n\tsites: s1: {tier: \"edge\", resources: web: {kind: \"docker\"}}\n}\n",
        ),
    ];
    let mut texts: std::collections::BTreeMap<String, String> = on_disk
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    for (n, t) in &texts {
        std::fs::write(dir.join(n), t).unwrap();
    }
    let names = ["0.orc", "a.orc", "b.orc", "d.orc"];
    let (mut c, _) = Client::start_with(false, &env);
    let mut view = View::new();
    open(&mut c, &dir.join("b.orc"), &texts["b.orc"]);
    c.settle(&mut view);
    open(&mut c, &dir.join("a.orc"), &texts["a.orc"]);
    c.settle(&mut view);

    /// What a step of the session does: a document edited, a file written to or removed
    /// from the disk, a document closed (its text on disk used again).
    enum Step {
        Edit(&'static str, &'static str),
        Write(&'static str, &'static str),
        Remove(&'static str),
        Close(&'static str),
    }
    use Step::*;
    let steps: Vec<Vec<Step>> = vec![
        vec![Edit("a.orc", "package p\nport: 80\nlet unused = 1\n")],
        vec![Edit("a.orc", "package p\nport: 80\nlet unused = {\n")],
        vec![Edit("b.orc", "package p\nport: 81\n")],
        vec![Edit("b.orc", "package p\nport: 80\nname: port + 1\n")],
        vec![Edit("a.orc", "package p\nport: 80 & <10\nlet unused = 1\n")],
        vec![
            Write(
                "0.orc",
                "package p\nport: int\nlet zero = 0\nextra: name & \"x\"\n",
            ),
            Edit("b.orc", "package p\nport: 80\nname: port + 2\n"),
        ],
        vec![Edit("a.orc", "package p\nport: >10\nlet unused = 1\n")],
        vec![Remove("0.orc"), Edit("b.orc", "package p\nport: 80\n")],
        vec![Close("a.orc"), Edit("b.orc", "package p\nport: 8\n")],
        vec![Edit("b.orc", "package p\nport: 8\n// a comment\n")],
    ];
    for (i, step) in steps.iter().enumerate() {
        let mut edited = "";
        for s in step {
            match s {
                Edit(n, t) => {
                    texts.insert(n.to_string(), t.to_string());
                    change(&mut c, &dir.join(n), i as i64 + 2, t);
                    edited = n;
                }
                Write(n, t) => {
                    std::fs::write(dir.join(n), t).unwrap();
                    texts.insert(n.to_string(), t.to_string());
                }
                Remove(n) => {
                    std::fs::remove_file(dir.join(n)).unwrap();
                    texts.remove(*n);
                }
                Close(n) => {
                    c.notify(
                        "textDocument/didClose",
                        json!({"textDocument": {"uri": uri(&dir.join(n))}}),
                    );
                    let disk = on_disk.iter().find(|(m, _)| m == n).unwrap().1;
                    texts.insert(n.to_string(), disk.to_string());
                }
            }
        }
        c.settle(&mut view);

        // A fresh server, on a copy of the package as the first one sees it, with the
        // document edited last open.
        let copy = scratch("reuse-fresh");
        for (n, t) in &texts {
            std::fs::write(copy.join(n), t).unwrap();
        }
        let (mut fresh, _) = Client::start_with(false, &env);
        let mut expected = View::new();
        open(&mut fresh, &copy.join(edited), &texts[edited]);
        fresh.settle(&mut expected);
        fresh.stop();
        let got = shown(&view, &dir, &names);
        assert_eq!(got, shown(&expected, &copy, &names), "after step {i}");
        if i == 1 {
            assert!(got.contains("orche::syntax::"), "{got}");
        }
    }
    let last = shown(&view, &dir, &names);
    assert!(last.contains("orche::lint::unused_let"), "{last}");
    c.stop();
}

#[test]
fn outline_errors_and_robustness() {
    let dir = scratch("outline");
    let f = dir.join("fed.orc");
    let text = "import \"orche/federation\"\n\nf: federation.#Federation & {\n\tname: \"f\"\n\tsites: edge: {\n\t\ttier: \"edge\", network: prefix: \"10.0.0.0/24\"\n\t\tresources: web: {kind: \"docker\", image: \"nginx\"}\n\t}\n}\nx: f.name\n";
    std::fs::write(&f, text).unwrap();
    let (mut c, _) = Client::start(false);
    open(&mut c, &f, text);
    // A clean document hears back too: an empty list.
    assert_eq!(c.diagnostics_for(&uri(&f)), Vec::<Value>::new());
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&f)}}),
    );
    let syms = &r["result"];
    assert_eq!(syms[0]["name"], "f");
    let sites = syms[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "sites")
        .unwrap();
    assert_eq!(sites["children"][0]["name"], "edge");
    // Go to definition: a field of the file, the import, a definition of the standard library
    // (a copy in the cache directory).
    let def = |c: &mut Client, line: u64, character: u64| {
        c.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri(&f)}, "position": {"line": line, "character": character}}),
        )["result"]
            .clone()
    };
    let d = def(&mut c, 9, 3);
    assert_eq!(d["uri"], uri(&f));
    assert_eq!(d["range"]["start"], json!({"line": 2, "character": 0}));
    let d = def(&mut c, 2, 5);
    assert_eq!(d["range"]["start"], json!({"line": 0, "character": 7}));
    let d = def(&mut c, 2, 16);
    let target = d["uri"]
        .as_str()
        .expect("a location in the standard library");
    assert!(
        target.ends_with("stdlib/orche/federation/federation.orc"),
        "{d}"
    );
    let path = target.strip_prefix("file://").unwrap();
    let line = d["range"]["start"]["line"].as_u64().unwrap() as usize;
    let copied = std::fs::read_to_string(path).unwrap();
    assert!(copied.lines().nth(line).unwrap().starts_with("#Federation"));
    assert_eq!(def(&mut c, 3, 1), Value::Null);
    // Hover: the evaluated value, defaults of the schema filled in.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&f)}, "position": {"line": 6, "character": 14}}),
    );
    let shown = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(shown.contains("f.sites.edge.resources.web"), "{h}");
    assert!(shown.contains("image: \"nginx\""), "{shown}");
    assert!(shown.contains("timeout:"), "the health defaults: {shown}");
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&f)}, "position": {"line": 1, "character": 0}}),
    );
    assert_eq!(h["result"], Value::Null);
    // Formatting: the document is formatted already; a messy one gets one edit, orche fmt's.
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&f)}, "options": {"tabSize": 4, "insertSpaces": false}}),
    );
    assert_eq!(r["result"], json!([]), "{r}");
    let g = dir.join("messy.orc");
    std::fs::write(
        &g,
        "a:   1
b:{c:1}
",
    )
    .unwrap();
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&g)}, "options": {"tabSize": 4, "insertSpaces": false}}),
    );
    assert_eq!(
        r["result"][0]["newText"],
        "a: 1
b: {c: 1}
",
        "{r}"
    );
    assert_eq!(
        r["result"][0]["range"]["end"],
        json!({"line": 2, "character": 0})
    );
    // Unknown methods and bad parameters get errors; the server lives on.
    let r = c.request("textDocument/frobnicate", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = c.request("textDocument/documentSymbol", json!({"nothing": 1}));
    assert!(r.get("error").is_some());
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&f)}}),
    );
    assert!(r["result"].is_array());
    c.stop();
}

/// The `did you mean …?` hints as quick fixes: a field, a kind and a dependency.
#[test]
fn quick_fixes_for_typos() {
    let fed = |resources: &str| {
        format!(
            "import \"orche/federation\"\nf: federation.#Federation & {{\n\tname: \"f\"\n\tsites: edge: {{\n\t\ttier: \"edge\", network: prefix: \"10.0.0.0/24\"\n\t\tresources: {{\n{resources}\n\t\t}}\n\t}}\n}}\n"
        )
    };
    let cases = [
        ("field.orc", "#S: {name: string, port: int}\ns: #S & {name: \"a\", prot: 1}\n".to_string(), "port"),
        ("kind.orc", fed("\t\t\tdb: {kind: \"dockr\", image: \"postgres\"}"), "\"docker\""),
        (
            "dep.orc",
            fed("\t\t\tdb: {kind: \"docker\", image: \"postgres\"}\n\t\t\tweb: {kind: \"docker\", image: \"nginx\", depends_on: {dbb: true}}"),
            "db",
        ),
    ];
    let dir = scratch("fixes");
    let (mut c, _) = Client::start(false);
    for (name, text, fixed) in cases {
        let f = dir.join(name);
        std::fs::write(&f, &text).unwrap();
        open(&mut c, &f, &text);
        let ds = c.diagnostics_for(&uri(&f));
        let d = ds
            .iter()
            .find(|d| d["message"].as_str().unwrap().contains("did you mean"))
            .unwrap_or_else(|| panic!("{name}: no hint in {ds:?}"))
            .clone();
        let r = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(&f)}, "range": d["range"], "context": {"diagnostics": [d]}}),
        );
        let edit = &r["result"][0]["edit"]["changes"][uri(&f)][0];
        assert_eq!(edit["newText"], fixed, "{name}: {r}");
    }
    c.stop();
}

/// Completion: the kinds after `kind: "`, a resource's fields inside a resource, the packages
/// in an import, the references in scope after `label: `.
#[test]
fn completion_from_the_schema() {
    let dir = scratch("complete");
    let f = dir.join("fed.orc");
    let text = "import \"orche/federation\"\nf: federation.#Federation & {\n\tname: \"f\"\n\tsites: edge: {\n\t\ttier: \"edge\", network: prefix: \"10.0.0.0/24\"\n\t\tresources: web: {\n\t\t\tkind: \"\n\t\t}\n\t}\n}\n";
    std::fs::write(&f, text).unwrap();
    let (mut c, _) = Client::start(false);
    open(&mut c, &f, text);
    let complete = |c: &mut Client, line: u64, character: u64| {
        let r = c.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri(&f)}, "position": {"line": line, "character": character}}),
        );
        r["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect::<Vec<String>>()
    };
    let kinds = complete(&mut c, 6, 10);
    for k in ["docker", "systemd", "http", "file"] {
        assert!(kinds.contains(&k.to_string()), "{kinds:?}");
    }
    // With a kind set, the resource's fields: the schema's (health, depends_on) and the kind's.
    let text = text.replace("kind: \"\n", "kind: \"docker\"\n\t\t\t\n");
    change(&mut c, &f, 2, &text);
    let fields = complete(&mut c, 7, 3);
    for k in ["image", "health", "depends_on"] {
        assert!(fields.contains(&k.to_string()), "{fields:?}");
    }
    let packages = complete(&mut c, 0, 10);
    assert!(
        packages.contains(&"orche/federation".to_string()),
        "{packages:?}"
    );
    assert!(packages.contains(&"strings".to_string()));
    // After `label: ` (no quote), the names in scope: the struct's own fields, the enclosing
    // ones', and the import's package name.
    let text = text.replace("\t\t\t\n\t\t}", "\t\t\tuser: \n\t\t}");
    change(&mut c, &f, 3, &text);
    let names = complete(&mut c, 7, 9);
    for k in ["kind", "resources", "tier", "sites", "f", "federation"] {
        assert!(names.contains(&k.to_string()), "{names:?}");
    }
    assert!(!names.contains(&"user".to_string()), "{names:?}");
    // `kind: "` in a struct written on one line (`cache: {kind: ""}`): the kinds too, not
    // the enclosing struct's fields.
    let text = text.replace(
        "\t\t\tuser: \n\t\t}",
        "\t\t}\n\t\tresources: cache: {kind: \"\"}",
    );
    change(&mut c, &f, 4, &text);
    let line = text
        .lines()
        .position(|l| l.contains("cache: {kind"))
        .unwrap();
    let column = text.lines().nth(line).unwrap().find("kind: \"").unwrap() + 7;
    let kinds = complete(&mut c, line as u64, column as u64);
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["command", "docker", "file", "http", "process", "systemd", "tcp"],
        "{kinds:?}"
    );
    c.stop();
}

/// The start of `needle` in `text` as an LSP position (ASCII text: bytes are UTF-16 units).
fn position_of(text: &str, needle: &str) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    let line = text[..at].matches('\n').count();
    let character = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": character})
}

/// `text` with one `TextEdit` applied (ASCII text).
fn apply(text: &str, edit: &Value) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + p["character"].as_u64().unwrap() as usize
    };
    let (a, b) = (
        offset(&edit["range"]["start"]),
        offset(&edit["range"]["end"]),
    );
    format!(
        "{}{}{}",
        &text[..a],
        edit["newText"].as_str().unwrap(),
        &text[b..]
    )
}

/// Hover: defaults resolved (the disjunction said below), the type of a value that is not
/// concrete, the doc comments of the declarations, and their places, the standard library's
/// as links to its cached copy.
#[test]
fn hover_defaults_docs_and_places() {
    let dir = scratch("hover");
    let f = dir.join("fed.orc");
    let text = "import \"orche/federation\"\n\n#Check: {\n\t// Seconds between checks.\n\tevery: int & >0 | *5\n\tmode:  \"a\" | \"b\"\n}\n\nc: #Check & {\n\tevery: _\n\tmode:  _\n}\n\nf: federation.#Federation & {\n\tname: \"f\"\n\tsites: edge: {\n\t\ttier: \"edge\", network: prefix: \"10.0.0.0/24\"\n\t\tresources: web: {kind: \"docker\", image: \"nginx\", health: timeout: 90}\n\t}\n}\n";
    std::fs::write(&f, text).unwrap();
    let (mut c, _) = Client::start(false);
    open(&mut c, &f, text);
    let hover = |c: &mut Client, needle: &str| {
        let r = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&f)}, "position": position_of(text, needle)}),
        );
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("no hover at {needle:?}: {r}"))
            .to_string()
    };
    // A default taken: the value, then the disjunction it is the default of, the doc comment
    // of the definition's field, and both declarations.
    let shown = hover(&mut c, "every: _");
    assert!(shown.starts_with("```cue\nc.every: 5\n```\n"), "{shown}");
    assert!(shown.contains("the default of `int & >0 | *5`"), "{shown}");
    assert!(shown.contains("\nSeconds between checks.\n"), "{shown}");
    let link = |line: usize| format!("[fed.orc:{line}]({}#L{line})", uri(&f));
    assert!(
        shown.contains(&link(5)) && shown.contains(&link(10)),
        "{shown}"
    );
    // Not concrete: the value and its type.
    let shown = hover(&mut c, "mode:  _");
    assert!(shown.contains("c.mode: \"a\" | \"b\"\n"), "{shown}");
    assert!(shown.contains("type: `string` (not concrete)"), "{shown}");
    // A struct of the standard library's: its defaults resolved, #Health's doc comment, the
    // places in the stdlib as links to the cached copy.
    let shown = hover(&mut c, "health");
    for field in [
        "\ttimeout: 90\n",
        "\tinterval: 5\n",
        "\tbackoff: \"exponential\"\n",
    ] {
        assert!(shown.contains(field), "{field:?} not in {shown}");
    }
    assert!(!shown.contains('|'), "{shown}");
    assert!(shown.contains("A health check"), "{shown}");
    assert!(shown.contains(&link(18)), "{shown}");
    let stdlib = shown
        .lines()
        .find(|l| l.starts_with("- [stdlib/orche/federation/federation.orc:"))
        .unwrap_or_else(|| panic!("no stdlib place in {shown}"));
    let target = stdlib
        .split("](file://")
        .nth(1)
        .unwrap()
        .trim_end_matches(')');
    let (path, line) = target.split_once("#L").unwrap();
    assert!(
        path.ends_with(&format!(
            "/orche/stdlib-{}/stdlib/orche/federation/federation.orc",
            env!("CARGO_PKG_VERSION")
        )),
        "{stdlib}"
    );
    // The link is to the server's copy (its own cache directory), which is the embedded file.
    let embedded = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        embedded,
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/orche/federation/federation.orc"),
        )
        .unwrap()
    );
    let line: usize = line.parse().unwrap();
    assert!(
        embedded.lines().nth(line - 1).unwrap().contains("#Health"),
        "{stdlib}"
    );
    // A field of the stdlib's with its own doc comment.
    let shown = hover(&mut c, "timeout");
    assert!(shown.contains("become healthy"), "{shown}");
    c.stop();
}

/// The code action adding a struct's missing required fields: in a one-line resource (a
/// kind's required field, from the standard library) and in a struct of the file's own
/// definition, each with a value its type allows; applied, the diagnostics clear.
#[test]
fn add_the_missing_required_fields() {
    let dir = scratch("required");
    let f = dir.join("fed.orc");
    let text = "import \"orche/federation\"\n\n#Svc: {\n\tname!:  string\n\tport!:  int & >1023\n\tproto!: \"tcp\" | \"udp\"\n\tmode:   *\"a\" | \"b\"\n}\n\nsvc: #Svc & {\n\tmode: \"b\"\n}\n\nf: federation.#Federation & {\n\tname: \"f\"\n\tsites: edge: {\n\t\ttier: \"edge\", network: prefix: \"10.0.0.0/24\"\n\t\tresources: db: {kind: \"docker\"}\n\t}\n}\n";
    std::fs::write(&f, text).unwrap();
    let (mut c, _) = Client::start(false);
    open(&mut c, &f, text);
    let ds = c.diagnostics_for(&uri(&f));
    let required: Vec<Value> = ds
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .unwrap()
                .contains("field is required but not present")
        })
        .cloned()
        .collect();
    assert_eq!(required.len(), 4, "{ds:?}");
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&f)}, "range": required[0]["range"],
               "context": {"diagnostics": required}}),
    );
    let actions = r["result"].as_array().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(actions.len(), 2, "{r}");
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Add the missing required fields: name, port, proto",
            "Add the missing required fields: image"
        ]
    );
    assert!(actions.iter().all(|a| a["kind"] == "quickfix"));
    let edit = |a: &Value| a["edit"]["changes"][uri(&f)][0].clone();
    let fixed = apply(&apply(text, &edit(&actions[1])), &edit(&actions[0]));
    assert!(
        fixed.contains(
            "svc: #Svc & {\n\tmode:  \"b\"\n\tname:  \"\"\n\tport:  1024\n\tproto: \"tcp\"\n}\n"
        ),
        "{fixed}"
    );
    assert!(
        fixed.contains("\t\tresources: db: {kind: \"docker\", image: \"\"}\n"),
        "{fixed}"
    );
    // The result is complete, and formatted.
    change(&mut c, &f, 2, &fixed);
    assert_eq!(c.diagnostics_for(&uri(&f)), Vec::<Value>::new());
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&f)}, "options": {"tabSize": 4, "insertSpaces": false}}),
    );
    assert_eq!(r["result"], json!([]), "{r}");
    c.stop();
}

/// The whole editor session of the issue, as one transcript kept as an insta snapshot
/// (`tests/snapshots/lsp__editor_session.snap`): initialize, open, an edit introducing a
/// conflict (its diagnostic with the range and the other side), an edit fixing it (cleared),
/// hover, go to definition into the standard library, completion inside a site's resource, a
/// quick fix applied, formatting, shutdown. Paths are written `$DIR` and `$CACHE`, and the
/// version `$VERSION`, so the snapshot is the same on every machine.
#[test]
fn editor_session() {
    let dir = scratch("session");
    let f = dir.join("fed.orc");
    let text = "import \"orche/federation\"\n\nf: federation.#Federation & {\n\tname: \"f\"\n\tsites: edge: {\n\t\ttier: \"edge\", network: prefix: \"10.0.0.0/24\"\n\t\tresources: {\n\t\t\tdb: {kind: \"docker\", image: \"postgres\"}\n\t\t\tweb: {kind: \"docker\", image: \"nginx\", health: timeout: 30}\n\t\t}\n\t}\n}\n";
    std::fs::write(&f, text).unwrap();
    let (mut c, init) = Client::start(true);
    let mut out = String::new();
    let mut log = |title: &str, v: &Value| {
        out.push_str(&format!(
            "== {title}\n{}\n",
            serde_json::to_string_pretty(v).unwrap()
        ));
    };
    log("initialize", &init["result"]);
    open(&mut c, &f, text);
    log("didOpen: diagnostics", &json!(c.diagnostics_for(&uri(&f))));
    // A conflict: the health timeout of `web` set twice.
    let conflict = text.replace(
        "timeout: 30}",
        "timeout: 30}\n\t\t\tweb: health: timeout: 40",
    );
    change(&mut c, &f, 2, &conflict);
    log(
        "didChange (conflict): diagnostics",
        &json!(c.diagnostics_for(&uri(&f))),
    );
    change(&mut c, &f, 3, text);
    log(
        "didChange (fixed): diagnostics",
        &json!(c.diagnostics_for(&uri(&f))),
    );
    let at = |needle: &str| json!({"textDocument": {"uri": uri(&f)}, "position": position_of(text, needle)});
    let r = c.request("textDocument/hover", at("health"));
    log("hover on `health`", &r["result"]);
    let r = c.request("textDocument/definition", at("#Federation"));
    log("definition of `#Federation`", &r["result"]);
    // Inside `db`'s braces, after its last field.
    let inside = text.find("\"postgres\"").unwrap() + "\"postgres\"".len();
    let line = text[..inside].matches('\n').count();
    let character = inside - text[..inside].rfind('\n').map_or(0, |i| i + 1);
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri(&f)}, "position": {"line": line, "character": character}}),
    );
    let labels: Vec<Value> = r["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|i| json!([i["label"], i["detail"]]))
        .collect();
    log("completion inside `db`", &json!(labels));
    // A typo'd kind, and the quick fix that corrects it, applied.
    let typo = text.replace(
        "kind: \"docker\", image: \"postgres\"",
        "kind: \"dockr\", image: \"postgres\"",
    );
    change(&mut c, &f, 4, &typo);
    let ds = c.diagnostics_for(&uri(&f));
    log("didChange (typo): diagnostics", &json!(ds));
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&f)}, "range": ds[0]["range"], "context": {"diagnostics": [ds[0]]}}),
    );
    log("codeAction", &r["result"]);
    let fixed = apply(&typo, &r["result"][0]["edit"]["changes"][uri(&f)][0]);
    assert_eq!(fixed, text);
    change(&mut c, &f, 5, &fixed);
    log(
        "didChange (quick fix applied): diagnostics",
        &json!(c.diagnostics_for(&uri(&f))),
    );
    let messy = text.replace("\tname: \"f\"", "  name:    \"f\"");
    change(&mut c, &f, 6, &messy);
    c.diagnostics_for(&uri(&f));
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&f)}, "options": {"tabSize": 4, "insertSpaces": false}}),
    );
    log("formatting", &r["result"]);
    let formatted = apply(&messy, &r["result"][0]);
    assert_eq!(formatted, text);
    c.stop();
    let cache = scratch("cache");
    let cache = cache.parent().unwrap().display().to_string();
    let shown = out
        .replace(&dir.display().to_string(), "$DIR")
        .replace(env!("CARGO_PKG_VERSION"), "$VERSION");
    // The server's cache directory (`XDG_CACHE_HOME`) is a scratch directory of its own.
    let shown = replace_scratch(&shown, &format!("{cache}/cache-"), "$CACHE");
    insta::assert_snapshot!("editor_session", shown);
}

/// Replaces `prefix` and the `PID-N` that follows it up to the next `/` with `by`.
fn replace_scratch(text: &str, prefix: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        out.push_str(&rest[..i]);
        out.push_str(by);
        let after = &rest[i + prefix.len()..];
        let end = after.find('/').unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Hover of a field whose value doubles at every level (`a30` holds 2^30 copies of `a0`) stops
/// at the evaluation budget and shows nothing, instead of printing the value without end (a
/// finding of the `lsp` fuzz target, fuzz/regressions/lsp/hover-share-doubling); a small field
/// of the same document still shows.
#[test]
fn hover_of_a_value_too_large_to_print() {
    let dir = scratch("doubling");
    let f = dir.join("d.orc");
    let mut text = String::from("a0: {x: 1, y: 2}\n");
    for i in 1..=30 {
        text.push_str(&format!("a{i}: {{l: a{0}, r: a{0}}}\n", i - 1));
    }
    std::fs::write(&f, &text).unwrap();
    let (mut c, _) = Client::start_with(false, &[("ORCHE_MAX_STEPS", "1000000")]);
    open(&mut c, &f, &text);
    c.diagnostics_for(&uri(&f));
    let hover = |c: &mut Client, line: u64| {
        c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&f)}, "position": {"line": line, "character": 1}}),
        )
    };
    let h = hover(&mut c, 30);
    assert_eq!(h["result"], Value::Null, "{h}");
    let h = hover(&mut c, 2);
    let shown = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(shown.contains("x: 1"), "{h}");
    c.stop();
}
