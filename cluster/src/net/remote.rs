//! One remote node name as the node calls it: a plain node is one [`Channel`] (and
//! behaves exactly as that channel), a group is one channel per member with a
//! [`Balancer`] choosing the member of each call and push (the policy is in
//! [`proto`](crate::proto::Balancer)); this file only carries it out.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;

use super::channel::{Channel, Failed};
use super::options::NodeOptions;
use crate::address::AddrRef;
use crate::config::ClusterConfig;
use crate::error::CallError;
use crate::proto::{reconcile, Backoff, Balancer, Outcome, Target, Ticket};
use crate::telemetry::ChannelMetrics;

/// Where the node map says node `name` is: one target per member (one for a plain
/// node, `Down` or `Absent` alone).
pub(crate) fn targets_of(config: &ClusterConfig, name: &str) -> Vec<Target> {
    match config.members(name) {
        Some(Some(members)) => members.iter().map(|a| Target::Up(a.clone())).collect(),
        Some(None) => vec![Target::Down],
        None => vec![Target::Absent],
    }
}

/// One member of a node group as the calling node sees it ([`Node::members`]).
///
/// ```
/// use skynet_cluster::{ClusterConfig, Node};
///
/// let node = Node::new(ClusterConfig::new().with_group("db", ["127.0.0.1:2528", "127.0.0.1:2529"]));
/// let members = node.members("db");   // nothing called yet: none connected, all up
/// assert_eq!(members.len(), 2);
/// assert!(members.iter().all(|m| m.up && m.in_flight == 0));
/// assert_eq!(members[1].address, "127.0.0.1:2529");
/// ```
///
/// [`Node::members`]: crate::Node::members
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemberStatus {
    /// Its `host:port`.
    pub address: String,
    /// `false` while it is skipped (its connect failed or its connection was lost,
    /// and no probe has been answered since).
    pub up: bool,
    /// Calls (and pushes being queued) on it now.
    pub in_flight: usize,
}

#[derive(Clone)]
struct Member {
    id: u64,
    channel: Arc<Channel>,
}

struct State {
    members: Vec<Member>,
    balancer: Balancer,
    next_id: u64,
}

/// The client of one remote node name: a plain node or a group.
pub(crate) struct Remote {
    name: Arc<str>,
    opts: Arc<NodeOptions>,
    state: Mutex<State>,
    metrics: ChannelMetrics,
}

/// What a member did with a call, for the balancer.
fn outcome(r: &Result<(), &Failed>) -> Outcome {
    match r {
        Ok(()) => Outcome::Answered,
        Err(Failed::NotSent(e)) if member_unreachable(e) => Outcome::Unreachable,
        Err(Failed::NotSent(_)) => Outcome::Abandoned,
        Err(Failed::Sent(CallError::ConnectionLost)) => Outcome::Lost,
        Err(Failed::Sent(CallError::Timeout | CallError::Shutdown)) => Outcome::Abandoned,
        // An error reply, a bad multi-part reply: the member answered.
        Err(Failed::Sent(_)) => Outcome::Answered,
    }
}

/// Errors before sending that are the member's (another member may take the call).
fn member_unreachable(e: &CallError) -> bool {
    matches!(
        e,
        CallError::Connect { .. }
            | CallError::ConnectionLost
            | CallError::NodeDown(_)
            | CallError::UnknownNode(_)
    )
}

/// Hands a ticket back to the balancer when the call ends, however it ends.
struct Out<'a> {
    remote: &'a Remote,
    ticket: Ticket,
    outcome: Outcome,
}

impl Drop for Out<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        self.remote
            .lock()
            .balancer
            .done(self.ticket, self.outcome, now);
    }
}

impl Remote {
    pub(crate) fn new(name: &str, targets: Vec<Target>, opts: Arc<NodeOptions>) -> Self {
        let remote = Self {
            name: Arc::from(name),
            state: Mutex::new(State {
                members: Vec::new(),
                balancer: Balancer::new(Backoff::new(opts.backoff_min, opts.backoff_max)),
                next_id: 0,
            }),
            metrics: ChannelMetrics::new(name, opts.metrics),
            opts,
        };
        remote.retarget(targets);
        remote
    }

    /// The node's metrics (its members' connections count into the same series).
    pub(crate) fn metrics(&self) -> &ChannelMetrics {
        &self.metrics
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Points the node at new targets (reload): members at an unchanged address go
    /// on untouched, a plain node's channel is pointed at its new address (closing
    /// its connection), members that left are closed (their calls in flight fail),
    /// new members are added (up).
    pub(crate) fn retarget(&self, targets: Vec<Target>) {
        let mut closing = Vec::new();
        {
            let mut st = self.lock();
            let old: Vec<Target> = st.members.iter().map(|m| m.channel.target()).collect();
            let plan = reconcile(&old, &targets);
            let mut taken = vec![false; st.members.len()];
            let mut members = Vec::with_capacity(targets.len());
            for (target, keep) in targets.iter().zip(plan) {
                match keep {
                    Some(i) => {
                        taken[i] = true;
                        let m = st.members[i].clone();
                        if old[i] != *target {
                            // The same member at another address: a fresh start.
                            st.balancer.remove(m.id);
                            st.balancer.add(m.id);
                            m.channel.retarget(target.clone());
                        }
                        members.push(m);
                    }
                    None => {
                        let id = st.next_id;
                        st.next_id += 1;
                        st.balancer.add(id);
                        let channel =
                            Arc::new(Channel::new(&self.name, target.clone(), self.opts.clone()));
                        members.push(Member { id, channel });
                    }
                }
            }
            let gone = if targets == [Target::Down] {
                Target::Down
            } else {
                Target::Absent
            };
            let State {
                members: olds,
                balancer,
                ..
            } = &mut *st;
            for (m, _) in olds.iter().zip(&taken).filter(|(_, t)| !**t) {
                balancer.remove(m.id);
                closing.push((m.channel.clone(), gone.clone()));
            }
            st.members = members;
        }
        for (c, gone) in closing {
            tracing::info!(node = %self.name, "group member left the node map: closing its connection");
            c.retarget(gone);
        }
    }

    fn members(&self) -> Vec<Member> {
        self.lock().members.clone()
    }

    /// Closes every member's connection for good (node shutdown).
    pub(crate) fn shutdown(&self) {
        for m in self.members() {
            m.channel.shutdown();
        }
    }

    /// While a plain node's connection has more queued than its high water (calls
    /// wait for it to drain), a future that waits until it has not; `None` for a
    /// group (each call goes to its least-loaded member).
    #[cfg(feature = "tower")]
    pub(crate) fn congestion(
        &self,
    ) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        self.plain()?.congestion()
    }

    /// A plain node's channel; `None` for a group.
    fn plain(&self) -> Option<Arc<Channel>> {
        let st = self.lock();
        match st.members.as_slice() {
            [only] => Some(only.channel.clone()),
            _ => None,
        }
    }

    /// The next member for a call, not one of `tried`.
    fn pick(&self, tried: &[u64]) -> Option<(Ticket, Arc<Channel>)> {
        let mut st = self.lock();
        let ticket = st.balancer.pick(Instant::now(), tried)?;
        match st.members.iter().find(|m| m.id == ticket.member()) {
            Some(m) => Some((ticket, m.channel.clone())),
            None => {
                // Not possible (the balancer has the members' ids), but harmless.
                st.balancer.done(ticket, Outcome::Abandoned, Instant::now());
                None
            }
        }
    }

    /// The error of a call that found every member down or tried.
    fn all_down(&self) -> CallError {
        let st = self.lock();
        let addresses: Vec<String> = st
            .members
            .iter()
            .filter_map(|m| match m.channel.target() {
                Target::Up(a) => Some(a),
                _ => None,
            })
            .collect();
        let wait = st
            .balancer
            .next_probe(Instant::now())
            .map_or(String::new(), |d| {
                format!(" (next attempt in {} ms)", d.as_millis())
            });
        CallError::Connect {
            node: self.name.to_string(),
            address: addresses.join("|"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                format!("every member of the group is down{wait}"),
            ),
        }
    }

    /// One call: on a plain node, its channel's call; in a group, on the member the
    /// balancer picks, and on the next one when it was not sent; all of it until
    /// `deadline` ([`CallError::Timeout`]).
    pub(crate) async fn call(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
        sent: Instant,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Bytes, CallError> {
        if let Some(c) = self.plain() {
            return c.call(address, payload, trace, sent, deadline).await;
        }
        let mut tried = Vec::new();
        let mut last = None;
        while let Some((ticket, channel)) = self.pick(&tried) {
            let mut out = Out {
                remote: self,
                ticket,
                outcome: Outcome::Abandoned,
            };
            let r = channel
                .try_call(address, payload, trace, sent, deadline)
                .await;
            out.outcome = outcome(&r.as_ref().map(|_| ()));
            match r {
                Ok(reply) => return Ok(reply),
                Err(Failed::NotSent(e)) if out.outcome == Outcome::Unreachable => {
                    tried.push(ticket.member());
                    last = Some(e);
                }
                Err(f) => return Err(f.error()),
            }
        }
        Err(last.unwrap_or_else(|| self.all_down()))
    }

    /// One push, on a member chosen as for calls (pushes are not answered: a push is
    /// "in flight" until queued).
    pub(crate) async fn send(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
    ) -> Result<(), CallError> {
        if let Some(c) = self.plain() {
            return c.send(address, payload, trace).await;
        }
        let mut tried = Vec::new();
        let mut last = None;
        while let Some((ticket, channel)) = self.pick(&tried) {
            let mut out = Out {
                remote: self,
                ticket,
                outcome: Outcome::Abandoned,
            };
            let r = channel.try_send(address, payload, trace).await;
            out.outcome = outcome(&r.as_ref().map(|_| ()));
            match r {
                Ok(()) => return Ok(()),
                Err(Failed::NotSent(e)) if out.outcome == Outcome::Unreachable => {
                    tried.push(ticket.member());
                    last = Some(e);
                }
                Err(f) => return Err(f.error()),
            }
        }
        Err(last.unwrap_or_else(|| self.all_down()))
    }

    /// A delivery barrier on every member's current connection; the first failure.
    pub(crate) async fn sync(&self) -> Result<(), CallError> {
        let mut result = Ok(());
        for m in self.members() {
            if let Err(e) = m.channel.sync().await {
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        result
    }

    /// Each member's address, health and load (a plain node: its one address, up).
    pub(crate) fn status(&self) -> Vec<MemberStatus> {
        let st = self.lock();
        let plain = st.members.len() == 1;
        st.members
            .iter()
            .filter_map(|m| match m.channel.target() {
                // A plain node is never skipped; its calls do not pass the balancer.
                Target::Up(address) if plain => Some(MemberStatus {
                    address,
                    up: true,
                    in_flight: m.channel.pending_calls(),
                }),
                Target::Up(address) => Some(MemberStatus {
                    address,
                    up: st.balancer.is_up(m.id),
                    in_flight: st.balancer.in_flight(m.id),
                }),
                _ => None,
            })
            .collect()
    }

    /// Calls waiting for a reply, over every member.
    pub(crate) fn pending_calls(&self) -> usize {
        self.members()
            .iter()
            .map(|m| m.channel.pending_calls())
            .sum()
    }

    /// The session the next call would get (on a group: on its first member).
    pub(crate) fn next_session(&self) -> u32 {
        self.members()
            .first()
            .map_or(0, |m| m.channel.next_session())
    }
}
