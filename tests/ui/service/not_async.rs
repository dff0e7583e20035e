use skynet_cluster::service;

#[service]
pub trait Db {
    fn get(&self, key: String) -> Option<String>;
}

fn main() {}
