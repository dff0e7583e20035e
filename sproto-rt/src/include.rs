//! [`include_sproto!`]: pulls in the code `sproto-build` generated in `OUT_DIR`.

/// Includes the Rust code `sproto-build` wrote for a schema in the build script's
/// `OUT_DIR`: `include_sproto!("game")` is
/// `include!(concat!(env!("OUT_DIR"), "/game.rs"))` (the file is named after the first
/// `.sproto` input unless `Config::out_file_name` says otherwise).
///
/// ```ignore
/// pub mod game {
///     sproto_rt::include_sproto!("game");
/// }
/// ```
#[macro_export]
macro_rules! include_sproto {
    ($name:literal) => {
        ::core::include!(::core::concat!(::core::env!("OUT_DIR"), "/", $name, ".rs"));
    };
}
