//! Schema comments as rustdoc: text that renders as written and never trips rustdoc's
//! lints (broken intra-doc links, HTML tags, bare URLs) or becomes a doctest.

/// The `#[doc]` lines (each with a leading space, as `///` writes them) for a comment.
///
/// Indented blocks or fences would be code blocks (and doctests), so a comment with
/// any is kept verbatim inside a ```` ```text ```` fence; otherwise `\`, `[`, `]` and
/// `<` are escaped and URLs wrapped in `<...>`.
pub(crate) fn doc_lines(comment: &str) -> Vec<String> {
    let lines: Vec<&str> = comment.lines().collect();
    let code_like = lines.iter().any(|l| {
        l.starts_with("    ")
            || l.starts_with('\t')
            || l.contains("```")
            || l.contains("~~~")
            || l.trim_start().starts_with("    ")
    });
    if code_like {
        let mut out = vec![" ```text".to_string()];
        // A fence inside would end ours early: break it up.
        out.extend(
            lines
                .iter()
                .map(|l| format!(" {}", l.replace("```", "`\u{200b}``"))),
        );
        out.push(" ```".to_string());
        return out;
    }
    lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!(" {}", escape_line(l))
            }
        })
        .collect()
}

fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(url_len) = url_at(rest) {
            out.push('<');
            out.push_str(&rest[..url_len]);
            out.push('>');
            rest = &rest[url_len..];
            continue;
        }
        let Some(c) = rest.chars().next() else {
            break;
        };
        match c {
            '\\' | '[' | ']' | '<' | '>' | '`' | '*' | '_' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length of a URL starting `s`, if one does.
fn url_at(s: &str) -> Option<usize> {
    if !(s.starts_with("http://") || s.starts_with("https://")) {
        return None;
    }
    let len = s
        .find(|c: char| c.is_whitespace() || c == '>' || c == '<' || c == '"')
        .unwrap_or(s.len());
    let url = s[..len].trim_end_matches(['.', ',', ';', ':', ')', '\'']);
    (url.len() > "https://".len()).then_some(url.len())
}

#[cfg(test)]
mod tests {
    use super::doc_lines;

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            doc_lines("a [link] <tag> *T and_b\n\nsee https://example.com/x."),
            [
                r" a \[link\] \<tag\> \*T and\_b",
                "",
                " see <https://example.com/x>.",
            ]
        );
    }

    #[test]
    fn indented_text_is_fenced() {
        assert_eq!(
            doc_lines("example:\n    x = 1"),
            [" ```text", " example:", "     x = 1", " ```"]
        );
    }
}
