// Overview: chains, paths (live backlog), the clients' trusting periods, tasks.

import { useRef } from "react";
import { formatDuration, formatTimeLeft, timeLeftSeverity } from "../format";
import { useQuery, useSubscription } from "../hooks";
import { href } from "../route";
import type { Chain, Client, Path, Task } from "../types";
import { PATH_FIELDS } from "../types";
import { Badge, Empty, ErrorBox, Section, StatusBadge } from "../ui";

const OVERVIEW = `query Overview {
  chains { id up scannedHeight latestHeight cometbft ibcGo }
  paths { ${PATH_FIELDS} }
  clients { chain clientId counterpartyChain status trustingPeriodLeftSeconds latestHeight }
  tasks { name restarts crashLooping }
}`;

const BACKLOG = `subscription Backlog { backlog { ${PATH_FIELDS} } }`;
const CLIENT_UPDATES = `subscription ClientUpdates { clientUpdates { chain clientId height time } }`;

interface OverviewData {
  chains: Chain[];
  paths: Path[];
  clients: Client[];
  tasks: Task[];
}

/** Polled every 10 s as the fallback; paths are pushed by the `backlog` subscription. */
const POLL_MS = 10_000;

export function Overview() {
  const q = useQuery<OverviewData>(OVERVIEW, undefined, POLL_MS);
  const subError = useSubscription<{ backlog: Path[] }>(BACKLOG, {}, (d) =>
    q.setData((old) => (old ? { ...old, paths: d.backlog } : old)),
  );
  // A client update moves its time left: reload (at most every 2 s) rather than wait for the poll.
  const lastReload = useRef(0);
  useSubscription<{ clientUpdates: unknown }>(CLIENT_UPDATES, {}, () => {
    if (Date.now() - lastReload.current < 2000) return;
    lastReload.current = Date.now();
    q.refetch();
  });
  const d = q.data;
  return (
    <div className="stack">
      <ErrorBox error={q.error} />
      <div className="grid-2">
        <Chains chains={d?.chains} />
        <Tasks tasks={d?.tasks} />
      </div>
      <Paths paths={d?.paths} subError={subError} />
      <Clients clients={d?.clients} />
    </div>
  );
}

function Chains({ chains }: { chains: Chain[] | undefined }) {
  return (
    <Section title="Chains">
      {!chains ? (
        <Empty>loading…</Empty>
      ) : chains.length === 0 ? (
        <Empty>no chain configured</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Chain</th>
              <th>State</th>
              <th className="num">Scanned</th>
              <th className="num">Latest</th>
              <th className="num">Lag</th>
              <th>Software</th>
            </tr>
          </thead>
          <tbody>
            {chains.map((c) => {
              const lag =
                c.latestHeight !== null && c.scannedHeight !== null ? c.latestHeight - c.scannedHeight : null;
              return (
                <tr key={c.id} data-testid="chain-row" data-chain={c.id} data-up={c.up}>
                  <td className="mono">{c.id}</td>
                  <td>{c.up ? <Badge tone="ok">up</Badge> : <Badge tone="bad">down</Badge>}</td>
                  <td className="num mono">{c.scannedHeight ?? "—"}</td>
                  <td className="num mono">{c.latestHeight ?? "—"}</td>
                  <td className={`num mono ${lag !== null && lag > 10 ? "tone-warn" : ""}`}>{lag ?? "—"}</td>
                  <td className="mono muted">
                    {c.cometbft ? `CometBFT ${c.cometbft}` : "—"}
                    {c.ibcGo ? ` · ibc-go ${c.ibcGo}` : ""}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function Tasks({ tasks }: { tasks: Task[] | undefined }) {
  const looping = tasks?.filter((t) => t.crashLooping) ?? [];
  const restarted = tasks?.filter((t) => t.restarts > 0) ?? [];
  return (
    <Section
      title="Tasks"
      extra={tasks && <span className="muted">{tasks.length} supervised</span>}
    >
      {!tasks ? (
        <Empty>loading…</Empty>
      ) : restarted.length === 0 ? (
        <Empty>
          <Badge tone="ok">healthy</Badge> no task restarted
        </Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Task</th>
              <th className="num">Restarts</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {[...looping, ...restarted.filter((t) => !t.crashLooping)].map((t) => (
              <tr key={t.name}>
                <td className="mono">{t.name}</td>
                <td className="num mono">{t.restarts}</td>
                <td>{t.crashLooping ? <Badge tone="bad">crash-looping</Badge> : <Badge tone="warn">restarted</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function Paths({ paths, subError }: { paths: Path[] | undefined; subError: string | undefined }) {
  return (
    <Section
      title="Paths"
      extra={subError ? <Badge tone="warn">live updates: {subError}</Badge> : <span className="muted">backlog is live</span>}
    >
      {!paths ? (
        <Empty>loading…</Empty>
      ) : paths.length === 0 ? (
        <Empty>no path served yet</Empty>
      ) : (
        <table className="clickable">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Source</th>
              <th>Port / channel</th>
              <th></th>
              <th>Destination</th>
              <th>Port / channel</th>
              <th className="num">Backlog</th>
              <th className="num">Oldest pending</th>
              <th className="num">Quarantined</th>
            </tr>
          </thead>
          <tbody>
            {paths.map((p) => {
              const to = href({ view: "path", chain: p.chain, port: p.port, channel: p.channel });
              return (
                <tr
                  key={`${p.chain}/${p.port}/${p.channel}`}
                  data-testid="path-row"
                  data-chain={p.chain}
                  data-port={p.port}
                  data-channel={p.channel}
                  data-backlog={p.backlog}
                  onClick={() => (window.location.hash = to)}
                >
                  <td>
                    <Badge tone="muted">{p.kind === "v2" ? "IBC v2" : "classic"}</Badge>
                  </td>
                  <td className="mono">
                    <a href={to}>{p.chain}</a>
                  </td>
                  <td className="mono">
                    {p.port}/{p.channel}
                  </td>
                  <td className="muted">→</td>
                  <td className="mono">{p.counterpartyChain}</td>
                  <td className="mono">
                    {p.counterpartyPort ?? "—"}/{p.counterpartyChannel ?? "—"}
                  </td>
                  <td className={`num mono ${p.backlog > 0 ? "tone-warn" : ""}`}>{p.backlog}</td>
                  <td className={`num mono ${(p.oldestPendingAgeSeconds ?? 0) > 300 ? "tone-bad" : ""}`}>
                    {formatDuration(p.oldestPendingAgeSeconds)}
                  </td>
                  <td className={`num mono ${p.quarantined > 0 ? "tone-bad" : ""}`}>{p.quarantined}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function Clients({ clients }: { clients: Client[] | undefined }) {
  return (
    <Section title="Clients" extra={<span className="muted">warns under 1 day left</span>}>
      {!clients ? (
        <Empty>loading…</Empty>
      ) : clients.length === 0 ? (
        <Empty>no client served</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Host chain</th>
              <th>Client</th>
              <th>Tracks</th>
              <th>Status</th>
              <th className="num">Trusting period left</th>
              <th className="num">Latest height</th>
            </tr>
          </thead>
          <tbody>
            {clients.map((c) => {
              const sev = timeLeftSeverity(c.trustingPeriodLeftSeconds, c.status);
              return (
                <tr
                  key={`${c.chain}/${c.clientId}`}
                  data-testid="client-row"
                  data-chain={c.chain}
                  data-client={c.clientId}
                  data-severity={sev}
                >
                  <td className="mono">{c.chain}</td>
                  <td className="mono">{c.clientId}</td>
                  <td className="mono">{c.counterpartyChain}</td>
                  <td>
                    <StatusBadge status={c.status} />
                  </td>
                  <td className={`num mono tone-${sev}`}>{formatTimeLeft(c.trustingPeriodLeftSeconds)}</td>
                  <td className="num mono">{c.latestHeight ?? "—"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}
