//! Drift reports and plans as text and JSON. Text is for people: a table of resources, and a
//! diff of declared against live for each changed field (the `similar` crate); colour only
//! when the caller says the output is a terminal. JSON is the data itself, with its
//! `format_version`. Invariant: the same report or plan gives the same bytes.

use crate::export::Paint;
use crate::state::drift::{DriftStatus, Report};
use crate::state::plan::{Action, Plan};
use std::fmt::Write;

/// Pretty JSON with a final newline.
pub fn json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

impl Paint {
    fn status(&self, s: DriftStatus, text: &str) -> String {
        match s {
            DriftStatus::InSync => self.wrap("32", text),
            DriftStatus::Missing | DriftStatus::Extra => self.wrap("31", text),
            DriftStatus::Changed | DriftStatus::Unhealthy => self.wrap("33", text),
            DriftStatus::Unknown => self.wrap("35", text),
        }
    }
}

/// Pads `s` to `w` columns (by chars).
fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

/// A value for a table cell or diff line: JSON, one line.
fn cell(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The report as text.
pub fn drift_text(r: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Drift of federation {} (sites probed: {})",
        r.federation,
        if r.sites.is_empty() {
            "none".to_string()
        } else {
            r.sites.join(", ")
        }
    );
    out.push('\n');
    let wr = r
        .resources
        .iter()
        .map(|e| e.resource.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    let wk = r
        .resources
        .iter()
        .map(|e| e.kind.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(
        out,
        "{}  {}  {}  DETAIL",
        pad("RESOURCE", wr),
        pad("KIND", wk),
        pad("STATUS", 9)
    );
    for e in &r.resources {
        let detail = match e.status {
            DriftStatus::Changed => e
                .changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            DriftStatus::Extra => "not declared".to_string(),
            _ => e.error.clone().unwrap_or_default(),
        };
        let detail: String = detail
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let line = format!(
            "{}  {}  {}  {}",
            pad(&e.resource, wr),
            pad(&e.kind, wk),
            p.status(e.status, &pad(e.status.name(), 9)),
            detail
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for e in r.resources.iter().filter(|e| !e.changes.is_empty()) {
        for c in &e.changes {
            out.push('\n');
            let observed = c
                .observed
                .as_deref()
                .map(|o| format!(" (compared by {o})"))
                .unwrap_or_default();
            let _ = writeln!(out, "{} {}{}:", e.resource, c.field, observed);
            let old = lines_of(&c.declared);
            let new = lines_of(&c.live);
            let diff = similar::TextDiff::from_lines(&old, &new);
            let _ = writeln!(out, "{}", p.wrap("31", "  --- declared"));
            let _ = writeln!(out, "{}", p.wrap("32", "  +++ live"));
            for change in diff.iter_all_changes() {
                let line = change.value().trim_end_matches('\n');
                match change.tag() {
                    similar::ChangeTag::Delete => {
                        let _ = writeln!(out, "{}", p.wrap("31", &format!("  -{line}")));
                    }
                    similar::ChangeTag::Insert => {
                        let _ = writeln!(out, "{}", p.wrap("32", &format!("  +{line}")));
                    }
                    similar::ChangeTag::Equal => {
                        let _ = writeln!(out, "   {line}");
                    }
                }
            }
        }
    }
    out.push('\n');
    let counts: Vec<String> = r
        .summary
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let _ = writeln!(
        out,
        "Summary: {}.",
        if counts.is_empty() {
            "nothing probed".to_string()
        } else {
            counts.join(", ")
        }
    );
    out
}

/// A value as diff lines: list elements one per line, anything else as one JSON line.
fn lines_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(xs) => {
            let mut s = String::new();
            for x in xs {
                s.push_str(&cell(x));
                s.push('\n');
            }
            s
        }
        other => format!("{}\n", cell(other)),
    }
}

/// The plan as text.
pub fn plan_text(plan: &Plan, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for federation {} (sites: {})",
        plan.federation,
        plan.sites.join(", ")
    );
    let mut wave = 0;
    for s in &plan.steps {
        if s.wave != wave {
            wave = s.wave;
            let _ = writeln!(out, "\nwave {wave}:");
        }
        let (mark, code) = match s.action {
            Action::Create => ("+", "32"),
            Action::Update => ("~", "33"),
            Action::Replace => ("-/+", "31"),
            Action::Remove => ("-", "31"),
        };
        let _ = writeln!(
            out,
            "  {} {} {} ({}){}",
            p.wrap(code, &pad(mark, 3)),
            pad(s.action.name(), 7),
            s.resource,
            s.kind,
            if s.destructive { "  [destructive]" } else { "" }
        );
        let _ = writeln!(out, "        because: {}", s.reason.join(", "));
        for cmd in &s.argv {
            let _ = writeln!(out, "        run: {}", super::shell::argv_plain(cmd));
        }
        if let Some(why) = &s.missing_action {
            let _ = writeln!(out, "        {}", p.wrap("35", why));
        }
        if !s.waits_on.is_empty() {
            let _ = writeln!(out, "        waits on: {}", s.waits_on.join(", "));
        }
        if !s.dependents.is_empty() {
            let shown: Vec<&str> = s.dependents.iter().take(8).map(String::as_str).collect();
            let more = s.dependents.len().saturating_sub(shown.len());
            let _ = writeln!(
                out,
                "        affects: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    if !plan.not_planned.is_empty() {
        out.push_str("\nnot planned:\n");
        for n in &plan.not_planned {
            let _ = writeln!(out, "  {} ({}): {}", n.resource, n.status.name(), n.why);
        }
    }
    if plan.steps.is_empty() && plan.not_planned.is_empty() {
        out.push_str("\nNothing to do: live state is as declared.\n");
    }
    out.push('\n');
    out.push_str(&plan.summary_line());
    out.push('\n');
    out
}
