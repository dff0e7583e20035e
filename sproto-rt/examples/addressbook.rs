//! The sproto README's address book as Rust types: `#[derive(Sproto)]` gives each type
//! a static codec and the schema they form, byte-identical to what the reference
//! parser makes from the README's `.sproto` text. The `…Ref<'a>` twins decode without
//! copying or allocating: their strings point into the input, and their arrays are
//! [`ArrayRef`]s, checked when decoded and read in place.
//!
//! Run: `cargo run -p sproto-rt --example addressbook`

use sproto_rt::{ArrayRef, DecodeError, Message, MessageRef, Sproto};

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

/// `.Person.PhoneNumber`, borrowing from the bytes it is decoded from.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Person.PhoneNumber")]
pub struct PhoneNumberRef<'a> {
    #[sproto(tag = 0)]
    pub number: &'a str,
    #[sproto(tag = 1, rename = "type")]
    pub kind: i64,
}

/// `.Person`, borrowing from the bytes it is decoded from.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Person")]
pub struct PersonRef<'a> {
    #[sproto(tag = 0)]
    pub name: &'a str,
    #[sproto(tag = 1)]
    pub id: i64,
    #[sproto(tag = 2)]
    pub email: Option<&'a str>,
    /// Read in place: every phone was checked when the person was decoded, and
    /// iterating decodes them again (each borrows its number).
    #[sproto(tag = 3)]
    pub phone: ArrayRef<'a, PhoneNumberRef<'a>>,
}

/// `.AddressBook`, borrowing from the bytes it is decoded from.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "AddressBook")]
pub struct AddressBookRef<'a> {
    #[sproto(tag = 0)]
    pub person: ArrayRef<'a, PersonRef<'a>>,
}

/// Decodes an address book without copying a string or allocating: the result
/// borrows `bytes`.
pub fn decode_ref(bytes: &[u8]) -> Result<AddressBookRef<'_>, DecodeError> {
    AddressBookRef::decode(bytes)
}

impl From<&AddressBookRef<'_>> for AddressBook {
    fn from(book: &AddressBookRef<'_>) -> Self {
        AddressBook {
            person: book
                .person
                .iter()
                .map(|p| Person {
                    name: p.name.to_string(),
                    id: p.id,
                    email: p.email.map(str::to_string),
                    phone: p
                        .phone
                        .iter()
                        .map(|n| PhoneNumber {
                            number: n.number.to_string(),
                            kind: n.kind,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
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
    println!(
        "bundle {}",
        hex(&schema.to_bundle().expect("the schema writes a bundle"))
    );

    let book = readme_value();
    let encoded = book.encode();
    println!("encoded {}", hex(&encoded));
    println!("packed {}", hex(&book.pencode()));

    let decoded = AddressBook::decode(&encoded)?;
    assert_eq!(decoded, book);
    println!("decoded {decoded:#?}");

    // Zero-copy: the names and numbers are slices of `encoded`.
    let borrowed = decode_ref(&encoded)?;
    assert_eq!(AddressBook::from(&borrowed), book);
    assert_eq!(borrowed.encode(), encoded);
    if let Some(alice) = borrowed.person.iter().next() {
        println!(
            "borrowed: {} (id {}) at byte {} of the input, {} phones, first {:?}",
            alice.name,
            alice.id,
            alice.name.as_ptr() as usize - encoded.as_ptr() as usize,
            alice.phone.len(),
            alice.phone.iter().next().map(|n| n.number)
        );
    }
    Ok(())
}
