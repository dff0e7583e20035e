use sproto_rt::Sproto;

// Only `&'a str` and `&'a [u8]` (and Cow / borrowed structs) borrow from the input.
#[derive(Sproto)]
struct Everything<'a> {
    #[sproto(tag = 0)]
    id: &'a i64,
    #[sproto(tag = 1)]
    ids: &'a [i32],
    #[sproto(tag = 2)]
    name: &'a String,
    #[sproto(tag = 3)]
    blob: &'a mut [u8],
    #[sproto(tag = 4)]
    fixed: &'static str,
    #[sproto(tag = 5)]
    ok: &'a str,
}

fn main() {}
