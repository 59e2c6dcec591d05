//! The formatter's lossless lexer: source text → tokens that keep every comment and newline.
//! String literals (interpolations and multi-line strings included) and attributes are single
//! tokens whose text is the source's bytes, so the formatter can never change a byte inside
//! them. Invariant: concatenating the tokens' texts with the skipped whitespace (spaces, tabs,
//! U+FEFF) between them gives back the input; `None` for input the lexer does not recognise
//! (never for a file orche parses).

/// What a token is, as far as layout cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An identifier, keyword, number or `_|_`.
    Word,
    /// A string or bytes literal, any form, verbatim.
    Str,
    /// `@name(…)`, verbatim.
    Attr,
    /// `// …` up to the end of the line (without the newline).
    Comment,
    /// One line break (`\n`, `\r\n` or `\r`).
    Newline,
    /// An operator or delimiter.
    Punct,
}

/// One token: its kind, its text (a slice of the source, or a literal the formatter inserted)
/// and whether whitespace preceded it on its line in the source.
#[derive(Clone, Copy, Debug)]
pub struct Tok<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Byte offset in the source (`usize::MAX` for tokens the formatter inserted).
    pub start: usize,
    pub gap_before: bool,
}

const PUNCT2: [&str; 9] = ["&&", "||", "==", "!=", "=~", "!~", "<=", ">=", "_|"];
const PUNCT1: &str = "{}[]()<>:,.=?!+-*/&|";

/// Splits `src` into tokens, or `None` when something is not a token of the language.
pub fn lex(src: &str) -> Option<Vec<Tok<'_>>> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut gap = false;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind;
        if c == b' ' || c == b'\t' {
            i += 1;
            gap = true;
            continue;
        } else if src[i..].starts_with('\u{FEFF}') {
            i += '\u{FEFF}'.len_utf8();
            gap = true;
            continue;
        } else if c == b'\n' || c == b'\r' {
            i += if src[i..].starts_with("\r\n") { 2 } else { 1 };
            kind = Kind::Newline;
        } else if src[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            kind = Kind::Comment;
        } else if src[i..].starts_with("_|_") {
            i += 3;
            kind = Kind::Word;
        } else if let Some(end) = string_at(b, i) {
            i = end;
            kind = Kind::Str;
        } else if c == b'@' {
            i = attribute_end(b, i)?;
            kind = Kind::Attr;
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i = number_end(b, i);
            kind = Kind::Word;
        } else if is_word_start(src, i) {
            if c == b'#' {
                i += 1;
            } else if src[i..].starts_with("_#") {
                i += 2;
            }
            while i < b.len() && is_word_byte(src, i) {
                i += src[i..].chars().next().map_or(1, char::len_utf8);
            }
            kind = Kind::Word;
        } else if src[i..].starts_with("...") {
            i += 3;
            kind = Kind::Punct;
        } else if let Some(p) = PUNCT2
            .iter()
            .find(|p| **p != "_|" && src[i..].starts_with(**p))
        {
            i += p.len();
            kind = Kind::Punct;
        } else if PUNCT1.as_bytes().contains(&c) {
            i += 1;
            kind = Kind::Punct;
        } else {
            return None;
        }
        toks.push(Tok {
            kind,
            text: &src[start..i],
            start,
            gap_before: gap,
        });
        gap = false;
    }
    Some(toks)
}

fn is_word_start(src: &str, i: usize) -> bool {
    let b = src.as_bytes();
    match b[i] {
        b'#' => true,
        b'_' | b'$' => true,
        c if c.is_ascii_alphabetic() => true,
        c if c >= 0x80 => !src[i..].starts_with('\u{FEFF}'),
        _ => false,
    }
}

fn is_word_byte(src: &str, i: usize) -> bool {
    let c = src.as_bytes()[i];
    c.is_ascii_alphanumeric()
        || c == b'_'
        || c == b'$'
        || (c >= 0x80 && !src[i..].starts_with('\u{FEFF}'))
}

/// The end of the number starting at `i` (decimal with fraction, exponent or multiplier, or a
/// `0x`/`0o`/`0b` integer), followed by any identifier characters that stick to it.
fn number_end(b: &[u8], mut i: usize) -> usize {
    let radix =
        b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B'));
    let digits = |b: &[u8], mut i: usize| {
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        i
    };
    if radix {
        i += 2;
    } else {
        i = digits(b, i);
        if b.get(i) == Some(&b'.') && b.get(i + 1) != Some(&b'.') {
            i = digits(b, i + 1);
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                i = digits(b, j);
            }
        }
    }
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
        i += 1;
    }
    i
}

/// The end of the string or bytes literal starting at `i` (after any `#`s), or `None` when no
/// literal starts there.
fn string_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while b.get(j) == Some(&b'#') {
        j += 1;
    }
    let q = *b.get(j)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let hashes = j - i;
    let triple = b.get(j + 1) == Some(&q)
        && b.get(j + 2) == Some(&q)
        && matches!(b.get(j + 3), Some(b'\n' | b'\r'));
    let mut k = if triple { j + 3 } else { j + 1 };
    let closes = |b: &[u8], k: usize, n: usize| -> bool {
        (0..n).all(|x| b.get(k + x) == Some(&q))
            && (0..hashes).all(|x| b.get(k + n + x) == Some(&b'#'))
    };
    while k < b.len() {
        let c = b[k];
        if c == b'\\' && (0..hashes).all(|x| b.get(k + 1 + x) == Some(&b'#')) {
            let after = k + 1 + hashes;
            if b.get(after) == Some(&b'(') {
                k = paren_end(b, after)?;
            } else {
                k = after + 1;
            }
            continue;
        }
        if triple {
            if c == b'\n' || c == b'\r' {
                let mut m = k + 1;
                while m < b.len() && matches!(b[m], b' ' | b'\t' | b'\n' | b'\r') {
                    if b[m] == b'\n' || b[m] == b'\r' {
                        break;
                    }
                    m += 1;
                }
                if closes(b, m, 3) {
                    return Some(m + 3 + hashes);
                }
            }
        } else if c == b'\n' || c == b'\r' {
            return None;
        } else if closes(b, k, 1) {
            return Some(k + 1 + hashes);
        }
        k += 1;
    }
    None
}

/// The end (past the `)`) of the parenthesised text starting with `(` at `i`: an interpolation,
/// which may hold strings and nested parentheses.
fn paren_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut k = i;
    while k < b.len() {
        match b[k] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            b'/' if b.get(k + 1) == Some(&b'/') => {
                while k < b.len() && b[k] != b'\n' && b[k] != b'\r' {
                    k += 1;
                }
                continue;
            }
            b'"' | b'\'' | b'#' => {
                if let Some(end) = string_at(b, k) {
                    k = end;
                    continue;
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// The end of the attribute `@name(…)` starting at `i`: nested parentheses and quoted strings
/// (with backslash escapes) inside.
fn attribute_end(b: &[u8], i: usize) -> Option<usize> {
    let mut k = i + 1;
    while k < b.len() && b[k] != b'(' {
        if !(b[k].is_ascii_alphanumeric()
            || b[k] == b'_'
            || b[k] == b'$'
            || b[k] == b'#'
            || b[k] >= 0x80)
        {
            return None;
        }
        k += 1;
    }
    let mut depth = 0usize;
    while k < b.len() {
        match b[k] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            b'"' => {
                k += 1;
                while k < b.len() && b[k] != b'"' {
                    if b[k] == b'\\' {
                        k += 1;
                    }
                    k += 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        lex(s).unwrap().iter().map(|t| t.text).collect()
    }

    #[test]
    fn strings_numbers_and_operators_are_whole_tokens() {
        assert_eq!(
            texts(r#"a: "x\(f("y)"))z" + 1e-3"#),
            vec!["a", ":", r#""x\(f("y)"))z""#, "+", "1e-3"]
        );
        assert_eq!(texts("b: #\"q\"# // c"), vec!["b", ":", "#\"q\"#", "// c"]);
        assert_eq!(
            texts("x: \"\"\"\n\ta\"\"\"b\n\t\"\"\", y"),
            vec!["x", ":", "\"\"\"\n\ta\"\"\"b\n\t\"\"\"", ",", "y"]
        );
        assert_eq!(
            texts("a: >=1 & !=_|_ @go(a,\"b)\")"),
            vec!["a", ":", ">=", "1", "&", "!=", "_|_", "@go(a,\"b)\")"]
        );
        assert_eq!(
            texts("[...#D] 0x1F 1.5Ki .5"),
            vec!["[", "...", "#D", "]", "0x1F", "1.5Ki", ".5"]
        );
    }
}
