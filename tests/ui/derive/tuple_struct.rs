use sproto_rt::Sproto;

#[derive(Sproto)]
struct Point(i64, i64);

fn main() {}
