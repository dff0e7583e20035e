use sproto_rt::Sproto;

#[derive(Sproto)]
struct Inner {
    #[sproto(tag = 0)]
    x: i64,
}

#[derive(Sproto)]
struct Outer {
    #[sproto(tag = 0)]
    inner: Inner,
}

fn main() {}
