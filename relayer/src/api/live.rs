//! The mutation (`clearPackets`) and the subscriptions.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, Object, Result, Subscription as SubscriptionAttr};
use futures::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;

use super::query::paths;
use super::types::{int, ClearResult, ClientUpdate, Packet, PacketStepEvent, PathView, Step};
use super::{ApiContext, Caller};
use crate::store::PacketState;

/// The root of the mutations.
#[derive(Debug, Default, Clone, Copy)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Relay now the pending packets of a path (all, or the given sequences). Refused
    /// unless an admin token is configured and sent.
    async fn clear_packets(
        &self,
        ctx: &Context<'_>,
        chain: String,
        port: String,
        channel: String,
        sequences: Option<Vec<i64>>,
    ) -> Result<ClearResult> {
        let api = ctx.data::<Arc<ApiContext>>()?;
        if !api.access.has_admin_token() {
            return Err("clearPackets is disabled: no admin token is configured ([telemetry] admin_token or admin_token_env)".into());
        }
        if !ctx.data_opt::<Caller>().is_some_and(|c| c.admin) {
            return Err(
                "clearPackets needs the admin token (Authorization: Bearer <admin token>)".into(),
            );
        }
        let Some(path) = api.routes.get(&chain, &port, &channel) else {
            return Err(
                format!("{chain}:{port}/{channel} is not a path the relayer serves").into(),
            );
        };
        let ledger = api.store.ledger(&chain, &port, &channel)?;
        let scheduled = match sequences {
            None => ledger.len(),
            Some(seqs) => {
                let mut n = 0usize;
                for seq in seqs.into_iter().filter_map(|s| u64::try_from(s).ok()) {
                    let Some(record) = ledger.get(seq)? else {
                        continue;
                    };
                    // Named by the operator: a quarantined packet is tried again.
                    if record.state == PacketState::Quarantined {
                        ledger.mark(seq, PacketState::Sent)?;
                    }
                    n = n.saturating_add(1);
                }
                n
            }
        };
        for end in [&path.a.chain, &path.b.chain] {
            if let Some(s) = api.signals.get(end.as_str()) {
                s.clear_now.notify_waiters();
                s.wake.notify_waiters();
            }
        }
        tracing::info!(path = %path.name(), scheduled, "clearPackets: clearing asked to run now");
        Ok(ClearResult {
            scheduled: int(u64::try_from(scheduled).unwrap_or(u64::MAX)),
        })
    }
}

/// The root of the subscriptions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Subscription;

/// The items of `rx` as a stream; items a slow subscriber missed are skipped.
fn broadcast_stream<T: Clone + Send + 'static>(
    rx: broadcast::Receiver<T>,
) -> impl Stream<Item = T> + Send {
    stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(item) => return Some((item, rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

#[SubscriptionAttr]
impl Subscription {
    /// Every packet step as the relayer records it (optionally one source chain / channel).
    async fn packet_steps(
        &self,
        ctx: &Context<'_>,
        chain: Option<String>,
        channel: Option<String>,
    ) -> Result<impl Stream<Item = PacketStepEvent>> {
        let api = ctx.data::<Arc<ApiContext>>()?;
        let rx = api.feed.steps.subscribe();
        Ok(broadcast_stream(rx).filter_map(move |(packet, step)| {
            let id = &packet.summary.id;
            let wanted = chain.as_ref().is_none_or(|c| *c == id.chain)
                && channel.as_ref().is_none_or(|c| *c == id.channel);
            let event = wanted.then(|| PacketStepEvent {
                packet: Packet::from(&packet),
                step: Step::from(&step),
            });
            std::future::ready(event)
        }))
    }

    /// The whole path list again whenever a backlog changes (at most once a second).
    async fn backlog(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Vec<PathView>>> {
        let routes = ctx.data::<Arc<ApiContext>>()?.routes.clone();
        let start: Option<Vec<PathView>> = None;
        Ok(stream::unfold(start, move |last| {
            let routes = routes.clone();
            async move {
                let mut first = last.is_none();
                loop {
                    if !first {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    first = false;
                    let now = paths(&routes.all());
                    if last.as_ref() != Some(&now) {
                        return Some((now.clone(), Some(now)));
                    }
                }
            }
        }))
    }

    /// Each MsgUpdateClient the relayer saw land on a client it serves.
    async fn client_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = ClientUpdate>> {
        let rx = ctx
            .data::<Arc<ApiContext>>()?
            .feed
            .client_updates
            .subscribe();
        Ok(broadcast_stream(rx).map(|u| ClientUpdate {
            chain: u.chain,
            client_id: u.client_id,
            height: int(u.height),
            time: int(u.time),
        }))
    }
}
