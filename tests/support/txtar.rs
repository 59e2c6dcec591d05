//! The txtar archive format (as in Go's `golang.org/x/tools/txtar`), shared by the golden and
//! conformance runners. An archive is a free-form comment followed by sections, each opened by a
//! line `-- name --`. Invariant: `format(&parse(s)) == s` for every `s` that ends with a newline
//! and whose sections end with newlines, so rewriting a file changes only what was meant to change.

/// One `-- name --` section and the text that follows it, up to the next section line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub data: String,
}

/// A parsed archive: the leading comment and the sections in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Archive {
    pub comment: String,
    pub sections: Vec<Section>,
}

impl Archive {
    /// The data of the first section called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.data.as_str())
    }
}

/// The section name when `line` (without its newline) is a section marker `-- name --`.
fn marker(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let name = line.strip_prefix("-- ")?.strip_suffix(" --")?.trim();
    if name.is_empty() {
        None
    } else {
        Some(name)
    }
}

/// Splits `text` into its comment and sections. Never fails: text before the first marker is the
/// comment, and a file without markers is all comment.
pub fn parse(text: &str) -> Archive {
    let mut archive = Archive::default();
    let mut current: Option<Section> = None;
    for line in text.split_inclusive('\n') {
        if let Some(name) = marker(line.strip_suffix('\n').unwrap_or(line)) {
            if let Some(done) = current.take() {
                archive.sections.push(done);
            }
            current = Some(Section {
                name: name.to_string(),
                data: String::new(),
            });
            continue;
        }
        match current.as_mut() {
            Some(section) => section.data.push_str(line),
            None => archive.comment.push_str(line),
        }
    }
    if let Some(done) = current {
        archive.sections.push(done);
    }
    archive
}

/// Renders an archive. Like Go's txtar, a non-empty comment or section that does not end with a
/// newline gets one, because a section marker must start a line.
pub fn format(archive: &Archive) -> String {
    let mut out = String::new();
    push_with_newline(&mut out, &archive.comment);
    for section in &archive.sections {
        out.push_str("-- ");
        out.push_str(&section.name);
        out.push_str(" --\n");
        push_with_newline(&mut out, &section.data);
    }
    out
}

fn push_with_newline(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "# a case\n\n-- in.cue --\na: 1\n-- expect/args --\nin.cue\n-- empty --\n";
        let archive = parse(text);
        assert_eq!(archive.comment, "# a case\n\n");
        assert_eq!(archive.sections.len(), 3);
        assert_eq!(archive.get("in.cue"), Some("a: 1\n"));
        assert_eq!(archive.get("empty"), Some(""));
        assert_eq!(format(&archive), text);
    }

    #[test]
    fn not_markers() {
        assert_eq!(marker("-- --"), None);
        assert_eq!(marker("--x --"), None);
        assert_eq!(marker("-- a/b.cue --"), Some("a/b.cue"));
    }
}
