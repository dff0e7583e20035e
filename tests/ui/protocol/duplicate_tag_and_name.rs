use sproto_rt::protocol;

#[protocol]
pub trait Game {
    #[sproto(tag = 1)]
    async fn login(&self);
    #[sproto(tag = 1)]
    async fn logout(&self);
    #[sproto(tag = 2, name = "login")]
    async fn login_again(&self);
}

fn main() {}
