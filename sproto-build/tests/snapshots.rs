//! Snapshot tests: the code generated for a few vector schemas, compared with the
//! reviewed files in `tests/snapshots/`. After a deliberate change, regenerate them
//! with `SPROTO_BUILD_BLESS=1 cargo test -p sproto-build --test snapshots` and review
//! the diff.

use std::path::Path;

const SCHEMAS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../sproto-rt/tests/vectors/sproto/schemas"
);
const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots");

fn check(schema: &str, config: &sproto_build::Config, snapshot: &str) -> Option<String> {
    let path = format!("{SCHEMAS}/{schema}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let code = config
        .generate(&[(schema, text.as_str())])
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
        .into_code();
    let file = Path::new(SNAPSHOTS).join(snapshot);
    if std::env::var_os("SPROTO_BUILD_BLESS").is_some() {
        std::fs::write(&file, &code).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        return None;
    }
    match std::fs::read_to_string(&file) {
        Ok(want) if want == code => None,
        Ok(_) => Some(format!(
            "{snapshot}: differs (bless with SPROTO_BUILD_BLESS=1 and review)"
        )),
        Err(e) => Some(format!("{snapshot}: {e} (bless with SPROTO_BUILD_BLESS=1)")),
    }
}

#[test]
fn generated_code_matches_the_snapshots() {
    let default = sproto_build::Config::new();
    let mut failures = Vec::new();
    for schema in [
        "addressbook.sproto",
        "maps.sproto",
        "nested.sproto",
        "protocols.sproto",
        "sort_order.sproto",
        "accepted_oddities.sproto",
        "comments_ws.sproto",
        "rpc.sproto",
    ] {
        let snapshot = schema.replace(".sproto", ".rs");
        failures.extend(check(schema, &default, &snapshot));
    }
    let mut options = sproto_build::Config::new();
    options
        .type_attribute(".", "#[derive(serde::Serialize)]")
        .type_attribute("Bag", "#[serde(rename_all = \"camelCase\")]")
        .field_attribute("Bag.by_id", "#[serde(skip)]")
        .hash_map(["Bag.by_name", "Bag.s2i"])
        .bytes(["."])
        .runtime_crate("::my_game::sproto")
        .disable_comments(["RevKV"]);
    failures.extend(check("maps.sproto", &options, "maps_options.rs"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
