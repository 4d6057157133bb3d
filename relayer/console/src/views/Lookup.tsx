// Lookup: a packet by tx hash, by address (sender or receiver) or by chain/channel/sequence,
// shown as its journey: every step on the source and the destination chain, with height,
// time and tx hash.

import { useEffect, useState, type FormEvent } from "react";
import { formatTime, parseLookup, type LookupQuery } from "../format";
import { useQuery } from "../hooks";
import { href } from "../route";
import { orderSteps, packetKey, side } from "../steps";
import type { Packet } from "../types";
import { PACKET_FIELDS } from "../types";
import { AppSummary, Badge, Empty, ErrorBox, Section, StatusBadge, TxHash } from "../ui";

const LOOKUP = `query Lookup($filter: PacketFilter, $after: String) {
  packets(filter: $filter, first: 20, after: $after) { items { ${PACKET_FIELDS} } next }
}`;

function filterOf(q: LookupQuery): Record<string, unknown> | undefined {
  switch (q.kind) {
    case "tx":
      return { txHash: q.txHash };
    case "address":
      return { address: q.address };
    case "sequence":
      return { chain: q.chain, channel: q.channel, sequence: q.sequence, ...(q.port ? { port: q.port } : {}) };
    case "invalid":
      return undefined;
  }
}

export function Lookup({ query }: { query: string }) {
  const [input, setInput] = useState(query);
  useEffect(() => setInput(query), [query]);
  const parsed = parseLookup(query);
  const filter = query ? filterOf(parsed) : undefined;
  const q = useQuery<{ packets: { items: Packet[]; next: string | null } }>(
    LOOKUP,
    { filter },
    filter ? 5_000 : undefined,
    !filter,
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    window.location.hash = href({ view: "lookup", query: input.trim() });
  };
  const items = q.data?.packets.items;
  return (
    <div className="stack">
      <form className="lookup" onSubmit={submit}>
        <input
          data-testid="lookup-input"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          placeholder="tx hash, address, or chain/channel/sequence (e.g. stateset-devnet-1/channel-0/12)"
          spellCheck={false}
          autoFocus
        />
        <button data-testid="lookup-button" type="submit">
          Look up
        </button>
      </form>
      {query && parsed.kind === "invalid" && <ErrorBox error={parsed.reason} />}
      {!query && (
        <Empty>
          Find a packet by the hash of any tx in its journey (send, receive, acknowledge, timeout), by a sender
          or receiver address, or by its source chain, channel and sequence.
        </Empty>
      )}
      <ErrorBox error={q.error} />
      {filter && !items && !q.error && <Empty>looking up…</Empty>}
      {items && items.length === 0 && <Empty>no packet found for {query}</Empty>}
      {items && items.length > 0 && (
        <div className="muted small" data-testid="lookup-count">
          {items.length}
          {q.data?.packets.next ? "+" : ""} packet{items.length === 1 ? "" : "s"} ({parsed.kind === "tx" ? "tx hash" : parsed.kind}), newest first
        </div>
      )}
      {items?.map((p) => <Journey key={packetKey(p)} packet={p} highlight={parsed.kind === "tx" ? parsed.txHash : undefined} />)}
    </div>
  );
}

function Journey({ packet: p, highlight }: { packet: Packet; highlight?: string }) {
  const steps = orderSteps(p.steps);
  return (
    <Section
      title={`${p.chain} ${p.port}/${p.channel} #${p.sequence}`}
      extra={<StatusBadge status={p.status} />}
    >
      <div className="journey" data-testid="journey" data-sequence={p.sequence} data-status={p.status}>
        <div className="journey-ends">
          <div>
            <div className="label">source</div>
            <a className="mono" href={href({ view: "path", chain: p.chain, port: p.port, channel: p.channel })}>
              {p.chain}
            </a>{" "}
            <span className="mono muted">
              {p.port}/{p.channel}
            </span>
          </div>
          <div className="arrow">→</div>
          <div>
            <div className="label">destination</div>
            <span className="mono">{p.counterpartyChain}</span>{" "}
            <span className="mono muted">
              {p.destinationPort}/{p.destinationChannel}
            </span>
          </div>
          <div className="journey-app">
            <div className="label">{p.app.kind === "ics20" ? "transfer" : p.app.kind}</div>
            <AppSummary app={p.app} />
          </div>
        </div>
        {steps.length === 0 ? (
          <Empty>no step recorded</Empty>
        ) : (
          <ol className="timeline">
            {steps.map((s, i) => {
              const where = side(p, s);
              const hit = highlight && s.txHash && s.txHash.toLowerCase() === highlight.toLowerCase();
              return (
                <li
                  key={`${s.kind}-${s.chain}-${s.height}-${i}`}
                  className={`step step-${where} ${hit ? "hit" : ""}`}
                  data-testid="journey-step"
                  data-kind={s.kind}
                  data-chain={s.chain}
                  data-tx-hash={s.txHash?.toLowerCase() ?? ""}
                >
                  <div className="step-dot" />
                  <div className="step-body">
                    <div className="step-title">
                      <StatusBadge status={s.kind} />
                      {s.kind === "acknowledged" && s.success === false && <Badge tone="bad">error ack</Badge>}
                      {s.kind === "acknowledged" && s.success === true && <Badge tone="ok">success</Badge>}
                      <span className="mono">{s.chain}</span>
                      <span className="muted small">{where}</span>
                    </div>
                    <div className="step-meta">
                      <span>
                        <span className="label">height</span> <span className="mono">{s.height}</span>
                      </span>
                      <span>
                        <span className="label">time</span> <span className="mono">{formatTime(s.time)}</span>
                      </span>
                      <span>
                        <span className="label">tx</span> <TxHash hash={s.txHash} />
                      </span>
                    </div>
                    {s.detail && <div className="step-detail mono">{s.detail}</div>}
                  </div>
                </li>
              );
            })}
          </ol>
        )}
      </div>
    </Section>
  );
}
