//! The sproto README's address book as Rust types: `#[derive(Sproto)]` gives each type
//! a static codec and the schema they form, byte-identical to what the reference
//! parser makes from the README's `.sproto` text.
//!
//! Run: `cargo run --example addressbook`

use sproto_rt::{Message, Sproto};

/// `.Person.PhoneNumber`
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Person.PhoneNumber")]
pub struct PhoneNumber {
    #[sproto(tag = 0)]
    pub number: String,
    /// `type` is a Rust keyword: the field is renamed on the wire.
    #[sproto(tag = 1, rename = "type")]
    pub kind: i64,
}

/// `.Person`
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Person {
    #[sproto(tag = 0)]
    pub name: String,
    #[sproto(tag = 1)]
    pub id: i64,
    /// Absent unless set, as in the README's value.
    #[sproto(tag = 2)]
    pub email: Option<String>,
    #[sproto(tag = 3)]
    pub phone: Vec<PhoneNumber>,
}

/// `.AddressBook`
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct AddressBook {
    #[sproto(tag = 0)]
    pub person: Vec<Person>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Alice (id 10000, two phones) and Bob (id 20000, one phone), as in the README.
pub fn readme_value() -> AddressBook {
    let phone = |number: &str, kind| PhoneNumber {
        number: number.to_string(),
        kind,
    };
    AddressBook {
        person: vec![
            Person {
                name: "Alice".into(),
                id: 10000,
                email: None,
                phone: vec![phone("123456789", 1), phone("87654321", 2)],
            },
            Person {
                name: "Bob".into(),
                id: 20000,
                email: None,
                phone: vec![phone("01234567890", 3)],
            },
        ],
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = AddressBook::schema()?;
    print!("{}", schema.to_text());
    println!("bundle {}", hex(&schema.to_bundle()));

    let book = readme_value();
    let encoded = book.encode();
    println!("encoded {}", hex(&encoded));
    println!("packed {}", hex(&book.pencode()));

    let decoded = AddressBook::decode(&encoded)?;
    assert_eq!(decoded, book);
    println!("decoded {decoded:#?}");
    Ok(())
}
