use skynet_cluster::service;

#[service]
pub trait Db {
    async fn get<K: serde::Serialize>(&self, key: K) -> Option<String>;
}

fn main() {}
