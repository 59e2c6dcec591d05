//! `orche export --probes`, `orche drift` and `orche plan`: evaluate the federation, read the
//! live-state documents, compare, plan, and render. Exit statuses: 0 in sync (or output
//! written), 2 drift found (`drift`), 1 any error.

use orche::compile;
use orche::diag::Diag;
use orche::export;
use orche::source::SourceMap;
use orche::state::{drift, live, plan};
use std::path::PathBuf;

/// What a command produced.
pub struct Done {
    pub sources: SourceMap,
    pub stdout: Option<String>,
    pub diags: Vec<Diag>,
    pub warnings: Vec<Diag>,
    pub code: u8,
}

impl Done {
    fn failed(sources: SourceMap, diags: Vec<Diag>) -> Done {
        Done {
            sources,
            stdout: None,
            diags,
            warnings: Vec::new(),
            code: 1,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ProbeOut {
    Sh,
    Json,
}

/// `orche export --probes`.
pub fn probes(files: &[PathBuf], expr: Option<&str>, sites: &[String], out: ProbeOut) -> Done {
    let input = compile::declared(files, expr, false);
    let Some(declared) = input.declared else {
        return Done::failed(input.sources, input.diags);
    };
    if let Some(d) = unknown_sites(&declared, sites) {
        return Done::failed(input.sources, vec![d]);
    }
    let text = match out {
        ProbeOut::Sh => export::probe::script(&declared, &input.kinds, sites),
        ProbeOut::Json => export::probe::list(&declared, &input.kinds, sites),
    };
    Done {
        sources: input.sources,
        stdout: Some(text),
        diags: Vec::new(),
        warnings: Vec::new(),
        code: 0,
    }
}

fn unknown_sites(declared: &orche::state::declared::Declared, sites: &[String]) -> Option<Diag> {
    let unknown: Vec<&str> = sites
        .iter()
        .filter(|s| !declared.sites.contains(s))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let mut d = Diag::new(
        "orche::state::unknown_site",
        format!(
            "--site {}: federation {} has no such site",
            unknown.join(", "),
            declared.federation
        ),
    )
    .with_help(format!("its sites: {}", declared.sites.join(", ")));
    if let Some(close) = unknown
        .first()
        .and_then(|u| orche::diag::closest(u, declared.sites.iter().map(String::as_str)))
    {
        d = d.with_help(format!(
            "did you mean `{close}`? its sites: {}",
            declared.sites.join(", ")
        ));
    }
    Some(d)
}

/// The declared federation and merged live state, or what went wrong.
struct Compared {
    sources: SourceMap,
    declared: orche::state::declared::Declared,
    kinds: orche::state::kinds::Kinds,
    live: live::Live,
    report: drift::Report,
    warnings: Vec<Diag>,
}

fn compare(files: &[PathBuf], expr: Option<&str>, lives: &[PathBuf]) -> Result<Compared, Done> {
    let input = compile::declared(files, expr, false);
    let mut sources = input.sources;
    let Some(declared) = input.declared else {
        return Err(Done::failed(sources, input.diags));
    };
    if lives.is_empty() {
        return Err(Done::failed(
            sources,
            vec![
                Diag::new("orche::live::none", "no live state given").with_help(
                    "pass --live FILE, the output of the script `orche export --probes` writes",
                ),
            ],
        ));
    }
    let mut docs = Vec::new();
    let mut diags = Vec::new();
    let mut warnings = Vec::new();
    for path in lives {
        let name = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => t,
                Err(_) => {
                    diags.push(Diag::new(
                        "orche::live::malformed",
                        format!("{name}: live state is not UTF-8 text"),
                    ));
                    continue;
                }
            },
            Err(e) => {
                diags.push(Diag::new(
                    "orche::live::unreadable",
                    format!("cannot read {name}: {e}"),
                ));
                continue;
            }
        };
        let id = sources.add(name.clone(), text);
        match live::parse(&sources, id) {
            Ok(doc) => {
                if doc.declared_digest != declared.digest {
                    let whole = orche::source::Span::new(id, 0, 0);
                    warnings.push(
                        Diag::warning(
                            "orche::live::other_config",
                            format!(
                                "{name} was probed with a script made from another configuration{}",
                                if doc.federation != declared.federation {
                                    format!(
                                        " (federation {:?}, not {:?})",
                                        doc.federation, declared.federation
                                    )
                                } else {
                                    String::new()
                                }
                            ),
                        )
                        .with_path("declared_digest")
                        .with_label(whole, "this document")
                        .with_help(format!(
                            "its declared_digest is {}, this configuration's is {}; the \
                             comparison goes on, but fields declared since may read as drift: \
                             probe again with `orche export --probes`",
                            doc.declared_digest, declared.digest
                        )),
                    );
                }
                docs.push((name, doc));
            }
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        return Err(Done::failed(sources, diags));
    }
    let live = match live::merge(docs) {
        Ok(l) => l,
        Err(ds) => return Err(Done::failed(sources, ds)),
    };
    let report = drift::compare(&declared, &input.kinds, &live);
    Ok(Compared {
        sources,
        declared,
        kinds: input.kinds,
        live,
        report,
        warnings,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DriftOut {
    Text,
    Json,
}

/// `orche drift`.
pub fn drift(
    files: &[PathBuf],
    expr: Option<&str>,
    lives: &[PathBuf],
    out: DriftOut,
    color: bool,
) -> Done {
    let c = match compare(files, expr, lives) {
        Ok(c) => c,
        Err(d) => return d,
    };
    let text = match out {
        DriftOut::Text => export::report::drift_text(&c.report, color),
        DriftOut::Json => export::report::json(&c.report),
    };
    Done {
        sources: c.sources,
        stdout: Some(text),
        diags: Vec::new(),
        warnings: c.warnings,
        code: if c.report.drifted() { 2 } else { 0 },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PlanOut {
    Text,
    Json,
    Sh,
}

/// `orche plan`.
pub fn plan(
    files: &[PathBuf],
    expr: Option<&str>,
    lives: &[PathBuf],
    out: PlanOut,
    color: bool,
) -> Done {
    let c = match compare(files, expr, lives) {
        Ok(c) => c,
        Err(d) => return d,
    };
    let p = plan::build(
        &c.declared,
        &c.kinds,
        &c.live,
        &c.report,
        out == PlanOut::Sh,
    );
    let text = match out {
        PlanOut::Text => export::report::plan_text(&p, color),
        PlanOut::Json => export::report::json(&p),
        PlanOut::Sh => export::plan_sh::script(&p),
    };
    Done {
        sources: c.sources,
        stdout: Some(text),
        diags: Vec::new(),
        warnings: c.warnings,
        code: 0,
    }
}
