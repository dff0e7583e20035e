//! Message codec throughput: the sproto README's AddressBook through the dynamic API,
//! with prost on the equivalent protobuf message as the peer, in the same run; and
//! 0-pack / unpack bandwidth over ~1 MiB of encoded messages.

use criterion::{black_box, criterion_group, Criterion, Throughput};
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
#[path = "../examples/addressbook.rs"]
mod derived;

/// The zero-copy AddressBook with its arrays as `Vec`s (one allocation per array):
/// the other supported form, measured next to the example's `ArrayRef`s.
mod vec_ref {
    use sproto_rt::{MessageRef, Sproto};

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Person.PhoneNumber")]
    pub struct PhoneNumberRef<'a> {
        #[sproto(tag = 0)]
        pub number: &'a str,
        #[sproto(tag = 1, rename = "type")]
        pub kind: i64,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "Person")]
    pub struct PersonRef<'a> {
        #[sproto(tag = 0)]
        pub name: &'a str,
        #[sproto(tag = 1)]
        pub id: i64,
        #[sproto(tag = 2)]
        pub email: Option<&'a str>,
        #[sproto(tag = 3)]
        pub phone: Vec<PhoneNumberRef<'a>>,
    }

    #[derive(Sproto, Debug, Default, Clone, PartialEq)]
    #[sproto(name = "AddressBook")]
    pub struct AddressBookRef<'a> {
        #[sproto(tag = 0)]
        pub person: Vec<PersonRef<'a>>,
    }

    pub fn decode(bytes: &[u8]) -> Result<AddressBookRef<'_>, sproto_rt::DecodeError> {
        AddressBookRef::decode(bytes)
    }
}

/// Reads every field of a decoded address book (names, ids, emails, numbers, types):
/// what a caller that uses the whole message does after decoding. The `walk` ops
/// add it to decoding on every side, so that a lazy form pays for what it deferred.
macro_rules! walk {
    ($book:expr, $kind:ident) => {{
        let mut n = 0usize;
        for p in $book.person.iter() {
            n += p.name.len() + p.id as usize + p.email.text_len();
            for ph in p.phone.iter() {
                n += ph.number.len() + ph.$kind as usize;
            }
        }
        n
    }};
    ($book:expr) => {
        walk!($book, kind)
    };
}

/// The length of an email field, whichever its Rust type.
trait TextLen {
    fn text_len(&self) -> usize;
}

impl TextLen for String {
    fn text_len(&self) -> usize {
        self.len()
    }
}

impl TextLen for Option<String> {
    fn text_len(&self) -> usize {
        self.as_ref().map_or(0, String::len)
    }
}

impl TextLen for Option<&str> {
    fn text_len(&self) -> usize {
        self.map_or(0, str::len)
    }
}

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

/// Everything the benchmarks run on, built once.
struct Fixtures {
    sp: Sproto,
    book: Struct,
    encoded: Vec<u8>,
    packed: Vec<u8>,
    dbook: derived::AddressBook,
    pbook: pb::AddressBook,
    pencoded: Vec<u8>,
    /// ~64 KiB of varied AddressBook encodings, concatenated, and its packed form.
    varied: Vec<u8>,
    varied_packed: Vec<u8>,
}

/// A deterministic mix of address books: 1–4 people, names and numbers of varied
/// lengths, ids inline / 32-bit / 64-bit, emails present or not, 0–3 phones.
fn varied_books(total: usize) -> Vec<u8> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut out = Vec::with_capacity(total + 1024);
    while out.len() < total {
        let people = (0..1 + next(4))
            .map(|_| {
                let name: String = (0..1 + next(16))
                    .map(|_| char::from(b'a' + next(26) as u8))
                    .collect();
                let id = match next(3) {
                    0 => next(30_000) as i64,
                    1 => next(2_000_000_000) as i64 - 1_000_000_000,
                    _ => (next(u64::MAX >> 1) as i64) << 1,
                };
                let email = (next(2) == 0).then(|| format!("{name}@example.com"));
                let phone = (0..next(4))
                    .map(|_| derived::PhoneNumber {
                        number: (0..6 + next(8))
                            .map(|_| char::from(b'0' + next(10) as u8))
                            .collect(),
                        kind: next(4) as i64,
                    })
                    .collect();
                derived::Person {
                    name,
                    id,
                    email,
                    phone,
                }
            })
            .collect();
        derived::AddressBook { person: people }.encode_to(&mut out);
    }
    out
}

impl Fixtures {
    fn new() -> Self {
        let sp = Sproto::parse(SCHEMA).expect("schema");
        let book = dynamic_book();
        let encoded = sp.encode("AddressBook", &book).expect("encodes");
        let packed = sproto_rt::pack(&encoded);
        let dbook = derived::readme_value();
        assert_eq!(dbook.encode(), encoded, "derived and dynamic bytes agree");
        let pbook = prost_book();
        let pencoded = pbook.encode_to_vec();
        let varied = varied_books(64 * 1024);
        let varied_packed = sproto_rt::pack(&varied);
        Fixtures {
            sp,
            book,
            encoded,
            packed,
            dbook,
            pbook,
            pencoded,
            varied,
            varied_packed,
        }
    }
}

/// One benchmarked operation: a name and a closure run once per iteration.
type Op<'a> = (&'static str, Box<dyn FnMut() -> usize + 'a>);

/// The AddressBook operations, by name (`group/function`).
fn addressbook_ops(f: &Fixtures) -> Vec<Op<'_>> {
    let mut buf = Vec::with_capacity(256);
    let mut dbuf = Vec::with_capacity(256);
    let mut pbuf = Vec::with_capacity(256);
    vec![
        (
            "dynamic/encode",
            Box::new(move || {
                buf.clear();
                f.sp.encode_into("AddressBook", black_box(&f.book), &mut buf)
                    .expect("encodes");
                buf.len()
            }),
        ),
        (
            "dynamic/decode",
            Box::new(|| {
                f.sp.decode("AddressBook", black_box(&f.encoded))
                    .expect("decodes")
                    .len()
            }),
        ),
        (
            "dynamic/encode_pack",
            Box::new(|| {
                f.sp.pencode("AddressBook", black_box(&f.book))
                    .expect("encodes")
                    .len()
            }),
        ),
        (
            "dynamic/unpack_decode",
            Box::new(|| {
                f.sp.pdecode("AddressBook", black_box(&f.packed))
                    .expect("decodes")
                    .len()
            }),
        ),
        (
            "derived/encode",
            Box::new(move || {
                dbuf.clear();
                black_box(&f.dbook).encode_to(&mut dbuf);
                dbuf.len()
            }),
        ),
        (
            "derived/decode",
            Box::new(|| {
                derived::AddressBook::decode(black_box(&f.encoded))
                    .expect("decodes")
                    .person
                    .len()
            }),
        ),
        (
            "derived/decode_ref",
            Box::new(|| {
                derived::decode_ref(black_box(&f.encoded))
                    .expect("decodes")
                    .person
                    .len()
            }),
        ),
        (
            "derived/decode_ref_walk",
            Box::new(|| {
                let book = derived::decode_ref(black_box(&f.encoded)).expect("decodes");
                walk!(book)
            }),
        ),
        (
            "derived/decode_ref_vec",
            Box::new(|| {
                vec_ref::decode(black_box(&f.encoded))
                    .expect("decodes")
                    .person
                    .len()
            }),
        ),
        (
            "derived/decode_ref_vec_walk",
            Box::new(|| {
                let book = vec_ref::decode(black_box(&f.encoded)).expect("decodes");
                walk!(book)
            }),
        ),
        (
            "derived/decode_walk",
            Box::new(|| {
                let book = derived::AddressBook::decode(black_box(&f.encoded)).expect("decodes");
                walk!(book)
            }),
        ),
        (
            "prost/encode",
            Box::new(move || {
                pbuf.clear();
                black_box(&f.pbook).encode(&mut pbuf).expect("encodes");
                pbuf.len()
            }),
        ),
        (
            "prost/decode",
            Box::new(|| {
                pb::AddressBook::decode(black_box(&f.pencoded[..]))
                    .expect("decodes")
                    .person
                    .len()
            }),
        ),
        (
            "prost/decode_walk",
            Box::new(|| {
                let book = pb::AddressBook::decode(black_box(&f.pencoded[..])).expect("decodes");
                walk!(book, r#type)
            }),
        ),
    ]
}

/// The 0-packing operations, with the bytes each one's throughput counts (the input).
fn packing_ops(f: &Fixtures) -> Vec<(Op<'_>, usize)> {
    let mut out = Vec::with_capacity(128 * 1024);
    let mut out2 = Vec::with_capacity(128 * 1024);
    let mut out3 = Vec::with_capacity(128 * 1024);
    let mut out4 = Vec::with_capacity(128 * 1024);
    vec![
        (
            (
                "pack/message",
                Box::new(move || {
                    out.clear();
                    sproto_rt::pack_into(black_box(&f.encoded), &mut out);
                    out.len()
                }) as Box<dyn FnMut() -> usize>,
            ),
            f.encoded.len(),
        ),
        (
            (
                "pack/varied_64KiB",
                Box::new(move || {
                    out2.clear();
                    sproto_rt::pack_into(black_box(&f.varied), &mut out2);
                    out2.len()
                }),
            ),
            f.varied.len(),
        ),
        (
            (
                "unpack/message",
                Box::new(move || {
                    out3.clear();
                    sproto_rt::unpack_into(black_box(&f.packed), &mut out3, usize::MAX)
                        .expect("unpacks");
                    out3.len()
                }),
            ),
            f.packed.len(),
        ),
        (
            (
                "unpack/varied_64KiB",
                Box::new(move || {
                    out4.clear();
                    sproto_rt::unpack_into(black_box(&f.varied_packed), &mut out4, usize::MAX)
                        .expect("unpacks");
                    out4.len()
                }),
            ),
            f.varied_packed.len(),
        ),
    ]
}

fn addressbook(c: &mut Criterion) {
    let f = Fixtures::new();
    let mut g = c.benchmark_group("addressbook");
    for (name, mut op) in addressbook_ops(&f) {
        g.bench_function(name, |b| b.iter(&mut op));
    }
    g.finish();
}

fn packing(c: &mut Criterion) {
    let f = Fixtures::new();
    eprintln!(
        "packing: the message {} → {} bytes; varied messages {} → {} bytes",
        f.encoded.len(),
        f.packed.len(),
        f.varied.len(),
        f.varied_packed.len()
    );
    let mut g = c.benchmark_group("packing");
    for ((name, mut op), bytes) in packing_ops(&f) {
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(name, |b| b.iter(&mut op));
    }
    g.finish();
}

/// `CODEC_IR=group/op CODEC_N=n`: run one operation n times and exit, for
/// instruction counts under callgrind (`valgrind --tool=callgrind target/release/deps/codec-…`).
/// Per-operation counts are the difference of two runs with different n.
fn instruction_count_mode() -> bool {
    let Ok(name) = std::env::var("CODEC_IR") else {
        return false;
    };
    let n: usize = std::env::var("CODEC_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let f = Fixtures::new();
    let mut ops: Vec<Op<'_>> = addressbook_ops(&f);
    ops.extend(packing_ops(&f).into_iter().map(|(op, _)| op));
    let (_, op) = ops
        .iter_mut()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no operation {name}"));
    let mut sum = 0;
    for _ in 0..n {
        sum += op();
    }
    black_box(sum);
    true
}

criterion_group!(benches, addressbook, packing);

fn main() {
    if instruction_count_mode() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
