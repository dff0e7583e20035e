//! Property tests of the derived codec: it round-trips, it writes exactly the bytes
//! the dynamic codec writes for the same value, and hostile bytes never panic it.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use sproto_rt::{Message, Sproto};

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Leaf {
    #[sproto(tag = 0)]
    id: i64,
    #[sproto(tag = 1)]
    label: Option<String>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Pair {
    #[sproto(tag = 0)]
    k: String,
    #[sproto(tag = 1)]
    v: i32,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Everything {
    #[sproto(tag = 0)]
    small: i8,
    #[sproto(tag = 1)]
    int: i64,
    #[sproto(tag = 2)]
    unsigned: u32,
    #[sproto(tag = 4)]
    flag: bool,
    #[sproto(tag = 5)]
    real: f64,
    #[sproto(tag = 6, decimal = 2)]
    money: f64,
    #[sproto(tag = 7)]
    text: String,
    #[sproto(tag = 8)]
    blob: Vec<u8>,
    #[sproto(tag = 9)]
    maybe: Option<i64>,
    #[sproto(tag = 10)]
    ints: Vec<i64>,
    #[sproto(tag = 11)]
    flags: Vec<bool>,
    #[sproto(tag = 12)]
    reals: Vec<f64>,
    #[sproto(tag = 13, decimal = 3)]
    moneys: Vec<f64>,
    #[sproto(tag = 14)]
    texts: Vec<String>,
    #[sproto(tag = 15)]
    leaf: Option<Leaf>,
    #[sproto(tag = 16)]
    leaves: Vec<Leaf>,
    #[sproto(tag = 17, key = "id")]
    by_id: BTreeMap<i64, Leaf>,
    #[sproto(tag = 18, entry = Pair)]
    pairs: HashMap<String, i32>,
    #[sproto(tag = 100)]
    far: Option<Box<Everything>>,
    #[sproto(skip)]
    cache: u64,
}

fn finite() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL
}

fn cents(scale: i32) -> impl Strategy<Value = f64> {
    (-1_000_000i64..1_000_000).prop_map(move |k| k as f64 / 10f64.powi(scale))
}

fn leaf() -> impl Strategy<Value = Leaf> {
    (any::<i64>(), proptest::option::of(".{0,6}")).prop_map(|(id, label)| Leaf { id, label })
}

fn everything(depth: u32) -> BoxedStrategy<Everything> {
    let inner = if depth == 0 {
        Just(None).boxed()
    } else {
        proptest::option::of(everything(depth - 1).prop_map(Box::new)).boxed()
    };
    (
        (
            any::<i8>(),
            any::<i64>(),
            any::<u32>(),
            any::<bool>(),
            finite(),
            cents(2),
            ".{0,8}",
        ),
        (
            proptest::collection::vec(any::<u8>(), 0..8),
            proptest::option::of(any::<i64>()),
            proptest::collection::vec(any::<i64>(), 0..5),
            proptest::collection::vec(any::<bool>(), 0..5),
            proptest::collection::vec(finite(), 0..4),
            proptest::collection::vec(cents(3), 0..4),
            proptest::collection::vec(".{0,4}", 0..4),
        ),
        (
            proptest::option::of(leaf()),
            proptest::collection::vec(leaf(), 0..3),
            proptest::collection::vec(leaf(), 0..3),
            proptest::collection::hash_map(".{0,4}", any::<i32>(), 0..3),
            inner,
        ),
    )
        .prop_map(
            |(
                (small, int, unsigned, flag, real, money, text),
                (blob, maybe, ints, flags, reals, moneys, texts),
                (leaf, leaves, keyed, pairs, far),
            )| Everything {
                small,
                int,
                unsigned,
                flag,
                real,
                money,
                text,
                blob,
                maybe,
                ints,
                flags,
                reals,
                moneys,
                texts,
                leaf,
                leaves,
                by_id: keyed.into_iter().map(|l| (l.id, l)).collect(),
                pairs,
                far,
                cache: 0,
            },
        )
        .boxed()
}

proptest! {
    #[test]
    fn derived_round_trips(x in everything(2)) {
        let bytes = x.encode();
        prop_assert_eq!(Everything::decode(&bytes).expect("decodes"), x.clone());
        prop_assert_eq!(Everything::pdecode(&x.pencode()).expect("pdecodes"), x);
    }

    #[test]
    fn derived_bytes_equal_dynamic_bytes(x in everything(2)) {
        let sp: Sproto = Everything::schema().expect("schema builds");
        let bytes = x.encode();
        let dynamic = sp.decode("Everything", &bytes).expect("the dynamic codec reads derived bytes");
        prop_assert_eq!(sp.encode("Everything", &dynamic).expect("re-encodes"), bytes);
    }

    #[test]
    fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256),
                                 x in everything(1),
                                 flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let _ = Everything::decode(&bytes);
        let _ = Everything::pdecode(&bytes);
        let mut mutated = x.encode();
        for (at, v) in flips {
            let i = at.index(mutated.len());
            mutated[i] = v;
        }
        if let Ok(y) = Everything::decode(&mutated) {
            // Whatever decodes encodes and decodes to itself (NaN aside, which is
            // never equal to itself).
            let again = Everything::decode(&y.encode()).expect("re-decodes");
            let has_nan = format!("{:?}", y).contains("NaN");
            prop_assert!(again == y || has_nan);
        }
    }
}
