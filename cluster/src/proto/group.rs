//! Node groups: one node name with several addresses. [`Balancer`] decides which
//! member takes each call or push and which members are skipped as down (pure: the
//! clock is passed in); [`reconcile`] decides which members' connections a reload
//! keeps.

use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::client::Target;

/// How a call (or push) on a member ended, for [`Balancer::done`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The member answered (a reply or an error reply), or took a push.
    Answered,
    /// Nothing was sent: the member could not be reached (connect failed or refused,
    /// its connection closed before the write). The member is down; the call may go
    /// to another member.
    Unreachable,
    /// The request was sent and the connection was lost before the reply: the member
    /// is down, and the call fails (it may have run).
    Lost,
    /// The caller gave up (timeout, cancelled) or the call failed for a reason of its
    /// own: nothing is learned about the member.
    Abandoned,
}

/// One call's choice of member ([`Balancer::pick`]), handed back to
/// [`Balancer::done`] when the call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a ticket must be handed back to Balancer::done"]
pub struct Ticket {
    member: u64,
    probe: bool,
}

impl Ticket {
    /// The member's id.
    pub fn member(&self) -> u64 {
        self.member
    }

    /// `true` when the call is the probe of a member that is down.
    pub fn is_probe(&self) -> bool {
        self.probe
    }
}

#[derive(Debug, Clone)]
struct Member {
    id: u64,
    in_flight: usize,
    down: bool,
    probing: bool,
    backoff: Backoff,
}

/// The health and load of a group's members, and which one takes the next call (see
/// the policy below). Members are identified by ids the caller chooses (stable
/// across reloads, unlike positions).
///
/// # The policy
///
/// * **Selection: least calls in flight, round-robin among equals.** Of the members
///   that are up, the one with the fewest calls (and pushes being queued) in flight
///   takes the next; among those with equally few, the first after the member picked
///   last, in member order — so an idle group is walked round robin, and a slow or
///   stalled member gets fewer calls.
/// * **Down: skipped until it answers again.** A member whose connect fails, or
///   whose connection is lost under a call, is marked down. Calls skip it; once its
///   back-off ([`Backoff`], the node's reconnect back-off) has passed, *one* call at
///   a time is sent to it as a probe (before the others, so that it comes back
///   quickly). The probe's answer — any reply, error replies included — marks it up;
///   a probe that fails lengthens the back-off.
/// * **Calls in flight on a member that fails fail** (they may have run there:
///   resending them could run them twice). A call that was *not sent* — the connect
///   failed, or was refused — is not lost: it goes to the next member it has not
///   tried. A call fails only when every member was tried or is down; it then gets
///   the last member's error (or, when none was tried, a [`CallError::Connect`] that
///   says every member is down).
/// * A call given up on (timed out, cancelled) says nothing about its member.
///
/// ```
/// use std::time::{Duration, Instant};
/// use skynet_cluster::proto::{Backoff, Balancer, Outcome};
///
/// let ms = Duration::from_millis;
/// let t0 = Instant::now();
/// let mut b = Balancer::new(Backoff::new(ms(50), ms(400)));
/// b.add(1);
/// b.add(2);
/// let a = b.pick(t0, &[]).unwrap();            // member 1 (round robin from the start)
/// let c = b.pick(t0, &[]).unwrap();            // member 2: fewer in flight
/// assert_eq!((a.member(), c.member()), (1, 2));
/// b.done(c, Outcome::Unreachable, t0);         // member 2's connect failed: down
/// assert!(!b.is_up(2));
/// assert_eq!(b.pick(t0, &[]).map(|t| t.member()), Some(1));   // skipped
/// let probe = b.pick(t0 + ms(50), &[]).unwrap(); // its back-off passed: one probe
/// assert!(probe.is_probe());
/// b.done(probe, Outcome::Answered, t0 + ms(51));
/// assert!(b.is_up(2));
/// ```
///
/// [`CallError::Connect`]: crate::CallError::Connect
#[derive(Debug, Clone)]
pub struct Balancer {
    members: Vec<Member>,
    /// Where the round-robin tie-break starts.
    cursor: usize,
    backoff: Backoff,
}

impl Balancer {
    /// An empty group whose down members are probed after `backoff` (a copy per
    /// member).
    pub fn new(backoff: Backoff) -> Self {
        Self {
            members: Vec::new(),
            cursor: 0,
            backoff,
        }
    }

    /// Adds member `id`, up, with nothing in flight (no-op when present).
    pub fn add(&mut self, id: u64) {
        if self.index(id).is_none() {
            self.members.push(Member {
                id,
                in_flight: 0,
                down: false,
                probing: false,
                backoff: self.backoff.clone(),
            });
        }
    }

    /// Removes member `id` (its calls' later [`done`](Self::done) are ignored).
    pub fn remove(&mut self, id: u64) {
        if let Some(i) = self.index(id) {
            self.members.remove(i);
            if self.cursor > i {
                self.cursor -= 1;
            }
        }
    }

    fn index(&self, id: u64) -> Option<usize> {
        self.members.iter().position(|m| m.id == id)
    }

    /// The members' ids, in order.
    pub fn members(&self) -> impl Iterator<Item = u64> + '_ {
        self.members.iter().map(|m| m.id)
    }

    /// `true` when member `id` is present and up.
    pub fn is_up(&self, id: u64) -> bool {
        self.index(id).is_some_and(|i| !self.members[i].down)
    }

    /// Calls in flight on member `id`.
    pub fn in_flight(&self, id: u64) -> usize {
        self.index(id).map_or(0, |i| self.members[i].in_flight)
    }

    /// The member for a call at `now`, not one of `tried` (those it already failed
    /// on): a down member whose back-off has passed and that has no probe out (as a
    /// probe), else the up member with the fewest calls in flight (round robin among
    /// equals). `None` when there is none: every member is tried or down.
    pub fn pick(&mut self, now: Instant, tried: &[u64]) -> Option<Ticket> {
        let n = self.members.len();
        let fresh = |m: &Member| !tried.contains(&m.id);
        let probe = (0..n).map(|k| (self.cursor + k) % n).find(|&i| {
            let m = &self.members[i];
            m.down && !m.probing && fresh(m) && m.backoff.remaining(now).is_none()
        });
        if let Some(i) = probe {
            let m = &mut self.members[i];
            m.probing = true;
            m.in_flight += 1;
            return Some(Ticket {
                member: m.id,
                probe: true,
            });
        }
        let mut best: Option<usize> = None;
        for i in (0..n).map(|k| (self.cursor + k) % n) {
            let m = &self.members[i];
            if m.down || !fresh(m) {
                continue;
            }
            if best.map_or(true, |b| m.in_flight < self.members[b].in_flight) {
                best = Some(i);
            }
        }
        let i = best?;
        self.cursor = (i + 1) % n;
        let m = &mut self.members[i];
        m.in_flight += 1;
        Some(Ticket {
            member: m.id,
            probe: false,
        })
    }

    /// A call picked with `ticket` ended with `outcome` at `now`: updates the
    /// member's load and health.
    pub fn done(&mut self, ticket: Ticket, outcome: Outcome, now: Instant) {
        let Some(i) = self.index(ticket.member) else {
            return;
        };
        let m = &mut self.members[i];
        m.in_flight = m.in_flight.saturating_sub(1);
        if ticket.probe {
            m.probing = false;
        }
        match outcome {
            Outcome::Answered => {
                if m.down {
                    tracing::info!(member = m.id, "group member answers again: up");
                }
                m.down = false;
                m.backoff.reset();
            }
            Outcome::Unreachable | Outcome::Lost => {
                // A call that was out before the member went down says nothing new;
                // the member's probe (or the first failure) moves the back-off.
                if !m.down || ticket.probe {
                    m.down = true;
                    let wait = m.backoff.failed(now);
                    tracing::debug!(
                        member = m.id,
                        retry_in_ms = wait.as_millis() as u64,
                        "group member down"
                    );
                }
            }
            Outcome::Abandoned => {}
        }
    }

    /// How long until a down member may be probed (the shortest wait; `None` when a
    /// member is up or may be probed now, or there is no member).
    pub fn next_probe(&self, now: Instant) -> Option<Duration> {
        if self.members.iter().any(|m| !m.down) {
            return None;
        }
        self.members
            .iter()
            .map(|m| m.backoff.remaining(now).unwrap_or(Duration::ZERO))
            .min()
            .filter(|d| !d.is_zero())
    }
}

/// Which of the `old` members (one connection each, at `old[i]`) serve the `new`
/// targets after a reload: for each new target, `Some(i)` to keep (and, when
/// different, point at it) old member `i`, or `None` for a new member. Old members
/// not kept are closed (their calls in flight fail).
///
/// Members at an unchanged address are kept as they are, so calls on them go on. A
/// node that has one target after the reload keeps its first old member when no
/// address matched (a plain node whose address changed keeps its session numbering,
/// as before groups); in a group, a new address is a new member.
///
/// ```
/// use skynet_cluster::proto::{reconcile, Target};
///
/// let up = |a: &str| Target::Up(a.into());
/// let old = [up("h1:1"), up("h2:2"), up("h3:3")];
/// // h2 leaves, h4 joins: h1 and h3 go on as they were.
/// assert_eq!(reconcile(&old, &[up("h1:1"), up("h3:3"), up("h4:4")]), [Some(0), Some(2), None]);
/// // A plain node moves: the same member, pointed elsewhere.
/// assert_eq!(reconcile(&[up("h1:1")], &[up("h9:9")]), [Some(0)]);
/// assert_eq!(reconcile(&old, &[Target::Down]), [Some(0)]);
/// ```
pub fn reconcile(old: &[Target], new: &[Target]) -> Vec<Option<usize>> {
    let mut used = vec![false; old.len()];
    let mut plan: Vec<Option<usize>> = new
        .iter()
        .map(|t| {
            let i = old
                .iter()
                .enumerate()
                .position(|(i, o)| !used[i] && matches!(t, Target::Up(_)) && o == t)?;
            used[i] = true;
            Some(i)
        })
        .collect();
    if new.len() == 1 && plan[0].is_none() && !old.is_empty() {
        plan[0] = Some(0);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn group(n: u64) -> Balancer {
        let mut b = Balancer::new(Backoff::new(ms(100), ms(800)));
        for id in 1..=n {
            b.add(id);
        }
        b
    }

    #[test]
    fn idle_members_are_walked_round_robin() {
        let mut b = group(3);
        let t = Instant::now();
        let picks: Vec<u64> = (0..6)
            .map(|_| {
                let k = b.pick(t, &[]).unwrap();
                b.done(k, Outcome::Answered, t);
                k.member()
            })
            .collect();
        assert_eq!(picks, [1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn least_in_flight_wins() {
        let mut b = group(3);
        let t = Instant::now();
        let slow = b.pick(t, &[]).unwrap(); // 1, stays in flight
        let k2 = b.pick(t, &[]).unwrap();
        let k3 = b.pick(t, &[]).unwrap();
        b.done(k2, Outcome::Answered, t);
        b.done(k3, Outcome::Answered, t);
        // 1 has a call out: 2 and 3 take turns until it finishes.
        let picks: Vec<u64> = (0..4)
            .map(|_| {
                let k = b.pick(t, &[]).unwrap();
                b.done(k, Outcome::Answered, t);
                k.member()
            })
            .collect();
        assert_eq!(picks, [2, 3, 2, 3]);
        assert_eq!(b.in_flight(1), 1);
        b.done(slow, Outcome::Answered, t);
        assert_eq!(b.in_flight(1), 0);
    }

    #[test]
    fn a_failed_member_is_skipped_until_its_probe_answers() {
        let mut b = group(3);
        let t0 = Instant::now();
        // Two calls in flight on member 2 when its connection drops.
        let k1 = b.pick(t0, &[]).unwrap();
        let a = b.pick(t0, &[]).unwrap();
        let k3 = b.pick(t0, &[]).unwrap();
        let a2 = b.pick(t0, &[]).unwrap(); // all equal: round robin from the start
        assert_eq!(a2.member(), 1);
        let c = b.pick(t0, &[]).unwrap();
        assert_eq!((a.member(), c.member()), (2, 2));
        b.done(a, Outcome::Lost, t0);
        assert!(!b.is_up(2));
        // The second call out on it failing too does not move the back-off.
        b.done(c, Outcome::Lost, t0 + ms(10));
        assert_eq!(b.next_probe(t0), None, "others are up");
        for k in 0..50 {
            let x = b.pick(t0 + ms(k), &[]).unwrap();
            assert_ne!(x.member(), 2, "skipped during its back-off");
            b.done(x, Outcome::Answered, t0 + ms(k));
        }
        // After 100 ms: one probe, and only one while it is out.
        let probe = b.pick(t0 + ms(100), &[]).unwrap();
        assert_eq!((probe.member(), probe.is_probe()), (2, true));
        let other = b.pick(t0 + ms(100), &[]).unwrap();
        assert_ne!(other.member(), 2);
        b.done(other, Outcome::Answered, t0 + ms(100));
        // The probe fails: the back-off doubles (200 ms).
        b.done(probe, Outcome::Unreachable, t0 + ms(110));
        for at in [120, 250, 309] {
            let x = b.pick(t0 + ms(at), &[]).unwrap();
            assert_ne!(x.member(), 2, "at {at} ms");
            b.done(x, Outcome::Answered, t0 + ms(at));
        }
        let probe = b.pick(t0 + ms(310), &[]).unwrap();
        assert!(probe.is_probe());
        b.done(probe, Outcome::Answered, t0 + ms(311));
        assert!(b.is_up(2));
        for k in [k1, k3, a2] {
            b.done(k, Outcome::Answered, t0 + ms(311));
        }
        // Up again: back in the rotation, its back-off forgotten.
        let mut seen = Vec::new();
        for _ in 0..3 {
            let x = b.pick(t0 + ms(312), &[]).unwrap();
            seen.push(x.member());
            b.done(x, Outcome::Answered, t0 + ms(312));
        }
        seen.sort_unstable();
        assert_eq!(seen, [1, 2, 3]);
    }

    #[test]
    fn a_call_tries_each_member_once_then_fails() {
        let mut b = group(3);
        let t = Instant::now();
        let mut tried = Vec::new();
        while let Some(k) = b.pick(t, &tried) {
            tried.push(k.member());
            b.done(k, Outcome::Unreachable, t);
        }
        tried.sort_unstable();
        assert_eq!(tried, [1, 2, 3]);
        assert_eq!(b.next_probe(t), Some(ms(100)));
        assert!(
            b.pick(t + ms(99), &[]).is_none(),
            "all down within the back-off"
        );
        let p = b.pick(t + ms(100), &[]).unwrap();
        assert!(p.is_probe());
    }

    #[test]
    fn abandoned_calls_say_nothing() {
        let mut b = group(2);
        let t = Instant::now();
        let k = b.pick(t, &[]).unwrap();
        b.done(k, Outcome::Abandoned, t);
        assert!(b.is_up(k.member()));
        assert_eq!(b.in_flight(k.member()), 0);
        b.remove(k.member());
        b.done(k, Outcome::Lost, t); // ignored: gone
        assert_eq!(b.members().collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn reload_plans() {
        let up = |a: &str| Target::Up(a.into());
        assert_eq!(
            reconcile(&[up("a"), up("b")], &[up("b"), up("c")]),
            [Some(1), None]
        );
        assert_eq!(reconcile(&[up("a"), up("b")], &[up("c")]), [Some(0)]);
        assert_eq!(reconcile(&[up("a"), up("b")], &[up("b")]), [Some(1)]);
        assert_eq!(
            reconcile(&[Target::Down], &[up("a"), up("b")]),
            [None, None]
        );
        assert_eq!(reconcile(&[Target::Down], &[up("a")]), [Some(0)]);
        assert_eq!(reconcile(&[], &[up("a")]), [None]);
    }
}
