use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct Account {
    #[sproto(tag = 0, decimal = 2)]
    balance: i64,
}

fn main() {}
