//! The Lua subset `clustername.lua` files are written in: a cursor that knows its
//! line and column, strings with Lua's escapes and long brackets, comments, and the
//! values of `name = value` lines. [`ClusterConfig::parse_lua`](super::ClusterConfig::parse_lua)
//! drives it.

use std::fmt;

use super::ConfigError;

/// A value on the right of `=` (strings, tables of strings, booleans, numbers as
/// written, `nil`).
pub(super) enum ConfigValue {
    Str(String),
    List(Vec<String>),
    Bool(bool),
    Num(String),
    Nil,
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Str(s) => f.write_str(s),
            ConfigValue::List(l) => write!(f, "{{{}}}", l.join(", ")),
            ConfigValue::Bool(b) => write!(f, "{b}"),
            ConfigValue::Num(n) => f.write_str(n),
            ConfigValue::Nil => f.write_str("nil"),
        }
    }
}

/// A cursor over the config text that knows its line and column.
pub(super) struct LuaParser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    rest: &'a str,
    line: usize,
    column: usize,
}

impl<'a> LuaParser<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            rest: text,
            line: 1,
            column: 1,
        }
    }

    pub(super) fn position(&self) -> (usize, usize) {
        (self.line, self.column)
    }

    pub(super) fn error(&self, message: String) -> ConfigError {
        ConfigError::Syntax {
            line: self.line,
            column: self.column,
            message,
        }
    }

    pub(super) fn eof(&mut self) -> bool {
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

    pub(super) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    pub(super) fn skip_space_and_comments(&mut self) -> Result<(), ConfigError> {
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
    pub(super) fn key(&mut self) -> Result<String, ConfigError> {
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
                .map_or_else(|| "end of file".into(), |c| format!("{c:?}"));
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

    /// A string: short or long-bracket.
    fn string(&mut self) -> Result<Option<String>, ConfigError> {
        match self.peek() {
            Some('"' | '\'') => Ok(Some(self.short_string()?)),
            Some('[') => match self.long_bracket_level() {
                Some(level) => Ok(Some(self.long_bracket(level, "string")?)),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// A group's table `{ "h:p", "h:p" }` (the `{` is next): at least one string,
    /// `,` or `;` between them, one after the last allowed.
    fn list(&mut self) -> Result<Vec<String>, ConfigError> {
        let (line, column) = self.position();
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_space_and_comments()?;
            if self.eat('}') {
                if items.is_empty() {
                    return Err(ConfigError::Syntax {
                        line,
                        column,
                        message: "a group needs at least one address".into(),
                    });
                }
                return Ok(items);
            }
            match self.string()? {
                Some(s) => items.push(s),
                None => return Err(self.error("expected an address string in the group".into())),
            }
            self.skip_space_and_comments()?;
            if !(self.eat(',') || self.eat(';')) {
                self.skip_space_and_comments()?;
                if !self.eat('}') {
                    return Err(self.error("expected ',' or '}' in the group".into()));
                }
                return Ok(items);
            }
        }
    }

    pub(super) fn value(&mut self) -> Result<ConfigValue, ConfigError> {
        match self.peek() {
            Some('{') => Ok(ConfigValue::List(self.list()?)),
            Some('"' | '\'') => Ok(ConfigValue::Str(self.short_string()?)),
            Some('[') => match self.long_bracket_level() {
                Some(level) => Ok(ConfigValue::Str(self.long_bracket(level, "string")?)),
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
                Ok(ConfigValue::Num(n))
            }
            _ => {
                let (line, column) = self.position();
                match self.ident().as_str() {
                    "true" => Ok(ConfigValue::Bool(true)),
                    "false" => Ok(ConfigValue::Bool(false)),
                    "nil" => Ok(ConfigValue::Nil),
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
