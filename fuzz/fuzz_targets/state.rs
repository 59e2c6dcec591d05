//! Fuzz target `state`: the probe and plan emitters on a federation. The input is a
//! federation's source, optionally followed by a line `-- live.json --` and a live-state
//! document (as `orche drift`/`plan --live` read it); fuzz/seed.sh makes such inputs from the
//! golden cases under testdata/state/. It runs what `orche export --probes` (script and JSON,
//! every site and each site alone), `orche drift` and `orche plan` (text, JSON and script) do,
//! with no live state when the input has none. Checks: no panic, stack overflow, hang or
//! runaway memory; every problem renders; the JSON outputs are JSON; the probe and plan
//! scripts are shell that `sh -n` accepts.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orche::export;
use orche::state::{drift, live, plan};
use orche_fuzz::{json, on_cli_stack, render_all, scratch_file, text};
use std::io::Write;
use std::process::{Command, Stdio};

const LIVE: &str = "\n-- live.json --\n";

/// Panics when `sh -n` (parse only, run nothing) rejects `script`.
fn check_shell(what: &str, script: &str) {
    let mut child = Command::new("sh")
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run sh");
    // A script that `sh -n` stops reading early closes the pipe: not a finding in itself.
    let _ = child
        .stdin
        .take()
        .map(|mut i| i.write_all(script.as_bytes()));
    let out = child.wait_with_output().expect("cannot wait for sh");
    assert!(
        out.status.success(),
        "{what} is not valid shell ({}):\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    let (fed, live_text) = match text.split_once(LIVE) {
        Some((f, l)) => (f, Some(l)),
        None => (text, None),
    };
    on_cli_stack(|| {
        let path = scratch_file("fed.orc", fed);
        let input = orche::compile::declared(&[path], None, false);
        render_all(&input.sources, &input.diags);
        let Some(declared) = input.declared else {
            return;
        };
        let kinds = &input.kinds;
        let mut selections = vec![Vec::new()];
        selections.extend(declared.sites.iter().map(|s| vec![s.clone()]));
        for sites in &selections {
            check_shell(
                "the probe script",
                &export::probe::script(&declared, kinds, sites),
            );
            json(
                "the probe list",
                &export::probe::list(&declared, kinds, sites),
            );
        }
        let mut sources = input.sources;
        let live = match live_text {
            None => live::Live::default(),
            Some(l) => {
                let id = sources.add("live.json", l);
                let doc = match live::parse(&sources, id) {
                    Ok(doc) => doc,
                    Err(d) => {
                        render_all(&sources, &[d]);
                        return;
                    }
                };
                match live::merge(vec![("live.json".to_string(), doc)]) {
                    Ok(live) => live,
                    Err(ds) => {
                        render_all(&sources, &ds);
                        return;
                    }
                }
            }
        };
        let report = drift::compare(&declared, kinds, &live);
        let _ = export::report::drift_text(&report, false);
        json("the drift report", &export::report::json(&report));
        for verify in [false, true] {
            let p = plan::build(&declared, kinds, &live, &report, verify);
            let _ = export::report::plan_text(&p, false);
            json("the plan", &export::report::json(&p));
            if verify {
                check_shell("the plan script", &export::plan_sh::script(&p));
            }
        }
    });
});
