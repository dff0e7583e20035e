use sproto_rt::protocol;

#[protocol(packge = Header)]
pub trait Game {
    #[sproto(tga = 1)]
    async fn login(&self);
    #[sproto(tag = 40000)]
    async fn far(&self);
}

fn main() {}
