//! `orche fmt`: the canonical layout of a source file, in the style of `cue fmt` (docs/fmt.md).
//! The formatter is lossless by construction: the file is parsed (a file with a syntax error is
//! never formatted), then lexed again into tokens that keep every comment and line break
//! (`fmt/lex.rs`), and laid out anew (`fmt/layout.rs`), the spacing of binary operators read
//! off the syntax tree (`fmt/ops.rs`). Only whitespace, line breaks inside brackets and commas
//! where a line break already separates change; no byte of a token does. As a last guard the
//! result is parsed again: output that would not parse is an internal error, never written.
//! Invariant: pure (text in, text or diagnostics out); the language server formats with it too.

mod layout;
pub(crate) mod lex;
mod ops;

use crate::diag::Diag;
use crate::source::{FileId, Span};
use crate::syntax;

/// The canonical text of `text` (the file `id` of a `SourceMap`, for the positions of syntax
/// errors), or the reasons it cannot be formatted.
pub fn format(id: FileId, text: &str) -> Result<String, Vec<Diag>> {
    let file = syntax::parse_file(id, text)?;
    let internal = |what: &str| {
        vec![Diag::new(
            "orche::fmt::internal",
            format!("the file parses, but {what}; it is left as it is"),
        )
        .with_label(Span::new(id, 0, 0), "")
        .with_help("this is a bug in orche fmt; please report it with the file")]
    };
    let toks = lex::lex(text).ok_or_else(|| internal("the formatter cannot read it"))?;
    // Binary operators get their spacing from the tree; the tree knows only code tokens.
    let code: Vec<usize> = (0..toks.len())
        .filter(|&i| !matches!(toks[i].kind, lex::Kind::Comment | lex::Kind::Newline))
        .collect();
    let starts: Vec<usize> = code.iter().map(|&i| toks[i].start).collect();
    let texts: Vec<&str> = code.iter().map(|&i| toks[i].text).collect();
    let marks = ops::binary_ops(&file, &starts, &texts);
    let mut bin = vec![None; toks.len()];
    for (k, &i) in code.iter().enumerate() {
        bin[i] = marks[k];
    }
    let out = layout::format(toks, bin);
    if syntax::parse_file(id, &out).is_err() {
        return Err(internal("its formatted text would not parse"));
    }
    Ok(out)
}

/// Whether `text` is already in the canonical layout (a file that does not parse is not).
pub fn is_formatted(text: &str) -> bool {
    format(FileId(0), text).is_ok_and(|out| out == text)
}

/// The comments of `text`, in order, each without trailing blanks (how the formatter writes
/// them); `None` when the text cannot be lexed. For the test that formatting keeps them all.
pub fn comments(text: &str) -> Option<Vec<String>> {
    Some(
        lex::lex(text)?
            .iter()
            .filter(|t| t.kind == lex::Kind::Comment)
            .map(|t| t.text.trim_end().to_string())
            .collect(),
    )
}
