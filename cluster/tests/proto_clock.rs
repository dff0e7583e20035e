//! Back-off and timeouts of the sans-IO core on a simulated clock: every instant is
//! `t0` plus a chosen offset, nothing sleeps, every run is the same.

use std::io;
use std::time::{Duration, Instant};

use skynet_cluster::frame::WireAddress;
use skynet_cluster::proto::{
    Backoff, Check, Missing, Resolver, ServerClose, ServerConfig, ServerConn, FREE_BYTES,
};
use skynet_cluster::proto::{NodeLink, Target};
use skynet_cluster::{CallError, Limits};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn refused() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionRefused, "refused")
}

#[test]
fn backoff_doubles_from_min_to_max_and_resets() {
    let t0 = Instant::now();
    let mut b = Backoff::new(ms(50), ms(2000));
    let mut t = t0;
    let mut waits = Vec::new();
    for _ in 0..8 {
        let w = b.failed(t);
        assert_eq!(b.remaining(t), Some(w));
        assert_eq!(b.remaining(t + w - ms(1)), Some(ms(1)));
        assert_eq!(b.remaining(t + w), None);
        waits.push(w.as_millis());
        t += w;
    }
    assert_eq!(waits, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
    assert_eq!(b.failures(), 8);
    b.reset();
    assert_eq!((b.failures(), b.remaining(t)), (0, None));
    assert_eq!(b.failed(t), ms(50));
    // A maximum below the minimum is the minimum; many failures do not overflow.
    let mut b = Backoff::new(ms(300), ms(10));
    for _ in 0..100 {
        assert_eq!(b.failed(t0), ms(300));
    }
}

fn connect_attempt(link: &NodeLink, now: Instant) -> u64 {
    match link.check(now, false) {
        Check::Connect { generation, .. } => generation,
        other => panic!("expected a connect attempt at {now:?}, got {other:?}"),
    }
}

fn fails_within_backoff(link: &NodeLink, now: Instant) -> String {
    match link.check(now, false) {
        Check::Fail(CallError::Connect { source, .. }) => source.to_string(),
        other => panic!("expected the back-off's failure, got {other:?}"),
    }
}

#[test]
fn calls_fail_at_once_during_the_backoff_then_try_again() {
    let t0 = Instant::now();
    let mut link = NodeLink::new(
        "db",
        Target::Up("10.0.0.1:2528".into()),
        1,
        Backoff::new(ms(50), ms(150)),
    );
    let g = connect_attempt(&link, t0);
    let e = link
        .connect_failed(g, t0, refused())
        .expect("current attempt");
    assert!(matches!(e, CallError::Connect { ref address, .. } if address == "10.0.0.1:2528"));
    // 10 ms later: fails at once, repeating the error and when the next try is.
    assert_eq!(
        fails_within_backoff(&link, t0 + ms(10)),
        "refused (next attempt in 40 ms)"
    );
    // At 50 ms an attempt may go; it fails again: 100 ms, then 150 (the cap).
    let g = connect_attempt(&link, t0 + ms(50));
    link.connect_failed(g, t0 + ms(50), refused());
    assert!(fails_within_backoff(&link, t0 + ms(149)).ends_with("in 1 ms)"));
    let g = connect_attempt(&link, t0 + ms(150));
    link.connect_failed(g, t0 + ms(150), refused());
    fails_within_backoff(&link, t0 + ms(299));
    let g = connect_attempt(&link, t0 + ms(300));
    // Connected: the back-off is forgotten; an open connection is used.
    assert!(link.connected(g));
    assert_eq!(link.backoff().failures(), 0);
    assert!(matches!(link.check(t0 + ms(300), true), Check::Ready));
    // The connection is lost: the next call connects at once.
    connect_attempt(&link, t0 + ms(301));
}

#[test]
fn a_reload_makes_the_attempt_in_progress_stale_and_resets_the_backoff() {
    let t0 = Instant::now();
    let mut link = NodeLink::new("db", Target::Up("a:1".into()), 1, Backoff::default());
    let g = connect_attempt(&link, t0);
    link.connect_failed(g, t0, refused());
    fails_within_backoff(&link, t0 + ms(1));
    // Reload to a new address: no back-off for it.
    link.retarget(Target::Up("b:1".into()));
    let old = g;
    let g = connect_attempt(&link, t0 + ms(2));
    assert_ne!(g, old);
    // Reload again while connecting: the attempt's outcome is stale either way.
    link.retarget(Target::Up("c:1".into()));
    assert!(link.connect_failed(g, t0 + ms(3), refused()).is_none());
    assert!(!link.connected(g));
    assert_eq!(link.backoff().failures(), 0);
    match link.check(t0 + ms(3), false) {
        Check::Connect { address, .. } => assert_eq!(address, "c:1"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sessions_go_on_across_connections_and_wrap() {
    let mut link = NodeLink::new("db", Target::Down, i32::MAX as u32 - 1, Backoff::default());
    assert_eq!(link.begin_call(b"", None).unwrap(), i32::MAX as u32 - 1);
    assert_eq!(link.begin_push(b"", None).unwrap(), 0);
    assert_eq!(
        link.begin_push(&[0; 40_000], None).unwrap(),
        i32::MAX as u32
    );
    assert_eq!(link.begin_sync(), 1);
    // What cannot be written consumes nothing.
    let long_trace = vec![0u8; 70_000];
    assert!(link.begin_call(b"", Some(&long_trace)).is_err());
    assert_eq!(link.next_session(), 2);
}

struct Nobody;

impl Resolver for Nobody {
    type Service = ();

    fn resolve(&self, _: &WireAddress) -> Result<(u32, ()), Missing> {
        Ok((1, ()))
    }

    fn query(&self, _: &[u8]) -> Option<u32> {
        None
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        limits: Limits::default(),
        idle_timeout: Some(Duration::from_secs(300)),
        frame_timeout: Duration::from_secs(30),
    }
}

#[test]
fn an_idle_connection_closes_after_the_idle_timeout() {
    let t0 = Instant::now();
    let mut conn = ServerConn::new(config(), None);
    let at = conn.read_deadline(t0, 0).expect("idle deadline");
    assert_eq!(at, t0 + Duration::from_secs(300));
    assert_eq!(conn.handle_timeout(at - ms(1)), None);
    assert_eq!(
        conn.handle_timeout(at),
        Some(ServerClose::Idle(Duration::from_secs(300)))
    );
    assert_eq!(
        conn.handle_timeout(at).map(|c| c.to_string()),
        None,
        "reported once"
    );
    // Without an idle timeout, an idle connection waits forever.
    let mut conn = ServerConn::new(
        ServerConfig {
            idle_timeout: None,
            ..config()
        },
        None,
    );
    assert_eq!(conn.read_deadline(t0, 0), None);
}

#[test]
fn work_in_flight_keeps_a_connection_but_a_stalled_frame_does_not() {
    let t0 = Instant::now();
    let mut conn = ServerConn::new(config(), None);
    // Requests in flight, nothing started: no deadline.
    assert_eq!(conn.read_deadline(t0, 3), None);
    // Half a frame: 30 s for the rest, in flight or not.
    conn.receive(b"\x00\x0a\x00\x0b");
    let at = conn.read_deadline(t0 + ms(5), 3).expect("frame deadline");
    assert_eq!(at, t0 + ms(5) + Duration::from_secs(30));
    // Each read with progress starts the wait again.
    conn.receive(b"\x00\x00");
    let later = conn.read_deadline(t0 + Duration::from_secs(20), 0).unwrap();
    assert_eq!(conn.handle_timeout(at), None);
    let why = conn.handle_timeout(later).expect("stalled");
    assert_eq!(why.to_string(), "no progress within 30s inside a frame");
}

#[test]
fn an_unfinished_multipart_request_is_a_started_message() {
    let t0 = Instant::now();
    let mut conn = ServerConn::new(config(), None);
    // A multi-part request header (type 0x01, handle 11, session 1, 40000 bytes):
    // the frame is whole, the message is not.
    conn.receive(b"\x00\x0d\x01\x0b\x00\x00\x00\x01\x00\x00\x00\x40\x9c\x00\x00");
    assert!(conn.poll_event(t0, &Nobody).unwrap().is_none());
    let at = conn.read_deadline(t0, 0).expect("deadline");
    assert_eq!(at, t0 + Duration::from_secs(30));
    assert!(matches!(
        conn.handle_timeout(at),
        Some(ServerClose::Stalled(_))
    ));
}

#[test]
fn the_budget_covers_what_is_buffered_and_the_next_read() {
    let t0 = Instant::now();
    let mut conn = ServerConn::new(config(), None);
    // Nothing buffered: a read fits the free allowance.
    let plan = conn.prepare_read(t0);
    assert_eq!(plan.budget, 0);
    assert_eq!(plan.budget_deadline, Some(t0 + Duration::from_secs(30)));
    // A multi-part request of 4 MiB announced: 1 MiB reserved ahead, counted.
    let mut header = b"\x00\x0d\x01\x0b\x00\x00\x00\x01\x00\x00\x00".to_vec();
    header.extend_from_slice(&(4u32 << 20).to_le_bytes());
    conn.receive(&header);
    assert!(conn.poll_event(t0, &Nobody).unwrap().is_none());
    assert_eq!(conn.budget_needed(), (1 << 20) - FREE_BYTES);
    let plan = conn.prepare_read(t0);
    assert_eq!(plan.budget, (1 << 20) + (8 << 10) - FREE_BYTES);
    assert_eq!(conn.budget_timeout(), ServerClose::NoBudget);
    // Half of a 64 KiB frame buffered: the read may bring the rest.
    let mut conn = ServerConn::new(config(), None);
    conn.receive(&[0xff, 0xff]);
    conn.receive(&[0u8; 30_000]);
    let plan = conn.prepare_read(t0);
    assert_eq!(
        plan.budget,
        2 + 0xffff - FREE_BYTES,
        "the whole frame, past the free part"
    );
    assert_eq!(conn.budget_needed(), 0);
}

#[test]
fn dropped_frames_log_a_few_lines_per_window() {
    let t0 = Instant::now();
    let mut conn = ServerConn::new(config(), None);
    for _ in 0..50 {
        conn.receive(b"\x00\x00");
    }
    assert!(conn.poll_event(t0, &Nobody).unwrap().is_none());
    assert_eq!(conn.take_unlogged_drops(), 45);
    // Within the same window: only counted.
    conn.receive(b"\x00\x00");
    assert!(conn.poll_event(t0 + ms(9_999), &Nobody).unwrap().is_none());
    assert_eq!(conn.take_unlogged_drops(), 1);
    // A new window logs again.
    conn.receive(b"\x00\x00");
    assert!(conn
        .poll_event(t0 + Duration::from_secs(10), &Nobody)
        .unwrap()
        .is_none());
    assert_eq!(conn.take_unlogged_drops(), 0);
}
