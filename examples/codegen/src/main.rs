//! `sproto-build` end to end: `build.rs` turns `proto/addressbook.sproto` into Rust
//! types and the `Directory` protocol trait; this program serves the trait on
//! 127.0.0.1 over skynet's gate framing and calls it through the generated client.
//!
//! `cargo run -p sproto-codegen-example`

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::{Arc, Mutex};

use sproto_rt::net::{connect_tcp, Config, Server};
use sproto_rt::{Message, Sproto};

/// The generated code: `Person`, `person::PhoneNumber`, `AddressBook`, `add::Response`,
/// `find::Request`, `Package`, the `Directory` trait (with `DirectoryClient` and
/// `DirectoryServer`) and `schema()`.
mod addressbook {
    sproto_rt::include_sproto!("addressbook");
}

use addressbook::{
    add, find, person, AddressBook, Directory, DirectoryClient, DirectoryServer, Person,
};

/// The book, kept in memory and shared by every connection.
#[derive(Clone, Default)]
struct Book {
    people: Arc<Mutex<BTreeMap<i64, Person>>>,
}

impl Directory for Book {
    async fn add(&self, request: Person) -> add::Response {
        let mut people = self.people.lock().unwrap_or_else(|e| e.into_inner());
        people.insert(request.id.unwrap_or_default(), request);
        add::Response {
            count: Some(people.len() as i64),
        }
    }

    async fn find(&self, request: find::Request) -> Person {
        let people = self.people.lock().unwrap_or_else(|e| e.into_inner());
        request
            .id
            .and_then(|id| people.get(&id).cloned())
            .unwrap_or_default()
    }

    async fn list(&self) -> AddressBook {
        let people = self.people.lock().unwrap_or_else(|e| e.into_inner());
        AddressBook {
            person: Some(people.clone()),
        }
    }

    async fn clear(&self) {
        self.people
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // The schema built from the generated types is the one the reference parser makes.
    let built = addressbook::schema()?;
    let parsed = Sproto::parse(include_str!("../proto/addressbook.sproto"))?;
    assert_eq!(
        built.to_bundle().expect("the schema writes a bundle"),
        parsed.to_bundle().expect("the schema writes a bundle")
    );
    println!(
        "schema: {} types, {} protocols, bundle of {} bytes",
        built.types().len(),
        built.protocols().len(),
        built.to_bundle().expect("the schema writes a bundle").len()
    );

    // Serve the Directory on a local port; each connection gets the shared book.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = Server::new(Config::default());
    let book = Book::default();
    server.serve_tcp(listener, move |_peer| DirectoryServer::new(book.clone()));

    // Call it through the generated client stub.
    let client = DirectoryClient::new(connect_tcp(addr, Config::default(), |_| ()).await?);
    let alice = Person {
        name: Some("Alice".into()),
        id: Some(10000),
        phone: Some(vec![
            person::PhoneNumber {
                number: Some("123456789".into()),
                r#type: Some(1),
            },
            person::PhoneNumber {
                number: Some("87654321".into()),
                r#type: Some(2),
            },
        ]),
        ..Person::default()
    };
    println!("alice encodes to {} bytes", alice.encode().len());
    let added = client.add(alice.clone()).await?;
    println!("add alice: {} in the book", added.count.unwrap_or_default());
    let bob = Person {
        name: Some("Bob".into()),
        id: Some(20000),
        email: Some("bob@example.com".into()),
        ..Person::default()
    };
    let added = client.add(bob).await?;
    println!("add bob: {} in the book", added.count.unwrap_or_default());
    let found = client.find(find::Request { id: Some(10000) }).await?;
    assert_eq!(found, alice);
    println!("find 10000: {}", found.name.as_deref().unwrap_or("?"));
    let book = client.list().await?;
    let names: Vec<&str> = book
        .person
        .iter()
        .flat_map(|m| m.values())
        .filter_map(|p| p.name.as_deref())
        .collect();
    println!("list: {}", names.join(", "));
    client.clear().await?;
    let empty = client.list().await?;
    println!(
        "clear: {} left",
        empty.person.map_or(0, |people| people.len())
    );
    server.shutdown();
    Ok(())
}
