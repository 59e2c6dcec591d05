//! `orche fmt` rewriting files in place, as a user runs it: a file that changes is rewritten
//! (through a temporary file and a rename: no temporary file is left, the permissions stay);
//! a file already formatted is not touched (its modification time stays); a file with a
//! syntax error stays byte for byte; a second run finds nothing to do (exit 0, `--check` too).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn orche(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orche"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run orche");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rewrites_in_place_only_what_changes() {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fmt_cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let messy = dir.join("sub/messy.orc");
    let clean = dir.join("clean.orc");
    let broken = dir.join("broken.cue");
    std::fs::write(&messy, "a:   1\nb:{c:1}\n").unwrap();
    std::fs::set_permissions(&messy, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::write(&clean, "a: 1\n").unwrap();
    std::fs::write(&broken, "a: {\n").unwrap();
    let old_time = std::fs::metadata(&clean).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));

    let (code, _, stderr) = orche(&dir, &["fmt"]);
    assert_eq!(code, 1, "the broken file is an error: {stderr}");
    assert!(stderr.contains("broken.cue"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "a: 1\nb: {c: 1}\n"
    );
    let mode = std::fs::metadata(&messy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(
        std::fs::metadata(&clean).unwrap().modified().unwrap(),
        old_time
    );
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "a: {\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());

    std::fs::remove_file(&broken).unwrap();
    assert_eq!(orche(&dir, &["fmt"]).0, 0);
    assert_eq!(
        orche(&dir, &["fmt", "--check"]),
        (0, String::new(), String::new())
    );
}
