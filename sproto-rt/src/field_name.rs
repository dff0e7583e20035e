//! [`FieldName`]: the name of a struct field, shared by a schema and every value
//! decoded with it, cheap to clone and to compare.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use crate::unchecked::ascii_str;

/// The longest name kept inline (every field name of every schema we have seen).
const INLINE: usize = 22;

/// A field name: what a [`Struct`](crate::Struct) keys its fields by and what a
/// schema's [`Field`](crate::schema::Field) is called.
///
/// Decoding gives every field of every struct its name, so this is built to be cloned
/// often: an ASCII name of up to 22 bytes (sproto names are identifiers) is stored
/// inline and cloning it copies 24 bytes — no allocation, no atomic reference count,
/// which cost as much as the rest of decoding a small field when names were
/// `Arc<str>`. Longer or non-ASCII names share one `Arc<str>`.
///
/// It dereferences to `str`, and compares, orders and hashes as its text.
///
/// ```
/// use sproto_rt::FieldName;
///
/// let name = FieldName::from("phone");
/// assert_eq!(name, "phone");
/// assert_eq!(name.len(), 5);
/// assert_eq!(name.clone(), FieldName::from(String::from("phone")));
/// let long = FieldName::from("a_rather_long_field_name_for_sproto");
/// assert_eq!(long.as_str(), "a_rather_long_field_name_for_sproto");
/// ```
#[derive(Clone)]
pub struct FieldName(Repr);

#[derive(Clone)]
enum Repr {
    Inline(Inline),
    Shared(Arc<str>),
}

/// ASCII text in `bytes[..len]`; the rest is zero, so equal names are equal arrays.
/// Word-aligned, so that a clone is three aligned 8-byte moves (odd offsets made the
/// copies partial stores read back whole, which stalls store forwarding).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C, align(8))]
struct Inline {
    bytes: [u8; INLINE],
    len: u8,
}

impl FieldName {
    /// The name as text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Inline names are ASCII by construction, so this never falls back.
            Repr::Inline(i) => ascii_str(&i.bytes[..usize::from(i.len)]).unwrap_or(""),
            Repr::Shared(s) => s,
        }
    }

    /// The name's bytes (no UTF-8 check on the way: what comparisons use).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(i) => &i.bytes[..usize::from(i.len)],
            Repr::Shared(s) => s.as_bytes(),
        }
    }

    /// Whether this name is `other`: inline names compare as two fixed-size arrays.
    #[inline]
    pub(crate) fn is(&self, other: &FieldName) -> bool {
        match (&self.0, &other.0) {
            (Repr::Inline(a), Repr::Inline(b)) => a == b,
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl From<&str> for FieldName {
    fn from(s: &str) -> Self {
        let mut bytes = [0; INLINE];
        match bytes.get_mut(..s.len()) {
            Some(head) if s.is_ascii() => {
                head.copy_from_slice(s.as_bytes());
                FieldName(Repr::Inline(Inline {
                    bytes,
                    len: s.len() as u8,
                }))
            }
            _ => FieldName(Repr::Shared(Arc::from(s))),
        }
    }
}

impl From<String> for FieldName {
    fn from(s: String) -> Self {
        FieldName::from(s.as_str())
    }
}

impl From<&String> for FieldName {
    fn from(s: &String) -> Self {
        FieldName::from(s.as_str())
    }
}

impl From<FieldName> for String {
    fn from(n: FieldName) -> Self {
        n.as_str().to_string()
    }
}

impl Deref for FieldName {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for FieldName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for FieldName {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for FieldName {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.is(other)
    }
}

impl Eq for FieldName {}

impl PartialEq<str> for FieldName {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for FieldName {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialOrd for FieldName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FieldName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for FieldName {
    // As `str` hashes, so that `Borrow<str>` lookups in hash maps work.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn inline_and_shared_agree() {
        for s in [
            "",
            "a",
            "phone",
            "exactly_twenty_two_by",
            "twenty_three_bytes_long",
            "ünïcode",
        ] {
            let n = FieldName::from(s);
            assert_eq!(n.as_str(), s);
            assert_eq!(n.as_bytes(), s.as_bytes());
            assert_eq!(n, FieldName::from(s.to_string()));
            assert_eq!(n.to_string(), s);
            assert_eq!(format!("{n:?}"), format!("{s:?}"));
        }
        assert!(matches!(
            FieldName::from("exactly_twenty_two_by").0,
            Repr::Inline(_)
        ));
        assert!(matches!(
            FieldName::from("twenty_three_bytes_long").0,
            Repr::Shared(_)
        ));
        assert!(matches!(FieldName::from("ünï").0, Repr::Shared(_)));
    }

    #[test]
    fn compares_as_text() {
        let (a, b) = (FieldName::from("id"), FieldName::from("idx"));
        assert_ne!(a, b);
        assert!(a < b);
        assert_eq!(a, "id");
        let long = "x".repeat(40);
        assert_ne!(FieldName::from(long.as_str()), FieldName::from("x"));
        let mut m = HashMap::new();
        m.insert(FieldName::from("name"), 1);
        assert_eq!(m.get("name"), Some(&1));
    }
}
