use sproto_rt::{ArrayRef, Sproto};

// `ArrayRef` reads string, binary and struct arrays in place; integer arrays have
// their own packed layout and are read into a `Vec`.
#[derive(Sproto)]
struct Scores<'a> {
    #[sproto(tag = 0)]
    names: ArrayRef<'a, &'a str>,
    #[sproto(tag = 1)]
    points: ArrayRef<'a, i64>,
}

// An `ArrayRef` borrows: only a struct with a lifetime can hold one.
#[derive(Sproto)]
struct Owned {
    #[sproto(tag = 0)]
    names: ArrayRef<'static, String>,
}

fn main() {}
