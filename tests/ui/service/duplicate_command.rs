use skynet_cluster::service;

#[service]
pub trait Db {
    #[skynet(command = "GET")]
    async fn get(&self, key: String) -> Option<String>;
    #[skynet(command = "GET")]
    async fn fetch(&self, key: String) -> Option<String>;
}

fn main() {}
