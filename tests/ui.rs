//! Compile-fail suite: every input the macros reject, with the exact error the user
//! sees (`tests/ui/**/*.stderr`, reviewed by hand). One trybuild run builds them all.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/derive/*.rs");
    t.compile_fail("tests/ui/service/*.rs");
    t.compile_fail("tests/ui/protocol/*.rs");
}
