use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Person {
    #[sproto(tag = 0)]
    name: String,
    #[sproto(tag = 0)]
    id: i64,
}

fn main() {}
