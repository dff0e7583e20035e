use std::collections::HashMap;

use sproto_rt::Sproto;

#[derive(Sproto, Default, Clone, PartialEq, Eq, Hash)]
struct Sub {
    #[sproto(tag = 0)]
    v: i64,
}

#[derive(Sproto, Default)]
struct Item {
    #[sproto(tag = 0)]
    id: i64,
    #[sproto(tag = 1)]
    sub: Sub,
}

#[derive(Sproto, Default)]
struct Bag {
    #[sproto(tag = 0, key = "sub")]
    items: HashMap<Sub, Item>,
}

fn main() {}
