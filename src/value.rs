//! Evaluated values as plain data: the concrete tree that emitters print and that builtin
//! functions take and return. Invariant: a `Value` is always concrete (no types, bounds or
//! disjunctions); struct fields keep the order the evaluator gave them, so output is
//! deterministic.

pub mod number;

use indexmap::IndexMap;
pub use number::{Dec, Num};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(Num),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    /// Regular (exported) fields only, in output order.
    Struct(IndexMap<String, Value>),
}

impl Value {
    /// The CUE kind name: `null`, `bool`, `int`, `float`, `string`, `bytes`, `list`, `struct`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Num(Num::Int(_)) => "int",
            Value::Num(Num::Float(_)) => "float",
            Value::Str(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Struct(_) => "struct",
        }
    }

    pub fn int(i: i64) -> Value {
        Value::Num(Num::from_i64(i))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}
