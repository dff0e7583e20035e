//! [`Address`]: where a cluster call goes on the remote node — a numeric service
//! handle or a name (`@name`, `.name`, `name`).

use std::fmt;
use std::str::FromStr;

/// The address of a service on a remote node, as `cluster.call(node, address, ...)`
/// takes it.
///
/// * `Handle(h)` goes on the wire as a `0x00` frame with the 32-bit handle. Handle `0`
///   is reserved for name queries ([`Node::query`](crate::Node::query)).
/// * `Name(s)` goes on the wire as a `0x80` frame with the name bytes (1..=255 bytes).
///   The serving node resolves `@name` through the names registered for the cluster
///   (`cluster.register`), `.name` and a plain `name` through its local service names.
///
/// `Display` writes a handle the way skynet's `skynet.address` does (`:0000000a`) and
/// a name as it is. [`FromStr`] reads those forms back, plus decimal (`10`) and hex
/// (`0xa`) handles; anything else is a name.
///
/// ```
/// use skynet_cluster::Address;
///
/// assert_eq!(Address::from(10u32).to_string(), ":0000000a");
/// assert_eq!(Address::from("@sdb").to_string(), "@sdb");
/// assert_eq!("0xa".parse::<Address>()?, Address::Handle(10));
/// assert_eq!(":0000000a".parse::<Address>()?, Address::Handle(10));
/// assert_eq!("12".parse::<Address>()?, Address::Handle(12));
/// assert_eq!(".sdb".parse::<Address>()?, Address::from(".sdb"));
/// # Ok::<(), skynet_cluster::AddressError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A numeric service handle (`0` = name query).
    Handle(u32),
    /// A service name: `@name`, `.name` or a plain `name`.
    Name(String),
}

/// The longest name a request frame can carry (its length is one byte).
pub const MAX_NAME_LEN: usize = 255;

/// Why a text or name is not a usable [`Address`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// A name must have 1..=255 bytes.
    #[error("a service name must have 1 to {MAX_NAME_LEN} bytes, this one has {0}")]
    NameLength(usize),
    /// A `:hex` or `0x` handle that is not a 32-bit hex number.
    #[error("invalid service handle {0:?} (expected 1 to 8 hex digits)")]
    BadHandle(String),
}

impl Address {
    /// Checks what the wire needs: a name has 1..=255 bytes.
    ///
    /// # Errors
    ///
    /// [`AddressError::NameLength`] for an empty or too long name.
    pub fn validate(&self) -> Result<(), AddressError> {
        match self {
            Address::Handle(_) => Ok(()),
            Address::Name(n) if (1..=MAX_NAME_LEN).contains(&n.len()) => Ok(()),
            Address::Name(n) => Err(AddressError::NameLength(n.len())),
        }
    }

    /// The borrowed wire form of this address, as the frame encoder takes it.
    pub fn as_wire(&self) -> AddrRef<'_> {
        match self {
            Address::Handle(h) => AddrRef::Handle(*h),
            Address::Name(n) => AddrRef::Name(n.as_bytes()),
        }
    }
}

impl From<u32> for Address {
    fn from(h: u32) -> Self {
        Address::Handle(h)
    }
}

impl From<&str> for Address {
    fn from(s: &str) -> Self {
        Address::Name(s.to_owned())
    }
}

impl From<String> for Address {
    fn from(s: String) -> Self {
        Address::Name(s)
    }
}

impl From<&String> for Address {
    fn from(s: &String) -> Self {
        Address::Name(s.clone())
    }
}

impl From<&Address> for Address {
    fn from(a: &Address) -> Self {
        a.clone()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Handle(h) => write!(f, ":{h:08x}"),
            Address::Name(n) => f.write_str(n),
        }
    }
}

impl FromStr for Address {
    type Err = AddressError;

    /// Decimal digits, `0x` + hex or `:` + hex → a handle; anything else → a name
    /// (checked to be 1..=255 bytes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s
                .parse::<u32>()
                .map(Address::Handle)
                .map_err(|_| AddressError::BadHandle(s.to_owned()));
        }
        if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix(':')) {
            return parse_hex_handle(hex)
                .map(Address::Handle)
                .ok_or_else(|| AddressError::BadHandle(s.to_owned()));
        }
        let a = Address::Name(s.to_owned());
        a.validate()?;
        Ok(a)
    }
}

/// Reads 1..=8 hex digits as a handle.
pub(crate) fn parse_hex_handle(hex: &str) -> Option<u32> {
    if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// A borrowed address in wire form: what the frame encoder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrRef<'a> {
    /// A numeric handle (`0x00` / `0x01` / `0x41` frames).
    Handle(u32),
    /// Name bytes (`0x80` / `0x81` / `0xc1` frames), 1..=255 bytes.
    Name(&'a [u8]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!("0".parse::<Address>(), Ok(Address::Handle(0)));
        assert_eq!(
            "4294967295".parse::<Address>(),
            Ok(Address::Handle(u32::MAX))
        );
        assert!(matches!(
            "4294967296".parse::<Address>(),
            Err(AddressError::BadHandle(_))
        ));
        assert_eq!(
            "0xFFffFFff".parse::<Address>(),
            Ok(Address::Handle(u32::MAX))
        );
        assert!("0x".parse::<Address>().is_err());
        assert!(":123456789".parse::<Address>().is_err());
        assert!("".parse::<Address>().is_err());
        assert!("x".repeat(256).parse::<Address>().is_err());
        assert!("x".repeat(255).parse::<Address>().is_ok());
        assert_eq!("sdb".parse::<Address>(), Ok(Address::from("sdb")));
    }
}
