use skynet_cluster::service;

#[service]
pub trait Db {
    #[skynet(push)]
    async fn log(&self, line: String) -> bool;
}

fn main() {}
