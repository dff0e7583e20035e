use std::collections::BTreeMap;

use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct ItemRef<'a> {
    #[sproto(tag = 0)]
    id: i64,
    #[sproto(tag = 1)]
    name: &'a str,
}

#[derive(Sproto, Default)]
struct EntryRef<'a> {
    #[sproto(tag = 0)]
    k: &'a str,
    #[sproto(tag = 1)]
    v: i64,
}

// Map values and entries are decoded as owned values: a borrowed type cannot be one
// (a Vec<ItemRef<'a>> with the same `key` keeps the entries as a list).
#[derive(Sproto, Default)]
struct Bag<'a> {
    #[sproto(tag = 0, key = "id")]
    items: BTreeMap<i64, ItemRef<'a>>,
    #[sproto(tag = 1, entry = EntryRef)]
    pairs: BTreeMap<&'a str, i64>,
    #[sproto(tag = 2, key = "id")]
    list: Vec<ItemRef<'a>>,
}

fn main() {}
