//! Fuzz target `eval`: any text as a one-file package through the whole pipeline as the
//! language server and `orche vet`/`export` run it (`compile::check_texts`: parse, lower,
//! evaluate, export to JSON). Checks: no panic, stack overflow, hang or runaway memory
//! (libFuzzer's `-timeout` and `-rss_limit_mb`); every problem and warning renders; the
//! output, when there is one, is JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orche_fuzz::{json, on_cli_stack, render_all, text};

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    on_cli_stack(|| {
        let texts = [("fuzz.orc".to_string(), text.to_string())];
        let outcome = orche::compile::check_texts(&texts);
        render_all(&outcome.sources, &outcome.diags);
        render_all(&outcome.sources, &outcome.warnings);
        if let Some(out) = &outcome.output {
            json("the exported value", out);
        }
    });
});
