//! A large input with an error in every one of tens of thousands of fields is reported in full,
//! in time linear in the number of errors. Reporting used to compare every error with every
//! other and have miette scan the whole file for every snippet: 50 000 errors took minutes,
//! which to a user is a hang. Not a benchmark: the bound is a hundred times the time taken.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FIELDS: usize = 50_000;

fn run_bounded(args: &[&str], input: &str) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("orche-many-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("in.orc");
    std::fs::write(&file, input).expect("write input");
    let mut child = Command::new(env!("CARGO_BIN_EXE_orche"))
        .args(args)
        .arg(&file)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run orche");
    // Drain both pipes on threads: the reports are megabytes.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("orche {args:?} on {FIELDS} errors did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_dir_all(&dir);
    (
        status.code().unwrap_or(-1),
        out_t.join().expect("stdout thread"),
        err_t.join().expect("stderr thread"),
    )
}

#[test]
fn fifty_thousand_errors_are_all_reported() {
    let mut input = String::from("#D: {a: int & >10}\nr: {\n");
    for i in 0..FIELDS {
        input.push_str(&format!("\tk{i}: #D & {{a: {}}}\n", i % 10));
    }
    input.push_str("}\n");
    for args in [&["vet"][..], &["export"], &["vet", "--format", "json"]] {
        let (code, out, err) = run_bounded(args, &input);
        assert_eq!(code, 1, "orche {args:?}");
        let text = if args.len() > 1 { out } else { err };
        // Every field's error, and the last one rendered with its own line.
        assert!(
            text.contains("r.k0.a"),
            "orche {args:?}: first error missing"
        );
        assert!(
            text.contains(&format!("r.k{}.a", FIELDS - 1)),
            "orche {args:?}: last error missing"
        );
        if args.len() == 1 {
            assert_eq!(
                text.matches("invalid value").count(),
                FIELDS,
                "orche {args:?}"
            );
            assert!(
                text.contains(&format!("in.orc:{}:", FIELDS + 2)),
                "orche {args:?}: last snippet"
            );
        }
    }
}
