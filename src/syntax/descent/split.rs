//! A large file parsed on two threads: a second thread parses the declarations from a point
//! past the middle of the text (the *tail*) while this one parses from the start, and takes the
//! tail's declarations when it reaches that point at the start of a declaration.
//!
//! The point is a guess (a line start past the middle, at the shallowest indentation nearby),
//! made without knowing where strings or comments are. It is used only where the sequential
//! parse proves it right: when this thread's parse arrives exactly there, at the top of a
//! struct literal's or the file's declaration loop, and the tail ended the way that loop ends
//! (at the struct's `}`, or at the end of the file) without nesting deeper than the limit
//! allows from there. From such a point the sequential parse would run the same code on the
//! same bytes as the tail did (the parser's state there is its position and depth only), so
//! the syntax tree is the very same, spans included. Anything else (the point falls inside a
//! string, a list, an expression; the tail gave up) and this thread parses on past the point
//! as if there were no tail. `tests/syntax_fast_path.rs` compares both ways on every test file.

use super::{ast, GiveUp, Parser, R};
use crate::source::FileId;
use crate::syntax::error::MAX_DEPTH;
use std::sync::mpsc::{channel, Receiver};

/// Files smaller than this are parsed on one thread: a second one would not pay for itself.
pub(super) const SPLIT_MIN: usize = 256 << 10;

/// How far past the middle the split point is looked for.
const WINDOW: usize = 64 << 10;

/// The tail thread's stack: as the thread that parses the head (`convert::PARSE_STACK`).
const STACK: usize = 64 << 20;

/// What the tail thread parsed.
pub(super) struct Tail {
    decls: Vec<ast::Decl>,
    /// Where it stopped: at the `}` that closes its struct, or at the end of the text.
    end: usize,
    /// It stopped at a `}` (else at the end of the text).
    at_brace: bool,
    /// A declaration began with the word `package` or `import`, which the file's loop reads
    /// differently from a struct's.
    keyword: bool,
    /// The deepest nesting below the split point.
    deepest: usize,
}

/// The tail being parsed, for the parser of the head.
pub(super) struct Pending {
    at: usize,
    result: Receiver<R<Tail>>,
}

/// Where the loop that reached the split point is.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Context {
    File,
    Struct,
}

/// Parses `text` as `parse_file` does, on two threads when a split point is found (`None`
/// when the text is not for this parser).
pub(super) fn parse_file(file: FileId, text: &str) -> Option<ast::File> {
    match split_point(text.as_bytes()) {
        Some(at) => parse_split(file, text, at).0,
        None => Parser::new(text, file).file().ok(),
    }
}

/// Parses `text` with the tail starting at byte `at`; also says whether the tail's
/// declarations were used.
pub(in crate::syntax) fn parse_split(
    file: FileId,
    text: &str,
    at: usize,
) -> (Option<ast::File>, bool) {
    std::thread::scope(|scope| {
        let (send, result) = channel();
        let spawned = std::thread::Builder::new()
            .name("orche-parse-tail".to_string())
            .stack_size(STACK)
            .spawn_scoped(scope, move || {
                let mut p = Parser::new(text, file);
                p.pos = at;
                // The head's parser may have gone past the point and stopped listening.
                let _ = send.send(p.tail());
            });
        let mut p = Parser::new(text, file);
        if spawned.is_ok() {
            p.pending = Some(Pending { at, result });
        }
        let parsed = p.file().ok();
        (parsed, p.took_tail)
    })
}

/// A line start past the middle of `text` whose first character may begin a declaration, at
/// the smallest indentation within [`WINDOW`] bytes (the outermost declarations there, so that
/// the tail is most of the rest of the file).
fn split_point(b: &[u8]) -> Option<usize> {
    let from = b.len() / 2;
    let to = (from + WINDOW).min(b.len());
    let mut best: Option<(usize, usize)> = None;
    let mut i = from + memchr(b'\n', &b[from..to])? + 1;
    while i < to {
        let indent = b[i..to]
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        let start = i + indent;
        let begins = b
            .get(start)
            .is_some_and(|&c| c.is_ascii_alphabetic() || matches!(c, b'"' | b'#' | b'_' | b'$'));
        if begins && best.is_none_or(|(_, least)| indent < least) {
            best = Some((start, indent));
        }
        match memchr(b'\n', &b[start.min(to)..to]) {
            Some(n) => i = start + n + 1,
            None => break,
        }
    }
    best.map(|(at, _)| at)
}

fn memchr(c: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

impl Parser<'_> {
    /// The tail: declarations from the split point to the `}` or the end of the text that
    /// ends them. The checks after each declaration are the struct loop's and the file loop's
    /// together; [`Parser::take_tail`] accepts the result only where they agree with the loop
    /// that reached the point.
    fn tail(&mut self) -> R<Tail> {
        let mut decls = Vec::new();
        let mut keyword = false;
        while !self.eof() && self.peek() != b'}' {
            keyword |= matches!(self.peek_ident(), Some("package" | "import"));
            if let Some(d) = self.decl()? {
                decls.push(d);
            }
            self.skip_ws();
            if !self.sep() && self.peek() != b'}' && !self.eof() {
                return Err(GiveUp);
            }
        }
        Ok(Tail {
            decls,
            end: self.pos,
            at_brace: !self.eof(),
            keyword,
            deepest: self.deepest,
        })
    }

    /// At the top of a declaration loop: the tail's declarations, when the parse has reached
    /// the split point and the tail is what this loop would have parsed from there. The
    /// caller adds them and continues at `self.pos` (set to where the tail stopped).
    pub(super) fn take_tail(&mut self, context: Context) -> Option<Vec<ast::Decl>> {
        if self.pending.as_ref()?.at != self.pos {
            return None;
        }
        let pending = self.pending.take()?;
        let Ok(Ok(tail)) = pending.result.recv() else {
            return None;
        };
        let fits = match context {
            Context::Struct => tail.at_brace,
            Context::File => !tail.at_brace && !tail.keyword,
        };
        if !fits || self.depth + tail.deepest > MAX_DEPTH {
            return None;
        }
        self.pos = tail.end;
        self.took_tail = true;
        Some(tail.decls)
    }
}
