//! Generates `OUT_DIR/addressbook.rs` from `proto/addressbook.sproto` (found through
//! the `proto` include directory), naming the protocol trait `Directory`.

fn main() -> Result<(), sproto_build::Error> {
    sproto_build::Config::new()
        .protocol_trait_name("Directory")
        .compile(&["addressbook.sproto"], &["proto"])
}
