use std::collections::HashMap;

use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Bag {
    #[sproto(tag = 0)]
    counts: HashMap<String, i64>,
}

fn main() {}
