use skynet_cluster::service;

#[service]
pub trait Factory {
    async fn new(&self, name: String) -> u32;
}

fn main() {}
