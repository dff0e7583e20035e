//! lua-seri throughput against rmp-serde (MessagePack) on the same serde values: a
//! command tuple, a ~1 KiB struct, a 64 KiB string and 10 000 integers, each packed
//! and unpacked through the `LuaValue` API, through serde, and through rmp-serde.
//!
//! Run: `cargo bench -p skynet-cluster --bench luaseri -- --warm-up-time 1 --measurement-time 3`

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use skynet_cluster::luaseri::{
    from_args, from_bytes, pack, to_args, to_bytes, to_value, unpack, LuaValue,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Position {
    x: f64,
    y: f64,
    z: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    id: u32,
    count: u16,
    name: String,
}

/// A game-server style record of mixed fields, about 1 KiB packed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Player {
    id: u64,
    name: String,
    level: u16,
    exp: i64,
    gold: i64,
    online: bool,
    guild: Option<String>,
    title: Option<String>,
    pos: Position,
    tags: Vec<String>,
    scores: Vec<i32>,
    items: Vec<Item>,
    attrs: BTreeMap<String, i64>,
    motto: String,
}

fn player() -> Player {
    Player {
        id: 1_234_567_890_123,
        name: "player-one".into(),
        level: 87,
        exp: 123_456_789,
        gold: -42,
        online: true,
        guild: Some("the knights of the round table".into()),
        title: None,
        pos: Position {
            x: 1024.5,
            y: -77.25,
            z: 0.125,
        },
        tags: ["pvp", "raid", "crafting", "trading", "vip"]
            .map(String::from)
            .to_vec(),
        scores: (0..40).map(|i| i * 997 - 5000).collect(),
        items: (0..12)
            .map(|i| Item {
                id: 10_000 + i,
                count: (i * 7) as u16,
                name: format!("item-name-{i}"),
            })
            .collect(),
        attrs: ["hp", "mp", "str", "agi", "int", "luck", "def", "crit"]
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), i as i64 * 1111))
            .collect(),
        motto: "x".repeat(200),
    }
}

/// Packs and unpacks one payload all three ways; `decode` is the serde target.
fn payload<T, D>(c: &mut Criterion, name: &str, value: &T, args: bool)
where
    T: Serialize,
    D: DeserializeOwned,
{
    let lua_values: Vec<LuaValue> = if args {
        unpack(&to_args(value).unwrap()).unwrap()
    } else {
        vec![to_value(value).unwrap()]
    };
    let ours = if args {
        to_args(value).unwrap()
    } else {
        to_bytes(value).unwrap()
    };
    let rmp = rmp_serde::to_vec_named(value).unwrap();
    let mut g = c.benchmark_group(format!("luaseri/{name}"));
    g.throughput(Throughput::Bytes(ours.len() as u64));

    g.bench_function(BenchmarkId::new("pack", "lua_value"), |b| {
        b.iter(|| pack(black_box(&lua_values)).unwrap())
    });
    if args {
        g.bench_function(BenchmarkId::new("pack", "serde"), |b| {
            b.iter(|| to_args(black_box(value)).unwrap())
        });
    } else {
        g.bench_function(BenchmarkId::new("pack", "serde"), |b| {
            b.iter(|| to_bytes(black_box(value)).unwrap())
        });
    }
    g.bench_function(BenchmarkId::new("pack", "rmp_serde"), |b| {
        b.iter(|| rmp_serde::to_vec_named(black_box(value)).unwrap())
    });

    g.bench_function(BenchmarkId::new("unpack", "lua_value"), |b| {
        b.iter(|| unpack(black_box(&ours)).unwrap())
    });
    if args {
        g.bench_function(BenchmarkId::new("unpack", "serde"), |b| {
            b.iter(|| from_args::<D>(black_box(&ours)).unwrap())
        });
    } else {
        g.bench_function(BenchmarkId::new("unpack", "serde"), |b| {
            b.iter(|| from_bytes::<D>(black_box(&ours)).unwrap())
        });
    }
    g.bench_function(BenchmarkId::new("unpack", "rmp_serde"), |b| {
        b.iter(|| rmp_serde::from_slice::<D>(black_box(&rmp)).unwrap())
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    payload::<_, (String, String)>(c, "cmd_tuple", &("GET", "a"), true);
    payload::<_, Player>(c, "struct_1k", &player(), false);
    payload::<_, String>(c, "string_64k", &"s".repeat(64 * 1024), false);
    let ints: Vec<i64> = (0..10_000i64).map(|i| i * i % 100_003 - 20_000).collect();
    payload::<_, Vec<i64>>(c, "int_array_10k", &ints, false);
}

criterion_group!(luaseri, benches);
criterion_main!(luaseri);
