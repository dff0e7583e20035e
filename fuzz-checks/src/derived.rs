//! `derived_decode`: `#[derive(Sproto)]` types equivalent to vector schemas (plain,
//! nested, recursive, map and decimal fields), decoded from any bytes.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::OnceLock;

use sproto_rt::{
    ArrayRef, DecodeError, DecodeErrorKind, EncodeErrorKind, FieldProblem, Message, MessageRef,
    Sproto,
};

use crate::sproto::same_struct;

// ---- addressbook.sproto ---------------------------------------------------------

/// `Person.PhoneNumber`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Person.PhoneNumber")]
pub struct PhoneNumber {
    #[sproto(tag = 0)]
    number: Option<String>,
    #[sproto(tag = 1, rename = "type")]
    kind: Option<i64>,
}

/// `Person`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Person {
    #[sproto(tag = 0)]
    name: Option<String>,
    #[sproto(tag = 1)]
    id: Option<i64>,
    #[sproto(tag = 2)]
    email: Option<String>,
    #[sproto(tag = 3)]
    phone: Option<Vec<PhoneNumber>>,
    #[sproto(tag = 4, decimal = 2)]
    height: Option<f64>,
    #[sproto(tag = 5)]
    data: Option<Vec<u8>>,
    #[sproto(tag = 6)]
    weight: Option<f64>,
}

/// `AddressBook`: `*Person(id)` keyed by an optional field.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct AddressBook {
    #[sproto(tag = 0, key = "id")]
    person: BTreeMap<Option<i64>, Person>,
}

/// `AddressList`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct AddressList {
    #[sproto(tag = 0)]
    person: Vec<Person>,
}

/// `Person.PhoneNumber`, borrowing from its input.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Person.PhoneNumber")]
pub struct PhoneNumberRef<'a> {
    #[sproto(tag = 0)]
    number: Option<&'a str>,
    #[sproto(tag = 1, rename = "type")]
    kind: Option<i64>,
}

/// `Person`, borrowing from its input; its phones read in place.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Person")]
pub struct PersonRef<'a> {
    #[sproto(tag = 0)]
    name: Option<&'a str>,
    #[sproto(tag = 1)]
    id: Option<i64>,
    #[sproto(tag = 2)]
    email: Option<&'a str>,
    #[sproto(tag = 3)]
    phone: Option<ArrayRef<'a, PhoneNumberRef<'a>>>,
    #[sproto(tag = 4, decimal = 2)]
    height: Option<f64>,
    #[sproto(tag = 5)]
    data: Option<&'a [u8]>,
    #[sproto(tag = 6)]
    weight: Option<f64>,
}

/// `AddressList`, borrowing from its input: the zero-copy decoder with `ArrayRef`s.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "AddressList")]
pub struct AddressListRef<'a> {
    #[sproto(tag = 0)]
    person: ArrayRef<'a, PersonRef<'a>>,
}

/// The zero-copy decoder accepts and refuses what the owned one does, with the same
/// error, and what it reads (its arrays walked) encodes to the owned value's bytes.
fn check_borrowed_address_list(bytes: &[u8]) {
    match (AddressList::decode(bytes), AddressListRef::decode(bytes)) {
        (Ok(owned), Ok(borrowed)) => {
            assert_eq!(
                borrowed.person.len(),
                owned.person.len(),
                "AddressListRef: length"
            );
            let walked: usize = borrowed
                .person
                .iter()
                .map(|p| p.phone.map_or(0, |ph| ph.iter().count()))
                .sum();
            let phones: usize = owned
                .person
                .iter()
                .map(|p| p.phone.as_ref().map_or(0, Vec::len))
                .sum();
            assert_eq!(walked, phones, "AddressListRef: phones walked");
            assert_eq!(borrowed.encode(), owned.encode(), "AddressListRef: bytes");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "AddressListRef: error"),
        (a, b) => panic!("owned and borrowed decoders disagree: {a:?} / {b:?}"),
    }
}

// ---- builtins.sproto ------------------------------------------------------------

/// `Scalars`: every builtin, required.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Scalars {
    #[sproto(tag = 0)]
    str: String,
    #[sproto(tag = 1)]
    bin: Vec<u8>,
    #[sproto(tag = 2)]
    int: i64,
    #[sproto(tag = 3)]
    flag: bool,
    #[sproto(tag = 4)]
    real: f64,
    #[sproto(tag = 5, decimal = 2)]
    money: f64,
}

/// `Arrays`: every builtin as an array.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Arrays {
    #[sproto(tag = 0)]
    strs: Vec<String>,
    #[sproto(tag = 1)]
    bins: Vec<Vec<u8>>,
    #[sproto(tag = 2)]
    ints: Vec<i64>,
    #[sproto(tag = 3)]
    flags: Vec<bool>,
    #[sproto(tag = 4)]
    reals: Vec<f64>,
    #[sproto(tag = 5, decimal = 3)]
    moneys: Vec<f64>,
}

/// `Mixed`: narrow integers (range-checked), `Bytes`, gaps between tags.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Mixed {
    #[sproto(tag = 0)]
    i: Option<i32>,
    #[sproto(tag = 1)]
    is: Option<Vec<i32>>,
    #[sproto(tag = 3)]
    b: Option<bool>,
    #[sproto(tag = 4)]
    bs: Option<Vec<bool>>,
    #[sproto(tag = 8)]
    s: Option<String>,
    #[sproto(tag = 9)]
    ss: Option<Vec<String>>,
    #[sproto(tag = 20)]
    d: Option<f64>,
    #[sproto(tag = 21)]
    ds: Option<Vec<f64>>,
    #[sproto(tag = 40)]
    x: Option<bytes::Bytes>,
    #[sproto(tag = 41)]
    xs: Option<Vec<bytes::Bytes>>,
}

// ---- maps.sproto ----------------------------------------------------------------

/// `Item`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Item {
    #[sproto(tag = 0)]
    id: i64,
    #[sproto(tag = 1)]
    name: String,
    #[sproto(tag = 2)]
    count: i64,
}

/// `Named`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Named {
    #[sproto(tag = 0)]
    name: String,
    #[sproto(tag = 1)]
    score: i64,
}

/// `KV`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "KV")]
pub struct Kv {
    #[sproto(tag = 0)]
    key: i64,
    #[sproto(tag = 1)]
    value: String,
}

/// `SKV`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "SKV")]
pub struct Skv {
    #[sproto(tag = 0)]
    key: String,
    #[sproto(tag = 1)]
    value: i64,
}

/// `SV`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "SV")]
pub struct Sv {
    #[sproto(tag = 0)]
    k: String,
    #[sproto(tag = 1)]
    v: Item,
}

/// `IdD`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "IdD")]
pub struct IdD {
    #[sproto(tag = 0)]
    id: i64,
    #[sproto(tag = 1)]
    v: f64,
}

/// `RevKV`: the key is the field with the smaller tag, declared second.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "RevKV")]
pub struct RevKv {
    #[sproto(tag = 3)]
    v: String,
    #[sproto(tag = 1)]
    k: i64,
}

/// `Bag`: every map form, in `HashMap`s and `BTreeMap`s.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Bag {
    #[sproto(tag = 0, key = "id")]
    by_id: BTreeMap<i64, Item>,
    #[sproto(tag = 1, key = "name")]
    by_name: HashMap<String, Named>,
    #[sproto(tag = 2, entry = Kv)]
    i2s: BTreeMap<i64, String>,
    #[sproto(tag = 3, entry = Skv)]
    s2i: HashMap<String, i64>,
    #[sproto(tag = 4, entry = Sv)]
    s2item: BTreeMap<String, Item>,
    #[sproto(tag = 5, entry = IdD)]
    id2d: BTreeMap<i64, f64>,
    #[sproto(tag = 6, entry = RevKv)]
    rev: BTreeMap<i64, String>,
    #[sproto(tag = 7)]
    plain: Vec<Item>,
}

/// `Bag` with its maps kept as lists in wire order (`Vec` with `key` / `entry`).
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Bag")]
pub struct BagList {
    #[sproto(tag = 0, key = "id")]
    by_id: Vec<Item>,
    #[sproto(tag = 1, key = "name")]
    by_name: Option<Vec<Named>>,
    #[sproto(tag = 2, entry = Kv)]
    i2s: Vec<Kv>,
    #[sproto(tag = 3, entry = Skv)]
    s2i: Vec<Skv>,
    #[sproto(tag = 4, entry = Sv)]
    s2item: Vec<Sv>,
    #[sproto(tag = 5, entry = IdD)]
    id2d: Vec<IdD>,
    #[sproto(tag = 6, entry = RevKv)]
    rev: Vec<RevKv>,
    #[sproto(tag = 7)]
    plain: Vec<Item>,
}

// ---- decimals.sproto ------------------------------------------------------------

/// `Fixed`: `integer(N)` for several N.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Fixed {
    #[sproto(tag = 0, decimal = 0)]
    p0: f64,
    #[sproto(tag = 1, decimal = 1)]
    p1: f64,
    #[sproto(tag = 2, decimal = 2)]
    p2: f64,
    #[sproto(tag = 3, decimal = 3)]
    p3: f64,
    #[sproto(tag = 4, decimal = 4)]
    p4: f64,
    #[sproto(tag = 5, decimal = 6)]
    p6: f64,
    #[sproto(tag = 6, decimal = 9)]
    p9: f64,
    #[sproto(tag = 7)]
    plain: i64,
    #[sproto(tag = 8, decimal = 2)]
    a2: Vec<f64>,
    #[sproto(tag = 9, decimal = 4)]
    a4: Vec<f64>,
}

// ---- nested.sproto --------------------------------------------------------------

/// `Outer.Middle.Inner`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Outer.Middle.Inner")]
pub struct Inner {
    #[sproto(tag = 0)]
    x: i64,
    #[sproto(tag = 1)]
    name: String,
}

/// `Outer.Middle`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Outer.Middle")]
pub struct Middle {
    #[sproto(tag = 0)]
    inner: Option<Inner>,
    #[sproto(tag = 1)]
    inners: Vec<Inner>,
    #[sproto(tag = 2)]
    sibling: Option<OuterLeaf>,
}

/// `Outer.Leaf`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Outer.Leaf")]
pub struct OuterLeaf {
    #[sproto(tag = 0)]
    v: f64,
}

/// `Outer`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Outer {
    #[sproto(tag = 0)]
    middle: Option<Middle>,
    #[sproto(tag = 1)]
    direct: Option<Inner>,
    #[sproto(tag = 2)]
    leaf: Option<OuterLeaf>,
    #[sproto(tag = 3)]
    top: Option<Flag>,
    #[sproto(tag = 4)]
    leaves: Vec<OuterLeaf>,
}

/// `Flag`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Flag {
    #[sproto(tag = 0)]
    on: bool,
}

/// `Leaf`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Leaf {
    #[sproto(tag = 0)]
    shadow: String,
}

/// `User`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct User {
    #[sproto(tag = 0)]
    a: Option<Inner>,
    #[sproto(tag = 1)]
    b: Option<Leaf>,
    #[sproto(tag = 2)]
    c: Vec<OuterLeaf>,
    #[sproto(tag = 3)]
    d: Option<Box<Outer>>,
}

// ---- recursive.sproto -----------------------------------------------------------

/// `Tree`: recursive through an array.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Tree {
    #[sproto(tag = 0)]
    value: i64,
    #[sproto(tag = 1)]
    children: Vec<Tree>,
}

/// `List`: recursive through an optional box.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct List {
    #[sproto(tag = 0)]
    head: Option<String>,
    #[sproto(tag = 1)]
    tail: Option<Box<List>>,
}

/// `Ping`: mutually recursive with `Pong`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Ping {
    #[sproto(tag = 0)]
    pong: Option<Box<Pong>>,
    #[sproto(tag = 1)]
    n: i64,
}

/// `Pong`.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Pong {
    #[sproto(tag = 0)]
    ping: Option<Box<Ping>>,
    #[sproto(tag = 1)]
    s: String,
}

// ---- the target -----------------------------------------------------------------

/// How strictly a re-encoding must match.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Exact {
    /// Byte for byte.
    Bytes,
    /// Same length: `integer(N)` values beyond 2^53 may round to a neighbour, and a
    /// `HashMap` writes its entries in any order.
    Length,
    /// Byte for byte, but keyed lists (`Vec` with `key` / `entry`) keep entries with
    /// equal keys, which the dynamic decoder's maps merge (a later key wins): across
    /// the dynamic codec only the dynamic values must match.
    KeyedLists,
}

/// The derived types of the target, in selector order: (vector schema, type, check).
type Entry = (&'static str, &'static str, fn(&[u8], bool));

macro_rules! derived_types {
    ($( $schema:literal => $ty:ty, $exact:expr; )*) => {
        const DERIVED: &[Entry] = &[$(
            ($schema, <$ty as Message>::TYPE_NAME, |bytes, packed| {
                static SCHEMA: OnceLock<Sproto> = OnceLock::new();
                let sp = SCHEMA.get_or_init(|| <$ty>::schema().expect("the derived schema builds"));
                check::<$ty>(bytes, packed, sp, $exact)
            }),
        )*];
    };
}

derived_types! {
    "addressbook.sproto" => Person, Exact::Length;
    "addressbook.sproto" => AddressBook, Exact::Length;
    "addressbook.sproto" => AddressList, Exact::Length;
    "builtins.sproto" => Scalars, Exact::Length;
    "builtins.sproto" => Arrays, Exact::Length;
    "builtins.sproto" => Mixed, Exact::Bytes;
    "maps.sproto" => Bag, Exact::Length;
    "maps.sproto" => BagList, Exact::KeyedLists;
    "decimals.sproto" => Fixed, Exact::Length;
    "nested.sproto" => Outer, Exact::Bytes;
    "nested.sproto" => User, Exact::Bytes;
    "recursive.sproto" => Tree, Exact::Bytes;
    "recursive.sproto" => List, Exact::Bytes;
    "recursive.sproto" => Ping, Exact::Bytes;
    "recursive.sproto" => Pong, Exact::Bytes;
}

/// The selector byte of `derived_decode` for a type of a vector schema, if the target
/// has a derived equivalent.
pub(crate) fn selector(schema: &str, type_name: &str, packed: bool) -> Option<u8> {
    let i = DERIVED
        .iter()
        .position(|(s, t, _)| *s == schema && *t == type_name)?;
    Some(i as u8 | if packed { 0x80 } else { 0 })
}

/// `derived_decode`: `#[derive(Sproto)]` decoding. Byte 0 picks the type (low 7 bits)
/// and `pdecode` (bit 7) over `decode`; the rest is the message.
///
/// What the derived decoder accepts, the dynamic decoder accepts too (the derived one
/// is stricter: UTF-8 strings, integer ranges), except map entries without their key
/// (or value) field where the Rust side has an `Option` or a default for it; a decoded
/// value encodes, and its encoding decodes and encodes to the same bytes (the same
/// length where that is all that can hold). The dynamic codec reads the derived encoding and writes one the
/// derived decoder reads back to the same value.
pub fn derived_decode(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let (_, name, check) = DERIVED[usize::from(selector & 0x7f) % DERIVED.len()];
    check(bytes, selector & 0x80 != 0);
    if name == "AddressList" && selector & 0x80 == 0 {
        check_borrowed_address_list(bytes);
    }
}

fn missing_map_part(e: &DecodeError) -> bool {
    matches!(
        e.kind(),
        DecodeErrorKind::Field {
            problem: FieldProblem::MapMissingKey | FieldProblem::MapMissingValue,
            ..
        }
    )
}

fn too_deep(e: &DecodeError) -> bool {
    matches!(e.kind(), DecodeErrorKind::TooDeep { .. })
}

fn check<T: Message + Debug>(bytes: &[u8], packed: bool, sp: &Sproto, exact: Exact) {
    let name = T::type_name();
    let (typed, dynamic) = if packed {
        (T::pdecode(bytes), sp.pdecode(name, bytes))
    } else {
        (T::decode(bytes), sp.decode(name, bytes))
    };
    let Ok(value) = typed else {
        return;
    };
    // A map keyed by an optional (or defaulted) key field, and a keyed list of entries
    // with defaulted fields, take entries without their key (or value) field; the
    // dynamic decoder, as the reference, refuses them.
    let incomplete_entries = match &dynamic {
        Ok(_) => false,
        Err(e) if missing_map_part(e) => true,
        Err(e) => panic!(
            "{name}: the derived decoder accepts what the dynamic one refuses ({e}):\n{value:?}"
        ),
    };
    let encoded = value.encode();
    // A derived type writes its non-`Option` fields even where the input had none, so a
    // struct at the nesting limit that was empty on the wire may not decode again.
    let again = match T::decode(&encoded) {
        Ok(v) => v,
        Err(e) if too_deep(&e) => return,
        Err(e) => panic!("{name}: the encoding of a decoded value does not decode: {e}"),
    };
    let twice = again.encode();
    match exact {
        Exact::Bytes | Exact::KeyedLists => {
            assert_eq!(twice, encoded, "{name}: encode → decode → encode differs")
        }
        Exact::Length => assert_eq!(
            twice.len(),
            encoded.len(),
            "{name}: re-encoding changed size"
        ),
    }
    assert_eq!(
        T::pdecode(&value.pencode()).map(|v| v.encode().len()).ok(),
        Some(encoded.len()),
        "{name}: pencode → pdecode fails"
    );
    let dyn_value = match sp.decode(name, &encoded) {
        Ok(v) => v,
        Err(e) if incomplete_entries && missing_map_part(&e) => return,
        Err(e) => panic!("{name}: the dynamic decoder refuses a derived encoding: {e}"),
    };
    let dyn_encoded = match sp.encode(name, &dyn_value) {
        Ok(b) => b,
        Err(e) if matches!(e.kind(), EncodeErrorKind::TooDeep { .. }) => return,
        Err(e) => panic!("{name}: the dynamic encoder refuses what it decoded: {e}"),
    };
    let back = T::decode(&dyn_encoded).unwrap_or_else(|e| {
        panic!("{name}: the derived decoder refuses the dynamic re-encoding: {e}")
    });
    if exact == Exact::Bytes {
        assert_eq!(
            back.encode(),
            encoded,
            "{name}: derived → dynamic → derived differs"
        );
    }
    let dyn_back = sp
        .decode(name, &back.encode())
        .expect("encoded by the derived codec");
    assert!(
        same_struct(&dyn_value, &dyn_back) || exact == Exact::Length,
        "{name}: dynamic values differ across the derived codec"
    );
}
