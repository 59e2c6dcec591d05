//! Parser checks: every CUE file of the conformance suite parses, tricky forms produce the AST
//! the doc comments of `syntax::ast` describe, and bad input gives worded errors, never a panic
//! or a hang. Invariant: the list of conformance sections expected to fail is explicit, and a
//! section that starts parsing (or stops) makes the test fail until the list is updated.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use orche::diag::Diag;
use orche::source::{FileId, SourceMap};
use orche::syntax::ast::{self, Decl, Expr, ExprKind, LabelKind, ListElem};
use orche::syntax::{parse_expr, parse_file};

#[allow(dead_code)]
#[path = "support/txtar.rs"]
mod txtar;

/// Sections of the conformance suite that are intentionally invalid CUE syntax, with the reason
/// (each checked against cue's `expect/stderr` in the same file). Empty: no `expect/stderr` of
/// the suite (cue v0.14.2) reports a syntax error, so every section must parse.
const INVALID_SECTIONS: &[(&str, &str)] = &[];

/// Valid CUE that orche does not parse yet. Empty since `==x` bounds parse in files with
/// `@experiment(structcmp)`.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// Helpers

fn file(text: &str) -> ast::File {
    match parse_file(FileId(0), text) {
        Ok(f) => f,
        Err(errs) => panic!(
            "parse failed for {:?}:\n{}",
            short(text),
            render(text, &errs)
        ),
    }
}

/// The start of a text, for failure messages about huge inputs.
fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

fn expr(text: &str) -> Expr {
    match parse_expr(FileId(0), text) {
        Ok(e) => e,
        Err(errs) => panic!("parse failed for {text:?}:\n{}", render(text, &errs)),
    }
}

fn errors(text: &str) -> Vec<Diag> {
    match parse_file(FileId(0), text) {
        Ok(f) => panic!("expected a syntax error for {:?}, got {f:?}", short(text)),
        Err(errs) => errs,
    }
}

fn render(text: &str, errs: &[Diag]) -> String {
    let mut sources = SourceMap::new();
    sources.add("in.cue", text);
    errs.iter()
        .map(|d| format!("{}: {}", d.code, d.render_plain(&sources)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A compact S-expression for an expression, so that assertions read like the source.
fn show(e: &Expr) -> String {
    let mut out = String::new();
    show_expr(&mut out, e);
    out
}

fn show_expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Ident(i) => out.push_str(&i.name),
        ExprKind::Bottom => out.push_str("_|_"),
        ExprKind::Null => out.push_str("null"),
        ExprKind::Bool(b) => write!(out, "{b}").unwrap(),
        ExprKind::Int(s) => write!(out, "int:{s}").unwrap(),
        ExprKind::Float(s) => write!(out, "float:{s}").unwrap(),
        ExprKind::String(s) => write!(out, "{s:?}").unwrap(),
        ExprKind::Bytes(b) => write!(out, "b{:?}", String::from_utf8_lossy(b)).unwrap(),
        ExprKind::Interpolation(i) => show_interp(out, i),
        ExprKind::Struct(decls) => {
            out.push('{');
            for (n, d) in decls.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                show_decl(out, d);
            }
            out.push('}');
        }
        ExprKind::List(elems) => {
            out.push('[');
            for (n, el) in elems.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                match el {
                    ListElem::Expr(e) => show_expr(out, e),
                    ListElem::Comprehension(c) => show_comprehension(out, c),
                    ListElem::Ellipsis(t, _) => show_ellipsis(out, t),
                }
            }
            out.push(']');
        }
        ExprKind::Selector(x, name) => {
            show_expr(out, x);
            write!(out, ".{}", name.name).unwrap();
        }
        ExprKind::Index(x, i) => {
            show_expr(out, x);
            out.push('[');
            show_expr(out, i);
            out.push(']');
        }
        ExprKind::Slice(x, lo, hi) => {
            show_expr(out, x);
            out.push('[');
            if let Some(lo) = lo {
                show_expr(out, lo);
            }
            out.push(':');
            if let Some(hi) = hi {
                show_expr(out, hi);
            }
            out.push(']');
        }
        ExprKind::Call(f, args) => {
            show_expr(out, f);
            out.push('(');
            for (n, a) in args.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                show_expr(out, a);
            }
            out.push(')');
        }
        ExprKind::Unary(op, x) => {
            write!(out, "({op:?} ").unwrap();
            show_expr(out, x);
            out.push(')');
        }
        ExprKind::Binary(op, l, r) => {
            write!(out, "({op:?} ").unwrap();
            show_expr(out, l);
            out.push(' ');
            show_expr(out, r);
            out.push(')');
        }
        ExprKind::Paren(x) => {
            out.push_str("(paren ");
            show_expr(out, x);
            out.push(')');
        }
    }
}

fn show_interp(out: &mut String, i: &ast::Interpolation) {
    out.push_str(if i.bytes { "(interp-bytes" } else { "(interp" });
    for p in &i.parts {
        out.push(' ');
        match p {
            ast::InterpPart::Lit(s) => write!(out, "{s:?}").unwrap(),
            ast::InterpPart::Expr(e) => show_expr(out, e),
        }
    }
    out.push(')');
}

fn show_ellipsis(out: &mut String, t: &Option<Expr>) {
    out.push_str("...");
    if let Some(t) = t {
        show_expr(out, t);
    }
}

fn show_decl(out: &mut String, d: &Decl) {
    match d {
        Decl::Field(f) => {
            if let Some(a) = &f.label.alias {
                write!(out, "{}=", a.name).unwrap();
            }
            match &f.label.kind {
                LabelKind::Ident(i) => out.push_str(&i.name),
                LabelKind::String(s) => write!(out, "{s:?}").unwrap(),
                LabelKind::Interpolation(i) => show_interp(out, i),
                LabelKind::Paren(e) => {
                    out.push('(');
                    show_expr(out, e);
                    out.push(')');
                }
                LabelKind::Pattern { alias, expr } => {
                    out.push('[');
                    if let Some(a) = alias {
                        write!(out, "{}=", a.name).unwrap();
                    }
                    show_expr(out, expr);
                    out.push(']');
                }
            }
            out.push_str(match f.constraint {
                ast::Constraint::Regular => "",
                ast::Constraint::Optional => "?",
                ast::Constraint::Required => "!",
            });
            out.push_str(": ");
            show_expr(out, &f.value);
        }
        Decl::Embed(e) => {
            out.push_str("embed ");
            show_expr(out, e);
        }
        Decl::Let(l) => {
            write!(out, "let {} = ", l.name.name).unwrap();
            show_expr(out, &l.value);
        }
        Decl::Ellipsis(t, _) => show_ellipsis(out, t),
        Decl::Comprehension(c) => show_comprehension(out, c),
    }
}

fn show_comprehension(out: &mut String, c: &ast::Comprehension) {
    for clause in &c.clauses {
        match clause {
            ast::Clause::For {
                key, value, source, ..
            } => {
                out.push_str("for ");
                if let Some(k) = key {
                    write!(out, "{}, ", k.name).unwrap();
                }
                write!(out, "{} in ", value.name).unwrap();
                show_expr(out, source);
            }
            ast::Clause::If(cond, _) => {
                out.push_str("if ");
                show_expr(out, cond);
            }
            ast::Clause::Let(l) => {
                write!(out, "let {} = ", l.name.name).unwrap();
                show_expr(out, &l.value);
            }
        }
        out.push(' ');
    }
    show_expr(out, &c.body);
}

/// The declarations of a file, shown as a struct body.
fn decls(text: &str) -> String {
    let f = file(text);
    let as_struct = Expr {
        kind: ExprKind::Struct(f.decls),
        span: f.span,
    };
    show(&as_struct)
}

// ---------------------------------------------------------------------------------------------
// (1) The conformance suite

fn txtar_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            txtar_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "txtar") {
            out.push(path);
        }
    }
}

#[test]
fn conformance_sections_parse() {
    // The same folder as tests/conformance.rs: `../shared/conformance` beside the repository.
    let root = match std::env::var_os("ORCHE_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
    };
    let root = root.as_path();
    if !root.is_dir() {
        eprintln!(
            "note: {} is absent; skipping the conformance parse check",
            root.display()
        );
        return;
    }
    let mut paths = Vec::new();
    txtar_files(root, &mut paths);
    let mut failures = Vec::new();
    let mut unexpected_passes = Vec::new();
    let mut count = 0;
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        for section in txtar::parse(&text).sections {
            let (name, body) = (section.name, section.data);
            if !name.ends_with(".cue") {
                continue;
            }
            count += 1;
            let id = format!("{rel}:{name}");
            let expected_invalid = INVALID_SECTIONS
                .iter()
                .chain(KNOWN_FAILURES)
                .any(|(s, _)| *s == id);
            match parse_file(FileId(0), &body) {
                Ok(_) if expected_invalid => unexpected_passes.push(id),
                Ok(_) => {}
                Err(_) if expected_invalid => {}
                Err(errs) => failures.push(format!("{id}\n{}", render(&body, &errs))),
            }
        }
    }
    assert!(count > 0, "no .cue sections found under {}", root.display());
    assert!(
        failures.is_empty() && unexpected_passes.is_empty(),
        "{} of {count} sections failed to parse:\n{}\n\nlisted as invalid but parsed: {:?}",
        failures.len(),
        failures.join("\n\n"),
        unexpected_passes
    );
}

// ---------------------------------------------------------------------------------------------
// (2) The AST of tricky forms

#[test]
fn chained_labels_desugar_with_their_own_spans() {
    let text = "a: b?: c!: 1";
    let f = file(text);
    assert_eq!(decls(text), "{a: {b?: {c!: int:1}}}");
    let Decl::Field(a) = &f.decls[0] else {
        panic!()
    };
    assert_eq!((a.span.start, a.span.end), (0, 12));
    assert_eq!((a.label.span.start, a.label.span.end), (0, 1));
    assert_eq!((a.value.span.start, a.value.span.end), (3, 12));
    let ExprKind::Struct(inner) = &a.value.kind else {
        panic!()
    };
    let Decl::Field(b) = &inner[0] else { panic!() };
    assert_eq!((b.span.start, b.span.end), (3, 12));
    assert_eq!(b.constraint, ast::Constraint::Optional);
    let ExprKind::Struct(inner) = &b.value.kind else {
        panic!()
    };
    let Decl::Field(c) = &inner[0] else { panic!() };
    assert_eq!((c.span.start, c.span.end), (7, 12));
    assert_eq!(c.constraint, ast::Constraint::Required);
    assert_eq!((c.value.span.start, c.value.span.end), (11, 12));
}

#[test]
fn labels_of_every_kind() {
    let text = r#"
package p

import "strings"
import (
	s "struct"
	"list"
)

#Def: _hidden: _#hd: $x: 1
"quoted name": 2
"a-\(x)": 3
(k): 4
[string]: int
[X=string]: X
Y="y": 5
if: 1, in: 2, for: 3, let: 4, null: 5, true: 6, div: 7
"#;
    let f = file(text);
    assert_eq!(f.package.as_ref().unwrap().name, "p");
    let imports: Vec<_> = f
        .imports
        .iter()
        .map(|i| (i.alias.as_ref().map(|a| a.name.as_str()), i.path.as_str()))
        .collect();
    assert_eq!(
        imports,
        [(None, "strings"), (Some("s"), "struct"), (None, "list")]
    );
    assert_eq!(
        decls(text),
        r#"{#Def: {_hidden: {_#hd: {$x: int:1}}}, "quoted name": int:2, (interp "a-" x): int:3, (k): int:4, [string]: int, [X=string]: X, Y="y": int:5, if: int:1, in: int:2, for: int:3, let: int:4, null: int:5, true: int:6, div: int:7}"#
    );
}

#[test]
fn newlines_separate_declarations_and_elements() {
    // The second line must not become an index `int[string]` nor a subtraction.
    let text = "x: {\n\ta: int\n\t[string]: int\n\tb: c\n\t-1\n}\nl: [1\n2,\n3\n]\nm: a &\n\tb\n";
    assert_eq!(
        decls(text),
        "{x: {a: int, [string]: int, b: c, embed (Neg int:1)}, l: [int:1, int:2, int:3], m: (And a b)}"
    );
}

#[test]
fn precedence_and_bounds() {
    assert_eq!(
        show(&expr("*1 | 2 & int")),
        "(Or (Default int:1) (And int:2 int))"
    );
    assert_eq!(show(&expr(">=0 & <10")), "(And (Ge int:0) (Lt int:10))");
    assert_eq!(
        show(&expr(r#"!="" & =~"^a" & !~"b""#)),
        r#"(And (And (Ne "") (Match "^a")) (NotMatch "b"))"#
    );
    assert_eq!(
        show(&expr("a || b && c == d + e * f")),
        "(LogicalOr a (LogicalAnd b (Eq c (Add d (Mul e f)))))"
    );
    assert_eq!(show(&expr("a - b - c / d")), "(Sub (Sub a b) (Div c d))");
    assert_eq!(
        show(&expr("-a.b[0][1:](x, y,)")),
        "(Neg a.b[int:0][int:1:](x, y))"
    );
    assert_eq!(show(&expr(r#"a."b-c".d"#)), "a.b-c.d");
    assert_eq!(
        show(&expr("div(7, 2) + (1)")),
        "(Add div(int:7, int:2) (paren int:1))"
    );
    assert_eq!(
        show(&expr("_|_ | _ | null | true")),
        "(Or (Or (Or _|_ _) null) true)"
    );
}

#[test]
fn numbers_keep_their_text() {
    let cases = [
        ("1_000", "int:1_000"),
        ("0x1F", "int:0x1F"),
        ("0o17", "int:0o17"),
        ("0b1010", "int:0b1010"),
        ("1.0", "float:1.0"),
        (".5", "float:.5"),
        ("1e3", "float:1e3"),
        ("1.5e-3", "float:1.5e-3"),
        ("1Ki", "int:1Ki"),
        ("2.5M", "int:2.5M"),
        ("1.5Gi", "int:1.5Gi"),
    ];
    for (text, want) in cases {
        assert_eq!(show(&expr(text)), want, "{text}");
    }
}

#[test]
fn strings_bytes_and_interpolation() {
    assert_eq!(
        show(&expr(r#""a\tb\u00e9\U0001F600\"\\\/""#)),
        "\"a\\tbé😀\\\"\\\\/\""
    );
    assert_eq!(
        show(&expr(r#""x\(a + 1)y\(b)""#)),
        r#"(interp "x" (Add a int:1) "y" b)"#
    );
    assert_eq!(
        show(&expr(r##"#"raw \n \(x) \#(y) "quoted""#"##)),
        r#"(interp "raw \\n \\(x) " y " \"quoted\"")"#
    );
    assert_eq!(show(&expr(r###"##"a"#b"##"###)), r##""a\"#b""##);
    assert_eq!(show(&expr(r"'\x41\101\n'")), r#"b"AA\n""#);
    assert_eq!(show(&expr(r"'a\(x)'")), r#"(interp-bytes "a" x)"#);
    let nested = expr(r#""a\("b\("c")")""#);
    assert_eq!(show(&nested), r#"(interp "a" (interp "b" "c"))"#);
}

#[test]
fn multi_line_strings_strip_the_closing_indentation() {
    let text = "x: \"\"\"\n    line one\n      indented\n\n    \\(v) end\n    \"\"\"\n";
    let f = file(text);
    let Decl::Field(x) = &f.decls[0] else {
        panic!()
    };
    assert_eq!(
        show(&x.value),
        r#"(interp "line one\n  indented\n\n" v " end")"#
    );
    assert_eq!(show(&expr("\"\"\"\n\tabc\n\t\"\"\"")), r#""abc""#);
    assert_eq!(show(&expr("'''\n  ab\n  '''")), r#"b"ab""#);
    assert_eq!(
        show(&expr("#\"\"\"\n  a\\nb \"\"\" \\#n\n  \"\"\"#")),
        r#""a\\nb \"\"\" \n""#
    );
}

#[test]
fn comprehensions_lets_ellipses_and_attributes() {
    let text = r#"
@extern(go)
let X = 1
a: int @go(A,type="(x)") @protobuf(1)
for k, v in src if v > 0 let y = v { "\(k)": y }
if cond {
	b: 1
}
l: [for x in xs { x }, ...int]
s: {
	@attr(nested (parens) "and )strings")
	...
}
t: {...string}
"#;
    assert_eq!(
        decls(text),
        r#"{let X = int:1, a: int, for k, v in src if (Gt v int:0) let y = v {(interp k): y}, if cond {b: int:1}, l: [for x in xs {embed x}, ...int], s: {...}, t: {...string}}"#
    );
}

// ---------------------------------------------------------------------------------------------
// (3) Errors

#[test]
fn unterminated_string() {
    let text = "a: \"abc\nb: 1\n";
    let errs = errors(text);
    assert_eq!(errs[0].code, "orche::syntax::unterminated_string");
    assert_eq!(errs[0].labels[0].span.start, 3);
    let errs = errors("a: \"\"\"\n  abc\n");
    assert_eq!(errs[0].code, "orche::syntax::unterminated_string");
}

#[test]
fn missing_closing_brace() {
    let errs = errors("a: {\n\tb: 1\n");
    assert_eq!(errs[0].code, "orche::syntax::unexpected");
    assert_eq!(
        errs[0].message,
        "expected a field label or `}`, found end of file"
    );
    assert_eq!(
        errs[0].labels[1].span.start, 3,
        "the unclosed `{{` is labelled"
    );
}

#[test]
fn worded_messages() {
    let cases = [
        ("a: \n", "expected an expression, found end of file"),
        ("a: )\n", "expected an expression, found `)`"),
        (
            "a: 1 b: 2\n",
            "expected `,`, a newline or end of file, found `b`",
        ),
        (
            "x: { a: 1 b: 2 }\n",
            "expected `,`, a newline or `}`, found `b`",
        ),
        ("a?\n", "expected `:`, found a newline"),
        (
            "for x in y z {}\n",
            "expected `for`, `if`, `let` or `{`, found `z`",
        ),
        (
            "import \"a\" b: 1\n",
            "expected `,`, a newline or end of file, found `b`",
        ),
        (
            "a: [1, 2\n",
            "expected a list element or `]`, found end of file",
        ),
        ("a: (1 + \n", "expected an expression, found end of file"),
    ];
    for (text, want) in cases {
        let errs = errors(text);
        assert_eq!(errs[0].message, want, "{text:?}");
        assert!(!errs[0].labels.is_empty());
    }
}

#[test]
fn invalid_escapes_and_labels_are_all_reported() {
    let errs = errors("a: \"\\q\"\nb: \"\\x41\"\nc + d: 1\n");
    let codes: Vec<_> = errs.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            "orche::syntax::invalid_escape",
            "orche::syntax::invalid_escape",
            "orche::syntax::unexpected"
        ]
    );
    let errs = errors("a: 0o8\nb: 1e\nc: 1__0\n");
    let codes: Vec<_> = errs.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["orche::syntax::number"; 3]);
    assert_eq!(errs[0].message, "`0o8` is not a valid number");
    let errs = errors("x: \"\"\"\n    a\n  b\n    \"\"\"\n");
    assert_eq!(errs[0].code, "orche::syntax::invalid_indent");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in ["[", "{", "(", "\"\\("] {
        let text = format!("a: {}", open.repeat((1 << 20) / open.len()));
        let errs = errors(&text);
        assert_eq!(errs[0].code, "orche::syntax::too_deep", "{open}");
    }
    // The limit itself still parses, whatever the stack of the calling thread.
    let depth = 1000;
    let text = format!("a: {}1{}", "[".repeat(depth), "]".repeat(depth));
    assert!(parse_file(FileId(0), &text).is_ok());
    let text = format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth));
    assert!(parse_file(FileId(0), &text).is_ok());
    let text = format!("a: {}1{}", "(".repeat(depth + 1), ")".repeat(depth + 1));
    assert_eq!(errors(&text)[0].code, "orche::syntax::too_deep");
}

/// Shapes that make a backtracking parser re-parse nested input once per alternative: each must
/// fail (or parse) in linear time.
#[test]
fn nested_failures_do_not_backtrack_exponentially() {
    let shapes = [
        "{(",
        "{[",
        "{\"\\(",
        "[for x in {",
        "{if {",
        "{a: b: (",
        "(x)[",
        "f(",
        "[X=",
        "{let x = [",
    ];
    for shape in shapes {
        let start = std::time::Instant::now();
        let text = format!("a: {}1 +", shape.repeat(400));
        let _ = parse_file(FileId(0), &text);
        let text = format!("a: {}1 + )]}}\n", shape.repeat(400));
        let _ = parse_file(FileId(0), &text);
        assert!(
            start.elapsed().as_secs() < 5,
            "{shape:?} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "\n\n",
        "}",
        ")",
        "]",
        "a:",
        ":",
        "a: b:",
        "@",
        "@x(",
        "#",
        "#\"",
        "'",
        "\"\\(",
        "\"\\(\"",
        "a: 1 +",
        "...",
        "[...",
        "for",
        "for x",
        "for x in",
        "if",
        "let",
        "let x",
        "import",
        "package",
        "a: \"\\u12\"",
        "a: 1e",
        "a: 0x",
        "a: .",
        "x: a.",
        "x: a[",
        "x: a[:",
        "x: f(",
        "\u{feff}a: 1",
        "a: \"\"\"x\"\"\"",
        "a: #\"\"\"\n\"\"\"",
        "a!?: 1",
        "[X=]: 1",
        "a: [X=1]",
        "a: b=c",
    ];
    for s in samples {
        let _ = parse_file(FileId(0), s);
        let _ = parse_expr(FileId(0), s);
    }
}
