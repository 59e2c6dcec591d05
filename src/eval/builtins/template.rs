//! The `text/template` package: `Execute` runs Go's template language on the data of a
//! concrete value as cue v0.14.2 does (the value decoded as Go's `interface{}`: structs are
//! maps, ints Go ints, floats `float64`, null `nil`); `HTMLEscape` and `JSEscape`.
//!
//! Supported: text, comments, trim markers (`{{-`, `-}}`), pipelines (`|`, parentheses,
//! `$x :=`, `$x =`), fields (`.a.b`, `$x.a`), literals, `if`/`else if`/`else`, `range` (with
//! `else`, `break`, `continue`, `$i, $v :=`), `with`/`else with`, `define`/`template`/`block`,
//! and the functions `and`, `or`, `not`, `len`, `index`, `slice`, `eq`, `ne`, `lt`, `le`, `gt`,
//! `ge`, `print`, `printf`, `println`, `html`, `js`, `urlquery`. Invariant: anything else (a
//! `printf` verb or flag left out, `call`, a comparison Go refuses) is an error naming it, never
//! output that differs from cue's; values print as Go's `fmt` prints them.

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::{Num, Value};
use num_bigint::BigInt;
use std::collections::BTreeMap;
use std::fmt::Write;

type R = Result<Value, BuiltinError>;

pub(super) static FUNCS: &[Builtin] = &[
    builtin!("text/template", "Execute", 2, execute),
    builtin!("text/template", "HTMLEscape", 1, html_escape_fn),
    builtin!("text/template", "JSEscape", 1, js_escape_fn),
];

/// Bound on the work of one execution (nodes run, bytes written), so a template cannot loop
/// without end (`{{template "T"}}` inside `T`) or allocate without bound.
const MAX_STEPS: usize = 1_000_000;
const MAX_OUTPUT: usize = 64 << 20;
const MAX_DEPTH: usize = 200;

fn execute(args: &[Value]) -> R {
    let a = Args::new(args, "template.Execute");
    let text = a.str(0)?.to_string();
    let data = V::from_value(a.get(1)?);
    let mut p = Parser::new(&text);
    let root = p
        .parse_list(&[])
        .map_err(|e| a.fail(format!("template: :{e}")))?;
    let mut ex = Exec {
        src: &text,
        defs: p.defs,
        out: String::new(),
        vars: vec![("$".to_string(), data.clone())],
        steps: 0,
        depth: 0,
    };
    match ex.run(&root, &data) {
        Ok(_) => Ok(Value::Str(ex.out)),
        Err(Stop::Err(e)) => Err(a.fail(format!("template: {e}"))),
        Err(Stop::Break | Stop::Continue) => {
            Err(a.fail("template: break or continue outside range"))
        }
    }
}

fn html_escape_fn(args: &[Value]) -> R {
    let a = Args::new(args, "template.HTMLEscape");
    Ok(Value::Str(html_escape(a.str(0)?)))
}

fn js_escape_fn(args: &[Value]) -> R {
    let a = Args::new(args, "template.JSEscape");
    Ok(Value::Str(js_escape(a.str(0)?)))
}

/// A value as Go's `interface{}` sees it; `Missing` is the invalid value a missing map key
/// gives (printed `<no value>`).
#[derive(Clone, Debug)]
enum V {
    Missing,
    Nil,
    Bool(bool),
    Int(BigInt),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<V>),
    Map(BTreeMap<String, V>),
}

impl V {
    fn from_value(v: &Value) -> V {
        match v {
            Value::Null => V::Nil,
            Value::Bool(b) => V::Bool(*b),
            Value::Num(Num::Int(i)) => V::Int(i.clone()),
            // Correctly rounded, as Go's `strconv.ParseFloat` of the decimal's text.
            Value::Num(n) => V::Float(n.to_string().parse().unwrap_or_else(|_| n.to_f64())),
            Value::Str(s) => V::Str(s.clone()),
            Value::Bytes(b) => V::Bytes(b.clone()),
            Value::List(l) => V::List(l.iter().map(V::from_value).collect()),
            Value::Struct(m) => V::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), V::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// Go's type name, as `%!verb(type=value)` prints it.
    fn type_name(&self) -> &'static str {
        match self {
            V::Missing => "<invalid reflect.Value>",
            V::Nil => "<nil>",
            V::Bool(_) => "bool",
            V::Int(_) => "int",
            V::Float(_) => "float64",
            V::Str(_) => "string",
            V::Bytes(_) => "[]uint8",
            V::List(_) => "[]interface {}",
            V::Map(_) => "map[string]interface {}",
        }
    }

    /// Go's `template.IsTrue`.
    fn truth(&self) -> bool {
        match self {
            V::Missing | V::Nil => false,
            V::Bool(b) => *b,
            V::Int(i) => i != &BigInt::from(0),
            V::Float(f) => *f != 0.0,
            V::Str(s) => !s.is_empty(),
            V::Bytes(b) => !b.is_empty(),
            V::List(l) => !l.is_empty(),
            V::Map(m) => !m.is_empty(),
        }
    }
}

/// `%v` as Go's fmt prints it.
fn print_v(v: &V, out: &mut String) {
    match v {
        V::Missing => out.push_str("<no value>"),
        V::Nil => out.push_str("<nil>"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Int(i) => {
            let _ = write!(out, "{i}");
        }
        V::Float(f) => out.push_str(&go_g(*f)),
        V::Str(s) => out.push_str(s),
        V::Bytes(b) => {
            out.push('[');
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{x}");
            }
            out.push(']');
        }
        V::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_v(x, out);
            }
            out.push(']');
        }
        V::Map(m) => {
            out.push_str("map[");
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                print_v(x, out);
            }
            out.push(']');
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: shortest digits, `%e` form when the exponent
/// is below -4 or at least 6 (fmt's `%v` of a float64).
fn go_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{f:e}"); // shortest digits: "-1.2345e-5"
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        return format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    format!("{f}")
}

/// Go's `%e` with a precision: two-digit signed exponent.
fn go_e(f: f64, prec: usize) -> String {
    if !f.is_finite() {
        return go_g(f);
    }
    let s = format!("{f:.prec$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// `s` with each character written by `one` (which pushes it, or its escape, onto the output).
fn escape_each(s: &str, one: impl Fn(char, &mut String)) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        one(c, &mut out);
    }
    out
}

fn html_escape(s: &str) -> String {
    escape_each(s, |c, out| match c {
        '"' => out.push_str("&#34;"),
        '\'' => out.push_str("&#39;"),
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '\0' => out.push('\u{FFFD}'),
        c => out.push(c),
    })
}

fn js_escape(s: &str) -> String {
    escape_each(s, |c, out| match c {
        '\\' => out.push_str("\\\\"),
        '\'' => out.push_str("\\'"),
        '"' => out.push_str("\\\""),
        '<' => out.push_str("\\u003C"),
        '>' => out.push_str("\\u003E"),
        '&' => out.push_str("\\u0026"),
        '=' => out.push_str("\\u003D"),
        c if (c as u32) < 0x20 || (c.is_control() && !c.is_ascii()) => {
            let _ = write!(out, "\\u{:04X}", c as u32);
        }
        c => out.push(c),
    })
}

fn url_query(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---- parsing ----

#[derive(Debug, Clone)]
enum Arg {
    Dot,
    Field(Box<Arg>, Vec<String>),
    Var(String),
    Lit(V),
    Func(String),
    Pipe(Box<Pipe>),
}

#[derive(Debug, Clone)]
struct Cmd {
    args: Vec<Arg>,
    pos: usize,
}

#[derive(Debug, Clone)]
struct Pipe {
    decl: Vec<String>,
    assign: bool,
    cmds: Vec<Cmd>,
    pos: usize,
    end: usize,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Action(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    Template(String, Option<Pipe>),
    Break,
    Continue,
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
    /// Whether the next text has its leading whitespace trimmed (`-}}` before it).
    trim_next: bool,
    defs: BTreeMap<String, std::rc::Rc<Vec<Node>>>,
    depth: usize,
}

/// What ended a list of nodes.
enum End {
    Eof,
    End,
    Else,
}

fn line_of(src: &str, pos: usize) -> usize {
    src[..pos.min(src.len())].matches('\n').count() + 1
}

impl<'s> Parser<'s> {
    fn new(src: &'s str) -> Self {
        Parser {
            src,
            pos: 0,
            trim_next: false,
            defs: BTreeMap::new(),
            depth: 0,
        }
    }

    fn err(&self, msg: impl std::fmt::Display) -> String {
        format!("{}: {msg}", line_of(self.src, self.pos))
    }

    /// Parses nodes up to the end of input or a keyword action in `stop` (`end`, `else`).
    fn parse_list(&mut self, stop: &[&str]) -> Result<Vec<Node>, String> {
        let (nodes, end) = self.list()?;
        match end {
            End::Eof if stop.is_empty() => Ok(nodes),
            End::Eof => Err(self.err("unexpected EOF")),
            _ if stop.is_empty() => Err(self.err("unexpected {{end}} or {{else}}")),
            _ => Ok(nodes),
        }
    }

    fn list(&mut self) -> Result<(Vec<Node>, End), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("template nested too deeply"));
        }
        let mut nodes = Vec::new();
        loop {
            let rest = &self.src[self.pos..];
            let open = rest.find("{{");
            let text_end = open.unwrap_or(rest.len());
            let mut text = &rest[..text_end];
            if self.trim_next {
                text = text.trim_start_matches([' ', '\t', '\r', '\n']);
                self.trim_next = false;
            }
            let Some(open) = open else {
                if !text.is_empty() {
                    nodes.push(Node::Text(text.to_string()));
                }
                self.pos = self.src.len();
                self.depth -= 1;
                return Ok((nodes, End::Eof));
            };
            let after = &rest[open + 2..];
            let trim_left = after.starts_with("- ")
                || after.starts_with("-\t")
                || after.starts_with("-\n")
                || after.starts_with("-\r");
            if trim_left {
                text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            }
            if !text.is_empty() {
                nodes.push(Node::Text(text.to_string()));
            }
            self.pos += open + 2 + if trim_left { 2 } else { 0 };
            // A comment: `{{/* … */}}`.
            if self.src[self.pos..].starts_with("/*") {
                let Some(close) = self.src[self.pos..].find("*/") else {
                    return Err(self.err("unclosed comment"));
                };
                self.pos += close + 2;
                let mut lx = Lexer::new(self.src, self.pos);
                self.finish(&mut lx)?;
                continue;
            }
            let mut lx = Lexer::new(self.src, self.pos);
            let first = lx.peek_word();
            match first.as_deref() {
                Some("end") => {
                    lx.word();
                    self.finish(&mut lx)?;
                    self.depth -= 1;
                    return Ok((nodes, End::End));
                }
                Some("else") => {
                    lx.word();
                    self.pos = lx.pos;
                    self.depth -= 1;
                    return Ok((nodes, End::Else));
                }
                Some("if") | Some("with") | Some("range") => {
                    let kw = lx.word();
                    let pipe = self.pipeline(&mut lx, kw == "range")?;
                    self.finish(&mut lx)?;
                    let node = self.control(&kw, pipe)?;
                    nodes.push(node);
                }
                Some("break") | Some("continue") => {
                    let kw = lx.word();
                    self.finish(&mut lx)?;
                    nodes.push(if kw == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    });
                }
                Some("define") | Some("block") | Some("template") => {
                    let kw = lx.word();
                    lx.skip_space();
                    let name = match lx.token().map_err(|e| self.err(e))? {
                        Tok::Arg(Arg::Lit(V::Str(s))) => s,
                        _ => return Err(self.err(format!("expected string name in {kw}"))),
                    };
                    let pipe = if kw == "define" {
                        None
                    } else {
                        lx.skip_space();
                        if lx.at_close() {
                            None
                        } else {
                            Some(self.pipeline(&mut lx, false)?)
                        }
                    };
                    self.finish(&mut lx)?;
                    if kw == "template" {
                        nodes.push(Node::Template(name, pipe));
                    } else {
                        let body = self.parse_list(&["end"])?;
                        self.defs
                            .entry(name.clone())
                            .or_insert_with(|| std::rc::Rc::new(body));
                        if kw == "block" {
                            nodes.push(Node::Template(name, pipe));
                        }
                    }
                }
                _ => {
                    let pipe = self.pipeline(&mut lx, false)?;
                    self.finish(&mut lx)?;
                    nodes.push(Node::Action(pipe));
                }
            }
        }
    }

    /// The body and else branch of `if`, `with` or `range`, after its action.
    fn control(&mut self, kw: &str, pipe: Pipe) -> Result<Node, String> {
        let (body, end) = self.list()?;
        let els = match end {
            End::Eof => return Err(self.err(format!("unexpected EOF in {kw}"))),
            End::End => Vec::new(),
            End::Else => {
                let mut lx = Lexer::new(self.src, self.pos);
                match lx.peek_word().as_deref() {
                    Some(k @ ("if" | "with")) if k == kw => {
                        // `{{else if …}}` / `{{else with …}}`: a nested control sharing the end.
                        let k = lx.word();
                        let p = self.pipeline(&mut lx, false)?;
                        self.finish(&mut lx)?;
                        vec![self.control(&k, p)?]
                    }
                    _ => {
                        self.finish(&mut lx)?;
                        let (els, end) = self.list()?;
                        match end {
                            End::End => els,
                            End::Eof => return Err(self.err(format!("unexpected EOF in {kw}"))),
                            End::Else => {
                                return Err(
                                    self.err(format!("expected end; found {{{{else}}}} in {kw}"))
                                )
                            }
                        }
                    }
                }
            }
        };
        Ok(match kw {
            "if" => Node::If(pipe, body, els),
            "with" => Node::With(pipe, body, els),
            _ => Node::Range(pipe, body, els),
        })
    }

    /// Expects the end of the action (`}}` or ` -}}`) at the lexer's position.
    fn finish(&mut self, lx: &mut Lexer) -> Result<(), String> {
        lx.skip_space();
        self.pos = lx.pos;
        self.close_action()
    }

    fn close_action(&mut self) -> Result<(), String> {
        let rest = &self.src[self.pos..];
        if rest.starts_with("}}") {
            self.pos += 2;
            Ok(())
        } else if rest.starts_with("-}}") && self.src[..self.pos].ends_with([' ', '\t', '\r', '\n'])
        {
            self.pos += 3;
            self.trim_next = true;
            Ok(())
        } else if rest.is_empty() {
            Err(self.err("unclosed action"))
        } else {
            Err(self.err(format!(
                "unexpected {:?} in command",
                rest.chars().next().unwrap_or(' ')
            )))
        }
    }

    fn pipeline(&mut self, lx: &mut Lexer, range: bool) -> Result<Pipe, String> {
        lx.skip_space();
        let pos = lx.pos;
        let mut decl = Vec::new();
        let mut assign = false;
        // `$x :=`, `$x =`, and in range `$i, $v :=`.
        let save = lx.pos;
        if let Ok(Tok::Arg(Arg::Var(v))) = lx.token() {
            lx.skip_space();
            if range && lx.eat(",") {
                lx.skip_space();
                if let Ok(Tok::Arg(Arg::Var(w))) = lx.token() {
                    lx.skip_space();
                    if lx.eat(":=") || lx.eat("=") {
                        decl = vec![v, w];
                    }
                }
                if decl.is_empty() {
                    return Err(self.err("range can only initialize variables"));
                }
            } else if lx.eat(":=") {
                decl = vec![v];
            } else if !lx.src[lx.pos..].starts_with("==") && lx.eat("=") {
                decl = vec![v];
                assign = true;
            } else {
                lx.pos = save;
            }
        } else {
            lx.pos = save;
        }
        let mut cmds = Vec::new();
        loop {
            lx.skip_space();
            let cpos = lx.pos;
            let mut args = Vec::new();
            loop {
                lx.skip_space();
                if lx.at_close()
                    || lx.src[lx.pos..].starts_with('|')
                    || lx.src[lx.pos..].starts_with(')')
                {
                    break;
                }
                match lx.token().map_err(|e| self.err(e))? {
                    Tok::Arg(a) => args.push(a),
                    Tok::Open => {
                        let inner = self.pipeline(lx, false)?;
                        lx.skip_space();
                        if !lx.eat(")") {
                            return Err(self.err("unclosed left paren"));
                        }
                        // A field chain after a parenthesized pipeline: `(…).a.b`.
                        let p = Arg::Pipe(Box::new(inner));
                        args.push(lx.field_suffix(p));
                    }
                }
            }
            if args.is_empty() {
                return Err(self.err("missing value for command"));
            }
            cmds.push(Cmd { args, pos: cpos });
            if !lx.eat("|") {
                break;
            }
        }
        for c in &cmds {
            if let Arg::Func(f) = &c.args[0] {
                if !FUNCS_KNOWN.contains(&f.as_str()) {
                    return Err(self.err(format!("function {f:?} not defined")));
                }
            }
            for a in &c.args[1..] {
                if let Arg::Func(f) = a {
                    if !FUNCS_KNOWN.contains(&f.as_str()) {
                        return Err(self.err(format!("function {f:?} not defined")));
                    }
                }
            }
        }
        Ok(Pipe {
            decl,
            assign,
            cmds,
            pos,
            end: lx.pos,
        })
    }
}

const FUNCS_KNOWN: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "print",
    "printf", "println", "html", "js", "urlquery", "call",
];

enum Tok {
    Arg(Arg),
    Open,
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Lexer<'s> {
    fn new(src: &'s str, pos: usize) -> Self {
        Lexer { src, pos }
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn skip_space(&mut self) {
        let r = self.rest();
        let t = r.trim_start_matches([' ', '\t', '\r', '\n']);
        // Stop before ` -}}`'s dash: it belongs to the close.
        self.pos += r.len() - t.len();
    }

    fn at_close(&self) -> bool {
        let r = self.rest();
        r.is_empty() || r.starts_with("}}") || r.starts_with("-}}")
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn peek_word(&self) -> Option<String> {
        let mut l = Lexer::new(self.src, self.pos);
        l.skip_space();
        let w = l.word();
        (!w.is_empty()).then_some(w)
    }

    fn word(&mut self) -> String {
        self.skip_space();
        let r = self.rest();
        let n = r
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(r.len(), |(i, _)| i);
        self.pos += n;
        r[..n].to_string()
    }

    fn ident(&mut self) -> String {
        let r = self.rest();
        let n = r
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(r.len(), |(i, _)| i);
        self.pos += n;
        r[..n].to_string()
    }

    /// `.a.b` following an operand.
    fn field_suffix(&mut self, base: Arg) -> Arg {
        let mut names = Vec::new();
        while self.rest().starts_with('.')
            && self.rest()[1..].starts_with(|c: char| c.is_alphabetic() || c == '_')
        {
            self.pos += 1;
            names.push(self.ident());
        }
        if names.is_empty() {
            base
        } else {
            Arg::Field(Box::new(base), names)
        }
    }

    fn token(&mut self) -> Result<Tok, String> {
        let r = self.rest();
        let c = r.chars().next().ok_or("unclosed action")?;
        match c {
            '(' => {
                self.pos += 1;
                Ok(Tok::Open)
            }
            '.' => {
                if r[1..].starts_with(|c: char| c.is_alphabetic() || c == '_') {
                    Ok(Tok::Arg(self.field_suffix(Arg::Dot)))
                } else if r[1..].starts_with(|c: char| c.is_ascii_digit()) {
                    self.number()
                } else {
                    self.pos += 1;
                    Ok(Tok::Arg(Arg::Dot))
                }
            }
            '$' => {
                self.pos += 1;
                let name = format!("${}", self.ident());
                Ok(Tok::Arg(self.field_suffix(Arg::Var(name))))
            }
            '"' => {
                let mut s = String::new();
                let mut it = r[1..].char_indices();
                loop {
                    let (i, c) = it.next().ok_or("unterminated quoted string")?;
                    match c {
                        '"' => {
                            self.pos += i + 2;
                            return Ok(Tok::Arg(Arg::Lit(V::Str(s))));
                        }
                        '\n' => return Err("unterminated quoted string".into()),
                        '\\' => {
                            let (_, e) = it.next().ok_or("unterminated quoted string")?;
                            match e {
                                'n' => s.push('\n'),
                                't' => s.push('\t'),
                                'r' => s.push('\r'),
                                'a' => s.push('\u{7}'),
                                'b' => s.push('\u{8}'),
                                'f' => s.push('\u{c}'),
                                'v' => s.push('\u{b}'),
                                '\\' | '"' | '\'' => s.push(e),
                                'x' | 'u' | 'U' => {
                                    let n = match e {
                                        'x' => 2,
                                        'u' => 4,
                                        _ => 8,
                                    };
                                    let mut h = String::new();
                                    for _ in 0..n {
                                        h.push(it.next().ok_or("unterminated quoted string")?.1);
                                    }
                                    let cp = u32::from_str_radix(&h, 16)
                                        .map_err(|_| "invalid syntax in quoted string")?;
                                    s.push(
                                        char::from_u32(cp)
                                            .ok_or("invalid syntax in quoted string")?,
                                    );
                                }
                                _ => return Err("invalid syntax in quoted string".into()),
                            }
                        }
                        c => s.push(c),
                    }
                }
            }
            '`' => {
                let end = r[1..].find('`').ok_or("unterminated raw quoted string")?;
                self.pos += end + 2;
                Ok(Tok::Arg(Arg::Lit(V::Str(r[1..1 + end].to_string()))))
            }
            '\'' => {
                let mut it = r[1..].chars();
                let ch = it.next().ok_or("unterminated character constant")?;
                if ch == '\\' || it.next() != Some('\'') {
                    return Err(
                        "unsupported character constant (only a plain character in quotes)".into(),
                    );
                }
                self.pos += 2 + ch.len_utf8();
                Ok(Tok::Arg(Arg::Lit(V::Int(BigInt::from(ch as u32)))))
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => self.number(),
            c if c.is_alphabetic() || c == '_' => {
                let w = self.ident();
                Ok(Tok::Arg(match w.as_str() {
                    "true" => Arg::Lit(V::Bool(true)),
                    "false" => Arg::Lit(V::Bool(false)),
                    "nil" => Arg::Lit(V::Nil),
                    _ => Arg::Func(w),
                }))
            }
            c => Err(format!("unexpected {c:?} in command")),
        }
    }

    fn number(&mut self) -> Result<Tok, String> {
        let r = self.rest();
        let n = r
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphanumeric()
                    || c == '.'
                    || c == '_'
                    || ((c == '-' || c == '+') && (i == 0 || r[..i].ends_with(['e', 'E']))))
            })
            .map_or(r.len(), |(i, _)| i);
        let text = &r[..n];
        self.pos += n;
        let clean = text.replace('_', "");
        let (neg, digits) = match clean.strip_prefix('-') {
            Some(d) => (true, d.to_string()),
            None => (false, clean.trim_start_matches('+').to_string()),
        };
        let int = if let Some(h) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            BigInt::parse_bytes(h.as_bytes(), 16)
        } else if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
            BigInt::parse_bytes(digits.as_bytes(), 10)
        } else {
            None
        };
        if let Some(i) = int {
            return Ok(Tok::Arg(Arg::Lit(V::Int(if neg { -i } else { i }))));
        }
        match clean.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Tok::Arg(Arg::Lit(V::Float(f)))),
            _ => Err(format!("bad number syntax: {text:?}")),
        }
    }
}

// ---- execution ----

enum Stop {
    Err(String),
    Break,
    Continue,
}

impl From<String> for Stop {
    fn from(e: String) -> Self {
        Stop::Err(e)
    }
}

struct Exec<'s> {
    src: &'s str,
    defs: BTreeMap<String, std::rc::Rc<Vec<Node>>>,
    out: String,
    vars: Vec<(String, V)>,
    steps: usize,
    depth: usize,
}

impl Exec<'_> {
    fn run(&mut self, nodes: &[Node], dot: &V) -> Result<(), Stop> {
        for n in nodes {
            self.steps += 1;
            if self.steps > MAX_STEPS || self.out.len() > MAX_OUTPUT {
                return Err(Stop::Err(
                    "execution too long (over a million steps or 64 MiB of output)".into(),
                ));
            }
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipe(p, dot)?;
                    if p.decl.is_empty() {
                        print_v(&v, &mut self.out);
                    }
                }
                Node::If(p, body, els) | Node::With(p, body, els) => {
                    let mark = self.vars.len();
                    let v = self.pipe(p, dot)?;
                    let r = if v.truth() {
                        let d = if matches!(n, Node::With(..)) {
                            v
                        } else {
                            dot.clone()
                        };
                        self.run(body, &d)
                    } else {
                        self.run(els, dot)
                    };
                    self.vars.truncate(mark);
                    r?;
                }
                Node::Range(p, body, els) => {
                    let mark = self.vars.len();
                    let r = self.range(p, body, els, dot);
                    self.vars.truncate(mark);
                    r?;
                }
                Node::Template(name, p) => {
                    let Some(body) = self.defs.get(name).cloned() else {
                        return Err(Stop::Err(format!("no such template {name:?}")));
                    };
                    let d = match p {
                        Some(p) => self.pipe(p, dot)?,
                        None => V::Nil,
                    };
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(Stop::Err(format!(
                            "exceeded maximum template depth ({MAX_DEPTH})"
                        )));
                    }
                    let saved =
                        std::mem::replace(&mut self.vars, vec![("$".to_string(), d.clone())]);
                    let r = self.run(&body, &d);
                    self.vars = saved;
                    self.depth -= 1;
                    match r {
                        Err(Stop::Break | Stop::Continue) => {
                            return Err(Stop::Err("break or continue outside range".into()))
                        }
                        r => r?,
                    }
                }
                Node::Break => return Err(Stop::Break),
                Node::Continue => return Err(Stop::Continue),
            }
        }
        Ok(())
    }

    fn range(&mut self, p: &Pipe, body: &[Node], els: &[Node], dot: &V) -> Result<(), Stop> {
        let decl = p.decl.clone();
        let plain = Pipe {
            decl: Vec::new(),
            assign: false,
            cmds: p.cmds.clone(),
            pos: p.pos,
            end: p.end,
        };
        let v = self.pipe(&plain, dot)?;
        let items: Vec<(V, V)> = match v {
            V::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, x)| (V::Int(BigInt::from(i)), x))
                .collect(),
            V::Map(m) => m.into_iter().map(|(k, x)| (V::Str(k), x)).collect(),
            V::Missing | V::Nil => Vec::new(),
            other => {
                let mut s = String::new();
                print_v(&other, &mut s);
                return Err(self.fail(p, format!("range can't iterate over {s}")));
            }
        };
        if items.is_empty() {
            return self.run(els, dot);
        }
        let mark = self.vars.len();
        for (k, x) in items {
            self.vars.truncate(mark);
            match decl.as_slice() {
                [v] => self.vars.push((v.clone(), x.clone())),
                [i, v] => {
                    self.vars.push((i.clone(), k));
                    self.vars.push((v.clone(), x.clone()));
                }
                _ => {}
            }
            match self.run(body, &x) {
                Ok(()) | Err(Stop::Continue) => {}
                Err(Stop::Break) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// An execution error in Go's words: `:LINE:COL: executing "" at <ACTION>: msg`.
    fn fail(&self, p: &Pipe, msg: String) -> Stop {
        let line = line_of(self.src, p.pos);
        let col = p.pos - self.src[..p.pos].rfind('\n').map_or(0, |i| i + 1);
        let text = self.src[p.pos..p.end].trim();
        Stop::Err(format!(":{line}:{col}: executing \"\" at <{text}>: {msg}"))
    }

    fn pipe(&mut self, p: &Pipe, dot: &V) -> Result<V, Stop> {
        let mut prev: Option<V> = None;
        for c in &p.cmds {
            let v = self.cmd(c, dot, prev.take()).map_err(|e| match e {
                Stop::Err(m) if !m.starts_with(':') => self.fail(p, m),
                e => e,
            })?;
            prev = Some(v);
        }
        let v = prev.unwrap_or(V::Missing);
        match (p.decl.as_slice(), p.assign) {
            ([name], true) => match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = v.clone(),
                None => return Err(self.fail(p, format!("undefined variable: {name}"))),
            },
            ([name], false) => self.vars.push((name.clone(), v.clone())),
            _ => {}
        }
        Ok(v)
    }

    fn arg(&mut self, a: &Arg, dot: &V) -> Result<V, Stop> {
        match a {
            Arg::Dot => Ok(dot.clone()),
            Arg::Lit(v) => Ok(v.clone()),
            Arg::Var(n) => self.var(n),
            Arg::Pipe(p) => self.pipe(p, dot),
            Arg::Func(f) => self.call(f, &[], dot, None),
            Arg::Field(base, names) => {
                let mut v = self.arg(base, dot)?;
                for n in names {
                    v = match v {
                        V::Map(mut m) => m.remove(n).unwrap_or(V::Missing),
                        V::Missing => V::Missing,
                        V::Nil => {
                            return Err(Stop::Err(format!(
                                "nil pointer evaluating interface {{}}.{n}"
                            )))
                        }
                        _ => {
                            return Err(Stop::Err(format!(
                                "can't evaluate field {n} in type interface {{}}"
                            )))
                        }
                    };
                }
                Ok(v)
            }
        }
    }

    fn var(&self, n: &str) -> Result<V, Stop> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Stop::Err(format!("undefined variable: {n}")))
    }

    fn cmd(&mut self, c: &Cmd, dot: &V, prev: Option<V>) -> Result<V, Stop> {
        let _ = c.pos;
        match &c.args[0] {
            Arg::Func(f) => {
                let rest = &c.args[1..];
                self.call(f, rest, dot, prev)
            }
            a => {
                if c.args.len() > 1 || prev.is_some() {
                    let what = match a {
                        Arg::Field(_, n) => format!(
                            "{} is not a method but has arguments",
                            n.last().map_or("", |s| s)
                        ),
                        _ => "can't give argument to non-function".to_string(),
                    };
                    return Err(Stop::Err(what));
                }
                self.arg(a, dot)
            }
        }
    }

    fn call(&mut self, f: &str, args: &[Arg], dot: &V, prev: Option<V>) -> Result<V, Stop> {
        // `and` and `or` evaluate their arguments only as far as needed.
        if f == "and" || f == "or" {
            let n = args.len() + usize::from(prev.is_some());
            if n == 0 {
                return Err(Stop::Err(format!(
                    "wrong number of args for {f}: want at least 1 got 0"
                )));
            }
            let mut last = V::Nil;
            for a in args {
                last = self.arg(a, dot)?;
                if last.truth() == (f == "or") {
                    return Ok(last);
                }
            }
            if let Some(p) = prev {
                last = p;
            }
            return Ok(last);
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.arg(a, dot)?);
        }
        if let Some(p) = prev {
            vals.push(p);
        }
        builtin_func(f, &vals).map_err(|e| Stop::Err(format!("error calling {f}: {e}")))
    }
}

fn want(f: &str, vals: &[V], n: usize) -> Result<(), String> {
    if vals.len() != n {
        return Err(format!(
            "wrong number of args for {f}: want {n} got {}",
            vals.len()
        ));
    }
    Ok(())
}

fn builtin_func(f: &str, vals: &[V]) -> Result<V, String> {
    match f {
        "not" => {
            want(f, vals, 1)?;
            Ok(V::Bool(!vals[0].truth()))
        }
        "len" => {
            want(f, vals, 1)?;
            let n = match &vals[0] {
                V::Str(s) => s.len(),
                V::Bytes(b) => b.len(),
                V::List(l) => l.len(),
                V::Map(m) => m.len(),
                v => return Err(format!("len of type {}", v.type_name())),
            };
            Ok(V::Int(BigInt::from(n)))
        }
        "index" => {
            let (first, idx) = vals
                .split_first()
                .ok_or("wrong number of args for index: want at least 1 got 0")?;
            let mut v = first.clone();
            for i in idx {
                v = match (v, i) {
                    (V::List(mut l), V::Int(n)) => {
                        let n = usize::try_from(n)
                            .ok()
                            .filter(|&n| n < l.len())
                            .ok_or_else(|| format!("index out of range: {n}"))?;
                        l.swap_remove(n)
                    }
                    (V::Map(mut m), V::Str(k)) => m.remove(k).unwrap_or(V::Missing),
                    (V::Map(_), k) => {
                        return Err(format!(
                            "value has type {}; should be string",
                            k.type_name()
                        ))
                    }
                    (V::Nil, _) => return Err("index of untyped nil".into()),
                    (v, _) => return Err(format!("can't index item of type {}", v.type_name())),
                };
            }
            Ok(v)
        }
        "slice" => {
            let (first, idx) = vals
                .split_first()
                .ok_or("wrong number of args for slice: want at least 1 got 0")?;
            let len = match first {
                V::Str(s) => s.len(),
                V::List(l) => l.len(),
                V::Bytes(b) => b.len(),
                v => return Err(format!("can't slice item of type {}", v.type_name())),
            };
            if idx.len() > 2 {
                return Err("unsupported: slice with three indices".into());
            }
            let mut bounds = [0, len];
            for (k, i) in idx.iter().enumerate() {
                bounds[k] = match i {
                    V::Int(n) => usize::try_from(n)
                        .ok()
                        .filter(|&n| n <= len)
                        .ok_or_else(|| format!("index out of range: {n}"))?,
                    v => {
                        return Err(format!(
                            "cannot index slice/array with type {}",
                            v.type_name()
                        ))
                    }
                };
            }
            if bounds[0] > bounds[1] {
                return Err(format!(
                    "invalid slice index: {} > {}",
                    bounds[0], bounds[1]
                ));
            }
            Ok(match first {
                V::Str(s) => V::Str(
                    String::from_utf8_lossy(&s.as_bytes()[bounds[0]..bounds[1]]).into_owned(),
                ),
                V::List(l) => V::List(l[bounds[0]..bounds[1]].to_vec()),
                V::Bytes(b) => V::Bytes(b[bounds[0]..bounds[1]].to_vec()),
                _ => unreachable!("checked above"),
            })
        }
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
            if vals.len() < 2 || (f != "eq" && vals.len() != 2) {
                return Err(format!(
                    "wrong number of args for {f}: want 2 got {}",
                    vals.len()
                ));
            }
            if f == "eq" {
                for b in &vals[1..] {
                    if compare(&vals[0], b)? == std::cmp::Ordering::Equal {
                        return Ok(V::Bool(true));
                    }
                }
                return Ok(V::Bool(false));
            }
            if f != "ne" && matches!(vals[0], V::Bool(_)) {
                return Err("invalid type for comparison".into());
            }
            let o = compare(&vals[0], &vals[1])?;
            use std::cmp::Ordering::*;
            Ok(V::Bool(match f {
                "ne" => o != Equal,
                "lt" => o == Less,
                "le" => o != Greater,
                "gt" => o == Greater,
                _ => o != Less,
            }))
        }
        "print" => Ok(V::Str(sprint(vals, false))),
        "println" => Ok(V::Str(sprint(vals, true))),
        "printf" => {
            let (fmt, rest) = vals
                .split_first()
                .ok_or("wrong number of args for printf: want at least 1 got 0")?;
            let V::Str(fmt) = fmt else {
                return Err(format!(
                    "wrong type for value; expected string; got {}",
                    fmt.type_name()
                ));
            };
            Ok(V::Str(sprintf(fmt, rest)?))
        }
        "html" => Ok(V::Str(html_escape(&sprint(vals, false)))),
        "js" => Ok(V::Str(js_escape(&sprint(vals, false)))),
        "urlquery" => Ok(V::Str(url_query(&sprint(vals, false)))),
        _ => Err(format!(
            "unsupported function {f:?} (there are no functions in the data)"
        )),
    }
}

/// Go's `eq`/`lt` on basic values: ints with ints, floats with floats, strings, bools.
fn compare(a: &V, b: &V) -> Result<std::cmp::Ordering, String> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Ok(x.cmp(y)),
        (V::Float(x), V::Float(y)) => x
            .partial_cmp(y)
            .ok_or_else(|| "incomparable NaN".to_string()),
        (V::Str(x), V::Str(y)) => Ok(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Ok(x.cmp(y)),
        (
            V::Int(_) | V::Float(_) | V::Str(_) | V::Bool(_),
            V::Int(_) | V::Float(_) | V::Str(_) | V::Bool(_),
        ) => Err("incompatible types for comparison".into()),
        (V::Missing | V::Nil, _) | (_, V::Missing | V::Nil) => {
            Err("invalid type for comparison".into())
        }
        _ => Err("non-comparable type".into()),
    }
}

/// Go's `fmt.Sprint` (spaces between operands when neither is a string) or `Sprintln`.
fn sprint(vals: &[V], ln: bool) -> String {
    let mut out = String::new();
    for (i, v) in vals.iter().enumerate() {
        if i > 0 && (ln || !(matches!(v, V::Str(_)) || matches!(vals[i - 1], V::Str(_)))) {
            out.push(' ');
        }
        print_v(v, &mut out);
    }
    if ln {
        out.push('\n');
    }
    out
}

/// Go's `fmt.Sprintf` for the verbs `v s d q t f e g x X o b c` and the flags `-`, `+`, `0`,
/// width and precision; a verb given the wrong type prints `%!verb(type=value)` as Go does.
fn sprintf(fmt: &str, args: &[V]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = fmt.chars().peekable();
    let mut next = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let (mut minus, mut plus, mut zero) = (false, false, false);
        while let Some(&f) = it.peek() {
            match f {
                '-' => minus = true,
                '+' => plus = true,
                '0' => zero = true,
                ' ' | '#' => return Err(format!("unsupported printf flag {f:?}")),
                _ => break,
            }
            it.next();
        }
        let mut width = None;
        while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
            width = Some(width.unwrap_or(0) * 10 + d as usize);
            it.next();
        }
        let mut prec = None;
        if it.peek() == Some(&'.') {
            it.next();
            let mut p = 0;
            while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                p = p * 10 + d as usize;
                it.next();
            }
            prec = Some(p);
        }
        if width.is_some_and(|w| w > 10_000) || prec.is_some_and(|p| p > 10_000) {
            return Err("printf width or precision over 10000".into());
        }
        let Some(verb) = it.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        let bad = || {
            let mut s = format!("%!{verb}({}=", arg.type_name());
            print_v(arg, &mut s);
            s.push(')');
            s
        };
        let (body, numeric) = match (verb, arg) {
            ('v', V::Float(f)) if prec.is_none() => (signed(go_g(*f), plus), true),
            ('v', V::Int(i)) | ('d', V::Int(i)) => (signed(i.to_string(), plus), true),
            ('v', v) if prec.is_none() => {
                let mut s = String::new();
                print_v(v, &mut s);
                (s, false)
            }
            ('s', V::Str(s)) => (truncate(s, prec), false),
            ('s', V::Bytes(b)) => (truncate(&String::from_utf8_lossy(b), prec), false),
            ('q', V::Str(s)) => (go_quote(s), false),
            ('t', V::Bool(b)) => (b.to_string(), false),
            ('f' | 'F', V::Float(f)) => {
                (signed(format!("{:.*}", prec.unwrap_or(6), f), plus), true)
            }
            ('e', V::Float(f)) => (signed(go_e(*f, prec.unwrap_or(6)), plus), true),
            ('g', V::Float(f)) if prec.is_none() => (signed(go_g(*f), plus), true),
            ('x', V::Int(i)) => (signed(i.to_str_radix(16), plus), true),
            ('X', V::Int(i)) => (signed(i.to_str_radix(16).to_uppercase(), plus), true),
            ('o', V::Int(i)) => (signed(i.to_str_radix(8), plus), true),
            ('b', V::Int(i)) => (signed(i.to_str_radix(2), plus), true),
            ('x', V::Str(s)) => (s.bytes().map(|b| format!("{b:02x}")).collect(), false),
            ('X', V::Str(s)) => (s.bytes().map(|b| format!("{b:02X}")).collect(), false),
            ('c', V::Int(i)) => (
                i.try_into()
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}')
                    .to_string(),
                false,
            ),
            (
                'd' | 's' | 'q' | 't' | 'f' | 'F' | 'e' | 'x' | 'X' | 'o' | 'b' | 'c',
                V::Int(_) | V::Float(_) | V::Str(_) | V::Bool(_),
            ) if prec.is_none() && width.is_none() => {
                out.push_str(&bad());
                continue;
            }
            _ => {
                return Err(format!(
                "printf verb %{verb} with a {} argument (or this width/precision) is not supported",
                arg.type_name()
            ))
            }
        };
        let len = body.chars().count();
        let w = width.unwrap_or(0);
        if len >= w {
            out.push_str(&body);
        } else if minus {
            out.push_str(&body);
            out.push_str(&" ".repeat(w - len));
        } else if zero && numeric {
            let (sign, digits) = match body.strip_prefix(['-', '+']) {
                Some(d) => (&body[..1], d),
                None => ("", body.as_str()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(w - len));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(w - len));
            out.push_str(&body);
        }
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args[next..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(a.type_name());
            out.push('=');
            print_v(a, &mut out);
        }
        out.push(')');
    }
    Ok(out)
}

fn signed(s: String, plus: bool) -> String {
    if plus && !s.starts_with('-') {
        format!("+{s}")
    } else {
        s
    }
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &str, data: Value) -> String {
        match execute(&[Value::Str(t.into()), data]) {
            Ok(Value::Str(s)) => s,
            Ok(v) => panic!("not a string: {v:?}"),
            Err(BuiltinError::Msg(m) | BuiltinError::Incomplete(m)) => format!("ERR {m}"),
        }
    }

    #[test]
    fn floats_print_as_go() {
        assert_eq!(go_g(1e21), "1e+21");
        assert_eq!(go_g(123456789.0), "1.23456789e+08");
        assert_eq!(go_g(123456.0), "123456");
        assert_eq!(go_g(0.000012345), "1.2345e-05");
        assert_eq!(go_g(0.0001), "0.0001");
        assert_eq!(go_g(1.5), "1.5");
        assert_eq!(go_e(2.5, 6), "2.500000e+00");
    }

    #[test]
    fn trims_and_else_if() {
        assert_eq!(run("a  {{- \"b\" -}}  c", Value::Null), "abc");
        assert_eq!(
            run(
                "{{if .}}x{{else if eq 1 2}}y{{else}}z{{end}}",
                Value::Bool(false)
            ),
            "z"
        );
        assert!(run("{{.a", Value::Null).starts_with("ERR"));
    }
}
