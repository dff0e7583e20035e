use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Person {
    #[sproto(tag = "zero")]
    name: String,
    #[sproto(tag = 40000)]
    id: i64,
    #[sproto(tag = 2, rename = "the email")]
    email: String,
    #[sproto(tag)]
    age: i64,
}

fn main() {}
