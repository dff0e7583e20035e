//! Property tests: schema text and bundle decoding never panic on hostile input, and
//! whatever they accept survives a bundle round trip.

use proptest::prelude::*;
use sproto_rt::Sproto;

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/sproto/schemas");

fn schema_texts() -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(SCHEMAS)
        .expect("schemas dir")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read_to_string(p).expect("schema text"))
        .collect()
}

fn bundles() -> Vec<Vec<u8>> {
    schema_texts()
        .iter()
        .filter_map(|t| Sproto::parse(t).ok())
        .map(|sp| sp.to_bundle().unwrap())
        .collect()
}

/// A loaded schema must write back to a bundle that loads to the same schema.
/// (The empty schema is the exception: like the reference, its bundle `0000` is
/// refused by the loader.)
fn check_roundtrip(sp: &Sproto) {
    if sp.types().is_empty() && sp.protocols().is_empty() {
        assert!(Sproto::from_bundle(&sp.to_bundle().unwrap()).is_err());
        return;
    }
    let again = Sproto::from_bundle(&sp.to_bundle().unwrap()).expect("our own bundle loads");
    assert_eq!(&again, sp);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(sp) = Sproto::from_bundle(&bytes) {
            check_roundtrip(&sp);
        }
    }

    #[test]
    fn mutated_bundles_never_panic(
        which in 0usize..64,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let all = bundles();
        let mut bytes = all[which % all.len()].clone();
        for (at, v) in flips {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        if let Ok(sp) = Sproto::from_bundle(&bytes) {
            check_roundtrip(&sp);
            let _ = sp.dump();
        }
    }

    #[test]
    fn mutated_schema_text_never_panics(
        which in 0usize..64,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![
            "", " ", "\n", "{", "}", ".", "*", "(", ")", ":", "0", "99999", "x", "integer", "#", "\r\n", "é", "request", "nil",
        ])), 1..5),
    ) {
        let texts = schema_texts();
        let mut text = texts[which % texts.len()].clone();
        for (at, s) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text.insert_str(i, s);
        }
        match Sproto::parse(&text) {
            Ok(sp) => check_roundtrip(&sp),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
