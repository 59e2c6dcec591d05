//! `orche export --probes`: the read-only probe script (POSIX sh) and the probe list (JSON).
//! The script probes the selected resources in parallel, each by its kind's commands and its
//! health policy, finds the objects of discoverable kinds that this federation manages but
//! does not declare, and prints one live-state document. Invariants: the script only runs
//! the read-only commands of `orche/actions` (`ready`, `exists`, `healthy`, `observe`,
//! `discover`); it always prints valid JSON, whatever a command prints or however it fails;
//! resources appear in declaration order, extra ones after them.

use super::shell::{self, quote};
use crate::state::declared::{Declared, Resource};
use crate::state::kinds::Kinds;
use crate::state::live::FORMAT_VERSION;
use crate::state::probe::{self, ProbeSpec};
use crate::state::template::Param;
use indexmap::IndexMap;
use serde::Serialize;
use std::fmt::Write;

/// The selected resources' probes, and the kinds they use (in first-use order).
fn specs<'a>(resources: &[&'a Resource], kinds: &'a Kinds) -> Vec<(&'a Resource, ProbeSpec)> {
    resources
        .iter()
        .filter_map(|r| kinds.get(&r.kind).map(|k| (*r, probe::spec(r, k))))
        .collect()
}

/// The sites a selection covers: the selected ones, or all.
fn covered(declared: &Declared, sites: &[String]) -> Vec<String> {
    if sites.is_empty() {
        declared.sites.clone()
    } else {
        sites.to_vec()
    }
}

/// The probe script.
pub fn script(declared: &Declared, kinds: &Kinds, sites: &[String]) -> String {
    let selected = declared.select(sites);
    // Resources of a kind the table lacks cannot be declared (the federation's schema
    // closes `kind`), but are skipped rather than trusted.
    let selected: Vec<&Resource> = selected
        .into_iter()
        .filter(|r| kinds.get(&r.kind).is_some())
        .collect();
    let mut used: IndexMap<&str, ()> = IndexMap::new();
    for r in &selected {
        used.insert(r.kind.as_str(), ());
    }
    let mut out = String::with_capacity(1024 * selected.len() + 16 * 1024);
    let _ = writeln!(out, "#!/bin/sh");
    let _ = writeln!(
        out,
        "# Probe of federation {} ({} resources{}), written by orche.",
        one_line(&declared.federation),
        selected.len(),
        if sites.is_empty() {
            String::new()
        } else {
            format!(", sites {}", one_line(&sites.join(", ")))
        }
    );
    out.push_str(
        "# Read-only: it runs the probe commands of orche/actions and changes nothing.\n\
         # Usage: sh probe.sh > live.json   (ORCHE_JOBS: probes at once, default 8)\n\
         # Prints one live-state document (docs/drift.md); exit status 0 unless it cannot start.\n",
    );
    out.push_str(shell::RUNTIME);
    out.push_str(JOB);
    if used
        .keys()
        .any(|k| kinds.get(k).is_some_and(|k| k.discover.is_some()))
    {
        out.push_str("orche_tab=$(printf '\\t')\n");
    }
    out.push('\n');

    // One function per resource, written in parallel in chunks and joined in order. (Each
    // probe is rendered, written and dropped in turn: at 50,000 resources holding them all
    // would cost hundreds of megabytes.)
    use rayon::prelude::*;
    let chunks: Vec<String> = selected
        .par_chunks(256)
        .enumerate()
        .map(|(c, rs)| {
            let mut text = String::with_capacity(1024 * rs.len());
            for (j, r) in rs.iter().enumerate() {
                let Some(kind) = kinds.get(&r.kind) else {
                    continue;
                };
                let i = c * 256 + j;
                let p = probe::spec(r, kind);
                let _ = writeln!(text, "# {} ({})", one_line(&r.key), one_line(&r.kind));
                let _ = writeln!(text, "orche_p{i}() {{");
                shell::probe_body(&mut text, &p, &quote(&shell::json_token(&r.key)));
                text.push_str("}\n");
            }
            text
        })
        .collect();
    for c in &chunks {
        out.push_str(c);
    }
    drop(chunks);

    // Discovery of extra objects, per kind that has it.
    let fed = crate::value::Value::Str(declared.federation.clone());
    for kind in used.keys().filter_map(|k| kinds.get(k)) {
        let Some(d) = &kind.discover else {
            continue;
        };
        let lookup = |n: &str| (n == "federation").then_some(Param::Value(&fed));
        let Ok(words) = crate::state::template::render(&d.argv, &lookup) else {
            continue;
        };
        // The probe of one discovered object: identity fields from shell variables.
        let vars: Vec<(String, String)> = d
            .identity
            .iter()
            .enumerate()
            .map(|(j, f)| (f.clone(), format!("orche_id{j}")))
            .collect();
        let id_lookup = |n: &str| -> Option<Param<'_>> {
            if n == "federation" {
                return Some(Param::Value(&fed));
            }
            if n == "key" {
                return Some(Param::Shell("orche_idkey"));
            }
            vars.iter()
                .find(|(f, _)| f == n)
                .map(|(_, v)| Param::Shell(v.as_str()))
        };
        let spec = probe::spec_for_identity("", kind, &id_lookup);
        let fname = format!("orche_x_{}", sanitize(&kind.name));
        let _ = writeln!(
            out,
            "# An object of kind {} that no configuration declares.",
            one_line(&kind.name)
        );
        let _ = writeln!(out, "{fname}() {{");
        out.push_str("\torche_idkey=$1\n");
        for (j, (f, v)) in vars.iter().enumerate() {
            let _ = writeln!(out, "\t{v}=${{{}}}", j + 2);
            let _ = writeln!(
                out,
                "\torche_ident=$orche_ident${{orche_ident:+,}}{}:$(orche_json_text string '' \"${v}\")",
                quote(&shell::json_token(f))
            );
        }
        // The key token is computed at run time; the rest of the body is the kind's probe.
        // The key token is computed at run time from the discovered key.
        shell::probe_body(
            &mut out,
            &spec,
            "\"$(orche_json_text string '' \"$orche_idkey\")\"",
        );
        out.push_str("}\n");
        let _ = writeln!(out, "orche_discover_{}() {{", sanitize(&kind.name));
        let _ = writeln!(
            out,
            "\torche_dir=$orche_tmp/discover\n\tmkdir -p \"$orche_dir\"\n\
             \torche_tools {} || return 0\n\
             \torche_watch 30\n\
             \torche_run \"$orche_dir/{k}.out\" \"$orche_dir/{k}.err\" {} || {{ orche_unwatch; return 0; }}\n\
             \torche_unwatch\n\
             \twhile IFS=\"$orche_tab\" read -r orche_dk {}; do\n\
             \t\tif [ -z \"$orche_dk\" ] || grep -Fxq -e \"$orche_dk\" \"$orche_tmp/declared\" \\\n\
             \t\t\t|| ! grep -Fxq -e \"${{orche_dk%%/*}}\" \"$orche_tmp/sites\"; then\n\
             \t\t\tcontinue\n\t\tfi\n\
             \t\torche_extra=$((orche_extra + 1))\n\
             \t\torche_lead=,\n\
             \t\tif [ \"$orche_declared_n\" -eq 0 ] && [ \"$orche_extra\" -eq 1 ]; then\n\t\t\torche_lead=\n\t\tfi\n\
             \t\tmkdir -p \"$orche_tmp/x$orche_extra\"\n\
             \t\torche_fallback \"$orche_lead\" \"$(orche_json_text string '' \"$orche_dk\")\" {kind_token} >\"$orche_tmp/x$orche_extra/record\"\n\
             \t\torche_spawn \"x$orche_extra\" orche_probe_job \"$orche_lead\" {fname} \"$orche_dk\" {}\n\
             \tdone <\"$orche_dir/{k}.out\"",
            kind.tools.iter().map(|t| quote(t)).collect::<Vec<_>>().join(" "),
            shell::argv(&words),
            (0..vars.len()).map(|j| format!("orche_d{j}")).collect::<Vec<_>>().join(" "),
            (0..vars.len()).map(|j| format!("\"$orche_d{j}\"")).collect::<Vec<_>>().join(" "),
            k = sanitize(&kind.name),
            kind_token = quote(&shell::json_token(&kind.name)),
        );
        out.push_str("}\n");
    }

    // Main: readiness per kind, the probes, discovery, then the document.
    out.push_str(
        "\norche_tmp=$(mktemp -d \"${TMPDIR:-/tmp}/orche-probe.XXXXXX\") || {\n\
         \techo 'orche: cannot create a temporary directory' >&2\n\texit 1\n}\n\
         trap 'rm -rf \"$orche_tmp\"' EXIT\ntrap 'exit 130' INT TERM\n\
         orche_dir=$orche_tmp\norche_extra=0\n",
    );
    if used
        .keys()
        .any(|k| kinds.get(k).is_some_and(|k| k.discover.is_some()))
    {
        let _ = writeln!(out, "orche_declared_n={}", selected.len());
    }
    out.push_str("");
    // Every key the configuration declares (all sites): discovered objects with these keys
    // are not extra.
    out.push_str("{\n\t:\n");
    for chunk in declared.resources.chunks(64) {
        out.push_str("\tprintf '%s\\n'");
        for r in chunk {
            out.push(' ');
            out.push_str(&quote(&r.key));
        }
        out.push('\n');
    }
    out.push_str("} >\"$orche_tmp/declared\"\n");
    // The sites probed: a discovered object of another site is that site's script's to report.
    out.push_str("printf '%s\\n'");
    for site in covered(declared, sites) {
        out.push(' ');
        out.push_str(&quote(&site));
    }
    out.push_str(" >\"$orche_tmp/sites\"\n");
    for kind in used.keys().filter_map(|k| kinds.get(k)) {
        let Some(ready) = &kind.ready else {
            continue;
        };
        let lookup = |_: &str| None;
        let Ok(words) = crate::state::template::render(ready, &lookup) else {
            continue;
        };
        let k = sanitize(&kind.name);
        let tools: Vec<String> = kind.tools.iter().map(|t| quote(t)).collect();
        let _ = writeln!(
            out,
            "if orche_tools {tools}; then\n\
             \torche_watch 30\n\
             \tif ! orche_run \"$orche_tmp/ready.{k}.out\" \"$orche_tmp/ready.{k}.err\" {cmd}; then\n\
             \t\tprintf '%s: %s' {cmd0} \"$(orche_first_line \"$orche_tmp/ready.{k}.err\")\" >\"$orche_tmp/ready.{kq}\"\n\
             \tfi\n\torche_unwatch\nfi",
            tools = tools.join(" "),
            cmd = shell::argv(&words),
            cmd0 = quote(&words.first().cloned().map(crate::state::template::plain).unwrap_or_default()),
            kq = k,
        );
    }
    // The jobs' directories, made by a few `mkdir`s rather than one per resource.
    out.push_str("(\n\tcd \"$orche_tmp\" || exit 1\n");
    for chunk in (0..selected.len()).collect::<Vec<_>>().chunks(256) {
        out.push_str("\tmkdir");
        for i in chunk {
            let _ = write!(out, " {i}");
        }
        out.push('\n');
    }
    out.push_str(") || exit 1\n");
    out.push_str("orche_jobs_start\n");
    for (i, r) in selected.iter().enumerate() {
        // A record that says the probe did not finish, replaced when it does.
        let lead = if i == 0 { "''" } else { "," };
        let _ = writeln!(
            out,
            "orche_fallback {lead} {} {} >\"$orche_tmp/{i}/record\"",
            quote(&shell::json_token(&r.key)),
            quote(&shell::json_token(&r.kind))
        );
        let _ = writeln!(out, "orche_spawn {i} orche_probe_job {lead} orche_p{i}");
    }
    for kind in used.keys().filter_map(|k| kinds.get(k)) {
        if kind.discover.is_some() {
            let k = sanitize(&kind.name);
            let _ = writeln!(
                out,
                "if orche_ready {}; then orche_discover_{k}; fi",
                quote(&kind.name)
            );
        }
    }
    out.push_str("wait\n");
    let covered = covered(declared, sites);
    let sites_json: Vec<String> = covered.iter().map(|s| shell::json_token(s)).collect();
    let _ = writeln!(
        out,
        "orche_dir=$orche_tmp\n\
         orche_host=$(uname -n 2>/dev/null || echo unknown)\n\
         orche_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)\n\
         {{\n\
         \tprintf '{{\"format_version\":{FORMAT_VERSION},\"federation\":%s,\"declared_digest\":%s,' {} {}\n\
         \tprintf '\"probed_at\":%s,\"host\":%s,\"sites\":[%s],\"resources\":{{' \"$(orche_json_text string '' \"$orche_at\")\" \"$(orche_json_text string '' \"$orche_host\")\" {}\n\
         \t(\n\
         \t\tcd \"$orche_tmp\" || exit 1\n\
         \t\torche_i=0\n\
         \t\twhile [ \"$orche_i\" -lt {n} ]; do\n\
         \t\t\techo \"$orche_i/record\"\n\
         \t\t\torche_i=$((orche_i + 1))\n\
         \t\tdone\n\
         \t\torche_i=1\n\
         \t\twhile [ \"$orche_i\" -le \"$orche_extra\" ]; do\n\
         \t\t\techo \"x$orche_i/record\"\n\
         \t\t\torche_i=$((orche_i + 1))\n\
         \t\tdone\n\
         \t) | (cd \"$orche_tmp\" && xargs cat)\n\
         \tprintf '}}}}\\n'\n\
         }}",
        quote(&shell::json_token(&declared.federation)),
        quote(&shell::json_token(&declared.digest)),
        quote(&sites_json.join(",")),
        n = selected.len(),
    );
    out
}

/// The shell runtime's job wrapper: probes, then writes the record whatever happened.
pub const JOB: &str = r#"
# orche_fallback SEPARATOR KEY_TOKEN KIND_TOKEN: the record of a probe that did not finish.
orche_fallback() {
	printf '%s%s:{"kind":%s,"exists":false,"status":"unknown","observed":{},"error":"the probe did not finish","attempts":0,"elapsed_ms":0}' "$1" "$2" "$3"
}

# orche_probe_job SEPARATOR FUNCTION ARGS...: probes one resource into $orche_dir/record,
# written at once (the separator is the comma before every record but the first).
orche_probe_job() {
	orche_ident=
	orche_lead=$1
	shift
	"$@"
	orche_record
	printf '%s%s' "$orche_lead" "$orche_rec" >"$orche_dir/record"
}
"#;

/// A kind name as part of a shell function name.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Text for a comment line: no line breaks.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `--out json`: the probes as data, for another runner.
#[derive(Serialize)]
struct ProbeList<'a> {
    format_version: u32,
    federation: &'a str,
    declared_digest: &'a str,
    sites: Vec<String>,
    probes: Vec<ProbeSpec>,
    discover: Vec<DiscoverSpec>,
}

#[derive(Serialize)]
struct DiscoverSpec {
    kind: String,
    argv: Vec<String>,
    /// The tab-separated columns after the "site/name" key.
    identity: Vec<String>,
}

pub fn list(declared: &Declared, kinds: &Kinds, sites: &[String]) -> String {
    let selected = declared.select(sites);
    let probes: Vec<ProbeSpec> = specs(&selected, kinds)
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let fed = crate::value::Value::Str(declared.federation.clone());
    let mut seen: Vec<&str> = Vec::new();
    let mut discover = Vec::new();
    for r in &selected {
        if seen.contains(&r.kind.as_str()) {
            continue;
        }
        seen.push(&r.kind);
        let Some(d) = kinds.get(&r.kind).and_then(|k| k.discover.as_ref()) else {
            continue;
        };
        let lookup = |n: &str| (n == "federation").then_some(&fed);
        if let Ok(argv) = crate::state::template::render_plain(&d.argv, &lookup) {
            discover.push(DiscoverSpec {
                kind: r.kind.clone(),
                argv,
                identity: d.identity.clone(),
            });
        }
    }
    let doc = ProbeList {
        format_version: FORMAT_VERSION,
        federation: &declared.federation,
        declared_digest: &declared.digest,
        sites: covered(declared, sites),
        probes,
        discover,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
