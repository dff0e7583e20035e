//! [`ClusterConfig`]: the node map (node name → `"host:port"` or down), read from
//! code, from a skynet `clustername.lua` file, or from a `name=host:port,...` list.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

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
                    LuaValue::Nil => {
                        cfg.options.remove(option);
                    }
                    v => {
                        cfg.options.insert(option.to_owned(), v.to_string());
                    }
                }
                continue;
            }
            match value {
                LuaValue::Str(s) => cfg.set(name, Some(s)),
                LuaValue::Bool(false) => cfg.set(name, None),
                LuaValue::Nil => cfg.remove(&name),
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

/// A value on the right of `=`.
enum LuaValue {
    Str(String),
    Bool(bool),
    Num(String),
    Nil,
}

impl fmt::Display for LuaValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LuaValue::Str(s) => f.write_str(s),
            LuaValue::Bool(b) => write!(f, "{b}"),
            LuaValue::Num(n) => f.write_str(n),
            LuaValue::Nil => f.write_str("nil"),
        }
    }
}

/// A cursor over the config text that knows its line and column.
struct LuaParser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    rest: &'a str,
    line: usize,
    column: usize,
}

impl<'a> LuaParser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            rest: text,
            line: 1,
            column: 1,
        }
    }

    fn position(&self) -> (usize, usize) {
        (self.line, self.column)
    }

    fn error(&self, message: String) -> ConfigError {
        ConfigError::Syntax {
            line: self.line,
            column: self.column,
            message,
        }
    }

    fn eof(&mut self) -> bool {
        self.chars.peek().is_none()
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        self.rest = &self.rest[c.len_utf8()..];
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn skip_space_and_comments(&mut self) -> Result<(), ConfigError> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('-') if self.rest.starts_with("--") => {
                    self.bump();
                    self.bump();
                    if let Some(level) = self.long_bracket_level() {
                        self.long_bracket(level, "comment")?;
                    } else {
                        while let Some(c) = self.bump() {
                            if c == '\n' {
                                break;
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// `Some(level)` when the text starts with `[`, `level` `=` signs and `[`.
    fn long_bracket_level(&self) -> Option<usize> {
        let after = self.rest.strip_prefix('[')?;
        let level = after.bytes().take_while(|&b| b == b'=').count();
        after[level..].starts_with('[').then_some(level)
    }

    /// Reads a long bracket `[==[ ... ]==]` of `level` and returns its content.
    fn long_bracket(&mut self, level: usize, what: &str) -> Result<String, ConfigError> {
        let (line, column) = self.position();
        for _ in 0..level + 2 {
            self.bump();
        }
        let close = format!("]{}]", "=".repeat(level));
        let Some(end) = self.rest.find(&close) else {
            return Err(ConfigError::Syntax {
                line,
                column,
                message: format!("unfinished long {what}"),
            });
        };
        let mut content = self.rest[..end].to_owned();
        for _ in 0..content.chars().count() + close.len() {
            self.bump();
        }
        // Lua skips a newline right after the opening bracket.
        if content.starts_with('\n') {
            content.remove(0);
        }
        Ok(content)
    }

    /// A name on the left of `=`: an identifier or `["string"]`.
    fn key(&mut self) -> Result<String, ConfigError> {
        if self.eat('[') {
            self.skip_space_and_comments()?;
            let key = match self.peek() {
                Some('"' | '\'') => self.short_string()?,
                _ => return Err(self.error("expected a string key inside [ ]".into())),
            };
            self.skip_space_and_comments()?;
            if !self.eat(']') {
                return Err(self.error("expected ']' after the key".into()));
            }
            return Ok(key);
        }
        let ident = self.ident();
        if ident.is_empty() {
            let found = self
                .peek()
                .map_or("end of file".into(), |c| format!("{c:?}"));
            return Err(self.error(format!("expected a node name, found {found}")));
        }
        Ok(ident)
    }

    fn ident(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c == '_' || c.is_ascii_alphanumeric() && !(s.is_empty() && c.is_ascii_digit()) {
                s.push(c);
                self.bump();
            } else {
                break;
            }
        }
        s
    }

    fn value(&mut self) -> Result<LuaValue, ConfigError> {
        match self.peek() {
            Some('"' | '\'') => Ok(LuaValue::Str(self.short_string()?)),
            Some('[') => match self.long_bracket_level() {
                Some(level) => Ok(LuaValue::Str(self.long_bracket(level, "string")?)),
                None => Err(self.error("expected a value, found '['".into())),
            },
            Some(c) if c.is_ascii_digit() || c == '-' || c == '.' => {
                let mut n = String::new();
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+') {
                        n.push(c);
                        self.bump();
                    } else {
                        break;
                    }
                }
                Ok(LuaValue::Num(n))
            }
            _ => {
                let (line, column) = self.position();
                match self.ident().as_str() {
                    "true" => Ok(LuaValue::Bool(true)),
                    "false" => Ok(LuaValue::Bool(false)),
                    "nil" => Ok(LuaValue::Nil),
                    other => {
                        Err(ConfigError::Syntax {
                            line,
                            column,
                            message: if other.is_empty() {
                                "expected a value (a string, false, true or nil)".into()
                            } else {
                                format!("expected a value (a string, false, true or nil), found {other:?}")
                            },
                        })
                    }
                }
            }
        }
    }

    /// A `"..."` or `'...'` string with Lua's escapes.
    fn short_string(&mut self) -> Result<String, ConfigError> {
        let (line, column) = self.position();
        let unfinished = || ConfigError::Syntax {
            line,
            column,
            message: "unfinished string".into(),
        };
        let Some(quote) = self.bump() else {
            return Err(unfinished());
        };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.bump().ok_or_else(unfinished)?;
            match c {
                '\n' => return Err(unfinished()),
                c if c == quote => break,
                '\\' => {
                    let e = self.bump().ok_or_else(unfinished)?;
                    match e {
                        'n' => out.push(b'\n'),
                        't' => out.push(b'\t'),
                        'r' => out.push(b'\r'),
                        'a' => out.push(7),
                        'b' => out.push(8),
                        'f' => out.push(12),
                        'v' => out.push(11),
                        '\\' | '"' | '\'' | '\n' => {
                            let mut b = [0; 4];
                            out.extend_from_slice(e.encode_utf8(&mut b).as_bytes());
                        }
                        'x' => {
                            let hex: String =
                                [self.bump(), self.bump()].into_iter().flatten().collect();
                            let v = u8::from_str_radix(&hex, 16)
                                .map_err(|_| self.error(format!("invalid escape \\x{hex}")))?;
                            out.push(v);
                        }
                        'z' => {
                            while self.peek().is_some_and(char::is_whitespace) {
                                self.bump();
                            }
                        }
                        d if d.is_ascii_digit() => {
                            let mut v = u32::from(d as u8 - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(c) if c.is_ascii_digit() => {
                                        v = v * 10 + u32::from(c as u8 - b'0');
                                        self.bump();
                                    }
                                    _ => break,
                                }
                            }
                            let b = u8::try_from(v)
                                .map_err(|_| self.error(format!("escape \\{v} is too large")))?;
                            out.push(b);
                        }
                        other => return Err(self.error(format!("invalid escape \\{other}"))),
                    }
                }
                c => {
                    let mut b = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
            }
        }
        String::from_utf8(out).map_err(|_| ConfigError::Syntax {
            line,
            column,
            message: "string is not UTF-8 text".into(),
        })
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
