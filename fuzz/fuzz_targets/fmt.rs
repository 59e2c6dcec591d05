//! Fuzz target `fmt`: any text through `orche fmt` (`fmt::format`). Checks the invariants of
//! docs/fmt.md: a text that does not parse is refused, never formatted; otherwise the result
//! parses, formatting it again changes nothing (idempotence), every comment is kept in order,
//! and the formatted file means what the original meant: the same exported JSON and the same
//! problems (codes, data paths and messages; positions move), as tests/fmt_properties.rs checks
//! over the corpus. An `orche::fmt::internal` refusal of a text that parses is a finding too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orche::source::FileId;
use orche_fuzz::{on_cli_stack, text};

/// What a one-file package means: its exported value and its problems, positions left out.
fn meaning(text: &str) -> (Option<String>, Vec<String>) {
    let outcome = orche::compile::check_texts(&[("fuzz.orc".to_string(), text.to_string())]);
    let mut problems: Vec<String> = outcome
        .diags
        .iter()
        .chain(&outcome.warnings)
        .map(|d| format!("{} {} {}", d.code, d.path, d.message))
        .collect();
    problems.sort();
    (outcome.output, problems)
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    on_cli_stack(|| {
        let parses = orche::syntax::parse_file(FileId(0), text).is_ok();
        let once = match orche::fmt::format(FileId(0), text) {
            Ok(once) => once,
            Err(diags) => {
                assert!(
                    !parses,
                    "a text that parses is refused: {:?}",
                    diags
                        .iter()
                        .map(|d| format!("{}: {}", d.code, d.message))
                        .collect::<Vec<_>>()
                );
                return;
            }
        };
        assert!(parses, "a text that does not parse was formatted");
        assert!(
            orche::syntax::parse_file(FileId(0), &once).is_ok(),
            "the formatted text does not parse:\n{once}"
        );
        match orche::fmt::format(FileId(0), &once) {
            Ok(twice) => assert!(
                twice == once,
                "formatting is not idempotent:\nonce:\n{once}\ntwice:\n{twice}"
            ),
            Err(_) => panic!("the formatted text is refused by fmt:\n{once}"),
        }
        assert!(
            orche::fmt::is_formatted(&once),
            "is_formatted denies fmt's own output"
        );
        let before = orche::fmt::comments(text);
        let after = orche::fmt::comments(&once);
        assert!(
            before == after,
            "comments lost or moved:\nbefore: {before:?}\nafter: {after:?}"
        );
        if once != text {
            let (a, b) = (meaning(text), meaning(&once));
            assert!(
                a == b,
                "formatting changed the meaning:\nformatted:\n{once}\nbefore: {a:?}\nafter: {b:?}"
            );
        }
    });
});
