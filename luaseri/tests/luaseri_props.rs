//! Property tests of lua-seri: pack/unpack round trips for arbitrary values, serde round
//! trips, and hostile bytes (random and mutated vectors) that must never panic. Case
//! counts follow `PROPTEST_CASES` (proptest's default: 256).

use std::collections::BTreeMap;
use std::fs;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use skynet_luaseri::{
    from_args, from_bytes, from_bytes_with, from_value, pack, to_args, to_bytes, to_value, unpack,
    unpack_with, LuaTable, LuaValue, UnpackOptions,
};

fn scalar() -> impl Strategy<Value = LuaValue> {
    prop_oneof![
        Just(LuaValue::Nil),
        any::<bool>().prop_map(LuaValue::Boolean),
        any::<i64>().prop_map(LuaValue::Integer),
        prop_oneof![
            Just(0i64),
            Just(255),
            Just(256),
            Just(65535),
            Just(65536),
            Just(i64::from(i32::MAX)),
            Just(i64::from(i32::MAX) + 1),
            Just(i64::from(i32::MIN)),
            Just(i64::MIN),
            -300i64..300,
        ]
        .prop_map(LuaValue::Integer),
        any::<u64>().prop_map(|b| LuaValue::Real(f64::from_bits(b))),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(LuaValue::String),
        (28usize..300).prop_map(|n| LuaValue::String(vec![b'x'; n])),
        any::<u64>().prop_map(LuaValue::LightUserData),
    ]
}

/// Anything a Lua table can hold as a key: not nil, not NaN.
fn key() -> impl Strategy<Value = LuaValue> {
    scalar().prop_filter("Lua keys are not nil or NaN", |k| match k {
        LuaValue::Nil => false,
        LuaValue::Real(f) => !f.is_nan(),
        _ => true,
    })
}

fn value() -> impl Strategy<Value = LuaValue> {
    scalar().prop_recursive(4, 48, 8, |inner| {
        (
            prop::collection::vec(inner.clone(), 0..8),
            prop::collection::vec(
                (
                    prop_oneof![4 => key(), 1 => inner.clone().prop_filter("key", |k| !k.is_nil()
                        && !matches!(k, LuaValue::Real(f) if f.is_nan()))],
                    inner,
                ),
                0..6,
            ),
        )
            .prop_map(|(array, hash)| LuaValue::from(LuaTable { array, hash }))
    })
}

/// Every byte sequence of the lua-seri vectors (encode and decode, valid or not).
fn vector_bytes() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/luaseri");
    let mut out = Vec::new();
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let doc: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&f).unwrap()).unwrap();
        for v in doc["vectors"].as_array().into_iter().flatten() {
            if let Some(h) = v["hex"].as_str() {
                // Skip the huge ones: mutations of 64 KiB strings teach nothing new.
                if h.len() <= 4096 {
                    out.push(
                        (0..h.len() / 2)
                            .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
                            .collect(),
                    );
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Plain,
    Tagged(i32),
    Pair(String, Option<bool>),
    Named { a: u8, b: Vec<i16> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u64,
    name: String,
    ratio: f64,
    flags: Vec<bool>,
    maybe: Option<i32>,
    nested: Option<Box<Record>>,
    map: BTreeMap<String, i64>,
    kind: Kind,
    bytes: Vec<u8>,
    pair: (i8, String),
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Plain),
        any::<i32>().prop_map(Kind::Tagged),
        (".{0,8}", any::<Option<bool>>()).prop_map(|(s, b)| Kind::Pair(s, b)),
        (any::<u8>(), prop::collection::vec(any::<i16>(), 0..5))
            .prop_map(|(a, b)| Kind::Named { a, b }),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    let leaf = (
        0u64..=i64::MAX as u64,
        ".{0,40}",
        any::<f64>().prop_filter("NaN != NaN in PartialEq", |f| !f.is_nan()),
        prop::collection::vec(any::<bool>(), 0..40),
        any::<Option<i32>>(),
        prop::collection::btree_map(".{0,6}", any::<i64>(), 0..5),
        kind(),
        prop::collection::vec(any::<u8>(), 0..20),
        (any::<i8>(), ".{0,4}"),
    )
        .prop_map(
            |(id, name, ratio, flags, maybe, map, kind, bytes, pair)| Record {
                id,
                name,
                ratio,
                flags,
                maybe,
                nested: None,
                map,
                kind,
                bytes,
                pair,
            },
        );
    leaf.prop_recursive(3, 6, 1, |inner| {
        (inner.clone(), inner).prop_map(|(mut outer, child)| {
            outer.nested = Some(Box::new(child));
            outer
        })
    })
}

/// The readers that must survive any input; their results are ignored.
fn poke(bytes: &[u8]) {
    let _ = unpack(bytes);
    let _ = unpack_with(bytes, &UnpackOptions::new().with_max_depth(3));
    let _ = from_bytes::<LuaValue>(bytes);
    let _ = from_bytes::<serde_json::Value>(bytes);
    let _ = from_bytes::<Record>(bytes);
    let _ = from_bytes::<Vec<Option<String>>>(bytes);
    let _ = from_bytes::<BTreeMap<String, LuaValue>>(bytes);
    let _ = from_bytes_with::<serde_json::Value>(bytes, &UnpackOptions::new().with_max_depth(2));
    let _ = from_args::<(String, Option<i64>, Kind, LuaValue)>(bytes);
    let _ = from_args::<(&str, &[u8])>(bytes);
}

proptest! {
    #[test]
    fn unpack_of_pack_is_the_same_wire_structure(values in prop::collection::vec(value(), 0..4)) {
        let bytes = pack(&values).unwrap();
        prop_assert_eq!(unpack(&bytes).unwrap(), values.clone());
        // Canonical bytes survive a round trip unchanged.
        prop_assert_eq!(pack(&unpack(&bytes).unwrap()).unwrap(), bytes.clone());
        // The serde paths agree with the value path.
        for (i, v) in values.iter().enumerate() {
            let one = pack(std::slice::from_ref(v)).unwrap();
            prop_assert_eq!(&from_bytes::<LuaValue>(&one).unwrap(), v, "value {}", i);
            let through_serde = unpack(&to_bytes(v).unwrap()).unwrap();
            prop_assert!(through_serde[0].lua_eq(v), "serde value {}", i);
        }
        let args: Vec<LuaValue> = from_args::<(LuaValue, LuaValue, LuaValue, LuaValue)>(&bytes)
            .map(|(a, b, c, d)| vec![a, b, c, d])
            .unwrap();
        prop_assert_eq!(&args[..values.len()], &values[..]);
    }

    #[test]
    fn lua_view_ignores_hash_order(v in value(), seed in any::<u64>()) {
        // Shuffling every table's hash section keeps the value Lua-equal.
        fn shuffle(v: &LuaValue, seed: u64) -> LuaValue {
            match v {
                LuaValue::Table(t) => {
                    let mut hash: Vec<_> = t.hash.iter().map(|(k, v)| (k.clone(), shuffle(v, seed))).collect();
                    // Keep the relative order of equal keys: later pairs win in Lua.
                    let n = hash.len();
                    if n > 1 {
                        let distinct = hash.iter().enumerate().all(|(i, a)| {
                            hash[i + 1..].iter().all(|b| a.0.to_lua_key() != b.0.to_lua_key())
                        });
                        if distinct {
                            hash.rotate_left((seed as usize) % n);
                        }
                    }
                    LuaValue::from(LuaTable {
                        array: t.array.iter().map(|x| shuffle(x, seed)).collect(),
                        hash,
                    })
                }
                other => other.clone(),
            }
        }
        let s = shuffle(&v, seed);
        prop_assert!(v.lua_eq(&s));
        prop_assert_eq!(v.normalized(), s.normalized());
    }

    #[test]
    fn serde_round_trip(r in record()) {
        let bytes = to_bytes(&r).unwrap();
        prop_assert_eq!(from_bytes::<Record>(&bytes).unwrap(), r.clone());
        let value = to_value(&r).unwrap();
        prop_assert_eq!(from_value::<Record>(&value).unwrap(), r.clone());
        let args = to_args(&(r.id, &r.name, &r.kind)).unwrap();
        let (id, name, kind): (u64, String, Kind) = from_args(&args).unwrap();
        prop_assert_eq!((id, name, kind), (r.id, r.name.clone(), r.kind.clone()));
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        poke(&bytes);
        // The allocation-free validator and the reader agree on what is valid.
        let values = unpack(&bytes);
        if let Ok(vs) = &values {
            if let [one] = vs.as_slice() {
                prop_assert_eq!(&from_bytes::<LuaValue>(&bytes).unwrap(), one);
            }
        } else {
            prop_assert!(from_bytes::<LuaValue>(&bytes).is_err());
        }
    }

    #[test]
    fn mutated_vectors_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((0u8..4, any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let all = vector_bytes();
        let mut bytes = pick.get(&all).clone();
        for (op, at, byte) in edits {
            let len = bytes.len();
            match op {
                0 if len > 0 => bytes[at.index(len)] = byte,
                1 if len > 0 => { bytes.remove(at.index(len)); }
                2 => bytes.insert(at.index(len + 1), byte),
                _ => bytes.truncate(at.index(len + 1)),
            }
        }
        poke(&bytes);
        // Whatever unpacks and nests shallowly enough packs again to the same values.
        if let Ok(vs) = unpack(&bytes) {
            if let Ok(again) = pack(&vs) {
                prop_assert_eq!(unpack(&again).unwrap(), vs);
            }
        }
    }
}
