//! Property tests of unification on generated values (proptest): `&` is commutative,
//! associative and idempotent, `_` is its identity and `_|_` absorbs everything; `|` is
//! commutative and idempotent, defaults included; and the JSON export of a generated concrete
//! value, read back as source, exports the same.
//!
//! Two values are compared as the lattice sees them: each is unified with a fixed set of
//! probes (scalars of every kind, structs, lists, `_`), and for every probe both must fail or
//! both export the same JSON (maps compared without regard to field order, which CUE takes
//! from the first conjunct). Evaluation goes through the library's entry point
//! (`compile::check_texts`), as `orche export` evaluates a package.

use orche::compile::check_texts;
use proptest::prelude::*;

/// Values of every kind, and structs and lists built of them, as source text.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-2i64..3).prop_map(|n| n.to_string()),
        Just("1.5".to_string()),
        prop_oneof![Just("\"a\""), Just("\"b\"")].prop_map(str::to_string),
        prop_oneof![Just("true"), Just("false"), Just("null")].prop_map(str::to_string),
        prop_oneof![
            Just("int"),
            Just("string"),
            Just("bool"),
            Just("number"),
            Just("float"),
            Just("_"),
        ]
        .prop_map(str::to_string),
        (
            prop_oneof![Just(">"), Just(">="), Just("<"), Just("<="), Just("!=")],
            -1i64..3
        )
            .prop_map(|(op, n)| format!("{op}{n}")),
        Just("=~\"^a\"".to_string()),
    ];
    // Disjunctions of plain alternatives only (no disjunction inside a disjunction): the
    // defaults of nested disjunctions are a known gap (`known_gap`).
    let plain = leaf.clone().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (prop_oneof![Just("f"), Just("g")], inner.clone())
                .prop_map(|(l, a)| format!("{{{l}: {a}}}")),
            proptest::collection::vec(inner, 0..3).prop_map(|xs| format!("[{}]", xs.join(", "))),
        ]
    });
    leaf.prop_recursive(3, 16, 3, move |inner| {
        prop_oneof![
            (plain.clone(), plain.clone()).prop_map(|(a, b)| format!("({a} | {b})")),
            (plain.clone(), plain.clone()).prop_map(|(a, b)| format!("(*{a} | {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} & {b})")),
            (
                prop_oneof![Just("f"), Just("g")],
                inner.clone(),
                proptest::option::of(inner.clone())
            )
                .prop_map(|(l, a, b)| match b {
                    Some(b) if l == "f" => format!("{{f: {a}, g: {b}}}"),
                    Some(b) => format!("{{g: {a}, h: {b}}}"),
                    None => format!("{{{l}: {a}}}"),
                }),
            proptest::collection::vec(inner, 0..3).prop_map(|xs| format!("[{}]", xs.join(", "))),
        ]
    })
}

/// Concrete data only: what JSON can hold.
fn concrete() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-1000i64..1000).prop_map(|n| n.to_string()),
        (-1000i64..1000, 1u32..4).prop_map(|(n, d)| format!("{}", n as f64 / 10f64.powi(d as i32))),
        "[a-z é€\"\\\\\n]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        prop_oneof![Just("true"), Just("false"), Just("null")].prop_map(str::to_string),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|xs| format!("[{}]", xs.join(", "))),
            proptest::collection::btree_map("[a-z][a-z0-9-]{0,4}", inner, 0..4).prop_map(|m| {
                let fields: Vec<String> = m
                    .into_iter()
                    .map(|(k, v)| format!("{}: {v}", serde_json::to_string(&k).unwrap()))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }),
        ]
    })
}

const PROBES: &[&str] = &[
    "_",
    "0",
    "1",
    "2",
    "-1",
    "1.5",
    "\"a\"",
    "\"b\"",
    "true",
    "null",
    "{f: 1}",
    "{g: \"a\"}",
    "[1]",
    "[1, 2]",
    "[]",
];

/// The export of `out: EXPR`, or `None` when it fails (an error, or not concrete).
fn export(expr: &str) -> Option<serde_json::Value> {
    let text = format!("out: {expr}\n");
    let outcome = check_texts(&[("p.orc".to_string(), text)]);
    let json = outcome.output?;
    let v: serde_json::Value = serde_json::from_str(&json).expect("orche exports valid JSON");
    Some(v["out"].clone())
}

/// Values the evaluator is known to get wrong, FIXME(#13): defaults of disjunctions nested in
/// others where several are marked, met with structs or lists
/// (testdata/eval/disjunct/nested_default_met.txtar), and a join of a disjunction with nested
/// defaults with itself (`((*(*0 | 0) | (*1 | 0)) | (*(*0 | 0) | (*1 | 0)))` is `0` in CUE). The
/// generator makes disjunctions of plain alternatives only; a disjunction reaches another one
/// through `&` alone, which this skips when several carry marks and one has a struct or list.
fn known_gap(values: &[&str]) -> bool {
    values
        .iter()
        .any(|v| v.matches('*').count() > 1 && (v.contains('{') || v.contains('[')))
}

/// Whether `a` and `b` are the same lattice element as far as the probes can tell; the first
/// probe that tells them apart otherwise.
fn same(a: &str, b: &str) -> Result<(), String> {
    for p in PROBES {
        let (x, y) = (
            export(&format!("({a}) & {p}")),
            export(&format!("({b}) & {p}")),
        );
        if x != y {
            return Err(format!(
                "with probe {p}:\n  ({a}) & {p} → {x:?}\n  ({b}) & {p} → {y:?}"
            ));
        }
    }
    Ok(())
}

/// A fixed seed, so that `cargo test` runs the same cases every time (a failure in CI is a
/// regression, not a newly drawn value); `PROPTEST_RNG_SEED=random` explores new ones, and
/// `PROPTEST_CASES=2000` more of them.
fn config() -> ProptestConfig {
    let seed = match std::env::var("PROPTEST_RNG_SEED").as_deref() {
        Ok("random") => proptest::test_runner::RngSeed::Random,
        Ok(n) => n
            .parse()
            .map(proptest::test_runner::RngSeed::Fixed)
            .unwrap_or(proptest::test_runner::RngSeed::Fixed(13)),
        Err(_) => proptest::test_runner::RngSeed::Fixed(13),
    };
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases,
        rng_seed: seed,
        // Shrinking re-evaluates hundreds of candidates: keep a failure's report quick.
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn meet_is_commutative(a in value(), b in value()) {
        prop_assume!(!known_gap(&[&a, &b]));
        same(&format!("({a}) & ({b})"), &format!("({b}) & ({a})")).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn meet_is_associative(a in value(), b in value(), c in value()) {
        prop_assume!(!known_gap(&[&a, &b, &c]));
        same(&format!("(({a}) & ({b})) & ({c})"), &format!("({a}) & (({b}) & ({c}))"))
            .map_err(TestCaseError::fail)?;
    }

    #[test]
    fn meet_is_idempotent(a in value()) {
        prop_assume!(!known_gap(&[&a]));
        same(&format!("({a}) & ({a})"), &a).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn top_is_the_identity(a in value()) {
        prop_assume!(!known_gap(&[&a]));
        same(&format!("({a}) & _"), &a).map_err(TestCaseError::fail)?;
        same(&format!("_ & ({a})"), &a).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn bottom_absorbs(a in value()) {
        prop_assert_eq!(export(&format!("({a}) & _|_")), None);
        prop_assert_eq!(export(&format!("_|_ & ({a})")), None);
    }

    #[test]
    fn join_is_commutative_and_idempotent(a in value(), b in value()) {
        prop_assume!(!known_gap(&[&a, &b]));
        same(&format!("({a}) | ({b})"), &format!("({b}) | ({a})")).map_err(TestCaseError::fail)?;
        same(&format!("*({a}) | ({b})"), &format!("({b}) | *({a})"))
            .map_err(TestCaseError::fail)?;
        same(&format!("({a}) | ({a})"), &a).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn a_default_is_taken_only_when_nothing_else_decides(a in concrete(), b in concrete()) {
        // `*a | b` exports `a`; met with `b` it is `*(a & b) | b`: `a & b` where that is a
        // value (structs are open), `b` where it fails.
        prop_assert_eq!(export(&format!("*({a}) | ({b})")), export(&a));
        let met = export(&format!("(*({a}) | ({b})) & ({b})"));
        let expected = export(&format!("({a}) & ({b})")).or_else(|| export(&b));
        prop_assert_eq!(met, expected);
    }

    #[test]
    fn concrete_values_round_trip_through_json(v in concrete()) {
        let first = export(&v);
        prop_assert!(first.is_some(), "{} does not export", v);
        let first = first.unwrap();
        let again = export(&serde_json::to_string(&first).unwrap());
        prop_assert_eq!(Some(first), again);
    }
}

#[test]
fn the_comparison_tells_different_values_apart() {
    // The probes must see the difference between near values, or the properties above would
    // hold for any evaluator.
    assert!(same("int", "number").is_err());
    assert!(same(">0", ">=0").is_err());
    assert!(same("{f: 1}", "{f: 1, g: 1}").is_err());
    assert!(same("*1 | 2", "1 | *2").is_err());
    assert!(same("[1]", "[1, ...]").is_err());
    assert!(same("{f: 1} & {g: \"a\"}", "{g: \"a\", f: 1}").is_ok());
}
