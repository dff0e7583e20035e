//! Schema throughput: parse text, write the bundle, load the bundle, for a large
//! generated schema (500 types × 20 fields with nesting, maps and protocols).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use sproto_rt::Sproto;

const TYPES: usize = 500;
const FIELDS: usize = 20;

/// 500 top-level types of 20 fields; every 5th type nests a type; fields cycle through
/// every builtin, arrays, decimals, struct references and maps; 250 protocols.
fn generated_schema() -> String {
    let mut s = String::new();
    for t in 0..TYPES {
        s.push_str(&format!(".T{t:04} {{\n"));
        if t % 5 == 0 {
            s.push_str("    .Inner { id 0 : integer  name 1 : string }\n");
        }
        for f in 0..FIELDS {
            let ty = match f % 10 {
                0 => "integer".to_string(),
                1 => "string".to_string(),
                2 => "*integer".to_string(),
                3 => "double".to_string(),
                4 => "integer(2)".to_string(),
                5 => "binary".to_string(),
                6 => "boolean".to_string(),
                7 if t > 0 => format!("T{:04}", t - 1),
                8 if t > 0 => format!("*T{:04}(f00)", t - 1),
                9 if t % 5 == 0 => "*Inner".to_string(),
                _ => "*string".to_string(),
            };
            s.push_str(&format!("    f{f:02} {} : {ty}\n", f * 2));
        }
        s.push_str("}\n");
    }
    for p in 0..TYPES / 2 {
        s.push_str(&format!(
            "p{p} {} {{\n    request T{:04}\n    response {{ ok 0 : boolean }}\n}}\n",
            p + 1,
            p * 2
        ));
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = generated_schema();
    let sp = Sproto::parse(&text).expect("generated schema parses");
    let bundle = sp.to_bundle().unwrap();
    let types = sp.types().len() as u64;
    eprintln!(
        "schema: {} types, {} protocols, text {} bytes, bundle {} bytes",
        types,
        sp.protocols().len(),
        text.len(),
        bundle.len()
    );
    let mut g = c.benchmark_group("schema");
    g.throughput(Throughput::Elements(types));
    g.bench_function("parse_text", |b| b.iter(|| Sproto::parse(black_box(&text))));
    g.bench_function("write_bundle", |b| {
        b.iter(|| black_box(&sp).to_bundle().unwrap())
    });
    g.bench_function("load_bundle", |b| {
        b.iter(|| Sproto::from_bundle(black_box(&bundle)))
    });
    g.bench_function("parse_write_load", |b| {
        b.iter(|| {
            let sp = Sproto::parse(black_box(&text)).expect("parses");
            Sproto::from_bundle(&sp.to_bundle().unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
