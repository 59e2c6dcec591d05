//! An evaluated value seen as the schema the protobuf decoders of `load/data/pb.rs` ask about
//! (`json+pb:`, `yaml+pb:`, `.textproto`): fields, kinds as cue's `IncompleteKind` gives
//! them, list elements, scalar defaults. Invariant: read-only on the evaluated tree, except
//! that the type of an open list's further elements is evaluated once in a vertex of its own,
//! outside the tree.

use crate::eval::{self, Evaluated, VId, Val};
use crate::load::data::pb::Schema;
use crate::lower::{kind, Label};
use crate::syntax::ast::{Expr, ExprKind, UnaryOp};

pub(super) struct EvalSchema<'e, 'p> {
    pub ev: &'e mut Evaluated<'p>,
    /// The vertex of each open list's element type, evaluated once.
    rests: Vec<(VId, VId)>,
}

impl<'e, 'p> EvalSchema<'e, 'p> {
    pub fn new(ev: &'e mut Evaluated<'p>) -> Self {
        EvalSchema {
            ev,
            rests: Vec::new(),
        }
    }
}

impl Schema for EvalSchema<'_, '_> {
    type Node = VId;

    fn field(&mut self, at: VId, name: &str) -> Option<VId> {
        self.ev.field(at, name)
    }

    fn declared(&mut self, at: VId, name: &str) -> Option<VId> {
        self.ev
            .declared_fields(at)
            .into_iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, v)| v)
    }

    fn kind(&mut self, at: VId) -> u16 {
        let ctx = &self.ev.ctx;
        let t = ctx.deref(at);
        let vx = ctx.v(t);
        if let Some(alts) = vx.alts() {
            let alts: Vec<VId> = alts.iter().map(|(a, _)| *a).collect();
            return alts.into_iter().fold(0, |k, a| k | self.kind(a));
        }
        if vx.err.is_some() {
            0
        } else if vx.is_struct {
            kind::STRUCT
        } else if !vx.lists().is_empty() {
            kind::LIST
        } else {
            eval::kind_of_val(&vx.base)
        }
    }

    fn elem(&mut self, at: VId, i: usize) -> Option<VId> {
        let t = self.ev.ctx.deref(at);
        let vx = self.ev.ctx.v(t);
        let items = vx.list_elems();
        if let Some((_, a)) = items.get(i) {
            return Some(self.ev.ctx.deref(*a));
        }
        if let Some((_, r)) = self.rests.iter().find(|(l, _)| *l == t) {
            return Some(*r);
        }
        let rest = vx.lists().iter().find(|l| l.open)?.rest.clone()?;
        let span = vx.span;
        let r = self.ev.ctx.new_vertex(Some(t), Label::Index(0), span);
        self.ev.ctx.vm(r).conjs.push(rest);
        // Expands the vertex (its regular fields are not needed).
        self.ev.regular_fields(r);
        let r = self.ev.ctx.deref(r);
        self.rests.push((t, r));
        Some(r)
    }

    fn default_scalar(&mut self, at: VId) -> Option<ExprKind> {
        let t = self.ev.ctx.deref(at);
        let vx = self.ev.ctx.v(t);
        if vx.is_struct || !vx.lists().is_empty() || vx.alts().is_some() {
            return None;
        }
        Some(match eval::default_val(&vx.base) {
            Val::Null => ExprKind::Null,
            Val::Bool(b) => ExprKind::Bool(b),
            Val::Str(s) => ExprKind::String(s.to_string()),
            Val::Bytes(b) => ExprKind::Bytes(b.to_vec()),
            Val::Num(n) => {
                let text = n.to_string();
                let (neg, digits) = match text.strip_prefix('-') {
                    Some(d) => (true, d.to_string()),
                    None => (false, text),
                };
                let lit = if n.is_int() {
                    ExprKind::Int(digits)
                } else {
                    ExprKind::Float(digits)
                };
                if neg {
                    let span = crate::source::Span::default();
                    ExprKind::Unary(UnaryOp::Neg, Box::new(Expr { kind: lit, span }))
                } else {
                    lit
                }
            }
            _ => return None,
        })
    }
}
