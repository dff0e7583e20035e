//! Reading the macro input: attribute parsing (`attr`), type checks (`check`), the
//! validated model (`ast`), and error collection (`ctxt`).

pub mod ast;
pub mod attr;
pub mod check;
pub mod ctxt;
