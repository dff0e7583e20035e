//! [`ClusterConfig`]: the node map (node name → `"host:port"` or down), read from
//! code, from a skynet `clustername.lua` file (its Lua subset is read by the private
//! `lua` module), or from a `name=host:port,...` list.

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
    /// An item of a `name=host:port,...` list without `=` or with an empty name.
    #[error("invalid cluster list item {0:?} (expected NAME=HOST:PORT or NAME=false)")]
    BadListItem(String),
}

/// The cluster config: which node name is at which `"host:port"`, and which nodes
/// are down (`false`). Node names are local keys: nothing on the wire names a node.
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
/// # Ok::<(), skynet_cluster::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterConfig {
    nodes: BTreeMap<String, Option<String>>,
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
        self.nodes.insert(name.into(), Some(address.into()));
        self
    }

    /// Adds (or replaces) node `name` as down (`false`).
    #[must_use]
    pub fn with_down(mut self, name: impl Into<String>) -> Self {
        self.nodes.insert(name.into(), None);
        self
    }

    /// Sets node `name` to `address` (`None` = down).
    pub fn set(&mut self, name: impl Into<String>, address: Option<String>) {
        self.nodes.insert(name.into(), address);
    }

    /// Removes node `name` (it becomes absent).
    pub fn remove(&mut self, name: &str) {
        self.nodes.remove(name);
    }

    /// `None` when `name` is absent, `Some(None)` when it is down, else its address.
    pub fn address(&self, name: &str) -> Option<Option<&str>> {
        self.nodes.get(name).map(Option::as_deref)
    }

    /// Every node: name and address (`None` = down), sorted by name.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
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
    /// `name = "host:port"`, `name = false`, `name = nil` (absent) and
    /// `["name"] = ...`, separated by newlines or `;`; strings in `"` or `'` with
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
                ConfigValue::Bool(false) => cfg.set(name, None),
                ConfigValue::Nil => cfg.remove(&name),
                other => {
                    return Err(ConfigError::Syntax {
                        line,
                        column,
                        message: format!(
                            "the address of node {name:?} must be a string or false, found {other}"
                        ),
                    })
                }
            }
        }
    }
}

impl FromStr for ClusterConfig {
    type Err = ConfigError;

    /// Parses `NAME=HOST:PORT[,NAME=HOST:PORT...]`; `NAME=false` is down. Empty items
    /// are skipped.
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
                cfg.set(name, Some(addr.to_owned()));
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
        ] {
            let _ = ClusterConfig::parse_lua(text);
        }
    }
}
