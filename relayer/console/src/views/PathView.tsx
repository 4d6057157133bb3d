// One path: its pending packets (a page at a time) and its live packet stream, each row
// moving sent → received → acknowledged in place as the relayer records the steps.

import { useEffect, useState } from "react";
import { gql } from "../gql";
import { formatDuration, formatTime } from "../format";
import { useNow, useQuery, useSubscription } from "../hooks";
import { applyStep, packetKey, stepOf } from "../steps";
import type { Packet, Path, PendingPacket, Step } from "../types";
import { PACKET_FIELDS, PATH_FIELDS, PENDING_FIELDS } from "../types";
import { AppSummary, Badge, Empty, ErrorBox, Section, StatusBadge, TxHash } from "../ui";

const PATHS = `query Paths { paths { ${PATH_FIELDS} } }`;
const PENDING = `query Pending($chain: String!, $port: String!, $channel: String!, $after: String) {
  pendingPackets(chain: $chain, port: $port, channel: $channel, first: 100, after: $after) {
    items { ${PENDING_FIELDS} } total next
  }
}`;
const RECENT = `query Recent($filter: PacketFilter) {
  packets(filter: $filter, first: 50) { items { ${PACKET_FIELDS} } next }
}`;
const CLEAR = `mutation Clear($chain: String!, $port: String!, $channel: String!) {
  clearPackets(chain: $chain, port: $port, channel: $channel) { scheduled }
}`;
const STEPS = `subscription Steps($chain: String, $channel: String) {
  packetSteps(chain: $chain, channel: $channel) { packet { ${PACKET_FIELDS} } step { kind chain height time txHash success detail } }
}`;

interface Props {
  chain: string;
  port: string;
  channel: string;
}

export function PathView({ chain, port, channel }: Props) {
  const paths = useQuery<{ paths: Path[] }>(PATHS, undefined, 10_000);
  const path = paths.data?.paths.find((p) => p.chain === chain && p.port === port && p.channel === channel);
  return (
    <div className="stack">
      <div className="crumbs">
        <a href="#/">Overview</a> <span className="muted">/</span>{" "}
        <span className="mono">
          {chain} {port}/{channel}
        </span>
      </div>
      <PathHeader chain={chain} port={port} channel={channel} path={path} loaded={!!paths.data} />
      <Stream chain={chain} port={port} channel={channel} />
      <Pending chain={chain} port={port} channel={channel} />
    </div>
  );
}

function PathHeader({ chain, port, channel, path, loaded }: Props & { path?: Path; loaded: boolean }) {
  return (
    <section className="card path-head" data-testid="path-header" data-chain={chain} data-channel={channel}>
      <div className="path-ends">
        <div>
          <div className="label">source</div>
          <div className="mono big">{chain}</div>
          <div className="mono muted">
            {port}/{channel}
          </div>
        </div>
        <div className="arrow">→</div>
        <div>
          <div className="label">destination</div>
          <div className="mono big">{path?.counterpartyChain ?? "—"}</div>
          <div className="mono muted">
            {path?.counterpartyPort ?? "—"}/{path?.counterpartyChannel ?? "—"}
          </div>
        </div>
      </div>
      {path ? (
        <div className="kpis">
          <Kpi label="kind" value={path.kind === "v2" ? "IBC v2" : "classic"} />
          <Kpi label="backlog" value={String(path.backlog)} tone={path.backlog > 0 ? "warn" : undefined} />
          <Kpi label="oldest pending" value={formatDuration(path.oldestPendingAgeSeconds)} />
          <Kpi label="quarantined" value={String(path.quarantined)} tone={path.quarantined > 0 ? "bad" : undefined} />
        </div>
      ) : (
        loaded && <div className="muted">this path is not among the daemon's paths</div>
      )}
    </section>
  );
}

function Kpi({ label, value, tone }: { label: string; value: string; tone?: string }) {
  return (
    <div className="kpi">
      <div className="label">{label}</div>
      <div className={`mono big ${tone ? `tone-${tone}` : ""}`}>{value}</div>
    </div>
  );
}

function Stream({ chain, port, channel }: Props) {
  const recent = useQuery<{ packets: { items: Packet[] } }>(RECENT, { filter: { chain, port, channel } }, 30_000);
  const [rows, setRows] = useState<Packet[]>([]);
  const [live, setLive] = useState(0);
  // Packets a live event touched: only their rows flash (not the whole first load).
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  // A (re)load of the recent packets merges into what the stream already showed.
  useEffect(() => {
    const items = recent.data?.packets.items;
    if (!items) return;
    setRows((old) => {
      let next = old.filter((p) => p.chain === chain && p.port === port && p.channel === channel);
      for (const p of items) {
        for (const s of p.steps) next = applyStep(next, p, s);
        if (p.steps.length === 0) next = applyStep(next, p, { kind: p.status, chain: p.chain, height: 0, time: p.firstSeen, txHash: null, success: null, detail: null });
      }
      return next;
    });
  }, [recent.data, chain, port, channel]);
  const subError = useSubscription<{ packetSteps: { packet: Packet; step: Step } }>(
    STEPS,
    { chain, channel },
    ({ packetSteps: { packet, step } }) => {
      if (packet.port !== port) return;
      setRows((old) => applyStep(old, packet, step));
      setLive((n) => n + 1);
      setTouched((old) => (old.has(packetKey(packet)) ? old : new Set(old).add(packetKey(packet))));
    },
  );
  return (
    <Section
      title="Packet stream"
      extra={
        subError ? (
          <Badge tone="warn">live: {subError}</Badge>
        ) : (
          <span className="muted">
            <span className="pulse" /> live · {live} step{live === 1 ? "" : "s"} received
          </span>
        )
      }
    >
      <ErrorBox error={recent.error} />
      {rows.length === 0 ? (
        <Empty>{recent.loading ? "loading…" : "no packet recorded on this path yet; new ones appear here as they are sent"}</Empty>
      ) : (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th className="num">Seq</th>
                <th>Status</th>
                <th>Packet</th>
                <th>Sent</th>
                <th>Send tx</th>
                <th>Recv tx</th>
                <th>Ack / timeout tx</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => {
                const sent = stepOf(p, "sent");
                const recv = stepOf(p, "received");
                const end = stepOf(p, "acknowledged") ?? stepOf(p, "timed_out");
                const failed = p.steps.find((s) => s.kind === "acknowledged" && s.success === false);
                const flash = touched.has(packetKey(p)) ? "flash" : undefined;
                return (
                  <tr
                    key={packetKey(p)}
                    data-testid="packet-row"
                    data-sequence={p.sequence}
                    data-status={p.status}
                    className={flash}
                  >
                    <td className="num mono">
                      <a href={`#/lookup/${encodeURIComponent(p.chain)}/${encodeURIComponent(p.port)}/${encodeURIComponent(p.channel)}/${p.sequence}`}>
                        {p.sequence}
                      </a>
                    </td>
                    <td>
                      <span key={p.status} className={flash}>
                        <StatusBadge status={p.status} />
                      </span>
                      {failed && <Badge tone="bad">error ack</Badge>}
                    </td>
                    <td>
                      <AppSummary app={p.app} />
                    </td>
                    <td className="mono nowrap">{formatTime(sent?.time ?? p.firstSeen)}</td>
                    <td><TxHash hash={sent?.txHash} /></td>
                    <td><TxHash hash={recv?.txHash} /></td>
                    <td><TxHash hash={end?.txHash} /></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

interface PendingData {
  pendingPackets: { items: PendingPacket[]; total: number; next: string | null };
}

function Pending({ chain, port, channel }: Props) {
  const [after, setAfter] = useState<string | null>(null);
  const q = useQuery<PendingData>(PENDING, { chain, port, channel, after }, 10_000);
  const now = useNow(1000);
  const [fetchedAt, setFetchedAt] = useState(now);
  useEffect(() => setFetchedAt(Date.now() / 1000), [q.data]);
  const page = q.data?.pendingPackets;
  return (
    <Section
      title="Pending packets"
      extra={
        page && (
          <>
            <span className="muted">
              {page.total} pending{after ? " · later page" : ""}
            </span>
            {page.total > 0 && <ClearButton chain={chain} port={port} channel={channel} />}
          </>
        )
      }
    >
      <ErrorBox error={q.error} />
      {!page ? (
        <Empty>loading…</Empty>
      ) : page.items.length === 0 ? (
        <Empty>
          <Badge tone="ok">clear</Badge> nothing pending on this path
        </Empty>
      ) : (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th className="num">Seq</th>
                <th>State</th>
                <th>Packet</th>
                <th className="num">Sent height</th>
                <th className="num">Age</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((p) => (
                <tr key={p.sequence} data-testid="pending-row" data-sequence={p.sequence} data-state={p.state}>
                  <td className="num mono">
                    <a href={`#/lookup/${encodeURIComponent(chain)}/${encodeURIComponent(port)}/${encodeURIComponent(channel)}/${p.sequence}`}>
                      {p.sequence}
                    </a>
                  </td>
                  <td><StatusBadge status={p.state} /></td>
                  <td><AppSummary app={p.app} /></td>
                  <td className="num mono">{p.sentHeight ?? "—"}</td>
                  <td className="num mono">
                    {p.ageSeconds === null ? "—" : formatDuration(p.ageSeconds + (now - fetchedAt))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && (after || page.next) && (
        <div className="pager">
          {after && <button onClick={() => setAfter(null)}>first page</button>}
          {page.next && <button onClick={() => setAfter(page.next)}>next page</button>}
        </div>
      )}
    </Section>
  );
}

/** Asks the daemon to relay the path's pending packets now (needs the admin token). */
function ClearButton({ chain, port, channel }: Props) {
  const [state, setState] = useState<string | undefined>(undefined);
  const clear = () => {
    if (!window.confirm(`Relay now every pending packet of ${chain} ${port}/${channel}?`)) return;
    setState("scheduling…");
    gql<{ clearPackets: { scheduled: number } }>(CLEAR, { chain, port, channel })
      .then((d) => setState(`${d.clearPackets.scheduled} scheduled`))
      .catch((e: unknown) => setState(e instanceof Error ? e.message : String(e)));
  };
  return (
    <>
      {state && <span className="muted" data-testid="clear-state">{state}</span>}
      <button className="small-button" onClick={clear} data-testid="clear-button" title="needs the admin token">
        Clear now
      </button>
    </>
  );
}
