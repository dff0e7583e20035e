//! The seed's simpledb as a Rust service: `SET k v` stores and returns the previous
//! value, `GET k` returns the value. Shared by the `simpledb` and `cluster_demo`
//! examples, the README and the tests.

use std::collections::HashMap;
use std::sync::Mutex;

use skynet_cluster::service;

/// The commands of skynet's `examples/simpledb.lua`, as a typed service.
#[service]
pub trait SimpleDb {
    /// `GET key` → the value, or nil.
    #[skynet(command = "GET")]
    async fn get(&self, key: String) -> Option<String>;
    /// `SET key value` → the previous value, or nil.
    #[skynet(command = "SET")]
    async fn set(&self, key: String, value: String) -> Option<String>;
}

/// An in-memory SimpleDb.
#[derive(Default)]
pub struct MemDb {
    map: Mutex<HashMap<String, String>>,
}

impl SimpleDb for MemDb {
    async fn get(&self, key: String) -> Option<String> {
        self.map.lock().ok()?.get(&key).cloned()
    }

    async fn set(&self, key: String, value: String) -> Option<String> {
        self.map.lock().ok()?.insert(key, value)
    }
}
