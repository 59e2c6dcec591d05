//! Prints how long each compile phase takes for `orche export FILE… --out json`: parse, lower,
//! eval, export (the walk that checks for errors and builds the data), emit. Used to measure the
//! evaluator without the parser (docs/performance.md).
//!
//! Usage: cargo build --release --example phases
//!        target/release/examples/phases FILE…

use orche::compile::{self, Format, Request};
use orche::eval::ExportMode;
use std::path::PathBuf;

/// The allocator and the thread the `orche` binary uses, so that the figures are its own.
#[global_allocator]
static ALLOC: orche::alloc::SizeClasses = orche::alloc::SizeClasses;

fn main() {
    orche::alloc::start_prefaulting();
    let worker = std::thread::Builder::new().stack_size(1 << 30).spawn(|| {
        orche::syntax::declare_big_stack();
        phases()
    });
    if !matches!(worker.map(|h| h.join()), Ok(Ok(()))) {
        eprintln!("phases: the worker thread failed");
        std::process::exit(2);
    }
}

fn phases() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let outcome = compile::run(&Request {
        paths,
        expr: None,
        mode: ExportMode::Concrete,
        format: Format::Json,
        exit_after: false,
    });
    let mut total = 0.0;
    for (phase, d) in &outcome.timings {
        let s = d.as_secs_f64();
        total += s;
        eprintln!("{phase:>8} {s:8.3} s");
    }
    eprintln!("{:>8} {total:8.3} s", "total");
    if !outcome.diags.is_empty() {
        eprintln!("{} diagnostics", outcome.diags.len());
        std::process::exit(1);
    }
    println!("{} bytes of output", outcome.output.map_or(0, |o| o.len()));
}
