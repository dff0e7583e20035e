//! The serde mapping of lua-seri: every row of the table in the `luaseri` docs, the
//! argument-list helpers, the `LuaValue` bridge, and the shapes Lua programs produce.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use skynet_luaseri::{
    from_args, from_bytes, from_bytes_with, from_value, pack, to_args, to_bytes, to_value, unpack,
    LuaTable, LuaValue, PackError, UnpackError, UnpackOptions,
};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn round_trip<T>(v: &T) -> T
where
    T: Serialize + for<'de> Deserialize<'de>,
{
    let bytes = to_bytes(v).unwrap();
    from_bytes(&bytes).unwrap()
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Player {
    id: u32,
    name: String,
    level: i16,
    score: f64,
    alive: bool,
    tags: Vec<String>,
    guild: Option<String>,
    pos: (i32, i32),
    attrs: BTreeMap<String, i64>,
}

fn player() -> Player {
    Player {
        id: 42,
        name: "alice".into(),
        level: -3,
        score: 99.5,
        alive: true,
        tags: vec!["a".into(), "b".into()],
        guild: None,
        pos: (10, -20),
        attrs: [("hp".to_owned(), 100), ("mp".to_owned(), 0)].into(),
    }
}

#[test]
fn struct_is_a_table_keyed_by_field_names() {
    let p = player();
    let bytes = to_bytes(&p).unwrap();
    let v = &unpack(&bytes).unwrap()[0];
    let t = v.as_table().unwrap();
    assert!(t.array.is_empty());
    assert_eq!(t.get_str("id"), Some(&LuaValue::Integer(42)));
    assert_eq!(t.get_str("score"), Some(&LuaValue::Real(99.5)));
    // None fields are left out, as `t.guild = nil` would.
    assert_eq!(t.get_str("guild"), None);
    assert_eq!(t.hash.len(), 8);
    assert_eq!(
        t.get_str("pos"),
        Some(&LuaValue::from(LuaTable::from_array(vec![
            10.into(),
            (-20).into()
        ])))
    );
    assert_eq!(round_trip(&p), p);
}

#[test]
fn exact_bytes_of_simple_shapes() {
    assert_eq!(hex(&to_bytes(&()).unwrap()), "00");
    assert_eq!(hex(&to_bytes(&Some(1u8)).unwrap()), "0a01");
    assert_eq!(hex(&to_bytes(&None::<u8>).unwrap()), "00");
    assert_eq!(hex(&to_bytes(&'é').unwrap()), "14c3a9");
    assert_eq!(hex(&to_bytes(&1.0f32).unwrap()), "42000000000000f03f");
    assert_eq!(hex(&to_bytes(&(1, "a")).unwrap()), "160a010c6100");
    let empty: Vec<i32> = Vec::new();
    assert_eq!(hex(&to_bytes(&empty).unwrap()), "0600");
    // An unknown-length sequence gets its header fixed afterwards.
    let long: Vec<u8> = (0..40).collect();
    let bytes = to_bytes(&long).unwrap();
    assert_eq!(&bytes[..3], &[0xfe, 0x0a, 40]);
    assert_eq!(from_bytes::<Vec<u8>>(&bytes).unwrap(), long);
    struct Counted(u8);
    impl Serialize for Counted {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(std::iter::repeat_n(1u8, usize::from(self.0)).filter(|_| true))
        }
    }
    for n in [0u8, 3, 30, 31, 200] {
        let bytes = to_bytes(&Counted(n)).unwrap();
        let want = pack(&[LuaValue::from(LuaTable::from_array(vec![
            1.into();
            usize::from(n)
        ]))])
        .unwrap();
        assert_eq!(bytes, want, "{n}");
    }
}

#[test]
fn integers_and_floats_convert_as_lua_does() {
    let two_float = to_bytes(&2.0f64).unwrap();
    assert_eq!(from_bytes::<i32>(&two_float).unwrap(), 2);
    assert_eq!(from_bytes::<u64>(&two_float).unwrap(), 2);
    let half = to_bytes(&2.5f64).unwrap();
    assert!(matches!(
        from_bytes::<i32>(&half),
        Err(UnpackError::Mismatch(m)) if m.offset == 0
    ));
    assert_eq!(from_bytes::<f64>(&to_bytes(&7i64).unwrap()).unwrap(), 7.0);
    assert_eq!(from_bytes::<f32>(&to_bytes(&7i64).unwrap()).unwrap(), 7.0);
    let big = to_bytes(&300).unwrap();
    let err = from_bytes::<u8>(&big).unwrap_err();
    assert!(err.to_string().contains("300"), "{err}");
    assert!(from_bytes::<u32>(&to_bytes(&-1).unwrap()).is_err());
    assert_eq!(
        to_bytes(&u64::MAX),
        Err(PackError::IntegerOutOfRange {
            value: u64::MAX.to_string()
        })
    );
    assert_eq!(round_trip(&i64::MIN), i64::MIN);
    assert_eq!(round_trip(&(i64::MAX as u64)), i64::MAX as u64);
    assert_eq!(round_trip(&-5i128), -5);
    assert!(round_trip(&f64::NAN).is_nan());
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Cmd {
    Ping,
    Get(String),
    Move(i32, i32),
    Set { key: String, value: Option<i64> },
    Maybe(Option<u8>),
}

#[test]
fn enums_are_names_or_one_pair_tables() {
    assert_eq!(hex(&to_bytes(&Cmd::Ping).unwrap()), "2450696e67");
    // { Get = "k" }
    assert_eq!(
        hex(&to_bytes(&Cmd::Get("k".into())).unwrap()),
        "061c4765740c6b00"
    );
    for c in [
        Cmd::Ping,
        Cmd::Get("k".into()),
        Cmd::Move(1, -1),
        Cmd::Set {
            key: "a".into(),
            value: Some(1),
        },
        Cmd::Set {
            key: "a".into(),
            value: None,
        },
        Cmd::Maybe(None),
        Cmd::Maybe(Some(3)),
    ] {
        assert_eq!(round_trip(&c), c);
    }
    // A table with two pairs is not an enum.
    let two = pack(&[LuaValue::from(LuaTable::from_pairs(vec![
        ("Get".into(), "a".into()),
        ("Ping".into(), true.into()),
    ]))])
    .unwrap();
    assert!(from_bytes::<Cmd>(&two).is_err());
    assert!(from_bytes::<Cmd>(&to_bytes(&"Nope").unwrap()).is_err());
    assert!(from_bytes::<Cmd>(&to_bytes(&"Get").unwrap()).is_err());
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Meters(f64);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unit;

#[test]
fn newtypes_units_maps_and_bytes() {
    assert_eq!(to_bytes(&Meters(1.5)).unwrap(), to_bytes(&1.5).unwrap());
    assert_eq!(round_trip(&Meters(1.5)), Meters(1.5));
    assert_eq!(hex(&to_bytes(&Unit).unwrap()), "00");
    assert_eq!(round_trip(&Unit), Unit);
    let m: HashMap<i64, String> = [(1, "a".to_owned()), (7, "b".to_owned())].into();
    assert_eq!(round_trip(&m), m);
    let nested: BTreeMap<String, Vec<Option<bool>>> =
        [("x".to_owned(), vec![Some(true), None, Some(false)])].into();
    assert_eq!(round_trip(&nested), nested);
    // Maps drop nil values, as a Lua table would.
    let with_none: BTreeMap<&str, Option<i32>> = [("a", None), ("b", Some(1))].into();
    let back: BTreeMap<String, Option<i32>> = round_trip_any(&with_none);
    assert_eq!(back, [("b".to_owned(), Some(1))].into());
    // Bytes are strings, borrowed when the target borrows.
    let raw = LuaValue::String(vec![0xff, 0x00]);
    let bytes = to_bytes(&raw).unwrap();
    assert_eq!(hex(&bytes), "14ff00");
    let b: &[u8] = from_bytes(&bytes).unwrap();
    assert_eq!(b, [0xff, 0x00]);
    assert!(from_bytes::<String>(&bytes).is_err());
    let s: &str = from_bytes(b"\x14hi").unwrap();
    assert_eq!(s, "hi");
}

fn round_trip_any<T: Serialize, U: for<'de> Deserialize<'de>>(v: &T) -> U {
    from_bytes(&to_bytes(v).unwrap()).unwrap()
}

#[test]
fn argument_lists() {
    let bytes = to_args(&("SET", "key", 5)).unwrap();
    assert_eq!(
        unpack(&bytes).unwrap(),
        ["SET".into(), "key".into(), LuaValue::Integer(5)]
    );
    let (cmd, key, v): (String, String, i32) = from_args(&bytes).unwrap();
    assert_eq!((cmd.as_str(), key.as_str(), v), ("SET", "key", 5));
    // Missing trailing arguments are nil; extra ones are ignored.
    let (cmd, key, v, extra): (&str, &str, i32, Option<bool>) = from_args(&bytes).unwrap();
    assert_eq!((cmd, key, v, extra), ("SET", "key", 5, None));
    let (cmd,): (&str,) = from_args(&bytes).unwrap();
    assert_eq!(cmd, "SET");
    assert!(from_args::<(String, String, i32, i32)>(&bytes).is_err());
    // One non-tuple type takes the first value.
    assert_eq!(from_args::<String>(&bytes).unwrap(), "SET");
    assert_eq!(from_args::<Option<String>>(b"").unwrap(), None);
    from_args::<()>(&bytes).unwrap();
    assert_eq!(to_args(&()).unwrap(), b"");
    assert_eq!(to_args(&5).unwrap(), to_bytes(&5).unwrap());
    // A Vec is one value (a table), not an argument list.
    assert_eq!(to_args(&vec![1]).unwrap(), to_bytes(&vec![1]).unwrap());
    // Extra arguments must still be valid.
    let mut bad = bytes.clone();
    bad.push(0x07);
    assert!(from_args::<(String,)>(&bad).is_err());
}

#[test]
fn lua_shaped_tables_fill_sequences() {
    // { 1, nil, 3 } as skynet packs it: array [1], hash { [3] = 3 }.
    let holes = unhex("0e0a010a030a0300");
    let v: Vec<Option<i64>> = from_bytes(&holes).unwrap();
    assert_eq!(v, [Some(1), None, Some(3)]);
    assert!(from_bytes::<Vec<i64>>(&holes).is_err());
    // sparse_int_keys, both encodings skynet produced.
    for h in ["160a010a020a040a0400", "260a010a02000a0400"] {
        let v: Vec<Option<i64>> = from_bytes(&unhex(h)).unwrap();
        assert_eq!(v, [Some(1), Some(2), None, Some(4)], "{h}");
    }
    // A __pairs table: everything in the hash section, out of order.
    let metapairs = pack(&[LuaValue::from(LuaTable::from_pairs(vec![
        (2.into(), "b".into()),
        (1.into(), "a".into()),
    ]))])
    .unwrap();
    assert_eq!(from_bytes::<Vec<String>>(&metapairs).unwrap(), ["a", "b"]);
    assert_eq!(
        from_bytes::<(String, String)>(&metapairs).unwrap(),
        ("a".into(), "b".into())
    );
    // Too sparse, or not integer keys: not a sequence.
    let sparse = pack(&[LuaValue::from(LuaTable::from_pairs(vec![(
        1_000_000.into(),
        1.into(),
    )]))])
    .unwrap();
    assert!(from_bytes::<Vec<Option<i64>>>(&sparse).is_err());
    let named = to_bytes(&player()).unwrap();
    assert!(from_bytes::<Vec<LuaValue>>(&named).is_err());
    // Tuples pad missing items with nil and refuse extra ones.
    let one = to_bytes(&vec![1]).unwrap();
    assert_eq!(from_bytes::<(i32, Option<i32>)>(&one).unwrap(), (1, None));
    let three = to_bytes(&vec![1, 2, 3]).unwrap();
    assert!(from_bytes::<(i32, i32)>(&three).is_err());
}

#[test]
fn struct_reading_is_lenient_like_lua() {
    #[derive(Debug, PartialEq, Deserialize)]
    struct Small {
        id: u32,
        #[serde(default)]
        missing: Option<String>,
    }
    // Unknown fields, array items and non-string keys are ignored.
    let mut t = LuaTable::from_array(vec!["x".into()]);
    t.insert("id", 3);
    t.insert("other", LuaTable::new());
    t.insert(true, 1);
    let bytes = pack(&[t.into()]).unwrap();
    assert_eq!(
        from_bytes::<Small>(&bytes).unwrap(),
        Small {
            id: 3,
            missing: None
        }
    );
    // Duplicate keys: the later one wins, as in Lua.
    let dup = unhex("060c610a010c610a0200");
    let m: BTreeMap<String, i64> = from_bytes(&dup).unwrap();
    assert_eq!(m["a"], 2);
}

#[test]
fn lua_value_through_serde_is_exact() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Envelope {
        cmd: String,
        body: LuaValue,
    }
    let body = LuaValue::from(LuaTable {
        array: vec![LuaValue::Nil, 1.into(), LuaValue::LightUserData(0x1234)],
        hash: vec![
            ("b".into(), LuaValue::Real(-0.0)),
            ("a".into(), LuaValue::String(vec![0xff])),
        ],
    });
    let bytes = pack(&[LuaValue::from(LuaTable::from_pairs(vec![
        ("cmd".into(), "x".into()),
        ("body".into(), body.clone()),
    ]))])
    .unwrap();
    let e: Envelope = from_bytes(&bytes).unwrap();
    assert_eq!(e.body, body);
    // Serialized back through serde: Lua-equal, pointers and byte strings intact.
    let again = to_bytes(&e).unwrap();
    let back: Envelope = from_bytes(&again).unwrap();
    assert!(back.body.lua_eq(&body), "{:?}", back.body);
    assert_eq!(
        from_bytes::<LuaValue>(&bytes).unwrap(),
        unpack(&bytes).unwrap()[0]
    );
    // Missing argument as LuaValue is nil.
    let (a, b): (LuaValue, LuaValue) = from_args(b"\x09").unwrap();
    assert_eq!((a, b), (LuaValue::Boolean(true), LuaValue::Nil));
    // With a generic format the mapping is the obvious one.
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"2": 1, "3": 0x1234, "b": -0.0, "a": [255]})
    );
    let from_json: LuaValue = serde_json::from_str(r#"{"k": [1, 2.5, null, "s"]}"#).unwrap();
    assert_eq!(
        from_json,
        LuaValue::from(LuaTable::from_pairs(vec![(
            "k".into(),
            LuaValue::from(LuaTable::from_array(vec![
                1.into(),
                2.5.into(),
                LuaValue::Nil,
                "s".into()
            ]))
        )]))
    );
}

#[test]
fn to_and_from_value() {
    let v = to_value(&player()).unwrap();
    assert_eq!(
        v.as_table().and_then(|t| t.get_str("name")),
        Some(&"alice".into())
    );
    let p: Player = from_value(&v).unwrap();
    assert_eq!(p, player());
    let bad = LuaValue::from(LuaTable::from_pairs(vec![(LuaValue::Nil, 1.into())]));
    assert!(from_value::<LuaValue>(&bad).is_err());
}

#[test]
fn any_format_can_read_lua_values() {
    let bytes = to_bytes(&player()).unwrap();
    let json: serde_json::Value = from_bytes(&bytes).unwrap();
    assert_eq!(json["name"], "alice");
    assert_eq!(json["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(json["pos"], serde_json::json!([10, -20]));
    // A table with both sections becomes a map with integer keys for the array.
    let mixed = unhex("160a010a020c780a0300");
    let m: BTreeMap<LuaValue, i64> = from_bytes(&mixed).unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(m[&LuaValue::Integer(2)], 2);
}

#[test]
fn depth_limits_both_ways() {
    #[derive(Serialize, Deserialize, Debug)]
    struct Node {
        next: Option<Box<Node>>,
    }
    fn chain(n: usize) -> Node {
        let mut node = Node { next: None };
        for _ in 1..n {
            node = Node {
                next: Some(Box::new(node)),
            };
        }
        node
    }
    // 33 nested tables: the innermost is empty because its `next` is nil and dropped.
    assert!(to_bytes(&chain(33)).is_ok());
    assert_eq!(to_bytes(&chain(34)), Err(PackError::TooDeep { limit: 32 }));
    let bytes = to_bytes(&chain(20)).unwrap();
    assert!(from_bytes::<Node>(&bytes).is_ok());
    let opts = UnpackOptions::new().with_max_depth(10);
    assert!(matches!(
        from_bytes_with::<Node>(&bytes, &opts),
        Err(UnpackError::TooDeep { limit: 10, .. })
    ));
    assert!(matches!(
        from_bytes_with::<serde_json::Value>(&bytes, &opts),
        Err(UnpackError::TooDeep { limit: 10, .. })
    ));
    assert!(matches!(
        from_bytes_with::<LuaValue>(&bytes, &opts),
        Err(UnpackError::TooDeep { limit: 10, .. })
    ));
}

#[test]
fn errors_carry_offsets() {
    let bytes = to_args(&(1, "x", 2.5)).unwrap();
    let err = from_args::<(i32, i32, f64)>(&bytes).unwrap_err();
    assert_eq!(err.offset(), Some(2), "{err}");
    assert!(matches!(
        from_bytes::<i32>(b"\x0a\x01\x0a"),
        Err(UnpackError::TrailingBytes { offset: 2 })
    ));
    assert!(matches!(
        from_bytes::<String>(b"\x2cab"),
        Err(UnpackError::Truncated { offset: 1, .. })
    ));
}

#[test]
fn deep_hostile_input_is_refused_not_overflowed() {
    // 100 000 nested one-item tables: far past the default limit of 128.
    let deep = vec![0x0e; 100_000];
    let limit = UnpackOptions::DEFAULT_MAX_DEPTH;
    assert!(matches!(unpack(&deep), Err(UnpackError::TooDeep { limit: l, .. }) if l == limit));
    assert!(matches!(
        from_bytes::<serde_json::Value>(&deep),
        Err(UnpackError::TooDeep { .. })
    ));
    assert!(matches!(
        from_bytes::<LuaValue>(&deep),
        Err(UnpackError::TooDeep { .. })
    ));
    assert!(from_args::<(Vec<LuaValue>,)>(&deep).is_err());
    // Announced sizes far beyond the input are plain truncation errors.
    let huge_string = [0x25, 0xff, 0xff, 0xff, 0x7f, b'a'];
    assert!(matches!(
        from_bytes::<&[u8]>(&huge_string),
        Err(UnpackError::Truncated { offset: 5, .. })
    ));
    let huge_array = [0xfe, 0x22, 0xff, 0xff, 0xff, 0x7f, 0x0a, 0x01];
    assert!(from_bytes::<Vec<u8>>(&huge_array).is_err());
}
