use sproto_rt::Sproto;

#[derive(Sproto, Default)]
#[sproto(namespace = "game")]
struct Person {
    #[sproto(tag = 0, optional)]
    name: String,
}

fn main() {}
