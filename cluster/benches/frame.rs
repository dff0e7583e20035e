//! The sans-IO cluster frame layer: encoding requests and responses (one frame, and
//! multi-part 64 KiB), decoding a batch of 256 pipelined requests through the server
//! assembler (what one read of a busy connection holds), and reassembling 64 KiB
//! multi-part messages on both sides.
//!
//! Run: `cargo bench -p skynet-cluster --bench frame -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use skynet_cluster::frame::{
    encode_request, encode_response, take_frame, RequestFrame, ResponseFrame,
};
use skynet_cluster::reassembly::{RequestAssembler, ResponseAssembler};
use skynet_cluster::AddrRef;

const SIZES: [(&str, usize); 3] = [("10B", 10), ("1KiB", 1024), ("64KiB", 65536)];

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    for (label, size) in SIZES {
        let payload = vec![b'x'; size];
        g.throughput(Throughput::Bytes(size as u64));
        let mut buf = BytesMut::with_capacity(size * 2 + 1024);
        g.bench_with_input(
            BenchmarkId::new("request_by_name", label),
            &payload,
            |b, p| {
                b.iter(|| {
                    buf.clear();
                    encode_request(&mut buf, AddrRef::Name(b"@echo"), 7, false, black_box(p))
                        .unwrap();
                    black_box(buf.len())
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("response", label), &payload, |b, p| {
            b.iter(|| {
                buf.clear();
                encode_response(&mut buf, 7, black_box(p)).unwrap();
                black_box(buf.len())
            })
        });
    }
    g.finish();
}

/// `n` requests of `size` bytes, as one byte stream.
fn request_stream(n: usize, size: usize) -> Bytes {
    let payload = vec![b'x'; size];
    let mut out = BytesMut::new();
    for s in 1..=n as u32 {
        encode_request(&mut out, AddrRef::Name(b"@echo"), s, false, &payload).unwrap();
    }
    out.freeze()
}

fn response_stream(n: usize, size: usize) -> Bytes {
    let payload = vec![b'x'; size];
    let mut out = BytesMut::new();
    for s in 1..=n as u32 {
        encode_response(&mut out, s, &payload).unwrap();
    }
    out.freeze()
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for (label, size, n) in [
        ("256x10B", 10, 256),
        ("256x1KiB", 1024, 256),
        ("16x64KiB", 65536, 16),
    ] {
        let stream = request_stream(n, size);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(
            BenchmarkId::new("requests_through_assembler", label),
            &stream,
            |b, s| {
                b.iter(|| {
                    let mut buf = BytesMut::from(&s[..]);
                    let mut asm = RequestAssembler::default();
                    let mut done = 0;
                    while let Some(body) = take_frame(&mut buf) {
                        let f = RequestFrame::decode(body.freeze()).unwrap();
                        if asm.handle(f).unwrap().is_some() {
                            done += 1;
                        }
                    }
                    assert_eq!(done, n);
                })
            },
        );
        let stream = response_stream(n, size);
        g.bench_with_input(
            BenchmarkId::new("responses_through_assembler", label),
            &stream,
            |b, s| {
                b.iter(|| {
                    let mut buf = BytesMut::from(&s[..]);
                    let mut asm = ResponseAssembler::default();
                    let mut done = 0;
                    while let Some(body) = take_frame(&mut buf) {
                        let f = ResponseFrame::decode(body.freeze()).unwrap();
                        if asm.handle(f, |_| true).unwrap().is_some() {
                            done += 1;
                        }
                    }
                    assert_eq!(done, n);
                })
            },
        );
    }
    g.finish();
}

criterion_group!(frame, encode, decode);
criterion_main!(frame);
