//! [`ClusterConfig`]: the node map (node name → `"host:port"`, a group of them, or
//! down), read from code, from a skynet `clustername.lua` file (its Lua subset is read
//! by the private `lua` module), or from a `name=host:port,...` list.

mod lua;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use lua::{ConfigValue, LuaParser};

/// Why a cluster config could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Text that is not the `name = "host:port"` subset of Lua a config file uses.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What was expected and found.
        message: String,
    },
    /// An item of a `name=host:port,...` list without `=`, with an empty name, or
    /// with an empty member in a `HOST:PORT|HOST:PORT` group.
    #[error(
        "invalid cluster list item {0:?} (expected NAME=HOST:PORT[|HOST:PORT...] or NAME=false)"
    )]
    BadListItem(String),
}

/// The cluster config: which node name is at which `"host:port"` (or which group of
/// them), and which nodes are down (`false`). Node names are local keys: nothing on
/// the wire names a node.
///
/// A **group** is a node name with several addresses — a Lua table
/// `db = { "h1:2528", "h2:2528" }` in a file, `db=h1:2528|h2:2528` in a list,
/// [`with_group`](Self::with_group) in code. A [`Node`](crate::Node) spreads the calls
/// and pushes to such a name over its healthy members (least calls in flight,
/// round-robin among equals) and skips a failed member until it answers again. A
/// group of one address is a plain node.
///
/// Options of a `clustername.lua` file (`__nowaiting = true`, any `__name`) are kept
/// in [`options`](Self::options); this implementation never waits for an absent node
/// (a call to it fails at once, as skynet does with `__nowaiting`).
///
/// ```
/// use skynet_cluster::ClusterConfig;
///
/// let cfg = ClusterConfig::parse_lua(r#"
///     -- the nodes of the game
///     db = "127.0.0.1:2528"
///     db2 = '127.0.0.1:2529'   -- quotes of either kind
///     gone = false
///     __nowaiting = true
/// "#)?;
/// assert_eq!(cfg.address("db"), Some(Some("127.0.0.1:2528")));
/// assert_eq!(cfg.address("gone"), Some(None));
/// assert_eq!(cfg.address("nope"), None);
/// assert_eq!(cfg.options().get("nowaiting").map(String::as_str), Some("true"));
///
/// let same: ClusterConfig = "db=127.0.0.1:2528,db2=127.0.0.1:2529,gone=false".parse()?;
/// assert_eq!(same.address("db2"), Some(Some("127.0.0.1:2529")));
///
/// // A group: one name, several members.
/// let group = ClusterConfig::parse_lua(r#"db = { "10.0.0.1:2528", "10.0.0.2:2528" }"#)?;
/// let members = group.members("db").flatten().unwrap_or_default();
/// assert_eq!(members, ["10.0.0.1:2528", "10.0.0.2:2528"]);
/// assert_eq!(group, "db=10.0.0.1:2528|10.0.0.2:2528".parse()?);
/// # Ok::<(), skynet_cluster::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Each node's addresses (at least one), or `None` when down.
    nodes: BTreeMap<String, Option<Vec<String>>>,
    options: BTreeMap<String, String>,
}

impl ClusterConfig {
    /// An empty config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) node `name` at `address` (`"host:port"`).
    #[must_use]
    pub fn with_node(mut self, name: impl Into<String>, address: impl Into<String>) -> Self {
        self.nodes.insert(name.into(), Some(vec![address.into()]));
        self
    }

    /// Adds (or replaces) node `name` as a group of `addresses` (duplicates are
    /// kept once; no address at all makes the node down).
    ///
    /// ```
    /// use skynet_cluster::ClusterConfig;
    ///
    /// let cfg = ClusterConfig::new().with_group("db", ["127.0.0.1:2528", "127.0.0.1:2529"]);
    /// assert_eq!(cfg.members("db").flatten().map(<[String]>::len), Some(2));
    /// assert_eq!(cfg.address("db"), Some(Some("127.0.0.1:2528")));   // the first member
    /// ```
    #[must_use]
    pub fn with_group<I, S>(mut self, name: impl Into<String>, addresses: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set_group(name, addresses);
        self
    }

    /// Sets node `name` to a group of `addresses` (as [`with_group`](Self::with_group)).
    pub fn set_group<I, S>(&mut self, name: impl Into<String>, addresses: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut members: Vec<String> = Vec::new();
        for a in addresses {
            let a = a.into();
            if !members.contains(&a) {
                members.push(a);
            }
        }
        self.nodes
            .insert(name.into(), (!members.is_empty()).then_some(members));
    }

    /// Adds (or replaces) node `name` as down (`false`).
    #[must_use]
    pub fn with_down(mut self, name: impl Into<String>) -> Self {
        self.nodes.insert(name.into(), None);
        self
    }

    /// Sets node `name` to `address` (`None` = down).
    pub fn set(&mut self, name: impl Into<String>, address: Option<String>) {
        self.nodes.insert(name.into(), address.map(|a| vec![a]));
    }

    /// Removes node `name` (it becomes absent).
    pub fn remove(&mut self, name: &str) {
        self.nodes.remove(name);
    }

    /// `None` when `name` is absent, `Some(None)` when it is down, else its address
    /// (the first member of a group: see [`members`](Self::members)).
    pub fn address(&self, name: &str) -> Option<Option<&str>> {
        self.nodes.get(name).map(first)
    }

    /// `None` when `name` is absent, `Some(None)` when it is down, else its addresses
    /// (one for a plain node, several for a group).
    pub fn members(&self, name: &str) -> Option<Option<&[String]>> {
        self.nodes.get(name).map(Option::as_deref)
    }

    /// Every node: name and address (`None` = down; the first member of a group),
    /// sorted by name.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), first(v)))
    }

    /// The `__name = value` options of a config file (name without the `__`, value
    /// as text).
    pub fn options(&self) -> &BTreeMap<String, String> {
        &self.options
    }

    /// `true` when the config has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds every node and option of `other`, replacing those of the same name.
    pub fn merge(&mut self, other: ClusterConfig) {
        self.nodes.extend(other.nodes);
        self.options.extend(other.options);
    }

    /// Reads a skynet `clustername.lua` file.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`] when unreadable, else as [`parse_lua`](Self::parse_lua).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse_lua(&text)
    }

    /// Parses the Lua subset `clustername.lua` files are written in: assignments
    /// `name = "host:port"`, `name = { "host:port", "host:port" }` (a group: a table
    /// of at least one string, `,` or `;` between them), `name = false`, `name = nil`
    /// (absent) and `["name"] = ...`, separated by newlines or `;`; strings in `"` or `'` with
    /// Lua's escapes, or long brackets `[[...]]`; `--` line and `--[[ ]]` block
    /// comments. `__name = value` lines are options (value: string, boolean or
    /// number).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Syntax`] with the line and column of anything else.
    pub fn parse_lua(text: &str) -> Result<Self, ConfigError> {
        let mut p = LuaParser::new(text);
        let mut cfg = ClusterConfig::new();
        loop {
            p.skip_space_and_comments()?;
            if p.eof() {
                return Ok(cfg);
            }
            if p.eat(';') {
                continue;
            }
            let (line, column) = p.position();
            let name = p.key()?;
            p.skip_space_and_comments()?;
            if !p.eat('=') {
                return Err(p.error(format!("expected '=' after {name:?}")));
            }
            p.skip_space_and_comments()?;
            let value = p.value()?;
            if let Some(option) = name.strip_prefix("__") {
                match value {
                    ConfigValue::Nil => {
                        cfg.options.remove(option);
                    }
                    v => {
                        cfg.options.insert(option.to_owned(), v.to_string());
                    }
                }
                continue;
            }
            match value {
                ConfigValue::Str(s) => cfg.set(name, Some(s)),
                ConfigValue::List(members) => cfg.set_group(name, members),
                ConfigValue::Bool(false) => cfg.set(name, None),
                ConfigValue::Nil => cfg.remove(&name),
                other => {
                    return Err(ConfigError::Syntax {
                        line,
                        column,
                        message: format!(
                            "the address of node {name:?} must be a string, a table of strings or false, found {other}"
                        ),
                    })
                }
            }
        }
    }
}

fn first(members: &Option<Vec<String>>) -> Option<&str> {
    members.as_ref().and_then(|m| m.first()).map(String::as_str)
}

impl FromStr for ClusterConfig {
    type Err = ConfigError;

    /// Parses `NAME=HOST:PORT[,NAME=HOST:PORT...]`; `NAME=false` is down,
    /// `NAME=HOST:PORT|HOST:PORT` a group. Empty items are skipped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut cfg = ClusterConfig::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let Some((name, addr)) = item.split_once('=') else {
                return Err(ConfigError::BadListItem(item.to_owned()));
            };
            let (name, addr) = (name.trim(), addr.trim());
            if name.is_empty() || addr.is_empty() {
                return Err(ConfigError::BadListItem(item.to_owned()));
            }
            if addr == "false" {
                cfg.set(name, None);
            } else {
                let members: Vec<&str> = addr.split('|').map(str::trim).collect();
                if members.iter().any(|m| m.is_empty()) {
                    return Err(ConfigError::BadListItem(item.to_owned()));
                }
                cfg.set_group(name, members);
            }
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file() {
        let cfg = ClusterConfig::parse_lua(
            "--[[ block\ncomment ]] a = \"h:1\"; b='h:2'\n[\"c-d\"] = [[h:3]]\n--[==[ x ]==]\ne=nil\nf = false --tail\n__nowaiting=true __x = 5",
        )
        .unwrap();
        assert_eq!(cfg.address("a"), Some(Some("h:1")));
        assert_eq!(cfg.address("b"), Some(Some("h:2")));
        assert_eq!(cfg.address("c-d"), Some(Some("h:3")));
        assert_eq!(cfg.address("e"), None);
        assert_eq!(cfg.address("f"), Some(None));
        assert_eq!(cfg.options()["nowaiting"], "true");
        assert_eq!(cfg.options()["x"], "5");
    }

    #[test]
    fn escapes() {
        let cfg = ClusterConfig::parse_lua(r#"a = "\x41\66\"\\""#).unwrap();
        assert_eq!(cfg.address("a"), Some(Some("AB\"\\")));
    }

    #[test]
    fn errors_have_positions() {
        for (text, line, col) in [
            ("a = 1", 1, 1),
            ("\n  a = ", 2, 7),
            ("a \"x\"", 1, 3),
            ("a = \"x", 1, 5),
            ("a = true", 1, 1),
            ("= 1", 1, 1),
            ("--[[ x", 1, 3),
            ("a = foo", 1, 5),
            ("a = \"\\q\"", 1, 8),
        ] {
            match ClusterConfig::parse_lua(text) {
                Err(ConfigError::Syntax {
                    line: l, column: c, ..
                }) => {
                    assert_eq!((l, c), (line, col), "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn list_form() {
        let cfg: ClusterConfig = " a=h:1 , b=false,,".parse().unwrap();
        assert_eq!(cfg.address("a"), Some(Some("h:1")));
        assert_eq!(cfg.address("b"), Some(None));
        assert!("a".parse::<ClusterConfig>().is_err());
        assert!("=x".parse::<ClusterConfig>().is_err());
    }

    #[test]
    fn groups_in_lua_and_in_lists() {
        let cfg = ClusterConfig::parse_lua(
            "db = { \"h1:1\", 'h2:2'; [[h3:3]], } -- three members\none = {\"h:9\"}\nx = \"h:4\"",
        )
        .unwrap();
        let db: Vec<&str> = cfg
            .members("db")
            .flatten()
            .unwrap()
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(db, ["h1:1", "h2:2", "h3:3"]);
        assert_eq!(cfg.address("db"), Some(Some("h1:1")));
        assert_eq!(cfg.members("one").flatten().map(<[String]>::len), Some(1));
        assert_eq!(cfg.address("x"), Some(Some("h:4")));
        let listed: ClusterConfig = "db=h1:1|h2:2 | h3:3,one=h:9,x=h:4".parse().unwrap();
        assert_eq!(listed, cfg);
        assert!("db=h1:1||h2:2".parse::<ClusterConfig>().is_err());
        assert!("db=|h".parse::<ClusterConfig>().is_err());
        for (text, line, col) in [
            ("db = {}", 1, 6),
            ("db = { 1 }", 1, 8),
            ("db = { \"a\" \"b\" }", 1, 12),
            ("db = { \"a\"", 1, 11),
            ("db = { false }", 1, 8),
        ] {
            match ClusterConfig::parse_lua(text) {
                Err(ConfigError::Syntax {
                    line: l, column: c, ..
                }) => assert_eq!((l, c), (line, col), "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "[",
            "[=",
            "--[=[",
            "a=[==[",
            "\"",
            "a=\"\\x4",
            "a=\"\\999\"",
            "é=1",
            "a=-",
            "[[x]]",
            "a={",
            "a={\"x\",",
            "a={{}}",
        ] {
            let _ = ClusterConfig::parse_lua(text);
        }
    }
}
