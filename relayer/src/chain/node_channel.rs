//! A gRPC channel to one node of a [`NodePool`] that reports transport failures to the
//! pool: the `tower` service every tonic client of the relayer is built on.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::codegen::Service;
use tonic::transport::Channel;

use crate::chain::nodes::NodePool;

/// The channel of node `node`: a failed exchange (connect refused, reset, timeout) takes
/// the node out of rotation; an answered one (whatever its gRPC status) counts as success.
#[derive(Clone, Debug)]
pub struct NodeChannel {
    pub(crate) channel: Channel,
    pub(crate) node: usize,
    pub(crate) pool: Arc<NodePool>,
}

impl NodeChannel {
    /// The index of the node (0 = primary).
    pub fn node(&self) -> usize {
        self.node
    }
}

impl Service<Request<Body>> for NodeChannel {
    type Response = Response<Body>;
    type Error = tonic::transport::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let ready = self.channel.poll_ready(cx);
        if let Poll::Ready(Err(e)) = &ready {
            self.pool.failed(self.node, &format!("gRPC: {e}"));
        }
        ready
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let call = self.channel.call(request);
        let (pool, node) = (self.pool.clone(), self.node);
        Box::pin(async move {
            let result = call.await;
            match &result {
                Ok(_) => pool.succeeded(node),
                Err(e) => pool.failed(node, &format!("gRPC: {e}")),
            }
            result
        })
    }
}
