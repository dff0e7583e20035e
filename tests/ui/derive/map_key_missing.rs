use std::collections::HashMap;

use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Item {
    #[sproto(tag = 0)]
    id: i64,
}

#[derive(Sproto, Default)]
struct Bag {
    #[sproto(tag = 0, key = "name")]
    items: HashMap<String, Item>,
}

fn main() {}
