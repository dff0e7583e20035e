//! lua-seri throughput against rmp-serde (MessagePack) on the same serde values: a
//! command tuple, a ~1 KiB struct, a 64 KiB string and 10 000 integers, each packed
//! and unpacked through the `LuaValue` API, through serde, and through rmp-serde.
//!
//! Run: `cargo bench -p skynet-luaseri --bench luaseri -- --warm-up-time 1 --measurement-time 3`

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use skynet_luaseri::{from_args, from_bytes, pack, to_args, to_bytes, to_value, unpack, LuaValue};

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

/// A named operation run once per iteration; it returns something to keep alive.
type Op<'a> = (&'static str, Box<dyn FnMut() -> usize + 'a>);

/// One payload's six operations (pack and unpack, each through the `LuaValue` API, our
/// serde and rmp-serde), by name: `pack/lua_value`, `unpack/rmp_serde`...
fn payload_ops<'a, T, D>(value: &'a T, args: bool) -> (usize, Vec<Op<'a>>)
where
    T: Serialize,
    D: DeserializeOwned + 'a,
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
    let len = ours.len();
    let ours2 = ours.clone();
    let ours3 = ours.clone();
    let ops: Vec<Op<'a>> = vec![
        (
            "pack/lua_value",
            Box::new(move || pack(black_box(&lua_values)).unwrap().len()),
        ),
        (
            "pack/serde",
            Box::new(move || {
                if args {
                    to_args(black_box(value)).unwrap().len()
                } else {
                    to_bytes(black_box(value)).unwrap().len()
                }
            }),
        ),
        (
            "pack/rmp_serde",
            Box::new(move || rmp_serde::to_vec_named(black_box(value)).unwrap().len()),
        ),
        (
            "unpack/lua_value",
            Box::new(move || unpack(black_box(&ours)).unwrap().len()),
        ),
        (
            "unpack/serde",
            Box::new(move || {
                let v: D = if args {
                    from_args(black_box(&ours2)).unwrap()
                } else {
                    from_bytes(black_box(&ours3)).unwrap()
                };
                std::mem::size_of_val(&black_box(v))
            }),
        ),
        (
            "unpack/rmp_serde",
            Box::new(move || {
                let v: D = rmp_serde::from_slice(black_box(&rmp)).unwrap();
                std::mem::size_of_val(&black_box(v))
            }),
        ),
    ];
    (len, ops)
}

/// Packs and unpacks one payload all three ways; `D` is the serde decoding target.
fn payload<T, D>(c: &mut Criterion, name: &str, value: &T, args: bool)
where
    T: Serialize,
    D: DeserializeOwned,
{
    let (len, ops) = payload_ops::<T, D>(value, args);
    let mut g = c.benchmark_group(format!("luaseri/{name}"));
    g.throughput(Throughput::Bytes(len as u64));
    for (op, mut f) in ops {
        let (kind, way) = op.split_once('/').unwrap();
        g.bench_function(BenchmarkId::new(kind, way), |b| b.iter(&mut f));
    }
    g.finish();
}

fn ints() -> Vec<i64> {
    (0..10_000i64).map(|i| i * i % 100_003 - 20_000).collect()
}

fn benches(c: &mut Criterion) {
    payload::<_, (String, String)>(c, "cmd_tuple", &("GET", "a"), true);
    payload::<_, Player>(c, "struct_1k", &player(), false);
    payload::<_, String>(c, "string_64k", &"s".repeat(64 * 1024), false);
    payload::<_, Vec<i64>>(c, "int_array_10k", &ints(), false);
}

/// `LUASERI_IR=payload/kind/way LUASERI_N=n` (e.g. `struct_1k/unpack/serde`): run one
/// operation n times and exit, for instruction counts under callgrind.
fn instruction_count_mode() -> bool {
    let Ok(name) = std::env::var("LUASERI_IR") else {
        return false;
    };
    let n: usize = std::env::var("LUASERI_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let (payload, op) = name.split_once('/').expect("payload/kind/way");
    let (player, string, ints) = (player(), "s".repeat(64 * 1024), ints());
    let cmd = ("GET", "a");
    let (_, ops) = match payload {
        "cmd_tuple" => payload_ops::<_, (String, String)>(&cmd, true),
        "struct_1k" => payload_ops::<_, Player>(&player, false),
        "string_64k" => payload_ops::<_, String>(&string, false),
        "int_array_10k" => payload_ops::<_, Vec<i64>>(&ints, false),
        other => panic!("no payload {other}"),
    };
    let (_, mut f) = ops
        .into_iter()
        .find(|(o, _)| *o == op)
        .unwrap_or_else(|| panic!("no operation {op}"));
    let mut sum = 0;
    for _ in 0..n {
        sum += f();
    }
    black_box(sum);
    true
}

criterion_group!(all, benches);

fn main() {
    if instruction_count_mode() {
        return;
    }
    all();
    Criterion::default().configure_from_args().final_summary();
}
