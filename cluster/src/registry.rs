//! The services of a node and how a request's address finds one: numeric handles,
//! names registered for the cluster (`@name`, answering name queries), and local
//! names (`.name`, plain `name`). The [`Resolver`] a node's connections use.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::address::{parse_hex_handle, MAX_NAME_LEN};
use crate::error::RegisterError;
use crate::fast_hash::FastMap;
use crate::frame::WireAddress;
use crate::proto::{Missing, Resolver};
use crate::reassembly::INVALID_NAME;
use crate::service::Service;

/// The error text for an unknown handle or local name. skynet's text is
/// `<path>/skynet.lua:747: call to invalid address`; the Lua location is left out.
pub const INVALID_ADDRESS: &str = "call to invalid address";
/// The error text for a query of a name that is not registered.
pub const NAME_NOT_FOUND: &str = "name not found";

#[derive(Default)]
struct Maps {
    next_handle: u32,
    services: FastMap<u32, Arc<dyn Service>>,
    /// `name` → handle, for `.name` and plain `name`.
    local: FastMap<String, u32>,
    /// `name` → handle, for `@name` and name queries.
    cluster: FastMap<String, u32>,
}

/// The service table of a node (cheap to share).
pub(crate) struct Registry {
    maps: RwLock<Maps>,
    /// Whether services are registered with their metrics (feature `metrics`).
    metered: bool,
}

impl Registry {
    /// An empty table; `metered`: the services it registers are counted and timed.
    pub(crate) fn new(metered: bool) -> Self {
        Self {
            maps: RwLock::default(),
            metered,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Maps> {
        self.maps.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Maps> {
        self.maps.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `service` under a new handle; `name` (a leading `@` or `.` removed)
    /// for `.name` and `name` unless empty, and for `@name` when `cluster`.
    pub(crate) fn register(&self, name: &str, cluster: bool, service: Arc<dyn Service>) -> u32 {
        let mut m = self.write();
        let mut h = m.next_handle.max(1);
        while m.services.contains_key(&h) {
            h = h.checked_add(1).unwrap_or(1);
        }
        m.next_handle = h.checked_add(1).unwrap_or(1);
        let name = strip_prefix(name);
        let service = self.metered(name, h, service);
        Self::insert(&mut m, h, name, cluster, service);
        h
    }

    /// Registers `service` under `handle`.
    pub(crate) fn register_at(
        &self,
        handle: u32,
        name: Option<&str>,
        cluster: bool,
        service: Arc<dyn Service>,
    ) -> Result<u32, RegisterError> {
        if handle == 0 {
            return Err(RegisterError::ReservedHandle);
        }
        if let Some(n) = name {
            if n.is_empty() || n.len() >= MAX_NAME_LEN || n.starts_with(['@', '.']) {
                return Err(RegisterError::BadName(n.to_owned()));
            }
        }
        let mut m = self.write();
        if m.services.contains_key(&handle) {
            return Err(RegisterError::HandleInUse(handle));
        }
        let name = name.unwrap_or("");
        let service = self.metered(name, handle, service);
        Self::insert(&mut m, handle, name, cluster, service);
        Ok(handle)
    }

    /// `service` with its metrics when the table is metered.
    fn metered(&self, name: &str, handle: u32, service: Arc<dyn Service>) -> Arc<dyn Service> {
        if self.metered {
            crate::telemetry::meter_service(name, handle, service)
        } else {
            service
        }
    }

    fn insert(m: &mut Maps, handle: u32, name: &str, cluster: bool, service: Arc<dyn Service>) {
        m.services.insert(handle, service);
        // A name longer than 254 bytes could not be called as `@name`.
        if !name.is_empty() && name.len() < MAX_NAME_LEN {
            m.local.insert(name.to_owned(), handle);
            if cluster {
                m.cluster.insert(name.to_owned(), handle);
            }
        }
    }

    /// Removes the service of `handle` and its names; `true` when there was one.
    pub(crate) fn unregister(&self, handle: u32) -> bool {
        let mut m = self.write();
        let found = m.services.remove(&handle).is_some();
        m.local.retain(|_, h| *h != handle);
        m.cluster.retain(|_, h| *h != handle);
        found
    }
}

/// An unknown handle or local name: answered, except to a push.
const MISSING: Missing = Missing {
    text: INVALID_ADDRESS,
    answer_push: false,
};

/// An unknown `@name`: answered, even to a push (as the reference).
const MISSING_NAME: Missing = Missing {
    text: INVALID_NAME,
    answer_push: true,
};

impl Resolver for Registry {
    type Service = Arc<dyn Service>;

    fn resolve(&self, address: &WireAddress) -> Result<(u32, Arc<dyn Service>), Missing> {
        let m = self.read();
        let handle = match address {
            WireAddress::Handle(h) => Some(*h),
            WireAddress::Name(bytes) => {
                let Some(name) = sproto_rt::wire::str_from_bytes(bytes) else {
                    return Err(if bytes.first() == Some(&b'@') {
                        MISSING_NAME
                    } else {
                        MISSING
                    });
                };
                if let Some(n) = name.strip_prefix('@') {
                    Some(*m.cluster.get(n).ok_or(MISSING_NAME)?)
                } else if let Some(hex) = name.strip_prefix(':') {
                    // skynet reads ":0000000a" as a handle.
                    parse_hex_handle(hex)
                } else {
                    m.local.get(name.strip_prefix('.').unwrap_or(name)).copied()
                }
            }
        };
        handle
            .and_then(|h| m.services.get(&h).map(|s| (h, s.clone())))
            .ok_or(MISSING)
    }

    fn query(&self, name: &[u8]) -> Option<u32> {
        let name = sproto_rt::wire::str_from_bytes(name)?;
        self.read().cluster.get(name).copied()
    }
}

fn strip_prefix(name: &str) -> &str {
    name.strip_prefix(['@', '.']).unwrap_or(name)
}
