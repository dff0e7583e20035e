use sproto_rt::Sproto;

#[derive(Default)]
struct Plain {
    x: i64,
}

#[derive(Sproto, Default)]
struct Holder {
    #[sproto(tag = 0)]
    plain: Plain,
}

fn main() {}
