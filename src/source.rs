//! Source files and positions: `FileId`, byte-offset `Span`s, and the `SourceMap` that owns every
//! loaded text. Invariant: a `Span` always indexes into the file its `FileId` names, on char
//! boundaries, so line/column lookups never fail.

use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// What a column counts. Every output format of orche counts Unicode scalar values (`Chars`);
/// the language server counts what the editor asks for (UTF-16 code units by default, or bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnUnit {
    Chars,
    Utf16,
    Utf8,
}

/// One loaded file: its display name and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
    /// Byte offsets where lines start (after each `\n`); shared, so that a renderer may keep
    /// it with the text.
    line_starts: Arc<[u32]>,
    /// Whether a `\r` not followed by `\n` occurs (a line break for some renderers, not in
    /// `line_starts`).
    lone_cr: bool,
    /// Whether this is a file of the embedded standard library (not an input of the user's).
    pub stdlib: bool,
}

impl SourceFile {
    /// The byte offsets where lines start (the first is 0).
    pub fn line_starts(&self) -> Arc<[u32]> {
        self.line_starts.clone()
    }

    /// Whether the text has a `\r` that is not part of `\r\n`.
    pub fn has_lone_cr(&self) -> bool {
        self.lone_cr
    }

    /// 1-based line and column of a byte offset, the column counted in `unit`s from the start
    /// of the line (an offset inside a character counts as that character's start).
    pub fn line_col_in(&self, offset: u32, unit: ColumnUnit) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut end = (offset as usize).min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let before = self.text.get(start..end).unwrap_or("");
        let col = match unit {
            ColumnUnit::Chars => before.chars().count(),
            ColumnUnit::Utf16 => before.chars().map(char::len_utf16).sum(),
            ColumnUnit::Utf8 => before.len(),
        };
        (line + 1, col + 1)
    }

    /// 1-based line and column (in chars) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line + 1, col + 1)
    }
}

/// Every source text the compiler has seen, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.add_file(name.into(), text.into(), false)
    }

    /// Adds a file of the embedded standard library.
    pub fn add_stdlib(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.add_file(name.into(), text.into(), true)
    }

    fn add_file(&mut self, name: String, text: Arc<str>, stdlib: bool) -> FileId {
        let mut line_starts = vec![0u32];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        let lone_cr = has_lone_cr(text.as_bytes());
        self.files.push(SourceFile {
            name,
            text,
            line_starts: line_starts.into(),
            lone_cr,
            stdlib,
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// `name:line:col` of the start of a span.
    pub fn position(&self, span: Span) -> String {
        let f = self.get(span.file);
        let (l, c) = f.line_col(span.start);
        format!("{}:{}:{}", f.name, l, c)
    }
}

fn has_lone_cr(b: &[u8]) -> bool {
    // Most texts have no `\r` at all: a vectorized search says so without the byte loop.
    b.contains(&b'\r')
        && b.iter()
            .enumerate()
            .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::has_lone_cr;

    #[test]
    fn a_lone_cr_is_one_not_followed_by_a_newline() {
        assert!(!has_lone_cr(b""));
        assert!(!has_lone_cr(b"a: 1\nb: 2\n"));
        assert!(!has_lone_cr(b"a: 1\r\nb: 2\r\n"));
        assert!(has_lone_cr(b"a: 1\rb: 2"));
        assert!(has_lone_cr(b"a: 1\r\nb: 2\r"));
        assert!(has_lone_cr(b"\r\r\n"));
    }
}
