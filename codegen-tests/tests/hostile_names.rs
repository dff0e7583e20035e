//! `hostile_names.sproto` (this crate's `schemas/`): the code for names that collide
//! with Rust compiles (the build), and its maps — including the lists kept for keys a
//! Rust map cannot hold and a `*T()` whose value is a map — encode as the dynamic codec
//! does.

use std::collections::BTreeMap;

use sproto_codegen_tests::hostile_names::{entry, Entry, Fields, HostileNamesRpcProtocol};
use sproto_rt::rpc::ProtocolSet;
use sproto_rt::{Message, Sproto};

fn parsed() -> Sproto {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/hostile_names.sproto");
    Sproto::parse(&std::fs::read_to_string(path).expect("schema")).expect("parses")
}

#[test]
fn every_map_kind_encodes_as_the_dynamic_codec() {
    let node = entry::Node {
        id: Some(1),
        next: Some(Box::new(entry::Node {
            id: Some(2),
            next: None,
        })),
    };
    let price = entry::Price {
        name: Some(bytes::Bytes::from_static(b"tea")),
        cents: Some(1.25),
    };
    let value = Entry {
        prices: Some(BTreeMap::from([(bytes::Bytes::from_static(b"tea"), 1.25)])),
        nodes: Some(BTreeMap::from([(1, node.next.clone().expect("next"))])),
        ratios: Some(vec![entry::ByRatio {
            at: Some(0.5),
            what: Some("half".into()),
        }]),
        maps: Some(vec![entry::WithMap {
            k: Some("k".into()),
            m: Some(BTreeMap::from([(1, node.clone())])),
        }]),
        by_name: Some(BTreeMap::from([(
            bytes::Bytes::from_static(b"tea"),
            price.clone(),
        )])),
        by_cents: Some(vec![price]),
    };
    let bytes = value.encode();
    assert_eq!(Entry::decode(&bytes).expect("decodes"), value);
    let sp = parsed();
    let dynamic = sp.decode("Entry", &bytes).expect("dynamic decode");
    assert_eq!(sp.encode("Entry", &dynamic).expect("dynamic encode"), bytes);
}

#[test]
fn keyword_fields_keep_their_wire_names() {
    let f = Fields {
        r#type: Some(1),
        self_: Some(2),
        r#fn: Some("f".into()),
        __: Some(true),
        foo_bar_: Some(4),
        foo_bar: Some(5),
        self__: Some(6.5),
        r#gen: Some(7),
        r#async: Some(8),
    };
    let sp = parsed();
    let st = sp.decode("Fields", &f.encode()).expect("decodes");
    let names: Vec<String> = st.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        names,
        ["type", "self", "fn", "_", "fooBar", "foo_bar", "Self", "gen", "async"]
    );
    let protocols = <HostileNamesRpcProtocol as ProtocolSet>::protocols();
    assert_eq!(protocols.len(), 7);
}
