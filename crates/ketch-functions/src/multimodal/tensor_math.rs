//! Element-wise arithmetic on fixed-shape tensors and embeddings (Arrow
//! fixed-size lists of numbers), as Daft's `+`, `-`, `*`, `/` on them: the
//! values of two lists of the same size combine position by position, a row
//! is null where either input row is, and the result keeps the left (else the
//! right) operand's logical type with the common element type (`/`: Float64).
//! Integers wrap on overflow, as numpy's and Daft's kernels do.
//!
//! DataFusion has no arithmetic on lists; [`crate::supertype::DaftSupertypes`]
//! rewrites `a <op> b` on two fixed-size lists into a call of these
//! functions (`ketch_tensor_add`, ...), internal names outside Daft's.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray};
use arrow::buffer::NullBuffer;
use arrow::compute::cast;
use arrow::compute::kernels::numeric::{add_wrapping, div, mul_wrapping, sub_wrapping};
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::Operator;
use datafusion::logical_expr::type_coercion::binary::BinaryTypeCoercer;

use super::{Call, Logical, MediaFunction};

/// The operators with a tensor function, and the function's name.
pub const OPERATORS: [(Operator, &str); 4] = [
    (Operator::Plus, "ketch_tensor_add"),
    (Operator::Minus, "ketch_tensor_subtract"),
    (Operator::Multiply, "ketch_tensor_multiply"),
    (Operator::Divide, "ketch_tensor_divide"),
];

/// The name of the tensor function for `op`, if it has one.
pub fn function_for(op: &Operator) -> Option<&'static str> {
    OPERATORS.iter().find(|(o, _)| o == op).map(|(_, name)| *name)
}

/// Whether `a <op> b` on these types is tensor arithmetic: two fixed-size
/// lists of numbers of the same size.
pub fn applies(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::FixedSizeList(x, n), DataType::FixedSizeList(y, m)) => {
            n == m && x.data_type().is_numeric() && y.data_type().is_numeric()
        }
        _ => false,
    }
}

fn element_type(op: Operator, call: &Call) -> Result<(DataType, i32)> {
    match (call.data_type(0), call.data_type(1)) {
        (DataType::FixedSizeList(x, n), DataType::FixedSizeList(y, m)) if n == m => {
            let t = if op == Operator::Divide {
                DataType::Float64
            } else {
                BinaryTypeCoercer::new(x.data_type(), &op, y.data_type()).get_result_type()?
            };
            Ok((t, *n))
        }
        (l, r) => plan_err!("{} expects two fixed-size lists of the same size, got {l} and {r}", call.name),
    }
}

fn result_field(op: Operator, call: &Call) -> Result<Field> {
    let (t, n) = element_type(op, call)?;
    let field = |logical: Logical| logical.field(call.name);
    match call.logical(0).or_else(|| call.logical(1)) {
        Some(Logical::FixedShapeTensor(_, shape)) => field(Logical::FixedShapeTensor(t, shape)),
        Some(Logical::Embedding(_, size)) => field(Logical::Embedding(t, size)),
        _ => Ok(Field::new(call.name, DataType::new_fixed_size_list(t, n, true), true)),
    }
}

fn run(op: Operator, arrays: &[ArrayRef], out: &Field) -> Result<ArrayRef> {
    let (DataType::FixedSizeList(item, size), [l, r]) = (out.data_type(), arrays) else {
        return exec_err!("tensor arithmetic takes two fixed-size lists");
    };
    let (Some(l), Some(r)) = (l.as_fixed_size_list_opt(), r.as_fixed_size_list_opt()) else {
        return exec_err!("tensor arithmetic takes two fixed-size lists, got {} and {}", l.data_type(), r.data_type());
    };
    let (lv, rv) = (cast(l.values(), item.data_type())?, cast(r.values(), item.data_type())?);
    let values = match op {
        Operator::Plus => add_wrapping(&lv, &rv)?,
        Operator::Minus => sub_wrapping(&lv, &rv)?,
        Operator::Multiply => mul_wrapping(&lv, &rv)?,
        _ => div(&lv, &rv)?,
    };
    let nulls = NullBuffer::union(l.nulls(), r.nulls());
    Ok(Arc::new(FixedSizeListArray::try_new(item.clone(), *size, values, nulls)?))
}

/// The tensor arithmetic functions, one per operator in [`OPERATORS`].
pub fn functions() -> Vec<MediaFunction> {
    OPERATORS
        .iter()
        .map(|&(op, name)| {
            MediaFunction::new(name, move |call| result_field(op, call), move |_, arrays, out| run(op, arrays, out))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int8Array, Int16Array};
    use arrow::datatypes::{Float64Type, Int16Type};

    use super::*;

    fn lists(values: ArrayRef, nulls: Option<NullBuffer>) -> ArrayRef {
        let item = Arc::new(Field::new_list_field(values.data_type().clone(), true));
        Arc::new(FixedSizeListArray::try_new(item, 2, values, nulls).unwrap())
    }

    #[test]
    fn combines_positions_with_the_common_type_and_either_null() {
        let l = lists(Arc::new(Int8Array::from(vec![1, 2, 3, 4])), Some(NullBuffer::from(vec![true, false])));
        let r = lists(Arc::new(Int16Array::from(vec![10, 20, 30, 40])), None);
        let out = Field::new("x", DataType::new_fixed_size_list(DataType::Int16, 2, true), true);
        let sum = run(Operator::Plus, &[l.clone(), r.clone()], &out).unwrap();
        let sum = sum.as_fixed_size_list();
        assert!(sum.is_null(1));
        assert_eq!(sum.value(0).as_primitive::<Int16Type>().values(), &[11, 22]);

        let out = Field::new("x", DataType::new_fixed_size_list(DataType::Float64, 2, true), true);
        let q = run(Operator::Divide, &[r, l], &out).unwrap();
        assert_eq!(q.as_fixed_size_list().value(0).as_primitive::<Float64Type>().values(), &[10.0, 10.0]);
    }
}
