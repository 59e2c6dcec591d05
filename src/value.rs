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

/// A concrete scalar, borrowed from wherever it is stored.
#[derive(Clone, Copy, Debug)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Num(&'a Num),
    Str(&'a str),
    Bytes(&'a [u8]),
}

impl Scalar<'_> {
    pub fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Num(n) => Value::Num(n.clone()),
            Scalar::Str(s) => Value::Str(s.to_string()),
            Scalar::Bytes(b) => Value::Bytes(b.to_vec()),
        }
    }
}

/// Receives concrete data as a stream of events, in output order, so that an emitter can
/// write it without a `Value` tree being built first. A struct field is announced by `field`
/// just before its value; a value whose export fails may be missing or partial (the exporter
/// then reports failure and the receiver's result is discarded).
pub trait DataSink {
    fn scalar(&mut self, s: Scalar);
    fn begin_struct(&mut self);
    fn field(&mut self, name: &str);
    /// `field` for a field name known by a symbol number (the same name each time): sinks may
    /// keep what they made of it.
    fn field_sym(&mut self, _sym: u32, name: &str) {
        self.field(name);
    }
    /// `field_sym` for symbol `sym` without its name, when the sink needs none (it kept
    /// what it made of the name, or ignores names): `false` if the caller must call
    /// `field_sym` instead (nothing was done).
    fn field_known(&mut self, _sym: u32) -> bool {
        false
    }
    fn end_struct(&mut self);
    fn begin_list(&mut self);
    fn end_list(&mut self);
    /// Whether the shared value `v` (a vertex number) was walked into this sink before without
    /// an error, so that it may be skipped: only for a sink that keeps no data.
    fn walked_clean(&mut self, _v: u32) -> bool {
        false
    }
    /// Notes that the shared value `v` was walked without an error.
    fn mark_clean(&mut self, _v: u32) {}
}

/// Discards data events: for walks that only collect errors. It remembers the shared values
/// (a vertex several fields forward to: `total_resources` entries, `health: #Health`) it walked
/// without an error, so that the walk does not go through them again for every field that
/// shares them.
#[derive(Default)]
pub struct NullSink {
    /// A bit per vertex walked clean.
    clean: Vec<u64>,
}

impl NullSink {
    pub fn new() -> NullSink {
        NullSink::default()
    }
}

impl DataSink for NullSink {
    fn scalar(&mut self, _: Scalar) {}
    fn begin_struct(&mut self) {}
    fn field(&mut self, _: &str) {}
    fn field_known(&mut self, _: u32) -> bool {
        true
    }
    fn end_struct(&mut self) {}
    fn begin_list(&mut self) {}
    fn end_list(&mut self) {}
    fn walked_clean(&mut self, v: u32) -> bool {
        self.clean
            .get(v as usize / 64)
            .is_some_and(|w| w & (1 << (v % 64)) != 0)
    }
    fn mark_clean(&mut self, v: u32) {
        let i = v as usize / 64;
        if self.clean.len() <= i {
            self.clean.resize(i + 1, 0);
        }
        self.clean[i] |= 1 << (v % 64);
    }
}

/// Builds a `Value` from data events.
#[derive(Default)]
pub struct ValueBuilder {
    stack: Vec<Open>,
    root: Option<Value>,
}

enum Open {
    Struct(IndexMap<String, Value>, Option<String>),
    List(Vec<Value>),
}

impl ValueBuilder {
    fn put(&mut self, v: Value) {
        match self.stack.last_mut() {
            Some(Open::Struct(m, key)) => {
                if let Some(k) = key.take() {
                    m.insert(k, v);
                }
            }
            Some(Open::List(items)) => items.push(v),
            None => self.root = Some(v),
        }
    }

    /// The value built, once every container is closed.
    pub fn finish(self) -> Option<Value> {
        self.root
    }
}

impl DataSink for ValueBuilder {
    fn scalar(&mut self, s: Scalar) {
        self.put(s.to_value());
    }

    fn begin_struct(&mut self) {
        self.stack.push(Open::Struct(IndexMap::new(), None));
    }

    fn field(&mut self, name: &str) {
        if let Some(Open::Struct(_, key)) = self.stack.last_mut() {
            *key = Some(name.to_string());
        }
    }

    fn end_struct(&mut self) {
        if let Some(Open::Struct(m, _)) = self.stack.pop() {
            self.put(Value::Struct(m));
        }
    }

    fn begin_list(&mut self) {
        self.stack.push(Open::List(Vec::new()));
    }

    fn end_list(&mut self) {
        if let Some(Open::List(items)) = self.stack.pop() {
            self.put(Value::List(items));
        }
    }
}
