use sproto_rt::{MessageRef, Sproto};

#[derive(Sproto, Default)]
struct PersonRef<'a> {
    #[sproto(tag = 0)]
    name: &'a str,
}

// A borrowed message cannot outlive the bytes it was decoded from.
fn name_of(bytes: Vec<u8>) -> PersonRef<'static> {
    PersonRef::decode(&bytes).unwrap()
}

fn main() {
    let _ = name_of(PersonRef { name: "x" }.encode());
}
