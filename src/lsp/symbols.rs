//! The outline of a document (`textDocument/documentSymbol`): its fields as a tree, read from
//! the syntax tree. A field whose value is a struct, or a unification with one
//! (`federation.#Federation & {…}`), has its fields as children, so sites and resources nest
//! under the federation; embedded structs at the top level are looked into the same way.
//! Definitions are `Class` symbols, struct-valued fields `Namespace`, others `Field`. A document
//! that does not parse has no outline (an empty list): its syntax error is a diagnostic.

use crate::render;
use crate::source::{ColumnUnit, SourceMap, Span};
use crate::syntax::{self, ast};
use serde_json::{json, Value};

/// The outline of `text` as a list of LSP `DocumentSymbol`s, positions in `unit`.
pub fn outline(text: &str, unit: ColumnUnit) -> Value {
    let mut sources = SourceMap::new();
    let id = sources.add("doc", text);
    let Ok(file) = syntax::parse_file(id, text) else {
        return json!([]);
    };
    let cx = Cx {
        sources: &sources,
        unit,
    };
    Value::Array(cx.decls(&file.decls))
}

struct Cx<'a> {
    sources: &'a SourceMap,
    unit: ColumnUnit,
}

impl Cx<'_> {
    fn decls(&self, decls: &[ast::Decl]) -> Vec<Value> {
        let mut out = Vec::new();
        for d in decls {
            match d {
                ast::Decl::Field(f) => out.extend(self.field(f)),
                ast::Decl::Embed(e) => out.extend(self.children(e)),
                _ => {}
            }
        }
        out
    }

    fn field(&self, f: &ast::Field) -> Option<Value> {
        let name = match &f.label.kind {
            ast::LabelKind::Ident(i) => i.name.clone(),
            ast::LabelKind::String(s) => format!("{s:?}"),
            _ => return None,
        };
        let children = self.children(&f.value);
        let kind = if name.starts_with('#') {
            5 // Class
        } else if !children.is_empty() || matches!(f.value.kind, ast::ExprKind::Struct(_)) {
            3 // Namespace
        } else {
            8 // Field
        };
        let mut sym = json!({
            "name": name,
            "kind": kind,
            "range": self.range(f.span),
            "selectionRange": self.range(f.label.span),
        });
        if !children.is_empty() {
            sym["children"] = Value::Array(children);
        }
        Some(sym)
    }

    /// The fields of the structs a value is made of.
    fn children(&self, e: &ast::Expr) -> Vec<Value> {
        match &e.kind {
            ast::ExprKind::Struct(decls) => self.decls(decls),
            ast::ExprKind::Binary(ast::BinaryOp::And, a, b) => {
                let mut v = self.children(a);
                v.extend(self.children(b));
                v
            }
            ast::ExprKind::Paren(x) => self.children(x),
            _ => Vec::new(),
        }
    }

    fn range(&self, span: Span) -> Value {
        super::lsp_range(&render::location(self.sources, span, self.unit))
    }
}
