use sproto_rt::Sproto;

#[derive(Sproto, Default)]
struct TwoInputs<'a, 'b> {
    #[sproto(tag = 0)]
    a: &'a str,
    #[sproto(tag = 1)]
    b: &'b str,
}

#[derive(Sproto, Default)]
struct Bounded<'a: 'static> {
    #[sproto(tag = 0)]
    a: &'a str,
}

fn main() {}
