//! Real local services for end-to-end tests that run emitted shell scripts: a Docker Engine
//! (started by the tests themselves when none answers), a test image built offline from the
//! static busybox, an HTTP file server, a listening TCP port and a process with a unique marker
//! in its command line.
//!
//! Invariants: all network traffic stays on the loopback address 127.0.0.1, and containers run
//! only with `--network none` or `--network host`; nothing is ever pulled from a registry; every
//! service a test starts is stopped when its handle is dropped, except the Docker daemon, which
//! is shared by all tests and test binaries (one per machine, under `/tmp/orche-dockerd`) and
//! stays up. A service that cannot be provided is reported as `Err(reason)` with a specific
//! reason, and [`require`] turns that into a skip, or into a failure when
//! `ORCHE_REQUIRE_DOCKER` is set.
//!
//! Include it from an integration test like the other support modules:
//!
//! ```ignore
//! #[allow(dead_code)]
//! #[path = "support/services.rs"]
//! mod services;
//! ```

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment variable that makes a missing service a test failure instead of a skip.
/// `.ci/run` sets it after installing docker.io, busybox-static, netcat-openbsd, procps and
/// curl.
pub const REQUIRE_VAR: &str = "ORCHE_REQUIRE_DOCKER";

/// The tag of the image that [`Docker::test_image`] builds.
pub const TEST_IMAGE: &str = "orche-test-busybox:1";

/// The folder of the daemon the tests start themselves: its data, socket, pid file and log.
pub const DAEMON_DIR: &str = "/tmp/orche-dockerd";

/// How long a freshly started dockerd may take to answer.
const DAEMON_START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one `docker` client call may take (an image build included).
const DOCKER_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// How long an HTTP server may take to listen.
const HTTP_START_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Skipping and requiring.
// ---------------------------------------------------------------------------------------------

/// Whether missing services fail the tests: `ORCHE_REQUIRE_DOCKER` is set to anything but an
/// empty string or `0`.
pub fn required() -> bool {
    std::env::var_os(REQUIRE_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Unwraps a service, or decides what its absence means. When `ORCHE_REQUIRE_DOCKER` is set,
/// an `Err` panics with its reason; otherwise the reason is printed to stderr as
/// `skipped: <test>: <reason>` and `None` tells the test to return early:
///
/// ```ignore
/// let Some(docker) = services::require(services::Docker::ensure()) else { return };
/// ```
pub fn require<T>(service: Result<T, String>) -> Option<T> {
    match service {
        Ok(value) => Some(value),
        Err(reason) => {
            assert!(!required(), "{REQUIRE_VAR} is set but {reason}");
            let current = std::thread::current();
            let test = current.name().unwrap_or("test");
            eprintln!("skipped: {test}: {reason}");
            None
        }
    }
}

/// The Docker daemon, or a skip (see [`require`]).
pub fn docker_or_skip() -> Option<Docker> {
    require(Docker::ensure())
}

/// Checks that every program in `names` is on `PATH`, with [`require`]'s skip rule. Returns
/// whether the test may go on.
pub fn require_tools(names: &[&str]) -> bool {
    let missing: Vec<String> = names
        .iter()
        .filter(|name| which(name).is_none())
        .map(|name| format!("`{name}`"))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!(
        "{} not found on PATH (Debian: docker.io busybox-static netcat-openbsd procps curl)",
        missing.join(", ")
    );
    require::<()>(Err(reason)).is_some()
}

/// The first executable file called `name` in the folders of `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A token that no other call in any process on this machine returns: the process id, a
/// per-process counter and the clock, in fixed-width hex. Markers and labels end with it, so
/// that a pattern for one of them does not match another one by accident.
pub fn unique_token() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{:08x}{:04x}{:08x}", std::process::id(), n & 0xffff, nanos)
}

/// A port on 127.0.0.1 that was free a moment ago: the kernel picks it, the socket is closed
/// again. It is never one this process handed out before, because the kernel readily gives a
/// just-closed port to the next bind and tests run in parallel. Another process may still take
/// it before the caller binds it; the servers here retry.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    // Ports seen before stay bound until a new one turns up, so the kernel cannot offer them
    // again in this loop.
    let mut held = Vec::new();
    loop {
        let socket = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
        let port = socket.local_addr().expect("bound address").port();
        if handed_out.insert(port) {
            return port;
        }
        held.push(socket);
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_is_open(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// A fresh folder under the system's temporary folder, removed with its contents when dropped,
/// also when the test panics.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/orche-PREFIX-TOKEN`.
    pub fn new(prefix: &str) -> Result<TempDir, String> {
        let path = std::env::temp_dir().join(format!("orche-{prefix}-{}", unique_token()));
        std::fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

// ---------------------------------------------------------------------------------------------
// Running commands with a deadline.
// ---------------------------------------------------------------------------------------------

/// How a command is shown in messages: the program and its arguments, space-separated.
pub fn shown(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd` with stdin closed and both outputs captured; kills it at the deadline. `Err` only
/// when it cannot start or times out; a non-zero exit is in the returned status.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", shown(cmd)))?;
    // Both pipes are drained on their own threads so a chatty child never blocks on a full pipe.
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let status = match wait_until(&mut child, timeout) {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "`{}` did not finish within {} s and was killed",
                shown(cmd),
                timeout.as_secs()
            ));
        }
    };
    Ok(Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    })
}

/// Runs `cmd` like [`run_with_timeout`] and returns its trimmed stdout; a non-zero exit is an
/// `Err` that quotes the command and its stderr.
pub fn run_checked(cmd: &mut Command, timeout: Duration) -> Result<String, String> {
    let out = run_with_timeout(cmd, timeout)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "`{}` failed ({}): {}",
            shown(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Waits for `child` to exit, polling, for at most `timeout`; `None` when it is still running.
fn wait_until(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if start.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Asks a child this module started to stop with SIGTERM, so that it can clean up (dockerd
/// stops its containerd and unmounts), and kills it if it is still there after `grace`.
fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(None) = child.try_wait() {
        let _ = run_with_timeout(
            Command::new("kill").args(["-TERM", &child.id().to_string()]),
            Duration::from_secs(5),
        );
        if wait_until(child, grace).is_none() {
            stop_child(child);
        }
    }
}

/// Kills and reaps a child this module started; it may have exited already.
fn stop_child(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------------
// Docker.
// ---------------------------------------------------------------------------------------------

/// A reachable Docker daemon. Cloning is cheap; every clone talks to the same daemon.
#[derive(Clone, Debug)]
pub struct Docker {
    host: String,
    own: bool,
    server_version: String,
    storage_driver: String,
}

impl Docker {
    /// Makes sure a Docker daemon answers and returns a handle to it. The first call in a
    /// process does the work and later calls get its result. In order: a daemon that plain
    /// `docker info` reaches (the system's, or the one `DOCKER_HOST` names); the daemon an
    /// earlier test run started under [`DAEMON_DIR`]; a new dockerd started there (root only),
    /// first with the storage driver dockerd picks itself, then with `vfs`. The daemon is left
    /// running for the other tests.
    pub fn ensure() -> Result<Docker, String> {
        static DOCKER: OnceLock<Result<Docker, String>> = OnceLock::new();
        DOCKER.get_or_init(ensure_daemon).clone()
    }

    /// The `DOCKER_HOST` value that points a `docker` client at this daemon.
    pub fn docker_host(&self) -> &str {
        &self.host
    }

    /// Whether the tests started this daemon themselves (under [`DAEMON_DIR`]).
    pub fn is_own(&self) -> bool {
        self.own
    }

    /// One line for test output: version, storage driver, address and whose daemon it is.
    pub fn describe(&self) -> String {
        format!(
            "dockerd {} ({} daemon at {}, storage driver {})",
            self.server_version,
            if self.own { "own" } else { "existing" },
            self.host,
            self.storage_driver
        )
    }

    /// Sets the environment a child process (an emitted script, say) needs to reach this
    /// daemon with its own `docker` calls: `DOCKER_HOST`, and the classic builder, which works
    /// offline.
    pub fn configure<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env("DOCKER_HOST", &self.host)
            .env("DOCKER_BUILDKIT", "0")
            .env("DOCKER_CLI_HINTS", "false")
    }

    /// A `docker` client command configured for this daemon.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new("docker");
        self.configure(&mut cmd);
        cmd
    }

    /// Runs `docker ARGS` against this daemon and returns its trimmed stdout; `Err` quotes the
    /// command and its stderr.
    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        run_checked(self.command().args(args), DOCKER_CALL_TIMEOUT)
    }

    /// Whether an image with this tag exists locally.
    pub fn has_image(&self, tag: &str) -> bool {
        self.run(&["image", "inspect", "--format", "{{.Id}}", tag])
            .is_ok()
    }

    /// The tag of a tiny image, built once per daemon: `FROM scratch` with only the static
    /// busybox at `/bin/busybox` and a symlink in `/bin` for each of its applets, so
    /// `docker run -d --network none orche-test-busybox:1 sleep 3600` works and `docker exec ID
    /// sh -c ...` has a shell. Built with the classic builder from a local context: nothing is
    /// pulled.
    pub fn test_image(&self) -> Result<String, String> {
        static BUILD: Mutex<()> = Mutex::new(());
        let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        if self.has_image(TEST_IMAGE) {
            return Ok(TEST_IMAGE.to_string());
        }
        let busybox = static_busybox()?;
        let context = TempDir::new("image")?;
        build_busybox_context(context.path(), &busybox)
            .and_then(|()| {
                self.run(&[
                    "build",
                    "--network",
                    "none",
                    "--tag",
                    TEST_IMAGE,
                    &context.path().to_string_lossy(),
                ])
            })
            .map_err(|e| format!("building {TEST_IMAGE}: {e}"))?;
        Ok(TEST_IMAGE.to_string())
    }

    /// Removes every container, running or not, that carries `label` (`KEY=VALUE` or `KEY`).
    /// Returns how many there were.
    pub fn remove_labelled(&self, label: &str) -> Result<usize, String> {
        let filter = format!("label={label}");
        let listed = self.run(&["ps", "--all", "--quiet", "--filter", &filter])?;
        let ids: Vec<&str> = listed.split_whitespace().collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let mut args = vec!["rm", "--force", "--volumes"];
        args.extend(ids.iter().copied());
        self.run(&args)?;
        Ok(ids.len())
    }

    /// The ids of the containers, running or not, that carry `label`.
    pub fn labelled(&self, label: &str) -> Result<Vec<String>, String> {
        let filter = format!("label={label}");
        let listed = self.run(&["ps", "--all", "--quiet", "--no-trunc", "--filter", &filter])?;
        Ok(listed.split_whitespace().map(str::to_string).collect())
    }

    /// A guard that removes the containers carrying `label` when dropped, also when the test
    /// panics. It removes them once at creation too, for leftovers of an interrupted run.
    pub fn cleanup_on_drop(&self, label: &str) -> Cleanup {
        let _ = self.remove_labelled(label);
        Cleanup {
            docker: self.clone(),
            label: label.to_string(),
        }
    }
}

/// Removes the containers that carry a label when dropped (see [`Docker::cleanup_on_drop`]).
pub struct Cleanup {
    docker: Docker,
    label: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = self.docker.remove_labelled(&self.label);
    }
}

/// A label `orche-test=<name>-<token>` unique to this call, for a test's containers.
pub fn unique_label(name: &str) -> String {
    format!("orche-test={name}-{}", unique_token())
}

/// Asks the daemon at `host` (or the client's default when `None`) for its version and
/// storage driver, within `timeout`.
fn probe_daemon(host: Option<&str>, timeout: Duration) -> Result<(String, String), String> {
    let mut cmd = Command::new("docker");
    if let Some(host) = host {
        cmd.env("DOCKER_HOST", host);
    }
    cmd.args(["info", "--format", "{{.ServerVersion}}|{{.Driver}}"]);
    let out = run_checked(&mut cmd, timeout)?;
    match out.split_once('|') {
        Some((version, driver)) if !version.is_empty() => {
            Ok((version.to_string(), driver.to_string()))
        }
        _ => Err(format!("`docker info` printed {out:?}")),
    }
}

/// The body of [`Docker::ensure`], run once per process.
fn ensure_daemon() -> Result<Docker, String> {
    if which("docker").is_none() {
        return Err(
            "the `docker` client is not on PATH (Debian: apt-get install docker.io)".into(),
        );
    }
    // A daemon the client reaches without help.
    let existing_error = match probe_daemon(None, Duration::from_secs(20)) {
        Ok((version, driver)) => {
            return Ok(Docker {
                host: default_docker_host(),
                own: false,
                server_version: version,
                storage_driver: driver,
            })
        }
        // The client's last line says why, e.g. "Cannot connect to the Docker daemon at ...".
        Err(e) => e.lines().last().unwrap_or("").trim().to_string(),
    };
    let dir = Path::new(DAEMON_DIR);
    let host = format!("unix://{}", dir.join("docker.sock").display());
    let own = |(version, driver): (String, String)| Docker {
        host: host.clone(),
        own: true,
        server_version: version,
        storage_driver: driver,
    };
    // The daemon an earlier run (or another test binary) started.
    if let Ok(answer) = probe_daemon(Some(&host), Duration::from_secs(10)) {
        return Ok(own(answer));
    }
    if which("dockerd").is_none() {
        return Err(format!(
            "no Docker daemon answers ({existing_error}) and `dockerd` is not installed \
             (Debian: apt-get install docker.io)"
        ));
    }
    let uid = effective_uid();
    if uid != Some(0) {
        return Err(format!(
            "no Docker daemon answers ({existing_error}) and the tests cannot start dockerd: \
             this process is not root (uid {})",
            uid.map_or("unknown".to_string(), |u| u.to_string())
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    // Test binaries run one after another, but a developer may run two at once: the lock file
    // makes sure only one of them starts the daemon, and the other then finds it answering.
    let lock_path = dir.join("lock");
    let lock =
        File::create(&lock_path).map_err(|e| format!("creating {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    if let Ok(answer) = probe_daemon(Some(&host), Duration::from_secs(10)) {
        return Ok(own(answer));
    }
    // A dockerd still running from the pid file is an earlier run's daemon that does not answer
    // (yet): give it the start timeout, then report it rather than start a second one.
    let pidfile = dir.join("dockerd.pid");
    if let Some(pid) = running_dockerd(&pidfile) {
        return wait_for_daemon(&host, None, DAEMON_START_TIMEOUT)
            .map(own)
            .map_err(|e| {
                format!(
                    "dockerd {pid} from {} is running but does not answer at {host}: {e}; \
                     log tail:\n{}",
                    pidfile.display(),
                    log_tail(&dir.join("dockerd.log"))
                )
            });
    }
    // dockerd refuses to start while its pid file names any live process, so remove a stale one.
    let _ = std::fs::remove_file(&pidfile);
    let mut failures = Vec::new();
    for driver in [None, Some("vfs")] {
        match start_dockerd(dir, &host, driver) {
            Ok(answer) => return Ok(own(answer)),
            Err(e) => failures.push(format!(
                "with storage driver {}: {e}",
                driver.unwrap_or("(dockerd's choice)")
            )),
        }
    }
    Err(format!(
        "no Docker daemon answers ({existing_error}) and dockerd did not start:\n{}",
        failures.join("\n")
    ))
}

/// The `DOCKER_HOST` of the daemon the plain client reaches: the variable itself, else the
/// current context's endpoint, else the default socket.
fn default_docker_host() -> String {
    if let Some(host) = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()) {
        return host;
    }
    let mut cmd = Command::new("docker");
    cmd.args([
        "context",
        "inspect",
        "--format",
        "{{.Endpoints.docker.Host}}",
    ]);
    match run_checked(&mut cmd, Duration::from_secs(10)) {
        Ok(host) if !host.is_empty() => host,
        _ => "unix:///var/run/docker.sock".to_string(),
    }
}

/// This process's effective user id, from `/proc/self/status`.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The pid in `pidfile` when that process is alive and is a dockerd.
fn running_dockerd(pidfile: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "dockerd").then_some(pid)
}

/// Whether this dockerd knows the flag `--NAME` (its `--help` lists it).
fn dockerd_has_flag(name: &str) -> bool {
    static HELP: OnceLock<String> = OnceLock::new();
    let help = HELP.get_or_init(|| {
        run_with_timeout(
            Command::new("dockerd").arg("--help"),
            Duration::from_secs(20),
        )
        .map(|o| {
            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&o.stderr));
            text
        })
        .unwrap_or_default()
    });
    let flag = format!("--{name}");
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '=')
        .any(|word| word == flag)
}

/// Starts a dockerd that keeps everything under `dir`, has no bridge and touches no firewall
/// rules, and waits until it answers at `host`. Each storage driver gets its own data root,
/// because a data root remembers the driver it was made with. On failure the daemon, if still
/// running, is stopped and the error carries the tail of its log.
fn start_dockerd(dir: &Path, host: &str, driver: Option<&str>) -> Result<(String, String), String> {
    let data_root = dir.join(match driver {
        Some(d) => format!("data-{d}"),
        None => "data".to_string(),
    });
    let log_path = dir.join("dockerd.log");
    let config = dir.join("daemon.json");
    // An empty config file of our own: settings in /etc/docker/daemon.json (hosts, data-root)
    // would clash with the flags below.
    std::fs::write(&config, "{}\n").map_err(|e| format!("writing {}: {e}", config.display()))?;
    // The log is appended to, one header line per start, so a failed attempt's log survives the
    // next attempt.
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("opening {}: {e}", log_path.display()))?;
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    writeln!(
        log,
        "=== tests/support/services.rs starts dockerd (storage driver {}, unix time {started})",
        driver.unwrap_or("dockerd's choice")
    )
    .map_err(|e| format!("writing {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("opening {}: {e}", log_path.display()))?;
    let mut cmd = Command::new("dockerd");
    cmd.arg(format!("--config-file={}", config.display()))
        .arg(format!("--host={host}"))
        .arg(format!("--data-root={}", data_root.display()))
        .arg(format!("--exec-root={}", dir.join("exec").display()))
        .arg(format!("--pidfile={}", dir.join("dockerd.pid").display()))
        .arg("--bridge=none")
        .arg("--iptables=false");
    if dockerd_has_flag("ip6tables") {
        cmd.arg("--ip6tables=false");
    }
    // Its own containerd namespaces, in case it shares a system containerd with another dockerd.
    if dockerd_has_flag("containerd-namespace") {
        cmd.arg("--containerd-namespace=orche-test");
    }
    if dockerd_has_flag("containerd-plugins-namespace") {
        cmd.arg("--containerd-plugins-namespace=orche-test-plugins");
    }
    if let Some(driver) = driver {
        cmd.arg(format!("--storage-driver={driver}"));
    }
    // Its own process group, so that Ctrl-C on `cargo test` does not kill it half-started.
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", shown(&cmd)))?;
    match wait_for_daemon(host, Some(&mut child), DAEMON_START_TIMEOUT) {
        // The daemon outlives this handle on purpose: the other tests use it.
        Ok(answer) => Ok(answer),
        Err(e) => {
            terminate(&mut child, Duration::from_secs(10));
            Err(format!(
                "`{}`: {e}; log tail ({}):\n{}",
                shown(&cmd),
                log_path.display(),
                log_tail(&log_path)
            ))
        }
    }
}

/// Polls the daemon at `host` until it answers, `child` (when given) exits, or `timeout` passes.
fn wait_for_daemon(
    host: &str,
    mut child: Option<&mut Child>,
    timeout: Duration,
) -> Result<(String, String), String> {
    let start = Instant::now();
    let mut last = String::from("no answer yet");
    while start.elapsed() < timeout {
        if let Some(child) = child.as_deref_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("dockerd exited ({status}) before answering"));
            }
        }
        match probe_daemon(Some(host), Duration::from_secs(10)) {
            Ok(answer) => return Ok(answer),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "no answer within {} s (last: {last})",
        timeout.as_secs()
    ))
}

/// The last lines of a log file, indented, for error messages.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..]
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The static busybox (Debian's busybox-static), which runs in an image that has nothing else.
fn static_busybox() -> Result<PathBuf, String> {
    let candidates = [Path::new("/bin/busybox"), Path::new("/usr/bin/busybox")];
    let found = candidates
        .iter()
        .map(|p| p.to_path_buf())
        .chain(which("busybox"))
        .find(|p| is_executable(p))
        .ok_or("busybox is not installed (Debian: apt-get install busybox-static)")?;
    let bytes = std::fs::read(&found).map_err(|e| format!("reading {}: {e}", found.display()))?;
    if elf_has_interpreter(&bytes) {
        return Err(format!(
            "{} is dynamically linked and cannot run in a FROM scratch image \
             (Debian: apt-get install busybox-static)",
            found.display()
        ));
    }
    Ok(found)
}

/// Whether a 64-bit little-endian ELF file asks for a program interpreter (a `PT_INTERP`
/// program header), that is, whether it is dynamically linked. Anything else counts as static.
fn elf_has_interpreter(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let u16_at = |at: usize| {
        elf.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        elf.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |at: usize| {
        elf.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("eight bytes")))
    };
    // Magic, 64-bit class, little-endian data.
    if elf.get(0..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return false;
    }
    let (Some(phoff), Some(entsize), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return false;
    };
    (0..usize::from(count)).any(|i| {
        let at = phoff as usize + i * usize::from(entsize);
        u32_at(at) == Some(PT_INTERP)
    })
}

/// Lays out the build context of [`TEST_IMAGE`] in `context`: `bin/busybox`, a relative symlink
/// `bin/APPLET -> busybox` for every applet it lists, and the Dockerfile.
fn build_busybox_context(context: &Path, busybox: &Path) -> Result<(), String> {
    let bin = context.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("creating {}: {e}", bin.display()))?;
    std::fs::copy(busybox, bin.join("busybox"))
        .map_err(|e| format!("copying {}: {e}", busybox.display()))?;
    let applets = run_checked(Command::new(busybox).arg("--list"), Duration::from_secs(10))?;
    for applet in applets.lines().map(str::trim) {
        if applet.is_empty() || applet == "busybox" || applet.contains('/') {
            continue;
        }
        let link = bin.join(applet);
        std::os::unix::fs::symlink("busybox", &link)
            .map_err(|e| format!("linking {}: {e}", link.display()))?;
    }
    let dockerfile = "\
# orche's end-to-end test image: the static busybox and nothing else (tests/support/services.rs).
FROM scratch
COPY bin/ /bin/
ENV PATH=/bin
LABEL orche-test-image=1
CMD [\"sleep\", \"3600\"]
";
    let path = context.join("Dockerfile");
    std::fs::write(&path, dockerfile).map_err(|e| format!("writing {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// HTTP server.
// ---------------------------------------------------------------------------------------------

/// `busybox httpd` serving a folder on 127.0.0.1; stopped when dropped. A missing file answers
/// 404; [`HttpServer::status_path`] adds paths that answer any other status.
pub struct HttpServer {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl HttpServer {
    /// Serves the files of `dir` on a free port of 127.0.0.1, and returns once the port accepts
    /// connections.
    pub fn start(dir: &Path) -> Result<HttpServer, String> {
        let busybox = which("busybox")
            .or_else(|| Some(PathBuf::from("/bin/busybox")).filter(|p| is_executable(p)))
            .ok_or("busybox is not installed (Debian: apt-get install busybox-static)")?;
        let root = dir
            .canonicalize()
            .map_err(|e| format!("serving {}: {e}", dir.display()))?;
        let mut last = String::new();
        // The free port may be taken between choosing and binding it: try a few.
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(&busybox);
            cmd.args(["httpd", "-f", "-p"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("-h")
                .arg(&root)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let mut child = cmd
                .spawn()
                .map_err(|e| format!("cannot start `{}`: {e}", shown(&cmd)))?;
            let start = Instant::now();
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut pipe) = child.stderr.take() {
                        let _ = pipe.read_to_string(&mut err);
                    }
                    last = format!("`{}` exited ({status}): {}", shown(&cmd), err.trim());
                    break;
                }
                if port_is_open(port) {
                    return Ok(HttpServer { child, port, root });
                }
                if start.elapsed() >= HTTP_START_TIMEOUT {
                    stop_child(&mut child);
                    last = format!(
                        "`{}` did not listen within {} s",
                        shown(&cmd),
                        HTTP_START_TIMEOUT.as_secs()
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Err(format!("the HTTP server did not start: {last}"))
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `path` (with or without a leading `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// The folder it serves.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Makes `/cgi-bin/NAME` answer with `status` (and a one-line text body) and returns that
    /// path. It is a CGI script that busybox httpd runs with `/bin/sh`, written into the served
    /// folder's `cgi-bin`. `name` may hold only letters, digits, `-`, `_` and `.`.
    pub fn status_path(&self, name: &str, status: u16) -> Result<String, String> {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain || !(100..=599).contains(&status) {
            return Err(format!("bad status path {name:?} or status {status}"));
        }
        let dir = self.root.join("cgi-bin");
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let script = format!(
            "#!/bin/sh\n# Answers HTTP {status}; written by tests/support/services.rs.\n\
             printf 'Status: {status} Test\\r\\nContent-Type: text/plain\\r\\n\\r\\nstatus {status}\\n'\n"
        );
        let path = dir.join(name);
        std::fs::write(&path, script).map_err(|e| format!("writing {}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", path.display()))?;
        Ok(format!("/cgi-bin/{name}"))
    }

    /// Stops the server now; the port no longer accepts connections when this returns.
    pub fn stop(self) {}
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

// ---------------------------------------------------------------------------------------------
// A listening TCP port.
// ---------------------------------------------------------------------------------------------

/// A TCP port listening on 127.0.0.1, served by a thread of the test process that accepts each
/// connection and closes it at once. Closed when dropped.
pub struct Listener {
    port: u16,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Listens on a free port of 127.0.0.1, one that [`free_port`] hands out, so that it cannot
    /// be a port another test of this process is about to bind.
    pub fn open() -> Result<Listener, String> {
        let mut last = String::new();
        for _ in 0..5 {
            match Listener::open_at(free_port()) {
                Ok(listener) => return Ok(listener),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Listens on 127.0.0.1:`port` (0 lets the kernel pick).
    pub fn open_at(port: u16) -> Result<Listener, String> {
        let socket = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .map_err(|e| format!("binding 127.0.0.1:{port}: {e}"))?;
        let port = socket
            .local_addr()
            .map_err(|e| format!("reading the bound address: {e}"))?
            .port();
        // Non-blocking, so the thread notices `stop` without a connection to wake it.
        socket
            .set_nonblocking(true)
            .map_err(|e| format!("setting 127.0.0.1:{port} non-blocking: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let thread = {
            let stop = Arc::clone(&stop);
            let accepted = Arc::clone(&accepted);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match socket.accept() {
                        Ok((stream, _)) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                            drop(stream);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
                // The socket is dropped here, which closes the port.
            })
        };
        Ok(Listener {
            port,
            stop,
            accepted,
            thread: Some(thread),
        })
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many connections it has accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Closes the port; it no longer accepts connections when this returns.
    pub fn close(self) {}
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A process with a marker.
// ---------------------------------------------------------------------------------------------

/// A long-running process (`sleep 3600`) whose command line starts with a marker string that no
/// other process has, so `pgrep -f MARKER` finds exactly it. Killed when dropped.
///
/// The marker is its `argv[0]`, so its command line reads `MARKER 3600` while its process name
/// stays `sleep`. Beware: a shell whose own arguments contain the marker (`sh -c 'pgrep -f
/// MARKER'`) matches too; a script file that reads the marker from its contents does not.
pub struct Process {
    child: Child,
    marker: String,
}

impl Process {
    /// Starts the process; its marker is `orche-marker-NAME-TOKEN`. `name` may hold only
    /// letters, digits, `-` and `_`, so the marker has no regular-expression metacharacters.
    pub fn spawn_marker(name: &str) -> Result<Process, String> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            return Err(format!(
                "marker name {name:?} must be letters, digits, `-` and `_`"
            ));
        }
        let marker = format!("orche-marker-{name}-{}", unique_token());
        let mut cmd = Command::new("sleep");
        cmd.arg0(&marker)
            .arg("3600")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `sleep 3600` as {marker}: {e}"))?;
        Ok(Process { child, marker })
    }

    /// The marker string in its command line.
    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it now and waits until it is gone.
    pub fn kill(self) {}
}

impl Drop for Process {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}
