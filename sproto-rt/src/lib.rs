//! sproto runtime.
