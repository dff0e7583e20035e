//! Message codec throughput: the sproto README's AddressBook through the dynamic API,
//! with prost on the equivalent protobuf message as the peer, in the same run; and
//! 0-pack / unpack bandwidth over ~1 MiB of encoded messages.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use prost::Message as _;
use sproto_rt::{Message as _, Sproto, Struct, Value};

const SCHEMA: &str = r#"
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

/// The protobuf twin of the sproto README's AddressBook.
mod pb {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PhoneNumber {
        #[prost(string, tag = "1")]
        pub number: String,
        #[prost(int64, tag = "2")]
        pub r#type: i64,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Person {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(int64, tag = "2")]
        pub id: i64,
        #[prost(string, tag = "3")]
        pub email: String,
        #[prost(message, repeated, tag = "4")]
        pub phone: Vec<PhoneNumber>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct AddressBook {
        #[prost(message, repeated, tag = "1")]
        pub person: Vec<Person>,
    }
}

/// The same AddressBook as `#[derive(Sproto)]` types: the `addressbook` example's.
#[allow(dead_code)]
#[path = "../../examples/addressbook.rs"]
mod derived;

fn phone(number: &str, ty: i64) -> Value {
    Value::Struct(Struct::new().with("number", number).with("type", ty))
}

/// Alice (2 phones) and Bob (1 phone), as in the sproto README.
fn dynamic_book() -> Struct {
    let alice = Struct::new().with("name", "Alice").with("id", 10000).with(
        "phone",
        Value::Array(vec![phone("123456789", 1), phone("87654321", 2)]),
    );
    let bob = Struct::new()
        .with("name", "Bob")
        .with("id", 20000)
        .with("phone", Value::Array(vec![phone("01234567890", 3)]));
    Struct::new().with("person", Value::Array(vec![alice.into(), bob.into()]))
}

fn prost_book() -> pb::AddressBook {
    let phone = |n: &str, t| pb::PhoneNumber {
        number: n.into(),
        r#type: t,
    };
    pb::AddressBook {
        person: vec![
            pb::Person {
                name: "Alice".into(),
                id: 10000,
                email: String::new(),
                phone: vec![phone("123456789", 1), phone("87654321", 2)],
            },
            pb::Person {
                name: "Bob".into(),
                id: 20000,
                email: String::new(),
                phone: vec![phone("01234567890", 3)],
            },
        ],
    }
}

fn addressbook(c: &mut Criterion) {
    let sp = Sproto::parse(SCHEMA).expect("schema");
    let book = dynamic_book();
    let encoded = sp.encode("AddressBook", &book).expect("encodes");
    let packed = sproto_rt::pack(&encoded);
    let pbook = prost_book();
    let pencoded = pbook.encode_to_vec();
    let mut g = c.benchmark_group("addressbook");
    g.bench_function("dynamic/encode", |b| {
        let mut buf = Vec::with_capacity(256);
        b.iter(|| {
            buf.clear();
            sp.encode_into("AddressBook", black_box(&book), &mut buf)
                .expect("encodes");
            buf.len()
        })
    });
    g.bench_function("dynamic/decode", |b| {
        b.iter(|| {
            sp.decode("AddressBook", black_box(&encoded))
                .expect("decodes")
        })
    });
    g.bench_function("dynamic/encode_pack", |b| {
        b.iter(|| {
            sp.pencode("AddressBook", black_box(&book))
                .expect("encodes")
        })
    });
    g.bench_function("dynamic/unpack_decode", |b| {
        b.iter(|| {
            sp.pdecode("AddressBook", black_box(&packed))
                .expect("decodes")
        })
    });
    let dbook = derived::readme_value();
    assert_eq!(dbook.encode(), encoded, "derived and dynamic bytes agree");
    g.bench_function("derived/encode", |b| {
        let mut buf = Vec::with_capacity(256);
        b.iter(|| {
            buf.clear();
            black_box(&dbook).encode_to(&mut buf);
            buf.len()
        })
    });
    g.bench_function("derived/decode", |b| {
        b.iter(|| derived::AddressBook::decode(black_box(&encoded)).expect("decodes"))
    });
    g.bench_function("prost/encode", |b| {
        let mut buf = Vec::with_capacity(256);
        b.iter(|| {
            buf.clear();
            black_box(&pbook).encode(&mut buf).expect("encodes");
            buf.len()
        })
    });
    g.bench_function("prost/decode", |b| {
        b.iter(|| pb::AddressBook::decode(black_box(&pencoded[..])).expect("decodes"))
    });
    g.finish();
}

fn packing(c: &mut Criterion) {
    let sp = Sproto::parse(SCHEMA).expect("schema");
    let one = sp.encode("AddressBook", &dynamic_book()).expect("encodes");
    let mut data = Vec::with_capacity(1 << 20);
    while data.len() < 1 << 20 {
        data.extend_from_slice(&one);
    }
    let packed = sproto_rt::pack(&data);
    eprintln!(
        "packing: {} bytes of messages pack to {} bytes",
        data.len(),
        packed.len()
    );
    let mut g = c.benchmark_group("packing");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("pack_1MiB", |b| {
        let mut out = Vec::with_capacity(data.len() + data.len() / 8 + 2);
        b.iter(|| {
            out.clear();
            sproto_rt::pack_into(black_box(&data), &mut out);
            out.len()
        })
    });
    g.bench_function("unpack_1MiB", |b| {
        let mut out = Vec::with_capacity(data.len() + 8);
        b.iter(|| {
            out.clear();
            sproto_rt::unpack_into(black_box(&packed), &mut out, usize::MAX).expect("unpacks");
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, addressbook, packing);
criterion_main!(benches);
