//! How the targets read their input, for the seed generator
//! (`cargo run -p fuzz-checks --example seed`): the selector bytes that pick a type.

/// The selector byte of `dynamic_decode` for a type of a vector schema file
/// (`addressbook.sproto`), with `packed` for `pdecode`; `None` if the target does not
/// embed that schema.
pub fn dynamic_selector(schema: &str, type_name: &str, packed: bool) -> Option<u8> {
    let loaded = crate::sproto::loaded();
    let file = crate::sproto::SCHEMAS
        .iter()
        .position(|(name, _)| *name == schema)?;
    let i = loaded
        .types
        .iter()
        .position(|&(s, t)| s == file && loaded.schemas[s].types()[t].name.as_str() == type_name)?;
    Some(i as u8 | if packed { 0x80 } else { 0 })
}

/// The selector byte of `derived_decode` for a type of a vector schema file, if the
/// target has a derived equivalent of it.
pub fn derived_selector(schema: &str, type_name: &str, packed: bool) -> Option<u8> {
    crate::derived::selector(schema, type_name, packed)
}

/// How many serde types `luaseri_serde` picks from (byte 0 modulo this).
pub const SERDE_TYPES: usize = crate::luaseri::SERDE_TYPES;

/// One `luaseri_serde` input per serde type: a sample value, serialized.
pub fn serde_samples() -> Vec<Vec<u8>> {
    crate::luaseri::serde_samples()
}
