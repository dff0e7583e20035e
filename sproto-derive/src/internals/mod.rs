//! Reading the macro input: attribute parsing (`attr`), type checks (`check`), the
//! validated model (`ast`), error collection (`ctxt`), and what the trait macros share
//! (`trait_fns`).

pub mod ast;
pub mod attr;
pub mod check;
pub mod ctxt;
pub mod trait_fns;
