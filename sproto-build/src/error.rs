//! [`Error`]: why code could not be generated.

use std::fmt;
use std::path::PathBuf;

use sproto_rt::SchemaError;

/// Why code could not be generated.
///
/// Its `Debug` form is its `Display` form, so a build script's
/// `fn main() -> Result<(), sproto_build::Error>` (or `Box<dyn Error>`) fails the
/// build with the readable message, e.g. the `file:line:column: message` lines that
/// `sproto check` prints for a schema error.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The schema text has errors (every one, located).
    #[error("{0}")]
    Schema(#[from] SchemaError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The options or inputs are not usable (an attribute that does not parse, a
    /// protocol trait name that is taken, no input, no `OUT_DIR`...).
    #[error("{0}")]
    Config(String),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
