//! `orche vet`: every error and warning of a package, in the format a CI system reads. Exit
//! statuses: 0 clean (warnings allowed unless `--strict`), 1 problems found, 2 a usage or I/O
//! error (an input that cannot be read, no input at all).

use orche::compile::{self, Format, Request};
use orche::diag::{Diag, Severity};
use orche::eval::ExportMode;
use orche::render;
use orche::source::ColumnUnit;
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VetFormat {
    Text,
    Json,
    Github,
    Gitlab,
    Sarif,
}

/// What `vet` prints and its exit status.
pub struct Vetted {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

/// Codes that mean the inputs could not be read at all: exit 2, not 1.
const IO_CODES: &[&str] = &[
    "orche::load::io",
    "orche::load::no_input",
    "orche::load::empty_dir",
];

/// How data files among the inputs are checked (docs/data-files.md).
#[derive(Default)]
pub struct DataArgs {
    /// `-l` labels: where each document is placed before it is checked.
    pub placement: orche::load::data::Placement,
    /// `-d` expressions: each document is checked against them instead of the root.
    pub schemas: Vec<String>,
}

/// Evaluates `files` as `orche export` does and reports every problem in `format`; `color`
/// says whether the text format may use colour. Data files among them are checked one
/// document at a time (`compile::vet_data`). `tags` are the `-t` arguments; `concrete` is
/// `-c`: without it, a package whose only errors are incomplete values fails with one error
/// saying so (cue's default), not one per value.
pub fn vet(
    files: &[PathBuf],
    format: VetFormat,
    strict: bool,
    color: bool,
    data: &DataArgs,
    tags: &orche::load::tags::Tags,
    concrete: bool,
) -> Vetted {
    let checked_data = compile::vet_data(files, &data.placement, &data.schemas, tags);
    // Data documents are checked concretely, as cue does: `-c` is implied.
    let concrete = concrete || checked_data.is_some();
    let outcome = checked_data.unwrap_or_else(|| {
        compile::run(&Request {
            paths: files.to_vec(),
            expr: None,
            mode: ExportMode::Concrete,
            format: Format::Diagnostics,
            exit_after: true,
            tags: tags.clone(),
            concrete: true,
            show_hidden: false,
        })
    });
    let mut warnings = outcome.warnings;
    warnings.sort_by_key(|d| d.labels.first().map(|l| (l.span.file, l.span.start)));
    let mut all: Vec<Diag> = outcome.diags;
    if !concrete && !all.is_empty() && all.iter().all(|d| d.code == "orche::eval::incomplete") {
        all = vec![Diag::new(
            "orche::vet::incomplete",
            "some instances are incomplete; use the -c flag to show errors or -c=false to allow incomplete instances",
        )];
    }
    let io = all.iter().any(|d| IO_CODES.contains(&d.code));
    all.extend(warnings);
    let items = render::locate(&outcome.sources, &all, ColumnUnit::Chars);
    let summary = render::summary(&outcome.sources, &items);
    let code = if io {
        2
    } else if summary.errors > 0 || (strict && summary.warnings > 0) {
        1
    } else {
        0
    };
    let (stdout, stderr) = match format {
        VetFormat::Text => {
            let mut text = render::text::render(&outcome.sources, &all, color);
            if !all.is_empty() {
                text.push_str(&render::summary_line(&summary));
                text.push('\n');
            }
            (String::new(), text)
        }
        VetFormat::Json => (render::json::render(&items, &summary), String::new()),
        VetFormat::Github => (render::github::render(&items), String::new()),
        VetFormat::Gitlab => (render::gitlab::render(&items), String::new()),
        VetFormat::Sarif => (render::sarif::render(&items), String::new()),
    };
    debug_assert!(all
        .iter()
        .all(|d| d.severity == Severity::Error || d.code.starts_with("orche::lint::")));
    Vetted {
        stdout,
        stderr,
        code,
    }
}
