//! [`DynamicClient`]: calls protocols by name with [`Struct`] values and a loaded
//! schema, over any [`Caller`] (what the `sproto call` tool uses).

use std::sync::Arc;

use super::typed::{CallError, Caller};
use super::ResponseKind;
use crate::schema::Sproto;
use crate::value::Struct;

/// What a dynamic call answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The response message.
    Message(Struct),
    /// A header-only answer (the protocol has no response type).
    Confirm,
}

/// Calls the protocols of a remote schema with dynamic values.
///
/// ```
/// use std::sync::Arc;
/// use sproto_rt::rpc::{Answer, CallError, Caller, DynamicClient, Payload};
/// use sproto_rt::{Sproto, Struct, Value};
///
/// // A caller that answers every call with `{ result = "world" }`.
/// struct Echo(Arc<Sproto>);
/// impl Caller for Echo {
///     async fn call(&self, _tag: u16, _body: Vec<u8>) -> Result<Payload, CallError> {
///         let mut out = Vec::new();
///         self.0.encode_type_into(self.0.type_id("get.response").unwrap(), &Struct::new().with("result", "world"), &mut out)?;
///         Ok(out.into())
///     }
///     async fn push(&self, _tag: u16, _body: Vec<u8>) -> Result<(), CallError> { Ok(()) }
/// }
///
/// let sp = Arc::new(Sproto::parse("get 2 { request { what 0 : string } response { result 0 : string } }").unwrap());
/// let client = DynamicClient::new(Echo(sp.clone()), sp);
/// let answer = futures_lite_block_on(client.call("get", Some(&Struct::new().with("what", "hello")))).unwrap();
/// assert_eq!(answer, Answer::Message(Struct::new().with("result", "world")));
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let waker = std::task::Waker::noop();
/// #     let mut cx = std::task::Context::from_waker(&waker);
/// #     let mut f = std::pin::pin!(f);
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DynamicClient<C> {
    caller: C,
    remote: Arc<Sproto>,
}

impl<C: Caller> DynamicClient<C> {
    /// Calls the protocols of `remote` through `caller`.
    pub fn new(caller: C, remote: Arc<Sproto>) -> Self {
        DynamicClient { caller, remote }
    }

    /// The remote schema.
    pub fn schema(&self) -> &Arc<Sproto> {
        &self.remote
    }

    /// The caller.
    pub fn caller(&self) -> &C {
        &self.caller
    }

    fn encode(
        &self,
        proto: &str,
        args: Option<&Struct>,
    ) -> Result<(u16, Vec<u8>, ResponseKind), CallError> {
        let p = self
            .remote
            .protocol_by_name(proto)
            .ok_or_else(|| CallError::UnknownProtocol(proto.to_string()))?;
        let mut body = Vec::new();
        if let Some(ty) = p.request {
            let empty = Struct::new();
            self.remote
                .encode_type_into(ty, args.unwrap_or(&empty), &mut body)?;
        }
        Ok((p.tag, body, ResponseKind::of(p)))
    }

    /// Calls `proto` with `args` (ignored when it has no request type) and waits for
    /// the answer.
    pub async fn call(&self, proto: &str, args: Option<&Struct>) -> Result<Answer, CallError> {
        let (tag, body, kind) = self.encode(proto, args)?;
        let answer = self.caller.call(tag, body).await?;
        match kind {
            ResponseKind::Message(ty) => {
                Ok(Answer::Message(self.remote.decode_type(ty, &answer)?.0))
            }
            _ => Ok(Answer::Confirm),
        }
    }

    /// Sends `proto` without a session: nothing answers.
    pub async fn push(&self, proto: &str, args: Option<&Struct>) -> Result<(), CallError> {
        let (tag, body, _) = self.encode(proto, args)?;
        self.caller.push(tag, body).await
    }
}
