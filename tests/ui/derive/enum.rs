use sproto_rt::Sproto;

#[derive(Sproto)]
enum Shape {
    Circle { r: f64 },
    Square { side: f64 },
}

fn main() {}
