use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Person {
    #[sproto(tag = 0)]
    name: String,
    #[sproto(tag = 1, rename = "name")]
    nickname: String,
}

fn main() {}
