//! The parser's fast path (`syntax::parse_file_fast`, hand-written) against pest
//! (`syntax::parse_file_with_pest`), on every input file of the golden cases, the conformance
//! suite, the stdlib and the examples, and on thousands of mutations of them. Invariant checked:
//! whenever the fast path returns an AST, pest accepts the same text and builds the same AST,
//! spans included; where the fast path gives up, `parse_file` uses pest, so diagnostics cannot
//! differ. It also checks that the fast path handles the valid files itself, so that a change
//! cannot quietly send everything back to pest.

use std::path::{Path, PathBuf};

use orche::source::FileId;
use orche::syntax::{parse_file_fast, parse_file_with_pest};

#[allow(dead_code)]
#[path = "support/txtar.rs"]
mod txtar;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, ext, out);
        } else if path
            .extension()
            .is_some_and(|e| ext.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
}

/// (name, text) of every orche/CUE source the repository and the conformance suite hold.
fn corpus() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let conformance = match std::env::var_os("ORCHE_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("../shared/conformance"),
    };
    let mut archives = Vec::new();
    files_under(&root().join("testdata"), &["txtar"], &mut archives);
    files_under(&conformance, &["txtar"], &mut archives);
    // testdata/robustness/ is hostile input (999 levels of nesting, chains, explosions): pest,
    // run here on every file to compare trees, backtracks for many minutes on the deepest, and
    // tests/robustness.rs and the golden runner cover those files with a time bound.
    archives.retain(|p| !p.components().any(|c| c.as_os_str() == "robustness"));
    for path in archives {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for section in txtar::parse(&text).sections {
            if section.name.ends_with(".orc") || section.name.ends_with(".cue") {
                out.push((format!("{}:{}", path.display(), section.name), section.data));
            }
        }
    }
    let mut sources = Vec::new();
    files_under(&root().join("stdlib"), &["orc"], &mut sources);
    files_under(&root().join("examples"), &["orc"], &mut sources);
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        out.push((path.display().to_string(), text));
    }
    out
}

/// What happened to one text: whether the fast path handled it and whether pest accepts it.
struct Outcome {
    fast: bool,
    valid: bool,
}

/// Checks the invariant on one text.
fn agree(name: &str, text: &str) -> Outcome {
    let fast = parse_file_fast(FileId(0), text);
    let slow = parse_file_with_pest(FileId(0), text);
    let outcome = Outcome {
        fast: fast.is_some(),
        valid: slow.is_ok(),
    };
    let Some(fast) = fast else {
        return outcome;
    };
    match slow {
        Ok(slow) => {
            let (fast, slow) = (format!("{fast:#?}"), format!("{slow:#?}"));
            if fast != slow {
                let diff = similar::TextDiff::from_lines(&slow, &fast)
                    .unified_diff()
                    .header("pest", "fast path")
                    .to_string();
                panic!("{name}: the fast path builds another AST for {text:?}:\n{diff}");
            }
        }
        Err(errs) => panic!(
            "{name}: the fast path accepts {text:?}, which pest rejects: {:?}",
            errs.iter().map(|d| &d.message).collect::<Vec<_>>()
        ),
    }
    outcome
}

#[test]
fn fast_path_builds_pests_ast_on_every_corpus_file() {
    let corpus = corpus();
    assert!(corpus.len() > 100, "corpus too small: {}", corpus.len());
    let mut valid = 0;
    let mut fast = 0;
    let mut missed = Vec::new();
    for (name, text) in &corpus {
        let outcome = agree(name, text);
        if outcome.valid {
            valid += 1;
            if outcome.fast {
                fast += 1;
            } else {
                missed.push(name.as_str());
            }
        }
    }
    eprintln!("fast path: {fast} of {valid} valid files; missed: {missed:#?}");
    // Valid files the fast path leaves to pest use rare forms (non-ASCII identifiers, keywords
    // as references): a handful at most.
    assert!(
        fast * 100 >= valid * 97,
        "the fast path handled only {fast} of {valid} valid files; missed: {missed:#?}"
    );
}

/// Insertions that make or break the forms the fast path decides on.
const SNIPPETS: &[&str] = &[
    " ",
    "\n",
    "\r\n",
    "\t",
    "// c\n",
    ",",
    ":",
    "?",
    "!",
    "=",
    "==",
    "#",
    "\"",
    "'",
    "\"\"\"\n",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ".",
    "...",
    "@a(x)",
    "-",
    "*",
    "|",
    "&",
    "<",
    ">=",
    "_|_",
    "_",
    "if ",
    "for ",
    "for x in y ",
    "in ",
    "let ",
    "let x = 1\n",
    "\\(",
    "\\",
    "0x",
    "1e",
    "1.",
    ".5",
    "2Ki",
    "é",
    "\u{FEFF}",
    "x\u{301}",
    "\u{663}",
    "\u{a0}",
    "ǅ",
    "日本",
    "null",
    "true",
    "package ",
    "import ",
    "div ",
    "X=",
];

/// A small deterministic generator (64-bit LCG), so that failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

/// The char boundary at or before `i`.
fn boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(text: &str, rng: &mut Lcg) -> String {
    let mut out = text.to_string();
    for _ in 0..1 + rng.next(3) {
        let at = boundary(&out, rng.next(out.len() + 1));
        match rng.next(4) {
            0 if at < out.len() => {
                let len = out[at..].chars().next().map_or(0, char::len_utf8);
                out.replace_range(at..at + len, "");
            }
            1 if at < out.len() => {
                let len = out[at..].chars().next().map_or(0, char::len_utf8);
                let c = out[at..at + len].to_string();
                out.insert_str(at, &c);
            }
            _ => out.insert_str(at, SNIPPETS[rng.next(SNIPPETS.len())]),
        }
    }
    out
}

#[test]
fn fast_path_never_accepts_what_pest_rejects_nor_differs_on_mutations() {
    // A longer search: ORCHE_FAST_PATH_ROUNDS=500 ORCHE_FAST_PATH_SEED=7 cargo test --release
    // --test syntax_fast_path.
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rounds = env("ORCHE_FAST_PATH_ROUNDS", 10);
    let mut rng = Lcg(env("ORCHE_FAST_PATH_SEED", 0x0bc4e));
    let mut checked = 0;
    let mut handled = 0;
    for (name, text) in corpus() {
        if text.len() > 3000 {
            continue;
        }
        for round in 0..rounds {
            let variant = mutate(&text, &mut rng);
            checked += 1;
            if agree(&format!("{name} (mutation {round})"), &variant).fast {
                handled += 1;
            }
        }
    }
    eprintln!("fast path: {handled} of {checked} mutations");
    assert!(
        checked > 1000 && handled > checked / 10,
        "{handled} of {checked} mutations took the fast path"
    );
}

/// The depth check before parsing ends a comment at `\n` only, while the grammar also ends it at
/// a lone `\r`; nesting hidden that way must still be an error, not a stack overflow.
#[test]
fn nesting_behind_a_carriage_return_is_bounded() {
    let depth = 100_000;
    let text = format!("a: 1 //\rb: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    assert!(parse_file_fast(FileId(0), &text).is_none());
    assert!(orche::syntax::parse_file(FileId(0), &text).is_err());
}

/// Forms where pest's spans or choices are easy to get wrong: each must take the fast path and
/// agree with pest.
#[test]
fn tricky_forms_take_the_fast_path() {
    let samples = [
        "a : 1\n",
        "a: {...  // open\n}\n",
        "let x = 1 // c\ny: x\n",
        "for k, v in {a: 1} {(k): v}\n",
        "if true  {b: 1}\n",
        "x: [for x in [1, 2] if x > 1 let y = x {y}]\n",
        "x: a.b[1][2:][:3](4,\n5,\n)\n",
        "x: a .b [1] (2)\n",
        "café: 1\ny: café\n日本: \"j\"\n",
        "#\"raw \\#(x) \\n\"#: 1\nx: 2\n",
        "x: \"\"\"\n    a\n    \\(y)\n    \"\"\"\ny: 1\n",
        "x: 'bytes\\x00\\101'\n",
        "[X=string]: {name: X}\n",
        "a?: int\nb!: string\nc ?: 1\n",
        "x: 1 div 2 mod 3 + 4 * 5 - 6\n",
        "x: *1 | int\ny: >=0 & <10\nz: !=\"\" & =~\"a\"\n",
        "package foo\n\nimport (\n\t\"strings\"\n\ts \"list\"\n)\n\nx: 1\n",
        "a: b: c: 1 @attr(x, \"y)\") @other()\n",
        "if: 1\nfor?: 2\nlet!: 3\npackage: 4\nimport: 5\n",
        "\u{FEFF}a: 1\r\nb: 2\r\n",
        "a: 1, b: 2,\n",
        "x: 1.5e3\ny: .5\nz: 0x1F\nw: 2Ki\nv: 1_000\n",
        "x: _|_\ny: null\nz: true\n_h: 1\n#D: {a: int}\n_#hd: 2\n",
        "x: [1, 2, ...int]\ny: [...]\n",
        "X=a: 1\nb: X\n",
    ];
    for text in samples {
        assert!(
            parse_file_fast(FileId(0), text).is_some(),
            "the fast path gave up on {text:?}"
        );
        agree("sample", text);
    }
}

/// Literal forms the corpus has few of; valid or not, the two paths must agree.
#[test]
fn rare_literals_agree() {
    let samples = [
        "x: '''\n  a\\x41\n  '''\n",
        "x: #\"\"\"\n  a \\#(1+2) \\(raw)\n  \"\"\"#\n",
        "x: \"\"\"\r\n  a\r\n  \"\"\"\r\n",
        "x: \"\"\"\n\n  a\n\t\n \n  \"\"\"\n",
        "x: \"\"\"\n  \\(a)\n  \"\"\"\n",
        "x: \"\"\"\n  a\\(b)c\n    d\n  \"\"\"\n",
        "x: \"\"\"\n  a\n b\n  \"\"\"\n",
        "x: \"\"\"\n  a\\\n  \"\"\"\n",
        "x: \"a\\(\"b\\(c)\")d\"\n",
        "x: '\\(a)'\n",
        "'\\(a)': 1\n",
        "\"\\(a)\": 1\n",
        "x: \"\\u00e9\\U0001F600\\/\\'\"\n",
        "x: \"\\ud800\"\n",
        "x: '\\377\\400'\n",
        "x: '\\xff\\(y)'\n",
        "x: \"\\x41\"\n",
        "x: ##\"a\"#b\"##\n",
        "x: #\"a\\#nb\\nc\"#\n",
        "x: \"\"\n",
        "x: \"\"\"a\"\"\"\n",
        "x: 0b101 + 0o17 + 0X1f + 1.5Gi + 1e+3 + 1E-3\n",
        "x: 1.e3\ny: 0x\n",
        "x: @a(\"(\\\")\")\n",
        "a: 1 @x(\"a\nb\")\n",
        "x: a.\"b\"\ny: a.#\"b\"#\n",
        "x: a[1:\n]\n",
    ];
    let mut fast = 0;
    for text in samples {
        let outcome = agree("sample", text);
        if outcome.fast {
            fast += 1;
        } else if outcome.valid {
            eprintln!("valid, left to pest: {text:?}");
        }
    }
    assert!(fast > 0);
}
