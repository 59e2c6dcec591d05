//! Prints how long each compile phase takes for `orche export FILE… --out json`: parse, lower,
//! eval, export (the walk that checks for errors and builds the data), emit. Used to measure the
//! evaluator without the parser (docs/performance.md).
//!
//! With `--lsp N`, checks the files N times in one process as the language server does
//! (`compile::diagnose_texts_with`, one check per edit, the parsed files kept between checks)
//! and prints each phase's median, and the median and worst total: the part of an edit's
//! latency that is the compiler's. Before each check after the first, a comment line is
//! appended to one file (the second given, else the only one), as `bench/lsp.py` edits.
//! `--lsp-fresh N` does the same with nothing kept (`compile::diagnose_texts`: every file
//! parsed at every check).
//!
//! Usage: cargo build --release --example phases
//!        target/release/examples/phases [--lsp N | --lsp-fresh N] FILE…

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
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let lsp = match args.first().map(String::as_str) {
        Some("--lsp") => Some(true),
        Some("--lsp-fresh") => Some(false),
        _ => None,
    };
    if let Some(keep) = lsp.filter(|_| args.len() > 2) {
        let n: usize = args[1].parse().unwrap_or(20).max(1);
        return lsp_checks(n, &args.split_off(2), keep);
    }
    let paths: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
    let outcome = compile::run(&Request {
        paths,
        expr: None,
        mode: ExportMode::Concrete,
        format: Format::Json,
        exit_after: false,
        tags: Default::default(),
        concrete: true,
        show_hidden: false,
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

fn lsp_checks(n: usize, files: &[String], keep: bool) {
    orche::eval::keep_arenas();
    let mut texts: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).unwrap_or_default()))
        .collect();
    let edited = texts.len().min(2) - 1;
    let mut cache = orche::load::cache::ParseCache::new();
    let mut phases: Vec<(&'static str, Vec<f64>)> = Vec::new();
    let mut totals = Vec::new();
    for i in 0..n {
        if i > 0 {
            texts[edited].1.push_str(&format!("// edit {i}\n"));
        }
        let start = std::time::Instant::now();
        let outcome = if keep {
            compile::diagnose_texts_with(&texts, &mut cache)
        } else {
            compile::diagnose_texts(&texts)
        };
        drop(outcome.sources);
        totals.push(start.elapsed().as_secs_f64());
        for (i, (phase, d)) in outcome.timings.iter().enumerate() {
            if phases.len() <= i {
                phases.push((phase, Vec::new()));
            }
            phases[i].1.push(d.as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (phase, v) in &mut phases {
        eprintln!("{phase:>8} {:8.1} ms", median(v) * 1e3);
    }
    let worst = totals.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "{:>8} {:8.1} ms (worst {:.1} ms, {n} checks)",
        "total",
        median(&mut totals) * 1e3,
        worst * 1e3
    );
}
