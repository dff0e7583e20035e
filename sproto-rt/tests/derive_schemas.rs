//! Schemas from Rust types: the derived equivalents of several vector schemas build
//! bundles byte-identical to the reference parser's (`bundles.json`), and their
//! rendered text parses back to the same bundle.

#![allow(dead_code)]

mod common;
use common::*;

use std::collections::{BTreeMap, HashMap};

use sproto_rt::schema::{ProtocolSpec, SchemaBuilder};
use sproto_rt::{Message, Sproto};

fn vector_bundle(schema: &str) -> String {
    let text = std::fs::read_to_string(format!("{VECTORS}/bundles.json")).expect("bundles.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["schemas"][schema]["bundle"]
        .as_str()
        .expect("bundle")
        .to_string()
}

fn assert_same_bundle(built: Sproto, schema: &str) {
    let want = vector_bundle(schema);
    assert_eq!(
        hex(&built.to_bundle().unwrap()),
        want,
        "{schema}: derived bundle differs\n{}",
        built.to_text()
    );
    let again = Sproto::parse(&built.to_text()).expect("rendered text parses");
    assert_eq!(
        hex(&again.to_bundle().unwrap()),
        want,
        "{schema}: rendered text differs"
    );
}

// ---- addressbook.sproto -------------------------------------------------------

mod addressbook {
    use super::*;

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Person.PhoneNumber")]
    pub struct PhoneNumber {
        #[sproto(tag = 0)]
        pub number: Option<String>,
        #[sproto(tag = 1, rename = "type")]
        pub kind: Option<i64>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Person {
        #[sproto(tag = 0)]
        pub name: Option<String>,
        #[sproto(tag = 1)]
        pub id: Option<i64>,
        #[sproto(tag = 2)]
        pub email: Option<String>,
        #[sproto(tag = 3)]
        pub phone: Option<Vec<PhoneNumber>>,
        #[sproto(tag = 4, decimal = 2)]
        pub height: Option<f64>,
        #[sproto(tag = 5)]
        pub data: Option<Vec<u8>>,
        #[sproto(tag = 6)]
        pub weight: Option<f64>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct AddressBook {
        #[sproto(tag = 0, key = "id")]
        pub person: BTreeMap<Option<i64>, Person>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct AddressList {
        #[sproto(tag = 0)]
        pub person: Vec<Person>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "foobar.response")]
    pub struct FoobarResponse {
        #[sproto(tag = 0)]
        pub ok: Option<bool>,
    }

    pub fn schema() -> Sproto {
        SchemaBuilder::new()
            .message::<AddressBook>()
            .message::<AddressList>()
            .protocol(
                ProtocolSpec::new("foobar", 1)
                    .request::<Person>()
                    .response::<FoobarResponse>(),
            )
            .build()
            .expect("builds")
    }
}

#[test]
fn addressbook_bundle() {
    assert_same_bundle(addressbook::schema(), "addressbook.sproto");
}

// ---- builtins.sproto ----------------------------------------------------------

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Scalars {
    #[sproto(tag = 0)]
    pub str: String,
    #[sproto(tag = 1)]
    pub bin: Vec<u8>,
    #[sproto(tag = 2)]
    pub int: i64,
    #[sproto(tag = 3)]
    pub flag: bool,
    #[sproto(tag = 4)]
    pub real: f64,
    #[sproto(tag = 5, decimal = 2)]
    pub money: f64,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Arrays {
    #[sproto(tag = 0)]
    pub strs: Vec<String>,
    #[sproto(tag = 1)]
    pub bins: Vec<Vec<u8>>,
    #[sproto(tag = 2)]
    pub ints: Vec<i64>,
    #[sproto(tag = 3)]
    pub flags: Vec<bool>,
    #[sproto(tag = 4)]
    pub reals: Vec<f64>,
    #[sproto(tag = 5, decimal = 3)]
    pub moneys: Vec<f64>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Mixed {
    #[sproto(tag = 0)]
    pub i: Option<i32>,
    #[sproto(tag = 1)]
    pub is: Option<Vec<i32>>,
    #[sproto(tag = 3)]
    pub b: Option<bool>,
    #[sproto(tag = 4)]
    pub bs: Option<Vec<bool>>,
    #[sproto(tag = 8)]
    pub s: Option<String>,
    #[sproto(tag = 9)]
    pub ss: Option<Vec<String>>,
    #[sproto(tag = 20)]
    pub d: Option<f64>,
    #[sproto(tag = 21)]
    pub ds: Option<Vec<f64>>,
    #[sproto(tag = 40)]
    pub x: Option<bytes::Bytes>,
    #[sproto(tag = 41)]
    pub xs: Option<Vec<bytes::Bytes>>,
}

#[test]
fn builtins_bundle() {
    let sp = SchemaBuilder::new()
        .message::<Scalars>()
        .message::<Arrays>()
        .message::<Mixed>()
        .build()
        .expect("builds");
    assert_same_bundle(sp, "builtins.sproto");
}

// ---- maps.sproto --------------------------------------------------------------

mod maps {
    use super::*;

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Item {
        #[sproto(tag = 0)]
        pub id: i64,
        #[sproto(tag = 1)]
        pub name: String,
        #[sproto(tag = 2)]
        pub count: i64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Named {
        #[sproto(tag = 0)]
        pub name: String,
        #[sproto(tag = 1)]
        pub score: i64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "KV")]
    pub struct Kv {
        #[sproto(tag = 0)]
        pub key: i64,
        #[sproto(tag = 1)]
        pub value: String,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "SKV")]
    pub struct Skv {
        #[sproto(tag = 0)]
        pub key: String,
        #[sproto(tag = 1)]
        pub value: i64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "SV")]
    pub struct Sv {
        #[sproto(tag = 0)]
        pub k: String,
        #[sproto(tag = 1)]
        pub v: Item,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "IdD")]
    pub struct IdD {
        #[sproto(tag = 0)]
        pub id: i64,
        #[sproto(tag = 1)]
        pub v: f64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "RevKV")]
    pub struct RevKv {
        #[sproto(tag = 3)]
        pub v: String,
        #[sproto(tag = 1)]
        pub k: i64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Bag {
        #[sproto(tag = 0, key = "id")]
        pub by_id: BTreeMap<i64, Item>,
        #[sproto(tag = 1, key = "name")]
        pub by_name: HashMap<String, Named>,
        #[sproto(tag = 2, entry = Kv)]
        pub i2s: BTreeMap<i64, String>,
        #[sproto(tag = 3, entry = Skv)]
        pub s2i: HashMap<String, i64>,
        #[sproto(tag = 4, entry = Sv)]
        pub s2item: BTreeMap<String, Item>,
        #[sproto(tag = 5, entry = IdD)]
        pub id2d: BTreeMap<i64, f64>,
        #[sproto(tag = 6, entry = RevKv)]
        pub rev: BTreeMap<i64, String>,
        #[sproto(tag = 7)]
        pub plain: Vec<Item>,
    }
}

#[test]
fn maps_bundle() {
    assert_same_bundle(maps::Bag::schema().expect("builds"), "maps.sproto");
}

// ---- decimals.sproto ----------------------------------------------------------

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Fixed {
    #[sproto(tag = 0, decimal = 0)]
    pub p0: f64,
    #[sproto(tag = 1, decimal = 1)]
    pub p1: f64,
    #[sproto(tag = 2, decimal = 2)]
    pub p2: f64,
    #[sproto(tag = 3, decimal = 3)]
    pub p3: f64,
    #[sproto(tag = 4, decimal = 4)]
    pub p4: f64,
    #[sproto(tag = 5, decimal = 6)]
    pub p6: f64,
    #[sproto(tag = 6, decimal = 9)]
    pub p9: f64,
    #[sproto(tag = 7)]
    pub plain: i64,
    #[sproto(tag = 8, decimal = 2)]
    pub a2: Vec<f64>,
    #[sproto(tag = 9, decimal = 4)]
    pub a4: Vec<f64>,
}

#[test]
fn decimals_bundle() {
    assert_same_bundle(Fixed::schema().expect("builds"), "decimals.sproto");
}

// ---- nested.sproto ------------------------------------------------------------

mod nested {
    use super::*;

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Outer.Middle.Inner")]
    pub struct Inner {
        #[sproto(tag = 0)]
        pub x: i64,
        #[sproto(tag = 1)]
        pub name: String,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Outer.Middle")]
    pub struct Middle {
        #[sproto(tag = 0)]
        pub inner: Option<Inner>,
        #[sproto(tag = 1)]
        pub inners: Vec<Inner>,
        #[sproto(tag = 2)]
        pub sibling: Option<OuterLeaf>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Outer.Leaf")]
    pub struct OuterLeaf {
        #[sproto(tag = 0)]
        pub v: f64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Outer {
        #[sproto(tag = 0)]
        pub middle: Option<Middle>,
        #[sproto(tag = 1)]
        pub direct: Option<Inner>,
        #[sproto(tag = 2)]
        pub leaf: Option<OuterLeaf>,
        #[sproto(tag = 3)]
        pub top: Option<Flag>,
        #[sproto(tag = 4)]
        pub leaves: Vec<OuterLeaf>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Flag {
        #[sproto(tag = 0)]
        pub on: bool,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Leaf {
        #[sproto(tag = 0)]
        pub shadow: String,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct User {
        #[sproto(tag = 0)]
        pub a: Option<Inner>,
        #[sproto(tag = 1)]
        pub b: Option<Leaf>,
        #[sproto(tag = 2)]
        pub c: Vec<OuterLeaf>,
        #[sproto(tag = 3)]
        pub d: Option<Box<Outer>>,
    }
}

#[test]
fn nested_bundle() {
    assert_same_bundle(nested::User::schema().expect("builds"), "nested.sproto");
}

// ---- tags_sparse.sproto -------------------------------------------------------

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Sparse {
    #[sproto(tag = 0)]
    pub a: i64,
    #[sproto(tag = 1)]
    pub b: String,
    #[sproto(tag = 5)]
    pub c: bool,
    #[sproto(tag = 100)]
    pub d: i64,
    #[sproto(tag = 3000)]
    pub e: Vec<i64>,
    #[sproto(tag = 32766)]
    pub f: String,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Offset {
    #[sproto(tag = 10)]
    pub x: i64,
    #[sproto(tag = 11)]
    pub y: i64,
    #[sproto(tag = 12)]
    pub z: String,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Unordered {
    #[sproto(tag = 7)]
    pub z: i64,
    #[sproto(tag = 2)]
    pub a: i64,
    #[sproto(tag = 4)]
    pub m: String,
    #[sproto(tag = 3)]
    pub q: bool,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Gap {
    #[sproto(tag = 1000)]
    pub only: i64,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Far {
    #[sproto(tag = 0)]
    pub lo: i64,
    #[sproto(tag = 32766)]
    pub hi: i64,
}

#[test]
fn tags_sparse_bundle() {
    let sp = SchemaBuilder::new()
        .message::<Sparse>()
        .message::<Offset>()
        .message::<Unordered>()
        .message::<Gap>()
        .message::<Far>()
        .build()
        .expect("builds");
    assert_same_bundle(sp, "tags_sparse.sproto");
}

// ---- protocols.sproto ---------------------------------------------------------

mod protocols {
    use super::*;

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Login {
        #[sproto(tag = 0)]
        pub user: String,
        #[sproto(tag = 1)]
        pub token: Vec<u8>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Result")]
    pub struct Outcome {
        #[sproto(tag = 0)]
        pub code: i64,
        #[sproto(tag = 1)]
        pub msg: String,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    pub struct Nest;

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Nest.Deep")]
    pub struct Deep {
        #[sproto(tag = 0)]
        pub x: i64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "logout.request")]
    pub struct LogoutRequest {}

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "notify.request")]
    pub struct NotifyRequest {
        #[sproto(tag = 0)]
        pub text: String,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "query.request.Filter")]
    pub struct Filter {
        #[sproto(tag = 0)]
        pub min: i64,
        #[sproto(tag = 1)]
        pub max: i64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "query.request")]
    pub struct QueryRequest {
        #[sproto(tag = 0)]
        pub id: i64,
        #[sproto(tag = 1)]
        pub filter: Option<Filter>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "query.response")]
    pub struct QueryResponse {
        #[sproto(tag = 0)]
        pub items: Vec<Outcome>,
    }

    pub fn schema() -> Sproto {
        SchemaBuilder::new()
            .message::<Nest>()
            .protocol(
                ProtocolSpec::new("login", 1)
                    .request::<Login>()
                    .response::<Outcome>(),
            )
            .protocol(ProtocolSpec::new("logout", 2).request::<LogoutRequest>())
            .protocol(ProtocolSpec::new("ping", 3).confirm())
            .protocol(ProtocolSpec::new("notify", 4).request::<NotifyRequest>())
            .protocol(ProtocolSpec::new("heartbeat", 5))
            .protocol(
                ProtocolSpec::new("query", 6)
                    .request::<QueryRequest>()
                    .response::<QueryResponse>(),
            )
            .protocol(
                ProtocolSpec::new("deep", 7)
                    .request::<Deep>()
                    .response::<Deep>(),
            )
            .protocol(ProtocolSpec::new("ack", 8).request::<Login>().confirm())
            .protocol(ProtocolSpec::new("skip", 9).response::<Outcome>())
            .protocol(ProtocolSpec::new("Login", 10).request::<Login>())
            .protocol(ProtocolSpec::new("far", 30000).response::<Outcome>())
            .build()
            .expect("builds")
    }
}

#[test]
fn protocols_bundle() {
    assert_same_bundle(protocols::schema(), "protocols.sproto");
}

/// Every protocol form of protocols.sproto as a `#[protocol]` trait.
mod protocol_trait {
    use super::protocols::*;

    #[sproto_rt::protocol]
    pub trait Every {
        #[sproto(tag = 1)]
        async fn login(&self, request: Login) -> Outcome;
        #[sproto(tag = 2)]
        async fn logout(&self, request: LogoutRequest);
        #[sproto(tag = 3, response = nil)]
        async fn ping(&self);
        #[sproto(tag = 4)]
        async fn notify(&self, request: NotifyRequest);
        #[sproto(tag = 5)]
        async fn heartbeat(&self);
        #[sproto(tag = 6)]
        async fn query(&self, request: QueryRequest) -> QueryResponse;
        #[sproto(tag = 7)]
        async fn deep(&self, request: Deep) -> Deep;
        #[sproto(tag = 8, response = nil)]
        async fn ack(&self, request: Login);
        #[sproto(tag = 9)]
        async fn skip(&self) -> Outcome;
        #[sproto(tag = 10, name = "Login")]
        async fn login_again(&self, request: Login);
        #[sproto(tag = 30000)]
        async fn far(&self) -> Outcome;
    }
}

#[test]
fn protocols_bundle_from_a_protocol_trait() {
    use sproto_rt::rpc::ProtocolSet;
    let sp = SchemaBuilder::new()
        .message::<protocols::Nest>()
        .protocols(protocol_trait::EveryProtocol::protocols())
        .build()
        .expect("builds");
    assert_same_bundle(sp, "protocols.sproto");
}

/// rpc_classic.sproto: the default package type and the three response forms.
mod classic_trait {
    use super::*;

    #[derive(Sproto, Debug, Default, PartialEq)]
    #[sproto(name = "hello.request")]
    pub struct HelloRequest {
        #[sproto(tag = 0)]
        pub name: Option<String>,
    }

    #[derive(Sproto, Debug, Default, PartialEq)]
    #[sproto(name = "hello.response")]
    pub struct HelloResponse {
        #[sproto(tag = 0)]
        pub greeting: Option<String>,
    }

    #[derive(Sproto, Debug, Default, PartialEq)]
    #[sproto(name = "tick.request")]
    pub struct TickRequest {
        #[sproto(tag = 0)]
        pub n: Option<i64>,
    }

    #[sproto_rt::protocol]
    pub trait Classic {
        #[sproto(tag = 1)]
        async fn hello(&self, request: HelloRequest) -> HelloResponse;
        #[sproto(tag = 2)]
        async fn tick(&self, request: TickRequest);
        #[sproto(tag = 3, response = nil)]
        async fn done(&self);
    }
}

#[test]
fn rpc_classic_bundle_from_a_protocol_trait() {
    use sproto_rt::rpc::ProtocolSet;
    let sp = classic_trait::ClassicProtocol::schema().expect("builds");
    assert_same_bundle(sp, "rpc_classic.sproto");
}

#[test]
fn derived_messages_equal_the_reference_encoding() {
    use addressbook::*;
    let text = std::fs::read_to_string(format!("{VECTORS}/messages.json")).expect("messages.json");
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    let v: serde_json::Value = serde::Deserialize::deserialize(&mut de).expect("json");
    let want = |id: &str| {
        v["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["id"] == id))
            .map(|m| {
                (
                    m["encoded"].as_str().unwrap_or_default().to_string(),
                    m["packed"].as_str().unwrap_or_default().to_string(),
                )
            })
            .expect("vector")
    };
    let phone = |n: &str, k| PhoneNumber {
        number: Some(n.into()),
        kind: Some(k),
    };
    let alice = Person {
        name: Some("Alice".into()),
        id: Some(10000),
        phone: Some(vec![phone("123456789", 1), phone("87654321", 2)]),
        ..Person::default()
    };
    let (encoded, packed) = want("addressbook/Person/readme_alice");
    assert_eq!(hex(&alice.encode()), encoded);
    assert_eq!(hex(&alice.pencode()), packed);
    let carol = Person {
        name: Some("Carol".into()),
        id: Some(-5),
        email: Some("carol@example.com".into()),
        phone: Some(vec![phone("+86 10 1234", 0), PhoneNumber::default()]),
        height: Some(1.82),
        data: Some(vec![0, 1, 2, 3, 255]),
        weight: Some(55.5),
    };
    let (encoded, _) = want("addressbook/Person/all_fields");
    assert_eq!(hex(&carol.encode()), encoded);
    assert_eq!(Person::decode(&carol.encode()).expect("decodes"), carol);
    let (encoded, _) = want("addressbook/AddressBook/single");
    let book = AddressBook {
        person: [(Some(10000), alice)].into_iter().collect(),
    };
    assert_eq!(hex(&book.encode()), encoded);
}

/// User types named like the generated code's generic parameters.
mod protocol_generic_names {
    #[derive(sproto_rt::Sproto, Debug, Default, PartialEq)]
    pub struct C {
        #[sproto(tag = 0)]
        pub x: i64,
    }

    #[derive(sproto_rt::Sproto, Debug, Default, PartialEq)]
    pub struct T {
        #[sproto(tag = 0)]
        pub y: i64,
    }

    #[sproto_rt::protocol]
    pub trait Clash {
        #[sproto(tag = 1)]
        async fn one(&self, request: C) -> T;
    }
}

#[test]
fn protocol_traits_may_use_types_named_c_and_t() {
    use sproto_rt::rpc::ProtocolSet;
    let sp = protocol_generic_names::ClashProtocol::schema().expect("builds");
    assert_eq!(sp.protocols().len(), 1);
}
