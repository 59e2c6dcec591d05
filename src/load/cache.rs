//! Parsed texts kept from one check of a package to the next (the language server's): a text
//! whose file name and exact content are those of the last check, and that lands at the same
//! `FileId` in the new `SourceMap`, is not parsed again; its syntax tree (or its syntax
//! errors) is shared. Invariant: what a text gets from the cache is exactly what parsing it
//! would give, spans included: spans are a `FileId` and byte offsets into that file's own
//! text, so the same text at the same id has the same spans. A text at another id (a file
//! added to or removed from the package before it) is parsed again. Only the texts of the last
//! call are kept.

use crate::diag::Diag;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast;
use indexmap::IndexMap;
use std::rc::Rc;
use std::sync::Arc;

/// The parsed texts of the last [`ParseCache::parse`], by file name.
#[derive(Default)]
pub struct ParseCache {
    files: IndexMap<String, Entry>,
}

struct Entry {
    text: Arc<str>,
    id: FileId,
    parsed: Result<Rc<ast::File>, Vec<Diag>>,
}

impl ParseCache {
    pub fn new() -> ParseCache {
        ParseCache::default()
    }

    /// How many texts are kept (those of the last call).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Adds each `(name, text)` to `sources`, in order, and returns the trees of the texts
    /// that parse, the syntax errors of the others pushed to `syntax`: what
    /// `load::parse_text` on each gives. Texts unchanged since the last call (same name,
    /// text and `FileId`) are taken from the cache; afterwards the cache holds this call's
    /// texts only.
    pub fn parse(
        &mut self,
        texts: &[(String, String)],
        sources: &mut SourceMap,
        syntax: &mut Vec<Diag>,
    ) -> Vec<Rc<ast::File>> {
        let mut last = std::mem::take(&mut self.files);
        let mut files = Vec::with_capacity(texts.len());
        for (name, text) in texts {
            let old = last.swap_remove(name.as_str());
            let entry = match old {
                Some(old) if *old.text == **text => {
                    let id = sources.add(name.clone(), old.text.clone());
                    if id == old.id {
                        old
                    } else {
                        drop(old.parsed);
                        Entry::parsed(old.text, id, sources)
                    }
                }
                old => {
                    // The old tree is freed before the new one is built.
                    drop(old);
                    let text: Arc<str> = Arc::from(text.as_str());
                    let id = sources.add(name.clone(), text.clone());
                    Entry::parsed(text, id, sources)
                }
            };
            match &entry.parsed {
                Ok(f) => files.push(f.clone()),
                Err(es) => syntax.extend(es.iter().cloned()),
            }
            self.files.insert(name.clone(), entry);
        }
        // `last` now holds the texts not given this time (closed, removed, another package).
        drop(last);
        files
    }
}

impl Entry {
    fn parsed(text: Arc<str>, id: FileId, sources: &SourceMap) -> Entry {
        let mut es = Vec::new();
        let parsed = match super::parse_added(id, sources, &mut es) {
            Some(f) => Ok(Rc::new(f)),
            None => Err(es),
        };
        Entry { text, id, parsed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    /// Parses `list` through `cache`: the trees and the syntax errors.
    fn parse(cache: &mut ParseCache, list: &[(&str, &str)]) -> (Vec<Rc<ast::File>>, Vec<Diag>) {
        let mut sources = SourceMap::new();
        let mut syntax = Vec::new();
        let files = cache.parse(&texts(list), &mut sources, &mut syntax);
        (files, syntax)
    }

    /// What parsing without a cache gives, in `Debug` form (spans included).
    fn fresh(list: &[(&str, &str)]) -> (String, Vec<Diag>) {
        let mut sources = SourceMap::new();
        let mut syntax = Vec::new();
        let files: Vec<ast::File> = texts(list)
            .into_iter()
            .filter_map(|(n, t)| crate::load::parse_text(n, t, &mut sources, &mut syntax))
            .collect();
        (format!("{files:?}"), syntax)
    }

    fn same_as_fresh(cache: &mut ParseCache, list: &[(&str, &str)]) -> Vec<Rc<ast::File>> {
        let (files, syntax) = parse(cache, list);
        let shown: Vec<&ast::File> = files.iter().map(|f| &**f).collect();
        assert_eq!((format!("{shown:?}"), syntax), fresh(list));
        files
    }

    #[test]
    fn unchanged_texts_share_their_trees_and_changed_ones_are_parsed_again() {
        let mut cache = ParseCache::new();
        let v1 = [("a", "package p\na: 1\n"), ("b", "package p\nb: 2\n")];
        let first = same_as_fresh(&mut cache, &v1);
        let v2 = [("a", "package p\na: 1\n"), ("b", "package p\nb: 3\n")];
        let second = same_as_fresh(&mut cache, &v2);
        assert!(Rc::ptr_eq(&first[0], &second[0]));
        assert!(!Rc::ptr_eq(&first[1], &second[1]));
        // Only the last call's texts are kept: the first `b` is gone.
        assert_eq!(cache.len(), 2);
        assert_eq!(Rc::strong_count(&first[1]), 1);
    }

    #[test]
    fn a_text_at_another_file_id_is_parsed_again() {
        let mut cache = ParseCache::new();
        let b = ("b", "package p\nb: 2\n");
        let first = same_as_fresh(&mut cache, &[("a", "package p\n"), b]);
        // A file before `b` goes away: `b` is file 0 now, its old tree says file 1.
        let second = same_as_fresh(&mut cache, &[b]);
        assert!(!Rc::ptr_eq(&first[1], &second[0]));
        // And one comes back before it.
        let third = same_as_fresh(&mut cache, &[("0", "package p\n"), b]);
        assert!(!Rc::ptr_eq(&second[0], &third[1]));
        let fourth = same_as_fresh(&mut cache, &[("0", "package p\n"), b]);
        assert!(Rc::ptr_eq(&third[1], &fourth[1]));
        assert!(Rc::ptr_eq(&third[0], &fourth[0]));
    }

    #[test]
    fn syntax_errors_are_kept_and_fixed() {
        let mut cache = ParseCache::new();
        let a = ("a", "package p\na: 1\n");
        let broken = [a, ("b", "package p\nb: {\n")];
        let (_, first) = parse(&mut cache, &broken);
        assert!(!first.is_empty());
        // Unchanged, the broken file still shows its error; the other file is shared.
        let kept = same_as_fresh(&mut cache, &broken);
        assert_eq!(kept.len(), 1);
        let edited = same_as_fresh(&mut cache, &[("a", "package p\na: 2\n"), broken[1]]);
        assert!(!Rc::ptr_eq(&kept[0], &edited[0]));
        let fixed = same_as_fresh(&mut cache, &[("a", "package p\na: 2\n"), a]);
        assert_eq!(fixed.len(), 2);
        assert!(Rc::ptr_eq(&edited[0], &fixed[0]));
    }

    #[test]
    fn texts_not_given_again_are_dropped() {
        let mut cache = ParseCache::new();
        let first = same_as_fresh(&mut cache, &[("a", "package p\n"), ("b", "package p\n")]);
        same_as_fresh(&mut cache, &[("c", "package q\n")]);
        assert_eq!(cache.len(), 1);
        assert!(first.iter().all(|f| Rc::strong_count(f) == 1));
        same_as_fresh(&mut cache, &[]);
        assert!(cache.is_empty());
    }
}
