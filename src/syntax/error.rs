//! Syntax errors as `Diag`s: pest failures described in words, plus the checks pest cannot make
//! well (nesting too deep for its recursion, unterminated strings). Invariant: no message ever
//! names a grammar rule, and every diagnostic has a primary label on a span inside the text.

use super::convert::Rule;
use crate::diag::Diag;
use crate::source::{FileId, Span};

pub(crate) const UNEXPECTED: &str = "orche::syntax::unexpected";
pub(crate) const UNTERMINATED_STRING: &str = "orche::syntax::unterminated_string";
pub(crate) const TOO_DEEP: &str = "orche::syntax::too_deep";
pub(crate) const INVALID_ESCAPE: &str = "orche::syntax::invalid_escape";
pub(crate) const INVALID_INDENT: &str = "orche::syntax::invalid_indent";
pub(crate) const NUMBER: &str = "orche::syntax::number";
/// Valid CUE that orche does not handle yet. FIXME(codes): give it its own documented code.
pub(crate) const UNSUPPORTED: &str = UNEXPECTED;

/// Deepest nesting of brackets and interpolations accepted. pest parses recursively, so without
/// this bound a file of a million `[` would exhaust the stack; real configurations nest a few
/// dozen levels at most.
pub(crate) const MAX_DEPTH: usize = 1000;

/// Rejects text nested deeper than [`MAX_DEPTH`] before pest sees it.
pub(crate) fn check_depth(file: FileId, text: &str) -> Result<(), Diag> {
    match scan(text).too_deep_at {
        Some(pos) => Err(too_deep(file, text, pos)),
        None => Ok(()),
    }
}

fn too_deep(file: FileId, text: &str, pos: usize) -> Diag {
    Diag::new(
        TOO_DEEP,
        format!("brackets are nested more than {MAX_DEPTH} levels deep"),
    )
    .with_label(char_span(file, text, pos), "too deeply nested")
    .with_help("split the value into named parts that refer to each other")
}

/// Turns a pest failure into a diagnostic that says, in words, what was expected.
pub(crate) fn from_pest(file: FileId, text: &str, err: pest::error::Error<Rule>) -> Diag {
    let pos = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
    .min(text.len());
    let positives = match err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
        // pest's own guards: its stack probe or call limit stopped the parse.
        pest::error::ErrorVariant::CustomError { .. } => return too_deep(file, text, pos),
    };
    let scanned = scan(text);
    if let Some(start) = scanned.unterminated.filter(|&s| s <= pos) {
        return Diag::new(UNTERMINATED_STRING, "unterminated string literal")
            .with_label(char_span(file, text, start), "this string is never closed")
            .with_help("close it with the same quotes (and `#`s) it was opened with");
    }
    let expected = describe_all(&positives);
    let found = describe_found(text, pos);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected}, found {found}")
    };
    let mut diag = Diag::new(UNEXPECTED, message)
        .with_label(char_span(file, text, pos), format!("unexpected {found}"));
    let wants_close = positives.iter().any(|r| {
        matches!(
            r,
            Rule::close_brace | Rule::close_bracket | Rule::close_paren
        )
    });
    if let Some(open) = scanned
        .unclosed
        .filter(|_| wants_close && pos == text.len())
    {
        diag = diag.with_label(char_span(file, text, open), "unclosed bracket");
    }
    if starts_line_with_operator(text, pos) {
        return diag.with_help(
            "a line break ends the declaration before it; \
             to continue an expression, put the operator at the end of the previous line",
        );
    }
    diag
}

/// Whether `pos` is a binary operator that is the first thing on its line.
fn starts_line_with_operator(text: &str, pos: usize) -> bool {
    let operator = text[pos..].starts_with(['|', '&', '+', '-', '*', '/']);
    let before = text[..pos].trim_end_matches([' ', '\t']);
    operator && (before.ends_with('\n') || before.ends_with('\r'))
}

/// How a rule reads in an "expected …" list. Continuations (an operator, `.x`, an attribute)
/// are always possible after a complete operand, so they are named only when nothing else is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Start,
    Close,
    Continuation,
}

fn describe(rule: Rule) -> (&'static str, Class) {
    use Class::*;
    match rule {
        // At the top of a file a package clause or an import is possible too, but a field is
        // what is usually missing.
        Rule::decl
        | Rule::field_or_embed
        | Rule::file
        | Rule::package_clause
        | Rule::import_decl
        | Rule::kw_package
        | Rule::kw_import => ("a field label", Start),
        Rule::list_elem => ("a list element", Start),
        Rule::expr
        | Rule::unary
        | Rule::aliased_expr
        | Rule::slice_lo
        | Rule::slice_hi
        | Rule::prefix_op
        | Rule::bottom
        | Rule::null_lit
        | Rule::bool_lit => ("an expression", Start),
        Rule::ident | Rule::alias => ("an identifier", Start),
        Rule::number | Rule::bad_number => ("a number", Start),
        Rule::string_lit => ("a string", Start),
        Rule::import_spec => ("an import path", Start),
        Rule::struct_lit => ("`{`", Start),
        Rule::list_lit => ("`[`", Start),
        Rule::paren_expr => ("`(`", Start),
        Rule::ellipsis => ("`...`", Start),
        Rule::let_clause => ("a `let` clause", Start),
        Rule::for_clause | Rule::if_clause | Rule::comprehension => {
            ("a `for` or `if` clause", Start)
        }
        Rule::kw_for => ("`for`", Start),
        Rule::kw_in => ("`in`", Start),
        Rule::kw_if => ("`if`", Start),
        Rule::kw_let => ("`let`", Start),
        Rule::sep => ("`,`", Close),
        Rule::slice_colon => ("`:`", Close),
        // After an operand `:` is always possible, since any operand may turn out to be a label.
        Rule::colon => ("`:`", Continuation),
        Rule::close_brace => ("`}`", Close),
        Rule::close_bracket => ("`]`", Close),
        Rule::close_paren => ("`)`", Close),
        Rule::EOI => ("end of file", Close),
        Rule::infix_op => ("an operator", Continuation),
        Rule::selector | Rule::index | Rule::call => ("`.`, `[` or `(`", Continuation),
        Rule::label_marker => ("`?` or `!`", Continuation),
        Rule::attribute => ("an attribute", Continuation),
        _ => ("a valid token", Start),
    }
}

/// "a, b or c", deduplicated, with continuations dropped when anything else is expected and
/// "an identifier" folded into "an expression".
fn describe_all(rules: &[Rule]) -> String {
    let mut described: Vec<(&str, Class)> = Vec::new();
    for &rule in rules {
        described.push(describe(rule));
        if rule == Rule::sep {
            described.push(("a newline", Class::Close));
        }
    }
    // "end of file" reads best last.
    described.sort_by_key(|(d, _)| *d == "end of file");
    let only_continuations = described.iter().all(|(_, c)| *c == Class::Continuation);
    let has_expr = described.iter().any(|(d, _)| *d == "an expression");
    let mut words: Vec<&str> = Vec::new();
    // Things that start something first, then closers, for a stable and readable order.
    for class in [Class::Start, Class::Close, Class::Continuation] {
        for &(d, c) in &described {
            let keep = c == class && (c != Class::Continuation || only_continuations);
            let redundant = has_expr && matches!(d, "an identifier" | "a number" | "a string");
            if keep && !redundant && !words.contains(&d) {
                words.push(d);
            }
        }
    }
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// What the parser stopped at, for "found …".
fn describe_found(text: &str, pos: usize) -> String {
    let rest = &text[pos..];
    let Some(c) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if c == '\n' || c == '\r' {
        return "a newline".to_string();
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '#'))
        .take(40)
        .collect();
    if word.is_empty() {
        format!("`{c}`")
    } else {
        format!("`{word}`")
    }
}

/// The span of the character at `pos` (empty at the end of the text).
fn char_span(file: FileId, text: &str, pos: usize) -> Span {
    let pos = pos.min(text.len());
    let len = text[pos..].chars().next().map_or(0, char::len_utf8);
    Span::new(file, pos, pos + len)
}

// ---------------------------------------------------------------------------------------------
// A cheap lexical scan: bracket depth and unterminated strings.

struct Scan {
    /// Byte offset of the first bracket nested deeper than `MAX_DEPTH`.
    too_deep_at: Option<usize>,
    /// Byte offset of the opening quote of the first string that is never closed.
    unterminated: Option<usize>,
    /// Byte offset of the innermost bracket still open at the end of the text.
    unclosed: Option<usize>,
}

enum Frame {
    /// An opening bracket, at this byte offset.
    Bracket(usize),
    /// `\(` inside a string; a `)` at this level returns to the string.
    Interp,
    Str {
        hashes: usize,
        quote: u8,
        multi: bool,
        start: usize,
    },
}

/// Scans the text the way the grammar tokenises it, closely enough to count nesting: comments
/// and string contents are skipped, interpolations count as one level. `pos` only ever moves
/// forward, so the scan is linear.
fn scan(text: &str) -> Scan {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut depth = 0usize;
    let mut out = Scan {
        too_deep_at: None,
        unterminated: None,
        unclosed: None,
    };
    let mut i = 0usize;
    while i < b.len() {
        if let Some(&Frame::Str {
            hashes,
            quote,
            multi,
            start,
        }) = stack.last()
        {
            // Only a backslash, the quote or a newline can end or interrupt the contents.
            while i < b.len() && !matches!(b[i], b'\\' | b'\n') && b[i] != quote {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let c = b[i];
            if c == b'\\' && count(b, i + 1, b'#') >= hashes {
                let after = i + 1 + hashes;
                if b.get(after) == Some(&b'(') {
                    stack.push(Frame::Interp);
                    depth += 1;
                    if depth > MAX_DEPTH {
                        out.too_deep_at = Some(after);
                        return out;
                    }
                    i = after + 1;
                } else {
                    i = after + 1;
                }
            } else if c == quote && closes(b, i, quote, multi, hashes) {
                stack.pop();
                i += if multi { 3 } else { 1 } + hashes;
            } else if c == b'\n' && !multi {
                out.unterminated.get_or_insert(start);
                stack.pop();
                i += 1;
            } else {
                i += 1;
            }
            continue;
        }
        // Only these bytes matter outside strings; skip the others in a tight loop.
        while i < b.len()
            && !matches!(
                b[i],
                b'/' | b'#' | b'"' | b'\'' | b'(' | b'[' | b'{' | b')' | b']' | b'}'
            )
        {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            c @ (b'#' | b'"' | b'\'') => {
                let hashes = if c == b'#' { count(b, i, b'#') } else { 0 };
                let q = i + hashes;
                match b.get(q) {
                    Some(&quote @ (b'"' | b'\'')) => {
                        let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
                        let newline = matches!(b.get(q + 3), Some(b'\n') | Some(b'\r'));
                        let multi = triple && newline;
                        stack.push(Frame::Str {
                            hashes,
                            quote,
                            multi,
                            start: i,
                        });
                        i = q + if multi { 3 } else { 1 };
                    }
                    _ => i = q.max(i + 1),
                }
            }
            b'(' | b'[' | b'{' => {
                stack.push(Frame::Bracket(i));
                depth += 1;
                if depth > MAX_DEPTH {
                    out.too_deep_at = Some(i);
                    return out;
                }
                i += 1;
            }
            c @ (b')' | b']' | b'}') => {
                match stack.last() {
                    Some(Frame::Interp) if c == b')' => {
                        stack.pop();
                        depth -= 1;
                    }
                    Some(Frame::Bracket(_)) => {
                        stack.pop();
                        depth -= 1;
                    }
                    _ => {}
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.unclosed = stack.iter().rev().find_map(|f| match f {
        Frame::Bracket(at) => Some(*at),
        _ => None,
    });
    if let Some(Frame::Str { start, .. }) = stack.iter().find(|f| matches!(f, Frame::Str { .. })) {
        let first = out.unterminated.map_or(*start, |u| u.min(*start));
        out.unterminated = Some(first);
    }
    out
}

/// How many `c` bytes start at `i`.
fn count(b: &[u8], i: usize, c: u8) -> usize {
    b.get(i..)
        .map_or(0, |s| s.iter().take_while(|&&x| x == c).count())
}

/// Whether the quote at `i` closes a string opened with `quote`, `multi` and `hashes`.
fn closes(b: &[u8], i: usize, quote: u8, multi: bool, hashes: usize) -> bool {
    let quotes = if multi { 3 } else { 1 };
    count(b, i, quote) >= quotes && count(b, i + quotes, b'#') >= hashes
}
