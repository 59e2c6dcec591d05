//! The `systemd` kind of orche/actions, end to end, against a `systemctl` stand-in. systemd
//! cannot run on the test machines (it is not PID 1 there), so
//! tests/support/systemctl-standin.sh, copied as `systemctl` into a folder put first on PATH,
//! answers the calls the kind makes (`show --property=LoadState --value`, `is-active`,
//! `is-enabled`, `start`, `stop`, `enable`, `disable`, each `-- UNIT`) with what systemd 252
//! (Debian 12) prints on stdout and stderr and its exit statuses, and keeps the units' state in
//! a file of the test's folder. The built `orche` writes the probe and plan scripts; the tests
//! run them with `sh`, as a user would.
//!
//! What is proved:
//! - `loop_against_the_standin`: three units (one declared active and enabled that is installed
//!   but inactive and disabled, one declared `active: false, enabled: false` that is so, one not
//!   installed) are probed as unhealthy, healthy and missing (valid JSON); `orche drift` exits 2
//!   with exactly `active` and `enabled` changed on the first and the third missing; the plan
//!   updates the first with `systemctl start` then `systemctl enable`, and has a step for the
//!   third that says it cannot be created (no command, no create action); the plan script
//!   passes shellcheck; its dry run changes nothing; `--apply` runs exactly that start and that
//!   enable, skips the step of the missing unit and exits 2; probed again, the first two are in
//!   sync; applied again, nothing changes. The probes make only read-only calls
//!   (`show`/`is-active`/`is-enabled`), never touch a unit nobody declares, and call nothing
//!   but `show` for a unit that is not installed.
//! - `stop_disable_and_a_failed_unit`: the `false` commands (`stop`, `disable`), a unit name
//!   without a suffix (systemctl appends `.service`), a `failed` unit (`is-active` prints
//!   `failed`, exit 3) started again, and per-field commands chosen independently (a unit whose
//!   only difference is `enabled` is only disabled); after the apply, drift exits 0.
//! - `golden_scripts_run_against_the_standin`: the probe and plan scripts recorded in
//!   testdata/state/scripts/systemd_*_sh.txtar (as the golden runner compares them with
//!   orche's output) pass shellcheck and do what their headers say: the probe reports the
//!   inactive, disabled unit unhealthy with read-only calls; the plan's dry run changes nothing,
//!   its `--apply` starts and enables the unit (exit 0), and the unit is then probed healthy.
//! - `standin_replays_systemd_252`: the stand-in prints exactly the transcripts it documents,
//!   and an unexpected call (another verb, an option orche does not use, a missing `--`) fails
//!   with exit 1 and is logged, so that such a call from orche fails the tests loudly.
//! - `standin_agrees_with_offline_systemctl`: where a systemctl 252 binary is installed, its
//!   offline mode (`systemctl --root=DIR`, no running manager needed) prints the same
//!   `is-enabled`, `enable` and `disable` transcripts as the stand-in; skipped otherwise.
//!
//! Not proved here: that a running systemd answers `show`, `is-active`, `start` and `stop` as the
//! stand-in does; those transcripts follow systemd 252's documented behaviour and were not
//! recorded on these machines (see the stand-in's header).
//!
//! Invariants: every test works in its own temporary folder, which is also the scripts'
//! `TMPDIR` (so the apply lock is the test's own), and its stand-in reads and writes only the
//! state and log files there; a real `systemctl` is only ever run with `--root` inside that
//! folder, never against a running manager; every command runs with a deadline; every emitted
//! script and the stand-in pass shellcheck (skipped when shellcheck is not installed, unless
//! `ORCHE_REQUIRE_DOCKER` or `ORCHE_REQUIRE_SHELLCHECK` is set).

#[allow(dead_code)]
#[path = "support/outputs.rs"]
mod outputs;
#[allow(dead_code)]
#[path = "support/services.rs"]
mod services;
#[allow(dead_code)]
#[path = "support/txtar.rs"]
mod txtar;

use outputs::*;
use serde_json::{json, Value};
use services::{run_with_timeout, TempDir};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

/// The stand-in, embedded so that the test does not depend on where it runs from.
const STANDIN: &str = include_str!("support/systemctl-standin.sh");

/// One `orche` call.
const ORCHE_TIMEOUT: Duration = Duration::from_secs(60);
/// One run of a probe or plan script (health checks awaited with retries included).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);
/// One call of the stand-in or of a real systemctl.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The calls a probe may make: the read-only ones, each followed by the unit.
const READ_ONLY: [&str; 3] = [
    "show --property=LoadState --value -- ",
    "is-active -- ",
    "is-enabled -- ",
];

/// The calls that change a unit, each followed by `-- UNIT`.
const MUTATING: [&str; 4] = ["start", "stop", "enable", "disable"];

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// A test's folder: `bin/systemctl` (the stand-in), its `state` and `log`, and the files the
/// loop writes.
struct Rig {
    dir: TempDir,
    /// `PATH` for the scripts: `bin` first.
    path: OsString,
}

impl Rig {
    fn new(prefix: &str, units: &[(&str, &str, &str)]) -> Rig {
        let dir = TempDir::new(prefix).expect("temporary folder");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("bin");
        let systemctl = bin.join("systemctl");
        std::fs::write(&systemctl, STANDIN).expect("writing the stand-in");
        std::fs::set_permissions(&systemctl, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the stand-in");
        let mut dirs = vec![bin];
        if let Some(p) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&p));
        }
        let rig = Rig {
            dir,
            path: std::env::join_paths(dirs).expect("PATH"),
        };
        rig.set_state(units);
        std::fs::write(rig.file("log"), "").expect("log");
        // The scripts must find the stand-in, not a real systemctl that may be installed.
        let o = rig.sh_c("command -v systemctl");
        assert_eq!(
            stdout(&o).trim(),
            rig.file("bin/systemctl").to_string_lossy(),
            "the stand-in comes first on PATH\n{}",
            show(&o)
        );
        rig
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn write(&self, name: &str, text: &str) {
        let p = self.file(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
    }

    /// Writes the stand-in's state: (unit, active, enabled) per installed unit.
    fn set_state(&self, units: &[(&str, &str, &str)]) {
        let text: String = units
            .iter()
            .map(|(u, a, e)| format!("{u} {a} {e}\n"))
            .collect();
        self.write("state", &text);
    }

    /// The stand-in's state, by unit: (active, enabled).
    fn state(&self) -> BTreeMap<String, (String, String)> {
        let text = std::fs::read_to_string(self.file("state")).expect("the state file");
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                assert_eq!(f.len(), 3, "a state line is `UNIT ACTIVE ENABLED`: {l:?}");
                (f[0].to_string(), (f[1].to_string(), f[2].to_string()))
            })
            .collect()
    }

    fn state_bytes(&self) -> Vec<u8> {
        std::fs::read(self.file("state")).expect("the state file")
    }

    /// The calls the stand-in received since the last `take_calls`, in order; empties the log.
    fn take_calls(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.file("log")).expect("the stand-in's log");
        std::fs::write(self.file("log"), "").expect("emptying the log");
        text.lines().map(str::to_string).collect()
    }

    /// Sets the environment of a child that may call the stand-in.
    fn configure<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.current_dir(self.path())
            .env("PATH", &self.path)
            .env("TMPDIR", self.path())
            .env("NO_COLOR", "1")
            .env("ORCHE_STANDIN_STATE", self.file("state"))
            .env("ORCHE_STANDIN_LOG", self.file("log"))
    }

    /// `orche ARGS…` in the folder.
    fn orche(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(ORCHE);
        cmd.args(args);
        self.configure(&mut cmd);
        run_with_timeout(&mut cmd, ORCHE_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `orche ARGS…`, which must exit with `code`; its stdout is written to `out` when given.
    fn orche_expect(&self, args: &[&str], code: i32, out: Option<&str>) -> Output {
        let o = self.orche(args);
        expect_orche(&o, args, code, out.map(|n| self.file(n)).as_deref());
        o
    }

    /// `sh SCRIPT ARGS…` in the folder, with the stand-in first on PATH.
    fn sh(&self, script: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(sh());
        cmd.arg(script).args(args);
        self.configure(&mut cmd);
        let t = Instant::now();
        let o = run_with_timeout(&mut cmd, SCRIPT_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "  sh {script} {}: exit {} in {:.2?}",
            args.join(" "),
            exit(&o),
            t.elapsed()
        );
        o
    }

    /// `sh -c TEXT` in the folder, with the stand-in first on PATH.
    fn sh_c(&self, text: &str) -> Output {
        let mut cmd = Command::new(sh());
        cmd.arg("-c").arg(text);
        self.configure(&mut cmd);
        run_with_timeout(&mut cmd, CALL_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `systemctl ARGS…` (the stand-in), called directly.
    fn systemctl(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(self.file("bin/systemctl"));
        cmd.args(args);
        self.configure(&mut cmd);
        run_with_timeout(&mut cmd, CALL_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs a probe script, which must exit 0 and leave the units as they were, and make only
    /// read-only calls; writes its output to `out` and returns it parsed, with the calls.
    fn probe(&self, script: &str, out: &str) -> (Value, Vec<String>) {
        self.take_calls();
        let before = self.state_bytes();
        let o = self.sh(script, &[]);
        assert_eq!(exit(&o), 0, "sh {script}\n{}", show(&o));
        std::fs::write(self.file(out), &o.stdout).expect("writing the live state");
        let live = parse(&o.stdout, &format!("the output of sh {script}"));
        let calls = self.take_calls();
        assert_read_only(&calls, "the probe");
        assert_eq!(
            self.state_bytes(),
            before,
            "the probe changed the stand-in's state"
        );
        (live, calls)
    }

    /// `orche drift FED --live LIVE --out json`: exit status and report; the text report must
    /// exit the same.
    fn drift(&self, fed: &str, live: &str) -> (i32, Value) {
        let o = self.orche(&["drift", fed, "--live", live, "--out", "json"]);
        let code = exit(&o);
        assert!(
            code == 0 || code == 2,
            "orche drift {fed} --live {live} failed\n{}",
            show(&o)
        );
        let text = self.orche(&["drift", fed, "--live", live]);
        assert_eq!(exit(&text), code, "drift --out text\n{}", show(&text));
        (code, parse(&o.stdout, "orche drift --out json"))
    }

    /// `orche plan FED --live LIVE --out json`, parsed; and `--out sh` written to `script`,
    /// which must pass shellcheck.
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
}

fn sh() -> PathBuf {
    services::which("sh").unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

/// Every call is one of the read-only ones (and none was unexpected).
fn assert_read_only(calls: &[String], what: &str) {
    let bad: Vec<&String> = calls
        .iter()
        .filter(|c| !READ_ONLY.iter().any(|p| c.starts_with(p)))
        .collect();
    assert!(
        bad.is_empty(),
        "{what} made calls that are not read-only: {bad:?}\n(all calls: {calls:?})"
    );
}

/// The calls that change a unit, in order.
fn mutating(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| {
            c.split_whitespace()
                .next()
                .is_some_and(|v| MUTATING.contains(&v))
        })
        .cloned()
        .collect()
}

/// No call was outside the stand-in's repertoire.
fn assert_none_unexpected(calls: &[String], what: &str) {
    let bad: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("UNEXPECTED"))
        .collect();
    assert!(bad.is_empty(), "{what} made unexpected calls: {bad:?}");
}

/// The unit a call names (its last word).
fn unit_of(call: &str) -> &str {
    call.rsplit(' ').next().unwrap_or("")
}

fn expect_drift(items: &[(&str, &str, &[&str])]) -> BTreeMap<String, (String, Vec<String>)> {
    items
        .iter()
        .map(|(k, s, f)| {
            (
                k.to_string(),
                (s.to_string(), f.iter().map(|x| x.to_string()).collect()),
            )
        })
        .collect()
}

/// `systemctl VERB -- UNIT` as a plan's argv.
fn argv(verb: &str, unit: &str) -> Value {
    json!(["systemctl", verb, "--", unit])
}

fn units(state: &[(&str, &str, &str)]) -> BTreeMap<String, (String, String)> {
    state
        .iter()
        .map(|(u, a, e)| (u.to_string(), (a.to_string(), e.to_string())))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. The loop: probe, drift, plan, dry run, apply, probe.
// ---------------------------------------------------------------------------------------------

fn loop_federation(name: &str) -> String {
    format!(
        r#"package units

import "orche/federation"

federation.#Federation & {{
	name: "{name}"
	sites: host: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			// Declared active (the default) and enabled; installed, but inactive and disabled.
			web: {{
				kind: "systemd"
				unit: "web.service"
				enabled: true
				health: {{timeout: 10, retries: 1, base_delay: 1}}
			}}
			// Declared stopped and disabled, and so it is.
			legacy: {{kind: "systemd", unit: "legacy.service", active: false, enabled: false}}
			// Not installed: orche does not write unit files.
			ghost: {{
				kind: "systemd"
				unit: "ghost.service"
				depends_on: web: true
				health: {{timeout: 10, retries: 1, base_delay: 1}}
			}}
		}}
	}}
}}
"#
    )
}

#[test]
fn loop_against_the_standin() {
    let started = Instant::now();
    let initial = [
        // Installed, not declared: no configuration mentions it, so nothing may touch it.
        ("ssh.service", "active", "enabled"),
        ("web.service", "inactive", "disabled"),
        ("legacy.service", "inactive", "disabled"),
    ];
    let w = Rig::new("systemd-loop", &initial);
    let fed = format!("sd-{}", services::unique_token());
    w.write("fed.orc", &loop_federation(&fed));
    let declared: BTreeSet<&str> = ["web.service", "legacy.service", "ghost.service"].into();

    // Probe: valid JSON, one entry per declared unit, read-only calls only.
    w.orche_expect(&["export", "--probes", "fed.orc"], 0, Some("probe.sh"));
    shellcheck(&w.file("probe.sh"));
    let (live, calls) = w.probe("probe.sh", "live0.json");
    assert_eq!(live["format_version"], 1);
    assert_eq!(live["federation"], fed.as_str());
    assert_eq!(live["sites"], json!(["host"]));
    let keys: Vec<&str> = live["resources"]
        .as_object()
        .expect("live resources")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["host/web", "host/legacy", "host/ghost"], "{live:#}");
    let r = &live["resources"];
    assert_eq!(r["host/web"]["kind"], "systemd");
    assert_eq!(r["host/web"]["exists"], true, "{live:#}");
    assert_eq!(r["host/web"]["status"], "unhealthy", "{live:#}");
    assert_eq!(
        r["host/web"]["observed"],
        json!({"active": false, "enabled": false}),
        "{live:#}"
    );
    assert!(
        r["host/web"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("systemctl")),
        "an unhealthy unit says why:\n{live:#}"
    );
    assert_eq!(r["host/legacy"]["exists"], true, "{live:#}");
    assert_eq!(r["host/legacy"]["status"], "healthy", "{live:#}");
    assert_eq!(
        r["host/legacy"]["observed"],
        json!({"active": false, "enabled": false}),
        "{live:#}"
    );
    assert_eq!(r["host/ghost"]["exists"], false, "{live:#}");
    assert_eq!(r["host/ghost"]["status"], "missing", "{live:#}");
    assert_eq!(r["host/ghost"]["observed"], json!({}), "{live:#}");
    // Exactly these calls (retries may repeat `is-active -- web.service`): the missing unit
    // gets only `show`, the unit nobody declares none.
    let distinct: BTreeSet<&str> = calls.iter().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "show --property=LoadState --value -- web.service",
        "show --property=LoadState --value -- legacy.service",
        "show --property=LoadState --value -- ghost.service",
        "is-active -- web.service",
        "is-active -- legacy.service",
        "is-enabled -- web.service",
        "is-enabled -- legacy.service",
    ]
    .into();
    assert_eq!(distinct, expected, "the probe's calls: {calls:?}");
    for c in &calls {
        assert!(declared.contains(unit_of(c)), "{c}");
    }

    // Drift: the first unit changed (active, enabled), the second in sync, the third missing.
    let (code, report) = w.drift("fed.orc", "live0.json");
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(
        drifted(&report),
        expect_drift(&[
            ("host/web", "changed", &["active", "enabled"]),
            ("host/ghost", "missing", &[]),
        ]),
        "{report:#}"
    );
    assert_eq!(entry(&report, "host/legacy")["status"], "in_sync");
    for change in entry(&report, "host/web")["changes"]
        .as_array()
        .expect("changes")
    {
        assert_eq!(change["declared"], true, "{change}");
        assert_eq!(change["live"], false, "{change}");
    }
    assert_eq!(
        report["summary"],
        json!({"in_sync": 1, "missing": 1, "changed": 1, "unhealthy": 0, "extra": 0, "unknown": 0})
    );

    // Plan: start and enable the first unit; the third cannot be created.
    let plan = w.plan("fed.orc", "live0.json", "fix.sh");
    let by = steps(&plan);
    assert_eq!(
        by.keys().map(String::as_str).collect::<Vec<_>>(),
        ["host/ghost", "host/web"],
        "{plan:#}"
    );
    let web = &by["host/web"];
    assert_eq!(web["action"], "update", "{web:#}");
    assert_eq!(web["kind"], "systemd");
    assert_eq!(web["wave"], 1);
    assert_eq!(
        web["argv"],
        json!([argv("start", "web.service"), argv("enable", "web.service")]),
        "{web:#}"
    );
    assert_eq!(web["reason"], json!(["active", "enabled"]));
    assert_eq!(web["destructive"], false);
    assert!(web.get("missing_action").is_none(), "{web:#}");
    let ghost = &by["host/ghost"];
    assert_eq!(ghost["action"], "create", "{ghost:#}");
    assert_eq!(ghost["argv"], json!([]), "no command for a missing unit");
    assert_eq!(
        ghost["missing_action"], "no create action declared for kind systemd",
        "{ghost:#}"
    );
    assert_eq!(ghost["reason"], json!(["missing"]));
    assert_eq!(ghost["waits_on"], json!(["host/web"]));
    assert_eq!(ghost["wave"], 2);
    assert_eq!(plan["not_planned"], json!([]));
    assert_eq!(
        plan["summary"],
        json!({"create": 1, "update": 1, "replace": 0, "remove": 0})
    );

    // Dry run: prints the steps, calls nothing that changes a unit, changes nothing.
    let before = w.state_bytes();
    w.take_calls();
    let dry = w.sh("fix.sh", &[]);
    assert_eq!(exit(&dry), 0, "{}", show(&dry));
    let out = stdout(&dry);
    assert!(out.contains("nothing is changed"), "{out}");
    assert!(
        out.contains("would run: 'systemctl' 'start' '--' 'web.service'")
            && out.contains("would run: 'systemctl' 'enable' '--' 'web.service'"),
        "{out}"
    );
    assert!(
        out.contains("create host/ghost (systemd): missing")
            && out.contains("no create action declared for kind systemd"),
        "{out}"
    );
    let calls = w.take_calls();
    assert_read_only(&calls, "the dry run");
    assert_eq!(w.state_bytes(), before, "the dry run changed the state");

    // Apply: start, then enable the first unit; the third's step is skipped: exit 2.
    let applied = w.sh("fix.sh", &["--apply"]);
    assert_eq!(exit(&applied), 2, "apply:\n{}", show(&applied));
    assert_eq!(
        recap(&stdout(&applied)),
        [
            ("changed".to_string(), "update host/web".to_string()),
            (
                "skipped".to_string(),
                "create host/ghost: no create action declared for kind systemd".to_string()
            ),
        ],
        "{}",
        show(&applied)
    );
    let calls = w.take_calls();
    assert_none_unexpected(&calls, "the apply");
    assert_eq!(
        mutating(&calls),
        ["start -- web.service", "enable -- web.service"],
        "the apply's calls: {calls:?}"
    );
    assert_eq!(
        w.state(),
        units(&[
            ("ssh.service", "active", "enabled"),
            ("web.service", "active", "enabled"),
            ("legacy.service", "inactive", "disabled"),
        ]),
        "the stand-in's state after the apply"
    );

    // Probe again: the first two are in sync, the third is still missing.
    let (live, _) = w.probe("probe.sh", "live1.json");
    let r = &live["resources"];
    assert_eq!(r["host/web"]["status"], "healthy", "{live:#}");
    assert_eq!(
        r["host/web"]["observed"],
        json!({"active": true, "enabled": true})
    );
    assert_eq!(r["host/legacy"]["status"], "healthy", "{live:#}");
    assert_eq!(r["host/ghost"]["status"], "missing", "{live:#}");
    let (code, report) = w.drift("fed.orc", "live1.json");
    assert_eq!(code, 2, "the missing unit is still drift:\n{report:#}");
    assert_eq!(
        drifted(&report),
        expect_drift(&[("host/ghost", "missing", &[])]),
        "{report:#}"
    );
    assert_eq!(entry(&report, "host/web")["status"], "in_sync");
    assert_eq!(entry(&report, "host/legacy")["status"], "in_sync");

    // The same plan again: the update is already done, nothing changes.
    let before = w.state_bytes();
    let again = w.sh("fix.sh", &["--apply"]);
    assert_eq!(exit(&again), 2, "{}", show(&again));
    let rec = recap(&stdout(&again));
    assert_eq!(rec[0].0, "ok", "{rec:?}");
    assert_eq!(rec[1].0, "skipped", "{rec:?}");
    let calls = w.take_calls();
    assert_read_only(&calls, "a second apply of the same plan");
    assert_eq!(w.state_bytes(), before);
    eprintln!("systemd loop: {:.1?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// 2. Stop, disable, a failed unit, a name without a suffix.
// ---------------------------------------------------------------------------------------------

#[test]
fn stop_disable_and_a_failed_unit() {
    let w = Rig::new(
        "systemd-stop",
        &[
            ("old.service", "active", "enabled"),
            ("crashed.service", "failed", "enabled"),
            ("half.service", "active", "enabled"),
        ],
    );
    let fed = format!("sd-{}", services::unique_token());
    w.write(
        "fed.orc",
        &format!(
            r#"package units

import "orche/federation"

federation.#Federation & {{
	name: "{fed}"
	sites: host: {{
		tier: "core"
		network: {{prefix: "127.0.0.0/8", dns: []}}
		resources: {{
			// A name without a suffix: systemctl reads it as old.service.
			old: {{kind: "systemd", unit: "old", active: false, enabled: false}}
			crashed: {{
				kind: "systemd"
				unit: "crashed.service"
				enabled: true
				health: {{timeout: 10, retries: 1, base_delay: 1}}
			}}
			half: {{kind: "systemd", unit: "half.service", enabled: false}}
		}}
	}}
}}
"#
        ),
    );
    w.orche_expect(&["export", "--probes", "fed.orc"], 0, Some("probe.sh"));
    shellcheck(&w.file("probe.sh"));
    let (live, _) = w.probe("probe.sh", "live0.json");
    let r = &live["resources"];
    assert_eq!(r["host/old"]["status"], "healthy", "{live:#}");
    assert_eq!(
        r["host/old"]["observed"],
        json!({"active": true, "enabled": true})
    );
    assert_eq!(r["host/crashed"]["status"], "unhealthy", "{live:#}");
    assert_eq!(
        r["host/crashed"]["observed"],
        json!({"active": false, "enabled": true}),
        "`failed` is not active"
    );
    assert_eq!(r["host/half"]["status"], "healthy", "{live:#}");

    let (code, report) = w.drift("fed.orc", "live0.json");
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(
        drifted(&report),
        expect_drift(&[
            ("host/old", "changed", &["active", "enabled"]),
            ("host/crashed", "changed", &["active"]),
            ("host/half", "changed", &["enabled"]),
        ]),
        "{report:#}"
    );

    let plan = w.plan("fed.orc", "live0.json", "fix.sh");
    let by = steps(&plan);
    assert_eq!(by.len(), 3, "{plan:#}");
    assert_eq!(
        by["host/old"]["argv"],
        json!([argv("stop", "old"), argv("disable", "old")])
    );
    assert_eq!(
        by["host/crashed"]["argv"],
        json!([argv("start", "crashed.service")])
    );
    assert_eq!(
        by["host/half"]["argv"],
        json!([argv("disable", "half.service")])
    );
    for s in by.values() {
        assert_eq!(s["action"], "update", "{s:#}");
        assert_eq!(s["wave"], 1, "{s:#}");
        assert_eq!(s["destructive"], false, "{s:#}");
    }

    let before = w.state_bytes();
    w.take_calls();
    let dry = w.sh("fix.sh", &[]);
    assert_eq!(exit(&dry), 0, "{}", show(&dry));
    assert_read_only(&w.take_calls(), "the dry run");
    assert_eq!(w.state_bytes(), before);

    let applied = w.sh("fix.sh", &["--apply"]);
    assert_eq!(exit(&applied), 0, "{}", show(&applied));
    let rec = recap(&stdout(&applied));
    assert_eq!(rec.len(), 3, "{}", show(&applied));
    assert!(rec.iter().all(|(r, _)| r == "changed"), "{rec:?}");
    let calls = w.take_calls();
    assert_none_unexpected(&calls, "the apply");
    let acts = mutating(&calls);
    // The steps of a wave run in parallel: the order across units is not fixed, within one
    // step it is.
    let sorted: BTreeSet<&str> = acts.iter().map(String::as_str).collect();
    assert_eq!(
        sorted,
        [
            "stop -- old",
            "disable -- old",
            "start -- crashed.service",
            "disable -- half.service"
        ]
        .into(),
        "{calls:?}"
    );
    assert_eq!(acts.len(), 4, "each command once: {calls:?}");
    let pos = |c: &str| acts.iter().position(|x| x == c);
    assert!(pos("stop -- old") < pos("disable -- old"), "{acts:?}");
    assert_eq!(
        w.state(),
        units(&[
            ("old.service", "inactive", "disabled"),
            ("crashed.service", "active", "enabled"),
            ("half.service", "active", "disabled"),
        ])
    );

    w.probe("probe.sh", "live1.json");
    let (code, report) = w.drift("fed.orc", "live1.json");
    assert_eq!(code, 0, "in sync after the apply:\n{report:#}");
}

// ---------------------------------------------------------------------------------------------
// 3. The scripts recorded by the golden cases.
// ---------------------------------------------------------------------------------------------

/// The `out/stdout` section of a golden case under testdata/state/scripts.
fn golden_script(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/state/scripts")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    txtar::parse(&text)
        .get("out/stdout")
        .unwrap_or_else(|| panic!("{} has no out/stdout section", path.display()))
        .to_string()
}

#[test]
fn golden_scripts_run_against_the_standin() {
    let w = Rig::new(
        "systemd-golden",
        &[("nginx.service", "inactive", "disabled")],
    );
    w.write("probe.sh", &golden_script("systemd_probe_sh.txtar"));
    w.write("fix.sh", &golden_script("systemd_plan_sh.txtar"));
    shellcheck(&w.file("probe.sh"));
    shellcheck(&w.file("fix.sh"));

    let (live, calls) = w.probe("probe.sh", "live0.json");
    let nginx = &live["resources"]["edge/nginx"];
    assert_eq!(live["federation"], "tiny", "{live:#}");
    assert_eq!(nginx["status"], "unhealthy", "{live:#}");
    assert_eq!(
        nginx["observed"],
        json!({"active": false, "enabled": false})
    );
    assert!(
        calls.iter().all(|c| unit_of(c) == "nginx.service"),
        "{calls:?}"
    );

    let before = w.state_bytes();
    let dry = w.sh("fix.sh", &[]);
    assert_eq!(exit(&dry), 0, "{}", show(&dry));
    assert_read_only(&w.take_calls(), "the dry run");
    assert_eq!(w.state_bytes(), before, "the dry run changed the state");

    let applied = w.sh("fix.sh", &["--apply"]);
    assert_eq!(exit(&applied), 0, "{}", show(&applied));
    assert_eq!(
        recap(&stdout(&applied)),
        [("changed".to_string(), "update edge/nginx".to_string())]
    );
    let calls = w.take_calls();
    assert_none_unexpected(&calls, "the apply");
    assert_eq!(
        mutating(&calls),
        ["start -- nginx.service", "enable -- nginx.service"],
        "{calls:?}"
    );
    assert_eq!(w.state(), units(&[("nginx.service", "active", "enabled")]));
    let (live, _) = w.probe("probe.sh", "live1.json");
    let nginx = &live["resources"]["edge/nginx"];
    assert_eq!(nginx["status"], "healthy", "{live:#}");
    assert_eq!(nginx["observed"], json!({"active": true, "enabled": true}));
}

// ---------------------------------------------------------------------------------------------
// 4. The stand-in itself.
// ---------------------------------------------------------------------------------------------

/// A call and what systemd 252 answers: (arguments, stdout, stderr, exit status).
type Transcript = (&'static [&'static str], &'static str, &'static str, i32);

/// The stand-in's transcripts, in order (some calls change the state the next ones see), from
/// the state `a.service active enabled`, `b.service inactive disabled`, `c.service failed
/// enabled`.
const TRANSCRIPTS: &[Transcript] = &[
    (&["show", "--property=LoadState", "--value", "--", "a.service"], "loaded\n", "", 0),
    (&["show", "--property=LoadState", "--value", "--", "nope.service"], "not-found\n", "", 0),
    (&["is-active", "--", "a.service"], "active\n", "", 0),
    (&["is-active", "--", "b.service"], "inactive\n", "", 3),
    (&["is-active", "--", "c.service"], "failed\n", "", 3),
    (&["is-active", "--", "nope.service"], "inactive\n", "", 3),
    (&["is-enabled", "--", "a.service"], "enabled\n", "", 0),
    (&["is-enabled", "--", "b.service"], "disabled\n", "", 1),
    (&["is-enabled", "--", "b"], "disabled\n", "", 1),
    (
        &["is-enabled", "--", "nope.service"],
        "",
        "Failed to get unit file state for nope.service: No such file or directory\n",
        1,
    ),
    (&["start", "--", "nope.service"], "", "Failed to start nope.service: Unit nope.service not found.\n", 5),
    (&["stop", "--", "nope.service"], "", "Failed to stop nope.service: Unit nope.service not loaded.\n", 5),
    (&["start", "--", "b.service"], "", "", 0),
    (&["is-active", "--", "b.service"], "active\n", "", 0),
    (&["start", "--", "b.service"], "", "", 0),
    (
        &["enable", "--", "b.service"],
        "",
        "Created symlink /etc/systemd/system/multi-user.target.wants/b.service \u{2192} /lib/systemd/system/b.service.\n",
        0,
    ),
    (&["enable", "--", "b.service"], "", "", 0),
    (&["is-enabled", "--", "b.service"], "enabled\n", "", 0),
    (
        &["disable", "--", "b.service"],
        "",
        "Removed \"/etc/systemd/system/multi-user.target.wants/b.service\".\n",
        0,
    ),
    (&["disable", "--", "b.service"], "", "", 0),
    (&["stop", "--", "b"], "", "", 0),
    (&["stop", "--", "b.service"], "", "", 0),
    (&["is-active", "--", "b.service"], "inactive\n", "", 3),
    (&["start", "--", "c.service"], "", "", 0),
    (&["is-active", "--", "c.service"], "active\n", "", 0),
];

#[test]
fn standin_replays_systemd_252() {
    shellcheck(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/systemctl-standin.sh"));
    let w = Rig::new(
        "systemd-standin",
        &[
            ("a.service", "active", "enabled"),
            ("b.service", "inactive", "disabled"),
            ("c.service", "failed", "enabled"),
        ],
    );
    w.take_calls();
    for (args, out, err, code) in TRANSCRIPTS {
        let o = w.systemctl(args);
        assert_eq!(
            (stdout(&o).as_str(), stderr(&o).as_str(), exit(&o)),
            (*out, *err, *code),
            "systemctl {}",
            args.join(" ")
        );
    }
    let calls = w.take_calls();
    let expected: Vec<String> = TRANSCRIPTS.iter().map(|(a, ..)| a.join(" ")).collect();
    assert_eq!(calls, expected, "every call is logged as it was made");
    assert_eq!(
        w.state(),
        units(&[
            ("a.service", "active", "enabled"),
            ("b.service", "inactive", "disabled"),
            ("c.service", "active", "enabled"),
        ])
    );

    // Calls orche does not make fail loudly, change nothing, and are logged as unexpected.
    let before = w.state_bytes();
    let unexpected: &[&[&str]] = &[
        &[],
        &["status", "a.service"],
        &["restart", "--", "a.service"],
        &["start", "a.service"],
        &["is-active", "--quiet", "a.service"],
        &["show", "-p", "LoadState", "--value", "a.service"],
        &[
            "show",
            "--property=ActiveState",
            "--value",
            "--",
            "a.service",
        ],
        &["start", "--", "a.service", "b.service"],
        &["stop", "--", "--now"],
    ];
    for args in unexpected {
        let o = w.systemctl(args);
        assert_eq!(exit(&o), 1, "systemctl {}\n{}", args.join(" "), show(&o));
        assert!(
            stderr(&o).contains("unexpected call"),
            "systemctl {}\n{}",
            args.join(" "),
            show(&o)
        );
        assert!(stdout(&o).is_empty(), "{}", show(&o));
    }
    let calls = w.take_calls();
    assert_eq!(calls.len(), unexpected.len(), "{calls:?}");
    assert!(
        calls.iter().all(|c| c.starts_with("UNEXPECTED")),
        "{calls:?}"
    );
    assert_eq!(w.state_bytes(), before);

    // Without its environment it refuses to run at all.
    let mut cmd = Command::new(w.file("bin/systemctl"));
    cmd.args(["is-active", "--", "a.service"])
        .env_remove("ORCHE_STANDIN_STATE")
        .env_remove("ORCHE_STANDIN_LOG");
    let o = run_with_timeout(&mut cmd, CALL_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exit(&o), 1, "{}", show(&o));
}

/// The first `systemctl` on the test's own PATH, when it is systemd 252's.
fn real_systemctl_252() -> Result<PathBuf, String> {
    let path = services::which("systemctl").ok_or("no systemctl on PATH")?;
    let mut cmd = Command::new(&path);
    cmd.arg("--version");
    let o = run_with_timeout(&mut cmd, CALL_TIMEOUT)?;
    let version = stdout(&o);
    let first = version.lines().next().unwrap_or("");
    if !o.status.success() || !first.starts_with("systemd 252 ") {
        return Err(format!(
            "{} is not systemd 252 ({first:?}); the stand-in replays 252",
            path.display()
        ));
    }
    Ok(path)
}

#[test]
fn standin_agrees_with_offline_systemctl() {
    // Not governed by ORCHE_REQUIRE_DOCKER: a machine without systemctl 252 simply cannot make
    // this comparison.
    let real = match real_systemctl_252() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("skipped: standin_agrees_with_offline_systemctl: {why}");
            return;
        }
    };
    let w = Rig::new("systemd-offline", &[("b.service", "inactive", "disabled")]);
    let root = w.file("root");
    let units = root.join("lib/systemd/system");
    std::fs::create_dir_all(&units).expect("unit folder");
    std::fs::create_dir_all(root.join("etc/systemd/system")).expect("etc folder");
    std::fs::write(
        units.join("b.service"),
        "[Unit]\nDescription=b\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    )
    .expect("b.service");
    std::fs::write(
        units.join("multi-user.target"),
        "[Unit]\nDescription=multi-user\n",
    )
    .expect("multi-user.target");
    let root_text = root.to_string_lossy().into_owned();
    let calls: &[&[&str]] = &[
        &["is-enabled", "--", "b.service"],
        &["enable", "--", "b.service"],
        &["enable", "--", "b.service"],
        &["is-enabled", "--", "b.service"],
        &["is-enabled", "--", "b"],
        &["disable", "--", "b.service"],
        &["disable", "--", "b.service"],
        &["is-enabled", "--", "b.service"],
        &["is-enabled", "--", "nope.service"],
    ];
    for args in calls {
        let mut cmd = Command::new(&real);
        cmd.arg(format!("--root={root_text}"))
            .args(*args)
            .current_dir(w.path())
            .env("SYSTEMD_LOG_COLOR", "0")
            .env("SYSTEMD_PAGER", "");
        let r = run_with_timeout(&mut cmd, CALL_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
        let s = w.systemctl(args);
        let real_answer = (stdout(&r), stderr(&r).replace(&root_text, ""), exit(&r));
        assert_eq!(
            (stdout(&s), stderr(&s), exit(&s)),
            real_answer,
            "systemctl {}: the stand-in (left) and {} --root (right)",
            args.join(" "),
            real.display()
        );
    }
    eprintln!(
        "the stand-in agrees with {} --root on {} calls",
        real.display(),
        calls.len()
    );
}
