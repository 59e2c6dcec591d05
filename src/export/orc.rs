//! `orche eval` output: an evaluated value in orche (CUE) syntax, incomplete values included,
//! definitions and optional fields shown, lets left out. Invariant: fields print in the order
//! the evaluator stored them.

use crate::eval::{Ctx, VId};
use crate::lower::Label;

pub fn print(ctx: &Ctx, v: VId) -> String {
    let mut out = String::new();
    let t = ctx.deref(v);
    if ctx.v(t).is_struct && ctx.v(t).alts().is_none() && ctx.v(t).err.is_none() {
        fields(ctx, t, 0, &mut out);
    } else {
        value(ctx, v, 0, &mut out);
        out.push('\n');
    }
    out
}

fn tabs(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push('\t');
    }
}

fn fields(ctx: &Ctx, v: VId, depth: usize, out: &mut String) {
    let vx = ctx.v(v);
    for (l, a) in vx.arcs.iter() {
        let av = ctx.v(*a);
        let name = match l {
            Label::Field(_) => ctx.label_name(*l),
            _ => continue,
        };
        let marker = if av.has_regular {
            ""
        } else if av.has_required {
            "!"
        } else if av.has_optional {
            "?"
        } else {
            ""
        };
        tabs(out, depth);
        out.push_str(&name);
        out.push_str(marker);
        out.push_str(": ");
        value(ctx, *a, depth, out);
        out.push('\n');
    }
}

fn value(ctx: &Ctx, v: VId, depth: usize, out: &mut String) {
    let t = ctx.deref(v);
    let vx = ctx.v(t);
    if let Some(e) = &vx.err {
        out.push_str("_|_ // ");
        out.push_str(&e.msg);
        return;
    }
    if let Some(alts) = vx.alts() {
        for (i, (a, d)) in alts.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            if *d {
                out.push('*');
            }
            value(ctx, *a, depth, out);
        }
        return;
    }
    if vx.is_struct {
        if vx.arcs.keys().all(|l| !matches!(l, Label::Field(_))) {
            out.push_str("{}");
            return;
        }
        out.push_str("{\n");
        fields(ctx, t, depth + 1, out);
        tabs(out, depth);
        out.push('}');
        return;
    }
    if !vx.lists().is_empty() {
        let items = vx.list_elems();
        let open = vx.lists().iter().all(|l| l.open);
        if items.is_empty() {
            out.push_str(if open { "[...]" } else { "[]" });
            return;
        }
        out.push_str("[\n");
        for (_, a) in items {
            tabs(out, depth + 1);
            value(ctx, a, depth + 1, out);
            out.push_str(",\n");
        }
        if open {
            tabs(out, depth + 1);
            out.push_str("...\n");
        }
        tabs(out, depth);
        out.push(']');
        return;
    }
    out.push_str(&crate::eval::show_val(&vx.base));
}
