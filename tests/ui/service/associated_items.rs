use skynet_cluster::service;

#[service]
pub trait Db {
    type Key;
    const LIMIT: usize;
    async fn get(&self, key: String) -> Option<String>;
}

fn main() {}
