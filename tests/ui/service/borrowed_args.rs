use skynet_cluster::service;

#[service]
pub trait Db {
    async fn get(&self, key: &str) -> Option<String>;
}

fn main() {}
