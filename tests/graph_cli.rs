//! End-to-end checks of `orche graph` on the shipped examples that golden files cannot make:
//! the DOT output renders with Graphviz (`dot -Tsvg`, when installed; `.ci/run` installs it)
//! and the Mermaid output parses with Mermaid's own parser (`tests/support/mermaid`, when its
//! packages are installed; `.ci/run` installs them) and has the shape of a flowchart. Also:
//! every shipped example does what its header says (exports, or fails with the cycle).

use std::io::Write;
use std::process::{Command, Stdio};

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

fn orche(args: &[&str]) -> std::process::Output {
    Command::new(ORCHE)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run orche")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

const EXAMPLES: [&str; 3] = [
    "examples/federation.orc",
    "examples/hub-spoke.orc",
    "examples/cycle.orc",
];

#[test]
fn examples_export_or_name_their_cycle() {
    for ex in EXAMPLES {
        let out = orche(&["export", ex]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if ex.ends_with("cycle.orc") {
            assert_eq!(out.status.code(), Some(1), "{ex}");
            assert!(
                stderr.contains("dependency cycle: hub/keycloak -> hub/backend -> hub/keycloak"),
                "{ex}: {stderr}"
            );
        } else {
            assert!(out.status.success(), "{ex}: {stderr}");
        }
    }
}

#[test]
fn dot_renders_with_graphviz() {
    if !have("dot") {
        eprintln!("graph_cli: graphviz `dot` not installed; DOT rendering not checked");
        return;
    }
    for ex in EXAMPLES {
        let out = orche(&["graph", ex, "--out", "dot"]);
        assert!(!out.stdout.is_empty(), "{ex}: no DOT output");
        let mut dot = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dot");
        dot.stdin
            .take()
            .expect("stdin")
            .write_all(&out.stdout)
            .expect("write DOT");
        let svg = dot.wait_with_output().expect("dot output");
        assert!(
            svg.status.success() && svg.stderr.is_empty(),
            "{ex}: dot failed: {}",
            String::from_utf8_lossy(&svg.stderr)
        );
        assert!(
            String::from_utf8_lossy(&svg.stdout).contains("<svg"),
            "{ex}"
        );
    }
}

/// Names that Mermaid or DOT could read as syntax: quotes, brackets, HTML, keywords, comment
/// and entity markers, non-ASCII.
const TRICKY: &str = r#"import "orche/federation"

federation.#Federation & {
	name: "tricky"
	sites: {
		"core site \"1\"": {
			tier: "core"
			network: {prefix: "10.1.0.0/16", dns: []}
			resources: {
				"end": {kind: "command", command: "true"}
				"x\"y": {kind: "command", command: "true", depends_on: {"end": true}}
				"<i>bold<i>": {kind: "command", command: "true", depends_on: {"x\"y": true}}
				"subgraph": {kind: "command", command: "true", depends_on: {"<i>bold<i>": true}}
				"a;b%%c #1 & [z] {w} (v) |p| `q` \\ é 日本": {kind: "command", command: "true", depends_on: {"subgraph": true}}
			}
		}
		"graph": {
			tier: "edge"
			network: {prefix: "10.2.0.0/16", dns: []}
			resources: "click": {kind: "command", command: "true", depends_on: {"core site \"1\"/end": true}}
		}
	}
}
"#;

/// The Mermaid of every example and of `TRICKY` parses with Mermaid's own parser. Skipped when
/// `node` or the packages of `tests/support/mermaid` are missing, unless
/// `ORCHE_REQUIRE_MERMAID` is set (`.ci/run` sets it after installing them).
#[test]
fn mermaid_parses_with_mermaid() {
    let support = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/mermaid");
    let installed = support.join("node_modules/mermaid/package.json").exists();
    if !installed || !have_node() {
        assert!(
            std::env::var_os("ORCHE_REQUIRE_MERMAID").is_none(),
            "ORCHE_REQUIRE_MERMAID is set but node or tests/support/mermaid/node_modules is missing"
        );
        eprintln!("graph_cli: mermaid not installed (npm ci --prefix tests/support/mermaid); Mermaid not parsed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("orche-mermaid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let tricky = dir.join("tricky.orc");
    std::fs::write(&tricky, TRICKY).expect("write tricky.orc");
    let tricky = tricky.to_string_lossy().into_owned();
    let mut files = Vec::new();
    for (i, input) in EXAMPLES
        .iter()
        .copied()
        .chain([tricky.as_str()])
        .enumerate()
    {
        let out = orche(&["graph", input, "--out", "mermaid"]);
        assert!(!out.stdout.is_empty(), "{input}: no Mermaid output");
        let file = dir.join(format!("{i}.mmd"));
        std::fs::write(&file, &out.stdout).expect("write .mmd");
        files.push(file);
    }
    let check = Command::new("node")
        .arg(support.join("check.mjs"))
        .args(&files)
        .output()
        .expect("run node");
    let report = String::from_utf8_lossy(&check.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        check.status.success(),
        "Mermaid rejected orche's output:\n{report}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(
        report.matches(": ok (flowchart").count(),
        EXAMPLES.len() + 1,
        "{report}"
    );
}

fn have_node() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Check the flowchart grammar the emitter uses, line by line (without Mermaid installed,
/// this is the only check): a header, balanced subgraph/end, node and edge statements with
/// quoted labels.
#[test]
fn mermaid_is_a_well_formed_flowchart() {
    for ex in EXAMPLES {
        let out = orche(&["graph", ex, "--out", "mermaid"]);
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("flowchart LR"), "{ex}");
        let mut depth = 0i32;
        for line in lines {
            let l = line.trim();
            let ok = if let Some(rest) = l.strip_prefix("subgraph ") {
                depth += 1;
                rest.starts_with("site") && rest.ends_with("\"]")
            } else if l == "end" {
                depth -= 1;
                depth >= 0
            } else if l.starts_with("linkStyle ") {
                true
            } else if let Some((a, b)) = l.split_once(" --> ") {
                is_id(a) && is_id(b)
            } else if let Some((id, label)) = l.split_once('[') {
                is_id(id)
                    && label.starts_with('"')
                    && label.ends_with("\"]")
                    && !label[1..label.len() - 2].contains('"')
            } else {
                false
            };
            assert!(ok, "{ex}: not a flowchart statement: {line}");
        }
        assert_eq!(depth, 0, "{ex}: unbalanced subgraphs");
    }
}

fn is_id(s: &str) -> bool {
    s.len() > 1 && s.starts_with('n') && s[1..].chars().all(|c| c.is_ascii_digit())
}
