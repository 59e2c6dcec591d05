//! The `text/tabwriter` package: `Write` aligns tab-separated cells in columns, as Go's
//! `tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)` (CUE's settings) does: a column block is a run of
//! consecutive lines that have a cell in that column; each cell is padded with spaces to the
//! widest cell of its block plus one. Invariant: widths count characters, as Go counts runes.

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::Value;

type R = Result<Value, BuiltinError>;

pub(super) static FUNCS: &[Builtin] = &[builtin!("text/tabwriter", "Write", 1, write)];

fn write(args: &[Value]) -> R {
    let a = Args::new(args, "tabwriter.Write");
    let mut text = String::new();
    match a.get(0)? {
        Value::Str(s) => text.push_str(s),
        Value::Bytes(b) => text.push_str(&String::from_utf8_lossy(b)),
        Value::List(items) => {
            for v in items {
                match v {
                    Value::Str(s) => text.push_str(s),
                    Value::Bytes(b) => text.push_str(&String::from_utf8_lossy(b)),
                    v => {
                        return Err(a.fail(format!(
                            "error in call to text/tabwriter.Write: cannot use value {} (type {}) as (string|bytes)",
                            super::show(v),
                            v.kind_name()
                        )))
                    }
                }
                text.push('\n');
            }
        }
        v => {
            return Err(a.fail(format!(
                "tabwriter.Write: unsupported type {}",
                v.kind_name()
            )))
        }
    }
    Ok(Value::Str(align(&text)))
}

/// The aligned text: lines split at `\n`, cells at `\t`.
fn align(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len());
    let mut widths = Vec::new();
    format(&lines, &mut widths, 0, lines.len(), &mut out);
    out
}

/// Go's `Writer.format`: lays out lines `line0..line1` knowing the widths of the columns to
/// the left (`widths`).
fn format(
    lines: &[Vec<&str>],
    widths: &mut Vec<usize>,
    mut line0: usize,
    line1: usize,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(lines, widths, line0, this, out);
        line0 = this;
        let mut width = 0;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].chars().count() + 1);
            this += 1;
        }
        widths.push(width);
        format(lines, widths, line0, this, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, widths, line0, line1, out);
}

fn write_lines(
    lines: &[Vec<&str>],
    widths: &[usize],
    line0: usize,
    line1: usize,
    out: &mut String,
) {
    for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j < widths.len() {
                let w = cell.chars().count();
                out.extend(std::iter::repeat_n(' ', widths[j].saturating_sub(w)));
            }
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::align;

    #[test]
    fn columns_align_per_block() {
        assert_eq!(align("a\tbb\tc\naaaa\tb\tc\n"), "a    bb c\naaaa b  c\n");
        assert_eq!(align("a\tb\n\tc\nd\n\te\tf\n"), "a b\n  c\nd\n e f\n");
        assert_eq!(align("x\ty"), "x y");
    }
}
