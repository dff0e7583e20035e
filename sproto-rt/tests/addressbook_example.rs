//! `sproto-rt/examples/addressbook.rs` prints what the reference produces: its derived schema is
//! the sproto README's, byte for byte, and its value encodes and packs to the
//! reference's bytes for the README's Alice and Bob (`messages.json`,
//! `addressbook/AddressList/readme_list`: same layout as the README's `AddressBook`).

#[allow(dead_code)]
#[path = "../examples/addressbook.rs"]
mod addressbook;

use sproto_rt::{Message, MessageRef, Sproto};

/// The address book of the sproto README.
const README_SCHEMA: &str = r#"
.Person {
    name 0 : string
    id 1 : integer
    email 2 : string

    .PhoneNumber {
        number 0 : string
        type 1 : integer
    }

    phone 3 : *PhoneNumber
}

.AddressBook {
    person 0 : *Person
}
"#;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn schema_is_the_readme_schema() {
    let derived = addressbook::AddressBook::schema().expect("builds");
    let reference = Sproto::parse(README_SCHEMA).expect("parses");
    assert_eq!(derived.to_bundle().unwrap(), reference.to_bundle().unwrap());
    assert_eq!(
        Sproto::parse(&derived.to_text()).expect("rendered text parses"),
        reference
    );
}

#[test]
fn value_encodes_as_the_reference() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/sproto/messages.json"
    ))
    .expect("vectors");
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    let v: serde_json::Value = serde::Deserialize::deserialize(&mut de).expect("json");
    let vector = v["messages"]
        .as_array()
        .and_then(|m| {
            m.iter()
                .find(|m| m["id"] == "addressbook/AddressList/readme_list")
        })
        .expect("readme_list vector");
    let book = addressbook::readme_value();
    assert_eq!(
        hex(&book.encode()),
        vector["encoded"].as_str().expect("encoded")
    );
    assert_eq!(
        hex(&book.pencode()),
        vector["packed"].as_str().expect("packed")
    );
    assert_eq!(
        addressbook::AddressBook::decode(&book.encode()).expect("decodes"),
        book
    );
}

#[test]
fn borrowed_types_decode_in_place() {
    let book = addressbook::readme_value();
    let bytes = book.encode();
    let borrowed = addressbook::decode_ref(&bytes).expect("decodes");
    assert_eq!(addressbook::AddressBook::from(&borrowed), book);
    // Every string is a slice of the input.
    let range = bytes.as_ptr_range();
    for p in &borrowed.person {
        assert!(range.contains(&p.name.as_ptr()));
        for n in &p.phone {
            assert!(range.contains(&n.number.as_ptr()));
        }
    }
    // Same bytes and the same schema as the owned types.
    assert_eq!(borrowed.encode(), bytes);
    assert_eq!(
        addressbook::AddressBookRef::schema()
            .expect("builds")
            .to_bundle()
            .unwrap(),
        Sproto::parse(README_SCHEMA)
            .expect("parses")
            .to_bundle()
            .unwrap()
    );
    // Errors are the owned decoder's: every truncation of the message fails both ways.
    for n in 0..bytes.len() {
        assert_eq!(
            addressbook::decode_ref(&bytes[..n]).is_err(),
            addressbook::AddressBook::decode(&bytes[..n]).is_err(),
            "truncated to {n} bytes"
        );
    }
}
