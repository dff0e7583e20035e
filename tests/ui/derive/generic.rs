use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Wrapper<T> {
    #[sproto(tag = 0)]
    inner: Vec<T>,
}

fn main() {}
