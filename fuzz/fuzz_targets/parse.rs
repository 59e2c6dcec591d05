//! Fuzz target `parse`: any text through the parser (`syntax::parse_file`, and as an `-e`
//! expression). Checks: no panic or stack overflow; every syntax error renders; and the
//! parser's two paths agree: where the hand-written fast path returns a syntax tree, pest
//! accepts the text and builds the same tree, spans included (tests/syntax_fast_path.rs checks
//! the same over the corpus).

#![no_main]

use libfuzzer_sys::fuzz_target;
use orche::source::SourceMap;
use orche::syntax;
use orche_fuzz::{on_cli_stack, render_all, text};

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    on_cli_stack(|| {
        let mut sources = SourceMap::new();
        let id = sources.add("fuzz.orc", text);
        if let Err(diags) = syntax::parse_file(id, text) {
            render_all(&sources, &diags);
        }
        if let Some(fast) = syntax::parse_file_fast(id, text) {
            match syntax::parse_file_with_pest(id, text) {
                Ok(slow) => {
                    let (fast, slow) = (format!("{fast:?}"), format!("{slow:?}"));
                    assert!(
                        fast == slow,
                        "the fast path builds another tree than pest:\nfast: {fast}\npest: {slow}"
                    );
                }
                Err(errs) => panic!(
                    "the fast path accepts a text pest rejects: {:?}",
                    errs.iter().map(|d| &d.message).collect::<Vec<_>>()
                ),
            }
        }
        let id = sources.add("<expression>", text);
        if let Err(diags) = syntax::parse_expr(id, text) {
            render_all(&sources, &diags);
        }
    });
});
