use skynet_cluster::service;

pub struct Opaque;

#[service]
pub trait Db {
    async fn put(&self, value: Opaque) -> bool;
    async fn fetch(&self) -> Opaque;
}

fn main() {}
