//! Limits on one run: the evaluation budget (steps and memory), the size of numbers, strings
//! and lists a configuration may compute, and the size of an input file. Each limit that trips
//! is a [`Diag`] with its own `orche::limit::…` code (docs/diagnostics.md), never a hang.
//!
//! The budget is process-wide: the binary sets it once from its flags and environment
//! ([`configure`]) before any evaluation; the library's default is [`Budget::default`]. The
//! evaluator counts a step for every vertex it makes and every expression it evaluates, and
//! the export walk one for every value it visits; every [`CHECK_EVERY`] steps it also compares
//! the memory in use with the memory budget. When either runs out, the evaluation is abandoned
//! by unwinding to `compile` with a [`Hit`] (not a panic: no hook runs), which becomes the
//! run's one error, naming the data path being evaluated.

use crate::diag::Diag;
use crate::source::Span;
use std::sync::atomic::{AtomicU64, Ordering};

/// Steps a run may take by default: the 1000 × 50 stdlib federation (50,000 resources) takes
/// about 5 million, 2.5 % of it (docs/diagnostics.md).
pub const DEFAULT_STEPS: u64 = 200_000_000;

/// Bytes a run may have in use by default (4 GiB); the 1000 × 50 stdlib federation peaks at
/// about 0.65 GiB.
pub const DEFAULT_MEMORY: u64 = 4 << 30;

/// The largest decimal exponent a number may have (|exponent| of its most significant digit),
/// as in CUE's decimal context (`apd.MaxExponent`): `1e100001` is an error, so is any
/// arithmetic whose result would be that large or that small.
pub const MAX_EXPONENT: i64 = 100_000;

/// The longest string or byte sequence `+` or `*` may build, in bytes (64 MiB): strings that
/// double at every level of a chain of fields must not take the memory. (Builtins have their
/// own bound of 10,000,000 elements or bytes, `builtins::MAX_ELEMS`.)
pub const MAX_BUILT: usize = 64 << 20;

/// The largest input file read, in bytes (64 MiB): the 1000 × 50 stdlib federation is 11 MB,
/// the 5000 × 50 one 55 MB.
pub const MAX_INPUT: u64 = 64 << 20;

/// Steps between two comparisons of the memory in use with the budget.
pub const CHECK_EVERY: u64 = 1 << 16;

/// What a run may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub steps: u64,
    pub memory: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            steps: DEFAULT_STEPS,
            memory: DEFAULT_MEMORY,
        }
    }
}

static STEPS: AtomicU64 = AtomicU64::new(DEFAULT_STEPS);
static MEMORY: AtomicU64 = AtomicU64::new(DEFAULT_MEMORY);

/// Sets the budget of every later evaluation in this process.
pub fn configure(b: Budget) {
    STEPS.store(b.steps, Ordering::Relaxed);
    MEMORY.store(b.memory, Ordering::Relaxed);
}

/// The budget evaluations use now.
pub fn budget() -> Budget {
    Budget {
        steps: STEPS.load(Ordering::Relaxed),
        memory: MEMORY.load(Ordering::Relaxed),
    }
}

/// Reads a size as users write it: `1000000`, `4096K`, `512M`, `8G` (powers of 1024 for
/// `K`/`M`/`G`/`T`, with or without a trailing `i`/`iB`/`B`). `None` when it is not one.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(digits);
    let n: u64 = n.parse().ok()?;
    let shift = match unit.trim_end_matches("iB").trim_end_matches(['i', 'B']) {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        "T" | "t" => 40,
        _ => return None,
    };
    n.checked_mul(1 << shift)
}

/// A count as users write it: `200000000`, `200_000_000`, `200M` (powers of 1000 for `K`, `M`,
/// `G`). `None` when it is not one.
pub fn parse_count(s: &str) -> Option<u64> {
    let s: String = s.trim().chars().filter(|c| *c != '_').collect();
    let (n, mult) = match s.char_indices().last()? {
        (i, 'K' | 'k') => (&s[..i], 1_000),
        (i, 'M' | 'm') => (&s[..i], 1_000_000),
        (i, 'G' | 'g') => (&s[..i], 1_000_000_000),
        _ => (&s[..], 1),
    };
    n.parse::<u64>().ok()?.checked_mul(mult)
}

/// Which budget ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exhausted {
    Steps,
    Memory,
}

/// The unwinding payload of a budget that ran out: what ran out, the data path being evaluated
/// and its place.
#[derive(Debug)]
pub struct Hit {
    pub what: Exhausted,
    pub path: String,
    pub span: Span,
    pub budget: Budget,
}

impl Hit {
    /// Abandons the evaluation: unwinds to the `catch` of `compile` without running the panic
    /// hook (nothing is printed).
    pub fn raise(self) -> ! {
        std::panic::resume_unwind(Box::new(self))
    }

    pub fn to_diag(&self) -> Diag {
        let (code, message, help) = match self.what {
            Exhausted::Steps => (
                "orche::limit::steps",
                format!(
                    "evaluation budget exhausted: more than {} steps",
                    self.budget.steps
                ),
                "the configuration grows without bound (values that double at every \
                 level, a disjunction of many alternatives, a runaway comprehension); if it \
                 is meant to be this large, raise the budget with --max-steps N or \
                 ORCHE_MAX_STEPS=N",
            ),
            Exhausted::Memory => (
                "orche::limit::memory",
                format!(
                    "memory budget exhausted: more than {} in use",
                    human(self.budget.memory)
                ),
                "the configuration needs more memory than the budget; if it is meant to be \
                 this large, raise it with --max-memory SIZE or ORCHE_MAX_MEMORY=SIZE (e.g. 16G)",
            ),
        };
        let mut d = Diag::new(code, message)
            .with_path(self.path.clone())
            .with_help(help);
        if self.span != Span::default() {
            d = d.with_label(self.span, "being evaluated here");
        }
        d
    }
}

/// Runs `f`; a budget that runs out inside it becomes `Err` with its diagnostic. Other panics
/// go on unwinding.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Diag> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => Ok(v),
        Err(payload) => match payload.downcast::<Hit>() {
            Ok(hit) => Err(hit.to_diag()),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// `n` bytes as MiB or GiB, for messages.
pub fn human(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    }
}

/// The message of an operation that would build a string or bytes longer than [`MAX_BUILT`].
pub fn too_long(len: u128) -> String {
    format!("the result would be {len} bytes long, over the limit of {MAX_BUILT} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts_as_users_write_them() {
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("16Gi"), Some(16 << 30));
        assert_eq!(parse_size("4KB"), Some(4 << 10));
        assert_eq!(parse_size("12X"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("99999999999T"), None);
        assert_eq!(parse_count("200_000_000"), Some(200_000_000));
        assert_eq!(parse_count("5M"), Some(5_000_000));
        assert_eq!(parse_count("2G"), Some(2_000_000_000));
        assert_eq!(parse_count("x"), None);
    }

    #[test]
    fn a_hit_unwinds_to_catch_as_its_diagnostic_and_other_panics_go_on() {
        let d = catch(|| {
            Hit {
                what: Exhausted::Steps,
                path: "a.b".into(),
                span: Span::default(),
                budget: Budget::default(),
            }
            .raise()
        })
        .unwrap_err();
        assert_eq!(d.code, "orche::limit::steps");
        assert_eq!(d.path, "a.b");
        let other = std::panic::catch_unwind(|| catch(|| panic!("boom")));
        assert!(other.is_err());
    }
}
