//! The `struct` package: `MinFields` and `MaxFields`, validators on the number of regular
//! fields. Invariant: only the fields present in the concrete `Value` are counted (hidden and
//! definition fields never reach a `Value`).

use super::{builtin, Args, Builtin, BuiltinError};
use crate::value::Value;

const P: &str = "struct";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "MaxFields", 2, max_fields, validator),
    builtin!(P, "MinFields", 2, min_fields, validator),
];

fn min_fields(args: &[Value]) -> Result<Value, BuiltinError> {
    let a = Args::new(args, "struct.MinFields");
    let count = a.strct(0)?.len();
    let n = a.i64(1)?;
    if count as i64 >= n {
        return Ok(Value::Bool(true));
    }
    Err(a.fail(format!("len(fields) < MinFields({n}) ({count} < {n})")))
}

fn max_fields(args: &[Value]) -> Result<Value, BuiltinError> {
    let a = Args::new(args, "struct.MaxFields");
    let count = a.strct(0)?.len();
    let n = a.i64(1)?;
    if count as i64 <= n {
        return Ok(Value::Bool(true));
    }
    Err(a.fail(format!("len(fields) > MaxFields({n}) ({count} > {n})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    #[test]
    fn counts_fields() {
        let mut m = IndexMap::new();
        m.insert("a".to_string(), Value::int(1));
        let s = Value::Struct(m);
        assert_eq!(
            min_fields(&[s.clone(), Value::int(1)]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            max_fields(&[s.clone(), Value::int(1)]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            min_fields(&[s.clone(), Value::int(2)]),
            Err(BuiltinError::Msg(
                "len(fields) < MinFields(2) (1 < 2)".into()
            ))
        );
        assert!(max_fields(&[s, Value::int(0)]).is_err());
        assert!(min_fields(&[Value::int(1), Value::int(0)]).is_err());
    }
}
