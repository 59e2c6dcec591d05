//! The TextMate grammar of `editors/vscode` (syntax highlighting, docs/editors.md), tested in
//! VS Code's own engine: `vscode-textmate` with `vscode-oniguruma`, pinned in
//! `tests/support/textmate/package-lock.json`, run by `tests/support/textmate/tokenize.mjs`.
//!
//! On every example, every standard library file and every `.orc`/`.cue` input of the golden
//! cases (but those of `testdata/syntax/errors`, which are wrong on purpose): each character but
//! blanks gets a scope beyond the root, none is `invalid`, and a line ends with a rule left open
//! exactly when it ends inside a multi-line string (found by a scan that does not use the
//! grammar). On chosen tokens, the expected scopes (`#Site` a type, `"docker"` a string, `\(x)` an
//! interpolation, `1Ki` a number, …); unfinished text (an unterminated string or `\(`) does not
//! colour the lines after it. The manifest of the VS Code extension is checked without
//! Node. The engine's checks skip with a message when `node` or the npm packages are missing,
//! unless `ORCHE_REQUIRE_TEXTMATE` is set (`.ci/run` sets it after `npm ci`).

#[allow(dead_code)]
#[path = "support/run.rs"]
mod run;
#[allow(dead_code)]
#[path = "support/txtar.rs"]
mod txtar;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const GRAMMAR: &str = "editors/vscode/syntaxes/orche.tmLanguage.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: not JSON: {e}"))
}

/// The extension registers the language for `.orc` with its configuration, and maps the
/// grammar file that exists, under the scope name that file declares.
#[test]
fn extension_manifest_maps_the_grammar() {
    let manifest = read_json("editors/vscode/package.json");
    let languages = manifest["contributes"]["languages"]
        .as_array()
        .expect("languages");
    let orche = languages
        .iter()
        .find(|l| l["id"] == "orche")
        .expect("language orche");
    assert!(
        orche["extensions"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x == ".orc")),
        "{orche}"
    );
    let config_rel = orche["configuration"].as_str().expect("configuration");
    let config = read_json(&format!("editors/vscode/{config_rel}"));
    assert_eq!(config["comments"]["lineComment"], "//");

    let grammars = manifest["contributes"]["grammars"]
        .as_array()
        .expect("grammars");
    assert_eq!(grammars.len(), 1, "{grammars:?}");
    assert_eq!(grammars[0]["language"], "orche");
    let path = grammars[0]["path"].as_str().expect("grammar path");
    assert_eq!(
        Path::new("editors/vscode").join(path.trim_start_matches("./")),
        Path::new(GRAMMAR)
    );
    let grammar = read_json(GRAMMAR);
    assert_eq!(grammar["scopeName"], "source.orche");
    assert_eq!(grammars[0]["scopeName"], grammar["scopeName"]);
}

/// One file as the engine tokenized it: per line, its tokens (UTF-16 offsets and scopes, the
/// root first) and the depth of the rule stack at its end.
struct Tokenized {
    name: String,
    text: String,
    lines: Vec<Line>,
}

struct Line {
    tokens: Vec<(usize, usize, Vec<String>)>,
    depth: u64,
}

impl Tokenized {
    /// Every character of line `n` (0-based) with the scopes of the token that covers it.
    fn chars(&self, n: usize) -> Vec<(char, &[String])> {
        let text = self.text.split('\n').nth(n).unwrap_or("");
        let text = text.strip_suffix('\r').unwrap_or(text);
        let mut out = Vec::new();
        let mut at = 0;
        for c in text.chars() {
            let scopes = self.lines[n]
                .tokens
                .iter()
                .find(|(s, e, _)| *s <= at && at < *e)
                .map_or(&[][..], |t| &t.2[..]);
            out.push((c, scopes));
            at += c.len_utf16();
        }
        out
    }

    /// The scopes of each character of the first occurrence of `needle` on the first line that
    /// contains `line`.
    fn scopes_of(&self, line: &str, needle: &str) -> Vec<(char, Vec<String>)> {
        let (n, text) = self
            .text
            .split('\n')
            .enumerate()
            .find(|(_, l)| l.contains(line))
            .unwrap_or_else(|| panic!("{}: no line contains {line:?}", self.name));
        let from = text[text.find(line).unwrap()..]
            .find(needle)
            .unwrap_or_else(|| panic!("{}:{}: no {needle:?} in {text:?}", self.name, n + 1))
            + text.find(line).unwrap();
        let skip = text[..from].chars().count();
        self.chars(n)
            .into_iter()
            .skip(skip)
            .take(needle.chars().count())
            .map(|(c, s)| (c, s.to_vec()))
            .collect()
    }
}

/// Tokenizes `files` (name, text) with the grammar, or `None` when the engine is not installed
/// (after checking that `ORCHE_REQUIRE_TEXTMATE` does not ask for it).
fn tokenize(files: &[(String, String)]) -> Option<Vec<Tokenized>> {
    let support = root().join("tests/support/textmate");
    let installed = support
        .join("node_modules/vscode-textmate/package.json")
        .exists()
        && support
            .join("node_modules/vscode-oniguruma/package.json")
            .exists();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed || !node {
        assert!(
            std::env::var_os("ORCHE_REQUIRE_TEXTMATE").is_none(),
            "ORCHE_REQUIRE_TEXTMATE is set but node or tests/support/textmate/node_modules is missing"
        );
        eprintln!(
            "editors_grammar: vscode-textmate not installed (npm ci --prefix tests/support/textmate); grammar not tokenized"
        );
        return None;
    }
    let input = serde_json::json!({
        "grammar": root().join(GRAMMAR),
        "files": files.iter().map(|(n, t)| serde_json::json!({"name": n, "text": t})).collect::<Vec<_>>(),
    });
    let mut child = Command::new("node")
        .arg(support.join("tokenize.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    let mut stdin = child.stdin.take().expect("stdin");
    let body = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(body.as_bytes()));
    let out = child.wait_with_output().expect("wait for node");
    writer.join().expect("writer").expect("write to node");
    assert!(
        out.status.success(),
        "tokenize.mjs failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("tokenize.mjs JSON");
    let result = json["files"]
        .as_array()
        .expect("files")
        .iter()
        .zip(files)
        .map(|(f, (name, text))| {
            assert_eq!(f["name"].as_str(), Some(name.as_str()));
            let lines = f["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| Line {
                    tokens: l["tokens"]
                        .as_array()
                        .expect("tokens")
                        .iter()
                        .map(|t| {
                            let n = |i: usize| t[i].as_u64().expect("offset") as usize;
                            let scopes = t[2].as_array().expect("scopes");
                            let scopes = scopes.iter().map(|s| s.as_str().unwrap().to_owned());
                            (n(0), n(1), scopes.collect())
                        })
                        .collect(),
                    depth: l["depth"].as_u64().expect("depth"),
                })
                .collect::<Vec<_>>();
            assert_eq!(lines.len(), text.split('\n').count(), "{name}");
            Tokenized {
                name: name.clone(),
                text: text.clone(),
                lines,
            }
        })
        .collect();
    Some(result)
}

/// The corpus: examples, the standard library, and the inputs of the golden cases but those of
/// testdata/syntax/errors, named `path` or `path:section`.
fn corpus() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["examples", "stdlib"] {
        for rel in run::find_files(&root().join(dir), ".orc") {
            let text = std::fs::read_to_string(root().join(dir).join(&rel)).expect("read");
            files.push((format!("{dir}/{rel}"), text));
        }
    }
    let testdata = root().join("testdata");
    for rel in run::find_files(&testdata, ".txtar") {
        if rel.starts_with("syntax/errors/") {
            continue;
        }
        let archive = txtar::parse(&std::fs::read_to_string(testdata.join(&rel)).expect("read"));
        for s in archive.sections {
            if s.name.ends_with(".orc") || s.name.ends_with(".cue") {
                files.push((format!("testdata/{rel}:{}", s.name), s.data));
            }
        }
    }
    files.sort();
    files
}

/// For each line, whether it ends inside a multi-line string, found without the grammar: a
/// line ending in `"""` or `'''` (after any `#`s) opens one, and while one is open, a line whose
/// first text is the same delimiter followed by the same `#`s closes it.
fn inside_multiline(text: &str) -> Vec<bool> {
    let open = regex::Regex::new(r#"(#*)("""|''')[ \t]*\r?$"#).unwrap();
    let mut state: Option<String> = None;
    text.split('\n')
        .map(|line| {
            match &state {
                Some(close) => {
                    if line.trim_start().starts_with(close.as_str()) {
                        state = None;
                    }
                }
                None => {
                    if let Some(m) = open.captures(line) {
                        state = Some(format!("{}{}", &m[2], &m[1]));
                    }
                }
            }
            state.is_some()
        })
        .collect()
}

#[test]
fn corpus_is_fully_scoped_and_multiline_state_is_exact() {
    let files = corpus();
    assert!(
        files.len() > 100,
        "only {} files in the corpus",
        files.len()
    );
    assert!(
        files.iter().any(|(_, t)| t.contains("\"\"\"\n")),
        "no multi-line string in the corpus"
    );
    let Some(tokenized) = tokenize(&files) else {
        return;
    };
    let mut offences = Vec::new();
    let mut multiline_lines = 0;
    for f in &tokenized {
        let expect_open = inside_multiline(&f.text);
        for (n, line) in f.lines.iter().enumerate() {
            let at = format!("{}:{}", f.name, n + 1);
            for (c, scopes) in f.chars(n) {
                if c.is_whitespace() {
                    continue;
                }
                if scopes.len() < 2 {
                    offences.push(format!(
                        "{at}: {c:?} has no scope beyond the root {scopes:?}"
                    ));
                } else if let Some(bad) = scopes.iter().find(|s| s.starts_with("invalid")) {
                    offences.push(format!("{at}: {c:?} is {bad}"));
                }
            }
            let open = line.depth > 1;
            if open != expect_open[n] {
                offences.push(format!(
                    "{at}: the line ends with {} (rule stack depth {}), expected {}",
                    if open { "a rule open" } else { "nothing open" },
                    line.depth,
                    if expect_open[n] {
                        "inside a multi-line string"
                    } else {
                        "nothing open"
                    },
                ));
            }
            if expect_open[n] {
                multiline_lines += 1;
                // The next line's text is string content (or the closing delimiter).
                if let Some((c, scopes)) =
                    f.chars(n + 1).into_iter().find(|(c, _)| !c.is_whitespace())
                {
                    if !scopes.iter().any(|s| s.starts_with("string.quoted.triple")) {
                        offences.push(format!(
                            "{}:{}: {c:?} inside a multi-line string is {scopes:?}",
                            f.name,
                            n + 2
                        ));
                    }
                }
            }
        }
        if f.lines.last().is_some_and(|l| l.depth != 1) {
            offences.push(format!(
                "{}: a rule is still open at the end of the file",
                f.name
            ));
        }
    }
    assert!(
        multiline_lines > 10,
        "only {multiline_lines} lines inside multi-line strings"
    );
    offences.truncate(40);
    assert!(
        offences.is_empty(),
        "{} files:\n  {}",
        tokenized.len(),
        offences.join("\n  ")
    );
}

/// Syntax the corpus has little of, in one file that orche accepts (checked below).
const SAMPLE: &str = r###"package sample

import (
	"list"
	s "strings"
)

// x
#Site: {
	name!:   string
	port?:   int & >=1 & <=65535 | *8080
	_hidden: 1Ki + 0x1F + 0o17 + 0b1010 + 1_000 + .5 + 1.5e3 + 2.5M
	if:      "keyword as a label"
	"quoted-label"?: bytes
	tags: [...string] @go(Tags,omitempty) @tag(x, "y)z", nested(p(q)))
	match:   =~"^[a-z]+$" & !~"x"
	never:   _|_ | int
	any:     _
	b:       '\x41\(name)'
	raw:     #"a\nb \(name) \#(name)"#
	raw2:    ##"a "# \#(x) \##(name)"##
	nested:  "outer \("inner \(len(tags))") done"
	text: """
		multi \(s.ToUpper(name)) "line"
		"""
	bytes: '''
		ab\(name)
		'''
	let L = list.Concat([[1], [2]])
	count: len(L) div 2
	for i, t in tags if t != "" {
		"tag-\(i)": t
	}
	...
}
"###;

fn has(scopes: &[String], prefix: &str) -> bool {
    scopes.iter().any(|s| s.starts_with(prefix))
}

#[track_caller]
fn expect(f: &Tokenized, line: &str, needle: &str, prefix: &str) {
    for (c, scopes) in f.scopes_of(line, needle) {
        assert!(
            has(&scopes, prefix),
            "{}: {c:?} of {needle:?} (line with {line:?}) is {scopes:?}, expected {prefix}…",
            f.name
        );
    }
}

#[track_caller]
fn expect_not(f: &Tokenized, line: &str, needle: &str, prefix: &str) {
    for (c, scopes) in f.scopes_of(line, needle) {
        assert!(
            !has(&scopes, prefix),
            "{}: {c:?} of {needle:?} (line with {line:?}) is {scopes:?}, expected no {prefix}…",
            f.name
        );
    }
}

#[test]
fn chosen_tokens_have_the_expected_scopes() {
    // SAMPLE is valid orche: its scopes are those of real syntax.
    let dir = std::env::temp_dir().join(format!("orche-grammar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sample = dir.join("sample.orc");
    std::fs::write(&sample, SAMPLE).expect("write sample.orc");
    let vet = Command::new(run::ORCHE)
        .arg("eval")
        .arg(&sample)
        .output()
        .expect("run orche");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        vet.status.success(),
        "orche eval rejects the sample: {}",
        String::from_utf8_lossy(&vet.stderr)
    );

    let read = |rel: &str| {
        let path: PathBuf = root().join(rel);
        (rel.to_owned(), std::fs::read_to_string(path).expect("read"))
    };
    let txtar_input = |rel: &str| {
        let archive = txtar::parse(&std::fs::read_to_string(root().join(rel)).expect("read"));
        (
            rel.to_owned(),
            archive.get("in.orc").expect("in.orc").to_owned(),
        )
    };
    let files = vec![
        ("sample.orc".to_owned(), SAMPLE.to_owned()),
        read("examples/hello.orc"),
        read("examples/federation.orc"),
        txtar_input("testdata/syntax/numbers/multipliers.txtar"),
        txtar_input("testdata/syntax/errors/invalid_escape.txtar"),
    ];
    let Some(t) = tokenize(&files) else {
        return;
    };
    let (sample, hello, federation, multipliers, invalid) = (&t[0], &t[1], &t[2], &t[3], &t[4]);

    // The brief's six: a definition, a string, a comment, an interpolation, a number, a keyword.
    expect(hello, "#Site: {", "#Site", "entity.name.type");
    expect(
        hello,
        "sites: [Name=string]: #Site",
        "#Site",
        "entity.name.type",
    );
    expect(
        federation,
        "federation.#Federation & {",
        "#Federation",
        "entity.name.type",
    );
    expect(
        federation,
        "postgres: {kind: \"docker\"",
        "\"docker\"",
        "string.quoted.double",
    );
    expect(sample, "// x", "// x", "comment.line.double-slash");
    expect(
        hello,
        "// Derived data",
        "// Derived data, computed",
        "comment.line",
    );
    expect(hello, "https://", "\\(rn)", "meta.interpolation");
    expect(hello, "https://", "\\(rn)", "string.quoted.double");
    expect(hello, "https://", "https://", "string.quoted.double");
    expect_not(hello, "https://", "https://", "meta.interpolation");
    expect(multipliers, "ki:", "1Ki", "constant.numeric");
    expect(multipliers, "fki:", "0.5Ki", "constant.numeric");
    expect(multipliers, "sep:", "1_000_000", "constant.numeric");
    expect(hello, "package hello", "package", "keyword");
    expect(hello, "package hello", "hello", "entity.name.namespace");
    expect(
        federation,
        "import \"orche/federation\"",
        "import",
        "keyword",
    );
    expect(
        federation,
        "import \"orche/federation\"",
        "\"orche/federation\"",
        "string",
    );

    // Labels: plain, optional, required, quoted, hidden, definitions, keywords used as labels.
    expect(
        hello,
        "\tname:  string",
        "name",
        "support.type.property-name",
    );
    expect(hello, "port?: int", "port", "support.type.property-name");
    expect(hello, "port?: int", "?", "keyword.operator.optional");
    expect(sample, "name!:", "!", "keyword.operator.required");
    expect(
        sample,
        "\"quoted-label\"?:",
        "\"quoted-label\"",
        "support.type.property-name",
    );
    expect(
        sample,
        "\"quoted-label\"?:",
        "\"quoted-label\"",
        "string.quoted.double",
    );
    expect(sample, "\"tag-\\(i)\": t", "\\(i)", "meta.interpolation");
    expect(
        sample,
        "_hidden:",
        "_hidden",
        "support.type.property-name.hidden",
    );
    expect(
        sample,
        "if:      \"keyword",
        "if",
        "support.type.property-name",
    );
    expect_not(sample, "if:      \"keyword", "if", "keyword");
    expect(
        hello,
        "resources: [Name=string]",
        "Name",
        "variable.other.alias",
    );

    // Keywords, constants and builtins.
    expect(hello, "for sn, s in sites {", "for", "keyword.control");
    expect(hello, "for sn, s in sites {", "in", "keyword.control");
    expect(hello, "if r.kind", "if", "keyword.control");
    expect(sample, "let L =", "let", "keyword");
    expect(sample, "let L =", "L", "variable");
    expect(
        hello,
        "depends_on: [string]: true",
        "true",
        "constant.language",
    );
    expect(sample, "never:", "_|_", "constant.language.bottom");
    expect(sample, "any:     _", "_", "support.type.builtin");
    expect(sample, "port?:", "int", "support.type.builtin");
    expect(
        sample,
        "\"quoted-label\"?:",
        "bytes",
        "support.type.builtin",
    );
    expect(sample, "name!:", "string", "support.type.builtin");
    expect(sample, "count: len(L)", "len", "support.function.builtin");
    expect(sample, "count: len(L)", "div", "keyword.operator.word");

    // Numbers in every base and form.
    for n in [
        "1Ki", "0x1F", "0o17", "0b1010", "1_000", ".5", "1.5e3", "2.5M",
    ] {
        expect(sample, "_hidden:", n, "constant.numeric");
    }
    expect(
        sample,
        "_hidden:",
        "0x1F",
        "constant.numeric.integer.hexadecimal",
    );
    expect(sample, "_hidden:", "0o17", "constant.numeric.integer.octal");
    expect(
        sample,
        "_hidden:",
        "0b1010",
        "constant.numeric.integer.binary",
    );
    expect(sample, "_hidden:", "1.5e3", "constant.numeric.float");

    // Operators: unification, disjunction, default, bounds, regular expressions.
    expect(sample, "port?:", "&", "keyword.operator.unification");
    expect(sample, "port?:", "|", "keyword.operator.disjunction");
    expect(sample, "port?:", "*", "keyword.operator.default");
    expect(sample, "port?:", ">=", "keyword.operator.comparison");
    expect(sample, "port?:", "<=", "keyword.operator.comparison");
    expect(sample, "match:", "=~", "keyword.operator.regexp");
    expect(sample, "match:", "!~", "keyword.operator.regexp");
    expect(sample, "_hidden:", "+", "keyword.operator.arithmetic");
    expect(
        sample,
        "for i, t in tags if t != \"\"",
        "!=",
        "keyword.operator.comparison",
    );
    expect(sample, "\t...", "...", "keyword.operator.ellipsis");

    // Attributes, nested parentheses and quoted `)` included.
    expect(
        sample,
        "tags: [...string] @go",
        "@go(Tags,omitempty)",
        "meta.attribute",
    );
    expect(
        sample,
        "tags: [...string] @go",
        "go",
        "entity.other.attribute-name",
    );
    expect(
        sample,
        "@tag(",
        "@tag(x, \"y)z\", nested(p(q)))",
        "meta.attribute",
    );
    expect_not(sample, "@tag(", "\"y)z\"", "support.type.property-name");

    // Strings: bytes, raw strings (escapes and interpolations need the `#`s), nested
    // interpolations, multi-line strings and bytes.
    expect(sample, "b:       '", "'\\x41", "string.quoted.single.bytes");
    expect(sample, "b:       '", "\\x41", "constant.character.escape");
    expect(sample, "b:       '", "\\(name)", "meta.interpolation");
    expect(
        sample,
        "raw:     #\"",
        "#\"a\\nb \\(name) \\#(name)\"#",
        "string.quoted.double.raw",
    );
    expect_not(sample, "raw:     #\"", "\\n", "constant.character.escape");
    expect_not(sample, "raw:     #\"", "\\(name)", "meta.interpolation");
    expect(sample, "raw:     #\"", "\\#(name)", "meta.interpolation");
    expect(
        sample,
        "raw2:",
        "##\"a \"# \\#(x) \\##(name)\"##",
        "string.quoted.double.raw",
    );
    expect_not(sample, "raw2:", "\\#(x)", "meta.interpolation");
    expect(sample, "raw2:", "\\##(name)", "meta.interpolation");
    expect(sample, "nested:", "\"inner ", "meta.interpolation");
    expect(sample, "nested:", "\\(len(tags))", "meta.interpolation");
    expect(sample, "nested:", "len", "support.function.builtin");
    expect(sample, "nested:", " done\"", "string.quoted.double");
    expect_not(sample, "nested:", " done\"", "meta.interpolation");
    expect(sample, "\t\tmulti", "multi", "string.quoted.triple");
    expect(
        sample,
        "\t\tmulti",
        "\\(s.ToUpper(name))",
        "meta.interpolation",
    );
    expect(sample, "\t\tmulti", "ToUpper", "entity.name.function");
    expect(sample, "\t\tmulti", "\"line\"", "string.quoted.triple");
    expect(sample, "\t\tab\\(name)", "ab", "string.quoted.triple.bytes");
    expect(sample, "\t\tab\\(name)", "\\(name)", "meta.interpolation");
    expect_not(sample, "let L =", "let", "string");
    // The closing delimiter ends the multi-line bytes.
    expect(
        sample,
        "\t\t'''",
        "'''",
        "punctuation.definition.string.end",
    );

    // An escape orche rejects is marked.
    expect(invalid, "\\q", "\\q", "invalid.illegal");
}

/// Text as it is while being typed: an unterminated string or interpolation ends with its line,
/// and an unclosed `\(` in a multi-line string ends where the string does, so the lines after
/// keep their colours.
#[test]
fn unfinished_input_does_not_spill() {
    let text = "a: \"unterminated\nb: \"\\(open\nm: \"\"\"\n\tx \\(open\n\t\"\"\"\nc: 1\n";
    let Some(t) = tokenize(&[("typing.orc".to_owned(), text.to_owned())]) else {
        return;
    };
    let depths: Vec<u64> = t[0].lines.iter().map(|l| l.depth).collect();
    assert_eq!(&depths[..2], &[1, 1], "{text}");
    assert!(depths[2] > 1 && depths[3] > 1, "{depths:?}");
    assert_eq!(&depths[4..], &[1, 1, 1], "{text}");
    expect(&t[0], "b: ", "b", "support.type.property-name");
    expect(
        &t[0],
        "\t\"\"\"",
        "\"\"\"",
        "punctuation.definition.string.end",
    );
    expect(&t[0], "c: 1", "c", "support.type.property-name");
    expect(&t[0], "c: 1", "1", "constant.numeric");
}
