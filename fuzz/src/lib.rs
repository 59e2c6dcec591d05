//! What the fuzz targets (fuzz/fuzz_targets/, docs/fuzzing.md) share: reading the input as
//! text, running the compiler on a stack like the CLI's, checking that every problem renders,
//! and a scratch file for the entry points that read files.
//!
//! Invariant: a check that fails panics (libFuzzer then saves the input as a crash); nothing
//! here prints.

use orche::diag::Diag;
use orche::source::{ColumnUnit, SourceMap};
use serde_json::Value;
use std::path::PathBuf;

/// The input as source text. Bytes that are not UTF-8 are left out: the CLI and the language
/// server refuse them before the parser sees them (`orche::load::…`).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The evaluation budget of the targets: far below the CLI's defaults, so that an input that
/// grows without bound (the hostile seeds of testdata/robustness/) stops with
/// `orche::limit::…` well inside libFuzzer's time and memory limits, while every real seed
/// (the stdlib seeds take under a million steps) runs whole.
pub const FUZZ_BUDGET: orche::limit::Budget = orche::limit::Budget {
    steps: 5_000_000,
    memory: 512 << 20,
};

/// Runs `f` on a thread with the stack the CLI gives its compiler thread (1 GiB, declared to the
/// parser: src/main.rs), so that a stack overflow found here is one `orche` itself would hit,
/// and one that `orche` would survive is not reported; with [`FUZZ_BUDGET`].
pub fn on_cli_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    on_cli_stack_with(FUZZ_BUDGET, f)
}

/// [`on_cli_stack`] with another evaluation budget.
pub fn on_cli_stack_with<T: Send>(budget: orche::limit::Budget, f: impl FnOnce() -> T + Send) -> T {
    orche::limit::configure(budget);
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("orche-fuzz".to_string())
            .stack_size(1 << 30)
            .spawn_scoped(scope, || {
                orche::syntax::declare_big_stack();
                f()
            })
            .expect("cannot start the compiler thread")
            .join()
    });
    match outcome {
        Ok(v) => v,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Renders `diags` every way the CLI and the language server can (text, JSON, SARIF, GitHub and
/// GitLab annotations, positions in character, UTF-8 and UTF-16 columns): each must work for any span
/// the compiler produced.
pub fn render_all(sources: &SourceMap, diags: &[Diag]) {
    let _ = orche::render::text::render(sources, diags, false);
    for unit in [ColumnUnit::Chars, ColumnUnit::Utf8, ColumnUnit::Utf16] {
        let items = orche::render::locate(sources, diags, unit);
        let summary = orche::render::summary(sources, &items);
        let _ = orche::render::json::render(&items, &summary);
        let _ = orche::render::sarif::render(&items);
        let _ = orche::render::github::render(&items);
        let _ = orche::render::gitlab::render(&items);
        let _ = orche::render::summary_line(&summary);
    }
}

/// Checks that every span of `diags` lies in a file of `sources`, inside its text and on char
/// boundaries: what every renderer (and the editor) relies on.
pub fn check_spans(sources: &SourceMap, diags: &[Diag]) {
    let files = sources.files().count();
    for d in diags {
        for l in &d.labels {
            let s = l.span;
            assert!(
                (s.file.0 as usize) < files,
                "{}: a span in an unknown file {}",
                d.code,
                s.file.0
            );
            let text = &sources.get(s.file).text;
            let (start, end) = (s.start as usize, s.end as usize);
            assert!(
                start <= end && end <= text.len(),
                "{}: span {start}..{end} outside its file of {} bytes ({})",
                d.code,
                text.len(),
                d.message
            );
            assert!(
                text.is_char_boundary(start) && text.is_char_boundary(end),
                "{}: span {start}..{end} cuts a character ({})",
                d.code,
                d.message
            );
        }
    }
}

/// A file of this process's own in the temporary directory, holding `text`: for entry points
/// that take paths (`compile::run`, `compile::declared`). Each process writes its own, so that
/// fuzzers running side by side do not share it.
pub fn scratch_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orche-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("cannot make the scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("cannot write the scratch file");
    path
}

/// Whether `a` and `b` are the same data; numbers are equal when they are the same number as
/// `f64` (YAML readers turn big integers and decimals into floats, and
/// exports write a decimal as it was written).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || {
                let (x, y) = (x.to_string().parse::<f64>(), y.to_string().parse::<f64>());
                matches!((x, y), (Ok(x), Ok(y)) if x == y)
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// JSON text as data; panics, naming `what`, when it is not JSON. Without serde_json's
/// recursion limit of 128: orche accepts 1,000 levels of nesting, and the targets run on a
/// thread with the CLI's 1 GiB stack.
pub fn json(what: &str, text: &str) -> serde_json::Value {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    match serde_json::Value::deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
        Ok(v) => v,
        Err(e) => panic!("{what} is not JSON ({e}):\n{text}"),
    }
}
