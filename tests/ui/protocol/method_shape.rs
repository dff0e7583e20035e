use sproto_rt::{protocol, Sproto};

#[derive(Sproto, Default)]
pub struct Req {
    #[sproto(tag = 0)]
    pub id: i64,
}

#[protocol]
pub trait Game {
    #[sproto(tag = 1)]
    fn not_async(&self);
    #[sproto(tag = 2)]
    async fn mutable(&mut self);
    #[sproto(tag = 3)]
    async fn generic<T>(&self, request: Req);
    #[sproto(tag = 4)]
    async fn borrowed(&self, request: &Req);
    #[sproto(tag = 5)]
    async fn two(&self, request: Req, more: Req);
    #[sproto(tag = 6)]
    async fn answers_a_reference(&self) -> &'static Req;
}

fn main() {}
