//! sproto-rt decoders: schema text, bundles, the dynamic codec, 0-packing.

use std::sync::OnceLock;

use sproto_rt::{EncodeErrorKind, Sproto, Struct, TypeId, Value};

/// Vector schemas the dynamic decoder is fuzzed against (the files of
/// `sproto-rt/tests/vectors/sproto/schemas/`).
pub(crate) const SCHEMAS: &[(&str, &str)] = &[
    (
        "addressbook.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/addressbook.sproto"),
    ),
    (
        "builtins.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/builtins.sproto"),
    ),
    (
        "decimals.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/decimals.sproto"),
    ),
    (
        "maps.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/maps.sproto"),
    ),
    (
        "nested.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/nested.sproto"),
    ),
    (
        "recursive.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/recursive.sproto"),
    ),
    (
        "tags_sparse.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/tags_sparse.sproto"),
    ),
    (
        "wire_examples.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/wire_examples.sproto"),
    ),
    (
        "accepted_oddities.sproto",
        include_str!("../../sproto-rt/tests/vectors/sproto/schemas/accepted_oddities.sproto"),
    ),
];

/// The parsed [`SCHEMAS`] and every (schema, type) pair, in selector order.
pub(crate) struct Loaded {
    pub(crate) schemas: Vec<Sproto>,
    pub(crate) types: Vec<(usize, TypeId)>,
}

pub(crate) fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let schemas: Vec<Sproto> = SCHEMAS
            .iter()
            .map(|(name, text)| {
                Sproto::parse(text).unwrap_or_else(|e| panic!("{name} parses: {e}"))
            })
            .collect();
        let types = schemas
            .iter()
            .enumerate()
            .flat_map(|(i, sp)| (0..sp.types().len()).map(move |t| (i, t)))
            .collect::<Vec<_>>();
        assert!(
            types.len() <= 128,
            "the selector byte has 7 bits for the type"
        );
        Loaded { schemas, types }
    })
}

/// `schema_text`: [`Sproto::parse`] of any UTF-8 text. What parses builds a bundle that
/// loads back to the same bundle, and renders ([`Sproto::to_text`]) to text that parses
/// to the same bundle again.
pub fn schema_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The doc-comment collector (for code generation) reads the same text: it accepts
    // exactly what the parser accepts and builds the same schema.
    let with_docs = Sproto::parse_sources_with_docs([("fuzz.sproto", text)]);
    let Ok(sp) = Sproto::parse(text) else {
        assert!(
            with_docs.is_err(),
            "parsing with doc comments accepted what parse refused"
        );
        return;
    };
    match with_docs {
        Ok((documented, _)) => assert_eq!(documented, sp, "doc comments changed the schema"),
        Err(e) => panic!("parsing with doc comments refused what parse accepted: {e}"),
    }
    // What the parser accepts follows every rule of the schema model.
    match Sproto::from_parts(sp.types().to_vec(), sp.protocols().to_vec()) {
        Ok(again) => assert_eq!(again, sp, "from_parts changed a parsed schema"),
        Err(e) => panic!("from_parts refuses a parsed schema: {e}"),
    }
    let bundle = sp
        .to_bundle()
        .unwrap_or_else(|e| panic!("a parsed schema does not write a bundle: {e}"));
    // The empty schema's bundle is `00 00`, which the reference refuses to load.
    if bundle.len() >= 4 {
        let back = Sproto::from_bundle(&bundle)
            .unwrap_or_else(|e| panic!("the bundle of a parsed schema does not load: {e}"));
        assert_eq!(
            back.to_bundle().ok(),
            Some(bundle.clone()),
            "bundle → schema → bundle differs"
        );
    }
    let rendered = sp.to_text();
    let again = Sproto::parse(&rendered)
        .unwrap_or_else(|e| panic!("to_text does not parse: {e}\n{rendered}"));
    assert_eq!(
        again.to_bundle().ok(),
        Some(bundle),
        "to_text parses to another schema:\n{rendered}"
    );
    let _ = sp.dump();
}

/// `bundle`: [`Sproto::from_bundle`] of any bytes. A loaded schema is consistent, writes
/// a bundle that loads to an equal schema, can be dumped and rendered, and (when no
/// type has two fields of one name) its first types decode the input bytes (as
/// [`dynamic_decode`] checks) and encode their default values.
pub fn bundle(data: &[u8]) {
    let Ok(sp) = Sproto::from_bundle(data) else {
        return;
    };
    assert!(
        refers_inside(&sp),
        "a loaded schema refers outside its type list"
    );
    // A loaded schema's type ids came from inline slots: it always writes.
    let bundle = sp
        .to_bundle()
        .unwrap_or_else(|e| panic!("a loaded schema does not write a bundle: {e}"));
    match Sproto::from_bundle(&bundle) {
        Ok(back) => {
            assert_eq!(back, sp, "bundle → schema → bundle → schema differs");
            assert_eq!(
                back.to_bundle().ok(),
                Some(bundle),
                "the written bundle is not stable"
            );
        }
        // Only a schema without types writes the 2-byte bundle that cannot load.
        Err(e) => assert!(
            bundle.len() < 4,
            "a loaded schema writes a bundle that does not load: {e}"
        ),
    }
    let _ = sp.dump();
    let _ = sp.to_text();
    // Values name their fields: with two fields of one name in a type (which a bundle,
    // unlike schema text, can have) a decoded value cannot say which one it holds.
    let unique_names = sp.types().iter().all(|t| {
        let mut names: Vec<&str> = t.fields.iter().map(|f| &*f.name).collect();
        names.sort_unstable();
        names.windows(2).all(|w| w[0] != w[1])
    });
    if !unique_names {
        return;
    }
    for ty in 0..sp.types().len().min(4) {
        if let Ok((value, used)) = sp.decode_type(ty, data) {
            assert!(used <= data.len());
            reencode(&sp, ty, &value);
        }
        let name = &sp.types()[ty].name;
        if sp.type_id(name) != Some(ty) {
            continue;
        }
        let default = sp.default_value(name).expect("the type exists");
        let mut buf = Vec::new();
        if sp.encode_type_into(ty, &default, &mut buf).is_ok() {
            let (back, used) = sp
                .decode_type(ty, &buf)
                .unwrap_or_else(|e| panic!("the default value of {name} does not decode: {e}"));
            assert_eq!(used, buf.len());
            reencode(&sp, ty, &back);
        }
    }
}

/// Every struct reference of the schema is an index into its type list.
fn refers_inside(sp: &Sproto) -> bool {
    let n = sp.types().len();
    let fields = sp.types().iter().flat_map(|t| &t.fields);
    let field_refs = fields.filter_map(|f| match f.ty {
        sproto_rt::FieldType::Struct(id) => Some(id),
        _ => None,
    });
    let protocol_refs = sp
        .protocols()
        .iter()
        .flat_map(|p| [p.request, p.response].into_iter().flatten());
    field_refs.chain(protocol_refs).all(|id| id < n)
}

/// `dynamic_decode`: the dynamic decoder against the vector `SCHEMAS`. Byte 0 picks
/// the type (low 7 bits) and `pdecode` (bit 7) over `decode`; the rest is the message.
///
/// `pdecode` is `unpack` then `decode`; what decodes encodes again (only a nesting
/// deeper than the encoder's limit may refuse, as in the reference), and that encoding
/// decodes to the same value, also through `pencode`/`pdecode`.
pub fn dynamic_decode(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let loaded = loaded();
    let (schema, ty) = loaded.types[usize::from(selector & 0x7f) % loaded.types.len()];
    let sp = &loaded.schemas[schema];
    let value = if selector & 0x80 != 0 {
        let name = &sp.types()[ty].name;
        let packed = sp.pdecode(name, bytes);
        let plain = sproto_rt::unpack(bytes).map(|u| sp.decode_type(ty, &u).map(|(s, _)| s));
        match (&packed, &plain) {
            (Ok(a), Ok(Ok(b))) => assert!(same_struct(a, b), "pdecode ≠ unpack + decode"),
            (Err(_), Err(_)) | (Err(_), Ok(Err(_))) => {}
            _ => panic!("pdecode and unpack + decode disagree: {packed:?} / {plain:?}"),
        }
        packed
    } else {
        sp.decode_type(ty, bytes).map(|(value, used)| {
            assert!(used <= bytes.len(), "decode used more bytes than it had");
            value
        })
    };
    if let Ok(value) = value {
        reencode(sp, ty, &value);
    }
}

/// A decoded value encodes (unless it nests past the encoder's limit), decodes to the
/// same value and survives `pencode`/`pdecode`.
fn reencode(sp: &Sproto, ty: TypeId, value: &Struct) {
    let name = &sp.types()[ty].name;
    let mut encoded = Vec::new();
    match sp.encode_type_into(ty, value, &mut encoded) {
        Ok(n) => assert_eq!(n, encoded.len()),
        // The reference decodes an empty struct at level 64 but refuses to encode it.
        Err(e) if matches!(e.kind(), EncodeErrorKind::TooDeep { .. }) => return,
        Err(e) => panic!("a decoded {name} does not encode: {e}\n{value:?}"),
    }
    let (again, used) = sp
        .decode_type(ty, &encoded)
        .unwrap_or_else(|e| panic!("the encoding of a decoded {name} does not decode: {e}"));
    assert_eq!(used, encoded.len(), "decode did not use the whole encoding");
    assert!(
        same_struct(value, &again),
        "decode → encode → decode differs:\n{value:?}\n{again:?}"
    );
    // The by-name calls reach this type only if no earlier type has its name (a
    // bundle, unlike schema text, can repeat a type name).
    if sp.type_id(name) == Some(ty) {
        let packed = sp
            .pencode(name, &again)
            .expect("encoded once, encodes again");
        assert_eq!(
            sproto_rt::pack(&encoded),
            packed,
            "pencode ≠ pack of encode"
        );
        let unpacked = sp
            .pdecode(name, &packed)
            .unwrap_or_else(|e| panic!("pdecode of pencode fails: {e}"));
        assert!(same_struct(&again, &unpacked), "pencode → pdecode differs");
    }
}

/// Value equality for round trips: doubles by bit pattern, or close enough for an
/// `integer(N)` field (its decoded double, re-encoded, may round to a neighbour of
/// the original integer when it is beyond 2^53).
pub(crate) fn same_struct(a: &Struct, b: &Struct) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|((na, va), (nb, vb))| na == nb && same_value(va, vb))
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => {
            x.to_bits() == y.to_bits()
                || x == y
                || (x.is_finite() && y.is_finite() && (x - y).abs() <= 1e-12 * x.abs().max(y.abs()))
        }
        (Value::Struct(x), Value::Struct(y)) => same_struct(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same_value(k1, k2) && same_value(v1, v2))
        }
        _ => a == b,
    }
}

/// `sproto_unpack`: [`sproto_rt::unpack`] and [`sproto_rt::unpack_limited`] of any
/// bytes, and [`sproto_rt::pack`] of the input and of what unpacks.
///
/// An unpacked stream is whole 8-byte words, at most 8 per input byte; packing it and
/// unpacking again gives it back; `unpack_limited` succeeds exactly when `unpack` does
/// within the limit, with the same bytes; any bytes pack and unpack to themselves
/// followed by zero padding.
pub fn sproto_unpack(data: &[u8]) {
    let full = sproto_rt::unpack(data);
    if let Ok(plain) = &full {
        assert_eq!(plain.len() % 8, 0, "unpacked size is not whole words");
        assert!(plain.len() <= data.len() * 8, "unpack grew more than 8×");
        let packed = sproto_rt::pack(plain);
        assert_eq!(
            sproto_rt::unpack(&packed).as_ref(),
            Ok(plain),
            "unpack → pack → unpack differs"
        );
        assert_eq!(
            sproto_rt::pack(&sproto_rt::unpack(&packed).expect("just unpacked")),
            packed,
            "pack is not canonical"
        );
    }
    let full_len = full.as_ref().map_or(0, Vec::len);
    for limit in [0, 8, full_len.saturating_sub(1), full_len, data.len()] {
        let limited = sproto_rt::unpack_limited(data, limit);
        match (&full, &limited) {
            (Ok(plain), Ok(got)) => {
                assert!(plain.len() <= limit, "unpack_limited({limit}) went over");
                assert_eq!(plain, got, "unpack_limited({limit}) ≠ unpack");
            }
            (Ok(plain), Err(_)) => assert!(
                plain.len() > limit,
                "unpack_limited({limit}) refused {} bytes",
                plain.len()
            ),
            (Err(_), Ok(_)) => panic!("unpack_limited({limit}) accepted what unpack refuses"),
            (Err(_), Err(_)) => {}
        }
    }
    let packed = sproto_rt::pack(data);
    let back = sproto_rt::unpack(&packed).expect("pack output unpacks");
    assert_eq!(&back[..data.len()], data, "pack → unpack differs");
    assert!(back.len() - data.len() < 8 && back[data.len()..].iter().all(|&b| b == 0));
}
