//! Hostile schema text: the parser's time is linear in the input and its recursion is
//! bounded (regressions of exponential nesting, stack overflow at deep nesting, and
//! quadratic duplicate checks).

use std::time::{Duration, Instant};

use sproto_rt::text::MAX_NESTING;
use sproto_rt::{SchemaErrorKind, Sproto};

/// Fails if parsing `text` takes longer than `limit` (debug builds included).
fn parse_within(text: &str, limit: Duration) -> Result<Sproto, sproto_rt::SchemaError> {
    let started = Instant::now();
    let r = Sproto::parse(text);
    let took = started.elapsed();
    assert!(took < limit, "{} bytes took {took:?}", text.len());
    r
}

fn nested(depth: usize, closed: bool) -> String {
    let mut s = ".A { ".repeat(depth);
    if closed {
        s.push_str(&"}".repeat(depth));
    }
    s
}

#[test]
fn nesting_is_linear_closed_or_not() {
    // Each level used to double the time: 28 levels took 35 s.
    for depth in [28, 60, MAX_NESTING] {
        parse_within(&nested(depth, true), Duration::from_secs(1)).expect("parses");
        let e = parse_within(&nested(depth, false), Duration::from_secs(1)).expect_err("unclosed");
        assert!(
            matches!(e.diagnostics()[0].kind, SchemaErrorKind::Syntax { .. }),
            "{e}"
        );
    }
    // Adjacent nested bodies (`.A{.A{}}`) take the other branch of the list rule.
    let tight = ".A{".repeat(MAX_NESTING) + &"}".repeat(MAX_NESTING);
    parse_within(&tight, Duration::from_secs(1)).expect("parses");
}

#[test]
fn nesting_past_the_limit_is_an_error_not_a_stack_overflow() {
    // At the limit, on a small (2 MiB) thread stack, in a debug build.
    let at_limit = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| Sproto::parse(&nested(MAX_NESTING, true)).map(|sp| sp.types().len()))
        .expect("thread")
        .join()
        .expect("no overflow");
    assert_eq!(at_limit.expect("parses"), MAX_NESTING);
    // 10 000 levels (50 KB) used to abort the process.
    for closed in [true, false] {
        let e =
            parse_within(&nested(10_000, closed), Duration::from_secs(1)).expect_err("too deep");
        let d = &e.diagnostics()[0];
        assert_eq!(
            d.kind,
            SchemaErrorKind::TooDeep { limit: MAX_NESTING },
            "{e}"
        );
        assert_eq!(d.location.column, 5 * MAX_NESTING + 4, "{e}");
        assert!(e.to_string().contains("nested more than 100 levels"), "{e}");
    }
}

#[test]
fn many_fields_and_protocols_parse_in_linear_time() {
    // 65 536 fields took 35 s (duplicate checks by linear search).
    let mut text = String::from(".Wide {\n");
    for i in 0..32_766 {
        text.push_str(&format!("  f{i} {i} : integer\n"));
    }
    text.push_str("}\n");
    for i in 0..20_000 {
        text.push_str(&format!("p{i} {i} {{}}\n"));
    }
    let sp = parse_within(&text, Duration::from_secs(5)).expect("parses");
    assert_eq!(sp.types()[0].fields.len(), 32_766);
    assert_eq!(sp.protocols().len(), 20_000);
    // Duplicates are still found, each once.
    let dup =
        format!("{text}.Dup {{ a 0 : integer  a 1 : integer  b 0 : integer }}\np0 99999 {{}}\n");
    let e = parse_within(&dup, Duration::from_secs(5)).expect_err("duplicates");
    assert_eq!(e.diagnostics().len(), 3, "{e}");
}
