use skynet_cluster::service;

#[service(name = "db")]
pub trait Db {
    #[skynet(cmd = "GET")]
    async fn get(&self, key: String) -> Option<String>;
}

fn main() {}
