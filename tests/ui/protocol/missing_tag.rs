use sproto_rt::protocol;

#[protocol]
pub trait Game {
    async fn login(&self);
}

fn main() {}
