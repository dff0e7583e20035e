use sproto_rt::{protocol, Sproto};

#[derive(Sproto, Default)]
pub struct Resp {
    #[sproto(tag = 0)]
    pub ok: bool,
}

#[protocol]
pub trait Game {
    #[sproto(tag = 1, response = nil)]
    async fn ping(&self) -> Resp;
    #[sproto(tag = 2, response = Resp)]
    async fn pong(&self);
}

fn main() {}
