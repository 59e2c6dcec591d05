//! `orche diff` output: text for a terminal (coloured only when the caller says so), Markdown
//! for a pull-request comment (counts first, then one table per site, long lists folded in
//! `<details>`), and the JSON document of docs/diff.md. Invariant: the same diff gives the
//! same bytes; values are shown as compact JSON, cut short in text and Markdown (never in
//! JSON).

use crate::diff::federation::{Affected, FederationDiff, ResourceChange};
use crate::diff::value::{Change, Kind};
use crate::diff::Diff;
use crate::export::Paint;
use crate::value::Value;
use std::fmt::Write;

/// The JSON document, pretty, with a final newline.
pub fn json(d: &Diff) -> String {
    super::report::json(d)
}

/// Values longer than this (in chars) are cut short in text and Markdown.
const SHOWN: usize = 100;

/// A value as one line of compact JSON, cut short when long.
fn short(v: &Value) -> String {
    let s = super::json::to_compact(v);
    if s.chars().count() <= SHOWN {
        return s;
    }
    let head: String = s.chars().take(SHOWN).collect();
    format!("{head}… ({} chars)", s.chars().count())
}

fn shown(v: &Option<Value>) -> String {
    v.as_ref().map_or("(none)".to_string(), short)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The counts line: `1 resource added, 2 changed, 1 removed; 3 affected; …`.
pub fn summary_line(d: &Diff) -> String {
    if !d.changed {
        return "No changes.".to_string();
    }
    let s = &d.summary;
    let mut parts = Vec::new();
    if let Some(f) = &d.federation {
        let mut r = Vec::new();
        for (n, what) in [
            (s.resources_added, "added"),
            (s.resources_changed, "changed"),
            (s.resources_removed, "removed"),
        ] {
            if n > 0 {
                r.push(format!("{n} {what}"));
            }
        }
        let _ = f;
        if r.is_empty() {
            parts.push("no resource changed".to_string());
        } else {
            parts.push(format!("resources: {}", r.join(", ")));
        }
        if s.resources_affected > 0 {
            parts.push(format!(
                "{} in the blast radius",
                plural(s.resources_affected, "more resource", "more resources")
            ));
        }
        if s.sites_added > 0 {
            parts.push(plural(s.sites_added, "site added", "sites added"));
        }
        if s.sites_removed > 0 {
            parts.push(plural(s.sites_removed, "site removed", "sites removed"));
        }
        if s.sites_reordered > 0 {
            parts.push(format!(
                "deployment order moved in {}",
                plural(s.sites_reordered, "site", "sites")
            ));
        }
    }
    let mut v = Vec::new();
    for (n, what) in [
        (s.values_added, "added"),
        (s.values_changed, "changed"),
        (s.values_removed, "removed"),
    ] {
        if n > 0 {
            v.push(format!("{n} {what}"));
        }
    }
    parts.push(format!("values: {}", v.join(", ")));
    format!("{}.", parts.join("; "))
}

impl Paint {
    fn kind(&self, k: Kind, s: &str) -> String {
        match k {
            Kind::Added => self.wrap("32", s),
            Kind::Removed => self.wrap("31", s),
            Kind::Changed => self.wrap("33", s),
        }
    }
}

fn mark(k: Kind) -> &'static str {
    match k {
        Kind::Added => "+",
        Kind::Removed => "-",
        Kind::Changed => "~",
    }
}

/// The sites of a federation diff that have something to show, in its order, with their
/// resources, affected resources and order move.
fn sites(f: &FederationDiff) -> Vec<Site<'_>> {
    let mut out: Vec<Site> = Vec::new();
    let mut at = |site: &str| -> usize {
        match out.iter().position(|s| s.name == site) {
            Some(i) => i,
            None => {
                out.push(Site {
                    name: site.to_string(),
                    resources: Vec::new(),
                    affected: Vec::new(),
                    order: None,
                });
                out.len() - 1
            }
        }
    };
    let mut order: Vec<(usize, usize)> = Vec::new();
    for (k, r) in f.resources.iter().enumerate() {
        let i = at(&r.site);
        order.push((i, k));
    }
    for a in &f.blast_radius {
        at(&a.site);
    }
    for o in &f.order_moved {
        at(&o.site);
    }
    for (i, k) in order {
        out[i].resources.push(&f.resources[k]);
    }
    for a in &f.blast_radius {
        if let Some(s) = out.iter_mut().find(|s| s.name == a.site) {
            s.affected.push(a);
        }
    }
    for o in &f.order_moved {
        if let Some(s) = out.iter_mut().find(|s| s.name == o.site) {
            s.order = Some(o);
        }
    }
    out
}

struct Site<'a> {
    name: String,
    resources: Vec<&'a ResourceChange>,
    affected: Vec<&'a Affected>,
    order: Option<&'a crate::diff::federation::OrderMoved>,
}

fn wave_text(r: &ResourceChange) -> String {
    match (r.old_wave, r.new_wave) {
        (Some(a), Some(b)) if a != b => format!("wave {a} -> {b}"),
        (_, Some(b)) => format!("wave {b}"),
        (Some(a), None) => format!("was wave {a}"),
        (None, None) => String::new(),
    }
}

/// The diff as text.
pub fn text(d: &Diff, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    if let Some(f) = &d.federation {
        let name = if f.old_name == f.new_name {
            f.new_name.clone()
        } else {
            format!("{} (was {})", f.new_name, f.old_name)
        };
        let _ = writeln!(out, "Federation {name}");
    }
    let _ = writeln!(out, "{}", summary_line(d));
    if let Some(f) = &d.federation {
        for s in &f.sites_added {
            let _ = writeln!(out, "{}", p.kind(Kind::Added, &format!("+ site {s}")));
        }
        for s in &f.sites_removed {
            let _ = writeln!(out, "{}", p.kind(Kind::Removed, &format!("- site {s}")));
        }
        for s in sites(f) {
            let _ = writeln!(out, "\nsite {}:", s.name);
            for r in &s.resources {
                let mut line = format!(
                    "  {} {} ({}, {})",
                    mark(r.change),
                    r.resource,
                    r.kind,
                    wave_text(r)
                );
                if r.change == Kind::Changed {
                    let names: Vec<&str> = r.fields.iter().map(|c| c.field.as_str()).collect();
                    let _ = write!(line, ": {}", names.join(", "));
                }
                let _ = writeln!(out, "{}", p.kind(r.change, &line));
                for c in &r.fields {
                    let _ = writeln!(
                        out,
                        "      {}: {} -> {}",
                        c.field,
                        shown(&c.old),
                        shown(&c.new)
                    );
                }
                if !r.dependents.is_empty() {
                    let _ = writeln!(
                        out,
                        "      {} on it: {}",
                        if r.change == Kind::Removed {
                            "depended"
                        } else {
                            "depend"
                        },
                        list(&r.dependents, 8)
                    );
                }
            }
            if !s.affected.is_empty() {
                out.push_str("  blast radius:\n");
                for a in &s.affected {
                    let _ = writeln!(
                        out,
                        "    {} {} ({}, wave {}) via {}",
                        p.wrap("35", "!"),
                        a.resource,
                        a.kind,
                        a.wave,
                        a.via
                    );
                }
            }
            if let Some(o) = s.order {
                out.push_str("  deployment order moved:\n");
                let _ = writeln!(out, "    old: {}", o.old_order.join(", "));
                let _ = writeln!(out, "    new: {}", o.new_order.join(", "));
                for w in &o.waves {
                    let _ = writeln!(
                        out,
                        "    {}: wave {} -> {}",
                        w.resource, w.old_wave, w.new_wave
                    );
                }
            }
        }
    }
    if !d.values.is_empty() {
        out.push_str("\nvalues:\n");
        for c in &d.values {
            value_text(&mut out, &p, c);
        }
    }
    out
}

fn value_text(out: &mut String, p: &Paint, c: &Change) {
    let path = if c.path.is_empty() {
        "(the whole value)"
    } else {
        &c.path
    };
    let _ = writeln!(
        out,
        "  {}",
        p.kind(c.change, &format!("{} {path}", mark(c.change)))
    );
    if let Some(v) = &c.old {
        let _ = writeln!(out, "      {}", p.wrap("31", &format!("- {}", short(v))));
    }
    if let Some(v) = &c.new {
        let _ = writeln!(out, "      {}", p.wrap("32", &format!("+ {}", short(v))));
    }
}

/// The first `n` names and how many more.
fn list(names: &[String], n: usize) -> String {
    let shown: Vec<&str> = names.iter().take(n).map(String::as_str).collect();
    let more = names.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Inline code in Markdown: backticks enough to hold the text's own, pipes escaped (the
/// text goes in table cells).
fn code(s: &str) -> String {
    let s = s.replace('|', "\\|");
    let mut fence = "`".to_string();
    while s.contains(fence.as_str()) {
        fence.push('`');
    }
    if fence.len() > 1 || s.starts_with('`') || s.ends_with('`') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Rows past which a table is folded in `<details>`.
const FOLD: usize = 10;
/// Rows past which a folded table is cut (a pull-request comment has a size limit); the
/// JSON output has them all.
const CUT: usize = 200;

/// A table, folded in `<details>` when long, cut when very long.
fn table(out: &mut String, summary: &str, header: &str, rows: &[String]) {
    let fold = rows.len() > FOLD;
    if fold {
        let _ = writeln!(out, "<details><summary>{summary}</summary>\n");
    } else {
        let _ = writeln!(out, "{summary}\n");
    }
    out.push_str(header);
    out.push('\n');
    let cols = header.matches('|').count().saturating_sub(1);
    let _ = writeln!(out, "|{}", "---|".repeat(cols));
    for r in rows.iter().take(CUT) {
        out.push_str(r);
        out.push('\n');
    }
    if rows.len() > CUT {
        let _ = writeln!(
            out,
            "\n… and {} more rows (`--out json` lists them all)",
            rows.len() - CUT
        );
    }
    if fold {
        out.push_str("\n</details>\n");
    }
    out.push('\n');
}

/// `1 changed, 1 removed; 2 in the blast radius`.
fn site_counts(s: &Site) -> String {
    let mut parts = Vec::new();
    for k in [Kind::Added, Kind::Changed, Kind::Removed] {
        let n = s.resources.iter().filter(|r| r.change == k).count();
        if n > 0 {
            parts.push(format!("{n} {}", k.name()));
        }
    }
    let mut out = if parts.is_empty() {
        "no resource changed".to_string()
    } else {
        parts.join(", ")
    };
    if !s.affected.is_empty() {
        let _ = write!(out, "; {} in the blast radius", s.affected.len());
    }
    out
}

/// The diff as Markdown for a pull-request comment.
pub fn markdown(d: &Diff) -> String {
    let mut out = String::new();
    match &d.federation {
        Some(f) if f.old_name != f.new_name => {
            let _ = writeln!(
                out,
                "### orche diff: federation {} (was {})\n",
                code(&f.new_name),
                code(&f.old_name)
            );
        }
        Some(f) => {
            let _ = writeln!(out, "### orche diff: federation {}\n", code(&f.new_name));
        }
        None => out.push_str("### orche diff\n\n"),
    }
    let _ = writeln!(out, "**{}**\n", summary_line(d));
    if let Some(f) = &d.federation {
        let s = &d.summary;
        if d.changed {
            out.push_str(
                "| resources added | changed | removed | blast radius | sites reordered |\n",
            );
            out.push_str("|---:|---:|---:|---:|---:|\n");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |\n",
                s.resources_added,
                s.resources_changed,
                s.resources_removed,
                s.resources_affected,
                s.sites_reordered
            );
        }
        for (what, names) in [("added", &f.sites_added), ("removed", &f.sites_removed)] {
            if !names.is_empty() {
                let names: Vec<String> = names.iter().map(|n| code(n)).collect();
                let _ = writeln!(out, "Sites {what}: {}\n", names.join(", "));
            }
        }
        for s in sites(f) {
            let _ = writeln!(out, "#### Site {}\n", code(&s.name));
            let mut rows = Vec::new();
            for r in &s.resources {
                let what = match r.change {
                    Kind::Added => "added".to_string(),
                    Kind::Removed => "removed".to_string(),
                    Kind::Changed => r
                        .fields
                        .iter()
                        .map(|c| {
                            format!(
                                "{}: {} → {}",
                                code(&c.field),
                                code(&shown(&c.old)),
                                code(&shown(&c.new))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("<br>"),
                };
                let deps = if r.dependents.is_empty() {
                    String::new()
                } else {
                    let names: Vec<String> = r.dependents.iter().take(8).map(|n| code(n)).collect();
                    let more = r.dependents.len().saturating_sub(names.len());
                    format!(
                        "{}{}",
                        names.join(", "),
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        }
                    )
                };
                let wave = match (r.old_wave, r.new_wave) {
                    (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
                    (_, Some(b)) => b.to_string(),
                    (Some(a), None) => format!("{a} → —"),
                    (None, None) => String::new(),
                };
                rows.push(format!(
                    "| {} | {} | {} | {} | {} | {} |",
                    mark(r.change),
                    code(&r.name),
                    code(&r.kind),
                    wave,
                    what,
                    deps
                ));
            }
            for a in &s.affected {
                let name = a
                    .resource
                    .strip_prefix(&format!("{}/", a.site))
                    .unwrap_or(&a.resource);
                rows.push(format!(
                    "| ! | {} | {} | {} | blast radius, via {} | |",
                    code(name),
                    code(&a.kind),
                    a.wave,
                    code(&a.via)
                ));
            }
            if !rows.is_empty() {
                table(
                    &mut out,
                    &site_counts(&s),
                    "| | resource | kind | wave | what | dependents |",
                    &rows,
                );
            }
            if let Some(o) = s.order {
                let mut rows: Vec<String> = o
                    .waves
                    .iter()
                    .map(|w| {
                        format!(
                            "| {} | {} → {} |",
                            code(&w.resource),
                            w.old_wave,
                            w.new_wave
                        )
                    })
                    .collect();
                if rows.is_empty() {
                    rows.push("| (same waves, another order) | |".to_string());
                }
                table(
                    &mut out,
                    "Deployment order moved",
                    "| resource | wave |",
                    &rows,
                );
                let old: Vec<String> = o.old_order.iter().map(|n| code(n)).collect();
                let new: Vec<String> = o.new_order.iter().map(|n| code(n)).collect();
                let _ = writeln!(
                    out,
                    "<details><summary>Order of the site</summary>\n\nold: {}\n\nnew: {}\n\n</details>\n",
                    old.join(" → "),
                    new.join(" → ")
                );
            }
        }
    }
    if !d.values.is_empty() {
        let rows: Vec<String> = d
            .values
            .iter()
            .map(|c| {
                format!(
                    "| {} | {} | {} | {} |",
                    mark(c.change),
                    code(if c.path.is_empty() {
                        "(the whole value)"
                    } else {
                        &c.path
                    }),
                    c.old.as_ref().map_or(String::new(), |v| code(&short(v))),
                    c.new.as_ref().map_or(String::new(), |v| code(&short(v)))
                )
            })
            .collect();
        let summary = format!("Values ({})", plural(d.values.len(), "path", "paths"));
        // With a federation, the resource tables say it better: the value diff is folded.
        if d.federation.is_some() && rows.len() <= FOLD {
            let _ = writeln!(out, "<details><summary>{summary}</summary>\n");
            out.push_str("| | path | old | new |\n|---|---|---|---|\n");
            for r in &rows {
                out.push_str(r);
                out.push('\n');
            }
            out.push_str("\n</details>\n\n");
        } else {
            table(&mut out, &summary, "| | path | old | new |", &rows);
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
