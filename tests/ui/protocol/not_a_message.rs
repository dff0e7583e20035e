use sproto_rt::protocol;

pub struct Plain {
    pub id: i64,
}

#[protocol]
pub trait Game {
    #[sproto(tag = 1)]
    async fn login(&self, request: Plain) -> Plain;
}

fn main() {}
