//! The examples run as written (in-process, loopback only): the README's main demo and
//! the simpledb walkthrough. (Both use `sproto_skynet::simpledb`.)

#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "../examples/cluster_demo.rs"]
mod cluster_demo;

#[allow(dead_code)]
#[path = "../examples/simpledb.rs"]
mod simpledb_example;

#[test]
fn cluster_demo_runs() {
    cluster_demo::main().expect("the demo runs to the end");
}

#[tokio::test]
async fn simpledb_runs_both_nodes() {
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        simpledb_example::run(&[]),
    )
    .await
    .expect("in time")
    .expect("the walkthrough runs");
}

#[tokio::test]
async fn simpledb_refuses_unknown_arguments() {
    assert!(simpledb_example::run(&["--nope".to_string()])
        .await
        .is_err());
}
