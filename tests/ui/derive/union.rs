use sproto_rt::Sproto;

#[derive(Sproto)]
union Bits {
    int: i64,
    real: f64,
}

fn main() {}
