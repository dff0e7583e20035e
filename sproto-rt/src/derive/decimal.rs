//! [`DecimalField`]: `f64` fields marked `decimal = N`, stored as `integer(N)`.

use crate::error::DecodeError;
use crate::schema::{FieldForm, SchemaBuilder, Shape, TypeRef};
use crate::wire::{
    data_from_slot, decimal_from_wire, decimal_to_wire, int_from_slot, IntArray, SlotValue,
    StructWriter,
};
use crate::FieldType;

/// A Rust type that can hold an `integer(N)` field: `f64`, `Option<f64>`, `Vec<f64>`,
/// `Option<Vec<f64>>`.
#[diagnostic::on_unimplemented(
    message = "`decimal` needs an f64 field, not `{Self}`",
    label = "not f64, Option<f64>, Vec<f64> or Option<Vec<f64>>",
    note = "integer(N) fields are f64 values (rounded to N decimal digits on the wire)"
)]
pub trait DecimalField: Sized {
    /// Writes `round(x * 10^precision)` as field `tag`.
    fn encode_decimal(&self, st: &mut StructWriter<'_>, tag: u16, precision: u16);
    /// Reads `n / 10^precision`.
    fn decode_decimal(
        slot: SlotValue<'_>,
        offset: usize,
        precision: u16,
    ) -> Result<Self, DecodeError>;
    /// `integer(precision)` or `*integer(precision)`.
    fn decimal_form(b: &mut SchemaBuilder, precision: u16) -> FieldForm;
}

impl DecimalField for f64 {
    #[inline]
    fn encode_decimal(&self, st: &mut StructWriter<'_>, tag: u16, precision: u16) {
        st.int(tag, decimal_to_wire(*self, precision));
    }
    #[inline]
    fn decode_decimal(
        slot: SlotValue<'_>,
        offset: usize,
        precision: u16,
    ) -> Result<Self, DecodeError> {
        let n = int_from_slot(slot).map_err(|p| DecodeError::field_problem(offset, p))?;
        Ok(decimal_from_wire(n, precision))
    }
    fn decimal_form(_: &mut SchemaBuilder, precision: u16) -> FieldForm {
        FieldForm {
            ty: TypeRef::Builtin(FieldType::Decimal(precision)),
            shape: Shape::One,
        }
    }
}

impl DecimalField for Option<f64> {
    #[inline]
    fn encode_decimal(&self, st: &mut StructWriter<'_>, tag: u16, precision: u16) {
        if let Some(v) = self {
            v.encode_decimal(st, tag, precision);
        }
    }
    #[inline]
    fn decode_decimal(
        slot: SlotValue<'_>,
        offset: usize,
        precision: u16,
    ) -> Result<Self, DecodeError> {
        f64::decode_decimal(slot, offset, precision).map(Some)
    }
    fn decimal_form(b: &mut SchemaBuilder, precision: u16) -> FieldForm {
        f64::decimal_form(b, precision)
    }
}

impl DecimalField for Vec<f64> {
    fn encode_decimal(&self, st: &mut StructWriter<'_>, tag: u16, precision: u16) {
        st.data_with(tag, |w| {
            w.int_array(self.iter().map(|v| decimal_to_wire(*v, precision)))
        });
    }
    fn decode_decimal(
        slot: SlotValue<'_>,
        offset: usize,
        precision: u16,
    ) -> Result<Self, DecodeError> {
        let (data, at) = data_from_slot(slot).map_err(|p| DecodeError::field_problem(offset, p))?;
        Ok(IntArray::parse(data)
            .map_err(|p| DecodeError::field_problem(at, p))?
            .map(|n| decimal_from_wire(n, precision))
            .collect())
    }
    fn decimal_form(_: &mut SchemaBuilder, precision: u16) -> FieldForm {
        FieldForm {
            ty: TypeRef::Builtin(FieldType::Decimal(precision)),
            shape: Shape::Array,
        }
    }
}

impl DecimalField for Option<Vec<f64>> {
    fn encode_decimal(&self, st: &mut StructWriter<'_>, tag: u16, precision: u16) {
        if let Some(v) = self {
            v.encode_decimal(st, tag, precision);
        }
    }
    fn decode_decimal(
        slot: SlotValue<'_>,
        offset: usize,
        precision: u16,
    ) -> Result<Self, DecodeError> {
        Vec::<f64>::decode_decimal(slot, offset, precision).map(Some)
    }
    fn decimal_form(b: &mut SchemaBuilder, precision: u16) -> FieldForm {
        Vec::<f64>::decimal_form(b, precision)
    }
}
