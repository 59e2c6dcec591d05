//! `orche lsp` driven by a third-party client: runs `tests/lsp_client` (pytest-lsp, on pygls
//! and lsprotocol) against the built binary, with the Python of the venv `.ci/run` makes at
//! `<target>/lsp-client-venv` from `tests/lsp_client/requirements.txt`. Without that venv the
//! test skips with a message, or fails when `ORCHE_REQUIRE_LSP_CLIENT=1` (as `.ci/run` sets).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv's interpreter, looked for in the target directories this build may use:
/// `$CARGO_TARGET_DIR`, the one the binary was built in, and `./target`.
fn venv_python() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut targets = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        targets.push(manifest.join(dir));
    }
    // `<target>/release/orche` (or `<target>/<triple>/release/orche`).
    let bin = Path::new(env!("CARGO_BIN_EXE_orche"));
    targets.extend(bin.ancestors().skip(2).take(2).map(Path::to_path_buf));
    targets.push(manifest.join("target"));
    targets
        .into_iter()
        .map(|t| t.join("lsp-client-venv/bin/python"))
        .find(|p| p.is_file())
}

#[test]
fn pytest_lsp_drives_the_editor_scenario() {
    let Some(python) = venv_python() else {
        assert!(
            std::env::var("ORCHE_REQUIRE_LSP_CLIENT").as_deref() != Ok("1"),
            "ORCHE_REQUIRE_LSP_CLIENT=1 but no <target>/lsp-client-venv/bin/python: \
             python3 -m venv target/lsp-client-venv && \
             target/lsp-client-venv/bin/pip install -r tests/lsp_client/requirements.txt"
        );
        eprintln!(
            "lsp_third_party: no <target>/lsp-client-venv (see .ci/run); the pytest-lsp scenario did not run"
        );
        return;
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // pytest's temporary directories under the target's, not /tmp; it empties this one first.
    let basetemp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lsp_client");
    let out = Command::new(&python)
        .current_dir(manifest)
        .args(["-m", "pytest", "tests/lsp_client", "-q", "-rfEsxX"])
        .arg(format!("--basetemp={}", basetemp.display()))
        .env("ORCHE_BIN", env!("CARGO_BIN_EXE_orche"))
        // No __pycache__ in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pytest-lsp scenario failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // The summary, e.g. `18 passed, 4 xfailed in 2.80s`: every test ran, none was skipped.
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.contains(" passed") && !summary.contains("skipped"),
        "{stdout}"
    );
    eprintln!("lsp_third_party: {summary}");
}
