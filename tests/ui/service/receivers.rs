use skynet_cluster::service;

#[service]
pub trait Db {
    async fn take(self, key: String);
    async fn set(&mut self, key: String, value: String);
    async fn free(key: String);
}

fn main() {}
