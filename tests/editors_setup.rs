//! docs/editors.md followed on real editors: `editors/check/emacs-eglot.sh` (Emacs with eglot)
//! and `editors/check/neovim.sh` (Neovim) take the configuration blocks from the doc, install
//! them in a fresh `HOME`, open a file with a conflict headless, and check that the editor
//! received `orche::eval::conflict` from `orche lsp` and that it cleared after the fix.
//!
//! Each skips with a message when its editor is not installed; `.ci/run` installs neither
//! (`apt-get install emacs-nox elpa-eglot neovim` on Debian 12 gives the versions the doc names).

use std::path::Path;
use std::process::{Command, Stdio};

const ORCHE: &str = env!("CARGO_BIN_EXE_orche");

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_check(script: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = Command::new("bash")
        .arg(&path)
        .arg(ORCHE)
        .stdin(Stdio::null())
        .output()
        .expect("run the check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
    assert!(
        text.contains("ok: the conflict was shown, then cleared after the fix"),
        "{script}:\n{text}"
    );
    assert!(text.contains("orche::eval::conflict"), "{script}:\n{text}");
}

#[test]
fn emacs_eglot_shows_the_diagnostic() {
    if !succeeds(Command::new("emacs").args(["--batch", "--eval", "(require 'eglot)"])) {
        eprintln!("editors_setup: emacs with eglot not installed; docs/editors.md's Emacs setup not checked");
        return;
    }
    run_check("editors/check/emacs-eglot.sh");
}

#[test]
fn neovim_shows_the_diagnostic() {
    if !succeeds(Command::new("nvim").arg("--version")) {
        eprintln!("editors_setup: nvim not installed; docs/editors.md's Neovim setup not checked");
        return;
    }
    run_check("editors/check/neovim.sh");
}
