//! Running the `orche` binary on a case, shared by the golden and conformance runners: a fresh
//! scratch folder per case, a hard timeout (the child is killed, never waited on forever), and a
//! small thread pool that keeps results in input order so reports are deterministic.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test target.
pub const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

/// How one run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exited with this code.
    Exited(i32),
    /// Killed by a signal it did not ask for (a stack overflow aborts, for example).
    Signalled,
    /// Still running at the deadline, and killed.
    TimedOut,
}

/// What one run printed and how it ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status: Status,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Outcome {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// A Rust panic (exit code 101 or the panic message) or death by signal: never acceptable.
    pub fn crashed(&self) -> bool {
        match self.status {
            Status::Exited(101) | Status::Signalled => true,
            Status::Exited(_) => self.stderr_text().contains("panicked at"),
            Status::TimedOut => false,
        }
    }
}

/// A scratch folder, removed again when dropped.
pub struct Scratch {
    pub path: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Creates an empty folder under cargo's scratch area for this target, unique per process and call.
pub fn scratch(runner: &str) -> std::io::Result<Scratch> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(runner)
        .join(format!("{}-{}", std::process::id(), n));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path)?;
    Ok(Scratch { path })
}

/// Writes `data` to `name` (a relative path like `cue.mod/module.cue`) inside `dir`, refusing
/// names that would escape it.
pub fn write_file(dir: &Path, name: &str, data: &str) -> Result<(), String> {
    let rel = Path::new(name);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!(
            "section name {name:?} is not a plain relative path"
        ));
    }
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(&path, data).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Runs `orche ARGS` in `dir` with stdin closed, NO_COLOR set and a deadline.
pub fn run(args: &[String], dir: &Path, timeout: Duration) -> std::io::Result<Outcome> {
    let mut child = Command::new(ORCHE)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Read both pipes on their own threads so that a chatty child never blocks on a full pipe.
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
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break match status.code() {
                Some(code) => Status::Exited(code),
                None => Status::Signalled,
            };
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break Status::TimedOut;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Outcome {
        status,
        stdout,
        stderr,
    })
}

/// Maps `f` over `items` on a few threads (`ORCHE_TEST_THREADS`, default: the number of cores),
/// returning results in input order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::env::var("ORCHE_TEST_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, 64);
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every item was mapped"))
        .collect()
}

/// Every file under `root` whose name ends with `suffix`, sorted, as paths relative to `root`
/// with `/` separators.
pub fn find_files(root: &Path, suffix: &str) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, suffix: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, suffix, out);
            } else if path.to_string_lossy().ends_with(suffix) {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, suffix, &mut out);
    out.sort();
    out
}
