use sproto_rt::Sproto;

trait Shape {}

#[derive(Sproto)]
struct Everything<'a> {
    #[sproto(tag = 0)]
    big: u128,
    #[sproto(tag = 1)]
    unsigned: u64,
    #[sproto(tag = 2)]
    pair: (i64, String),
    #[sproto(tag = 3)]
    borrowed: &'a str,
    #[sproto(tag = 4)]
    pointer: *const u8,
    #[sproto(tag = 5)]
    shape: Box<dyn Shape>,
    #[sproto(tag = 6)]
    sizes: Vec<usize>,
}

fn main() {}
