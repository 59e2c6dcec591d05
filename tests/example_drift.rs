//! The shipped example `examples/drift/drift.orc`, run through the loop its header comment and
//! docs/drift.md give, exactly as a user would: the built `orche` is run from the repository
//! root on `examples/drift/drift.orc`, its scripts are written to files and run with `sh`.
//!
//! What is proved: the probe finds all four resources (page, server, port, web) missing and
//! `orche drift` exits 2; the plan (four creates, one wave each) is a script that passes
//! shellcheck, its dry run changes nothing (no page, no server, the port closed), `--apply`
//! writes the page (mode 644) and starts the Python server (exit 0, every step changed) and the
//! page is served; probed again, `orche drift` exits 0, and applying the same plan again changes
//! nothing (every step `ok`, no second server); then, with the page edited by hand, the probe
//! sees it and `orche drift` exits 2 with `local/page` changed in `content`; a new plan script's
//! `--apply` writes the declared page back byte for byte, and `orche drift` exits 0. (With the
//! page edited, `local/web` drifts too, in `body`; its step has no command and is `ok` once
//! the page step has run.)
//!
//! Invariants: the example uses fixed names, the folder /tmp/orche-drift-demo and the port
//! 127.0.0.1:8765, so the test takes an exclusive lock on /tmp/orche-example-drift.lock for its
//! whole run (two runs of it never overlap), starts from a clean state (the folder removed) and
//! cleans up after itself, also when it fails: it stops the servers it started, by pid (they
//! are recorded in /tmp/orche-example-drift.pids, so that a later run also stops those of a run
//! that was killed before it could), and removes the folder. It never stops a process it did
//! not start: when a demo server is already running (a user's: `pkill -f 'http[.]server 8765'`
//! stops it), another process's command line contains `http.server 8765` (the example's
//! `server` probe would count it), or something else holds the port, the test does not run.
//! It is skipped with the reason in those cases and when python3, pgrep, curl, nc, sha256sum or
//! stat is missing, unless `ORCHE_REQUIRE_DOCKER` is set (the variable CI sets for the tests on
//! real services), which makes any of them a failure. Every command runs with a deadline; the
//! scripts' own `TMPDIR` is the test's temporary folder.

#[allow(dead_code)]
#[path = "support/outputs.rs"]
mod outputs;
#[allow(dead_code)]
#[path = "support/services.rs"]
mod services;

use outputs::*;
use serde_json::Value;
use services::{run_with_timeout, TempDir};
use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

/// The example, as a user names it from the repository root.
const EXAMPLE: &str = "examples/drift/drift.orc";
/// What the example declares (see its source).
const DEMO_DIR: &str = "/tmp/orche-drift-demo";
const PAGE: &str = "/tmp/orche-drift-demo/www/index.html";
const PAGE_CONTENT: &str = "<h1>hello from orche</h1>\n";
const PORT: u16 = 8765;
/// The example's process pattern, which matches the server's command line but not one that
/// contains the pattern itself.
const SERVER_PATTERN: &str = "http[.]server 8765";
/// The resources, in declaration order.
const KEYS: [&str; 4] = ["local/page", "local/server", "local/port", "local/web"];

/// Serializes the runs of this test on the machine (the example's paths are fixed).
const LOCK: &str = "/tmp/orche-example-drift.lock";
/// The pids of the servers this test started and has not stopped yet.
const PIDS: &str = "/tmp/orche-example-drift.pids";
/// How long to wait for another run to release the lock.
const LOCK_WAIT: Duration = Duration::from_secs(600);

/// One `orche` call.
const ORCHE_TIMEOUT: Duration = Duration::from_secs(60);
/// One run of a probe or plan script (health checks awaited with retries included).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
/// One helper command (pgrep, kill, curl).
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fields a drift report gives as changed for `key`.
fn changed_fields(report: &Value, key: &str) -> Vec<String> {
    let entry = report["resources"]
        .as_array()
        .expect("report resources")
        .iter()
        .find(|e| e["resource"] == key)
        .unwrap_or_else(|| panic!("no entry for {key} in the report"));
    entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["field"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// The statuses of a drift report, by resource.
fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["resources"]
        .as_array()
        .expect("report resources")
        .iter()
        .map(|e| {
            (
                e["resource"].as_str().unwrap_or("?").to_string(),
                e["status"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

fn all(status: &str) -> BTreeMap<String, String> {
    KEYS.iter()
        .map(|k| (k.to_string(), status.to_string()))
        .collect()
}

/// The pids of the demo servers: the processes that the example's pattern matches (as its
/// `process` probe counts them) and that are a `… -m http.server 8765 …` command themselves, not
/// a shell or an editor whose command line merely contains that text.
fn server_pids() -> Vec<u32> {
    matching_pids()
        .into_iter()
        .filter(|p| is_demo_server(*p))
        .collect()
}

/// The pids of the processes that the example's pattern matches (`pgrep -f`, as its `process`
/// probe runs it).
fn matching_pids() -> Vec<u32> {
    let mut cmd = Command::new("pgrep");
    cmd.args(["-f", "--", SERVER_PATTERN]);
    // No panic here: this also runs while a failed test unwinds (an error finds nothing).
    run_with_timeout(&mut cmd, TOOL_TIMEOUT)
        .map(|o| stdout(&o))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// A process's arguments; empty when it is gone.
fn args_of(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Whether the process runs `-m http.server 8765` (three arguments in a row).
fn is_demo_server(pid: u32) -> bool {
    args_of(pid)
        .windows(3)
        .any(|w| w[0] == "-m" && w[1] == "http.server" && w[2] == "8765")
}

/// Stops the servers this test recorded in [`PIDS`] (by pid, and only those that are still
/// the demo server: a pid may have been reused), and forgets them.
fn stop_recorded_servers() {
    let text = std::fs::read_to_string(PIDS).unwrap_or_default();
    for pid in text
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
    {
        if is_demo_server(pid) {
            let _ = run_with_timeout(
                Command::new("kill").args(["-TERM", &pid.to_string()]),
                TOOL_TIMEOUT,
            );
            let deadline = Instant::now() + Duration::from_secs(5);
            while is_demo_server(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    let _ = std::fs::remove_file(PIDS);
}

/// Records the servers running now as this test's (it checked, under the lock, that none ran
/// before it).
fn record_servers() -> Vec<u32> {
    let pids = server_pids();
    let text: String = pids.iter().map(|p| format!("{p}\n")).collect();
    let _ = std::fs::write(PIDS, text);
    pids
}

/// Holds the machine-wide lock of this test; released when dropped (or when the process dies).
struct Lock(#[allow(dead_code)] File);

impl Lock {
    fn take() -> Lock {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK)
            .unwrap_or_else(|e| panic!("opening {LOCK}: {e}"));
        // Anyone may take it, whoever made the file first.
        let _ = std::fs::set_permissions(LOCK, std::fs::Permissions::from_mode(0o666));
        let start = Instant::now();
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Lock(file),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !said {
                        eprintln!("waiting for another run of this test to release {LOCK}");
                        said = true;
                    }
                    assert!(
                        start.elapsed() < LOCK_WAIT,
                        "another run held {LOCK} for more than {} s",
                        LOCK_WAIT.as_secs()
                    );
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(std::fs::TryLockError::Error(e)) => panic!("locking {LOCK}: {e}"),
            }
        }
    }
}

/// Cleans up the demo when dropped, also when the test panics: stops the servers this test
/// started and removes the example's folder.
struct Demo;

impl Demo {
    /// Starts from a clean state; `Err` when a server this test did not start is running, or
    /// the port is taken.
    fn clean() -> Result<Demo, String> {
        stop_recorded_servers();
        let others = server_pids();
        if !others.is_empty() {
            let shown: Vec<String> = others
                .iter()
                .map(|p| format!("pid {p}: {}", args_of(*p).join(" ")))
                .collect();
            return Err(format!(
                "a demo server this test did not start is running ({}); stop it with \
                 `pkill -f '{SERVER_PATTERN}'` and run the test again",
                shown.join("; ")
            ));
        }
        // A process whose command line merely contains the text (a shell script that starts
        // the demo, an editor) is counted by the example's `server` probe as the server.
        let lookalikes: Vec<String> = matching_pids()
            .into_iter()
            .filter(|p| *p != std::process::id())
            .map(|p| format!("pid {p}: {}", args_of(p).join(" ")))
            .filter(|shown| !shown.ends_with(": "))
            .collect();
        if !lookalikes.is_empty() {
            return Err(format!(
                "the command line of another process contains `http.server 8765`, so the \
                 example's `server` probe (`pgrep -f '{SERVER_PATTERN}'`) would count it as the \
                 server: {}",
                lookalikes.join("; ")
            ));
        }
        if services::port_is_open(PORT) {
            return Err(format!(
                "something else listens on 127.0.0.1:{PORT}, the example's port"
            ));
        }
        let _ = std::fs::remove_dir_all(DEMO_DIR);
        assert!(
            !Path::new(DEMO_DIR).exists(),
            "cannot remove {DEMO_DIR} (left by another user?)"
        );
        Ok(Demo)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // When the test failed between starting the apply and recording its servers, the
        // demo servers running now are its own: none ran when it began (under the lock).
        if !Path::new(PIDS).exists() {
            record_servers();
        }
        stop_recorded_servers();
        let _ = std::fs::remove_dir_all(DEMO_DIR);
    }
}

/// The test's folder, where the user's files (probe.sh, live.json, fix.sh) go.
struct User {
    dir: TempDir,
}

impl User {
    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `orche ARGS… > OUT` from the repository root; the exit status must be `code`.
    fn orche(&self, args: &[&str], code: i32, out: Option<&str>) -> Output {
        let mut cmd = Command::new(ORCHE);
        cmd.args(args)
            .current_dir(repo())
            .env("NO_COLOR", "1")
            .env("TMPDIR", self.dir.path());
        let o = run_with_timeout(&mut cmd, ORCHE_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
        expect_orche(&o, args, code, out.map(|n| self.file(n)).as_deref());
        o
    }

    /// `sh SCRIPT ARGS…` in the folder.
    fn sh(&self, script: &str, args: &[&str]) -> Output {
        let sh = services::which("sh").unwrap_or_else(|| PathBuf::from("/bin/sh"));
        let mut cmd = Command::new(sh);
        cmd.arg(script)
            .args(args)
            .current_dir(self.dir.path())
            .env("TMPDIR", self.dir.path());
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

    /// `sh probe.sh > live.json`: exit 0 and one valid JSON document over the four resources.
    fn probe(&self) -> Value {
        let o = self.sh("probe.sh", &[]);
        assert_eq!(exit(&o), 0, "sh probe.sh\n{}", show(&o));
        std::fs::write(self.file("live.json"), &o.stdout).expect("writing live.json");
        let live = parse(&o.stdout, "the output of sh probe.sh");
        let keys: Vec<&str> = live["resources"]
            .as_object()
            .expect("live resources")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, KEYS, "{live:#}");
        live
    }

    /// `orche drift EXAMPLE --live live.json`: the text report exits `code`, and the JSON
    /// report, returned, too.
    fn drift(&self, code: i32) -> Value {
        let live = self.file("live.json").to_string_lossy().into_owned();
        let text = self.orche(&["drift", EXAMPLE, "--live", &live], code, None);
        eprintln!("{}", stdout(&text));
        let o = self.orche(
            &["drift", EXAMPLE, "--live", &live, "--out", "json"],
            code,
            None,
        );
        parse(&o.stdout, "orche drift --out json")
    }

    /// `orche plan EXAMPLE --live live.json --out json` (returned) and `--out sh > SCRIPT`,
    /// which must pass shellcheck.
    fn plan(&self, script: &str) -> Value {
        let live = self.file("live.json").to_string_lossy().into_owned();
        let o = self.orche(
            &["plan", EXAMPLE, "--live", &live, "--out", "json"],
            0,
            None,
        );
        self.orche(
            &["plan", EXAMPLE, "--live", &live, "--out", "sh"],
            0,
            Some(script),
        );
        shellcheck(&self.file(script));
        parse(&o.stdout, "orche plan --out json")
    }
}

/// The page as the server serves it.
fn served_page() -> String {
    let mut cmd = Command::new("curl");
    cmd.args([
        "--silent",
        "--max-time",
        "10",
        "--",
        &format!("http://127.0.0.1:{PORT}/index.html"),
    ]);
    let o = run_with_timeout(&mut cmd, TOOL_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exit(&o), 0, "curl the page\n{}", show(&o));
    stdout(&o)
}

// ---------------------------------------------------------------------------------------------
// The loop.
// ---------------------------------------------------------------------------------------------

#[test]
fn example_drift_loop() {
    let started = Instant::now();
    let tools = ["python3", "pgrep", "curl", "nc", "sha256sum", "stat"];
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| services::which(t).is_none())
        .collect();
    if !missing.is_empty() {
        let reason = format!(
            "{} not found on PATH (Debian: python3 procps curl netcat-openbsd coreutils); \
             set ORCHE_REQUIRE_DOCKER=1 to make this a failure",
            missing.join(", ")
        );
        if services::require::<()>(Err(reason)).is_none() {
            return;
        }
    }
    let _lock = Lock::take();
    let Some(_demo) = services::require(Demo::clean()) else {
        return;
    };
    let user = User {
        dir: TempDir::new("example-drift").expect("temporary folder"),
    };

    // 1. Probe: nothing exists yet.
    user.orche(&["export", "--probes", EXAMPLE], 0, Some("probe.sh"));
    shellcheck(&user.file("probe.sh"));
    let live = user.probe();
    for k in KEYS {
        assert_eq!(live["resources"][k]["status"], "missing", "{k}:\n{live:#}");
    }

    // 2. Drift: exit 2, everything missing.
    let report = user.drift(2);
    assert_eq!(statuses(&report), all("missing"), "{report:#}");

    // 3. Plan: four creates, one wave each, in dependency order.
    let plan = user.plan("fix.sh");
    let steps = plan["steps"].as_array().expect("plan steps");
    let got: Vec<(&str, &str, u64)> = steps
        .iter()
        .map(|s| {
            (
                s["resource"].as_str().unwrap_or("?"),
                s["action"].as_str().unwrap_or("?"),
                s["wave"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("local/page", "create", 1),
            ("local/server", "create", 2),
            ("local/port", "create", 3),
            ("local/web", "create", 4),
        ],
        "{plan:#}"
    );

    // 4. Dry run: prints the plan, changes nothing.
    let dry = user.sh("fix.sh", &[]);
    assert_eq!(exit(&dry), 0, "{}", show(&dry));
    assert!(
        stdout(&dry).contains("nothing is changed"),
        "{}",
        show(&dry)
    );
    assert!(
        !Path::new(DEMO_DIR).exists(),
        "the dry run created {DEMO_DIR}"
    );
    assert!(server_pids().is_empty(), "the dry run started a server");
    assert!(!services::port_is_open(PORT), "the dry run opened the port");

    // 5. Apply: writes the page, starts the server; every step changed something.
    let applied = user.sh("fix.sh", &["--apply"]);
    let servers = record_servers();
    assert_eq!(exit(&applied), 0, "apply:\n{}", show(&applied));
    let rec = recap(&stdout(&applied));
    assert_eq!(
        rec,
        KEYS.iter()
            .map(|k| ("changed".to_string(), format!("create {k}")))
            .collect::<Vec<_>>(),
        "{}",
        show(&applied)
    );
    assert!(!servers.is_empty(), "the apply started the server");
    assert_eq!(
        std::fs::read_to_string(PAGE).expect("the page"),
        PAGE_CONTENT
    );
    let mode = std::fs::metadata(PAGE)
        .expect("the page")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    assert_eq!(served_page(), PAGE_CONTENT, "the server serves the page");

    // 6. Probe again: in sync, exit 0; the same plan again changes nothing.
    user.probe();
    let report = user.drift(0);
    assert_eq!(statuses(&report), all("in_sync"), "{report:#}");
    let again = user.sh("fix.sh", &["--apply"]);
    assert_eq!(exit(&again), 0, "{}", show(&again));
    assert!(
        recap(&stdout(&again)).iter().all(|(r, _)| r == "ok"),
        "a second apply is all `ok (already done)`:\n{}",
        show(&again)
    );
    assert_eq!(record_servers(), servers, "no second server was started");

    // 7. Edit the page by hand: drift reports its content, a new plan writes it back.
    //
    // The web endpoint declares `body: "hello from orche"`, which the edited page no longer
    // contains, so `local/web` drifts too (`body`), and the plan has a second step for it,
    // without a command (orche checks a body, it does not set one). When its wave comes, the
    // page step has made the body match again: the step is checked once more and is `ok`.
    std::fs::write(PAGE, "<h1>edited by hand</h1>\n").expect("editing the page");
    user.probe();
    let report = user.drift(2);
    let mut expected = all("in_sync");
    expected.insert("local/page".into(), "changed".into());
    expected.insert("local/web".into(), "changed".into());
    assert_eq!(statuses(&report), expected, "{report:#}");
    assert_eq!(
        changed_fields(&report, "local/page"),
        ["content"],
        "{report:#}"
    );
    assert_eq!(changed_fields(&report, "local/web"), ["body"], "{report:#}");
    let plan = user.plan("fix2.sh");
    let got: Vec<(&str, &str, u64, bool)> = plan["steps"]
        .as_array()
        .expect("plan steps")
        .iter()
        .map(|s| {
            (
                s["resource"].as_str().unwrap_or("?"),
                s["action"].as_str().unwrap_or("?"),
                s["wave"].as_u64().unwrap_or(0),
                s.get("missing_action").is_some(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("local/page", "update", 1, false),
            ("local/web", "update", 2, true)
        ],
        "{plan:#}"
    );
    let applied = user.sh("fix2.sh", &["--apply"]);
    assert_eq!(exit(&applied), 0, "{}", show(&applied));
    let rec = recap(&stdout(&applied));
    assert_eq!(
        rec.iter()
            .map(|(r, what)| (r.as_str(), what.split(':').next().unwrap_or("")))
            .collect::<Vec<_>>(),
        [("changed", "update local/page"), ("ok", "update local/web")],
        "{}",
        show(&applied)
    );
    assert_eq!(
        std::fs::read_to_string(PAGE).expect("the page"),
        PAGE_CONTENT,
        "the declared page is back"
    );
    assert_eq!(served_page(), PAGE_CONTENT);
    user.probe();
    let report = user.drift(0);
    assert_eq!(statuses(&report), all("in_sync"), "{report:#}");
    eprintln!("example loop: {:.1?}", started.elapsed());
}
