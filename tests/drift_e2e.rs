//! The probe → drift → plan → apply loop of issue #10, end to end, on real services: the built
//! `orche` writes the probe script and the plan script, and the tests run them with `sh`
//! exactly as a user would, against a real Docker Engine (containers with `--network none`
//! from the offline busybox image), a busybox HTTP server and a TCP port on 127.0.0.1, files
//! and a long-running process.
//!
//! What is proved:
//! - `full_loop_on_real_services`: a two-site federation (docker, http, tcp, file and process
//!   resources, cross-site dependencies) goes from everything `missing` to in sync with one
//!   applied plan (waves respect dependencies, the dry run changes nothing); a stopped
//!   container, an edited file and an extra labelled container are reported as exactly those
//!   three, and one plan brings them back (the removal only with `--destroy`); a plan made
//!   before a further change refuses to apply as stale and changes nothing; a plan applied
//!   twice changes nothing the second time; the apply lock refuses, waits and is released;
//!   per-site probes cover only their site (extra containers included) and merge in
//!   `orche drift`.
//! - `probe_without_docker_is_unknown`: without the docker client (or its daemon) a docker
//!   resource is `unknown` with the reason, the other resources are still probed, the script
//!   exits 0 and prints valid JSON.
//! - `injection_runs_nothing`: hostile names, images, paths, URLs, contents and arguments reach
//!   the probe and plan scripts (dry run and `--apply`) as data only: no injected command runs,
//!   the file is written byte for byte, observed strings round-trip, and every emitted script
//!   passes shellcheck.
//! - `probe_output_is_valid_json_for_hostile_output`: a check command that prints quotes,
//!   backslashes, control characters, NUL, UTF-8 and invalid UTF-8 is observed as valid JSON,
//!   one U+FFFD per invalid byte.
//! - `empty_and_unactionable_plans`: a federation without resources, and one whose resources
//!   orche cannot act on, give scripts that pass shellcheck and run; an unhealthy resource's
//!   step without a command is skipped, not taken for done.
//! - `parallel_probes_are_bounded_and_fast`: 200 HTTP probes against one local server all
//!   answer healthy within a sanity bound (the real figure is the benchmark's).
//!
//! Invariants: every test works in its own temporary folder (also the scripts' `TMPDIR`, so
//! the apply lock is the test's own) with names (federation, containers, ports, files, marker
//! paths) that no other test uses, so the tests run in parallel; every external command runs
//! with a deadline; containers are removed by their federation label and started processes
//! killed by pid when the test ends, also when it fails. The tests that need Docker skip with
//! the reason unless `ORCHE_REQUIRE_DOCKER` is set (tests/support/services.rs).

#[allow(dead_code)]
#[path = "support/outputs.rs"]
mod outputs;
#[allow(dead_code)]
#[path = "support/services.rs"]
mod services;

use outputs::*;
use serde_json::Value;
use services::{run_with_timeout, Docker, HttpServer, TempDir};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

/// One `orche` call.
const ORCHE_TIMEOUT: Duration = Duration::from_secs(60);
/// One run of a probe script.
const PROBE_TIMEOUT: Duration = Duration::from_secs(120);
/// One run of a plan script (health checks awaited with retries included).
const APPLY_TIMEOUT: Duration = Duration::from_secs(240);

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// A test's folder and how it runs things there.
struct Work {
    dir: TempDir,
    docker: Option<Docker>,
    /// `PATH` for the scripts, when not the test's own.
    path: Option<OsString>,
}

impl Work {
    fn new(prefix: &str, docker: Option<Docker>) -> Work {
        Work {
            dir: TempDir::new(prefix).expect("temporary folder"),
            docker,
            path: None,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// The path of `name` in the folder, as text for configurations.
    fn at(&self, name: &str) -> String {
        self.file(name).to_string_lossy().into_owned()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.file(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
        p
    }

    /// `orche ARGS…` in the folder.
    fn orche(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(ORCHE);
        cmd.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("TMPDIR", self.path());
        run_with_timeout(&mut cmd, ORCHE_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `orche ARGS…`, which must exit with `code`; its stdout is written to `out` when given.
    fn orche_expect(&self, args: &[&str], code: i32, out: Option<&str>) -> Output {
        let o = self.orche(args);
        expect_orche(&o, args, code, out.map(|n| self.file(n)).as_deref());
        o
    }

    /// `sh SCRIPT ARGS…` in the folder, as a user runs an emitted script: `TMPDIR` is the
    /// folder, `DOCKER_HOST` the test daemon's, plus `env`.
    fn sh(&self, script: &str, args: &[&str], env: &[(&str, &str)], timeout: Duration) -> Output {
        let sh = services::which("sh").unwrap_or_else(|| PathBuf::from("/bin/sh"));
        let mut cmd = Command::new(sh);
        cmd.arg(script)
            .args(args)
            .current_dir(self.path())
            .env("TMPDIR", self.path());
        if let Some(d) = &self.docker {
            d.configure(&mut cmd);
        }
        if let Some(p) = &self.path {
            cmd.env("PATH", p);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let t = Instant::now();
        let o = run_with_timeout(&mut cmd, timeout).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "  sh {script} {}: exit {} in {:.2?}",
            args.join(" "),
            exit(&o),
            t.elapsed()
        );
        o
    }

    /// Runs a probe script, which must exit 0; writes its output to `out` and returns it
    /// parsed.
    fn probe(&self, script: &str, out: &str) -> Value {
        let o = self.sh(script, &[], &[], PROBE_TIMEOUT);
        assert_eq!(exit(&o), 0, "sh {script}\n{}", show(&o));
        std::fs::write(self.file(out), &o.stdout).expect("writing the live state");
        parse(&o.stdout, &format!("the output of sh {script}"))
    }

    /// `orche drift FILES --live LIVE… --out json`: exit status and report.
    fn drift(&self, fed: &str, lives: &[&str]) -> (i32, Value) {
        let mut args = vec!["drift", fed];
        for l in lives {
            args.extend(["--live", l]);
        }
        args.extend(["--out", "json"]);
        let o = self.orche(&args);
        let code = exit(&o);
        assert!(
            code == 0 || code == 2,
            "orche {} failed\n{}",
            args.join(" "),
            show(&o)
        );
        (code, parse(&o.stdout, "orche drift --out json"))
    }

    /// `orche plan FED --live LIVE --out json`, parsed; and `--out sh` written to `script`.
    fn plan(&self, fed: &str, live: &str, script: &str) -> Value {
        let o = self.orche_expect(&["plan", fed, "--live", live, "--out", "json"], 0, None);
        let plan = parse(&o.stdout, "orche plan --out json");
        self.orche_expect(
            &["plan", fed, "--live", live, "--out", "sh"],
            0,
            Some(script),
        );
        shellcheck(&self.file(script));
        plan
    }

    fn read(&self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.file(name)).ok()
    }
}

/// `name` as an orche (CUE) string literal: quotes, backslashes and control characters
/// escaped, everything else as is.
fn orc(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A list of strings as an orche list literal.
fn orc_list(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|s| orc(s)).collect();
    format!("[{}]", items.join(", "))
}

/// `text` as an extended regular expression that matches exactly it.
fn ere_escape(text: &str) -> String {
    let mut o = String::new();
    for c in text.chars() {
        if ".[]()*+?{}|^$\\".contains(c) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

fn wave(step: &Value) -> u64 {
    step["wave"].as_u64().expect("a step's wave")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Kills, when dropped, the processes whose pids the plan's create actions appended to a file,
/// but only those whose command line still names the test's folder (a pid may have been
/// reused by then).
struct KillPids {
    file: PathBuf,
    token: String,
}

impl Drop for KillPids {
    fn drop(&mut self) {
        let Ok(text) = std::fs::read_to_string(&self.file) else {
            return;
        };
        for pid in text
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
        {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&self.token) {
                let _ = run_with_timeout(
                    Command::new("kill").args(["-TERM", &pid.to_string()]),
                    Duration::from_secs(5),
                );
            }
        }
    }
}

/// Removes marker files when dropped (when an injection did run, not to leave it behind).
struct RemoveFiles(Vec<PathBuf>);

impl Drop for RemoveFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn container_id(docker: &Docker, name: &str) -> String {
    docker
        .run(&["container", "inspect", "--format", "{{.Id}}", name])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn lines_in(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// 1. The whole loop on real services.
// ---------------------------------------------------------------------------------------------

/// Every resource of the loop's federation and what it depends on.
const LOOP_DEPS: &[(&str, &[&str])] = &[
    ("core/db", &[]),
    ("core/conf", &["core/db"]),
    ("edge/cache", &["core/db"]),
    ("edge/page", &[]),
    ("edge/web", &["edge/page", "core/db"]),
    ("edge/port", &["edge/web"]),
    ("edge/worker", &["core/conf"]),
];

struct LoopNames {
    fed: String,
    image: String,
    port: u16,
    db: String,
    cache: String,
}

fn loop_federation(w: &Work, n: &LoopNames) -> String {
    let httpd = [
        "sh",
        "-c",
        "nohup busybox httpd -f -p \"$1\" -h \"$2\" >/dev/null 2>&1 & echo $! >>\"$3\"",
        "sh",
        &format!("127.0.0.1:{}", n.port),
        &w.at("www"),
        &w.at("pids"),
    ];
    let worker = [
        "sh",
        "-c",
        "nohup sh \"$1\" >/dev/null 2>&1 & echo $! >>\"$2\"",
        "sh",
        &w.at("worker.sh"),
        &w.at("pids"),
    ];
    format!(
        r#"package e2e

import "orche/federation"

federation.#Federation & {{
	name: {fed}
	sites: core: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			db: {{
				kind: "docker", container: {db}, image: {image}, network: "none"
				command: ["sleep", "3600"]
				env: {{ROLE: "db", GREETING: "hello 'world'"}}
				// A stopped container is probed 1 + 2 times (delays 1 s, 2 s).
				health: {{timeout: 20, retries: 2, base_delay: 1}}
			}}
			conf: {{
				kind: "file", path: {conf}, content: "v1\n", mode: "640"
				depends_on: db: true
				health: {{timeout: 10, retries: 2, base_delay: 1}}
			}}
		}}
	}}
	sites: edge: {{
		tier: "edge"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			cache: {{
				kind: "docker", container: {cache}, image: {image}, network: "none"
				command: ["sleep", "3600"]
				env: {{ROLE: "cache"}}
				depends_on: "core/db": true
				health: {{timeout: 20, retries: 2, base_delay: 1}}
			}}
			page: {{kind: "file", path: {page}, content: "hello from edge\n", mode: "644"}}
			web: {{
				kind: "http", url: {url}, body: "hello from edge"
				depends_on: {{page: true, "core/db": true}}
				health: {{timeout: 10, retries: 5, base_delay: 1}}
				actions: create: {httpd}
			}}
			port: {{
				kind: "tcp", host: "127.0.0.1", port: {port}
				depends_on: web: true
				health: {{timeout: 5, retries: 2, base_delay: 1}}
				actions: create: ["true"]
			}}
			worker: {{
				kind: "process", process: {pattern}
				depends_on: "core/conf": true
				health: {{timeout: 10, retries: 4, base_delay: 1}}
				actions: create: {worker}
			}}
		}}
	}}
}}
"#,
        fed = orc(&n.fed),
        db = orc(&n.db),
        cache = orc(&n.cache),
        image = orc(&n.image),
        conf = orc(&w.at("conf.txt")),
        page = orc(&w.at("www/index.html")),
        url = orc(&format!("http://127.0.0.1:{}/index.html", n.port)),
        httpd = orc_list(&httpd),
        port = n.port,
        pattern = orc(&ere_escape(&w.at("worker.sh"))),
        worker = orc_list(&worker),
    )
}

/// A federation `name` (quoted here) of one loopback site `s` holding `resources` (the text
/// between the braces of its `resources`).
fn one_site(name: &str, resources: &str) -> String {
    format!(
        r#"package e2e

import "orche/federation"

federation.#Federation & {{
	name: {}
	sites: s: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{{resources}}}
	}}
}}
"#,
        orc(name)
    )
}

#[test]
fn full_loop_on_real_services() {
    let started = Instant::now();
    let Some(docker) = services::docker_or_skip() else {
        return;
    };
    let Some(image) = services::require(docker.test_image()) else {
        return;
    };
    if !services::require_tools(&["busybox", "curl", "nc", "pgrep", "sha256sum", "stat"]) {
        return;
    }
    eprintln!("using {}", docker.describe());
    let token = services::unique_token();
    let n = LoopNames {
        fed: format!("e2e-{token}"),
        image,
        port: services::free_port(),
        db: format!("e2e-{token}-db"),
        cache: format!("e2e-{token}-cache"),
    };
    let fed_label = format!("orche.federation={}", n.fed);
    let _containers = docker.cleanup_on_drop(&fed_label);
    let w = Work::new("drift-e2e-loop", Some(docker.clone()));
    let _processes = KillPids {
        file: w.file("pids"),
        token: w.at(""),
    };
    std::fs::create_dir(w.file("www")).expect("www");
    w.write("worker.sh", "#!/bin/sh\nwhile :; do sleep 1; done\n");
    w.write("fed.orc", &loop_federation(&w, &n));
    let keys: BTreeSet<&str> = LOOP_DEPS.iter().map(|(k, _)| *k).collect();

    // Probe: everything is missing.
    let t = Instant::now();
    w.orche_expect(&["export", "--probes", "fed.orc"], 0, Some("probe.sh"));
    shellcheck(&w.file("probe.sh"));
    let live = w.probe("probe.sh", "live0.json");
    assert_eq!(live["federation"], n.fed.as_str());
    let probed: BTreeSet<&str> = live["resources"]
        .as_object()
        .expect("live resources")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        probed, keys,
        "the probe covers exactly the declared resources"
    );
    let (code, report) = w.drift("fed.orc", &["live0.json"]);
    assert_eq!(code, 2, "drift with nothing running:\n{report:#}");
    for (k, _) in LOOP_DEPS {
        assert_eq!(entry(&report, k)["status"], "missing", "{k}:\n{report:#}");
    }
    assert_eq!(report["summary"]["missing"], LOOP_DEPS.len());
    let text = w.orche(&["drift", "fed.orc", "--live", "live0.json"]);
    assert_eq!(exit(&text), 2, "{}", show(&text));

    // Plan: creates in waves that respect the dependencies, waiting on earlier steps.
    let plan = w.plan("fed.orc", "live0.json", "create.sh");
    let by = steps(&plan);
    assert_eq!(
        by.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        keys,
        "one step per resource:\n{plan:#}"
    );
    assert_eq!(plan["summary"]["create"], LOOP_DEPS.len());
    for (k, deps) in LOOP_DEPS {
        let s = &by[*k];
        assert_eq!(s["action"], "create", "{k}");
        assert_eq!(s["destructive"], false, "{k}");
        assert!(
            !strings(&s["argv"][0]).is_empty() && s.get("missing_action").is_none(),
            "{k} has its create command:\n{s:#}"
        );
        let waits = strings(&s["waits_on"]);
        for d in *deps {
            assert!(
                wave(s) > wave(&by[*d]),
                "{k} (wave {}) runs after its dependency {d} (wave {})",
                wave(s),
                wave(&by[*d])
            );
            assert!(waits.iter().any(|x| x == d), "{k} waits on {d}: {waits:?}");
        }
        assert_eq!(
            waits.len(),
            deps.len(),
            "{k} waits on its dependencies only"
        );
    }
    assert!(
        strings(&by["core/db"]["dependents"]).contains(&"edge/web".to_string()),
        "core/db's blast radius crosses sites:\n{:#}",
        by["core/db"]
    );

    // Dry run: prints the plan, changes nothing.
    let dry = w.sh("create.sh", &[], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&dry), 0, "{}", show(&dry));
    let dry_out = stdout(&dry);
    assert!(dry_out.contains("nothing is changed"), "{dry_out}");
    assert!(
        dry_out.contains("waits until edge/page, core/db are done and healthy"),
        "the dry run shows what waits on earlier steps:\n{dry_out}"
    );
    assert!(
        docker.labelled(&fed_label).expect("docker ps").is_empty(),
        "the dry run created no container"
    );
    for f in ["conf.txt", "www/index.html", "pids"] {
        assert!(!w.file(f).exists(), "the dry run created {f}");
    }
    assert!(
        !services::port_is_open(n.port),
        "the dry run started no server"
    );

    // Apply.
    let t_apply = Instant::now();
    let applied = w.sh("create.sh", &["--apply"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&applied), 0, "apply:\n{}", show(&applied));
    let rec = recap(&stdout(&applied));
    assert_eq!(rec.len(), LOOP_DEPS.len(), "{}", stdout(&applied));
    assert!(
        rec.iter().all(|(r, _)| r == "changed"),
        "every step changed something: {rec:?}"
    );
    eprintln!("apply of 7 creates: {:.1?}", t_apply.elapsed());
    assert_eq!(
        docker
            .run(&[
                "container",
                "inspect",
                "--format",
                "{{index .Config.Labels \"orche.resource\"}}",
                &n.db
            ])
            .expect("inspect"),
        "core/db"
    );
    assert_eq!(w.read("conf.txt").as_deref(), Some(&b"v1\n"[..]));
    let mode = std::fs::metadata(w.file("conf.txt"))
        .expect("conf.txt")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    assert!(services::port_is_open(n.port), "the HTTP server listens");

    let live = w.probe("probe.sh", "live1.json");
    let (code, report) = w.drift("fed.orc", &["live1.json"]);
    assert_eq!(code, 0, "in sync after the apply:\n{report:#}\n{live:#}");
    assert_eq!(report["summary"]["in_sync"], LOOP_DEPS.len());
    eprintln!("create loop: {:.1?}", t.elapsed());

    // Break three things: stop a container, edit a file, start an extra container.
    let t = Instant::now();
    let old = format!("e2e-{token}-old");
    docker
        .run(&["container", "stop", "--time", "1", &n.db])
        .expect("docker stop");
    w.write("conf.txt", "tampered\n");
    docker
        .run(&[
            "container",
            "run",
            "--detach",
            "--name",
            &old,
            "--network",
            "none",
            "--label",
            &fed_label,
            "--label",
            "orche.resource=core/old",
            &n.image,
            "sleep",
            "3600",
        ])
        .expect("docker run (extra container)");
    w.probe("probe.sh", "live2.json");
    let (code, report) = w.drift("fed.orc", &["live2.json"]);
    assert_eq!(code, 2, "{report:#}");
    let expected: BTreeMap<String, (String, Vec<String>)> = [
        ("core/db", "changed", vec!["running"]),
        ("core/conf", "changed", vec!["content"]),
        ("core/old", "extra", vec![]),
    ]
    .into_iter()
    .map(|(k, s, f)| {
        (
            k.to_string(),
            (s.to_string(), f.into_iter().map(str::to_string).collect()),
        )
    })
    .collect();
    assert_eq!(
        drifted(&report),
        expected,
        "exactly the three changes:\n{report:#}"
    );
    let db_change = &entry(&report, "core/db")["changes"][0];
    assert_eq!(db_change["declared"], true);
    assert_eq!(db_change["live"], false);
    assert_eq!(entry(&report, "core/old")["kind"], "docker");
    assert_eq!(report["summary"]["changed"], 2);
    assert_eq!(report["summary"]["extra"], 1);

    let plan = w.plan("fed.orc", "live2.json", "fix.sh");
    let by = steps(&plan);
    assert_eq!(by.len(), 3, "{plan:#}");
    let remove = &by["core/old"];
    assert_eq!(remove["action"], "remove");
    assert_eq!(remove["destructive"], true);
    assert!(strings(&remove["argv"][0]).contains(&old), "{remove:#}");
    assert_eq!(by["core/db"]["action"], "update");
    assert_eq!(by["core/db"]["destructive"], false);
    assert!(strings(&by["core/db"]["reason"])
        .iter()
        .any(|r| r.contains("running")));
    assert_eq!(by["core/conf"]["action"], "update");
    assert!(strings(&by["core/conf"]["reason"])
        .iter()
        .any(|r| r.contains("content")));
    assert!(
        wave(remove) < wave(&by["core/db"]) && wave(&by["core/db"]) < wave(&by["core/conf"]),
        "removal first, then the updates in dependency order:\n{plan:#}"
    );
    let text = w.orche_expect(&["plan", "fed.orc", "--live", "live2.json"], 0, None);
    assert!(
        stdout(&text).contains("Plan: 0 to create, 2 to update, 0 to replace, 1 to remove."),
        "{}",
        show(&text)
    );

    // Without --destroy the removal is skipped (exit 2) and the extra container stays.
    let partial = w.sh("fix.sh", &["--apply"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&partial), 2, "{}", show(&partial));
    let rec = recap(&stdout(&partial));
    assert!(
        rec.iter()
            .any(|(r, s)| r == "skipped" && s.starts_with("remove core/old")),
        "{rec:?}"
    );
    assert!(
        rec.iter().filter(|(r, _)| r == "changed").count() == 2,
        "both updates ran: {rec:?}"
    );
    assert_eq!(
        docker
            .run(&[
                "container",
                "inspect",
                "--format",
                "{{.State.Running}}",
                &old
            ])
            .ok()
            .as_deref(),
        Some("true"),
        "the extra container is left alone without --destroy"
    );
    assert_eq!(w.read("conf.txt").as_deref(), Some(&b"v1\n"[..]));
    // The same script with --destroy finishes the job.
    let full = w.sh("fix.sh", &["--apply", "--destroy"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&full), 0, "{}", show(&full));
    assert!(
        docker.run(&["container", "inspect", &old]).is_err(),
        "the extra container is gone"
    );
    w.probe("probe.sh", "live3.json");
    let (code, report) = w.drift("fed.orc", &["live3.json"]);
    assert_eq!(code, 0, "in sync after repair:\n{report:#}");
    eprintln!("break and repair: {:.1?}", t.elapsed());

    // Stale: a plan made before a further change refuses to apply and changes nothing.
    let t = Instant::now();
    let db_id = container_id(&docker, &n.db);
    w.write("conf.txt", "first edit\n");
    w.probe("probe.sh", "live4.json");
    w.plan("fed.orc", "live4.json", "stale.sh");
    w.write("conf.txt", "second edit\n");
    let stale = w.sh("stale.sh", &["--apply", "--destroy"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&stale), 1, "{}", show(&stale));
    assert!(stderr(&stale).contains("plan is stale"), "{}", show(&stale));
    assert!(
        stderr(&stale).contains("core/conf"),
        "it names the resource: {}",
        show(&stale)
    );
    assert!(
        !stdout(&stale).contains(": running "),
        "no step ran:\n{}",
        show(&stale)
    );
    assert_eq!(w.read("conf.txt").as_deref(), Some(&b"second edit\n"[..]));
    assert_eq!(container_id(&docker, &n.db), db_id);
    assert!(
        !w.file(&lock_name(&n.fed)).exists(),
        "the lock is released after a refusal"
    );
    eprintln!("stale plan: {:.1?}", t.elapsed());

    // Idempotence: a plan applied twice changes nothing the second time.
    let t = Instant::now();
    w.probe("probe.sh", "live5.json");
    w.plan("fed.orc", "live5.json", "again.sh");
    let first = w.sh("again.sh", &["--apply"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&first), 0, "{}", show(&first));
    assert_eq!(
        recap(&stdout(&first)),
        vec![("changed".to_string(), "update core/conf".to_string())]
    );
    let ids = |names: &[&String]| -> Vec<String> {
        names.iter().map(|c| container_id(&docker, c)).collect()
    };
    let before_ids = ids(&[&n.db, &n.cache]);
    let mtime = std::fs::metadata(w.file("conf.txt"))
        .and_then(|m| m.modified())
        .expect("mtime");
    let pids_before = lines_in(&w.file("pids"));
    let second = w.sh("again.sh", &["--apply"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&second), 0, "{}", show(&second));
    let rec = recap(&stdout(&second));
    assert!(
        !rec.is_empty() && rec.iter().all(|(r, _)| r == "ok"),
        "{}",
        stdout(&second)
    );
    // The first plan too, all of whose steps are done by now.
    let again = w.sh("create.sh", &["--apply"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&again), 0, "{}", show(&again));
    let rec = recap(&stdout(&again));
    assert_eq!(rec.len(), LOOP_DEPS.len());
    assert!(rec.iter().all(|(r, _)| r == "ok"), "{}", stdout(&again));
    assert!(!stdout(&again).contains(": running "), "{}", stdout(&again));
    assert_eq!(
        ids(&[&n.db, &n.cache]),
        before_ids,
        "no container was recreated"
    );
    assert_eq!(
        std::fs::metadata(w.file("conf.txt"))
            .and_then(|m| m.modified())
            .expect("mtime"),
        mtime,
        "the file was not rewritten"
    );
    assert_eq!(
        lines_in(&w.file("pids")),
        pids_before,
        "no process was started again"
    );
    eprintln!("idempotence: {:.1?}", t.elapsed());

    // Lock: held by another apply, a run fails at once naming it, waits with ORCHE_LOCK_WAIT,
    // and works once it is gone.
    let t = Instant::now();
    let lock = w.file(&lock_name(&n.fed));
    let script = std::fs::read_to_string(w.file("again.sh")).expect("again.sh");
    assert!(
        script.contains(&format!("orche_lock_name='{}'", lock_name(&n.fed))),
        "the script's lock is {}",
        lock_name(&n.fed)
    );
    std::fs::create_dir(&lock).expect("creating the lock");
    std::fs::write(lock.join("owner"), "pid 1 on elsewhere since then\n").expect("owner");
    let locked = w.sh("again.sh", &["--apply"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&locked), 1, "{}", show(&locked));
    assert!(
        stderr(&locked).contains(&lock.to_string_lossy().into_owned())
            && stderr(&locked).contains("pid 1 on elsewhere"),
        "the message names the lock and its owner:\n{}",
        show(&locked)
    );
    let waited = Instant::now();
    let locked = w.sh(
        "again.sh",
        &["--apply"],
        &[("ORCHE_LOCK_WAIT", "2")],
        APPLY_TIMEOUT,
    );
    let waited = waited.elapsed();
    assert_eq!(exit(&locked), 1, "{}", show(&locked));
    assert!(waited >= Duration::from_secs(2), "it waited {waited:?}");
    assert!(
        lock.is_dir(),
        "a refused run leaves the other apply's lock alone"
    );
    std::fs::remove_dir_all(&lock).expect("removing the lock");
    let unlocked = w.sh("again.sh", &["--apply"], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&unlocked), 0, "{}", show(&unlocked));
    assert!(!lock.exists(), "the apply released its lock");
    eprintln!("lock: {:.1?}", t.elapsed());

    // Per-site probes.
    let t = Instant::now();
    w.orche_expect(
        &["export", "--probes", "fed.orc", "--site", "core"],
        0,
        Some("core.sh"),
    );
    w.orche_expect(
        &["export", "--probes", "fed.orc", "--site", "edge"],
        0,
        Some("edge.sh"),
    );
    shellcheck(&w.file("core.sh"));
    shellcheck(&w.file("edge.sh"));
    for site in ["core", "edge"] {
        let live = w.probe(&format!("{site}.sh"), &format!("{site}.json"));
        assert_eq!(strings(&live["sites"]), vec![site.to_string()]);
        let got: BTreeSet<&str> = live["resources"]
            .as_object()
            .expect("resources")
            .keys()
            .map(String::as_str)
            .collect();
        let want: BTreeSet<&str> = keys
            .iter()
            .copied()
            .filter(|k| k.starts_with(&format!("{site}/")))
            .collect();
        assert_eq!(got, want, "the {site} probe covers only its site");
    }
    let (code, report) = w.drift("fed.orc", &["core.json", "edge.json"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["in_sync"], LOOP_DEPS.len());
    let twice = w.orche(&[
        "drift",
        "fed.orc",
        "--live",
        "core.json",
        "--live",
        "core.json",
    ]);
    assert_eq!(exit(&twice), 1, "{}", show(&twice));
    assert!(stderr(&twice).contains("probed twice"), "{}", show(&twice));
    std::fs::copy(w.file("core.json"), w.file("core-copy.json")).expect("copy");
    let twice = w.orche(&[
        "drift",
        "fed.orc",
        "--live",
        "core.json",
        "--live",
        "core-copy.json",
    ]);
    assert_eq!(exit(&twice), 1, "{}", show(&twice));
    assert!(
        stderr(&twice).contains("core.json") && stderr(&twice).contains("core-copy.json"),
        "the error names both files:\n{}",
        show(&twice)
    );
    // An extra container of site core, probed site by site: only core's probe reports it.
    let old2 = format!("e2e-{token}-old2");
    docker
        .run(&[
            "container",
            "run",
            "--detach",
            "--name",
            &old2,
            "--network",
            "none",
            "--label",
            &fed_label,
            "--label",
            "orche.resource=core/old2",
            &n.image,
            "sleep",
            "3600",
        ])
        .expect("docker run (extra container)");
    let core = w.probe("core.sh", "core.json");
    assert!(
        core["resources"].get("core/old2").is_some(),
        "the core probe finds core's extra container:\n{core:#}"
    );
    let edge = w.probe("edge.sh", "edge.json");
    assert!(
        edge["resources"].get("core/old2").is_none(),
        "the edge probe reports only objects of its own site:\n{edge:#}"
    );
    let merged = w.orche(&[
        "drift",
        "fed.orc",
        "--live",
        "core.json",
        "--live",
        "edge.json",
        "--out",
        "json",
    ]);
    assert_eq!(exit(&merged), 2, "{}", stderr(&merged));
    let report = parse(&merged.stdout, "orche drift --out json");
    assert_eq!(entry(&report, "core/old2")["status"], "extra", "{report:#}");
    docker
        .run(&["container", "rm", "--force", &old2])
        .expect("docker rm");
    eprintln!("per-site probes: {:.1?}", t.elapsed());
    eprintln!("full_loop_on_real_services: {:.1?}", started.elapsed());
}

/// The apply lock's directory name (src/export/plan_sh.rs): the federation's name, safe for a
/// file name, and the first 12 hex digits of its SHA-256.
fn lock_name(federation: &str) -> String {
    use sha2::Digest;
    let safe: String = federation
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = sha2::Sha256::digest(federation.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("orche-apply-{safe}-{}.lock", &hex[..12])
}

// ---------------------------------------------------------------------------------------------
// 2. No docker on PATH.
// ---------------------------------------------------------------------------------------------

/// A folder of symlinks to every program on the test's `PATH` except docker's.
fn path_without_docker(w: &Work) -> PathBuf {
    let bin = w.file("bin");
    std::fs::create_dir(&bin).expect("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with("docker") || bin.join(&name).exists() {
                continue;
            }
            let target = e.path();
            let executable = std::fs::metadata(&target)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
            if executable {
                let _ = std::os::unix::fs::symlink(&target, bin.join(&name));
            }
        }
    }
    bin
}

#[test]
fn probe_without_docker_is_unknown() {
    let mut w = Work::new("drift-e2e-nodocker", None);
    let token = services::unique_token();
    w.write("present.txt", "here\n");
    let fed = format!(
        r#"package e2e

import "orche/federation"

federation.#Federation & {{
	name: {fed}
	sites: s: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			box: {{kind: "docker", container: {box}, image: "orche-test-busybox:1", network: "none"}}
			present: {{kind: "file", path: {present}, content: "here\n", depends_on: box: true}}
			check: {{kind: "command", command: ["true"]}}
		}}
	}}
}}
"#,
        fed = orc(&format!("nodocker-{token}")),
        box = orc(&format!("nodocker-{token}-box")),
        present = orc(&w.at("present.txt")),
    );
    w.write("fed.orc", &fed);
    w.orche_expect(&["export", "--probes", "fed.orc"], 0, Some("probe.sh"));
    let bin = path_without_docker(&w);
    assert!(!bin.join("docker").exists());
    assert!(bin.join("sh").exists(), "sh is on the test's PATH");
    w.path = Some(bin.clone().into_os_string());
    let o = w.sh("probe.sh", &[], &[], PROBE_TIMEOUT);
    assert_eq!(exit(&o), 0, "{}", show(&o));
    std::fs::write(w.file("live.json"), &o.stdout).expect("live.json");
    let live = parse(&o.stdout, "the probe's output without docker");
    let bx = &live["resources"]["s/box"];
    assert_eq!(bx["status"], "unknown", "{live:#}");
    assert!(
        bx["error"].as_str().is_some_and(|e| e.contains("docker")),
        "the reason names docker:\n{bx:#}"
    );
    assert_eq!(
        live["resources"]["s/present"]["status"], "healthy",
        "the other probes still run:\n{live:#}"
    );
    assert_eq!(live["resources"]["s/check"]["status"], "healthy");

    let (code, report) = w.drift("fed.orc", &["live.json"]);
    assert_eq!(code, 2, "unknown is not in sync:\n{report:#}");
    assert_eq!(entry(&report, "s/box")["status"], "unknown");
    assert_eq!(entry(&report, "s/present")["status"], "in_sync");
    let o = w.orche_expect(
        &["plan", "fed.orc", "--live", "live.json", "--out", "json"],
        0,
        None,
    );
    let plan = parse(&o.stdout, "orche plan --out json");
    assert!(
        plan["steps"].as_array().is_some_and(Vec::is_empty),
        "nothing is planned for an unknown resource:\n{plan:#}"
    );
    assert!(
        plan["not_planned"].as_array().is_some_and(|a| a
            .iter()
            .any(|e| e["resource"] == "s/box" && e["status"] == "unknown")),
        "{plan:#}"
    );

    // The client is there but no daemon answers: unknown too, with docker's own reason.
    if services::which("docker").is_some() {
        w.path = None;
        let nowhere = format!("unix://{}", w.at("no-docker.sock"));
        let o = w.sh("probe.sh", &[], &[("DOCKER_HOST", &nowhere)], PROBE_TIMEOUT);
        assert_eq!(exit(&o), 0, "{}", show(&o));
        let live = parse(&o.stdout, "the probe's output without a daemon");
        let bx = &live["resources"]["s/box"];
        assert_eq!(bx["status"], "unknown", "{live:#}");
        assert!(
            bx["error"].as_str().is_some_and(|e| e.contains("docker")),
            "{bx:#}"
        );
        assert_eq!(live["resources"]["s/present"]["status"], "healthy");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Injection.
// ---------------------------------------------------------------------------------------------

#[test]
fn injection_runs_nothing() {
    // Docker is optional here: with it, the hostile image also reaches `docker run`.
    let docker = match Docker::ensure() {
        Ok(d) => Some(d),
        Err(e) => {
            assert!(
                !services::required(),
                "{} is set but {e}",
                services::REQUIRE_VAR
            );
            eprintln!("note: injection_runs_nothing: the docker part is skipped: {e}");
            None
        }
    };
    let token = services::unique_token();
    let w = Work::new("drift-e2e-inject", docker.clone());
    let marker = |n: &str| format!("/tmp/pwned{n}-{token}");
    // Every file an injected command would create: in /tmp, and relative ones in the folder
    // the scripts run in.
    let mut markers: Vec<PathBuf> = ["", "2", "3", "4", "5", "6", "7", "8", "9", "-fed", "-env"]
        .iter()
        .map(|n| PathBuf::from(marker(n)))
        .collect();
    markers.push(w.file(&format!("pwned-rel-{token}")));
    let _cleanup_markers = RemoveFiles(markers.clone());
    let fed_name = format!("inj-{token}'; touch {}; '", marker("-fed"));
    let _containers = docker
        .as_ref()
        .map(|d| d.cleanup_on_drop(&format!("orche.federation={fed_name}")));

    let name = format!("x'; touch {}; '", marker(""));
    let path = w.at(&format!("f\n$(touch pwned-rel-{token})"));
    let content = format!(
        "it's \"quoted\" \\back\\slash `touch {m4}` $(touch {m5}) ${{IFS}}\nline two\u{1}\u{2}\u{1b}[31m\u{7f}\ttab é 😀 end\n",
        m4 = marker("4"),
        m5 = marker("5"),
    );
    let echoed = format!(
        "$(touch {}) `touch {}` ' \" \\ end",
        marker("6"),
        marker("7")
    );
    let closed_port = services::free_port();
    let url = format!(
        "http://127.0.0.1:{closed_port}/$(touch {})?q='\"",
        marker("8")
    );
    let docker_part = if docker.is_some() {
        format!(
            "img: {{kind: \"docker\", container: {c}, image: {img}, network: \"none\", env: {{{k}: {v}}}}}",
            c = orc(&format!("inj-{token}-img")),
            img = orc(&format!("$(touch {})", marker("2"))),
            k = orc(&format!("A$(touch {})", marker("-env"))),
            v = orc(&format!("`touch {}`", marker("-env"))),
        )
    } else {
        String::new()
    };
    let fed = format!(
        r#"package e2e

import "orche/federation"

federation.#Federation & {{
	name: {fed}
	sites: s: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			{name}: {{kind: "file", path: {path}, content: {content}, mode: "600"}}
			echo: {{kind: "command", command: ["echo", {echoed}], expect_output: {echoed}}}
			web: {{
				kind: "http", url: {url}, body: {body}
				health: {{timeout: 2, retries: 0}}
				actions: create: ["true", {a1}, {a2}]
			}}
			{docker_part}
		}}
	}}
}}
"#,
        fed = orc(&fed_name),
        name = orc(&name),
        path = orc(&path),
        content = orc(&content),
        echoed = orc(&echoed),
        url = orc(&url),
        body = orc(&format!("$(touch {})", marker("9"))),
        a1 = orc(&format!("$(touch {})", marker("3"))),
        a2 = orc(&format!("`touch {}`; touch {}", marker("3"), marker("3"))),
    );
    w.write("inj.orc", &fed);
    let none_ran = |when: &str| {
        let found: Vec<&PathBuf> = markers.iter().filter(|m| m.exists()).collect();
        assert!(
            found.is_empty(),
            "{when}: an injected command ran: {found:?}"
        );
    };
    let key = format!("s/{name}");

    // The probe.
    w.orche_expect(&["export", "--probes", "inj.orc"], 0, Some("probe.sh"));
    shellcheck(&w.file("probe.sh"));
    let o = w.orche_expect(&["export", "--probes", "inj.orc", "--out", "json"], 0, None);
    parse(&o.stdout, "orche export --probes --out json");
    let live = w.probe("probe.sh", "live.json");
    none_ran("probe");
    assert_eq!(
        live["federation"],
        fed_name.as_str(),
        "the name round-trips"
    );
    assert_eq!(live["resources"][&key]["status"], "missing", "{live:#}");
    assert_eq!(
        live["resources"]["s/echo"]["observed"]["output"],
        echoed.as_str(),
        "the observed output round-trips:\n{live:#}"
    );
    let (_, report) = w.drift("inj.orc", &["live.json"]);
    assert_eq!(entry(&report, "s/echo")["status"], "in_sync", "{report:#}");
    assert_eq!(entry(&report, &key)["status"], "missing", "{report:#}");

    // The plan: dry run, then apply.
    let plan = w.plan("inj.orc", "live.json", "fix.sh");
    assert!(steps(&plan).contains_key(&key), "{plan:#}");
    let dry = w.sh("fix.sh", &[], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&dry), 0, "{}", show(&dry));
    none_ran("plan dry run");
    assert!(!w.file(&format!("f\n$(touch pwned-rel-{token})")).exists());
    let applied = w.sh("fix.sh", &["--apply", "--destroy"], &[], APPLY_TIMEOUT);
    none_ran("plan --apply");
    // web's health cannot pass (nothing listens) and the image cannot exist: the apply fails,
    // but the file step succeeds.
    assert_eq!(exit(&applied), 1, "{}", show(&applied));
    let rec = recap(&stdout(&applied));
    assert!(
        rec.iter()
            .any(|(r, s)| r == "changed" && s.starts_with(&format!("create {key}"))),
        "{rec:?}\n{}",
        show(&applied)
    );
    let written = std::fs::read(&path).expect("the hostile path was written");
    assert_eq!(
        written,
        content.as_bytes(),
        "the content is written byte for byte"
    );
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // Probed again: the file is in sync, by its digest.
    let live = w.probe("probe.sh", "live2.json");
    none_ran("second probe");
    {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(content.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            live["resources"][&key]["observed"]["sha256"],
            hex.as_str(),
            "{live:#}"
        );
    }
    let (_, report) = w.drift("inj.orc", &["live2.json"]);
    assert_eq!(entry(&report, &key)["status"], "in_sync", "{report:#}");
    // A second plan and its apply touch nothing hostile either.
    w.plan("inj.orc", "live2.json", "fix2.sh");
    let dry = w.sh("fix2.sh", &[], &[], APPLY_TIMEOUT);
    assert_eq!(exit(&dry), 0, "{}", show(&dry));
    let _ = w.sh("fix2.sh", &["--apply"], &[], APPLY_TIMEOUT);
    none_ran("second plan");
    assert_eq!(std::fs::read(&path).expect("file"), content.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// 4. Hostile command output.
// ---------------------------------------------------------------------------------------------

#[test]
fn probe_output_is_valid_json_for_hostile_output() {
    let w = Work::new("drift-e2e-output", None);
    // printf's format: quotes, backslash, newline, tab, CR, NUL, SOH, ESC, DEL, UTF-8, then
    // invalid UTF-8 (0xff 0xfe, a lone continuation byte), and trailing newlines. The declared
    // `expect_output` (which makes the probe observe `output`) cannot hold those bytes, so the
    // check may well find the resource unhealthy: what is proved is what it observes.
    let format = "q\"uote' back\\\\slash nl\\n tab\\t cr\\r nul\\000 ctl\\001\\033[0m\\177 é 😀 bad\\377\\376 lone\\200 end\\n\\n";
    let expected = "q\"uote' back\\slash nl\n tab\t cr\r nul\0 ctl\u{1}\u{1b}[0m\u{7f} é 😀 bad\u{fffd}\u{fffd} lone\u{fffd} end";
    let fed = format!(
        r#"package e2e

import "orche/federation"

federation.#Federation & {{
	name: {fed}
	sites: s: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			out: {{
				kind: "command", command: ["printf", {format}], expect_output: {declared}
				health: {{timeout: 5, retries: 0}}
			}}
		}}
	}}
}}
"#,
        fed = orc(&format!("output-{}", services::unique_token())),
        format = orc(format),
        declared = orc(&expected.replace('\0', "")),
    );
    w.write("fed.orc", &fed);
    w.orche_expect(&["export", "--probes", "fed.orc"], 0, Some("probe.sh"));
    shellcheck(&w.file("probe.sh"));
    let live = w.probe("probe.sh", "live.json");
    let out = &live["resources"]["s/out"];
    assert_eq!(out["exists"], true, "{live:#}");
    assert!(
        out["status"] == "healthy" || out["status"] == "unhealthy",
        "the command was run and judged:\n{live:#}"
    );
    let observed = out["observed"]["output"].as_str().expect("output observed");
    assert_eq!(observed, expected, "observed {observed:?}");
    // The report, which quotes the probe's error (the output it saw), is valid JSON too.
    w.drift("fed.orc", &["live.json"]);
}

// ---------------------------------------------------------------------------------------------
// 5. Many probes at once.
// ---------------------------------------------------------------------------------------------

#[test]
fn parallel_probes_are_bounded_and_fast() {
    if !services::require_tools(&["busybox", "curl"]) {
        return;
    }
    let w = Work::new("drift-e2e-parallel", None);
    let www = w.file("www");
    std::fs::create_dir(&www).expect("www");
    const N: usize = 200;
    for i in 0..N {
        std::fs::write(www.join(format!("p{i}.txt")), format!("page {i}\n")).expect("page");
    }
    let Some(server) = services::require(HttpServer::start(&www)) else {
        return;
    };
    let mut resources = String::new();
    for i in 0..N {
        let _ = writeln!(
            resources,
            "\t\t\tr{i}: {{kind: \"http\", url: {}}}",
            orc(&server.url(&format!("p{i}.txt")))
        );
    }
    let fed = one_site(
        &format!("parallel-{}", services::unique_token()),
        &format!("\n{resources}\t\t"),
    );
    w.write("fed.orc", &fed);
    w.orche_expect(&["export", "--probes", "fed.orc"], 0, Some("probe.sh"));
    shellcheck(&w.file("probe.sh"));
    let t = Instant::now();
    let live = w.probe("probe.sh", "live.json");
    let elapsed = t.elapsed();
    eprintln!("probe of {N} local HTTP endpoints (ORCHE_JOBS default): {elapsed:.2?}");
    let resources = live["resources"].as_object().expect("resources");
    assert_eq!(resources.len(), N);
    let unhealthy: Vec<&String> = resources
        .iter()
        .filter(|(_, r)| r["status"] != "healthy" || r["observed"]["status"] != 200)
        .map(|(k, _)| k)
        .collect();
    assert!(unhealthy.is_empty(), "not healthy: {unhealthy:?}\n{live:#}");
    assert!(
        elapsed < Duration::from_secs(30),
        "{N} probes took {elapsed:?} (sanity bound 30 s)"
    );
    let (code, _) = w.drift("fed.orc", &["live.json"]);
    assert_eq!(code, 0);
}

/// A federation with no resources, and one whose resources orche cannot act on, still give
/// scripts that pass shellcheck and run; a step for an unhealthy resource without an update
/// action is skipped (exit 2), not taken for done because its fields match.
#[test]
fn empty_and_unactionable_plans() {
    let w = Work::new("drift-e2e-edges", None);
    let token = services::unique_token();
    let fed = |name: &str, resources: &str| one_site(&format!("{name}-{token}"), resources);
    // Nothing declared: an empty document, no drift, a plan with no step.
    w.write("empty.orc", &fed("empty", ""));
    w.orche_expect(&["export", "--probes", "empty.orc"], 0, Some("empty.sh"));
    shellcheck(&w.file("empty.sh"));
    let live = w.probe("empty.sh", "empty.json");
    assert_eq!(live["resources"], serde_json::json!({}), "{live:#}");
    let (code, _) = w.drift("empty.orc", &["empty.json"]);
    assert_eq!(code, 0);
    w.orche_expect(
        &["plan", "empty.orc", "--live", "empty.json", "--out", "sh"],
        0,
        Some("empty-fix.sh"),
    );
    shellcheck(&w.file("empty-fix.sh"));
    let applied = w.sh("empty-fix.sh", &["--apply"], &[], Duration::from_secs(60));
    assert_eq!(exit(&applied), 0, "{}", show(&applied));

    // A failing check (unhealthy) and a process orche cannot start (missing).
    w.write(
        "stuck.orc",
        &fed(
            "stuck",
            r#"
			check: {kind: "command", command: ["false"], health: {timeout: 5, retries: 0}}
			worker: {kind: "process", process: "orche-no-such-worker-[0-9]", health: {timeout: 5, retries: 0}}
"#,
        ),
    );
    w.orche_expect(&["export", "--probes", "stuck.orc"], 0, Some("stuck.sh"));
    shellcheck(&w.file("stuck.sh"));
    w.probe("stuck.sh", "stuck.json");
    w.orche_expect(
        &["plan", "stuck.orc", "--live", "stuck.json", "--out", "sh"],
        0,
        Some("stuck-fix.sh"),
    );
    shellcheck(&w.file("stuck-fix.sh"));
    let applied = w.sh("stuck-fix.sh", &["--apply"], &[], Duration::from_secs(60));
    assert_eq!(exit(&applied), 2, "{}", show(&applied));
    let rec = recap(&stdout(&applied));
    let results: Vec<&str> = rec.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(results, ["skipped", "skipped"], "{}", show(&applied));
}
