//! Times the parser alone (`syntax::parse_file`, text → AST) on the files given, for the parsing
//! figures of docs/performance.md:
//!
//! ```sh
//! python3 bench/gen.py 100 50 > /tmp/p100.orc
//! cargo run --release --example parse_bench -- /tmp/p100.orc
//! ```
//!
//! Each file is parsed `PARSE_RUNS` times (default 5); the best run is reported, in seconds and
//! MB/s (1 MB = 10^6 bytes).

use std::time::Instant;

use orche::source::FileId;

fn main() {
    let runs: usize = std::env::var("PARSE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: parse_bench FILE...");
        std::process::exit(2);
    }
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        };
        let mut best = f64::INFINITY;
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            let parsed = orche::syntax::parse_file(FileId(0), &text);
            let secs = start.elapsed().as_secs_f64();
            if let Err(errs) = &parsed {
                eprintln!("{path}: {} syntax error(s)", errs.len());
                std::process::exit(1);
            }
            drop(parsed);
            best = best.min(secs);
        }
        let mb = text.len() as f64 / 1e6;
        println!(
            "{path}: {} bytes, parse {:.4} s ({:.1} MB/s, best of {runs})",
            text.len(),
            best,
            mb / best
        );
    }
}
