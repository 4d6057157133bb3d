//! The queries.

use std::sync::Arc;

use async_graphql::{Context, Object, Result};

use super::types::{
    int, App, Chain, Client, Packet, PacketFilter, PacketPage, PathView, PendingPacket,
    PendingPage, Task, Wallet,
};
use super::{ApiContext, MAX_PAGE};
use crate::relay::Path;
use crate::store::{summarize_packet, Cursor, HistoryFilter, PacketHistory, PacketId, StepKind};
use crate::telemetry::{metric_series, Series};

/// The root of the queries.
#[derive(Debug, Default, Clone, Copy)]
pub struct Query;

fn api<'a>(ctx: &Context<'a>) -> Result<&'a Arc<ApiContext>> {
    ctx.data::<Arc<ApiContext>>()
}

/// The value of `name`'s series whose labels include `want`.
fn value_of(series: &Series, want: &[(&str, &str)]) -> Option<f64> {
    series
        .iter()
        .find(|(l, _)| {
            want.iter()
                .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, v)| *v)
}

/// The value of the series of `p`'s `a` end (labels chain, counterparty, port, channel).
fn path_value(series: &Series, p: &Path) -> Option<f64> {
    let [chain, counterparty, port, channel] = p.labels();
    let want = [
        ("chain", chain.as_str()),
        ("counterparty", counterparty.as_str()),
        ("port", port.as_str()),
        ("channel", channel.as_str()),
    ];
    value_of(series, &want)
}

/// A page size: `first` (default `default`) within 1..=[`MAX_PAGE`].
fn page_size(first: Option<i32>, default: usize) -> usize {
    first
        .and_then(|f| usize::try_from(f).ok())
        .unwrap_or(default)
        .clamp(1, MAX_PAGE)
}

fn u64_arg(name: &str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| format!("`{name}` must not be negative").into())
}

/// Runs `f` (store reads) on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| async_graphql::Error::new(format!("the store read failed: {e}")))?
}

/// The highest latest-block height any of the daemon's calls to `chain` has seen (`None`
/// before the first answer).
fn latest_seen(chain: &str) -> Option<i64> {
    let height = *crate::chain::seen::heights_seen(chain).borrow();
    (height > 0).then(|| i64::try_from(height).ok()).flatten()
}

#[Object]
impl Query {
    /// Every configured chain.
    async fn chains(&self, ctx: &Context<'_>) -> Result<Vec<Chain>> {
        let api = api(ctx)?;
        let up = metric_series("stateset_relayer_chain_up");
        let heights = metric_series("stateset_relayer_chain_scanned_height");
        Ok(api
            .chains
            .iter()
            .map(|c| {
                let versions = crate::chain::seen::versions(c).unwrap_or_default();
                Chain {
                    id: c.clone(),
                    up: value_of(&up, &[("chain", c)]) == Some(1.0),
                    scanned_height: value_of(&heights, &[("chain", c)]).map(|h| h as i64),
                    latest_height: latest_seen(c),
                    cometbft: Some(versions.cometbft).filter(|v| !v.is_empty()),
                    cosmos_sdk: versions.cosmos_sdk,
                    ibc_go: versions.ibc_go,
                    app: versions.app,
                }
            })
            .collect())
    }

    /// The light clients the relayer serves, with time left.
    async fn clients(&self, chain: Option<String>) -> Vec<Client> {
        metric_series("stateset_relayer_client_trusting_period_left_seconds")
            .into_iter()
            .filter(|(l, _)| chain.is_none() || l.get("chain") == chain.as_ref())
            .map(|(l, v)| {
                let get = |k: &str| l.get(k).cloned().unwrap_or_default();
                // What the last refresh pass read from the host chain (status, height);
                // before it, the status follows the time left.
                let observed = crate::client::observed::get(&get("chain"), &get("client"));
                let status = match &observed {
                    Some(o) => o.status.clone(),
                    None if v > 0.0 => "Active".into(),
                    None => "Expired".into(),
                };
                Client {
                    chain: get("chain"),
                    client_id: get("client"),
                    counterparty_chain: get("counterparty"),
                    status,
                    trusting_period_left_seconds: Some(v),
                    latest_height: observed.and_then(|o| i64::try_from(o.latest_height).ok()),
                }
            })
            .collect()
    }

    /// Every path the daemon serves, each direction once.
    async fn paths(&self, ctx: &Context<'_>) -> Result<Vec<PathView>> {
        Ok(paths(&api(ctx)?.routes.all()))
    }

    /// Packets sent on (chain, port, channel) not yet finished, oldest first. `total` is
    /// the path's backlog as its worker last counted it (the ledger's count when no worker
    /// serves it).
    async fn pending_packets(
        &self,
        ctx: &Context<'_>,
        chain: String,
        port: String,
        channel: String,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<PendingPage> {
        let api = api(ctx)?.clone();
        let limit = page_size(first, 100);
        let after = match after {
            Some(a) => Some(
                a.parse::<u64>()
                    .map_err(|_| "`after` is not a cursor of this list")?,
            ),
            None => None,
        };
        blocking(move || pending_page(&api, (&chain, &port, &channel), after, limit)).await
    }

    /// Packet history, newest first.
    async fn packets(
        &self,
        ctx: &Context<'_>,
        filter: Option<PacketFilter>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<PacketPage> {
        let api = api(ctx)?.clone();
        let limit = page_size(first, 50);
        let cursor = match after {
            Some(a) => Some(a.parse::<Cursor>().map_err(|e| e.to_string())?),
            None => None,
        };
        let filter = filter.unwrap_or_default();
        blocking(move || search(&api, &filter, cursor, limit)).await
    }

    /// One packet's history.
    async fn packet(
        &self,
        ctx: &Context<'_>,
        chain: String,
        port: String,
        channel: String,
        sequence: i64,
    ) -> Result<Option<Packet>> {
        let id = PacketId {
            chain,
            port,
            channel,
            sequence: u64_arg("sequence", sequence)?,
        };
        let api = api(ctx)?.clone();
        blocking(move || {
            let found = api.feed.history.as_ref().map(|h| h.get(&id)).transpose()?;
            Ok(found.flatten().as_ref().map(Packet::from))
        })
        .await
    }

    /// The relayer's accounts on each chain.
    async fn wallets(&self, ctx: &Context<'_>) -> Result<Vec<Wallet>> {
        let api = api(ctx)?;
        let balances = metric_series("stateset_relayer_wallet_balance");
        let fees = metric_series("stateset_relayer_fees_paid_total");
        let addresses = api
            .wallets
            .read()
            .map(|w| w.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        Ok(api
            .chains
            .iter()
            .filter_map(|c| {
                let address = addresses.get(c)?.clone();
                let denom = api.denoms.get(c).cloned().unwrap_or_default();
                let balance = value_of(&balances, &[("chain", c), ("denom", &denom)]);
                let fees_paid = value_of(&fees, &[("chain", c), ("denom", &denom)]).unwrap_or(0.0);
                Some(Wallet {
                    chain: c.clone(),
                    address,
                    denom,
                    balance,
                    fees_paid,
                })
            })
            .collect())
    }

    /// The daemon's supervised tasks.
    async fn tasks(&self) -> Vec<Task> {
        crate::supervisor::tasks::current_tasks()
            .into_iter()
            .map(|t| Task {
                name: t.name,
                restarts: int(t.restarts),
                crash_looping: t.crash_looping,
            })
            .collect()
    }
}

/// The served paths with their backlogs, sorted.
pub fn paths(routes: &[Path]) -> Vec<PathView> {
    let backlog = metric_series("stateset_relayer_backlog_packets");
    let age = metric_series("stateset_relayer_backlog_oldest_age_seconds");
    let quarantined = metric_series("stateset_relayer_packets_quarantined");
    let mut out: Vec<PathView> = routes
        .iter()
        .map(|p| {
            let pending = path_value(&backlog, p).unwrap_or(0.0);
            PathView {
                kind: if p.is_v2() { "v2" } else { "classic" }.into(),
                chain: p.a.chain.clone(),
                port: p.a.port.to_string(),
                channel: p.a.channel.to_string(),
                counterparty_chain: p.b.chain.clone(),
                counterparty_port: Some(p.b.port.to_string()),
                counterparty_channel: Some(p.b.channel.to_string()),
                backlog: pending as i64,
                oldest_pending_age_seconds: path_value(&age, p).filter(|_| pending > 0.0),
                quarantined: path_value(&quarantined, p).unwrap_or(0.0) as i64,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.chain, &a.port, &a.channel).cmp(&(&b.chain, &b.port, &b.channel)));
    out
}

/// A page of the ledger of `end`, after sequence `after`.
fn pending_page(
    api: &ApiContext,
    end: (&str, &str, &str),
    after: Option<u64>,
    limit: usize,
) -> Result<PendingPage> {
    let (chain, port, channel) = end;
    let ledger = api.store.ledger(chain, port, channel)?;
    let path = api.routes.get(chain, port, channel);
    let counterparty = path.as_ref().map(|p| p.b.chain.clone()).unwrap_or_default();
    // One more than asked: whether there is a next page.
    let mut records = ledger.page(after, limit.saturating_add(1))?;
    let more = records.len() > limit;
    records.truncate(limit);
    let now = crate::store::now_f64();
    let history = api.feed.history.as_ref();
    let mut items = Vec::with_capacity(records.len());
    for r in &records {
        let summary = summarize_packet(&r.packet, chain, &counterparty);
        let sent_height = match history {
            Some(h) => h.get(&summary.id)?.and_then(|p| sent_height(&p)),
            None => None,
        };
        items.push(PendingPacket {
            sequence: int(r.packet.sequence),
            state: super::types::state_name(r.state).into(),
            sent_height,
            age_seconds: (r.seen > 0.0).then(|| (now - r.seen).max(0.0)),
            app: Some(App::from(&summary.app)),
        });
    }
    let next = more
        .then(|| records.last().map(|r| r.packet.sequence.to_string()))
        .flatten();
    Ok(PendingPage {
        items,
        total: pending_total(path.as_ref(), &ledger),
        next,
    })
}

/// The pending packets of a ledger: as the path's worker last counted them (the
/// `backlog_packets` gauge, kept every cycle), else the ledger's count (kept by its index).
fn pending_total(path: Option<&Path>, ledger: &crate::store::Ledger) -> i64 {
    let backlog = metric_series("stateset_relayer_backlog_packets");
    let counted = path.and_then(|p| path_value(&backlog, p));
    match counted {
        Some(n) => n as i64,
        None => i64::try_from(ledger.len()).unwrap_or(i64::MAX),
    }
}

fn sent_height(p: &PacketHistory) -> Option<i64> {
    p.steps
        .iter()
        .find(|s| s.kind == StepKind::Sent)
        .map(|s| int(s.height))
}

/// The history search of `packets`.
fn search(
    api: &ApiContext,
    f: &PacketFilter,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<PacketPage> {
    let Some(history) = api.feed.history.as_ref() else {
        return Err("the packet history is disabled ([history] enabled = false)".into());
    };
    let keep = |p: &PacketHistory| matches(p, f);
    if let Some(hash) = &f.tx_hash {
        let mut items = Vec::new();
        for id in history.by_tx_hash(hash)? {
            if let Some(p) = history.get(&id)?.filter(keep) {
                items.push(Packet::from(&p));
            }
        }
        items.sort_by_key(|p| std::cmp::Reverse(p.first_seen));
        return Ok(PacketPage { items, next: None });
    }
    let address = f
        .address
        .as_ref()
        .or(f.sender.as_ref())
        .or(f.receiver.as_ref());
    let page = match address {
        Some(a) => history.by_address(a, cursor, limit)?,
        None => {
            let time = |t: Option<i64>| t.map(|t| u64::try_from(t).unwrap_or(0));
            let filter = HistoryFilter {
                chain: f.chain.clone(),
                port: f.port.clone(),
                channel: f.channel.clone(),
                sequence: f.sequence.map(|s| u64::try_from(s).unwrap_or(u64::MAX)),
                denom: f.denom.clone(),
                from_time: time(f.from_time),
                to_time: time(f.to_time),
            };
            history.search(filter, cursor, limit)?
        }
    };
    Ok(PacketPage {
        items: page
            .items
            .iter()
            .filter(|p| keep(p))
            .map(Packet::from)
            .collect(),
        next: page.next.map(|c| c.to_string()),
    })
}

/// Whether `p` matches every field of `f` given.
fn matches(p: &PacketHistory, f: &PacketFilter) -> bool {
    let s = &p.summary;
    let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    let same_address = |want: &Option<String>, have: Option<&str>| {
        want.as_deref()
            .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
    };
    let (sender, receiver, owner, denom) = match &s.app {
        crate::store::App::Transfer {
            sender,
            receiver,
            denom,
            ..
        } => (
            Some(sender.as_str()),
            Some(receiver.as_str()),
            None,
            Some(denom),
        ),
        crate::store::App::InterchainAccount { owner, .. } => (None, None, owner.as_deref(), None),
        crate::store::App::Other { .. } => (None, None, None, None),
    };
    // The denom as carried, or its `ibc/…` hash (as the history's denom index has it).
    let denom_ok = f.denom.as_deref().is_none_or(|w| {
        denom.is_some_and(|d| {
            d == w || stateset_packet_handlers::ics20::DenomTrace::parse(d).ibc_denom() == w
        })
    });
    let any_address = f.address.as_deref().is_none_or(|w| {
        [sender, receiver, owner]
            .iter()
            .flatten()
            .any(|h| h.eq_ignore_ascii_case(w))
    });
    let time_ok = |t: u64| {
        f.from_time
            .is_none_or(|from| i128::from(t) >= i128::from(from))
            && f.to_time.is_none_or(|to| i128::from(t) <= i128::from(to))
    };
    eq(&f.chain, &s.id.chain)
        && eq(&f.port, &s.id.port)
        && eq(&f.channel, &s.id.channel)
        && f.sequence
            .is_none_or(|q| i128::from(q) == i128::from(s.id.sequence))
        && same_address(&f.sender, sender)
        && same_address(&f.receiver, receiver)
        && any_address
        && denom_ok
        && time_ok(s.first_seen)
}
