use sproto_rt::protocol;

#[protocol]
pub trait Game {
    #[sproto(tag = 1)]
    async fn set(&self);
    #[sproto(tag = 2)]
    async fn push_set(&self);
}

fn main() {}
