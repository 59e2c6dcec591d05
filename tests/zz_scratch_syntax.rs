use orche::source::FileId;
#[test]
fn perf_and_fuzz() {
    let mut big = String::new();
    let mut i = 0;
    while big.len() < 1 << 20 {
        big.push_str(&format!(
            "field{i}: {{a: {i}, b: \"str\\(x) and more\", c: [1, 2, 3], d: *1 | int & >=0}}\n"
        ));
        i += 1;
    }
    let t = std::time::Instant::now();
    orche::syntax::parse_file(FileId(0), &big).unwrap();
    println!("1MB valid: {:?}", t.elapsed());
    // fuzz: all conformance cue sections, truncated and mutated
    let mut texts = Vec::new();
    for entry in std::process::Command::new("find")
        .args(["/work/shared/conformance", "-name", "*.txtar"])
        .output()
        .unwrap()
        .stdout
        .split(|&b| b == b'\n')
    {
        if entry.is_empty() {
            continue;
        }
        texts.push(std::fs::read_to_string(std::str::from_utf8(entry).unwrap()).unwrap());
    }
    let mut seed: u64 = 12345;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let toks = [
        "{", "}", "[", "]", "(", ")", "\"", "'", "\\(", "#", ":", ",", "\n", "...", "for", "if",
        "let", "@a(", "\"\"\"\n", "|", "&", "*", "=", "?", "!", "_|_",
    ];
    let t = std::time::Instant::now();
    let mut worst = std::time::Duration::ZERO;
    let mut n = 0;
    for text in &texts {
        for _ in 0..30 {
            let mut s: Vec<char> = text.chars().collect();
            for _ in 0..(1 + rnd(4)) {
                let pos = rnd(s.len() + 1);
                match rnd(3) {
                    0 => {
                        s.truncate(pos);
                    }
                    1 => {
                        let tok = toks[rnd(toks.len())];
                        for (k, c) in tok.chars().enumerate() {
                            s.insert((pos + k).min(s.len()), c);
                        }
                    }
                    _ => {
                        if pos < s.len() {
                            s.remove(pos);
                        }
                    }
                }
            }
            let s: String = s.into_iter().collect();
            let t1 = std::time::Instant::now();
            let _ = orche::syntax::parse_file(FileId(0), &s);
            let _ = orche::syntax::parse_expr(FileId(0), &s);
            worst = worst.max(t1.elapsed());
            n += 1;
        }
    }
    println!("fuzz {n} cases in {:?}, worst {:?}", t.elapsed(), worst);
}
