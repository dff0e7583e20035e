//! sproto macros.
