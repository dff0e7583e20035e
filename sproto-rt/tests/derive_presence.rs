//! Derived types whose every field keeps its presence (`Option` maps and decimal
//! arrays, `Option` key and entry fields), and maps kept as lists (keys that cannot
//! key a Rust map): what `sproto-build` generates. Each type's schema equals the
//! parser's for the same text, and absent, empty and present fields round-trip to
//! the same bytes as the dynamic codec.

use std::collections::{BTreeMap, HashMap};

use sproto_rt::{DecodeErrorKind, FieldProblem, Message, Sproto, Struct, Value};

const TEXT: &str = "
.Item {
    id 0 : integer
    name 1 : string
    ratio 2 : double
    tags 3 : *integer
}
.KV {
    key 0 : integer
    value 1 : string
}
.Price {
    name 0 : string
    cents 1 : integer(2)
}
.RealKey {
    at 0 : double
    what 1 : string
}
.Bag {
    by_id 0 : *Item(id)
    by_name 1 : *Item(name)
    pairs 2 : *KV()
    prices 3 : *Price()
    by_ratio 4 : *Item(ratio)
    by_tags 5 : *Item(tags)
    reals 6 : *RealKey()
    money 7 : *integer(2)
}
";

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Item {
    #[sproto(tag = 0)]
    id: Option<i64>,
    #[sproto(tag = 1)]
    name: Option<String>,
    #[sproto(tag = 2)]
    ratio: Option<f64>,
    #[sproto(tag = 3)]
    tags: Option<Vec<i64>>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "KV")]
struct Kv {
    #[sproto(tag = 0)]
    key: Option<i64>,
    #[sproto(tag = 1)]
    value: Option<String>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Price {
    #[sproto(tag = 0)]
    name: Option<String>,
    #[sproto(tag = 1, decimal = 2)]
    cents: Option<f64>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct RealKey {
    #[sproto(tag = 0)]
    at: Option<f64>,
    #[sproto(tag = 1)]
    what: Option<String>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Bag {
    #[sproto(tag = 0, key = "id")]
    by_id: Option<BTreeMap<i64, Item>>,
    #[sproto(tag = 1, key = "name")]
    by_name: Option<HashMap<String, Item>>,
    #[sproto(tag = 2, entry = Kv)]
    pairs: Option<BTreeMap<i64, String>>,
    #[sproto(tag = 3, entry = Price)]
    prices: Option<BTreeMap<String, f64>>,
    #[sproto(tag = 4, key = "ratio")]
    by_ratio: Option<Vec<Item>>,
    #[sproto(tag = 5, key = "tags")]
    by_tags: Vec<Item>,
    #[sproto(tag = 6, entry = RealKey)]
    reals: Option<Vec<RealKey>>,
    #[sproto(tag = 7, decimal = 2)]
    money: Option<Vec<f64>>,
}

fn item(id: i64, name: &str) -> Item {
    Item {
        id: Some(id),
        name: Some(name.into()),
        ratio: Some(id as f64 / 4.0),
        tags: Some(vec![id]),
    }
}

#[test]
fn schema_equals_the_parsed_text() {
    let parsed = Sproto::parse(TEXT).expect("parses");
    let built = Bag::schema().expect("builds");
    assert_eq!(built.to_text(), parsed.to_text());
    assert_eq!(built.to_bundle().unwrap(), parsed.to_bundle().unwrap());
}

/// The dynamic codec's encoding of the same value, for comparison.
fn dynamic(bag: &Bag) -> Vec<u8> {
    let sp = Sproto::parse(TEXT).expect("parses");
    let v = sp.decode("Bag", &bag.encode()).expect("dynamic decode");
    sp.encode("Bag", &v).expect("dynamic encode")
}

#[test]
fn absent_fields_stay_absent_and_empty_ones_present() {
    let sp = Sproto::parse(TEXT).expect("parses");
    let absent = Bag::default();
    assert_eq!(Bag::decode(&absent.encode()).expect("decodes"), absent);
    let st = sp.decode("Bag", &absent.encode()).expect("decodes");
    // Only the plain `Vec` (not an Option) is always written.
    assert_eq!(st.len(), 1, "{st:?}");

    let empty = Bag {
        by_id: Some(BTreeMap::new()),
        by_name: Some(HashMap::new()),
        pairs: Some(BTreeMap::new()),
        prices: Some(BTreeMap::new()),
        by_ratio: Some(Vec::new()),
        by_tags: Vec::new(),
        reals: Some(Vec::new()),
        money: Some(Vec::new()),
    };
    let bytes = empty.encode();
    assert_eq!(Bag::decode(&bytes).expect("decodes"), empty);
    assert_eq!(dynamic(&empty), bytes);
    let st = sp.decode("Bag", &bytes).expect("decodes");
    assert_eq!(st.len(), 8, "every empty field is present: {st:?}");
}

#[test]
fn full_values_round_trip_like_the_dynamic_codec() {
    let bag = Bag {
        by_id: Some([(1, item(1, "a")), (2, item(2, "b"))].into_iter().collect()),
        by_name: Some([("c".to_string(), item(3, "c"))].into_iter().collect()),
        pairs: Some(
            [(5, "five".to_string()), (-1, String::new())]
                .into_iter()
                .collect(),
        ),
        prices: Some([("tea".to_string(), 1.25)].into_iter().collect()),
        by_ratio: Some(vec![item(4, "d"), item(5, "e")]),
        by_tags: Vec::new(),
        reals: Some(vec![RealKey {
            at: Some(0.5),
            what: Some("half".into()),
        }]),
        money: Some(vec![1.5, -0.25]),
    };
    let bytes = bag.encode();
    assert_eq!(Bag::decode(&bytes).expect("decodes"), bag);
    assert_eq!(dynamic(&bag), bytes);
}

#[test]
fn lists_keep_every_entry_in_wire_order() {
    // A Lua table would keep one entry per key (and refuses array keys); the lists
    // keep what the wire holds.
    let bag = Bag {
        by_ratio: Some(vec![item(4, "d"), item(4, "d again")]),
        by_tags: vec![item(6, "f"), item(6, "g")],
        reals: Some(vec![
            RealKey {
                at: Some(0.5),
                what: Some("half".into()),
            },
            RealKey {
                at: Some(0.5),
                what: Some("again".into()),
            },
        ]),
        ..Bag::default()
    };
    assert_eq!(Bag::decode(&bag.encode()).expect("decodes"), bag);
}

#[test]
fn an_entry_without_its_key_fails_to_decode() {
    let sp = Sproto::parse(TEXT).expect("parses");
    let mut keyless = Struct::new();
    keyless.insert("name", Value::String("no id".into()));
    let mut bag = Struct::new();
    bag.insert("by_id", Value::Array(vec![Value::Struct(keyless)]));
    let bytes = sp.encode("Bag", &bag);
    let bytes = match bytes {
        Ok(b) => b,
        // The dynamic encoder refuses it: write the struct array by hand instead.
        Err(_) => {
            let item = Item {
                name: Some("no id".into()),
                ..Item::default()
            };
            #[derive(Sproto)]
            #[sproto(name = "Bag")]
            struct AsList {
                #[sproto(tag = 0)]
                by_id: Vec<Item>,
            }
            AsList { by_id: vec![item] }.encode()
        }
    };
    let err = Bag::decode(&bytes).expect_err("no key");
    assert!(
        matches!(
            err.kind(),
            DecodeErrorKind::Field {
                problem: FieldProblem::MapMissingKey,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn pair_entries_need_both_parts() {
    #[derive(Sproto)]
    #[sproto(name = "Bag")]
    struct Raw {
        #[sproto(tag = 2)]
        pairs: Vec<Kv>,
    }
    let raw = Raw {
        pairs: vec![Kv {
            key: Some(1),
            value: None,
        }],
    };
    let err = Bag::decode(&raw.encode()).expect_err("no value");
    assert!(
        matches!(
            err.kind(),
            DecodeErrorKind::Field {
                problem: FieldProblem::MapMissingValue,
                ..
            }
        ),
        "{err}"
    );
}
