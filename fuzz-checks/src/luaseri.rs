//! lua-seri (`skynet.pack` / `skynet.unpack`): the value decoder and serde.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use skynet_cluster::luaseri::{
    from_args, from_bytes, pack, to_args, to_bytes, unpack, unpack_with, LuaValue, PackError,
    UnpackError, UnpackOptions, MAX_PACK_DEPTH,
};

/// How many tables nest in `v` (a table is 1).
fn depth(v: &LuaValue) -> usize {
    match v {
        LuaValue::Table(t) => {
            1 + t
                .array
                .iter()
                .chain(t.hash.iter().flat_map(|(k, v)| [k, v]))
                .map(depth)
                .max()
                .unwrap_or(0)
        }
        _ => 0,
    }
}

/// `luaseri_unpack`: [`unpack`] of any bytes.
///
/// What unpacks is exactly as deep as the depth limit lets through (one less fails
/// with `TooDeep`); it packs again (unless it nests past skynet's packing limit) to
/// bytes that unpack to the same values and are a fixed point of pack ∘ unpack. The
/// serde paths agree with it: `from_bytes::<LuaValue>` on a single value and
/// `from_args::<(LuaValue, LuaValue)>` on any argument list.
pub fn luaseri_unpack(data: &[u8]) {
    let values = unpack(data);
    let as_value = from_bytes::<LuaValue>(data);
    let as_args = from_args::<(LuaValue, LuaValue)>(data);
    let Ok(values) = values else {
        assert!(as_value.is_err(), "from_bytes accepts what unpack refuses");
        assert!(as_args.is_err(), "from_args accepts what unpack refuses");
        return;
    };
    match (&as_value, values.as_slice()) {
        (Ok(v), [one]) => assert_eq!(v, one, "from_bytes::<LuaValue> ≠ unpack"),
        (Err(e), [_]) => panic!("from_bytes refuses a single value unpack reads: {e}"),
        (Ok(_), _) => panic!("from_bytes accepts {} values", values.len()),
        (Err(_), _) => {}
    }
    let mut first_two = values
        .iter()
        .cloned()
        .chain(std::iter::repeat(LuaValue::Nil));
    let expected = (first_two.next().unwrap(), first_two.next().unwrap());
    match as_args {
        Ok(args) => assert_eq!(args, expected, "from_args ≠ unpack"),
        Err(e) => panic!("from_args refuses what unpack reads: {e}"),
    }

    let deepest = values.iter().map(depth).max().unwrap_or(0);
    assert!(deepest <= UnpackOptions::DEFAULT_MAX_DEPTH);
    let exact = unpack_with(data, &UnpackOptions::new().with_max_depth(deepest));
    assert_eq!(
        exact.as_ref(),
        Ok(&values),
        "unpack at its own depth differs"
    );
    if deepest > 0 {
        let shallow = unpack_with(data, &UnpackOptions::new().with_max_depth(deepest - 1));
        assert!(
            matches!(shallow, Err(UnpackError::TooDeep { .. })),
            "a depth limit below the nesting does not fail: {shallow:?}"
        );
    }

    match pack(&values) {
        Ok(packed) => {
            let again = unpack(&packed).expect("packed bytes unpack");
            assert_eq!(again, values, "unpack → pack → unpack differs");
            assert_eq!(pack(&again).as_ref(), Ok(&packed), "pack is not stable");
        }
        Err(PackError::TooDeep { .. }) => assert!(deepest > MAX_PACK_DEPTH),
        Err(e) => panic!("unpacked values do not pack: {e}"),
    }
}

// ---- serde types ----------------------------------------------------------------

/// A struct with most field kinds.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Record {
    id: u32,
    name: String,
    tags: Vec<String>,
    note: Option<String>,
    score: f64,
    flags: BTreeMap<String, bool>,
    kind: Kind,
    #[serde(default)]
    extra: Option<Box<Record>>,
}

/// Every enum variant form.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Kind {
    A,
    B(i64),
    C { x: i32, y: Option<String> },
    D(String, u8),
}

/// A recursive type.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Node {
    name: String,
    #[serde(default)]
    kids: Vec<Node>,
}

/// Borrowed strings and bytes.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Borrowed<'a> {
    #[serde(borrow)]
    s: &'a str,
    #[serde(borrow)]
    b: &'a [u8],
    n: Option<i16>,
}

/// A newtype.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Wrapper(i64);

/// Deserializes, serializes, deserializes and serializes again; `$from`/`$to` are
/// `from_bytes`/`to_bytes` or `from_args`/`to_args`. A macro rather than a generic
/// function so that borrowing types get a fresh lifetime on each deserialization.
macro_rules! serde_case {
    ($from:ident, $to:ident, $t:ty) => {
        |bytes: &[u8]| {
            let Ok(value) = $from::<$t>(bytes) else {
                return;
            };
            assert!(unpack(bytes).is_ok(), "serde accepts what unpack refuses");
            let first = match $to(&value) {
                Ok(bytes) => bytes,
                // Deserializing allows more nesting than skynet (and we) write.
                Err(PackError::TooDeep { .. }) => return,
                Err(e) => panic!("a deserialized value does not serialize: {e}\n{value:?}"),
            };
            let again = $from::<$t>(&first).unwrap_or_else(|e| {
                panic!("a serialized value does not deserialize: {e}\n{value:?}")
            });
            let second = $to(&again).expect("serialized once, serializes again");
            assert_lua_eq(&first, &second);
        }
    };
}

/// The serde types of the target, in selector order.
const SERDE: &[fn(&[u8])] = &[
    serde_case!(from_bytes, to_bytes, Record),
    serde_case!(from_bytes, to_bytes, Kind),
    serde_case!(from_bytes, to_bytes, Node),
    serde_case!(from_bytes, to_bytes, Borrowed<'_>),
    serde_case!(from_bytes, to_bytes, Vec<Option<i64>>),
    serde_case!(from_bytes, to_bytes, BTreeMap<i64, Vec<u8>>),
    serde_case!(from_bytes, to_bytes, HashMap<String, LuaValue>),
    serde_case!(from_bytes, to_bytes, (i64, f32, char)),
    serde_case!(from_bytes, to_bytes, (u128, i8, u16, Option<()>)),
    serde_case!(from_bytes, to_bytes, Wrapper),
    serde_case!(from_bytes, to_bytes, LuaValue),
    serde_case!(from_args, to_args, (String, Option<i64>, Vec<bool>)),
    serde_case!(from_args, to_args, (Kind, Record)),
    serde_case!(from_args, to_args, Vec<LuaValue>),
];

/// The number of serde types `luaseri_serde` picks from.
pub(crate) const SERDE_TYPES: usize = SERDE.len();

/// `luaseri_serde`: [`from_bytes`] (one value) and [`from_args`] (an argument list)
/// into several serde types: structs, every enum form, recursion, borrowed strings and
/// bytes, options, maps, tuples, wide and narrow integers, `LuaValue`. Byte 0 picks
/// the type; the rest is the message.
///
/// What deserializes serializes (unless it nests past skynet's packing limit),
/// deserializes again and serializes to a value equal as Lua sees it (the first
/// serialization is the canonical form).
pub fn luaseri_serde(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    SERDE[usize::from(selector) % SERDE.len()](bytes);
}

fn assert_lua_eq(first: &[u8], second: &[u8]) {
    let a = unpack(first).expect("serialized bytes unpack");
    let b = unpack(second).expect("serialized bytes unpack");
    assert!(
        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.lua_eq(y)),
        "serialize → deserialize → serialize differs:\n{a:?}\n{b:?}"
    );
}

/// One input per serde type of `luaseri_serde` (selector byte included): a sample
/// value serialized the way the target reads it.
pub(crate) fn serde_samples() -> Vec<Vec<u8>> {
    let record = || Record {
        id: 7,
        name: "x".into(),
        tags: vec!["a".into(), "b".into()],
        note: Some("n".into()),
        score: 1.5,
        flags: [("on".to_string(), true)].into_iter().collect(),
        kind: Kind::C {
            x: -1,
            y: Some("y".into()),
        },
        extra: Some(Box::new(Record {
            id: 1,
            name: String::new(),
            tags: vec![],
            note: None,
            score: -0.0,
            flags: BTreeMap::new(),
            kind: Kind::A,
            extra: None,
        })),
    };
    let node = Node {
        name: "root".into(),
        kids: vec![Node {
            name: "leaf".into(),
            kids: vec![],
        }],
    };
    let lua = LuaValue::from(skynet_cluster::luaseri::LuaTable::from_pairs(vec![
        ("k".into(), LuaValue::Real(f64::NAN)),
        (LuaValue::Integer(1), LuaValue::LightUserData(0xdead_beef)),
    ]));
    let samples: Vec<Result<Vec<u8>, PackError>> = vec![
        to_bytes(&record()),
        to_bytes(&Kind::D("d".into(), 255)),
        to_bytes(&node),
        to_bytes(&Borrowed {
            s: "borrowed",
            b: b"\x00\xff",
            n: Some(-3),
        }),
        to_bytes(&vec![Some(1i64), None, Some(i64::MIN)]),
        to_bytes(
            &[(1i64, vec![1u8, 2]), (-5, vec![])]
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
        ),
        to_bytes(
            &[("a".to_string(), lua.clone())]
                .into_iter()
                .collect::<HashMap<_, _>>(),
        ),
        to_bytes(&(i64::MAX, 0.25f32, 'é')),
        to_bytes(&(u128::from(u64::MAX >> 1), -8i8, 65535u16, Some(()))),
        to_bytes(&Wrapper(-1)),
        to_bytes(&lua),
        to_args(&("GET".to_string(), Some(5i64), vec![true, false])),
        to_args(&(Kind::B(3), record())),
        to_args(&vec![LuaValue::Nil, lua]),
    ];
    assert_eq!(samples.len(), SERDE.len());
    samples
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| {
            let mut input = vec![i as u8];
            input.extend(bytes.expect("a sample serializes"));
            input
        })
        .collect()
}
