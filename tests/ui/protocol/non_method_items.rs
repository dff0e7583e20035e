use sproto_rt::protocol;

#[protocol]
pub trait Game<T> {
    type Item;
    const LIMIT: usize;
    #[sproto(tag = 1)]
    async fn login(&self);
}

fn main() {}
