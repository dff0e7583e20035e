use std::borrow::Cow;

use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct PersonRef<'a> {
    #[sproto(tag = 0)]
    name: &'a str,
}

// An owned struct (no lifetime) cannot hold what borrows from the input.
#[derive(Sproto, Default)]
struct Book {
    #[sproto(tag = 0)]
    title: &'static str,
    #[sproto(tag = 1)]
    owner: Option<PersonRef<'static>>,
    #[sproto(tag = 2)]
    note: Cow<'static, str>,
}

fn main() {}
