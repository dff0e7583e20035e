//! Property tests of the dynamic codec and 0-packing: hostile bytes never panic and
//! never blow up memory; valid values survive encode → decode unchanged.

use proptest::prelude::*;
use sproto_rt::{json, pack, unpack, FieldType, Sproto, Struct, Value};

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/sproto/schemas");

/// Every loadable vector schema.
fn schemas() -> Vec<Sproto> {
    let mut paths: Vec<_> = std::fs::read_dir(SCHEMAS)
        .expect("schemas")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| Sproto::parse(&std::fs::read_to_string(p).expect("text")).ok())
        .filter(|sp| !sp.types().is_empty())
        .collect()
}

/// A small deterministic generator (xorshift), so values can follow a schema.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn int(&mut self) -> i64 {
        match self.below(4) {
            0 => self.below(100) as i64,
            1 => self.below(70_000) as i64 - 1000,
            2 => self.next() as i64,
            _ => -(self.below(1 << 40) as i64),
        }
    }
    fn bytes(&mut self) -> Vec<u8> {
        (0..self.below(12)).map(|_| self.next() as u8).collect()
    }
}

/// A random value of type `ty` that decoding would give back exactly.
fn value_of(sp: &Sproto, ty: usize, g: &mut Gen, depth: usize) -> Struct {
    let t = &sp.types()[ty];
    let mut s = Struct::new();
    for f in &t.fields {
        if g.below(3) == 0 {
            continue;
        }
        let elem = |g: &mut Gen, ft: FieldType| -> Option<Value> {
            Some(match ft {
                FieldType::Integer => Value::Integer(g.int()),
                FieldType::Decimal(n) => {
                    let k = g.below(2_000_000) as i64 - 1_000_000;
                    Value::Double(k as f64 / 10f64.powi(i32::from(n)))
                }
                FieldType::Boolean => Value::Boolean(g.below(2) == 1),
                FieldType::Double => Value::Double(f64::from_bits(g.next())),
                FieldType::String => {
                    let b = g.bytes();
                    match String::from_utf8(b) {
                        Ok(s) => Value::String(s),
                        Err(e) => Value::Binary(e.into_bytes()),
                    }
                }
                FieldType::Binary => Value::Binary(g.bytes()),
                FieldType::Struct(id) if depth < 4 => Value::Struct(value_of(sp, id, g, depth + 1)),
                FieldType::Struct(_) => return None,
            })
        };
        let v = if f.shape.is_array() {
            if f.shape.map_key().is_some() {
                continue; // maps: covered by the vectors
            }
            let n = g.below(4);
            let items: Option<Vec<Value>> = (0..n).map(|_| elem(g, f.ty)).collect();
            match items {
                Some(items) => Value::Array(items),
                None => continue,
            }
        } else {
            match elem(g, f.ty) {
                Some(v) => v,
                None => continue,
            }
        };
        s.insert(&f.name, v);
    }
    s
}

proptest! {
    #[test]
    fn random_bytes_decode_without_panic(which in any::<prop::sample::Index>(), ty in any::<prop::sample::Index>(),
                                         bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let all = schemas();
        let sp = which.get(&all);
        let ty = ty.index(sp.types().len());
        if let Ok((s, n)) = sp.decode_type(ty, &bytes) {
            prop_assert!(n <= bytes.len());
            // Whatever decodes re-encodes (or hits the documented depth limit).
            let _ = sp.encode_type_into(ty, &s, &mut Vec::new());
        }
    }

    #[test]
    fn mutated_encodings_decode_without_panic(seed in any::<u64>(), which in any::<prop::sample::Index>(),
                                              flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
                                              cut in any::<prop::sample::Index>()) {
        let all = schemas();
        let sp = which.get(&all);
        let mut g = Gen(seed | 1);
        let ty = g.below(sp.types().len() as u64) as usize;
        let mut bytes = Vec::new();
        sp.encode_type_into(ty, &value_of(sp, ty, &mut g, 0), &mut bytes).expect("generated values encode");
        if !bytes.is_empty() {
            for (at, v) in flips {
                let i = at.index(bytes.len());
                bytes[i] = v;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        if let Ok((s, _)) = sp.decode_type(ty, &bytes) {
            let mut again = Vec::new();
            if sp.encode_type_into(ty, &s, &mut again).is_ok() {
                let (back, _) = sp.decode_type(ty, &again).expect("our encoding decodes");
                prop_assert_eq!(json::struct_to_json(&back), json::struct_to_json(&s));
            }
        }
    }

    #[test]
    fn valid_values_round_trip(seed in any::<u64>(), which in any::<prop::sample::Index>()) {
        let all = schemas();
        let sp = which.get(&all);
        let mut g = Gen(seed | 1);
        let ty = g.below(sp.types().len() as u64) as usize;
        let value = value_of(sp, ty, &mut g, 0);
        let mut bytes = Vec::new();
        sp.encode_type_into(ty, &value, &mut bytes).expect("encodes");
        let (back, n) = sp.decode_type(ty, &bytes).expect("decodes");
        prop_assert_eq!(n, bytes.len());
        prop_assert_eq!(json::struct_to_json(&back), json::struct_to_json(&value));
        // Canonical bytes re-encode to themselves.
        let mut again = Vec::new();
        sp.encode_type_into(ty, &back, &mut again).expect("re-encodes");
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn unpack_is_bounded_and_pack_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300),
                                              sparse in proptest::collection::vec(prop::sample::select(vec![0u8, 0, 0, 1, 255]), 0..300)) {
        if let Ok(out) = unpack(&bytes) {
            prop_assert!(out.len() <= 8 * bytes.len());
            prop_assert_eq!(out.len() % 8, 0);
        }
        for src in [&bytes, &sparse] {
            let back = unpack(&pack(src)).expect("our packing unpacks");
            prop_assert_eq!(&back[..src.len()], &src[..]);
            prop_assert!(back[src.len()..].iter().all(|&b| b == 0));
            prop_assert!(back.len() - src.len() < 8);
        }
    }
}
