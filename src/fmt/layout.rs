//! Layout: tokens (with comments and newlines) → canonical text. Lines are kept as written
//! (blank-line runs collapse to one); indentation is one tab per open bracket; spacing between
//! the tokens of a line comes from their roles; the values (and trailing comments) of
//! consecutive simple fields are aligned; a line longer than `MAX_WIDTH` has its outermost
//! one-line structs and lists broken one element a line. Invariant: only whitespace, line
//! breaks after `{`/`[`/`,` and before `}`/`]`, and commas where a newline already separates
//! (in structs dropped, in lists added) change: never a byte of a token.

use super::lex::{Kind, Tok};

/// A line wider than this (tabs counted as `TAB_WIDTH` columns, trailing comment not
/// counted) has its outermost one-line structs and lists broken one element a line.
pub const MAX_WIDTH: usize = 100;
/// The width of an indentation tab when measuring lines.
pub const TAB_WIDTH: usize = 4;

/// What kind of bracket an opener or closer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bk {
    Struct,
    List,
    /// `x[i]` (or a slice).
    Index,
    /// `[pattern]: value`
    Pattern,
    Call,
    Paren,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Plain,
    /// A binary operator: whether it has a blank on each side.
    Bin(bool),
    Prefix,
    /// `?` or `!` after a label.
    Marker,
    /// `=` of an alias: `X=a`.
    Alias,
    /// `=` of `let X = v`.
    LetEq,
    Colon,
    SliceColon,
    Open(Bk),
    Close(Bk),
    Comma,
    Dot,
    Ellipsis,
    Comment,
    Newline,
}

#[derive(Clone, Copy, Debug)]
pub struct T<'a> {
    tok: Tok<'a>,
    /// `Some(blank)` for a binary operator (from the syntax tree).
    bin: Option<bool>,
    role: Role,
    /// The matching bracket's index, for openers and closers.
    mate: usize,
    /// The kind of the innermost bracket around the token (for a bracket: around it, not the
    /// one it opens or closes); `None` at file level.
    ctx: Option<Bk>,
}

const KEYWORDS: [&str; 6] = ["for", "in", "if", "let", "import", "package"];

fn synthetic(kind: Kind, text: &'static str) -> T<'static> {
    T {
        tok: Tok {
            kind,
            text,
            start: usize::MAX,
            gap_before: false,
        },
        bin: None,
        role: Role::Plain,
        mate: usize::MAX,
        ctx: None,
    }
}

/// Whether a token ends an operand: after it, `(` is a call and `[` an index, and a newline
/// ends the declaration (CUE inserts a comma there).
fn operand_end(t: &T) -> bool {
    match t.tok.kind {
        Kind::Word => !KEYWORDS.contains(&t.tok.text),
        Kind::Str => true,
        _ => matches!(t.role, Role::Close(_)),
    }
}

/// Whether a newline after this token would also separate elements (so a comma before that
/// newline may go, or be added in a list).
fn ends_element(t: &T) -> bool {
    operand_end(t) || t.tok.kind == Kind::Attr || t.role == Role::Ellipsis
}

/// Gives every token its role, matching bracket and context. Tokens must be balanced (the
/// file parsed).
fn classify(ts: &mut [T]) {
    let n = ts.len();
    let mut stack: Vec<usize> = Vec::new();
    for i in 0..n {
        ts[i].mate = usize::MAX;
        if ts[i].tok.kind != Kind::Punct {
            continue;
        }
        match ts[i].tok.text {
            "{" | "[" | "(" => stack.push(i),
            "}" | "]" | ")" => {
                if let Some(o) = stack.pop() {
                    ts[o].mate = i;
                    ts[i].mate = o;
                }
            }
            _ => {}
        }
    }
    let mut open: Vec<Bk> = Vec::new();
    for i in 0..n {
        let ctx = open.last().copied();
        ts[i].ctx = ctx;
        let prev_end = i > 0 && ts[i - 1].tok.kind != Kind::Newline && operand_end(&ts[i - 1]);
        let next_text = |k: usize| ts.get(k).map_or("", |t| t.tok.text);
        let role = match ts[i].tok.kind {
            Kind::Comment => Role::Comment,
            Kind::Newline => Role::Newline,
            Kind::Word | Kind::Str | Kind::Attr => Role::Plain,
            Kind::Punct => match ts[i].tok.text {
                "{" => Role::Open(Bk::Struct),
                "[" => {
                    let after = ts[i].mate.saturating_add(1);
                    if prev_end {
                        Role::Open(Bk::Index)
                    } else if next_text(after) == ":"
                        || (matches!(next_text(after), "?" | "!") && next_text(after + 1) == ":")
                    {
                        Role::Open(Bk::Pattern)
                    } else {
                        Role::Open(Bk::List)
                    }
                }
                "(" => Role::Open(if prev_end { Bk::Call } else { Bk::Paren }),
                "}" | "]" | ")" => match ts.get(ts[i].mate).map(|o| o.role) {
                    Some(Role::Open(k)) => Role::Close(k),
                    _ => Role::Close(Bk::Paren),
                },
                ":" if ctx == Some(Bk::Index) => Role::SliceColon,
                ":" => Role::Colon,
                "?" => Role::Marker,
                "!" if next_text(i + 1) == ":" => Role::Marker,
                "=" if i >= 2
                    && ts[i - 1].tok.kind == Kind::Word
                    && ts[i - 2].tok.text == "let" =>
                {
                    Role::LetEq
                }
                "=" => Role::Alias,
                "." => Role::Dot,
                "..." => Role::Ellipsis,
                "," => Role::Comma,
                _ => match ts[i].bin {
                    Some(b) => Role::Bin(b),
                    None => Role::Prefix,
                },
            },
        };
        ts[i].role = role;
        match role {
            Role::Open(k) => open.push(k),
            Role::Close(_) => {
                // A closer's context is the bracket around the one it closes.
                open.pop();
                ts[i].ctx = open.last().copied();
            }
            _ => {}
        }
    }
}

/// Commas: dropped before a closer on the same line and at the end of a line in a struct
/// (the newline separates); added at the end of a line after a list element.
fn normalize<'a>(ts: Vec<T<'a>>) -> Vec<T<'a>> {
    let mut out: Vec<T> = Vec::with_capacity(ts.len());
    let is_clause = |t: &T| t.tok.kind == Kind::Word && matches!(t.tok.text, "for" | "if" | "let");
    // Whether the current line starts with a comprehension clause (`for`, `if`, `let`).
    let mut clause_line = false;
    let mut line_start = true;
    for i in 0..ts.len() {
        let t = ts[i];
        if t.role == Role::Newline {
            line_start = true;
        } else if line_start && t.role != Role::Comment {
            clause_line = is_clause(&t);
            line_start = false;
        }
        let next = ts.get(i + 1);
        let at_line_end = next.is_none_or(|n| matches!(n.role, Role::Newline | Role::Comment));
        if t.role == Role::Comma {
            let before_close =
                next.is_some_and(|n| matches!(n.role, Role::Close(Bk::Struct | Bk::List)));
            let in_struct = matches!(t.ctx, None | Some(Bk::Struct));
            let after_element = out.last().is_some_and(ends_element);
            if before_close || (in_struct && at_line_end && after_element) {
                continue;
            }
        }
        out.push(t);
        // The clauses of one comprehension may stand on lines of their own (`for a in x` /
        // `for b in y` / `if c {…}`): no comma between them, only after its body.
        let next_clause = ts[i + 1..]
            .iter()
            .find(|n| !matches!(n.role, Role::Newline | Role::Comment))
            .is_some_and(is_clause);
        let inside_clauses = clause_line && next_clause && t.role != Role::Close(Bk::Struct);
        if t.ctx == Some(Bk::List)
            && at_line_end
            && ends_element(&t)
            && next.is_some()
            && t.role != Role::Comma
            && !inside_clauses
        {
            let mut c = synthetic(Kind::Punct, ",");
            c.role = Role::Comma;
            c.ctx = t.ctx;
            out.push(c);
        }
    }
    out
}

/// Whether there should be a blank between two tokens of one line.
fn space(p: &T, c: &T) -> bool {
    use Role::*;
    if p.role == Prefix && c.role == Prefix {
        // `! =~x` must not become `!=~x`: keep what was written.
        return c.tok.gap_before;
    }
    if c.role == Dot
        && p.tok.kind == Kind::Word
        && p.tok.text.starts_with(|ch: char| ch.is_ascii_digit())
    {
        return c.tok.gap_before;
    }
    match (p.role, c.role) {
        (_, Comma | Colon | SliceColon | Marker | Close(_) | Dot) => false,
        (SliceColon | Open(_) | Dot | Prefix | Alias | Ellipsis, _) => false,
        (_, Bin(b)) | (Bin(b), _) => b,
        (_, Alias) => false,
        (_, Open(Bk::Call | Bk::Index)) => false,
        _ => true,
    }
}

/// Whether a line ending in this token goes on in the next line (one more tab).
fn continues(t: &T, line_has_for: bool) -> bool {
    matches!(
        t.role,
        Role::Bin(_)
            | Role::Prefix
            | Role::Colon
            | Role::Alias
            | Role::LetEq
            | Role::Dot
            | Role::Marker
    ) || (t.tok.text == "in" && line_has_for)
}

/// One output line before alignment.
struct Line {
    indent: usize,
    code: String,
    comment: Option<String>,
    blank_before: bool,
    /// Byte length of `label:` when the line is a simple field that aligns with its
    /// neighbours.
    key: Option<usize>,
    /// The innermost bracket open at the line's start (alignment stays within one).
    owner: usize,
    /// Columns, with tabs as TAB_WIDTH and without the trailing comment; 0 when a token
    /// spans lines.
    width: usize,
    /// Openers of one-line structs and lists to break if the line is too long.
    breakable: Vec<usize>,
}

/// The canonical text of a token list (with binary-operator spacing from the syntax tree).
pub fn format(toks: Vec<Tok<'_>>, bin: Vec<Option<bool>>) -> String {
    let mut ts: Vec<T> = toks
        .into_iter()
        .zip(bin)
        .map(|(tok, bin)| T {
            tok,
            bin,
            role: Role::Plain,
            mate: usize::MAX,
            ctx: None,
        })
        .collect();
    classify(&mut ts);
    let mut ts = normalize(ts);
    classify(&mut ts);
    // Each round breaks the outermost brackets of the long lines; the elements' lines are
    // measured again in the next round. Every round turns one-line brackets into multi-line
    // ones, so the rounds are at most the brackets' nesting depth, which the parser bounds:
    // as many rounds as that bound, or a second formatting would break more (not idempotent).
    for _ in 0..=crate::syntax::MAX_NESTING {
        let lines = lines(&ts);
        let breaks: Vec<usize> = lines
            .iter()
            .filter(|l| l.width > MAX_WIDTH)
            .flat_map(|l| l.breakable.iter().copied())
            .collect();
        if breaks.is_empty() {
            return render(lines);
        }
        ts = break_brackets(ts, &breaks);
        classify(&mut ts);
        ts = normalize(ts);
        classify(&mut ts);
    }
    render(lines(&ts))
}

/// Inserts line breaks after each opener in `opens`, after its elements' commas, and before
/// its closer.
fn break_brackets<'a>(ts: Vec<T<'a>>, opens: &[usize]) -> Vec<T<'a>> {
    let mut after = vec![false; ts.len()];
    let mut before = vec![false; ts.len()];
    for &o in opens {
        let close = ts[o].mate;
        after[o] = true;
        before[close] = true;
        let mut depth = 0usize;
        for k in o + 1..close {
            match ts[k].role {
                Role::Open(_) => depth += 1,
                Role::Close(_) => depth -= 1,
                Role::Comma if depth == 0 => after[k] = true,
                _ => {}
            }
        }
    }
    let mut out = Vec::with_capacity(ts.len() + 4 * opens.len());
    for (k, t) in ts.into_iter().enumerate() {
        if before[k] {
            out.push(synthetic(Kind::Newline, "\n"));
        }
        out.push(t);
        if after[k] {
            out.push(synthetic(Kind::Newline, "\n"));
        }
    }
    out
}

/// Whether the bracket opened at `o` (closed on the same line) may be broken one element a
/// line: a struct or list with elements, no comprehension among them (a `for k, v` comma is
/// not a separator), no token spanning lines.
fn breakable(ts: &[T], o: usize) -> bool {
    let close = ts[o].mate;
    if !matches!(ts[o].role, Role::Open(Bk::Struct | Bk::List)) || close <= o + 1 {
        return false;
    }
    let mut depth = 0usize;
    let mut start = true;
    for t in &ts[o + 1..close] {
        if t.tok.text.contains('\n') {
            return false;
        }
        if depth == 0 && start && matches!(t.tok.text, "for" | "if") && t.tok.kind == Kind::Word {
            return false;
        }
        start = false;
        match t.role {
            Role::Open(_) => depth += 1,
            Role::Close(_) => depth -= 1,
            Role::Comma if depth == 0 => start = true,
            _ => {}
        }
    }
    // A comprehension may also follow a comma-free start: check the last element's start
    // was seen above; nothing else to do.
    true
}

fn lines(ts: &[T]) -> Vec<Line> {
    let n = ts.len();
    let mut out: Vec<Line> = Vec::new();
    // Open brackets: (opener index, indent of the line it is on).
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut last_code: Option<(T, bool)> = None;
    let mut prev_ended_open = false;
    let mut newlines = 0usize;
    let mut force_blank = false;
    let mut section_pending = false;
    let mut import_open: Option<usize> = None;
    // Whether the last declaration at file level was an import (consecutive imports stay
    // together).
    let mut after_import = false;
    let mut i = 0;
    while i < n {
        if ts[i].role == Role::Newline {
            newlines += 1;
            i += 1;
            continue;
        }
        let j = (i..n).find(|&k| ts[k].role == Role::Newline).unwrap_or(n);
        let first = &ts[i];
        let at_file_level = stack.is_empty();
        if section_pending {
            // A blank line after the package clause and after the imports, as cue fmt has.
            section_pending = false;
            force_blank = !(at_file_level && first.tok.text == "import" && after_import);
        }
        let cont = last_code.is_some_and(|(t, has_for)| continues(&t, has_for));
        let indent = match first.role {
            Role::Close(_) => stack
                .iter()
                .rev()
                .find(|(o, _)| *o == first.mate)
                .map_or(0, |(_, ind)| *ind),
            _ => stack.last().map_or(0, |(_, ind)| ind + 1) + usize::from(cont),
        };
        let owner = stack.last().map_or(usize::MAX, |(o, _)| *o);
        let owner_is_struct = stack
            .last()
            .is_none_or(|(o, _)| ts[*o].role == Role::Open(Bk::Struct));
        let blank_before = (newlines >= 2 || force_blank)
            && !out.is_empty()
            && !prev_ended_open
            && !matches!(first.role, Role::Close(_));
        force_blank = false;
        newlines = 0;

        let mut code = String::new();
        let mut comment = None;
        let mut level = 0usize;
        let mut key = None;
        let mut alignable = owner_is_struct && !cont && !matches!(first.role, Role::Close(_));
        let mut multiline = false;
        let mut breakable_here = Vec::new();
        let mut cand_close: Option<usize> = None;
        let mut has_for = false;
        let mut prev: Option<&T> = None;
        for k in i..j {
            let t = &ts[k];
            if t.role == Role::Comment {
                comment = Some(t.tok.text.trim_end().to_string());
                continue;
            }
            if let Some(p) = prev {
                if space(p, t) {
                    code.push(' ');
                }
            }
            code.push_str(t.tok.text);
            multiline |= t.tok.text.contains('\n');
            has_for |= t.tok.kind == Kind::Word && t.tok.text == "for";
            match t.role {
                Role::Open(bk) => {
                    if key.is_some() && matches!(bk, Bk::Struct | Bk::List) {
                        alignable = false;
                    }
                    if key.is_none() && level == 0 && !matches!(bk, Bk::Pattern | Bk::Paren) {
                        alignable = false;
                    }
                    if t.mate < j && cand_close.is_none() && breakable(ts, k) {
                        breakable_here.push(k);
                        cand_close = Some(t.mate);
                    }
                    level += 1;
                    stack.push((k, indent));
                }
                Role::Close(_) => {
                    if cand_close == Some(k) {
                        cand_close = None;
                    }
                    if level == 0 {
                        alignable = false;
                    } else {
                        level -= 1;
                    }
                    stack.pop();
                }
                Role::Colon if level == 0 => {
                    if key.is_some() {
                        alignable = false;
                    } else {
                        key = Some(code.len());
                    }
                }
                Role::Plain | Role::Marker | Role::Alias => {}
                _ if key.is_none() && level == 0 => alignable = false,
                _ => {}
            }
            if key.is_none()
                && level == 0
                && t.tok.kind == Kind::Word
                && KEYWORDS.contains(&t.tok.text)
            {
                // `if: 1` is a field; `if x {` is not: decided by whether a colon follows.
                if ts
                    .get(k + 1)
                    .is_none_or(|nx| !matches!(nx.role, Role::Colon | Role::Marker))
                {
                    alignable = false;
                }
            }
            last_code = Some((*t, has_for));
            prev = Some(t);
        }
        if level != 0 || multiline {
            alignable = false;
        }
        prev_ended_open = prev.is_some_and(|p| matches!(p.role, Role::Open(_)));
        let width = if multiline {
            0
        } else {
            indent * TAB_WIDTH + code.chars().count()
        };
        if at_file_level && first.tok.text == "package" {
            section_pending = true;
        }
        if at_file_level {
            after_import = first.tok.text == "import";
        }
        if at_file_level && first.tok.text == "import" {
            if stack.is_empty() {
                section_pending = true;
            } else {
                import_open = stack.last().map(|(o, _)| *o);
            }
        }
        if matches!(first.role, Role::Close(_))
            && import_open == Some(first.mate)
            && stack.is_empty()
        {
            import_open = None;
            section_pending = true;
        }
        out.push(Line {
            indent,
            code,
            comment,
            blank_before,
            key: if alignable { key } else { None },
            owner,
            width,
            breakable: breakable_here,
        });
        i = j;
    }
    out
}

/// Aligns the values of consecutive simple fields (and their trailing comments), then joins
/// the lines.
fn render(mut lines: Vec<Line>) -> String {
    let mut i = 0;
    let mut comment_col = vec![None; lines.len()];
    while i < lines.len() {
        if lines[i].key.is_none() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len()
            && lines[j].key.is_some()
            && !lines[j].blank_before
            && lines[j].owner == lines[i].owner
            && lines[j].indent == lines[i].indent
        {
            j += 1;
        }
        let keyw = |l: &Line| l.code[..l.key.unwrap_or(0)].chars().count();
        let max = lines[i..j].iter().map(keyw).max().unwrap_or(0);
        for l in &mut lines[i..j] {
            let k = l.key.unwrap_or(0);
            let pad = max - l.code[..k].chars().count();
            if pad > 0 {
                l.code.insert_str(k, &" ".repeat(pad));
            }
        }
        // Trailing comments of consecutive lines of the block line up.
        let mut a = i;
        while a < j {
            if lines[a].comment.is_none() {
                a += 1;
                continue;
            }
            let mut b = a;
            while b < j && lines[b].comment.is_some() {
                b += 1;
            }
            let col = lines[a..b]
                .iter()
                .map(|l| l.code.chars().count())
                .max()
                .unwrap_or(0);
            for c in comment_col.iter_mut().take(b).skip(a) {
                *c = Some(col);
            }
            a = b;
        }
        i = j;
    }
    let mut s = String::new();
    for (l, col) in lines.iter().zip(comment_col) {
        if l.blank_before {
            s.push('\n');
        }
        for _ in 0..l.indent {
            s.push('\t');
        }
        s.push_str(&l.code);
        if let Some(c) = &l.comment {
            if !l.code.is_empty() {
                let w = l.code.chars().count();
                let pad = col.map_or(1, |col| col - w + 1);
                s.push_str(&" ".repeat(pad));
            }
            s.push_str(c);
        }
        s.push('\n');
    }
    s
}
