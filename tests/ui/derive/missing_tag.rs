use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Person {
    #[sproto(tag = 0)]
    name: String,
    id: i64,
}

fn main() {}
