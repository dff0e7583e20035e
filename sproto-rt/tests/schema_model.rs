//! The schema model's rules: what `Sproto::from_parts` refuses, the field shapes at the
//! bundle edge, the inline-slot limit (type ids past it are an error, not a wrong
//! bundle), and the one slot-count rule.

use sproto_rt::schema::{Field, FieldType, InvalidSchema, Protocol, Shape, Type};
use sproto_rt::wire::{max_slots, InlineValue, StructView, StructWriter, Writer, MAX_INLINE};
use sproto_rt::{Message, Sproto, Struct};

fn field(name: &str, tag: u16, ty: FieldType, shape: Shape) -> Field {
    Field {
        name: name.into(),
        tag,
        ty,
        shape,
    }
}

fn int(name: &str, tag: u16) -> Field {
    field(name, tag, FieldType::Integer, Shape::One)
}

fn ty(name: &str, fields: Vec<Field>) -> Type {
    Type {
        name: name.to_string(),
        fields,
    }
}

fn protocol(name: &str, tag: u16, request: Option<usize>) -> Protocol {
    Protocol {
        name: name.to_string(),
        tag,
        request,
        response: None,
        confirm: false,
    }
}

const TEXT: &str = "
.Entry { k 0 : string  v 1 : integer(2) }
.Person { name 0 : string  id 1 : integer  .Phone { n 0 : string }  phones 3 : *Phone  tags 5 : *string }
.Book { people 0 : *Person(id)  entries 1 : *Entry()  first 2 : Person  ratio 3 : double }
login 1 { request Person  response Book }
ping 2 { response nil }
";

#[test]
fn from_parts_accepts_what_the_parser_builds() {
    let sp = Sproto::parse(TEXT).expect("parses");
    let again = Sproto::from_parts(sp.types().to_vec(), sp.protocols().to_vec()).expect("valid");
    assert_eq!(again, sp);
    assert_eq!(again.to_bundle().unwrap(), sp.to_bundle().unwrap());
    let book = sp.type_by_name("Book").expect("Book");
    let shapes: Vec<Shape> = book.fields.iter().map(|f| f.shape).collect();
    assert_eq!(
        shapes,
        [
            Shape::KeyedMap { key: 1 },
            Shape::PairMap { key: 0 },
            Shape::One,
            Shape::One
        ]
    );
}

/// `from_parts` of the parsed `TEXT` with `change` applied.
fn changed(
    change: impl FnOnce(&mut Vec<Type>, &mut Vec<Protocol>),
) -> Result<Sproto, InvalidSchema> {
    let sp = Sproto::parse(TEXT).expect("parses");
    let (mut types, mut protocols) = (sp.types().to_vec(), sp.protocols().to_vec());
    change(&mut types, &mut protocols);
    Sproto::from_parts(types, protocols)
}

fn type_mut<'a>(types: &'a mut [Type], name: &str) -> &'a mut Type {
    types.iter_mut().find(|t| t.name == name).expect("type")
}

fn id(name: &str) -> usize {
    Sproto::parse(TEXT)
        .expect("parses")
        .type_id(name)
        .expect("type")
}

#[test]
fn from_parts_refuses_each_broken_rule() {
    use InvalidSchema as E;
    type Case = (
        &'static str,
        Result<Sproto, InvalidSchema>,
        fn(&InvalidSchema) -> bool,
    );
    let cases: Vec<Case> = vec![
        (
            "descending tags",
            changed(|t, _| type_mut(t, "Person").fields.swap(0, 1)),
            |e| matches!(e, E::FieldOrder { tag: 0, .. }),
        ),
        (
            "a repeated tag",
            changed(|t, _| type_mut(t, "Entry").fields[1].tag = 0),
            |e| matches!(e, E::FieldOrder { tag: 0, .. }),
        ),
        (
            "a tag past the inline limit",
            changed(|t, _| {
                type_mut(t, "Person")
                    .fields
                    .push(int("big", MAX_INLINE + 1))
            }),
            |e| {
                matches!(
                    e,
                    E::TooLarge {
                        what: "tag",
                        value: 32767,
                        ..
                    }
                )
            },
        ),
        (
            "a precision past the inline limit",
            changed(|t, _| type_mut(t, "Person").fields[1].ty = FieldType::Decimal(40_000)),
            |e| {
                matches!(
                    e,
                    E::TooLarge {
                        what: "precision",
                        value: 40_000,
                        ..
                    }
                )
            },
        ),
        (
            "a field type out of range",
            changed(|t, _| type_mut(t, "Book").fields[2].ty = FieldType::Struct(99)),
            |e| {
                matches!(
                    e,
                    E::TypeOutOfRange {
                        id: 99,
                        count: 4,
                        ..
                    }
                )
            },
        ),
        (
            "a request type out of range",
            changed(|_, p| p[0].request = Some(4)),
            |e| matches!(e, E::TypeOutOfRange { id: 4, .. }),
        ),
        (
            "a map of integers",
            changed(|t, _| type_mut(t, "Person").fields[1].shape = Shape::KeyedMap { key: 0 }),
            |e| matches!(e, E::MapOfBuiltin { .. }),
        ),
        (
            "a map key that is no field",
            changed(|t, _| type_mut(t, "Book").fields[0].shape = Shape::KeyedMap { key: 2 }),
            |e| matches!(e, E::BadMapKey { key: 2, .. }),
        ),
        (
            "a map keyed by an array field",
            changed(|t, _| type_mut(t, "Book").fields[0].shape = Shape::KeyedMap { key: 3 }),
            |e| matches!(e, E::BadMapKey { key: 3, .. }),
        ),
        (
            "a pair map keyed by the second field",
            changed(|t, _| type_mut(t, "Book").fields[1].shape = Shape::PairMap { key: 1 }),
            |e| matches!(e, E::BadMapKey { key: 1, .. }),
        ),
        (
            "a pair map of a type with more than two fields",
            changed(|t, _| {
                let person = FieldType::Struct(id("Person"));
                type_mut(t, "Book").fields[1].ty = person;
                type_mut(t, "Book").fields[1].shape = Shape::PairMap { key: 0 };
            }),
            |e| matches!(e, E::BadMapKey { key: 0, .. }),
        ),
        (
            "two types of one name",
            changed(|t, _| t.push(ty("Book", vec![]))),
            |e| matches!(e, E::DuplicateType(n) if n == "Book"),
        ),
        (
            "two fields of one name",
            changed(|t, _| type_mut(t, "Person").fields[1].name = "name".into()),
            |e| matches!(e, E::DuplicateField { field, .. } if field == "name"),
        ),
        (
            "two protocols of one name",
            changed(|_, p| p.push(protocol("ping", 3, None))),
            |e| matches!(e, E::DuplicateProtocol(n) if n == "ping"),
        ),
        (
            "two protocols of one tag",
            changed(|_, p| p.push(protocol("pong", 2, None))),
            |e| matches!(e, E::DuplicateProtocol(n) if n == "pong"),
        ),
        (
            "a protocol tag past the inline limit",
            changed(|_, p| p.push(protocol("far", 40_000, None))),
            |e| {
                matches!(
                    e,
                    E::TooLarge {
                        what: "tag",
                        value: 40_000,
                        ..
                    }
                )
            },
        ),
    ];
    assert_eq!(
        Sproto::from_parts(vec![], vec![protocol("lonely", 1, None)]),
        Err(InvalidSchema::ProtocolsWithoutTypes)
    );
    for (what, got, expected) in cases {
        match got {
            Err(e) if expected(&e) => {}
            other => panic!("{what}: got {other:?}"),
        }
    }
}

/// `count` types `T00000`, `T00001`, ...; type 0 refers to type `target`.
fn many_types(count: usize, target: usize) -> Vec<Type> {
    (0..count)
        .map(|i| {
            let fields = if i == 0 {
                vec![field("next", 0, FieldType::Struct(target), Shape::One)]
            } else {
                vec![]
            };
            ty(&format!("T{i:05}"), fields)
        })
        .collect()
}

#[test]
fn type_ids_past_the_inline_limit_are_an_error_not_a_wrong_bundle() {
    let last = usize::from(MAX_INLINE) + 1; // id 32767: 32768 types
    let sp = Sproto::from_parts(many_types(last + 1, last), vec![]).expect("valid in memory");
    match sp.to_bundle() {
        Err(InvalidSchema::TooLarge {
            what: "type id",
            value: 32767,
            owner,
        }) => assert_eq!(owner, "field next of T00000"),
        other => panic!("{:?}", other.map(|b| b.len())),
    }
    let mut buf = vec![7];
    assert!(sp.write_bundle(&mut buf).is_err());
    assert_eq!(buf, [7], "a failed write leaves the buffer as it was");

    let p = vec![protocol("far", 1, Some(last))];
    let sp = Sproto::from_parts(many_types(last + 1, 0), p).expect("valid in memory");
    assert!(matches!(
        sp.to_bundle(),
        Err(InvalidSchema::TooLarge {
            what: "type id",
            ..
        })
    ));

    // The largest id that fits is written and loads back.
    let fits = usize::from(MAX_INLINE);
    let sp = Sproto::from_parts(many_types(fits + 1, fits), vec![]).expect("valid");
    let bundle = sp.to_bundle().expect("fits");
    assert_eq!(Sproto::from_bundle(&bundle).expect("loads"), sp);
}

#[test]
fn inline_values_stop_at_the_limit() {
    assert_eq!(
        InlineValue::new(MAX_INLINE).map(InlineValue::slot),
        Some(0xfffe)
    );
    assert_eq!(InlineValue::new(MAX_INLINE + 1), None);
    assert!(InlineValue::try_from(usize::from(u16::MAX) + 1).is_err());
    let mut w = Writer::new(Vec::new());
    let mut st = StructWriter::begin(&mut w, 1);
    st.inline(0, InlineValue::new(MAX_INLINE).expect("fits"));
    st.finish();
    assert_eq!(w.finish(), [1, 0, 0xfe, 0xff]);
    // The largest inline integer, and the first one written as data.
    assert_eq!(
        StructWriter::inline_value(i64::from(MAX_INLINE)),
        Some(0xfffe)
    );
    assert_eq!(StructWriter::inline_value(i64::from(MAX_INLINE) + 1), None);
}

/// A bundle of one type `A` with `fields`, each record written by `write`.
fn bundle_of(records: &[&dyn Fn(&mut StructWriter<'_>)]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let mut group = StructWriter::begin(&mut w, 1);
    group.data_with(0, |w| {
        for (i, name) in ["A", "E"].iter().enumerate() {
            w.block(|w| {
                let mut t = StructWriter::begin(w, 2);
                t.bytes(0, name.as_bytes());
                t.data_with(1, |w| {
                    if i == 0 {
                        for r in records {
                            w.block(|w| {
                                let mut f = StructWriter::begin(w, 7);
                                r(&mut f);
                                f.finish();
                            });
                        }
                    } else {
                        // E { k 0 : integer  v 1 : integer }
                        for (name, tag) in [("k", 0), ("v", 1)] {
                            w.block(|w| {
                                let mut f = StructWriter::begin(w, 4);
                                f.bytes(0, name.as_bytes());
                                f.inline(1, InlineValue::small(0));
                                f.skip_one();
                                f.inline(3, InlineValue::small(tag));
                                f.finish();
                            });
                        }
                    }
                });
                t.finish();
            });
        }
    });
    group.finish();
    w.finish()
}

#[test]
fn bundle_flags_load_as_the_shape_the_codec_gives_them() {
    let v = |n| InlineValue::small(n);
    // name, builtin (or skip + struct type 1 = E), tag 0, then array / key / map flags.
    let record = |name: &'static str, structs: bool, array: bool, key: Option<u8>, map: bool| {
        move |f: &mut StructWriter<'_>| {
            f.bytes(0, name.as_bytes());
            if structs {
                f.skip_one();
                f.inline(2, v(1));
            } else {
                f.inline(1, v(0));
                f.skip_one();
            }
            f.inline(3, v(0));
            if array {
                f.inline(4, v(1));
            }
            if let Some(k) = key {
                f.inline(5, v(k));
            }
            if map {
                f.inline(6, v(1));
            }
        }
    };
    let cases = [
        // What the parser writes comes back as written.
        (record("a", false, false, None, false), Shape::One, true),
        (record("a", false, true, None, false), Shape::Array, true),
        (
            record("a", true, true, Some(0), false),
            Shape::KeyedMap { key: 0 },
            true,
        ),
        (
            record("a", true, true, Some(0), true),
            Shape::PairMap { key: 0 },
            true,
        ),
        // Flags the codec does not act on load as the shape that behaves the same.
        (record("a", true, false, Some(0), false), Shape::One, false),
        (
            record("a", false, true, Some(0), false),
            Shape::Array,
            false,
        ),
        (record("a", true, true, None, true), Shape::Array, false),
        (record("a", false, true, Some(0), true), Shape::Array, false),
    ];
    for (i, (write, shape, parser_form)) in cases.into_iter().enumerate() {
        let bundle = bundle_of(&[&write]);
        let sp = Sproto::from_bundle(&bundle).unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(sp.types()[0].fields[0].shape, shape, "case {i}");
        let written = sp.to_bundle().expect("writes");
        assert_eq!(written == bundle, parser_form, "case {i}: bundle bytes");
        assert_eq!(
            Sproto::from_bundle(&written).expect("loads"),
            sp,
            "case {i}"
        );
    }
}

#[test]
fn the_slot_count_is_what_the_encoder_writes() {
    let sp = Sproto::parse(
        ".G { a 0 : integer  b 1 : string  c 5 : boolean  d 6 : *integer  e 100 : integer }",
    )
    .expect("parses");
    let g = sp.type_by_name("G").expect("G");
    assert_eq!(g.max_slots(), max_slots(&[0, 1, 5, 6, 100]));
    assert_eq!(g.max_slots(), 7);
    let all = Struct::new()
        .with("a", 1)
        .with("b", "x")
        .with("c", true)
        .with("d", sproto_rt::Value::Array(vec![]))
        .with("e", 2);
    let bytes = sp.encode("G", &all).expect("encodes");
    let view = StructView::parse(&bytes, 0).expect("parses");
    assert_eq!(view.slot_count(), g.max_slots());

    #[derive(sproto_rt::Sproto)]
    struct Gapped {
        #[sproto(tag = 1)]
        a: i64,
        #[sproto(tag = 2)]
        b: i64,
        #[sproto(tag = 9)]
        c: i64,
    }
    let schema = Gapped::schema().expect("builds");
    let described = schema.type_by_name("Gapped").expect("Gapped");
    assert_eq!(<Gapped as Message>::MAX_SLOTS, described.max_slots());
    assert_eq!(<Gapped as Message>::MAX_SLOTS, 5);
    let bytes = Gapped { a: 1, b: 2, c: 3 }.encode();
    let view = StructView::parse(&bytes, 0).expect("parses");
    assert_eq!(view.slot_count(), 5);
}
