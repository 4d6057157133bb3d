// Small shared pieces: badges, sections, hashes, the app summary of a packet.

import type { ReactNode } from "react";
import { formatAmount, shortAddress, shortDenom, shortHash } from "./format";
import type { App } from "./types";

const STATUS_TONE: Record<string, string> = {
  sent: "info",
  received: "warn",
  acknowledged: "ok",
  timed_out: "bad",
  filtered: "muted",
  quarantined: "bad",
  Active: "ok",
  Expired: "bad",
  Frozen: "bad",
  Unknown: "muted",
};

export function Badge({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** A packet or client status as a coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? "muted"}>{status.replace("_", " ")}</Badge>
  );
}

export function Section({
  title,
  extra,
  children,
}: {
  title: string;
  extra?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
        {extra && <div className="card-extra">{extra}</div>}
      </header>
      {children}
    </section>
  );
}

export function ErrorBox({ error }: { error: string | undefined }) {
  if (!error) return null;
  return <div className="error" role="alert">{error}</div>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** A tx hash, shortened, the full one in its title; clicking looks it up. */
export function TxHash({ hash }: { hash: string | null | undefined }) {
  if (!hash) return <span className="muted">—</span>;
  return (
    <a className="mono" title={hash.toUpperCase()} href={`#/lookup/${hash.toUpperCase()}`}>
      {shortHash(hash)}
    </a>
  );
}

export function Addr({ address }: { address: string | null | undefined }) {
  if (!address) return <span className="muted">—</span>;
  return (
    <a className="mono" title={address} href={`#/lookup/${address}`}>
      {shortAddress(address)}
    </a>
  );
}

/** One line about what the packet carries (an ICS-20 transfer, ICS-27 messages, ...). */
export function AppSummary({ app }: { app: App | null | undefined }) {
  if (!app) return <span className="muted">—</span>;
  if (app.kind === "ics20") {
    return (
      <span className="app">
        <b>{formatAmount(app.amount)}</b> <span title={app.denom ?? ""}>{shortDenom(app.denom)}</span>{" "}
        <Addr address={app.sender} /> → <Addr address={app.receiver} />
      </span>
    );
  }
  if (app.kind === "ics27") {
    const n = app.messages?.length ?? 0;
    return (
      <span className="app">
        ICA {n} message{n === 1 ? "" : "s"} <Addr address={app.owner} />
        {app.messages && n > 0 && <span className="muted"> {app.messages.join(", ")}</span>}
      </span>
    );
  }
  return <span className="app muted">{app.port ?? app.kind}</span>;
}
