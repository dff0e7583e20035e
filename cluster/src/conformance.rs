//! A conformance service set any skynet caller can test against (like gRPC's interop
//! test server): what `skynet-cluster serve` runs, and what the tests replay the
//! recorded skynet exchanges against.
//!
//! | service | handle | behaviour |
//! | --- | --- | --- |
//! | `sdb` | 10 | simpledb, the command upper-cased: `SET k v` → previous value, `GET k` → value; `PING ...` as a push is counted, as a call returns `"PONG", ...`; `PINGS` → the ping count; anything else → error `Unknown command X` |
//! | `echo` | 11 | returns its arguments (unpacked and packed again) |
//! | `rawecho` | 12 | returns the request payload bytes unchanged |
//! | `fail` | 13 | always an error reply (`call failed`) |
//! | `big` | 14 | `n [, unit]` → one string of exactly `n` bytes, `unit` (default `"x"`) repeated; `n` ≤ 64 MiB |
//! | `counter` | 15 | every push adds 1; call `"get"` → count, `"reset"` → old count and sets 0, `"inc" [n]` → count after adding `n` (default 1) |
//! | `slow` | 16 | `cs, ...` → sleeps `cs` centiseconds (≤ 1 h), then returns `...` |
//! | `admin` | 17 | `"ping"` → `"pong"`; `"shutdown"` → `true`, then [`Conformance::shutdown_requested`] fires |
//!
//! Each is reachable as `@x` (registered for the cluster: answers `cluster.query`),
//! `.x`, `x` and by its handle. The handles of `sdb`, `echo` and `counter` are the
//! ones the skynet node of the recorded vectors had.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let node = skynet_cluster::Node::default();
//! let set = skynet_cluster::conformance::register(&node)?;
//! # let _ = set; Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::error::RegisterError;
use crate::luaseri::{pack, LuaValue};
use crate::net::Node;
use crate::service::{service_fn, Reply, Request, ServiceError};

/// The services and their handles.
pub const SERVICES: [(&str, u32); 8] = [
    ("sdb", 10),
    ("echo", 11),
    ("rawecho", 12),
    ("fail", 13),
    ("big", 14),
    ("counter", 15),
    ("slow", 16),
    ("admin", 17),
];

/// The largest string `big` makes.
pub const MAX_BIG: i64 = 64 << 20;

/// A registered conformance set.
#[derive(Debug, Clone)]
pub struct Conformance {
    shutdown: Arc<Notify>,
}

impl Conformance {
    /// Waits until a caller sent `"shutdown"` to `admin`.
    pub async fn shutdown_requested(&self) {
        self.shutdown.notified().await;
    }
}

/// Registers the set on `node` under the handles of [`SERVICES`].
///
/// # Errors
///
/// [`RegisterError::HandleInUse`] when one of the handles is taken.
pub fn register(node: &Node) -> Result<Conformance, RegisterError> {
    let shutdown = Arc::new(Notify::new());
    let db = Arc::new(Mutex::new(HashMap::<LuaValue, LuaValue>::new()));
    let pings = Arc::new(AtomicI64::new(0));
    node.register_at(
        10,
        Some("sdb"),
        service_fn(move |req: Request| {
            let r = sdb(&req, &db, &pings);
            async move { r }
        }),
    )?;
    node.register_at(
        11,
        Some("echo"),
        service_fn(|req: Request| async move { reply_values(&req.values()?) }),
    )?;
    node.register_at(
        12,
        Some("rawecho"),
        service_fn(|req: Request| async move { Ok(req.payload) }),
    )?;
    node.register_at(
        13,
        Some("fail"),
        service_fn(|_req: Request| async move { Err(ServiceError::from("call failed")) }),
    )?;
    node.register_at(
        14,
        Some("big"),
        service_fn(|req: Request| async move { big(&req.values()?) }),
    )?;
    let count = Arc::new(AtomicI64::new(0));
    node.register_at(
        15,
        Some("counter"),
        service_fn(move |req: Request| {
            let r = counter(&req, &count);
            async move { r }
        }),
    )?;
    node.register_at(
        16,
        Some("slow"),
        service_fn(|req: Request| async move {
            let mut values = req.values()?;
            let cs = values.first().and_then(LuaValue::as_i64).unwrap_or(0);
            let cs = u64::try_from(cs.clamp(0, 360_000)).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(cs * 10)).await;
            if !values.is_empty() {
                values.remove(0);
            }
            reply_values(&values)
        }),
    )?;
    let notify = shutdown.clone();
    node.register_at(
        17,
        Some("admin"),
        service_fn(move |req: Request| {
            let notify = notify.clone();
            async move {
                let values = req.values()?;
                match command(&values).as_deref() {
                    Some(b"ping") => reply_values(&["pong".into()]),
                    Some(b"shutdown") => {
                        notify.notify_waiters();
                        notify.notify_one();
                        reply_values(&[true.into()])
                    }
                    _ => Err(unknown(&values)),
                }
            }
        }),
    )?;
    Ok(Conformance { shutdown })
}

fn reply_values(values: &[LuaValue]) -> Reply {
    Ok(Bytes::from(pack(values)?))
}

/// The first argument's bytes.
fn command(values: &[LuaValue]) -> Option<Vec<u8>> {
    values
        .first()
        .and_then(LuaValue::as_bytes)
        .map(<[u8]>::to_vec)
}

/// `Unknown command X`, built within the error-text bound however large `X` is.
fn unknown(values: &[LuaValue]) -> ServiceError {
    let cap = crate::frame::MAX_ERROR_TEXT;
    match values.first() {
        Some(v) => match v.as_bytes() {
            Some(b) => {
                let b = &b[..b.len().min(cap)];
                ServiceError::bounded(format_args!(
                    "Unknown command {}",
                    String::from_utf8_lossy(b)
                ))
            }
            None => ServiceError::bounded(format_args!("Unknown command {v:?}")),
        },
        None => ServiceError::from("Unknown command nil"),
    }
}

fn sdb(req: &Request, db: &Mutex<HashMap<LuaValue, LuaValue>>, pings: &AtomicI64) -> Reply {
    let values = req.values()?;
    let cmd = command(&values).map(|c| c.to_ascii_uppercase());
    let arg = |i: usize| values.get(i).cloned().unwrap_or_default();
    let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
    match cmd.as_deref() {
        Some(b"SET") => {
            let key = arg(1).to_lua_key();
            let value = arg(2);
            let old = if value.is_nil() {
                db.remove(&key)
            } else {
                db.insert(key, value)
            };
            reply_values(&[old.unwrap_or_default()])
        }
        Some(b"GET") => reply_values(&[db.get(&arg(1).to_lua_key()).cloned().unwrap_or_default()]),
        Some(b"PING") if req.push => {
            pings.fetch_add(1, Ordering::Relaxed);
            reply_values(&[])
        }
        Some(b"PING") => {
            let mut out = vec![LuaValue::from("PONG")];
            out.extend(values.into_iter().skip(1));
            reply_values(&out)
        }
        Some(b"PINGS") => reply_values(&[pings.load(Ordering::Relaxed).into()]),
        _ => Err(unknown(&values)),
    }
}

fn counter(req: &Request, count: &AtomicI64) -> Reply {
    if req.push {
        count.fetch_add(1, Ordering::Relaxed);
        return reply_values(&[]);
    }
    let values = req.values()?;
    match command(&values).as_deref() {
        Some(b"get") => reply_values(&[count.load(Ordering::Relaxed).into()]),
        Some(b"reset") => reply_values(&[count.swap(0, Ordering::Relaxed).into()]),
        Some(b"inc") => {
            let n = values.get(1).and_then(LuaValue::as_i64).unwrap_or(1);
            let now = count.fetch_add(n, Ordering::Relaxed).wrapping_add(n);
            reply_values(&[now.into()])
        }
        _ => Err(unknown(&values)),
    }
}

fn big(values: &[LuaValue]) -> Reply {
    let n = values
        .first()
        .and_then(LuaValue::as_i64)
        .filter(|n| (0..=MAX_BIG).contains(n))
        .ok_or_else(|| {
            ServiceError(format!("big: the size must be an integer in 0..={MAX_BIG}"))
        })?;
    let unit = match values.get(1) {
        None | Some(LuaValue::Nil) => b"x".to_vec(),
        Some(v) => v
            .as_bytes()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| ServiceError::from("big: the unit must be a non-empty string"))?
            .to_vec(),
    };
    let n = usize::try_from(n).unwrap_or(0);
    let s: Vec<u8> = unit.iter().copied().cycle().take(n).collect();
    reply_values(&[LuaValue::String(s)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luaseri::LuaTable;

    #[test]
    fn unknown_command_texts_are_bounded_from_the_start() {
        // A table whose debug form is tens of MB: formatting stops at the cap.
        let table = LuaTable::from_array((0..1_000_000).map(LuaValue::Integer).collect());
        let e = unknown(&[LuaValue::Table(Box::new(table))]);
        assert_eq!(e.0.len(), crate::frame::MAX_ERROR_TEXT);
        assert!(e.0.starts_with("Unknown command Table(LuaTable"));
        let e = unknown(&[LuaValue::String(vec![b'a'; 1 << 24])]);
        assert_eq!(e.0.len(), crate::frame::MAX_ERROR_TEXT);
    }
}
