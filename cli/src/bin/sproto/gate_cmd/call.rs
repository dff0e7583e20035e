//! `sproto call`: one request to a gate server, its answer as one JSON line; with
//! `--watch SECS`, then the requests the server sends, one JSON line each.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use serde_json::Value as Json;
use sproto_rt::json::struct_to_json;
use sproto_rt::rpc::{Answer, CallError, DynamicClient};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{positive_secs, Call, ConnectArgs, Incoming};

/// `call --connect HOST:PORT --schema C2S [--s2c S2C] [--watch SECS] PROTO [JSON]`.
#[derive(Args, Debug)]
pub struct CallArgs {
    #[command(flatten)]
    conn: ConnectArgs,
    /// After the answer, stay connected SECS seconds and print each request the
    /// server sends as {"request":NAME,"session":N|null,"args":JSON|null} (requests
    /// that came before the answer too); those with a session get an empty answer.
    /// Exit 0 when SECS pass, 1 if the connection closes first.
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    watch: Option<Duration>,
    /// The protocol to call (a name in --schema).
    #[arg(value_name = "PROTO")]
    proto: String,
    /// The request message: one JSON value in the sproto JSON convention (default {}).
    #[arg(value_name = "JSON")]
    request: Option<String>,
}

/// What the printing loop receives, in arrival order.
enum Event {
    /// A request of the server, as its JSON line.
    Request(Json),
    /// The answer to our call.
    Answer(Result<Answer, CallError>),
}

/// Prints one JSON value on its own line, flushed (a watcher may read it at once).
fn print_line(v: &Json) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{v}")
        .and_then(|_| out.flush())
        .map_err(|e| format!("stdout: {e}"))
}

impl CallArgs {
    /// Connects, calls, prints; then watches when asked.
    pub fn run(self) -> Result<(), String> {
        let schemas = self.conn.schemas()?;
        let call = Call::new(&schemas.c2s, &self.proto, self.request.as_deref())?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
        rt.block_on(async {
            let (tx, mut events) = mpsc::unbounded_channel();
            let show_tx = tx.clone();
            let show = self.watch.map(|_| -> super::Show {
                Box::new(move |line| {
                    let _ = show_tx.send(Event::Request(line));
                })
            });
            let handler = Incoming::new(schemas.s2c.clone(), show);
            let peer = self.conn.dialer(&schemas).connect(handler).await?;
            let client = DynamicClient::new(peer.clone(), schemas.c2s.clone());
            let Call { proto, args, .. } = call;
            tokio::spawn(async move {
                let answer = client.call(&proto, args.as_ref()).await;
                let _ = tx.send(Event::Answer(answer));
            });
            let result = self.print_events(&peer, &mut events).await;
            peer.close();
            result
        })
    }

    /// Prints the events until the answer (without --watch) or the end of the watch.
    async fn print_events(
        &self,
        peer: &sproto_rt::net::Peer,
        events: &mut mpsc::UnboundedReceiver<Event>,
    ) -> Result<(), String> {
        let mut until: Option<Instant> = None;
        loop {
            let event = match until {
                None => events.recv().await,
                Some(deadline) => tokio::select! {
                    biased;
                    e = events.recv() => e,
                    _ = tokio::time::sleep_until(deadline) => break,
                    reason = peer.closed() => {
                        while let Ok(Event::Request(line)) = events.try_recv() {
                            print_line(&line)?;
                        }
                        return Err(format!("connection closed during --watch: {reason}"));
                    }
                },
            };
            match event {
                Some(Event::Request(line)) => print_line(&line)?,
                Some(Event::Answer(Ok(answer))) => {
                    print_line(&match answer {
                        Answer::Message(s) => struct_to_json(&s),
                        Answer::Confirm => Json::Null,
                    })?;
                    match self.watch {
                        Some(secs) => until = Some(Instant::now() + secs),
                        None => return Ok(()),
                    }
                }
                Some(Event::Answer(Err(e))) => return Err(format!("{}: {e}", self.proto)),
                // The senders live until the answer is sent.
                None => return Err(format!("{}: no answer", self.proto)),
            }
        }
        // What came before the deadline but is not printed yet.
        while let Ok(Event::Request(line)) = events.try_recv() {
            print_line(&line)?;
        }
        Ok(())
    }
}
