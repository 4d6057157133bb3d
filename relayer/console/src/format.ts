// Pure formatting helpers (unit-tested in format.test.ts).

/** A duration in seconds as its two largest units: "42s", "4m 10s", "2h 5m", "3d 4h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const neg = seconds < 0;
  let s = Math.floor(Math.abs(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out: string;
  if (d > 0) out = h > 0 ? `${d}d ${h}h` : `${d}d`;
  else if (h > 0) out = m > 0 ? `${h}h ${m}m` : `${h}h`;
  else if (m > 0) out = s > 0 ? `${m}m ${s}s` : `${m}m`;
  else out = `${s}s`;
  return neg ? `-${out}` : out;
}

/** Severity of a client's trusting period left: expired (≤ 0), warn (< 1 day), ok. */
export type Severity = "ok" | "warn" | "bad" | "muted";

export function timeLeftSeverity(seconds: number | null | undefined, status?: string): Severity {
  if (status && status !== "Active" && status !== "Unknown") return "bad";
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "muted";
  if (seconds <= 0) return "bad";
  if (seconds < 86400) return "warn";
  return "ok";
}

/** "expired 3h ago" / "12d 4h". */
export function formatTimeLeft(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds <= 0) return seconds === 0 ? "expired" : `expired ${formatDuration(-seconds)} ago`;
  return formatDuration(seconds);
}

/** Unix seconds as local "YYYY-MM-DD HH:MM:SS". */
export function formatTime(unix: number | null | undefined): string {
  if (unix === null || unix === undefined || !Number.isFinite(unix)) return "—";
  const t = new Date(unix * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
}

/** A tx hash as CometBFT shows it (upper-case hex), shortened to "ABCDEF…123456". */
export function shortHash(hash: string | null | undefined, keep = 6): string {
  if (!hash) return "—";
  const h = hash.toUpperCase();
  return h.length <= keep * 2 + 1 ? h : `${h.slice(0, keep)}…${h.slice(-keep)}`;
}

/** A bech32 address shortened to "cosmos1abc…wxyz". */
export function shortAddress(addr: string | null | undefined): string {
  if (!addr) return "—";
  return addr.length <= 20 ? addr : `${addr.slice(0, 11)}…${addr.slice(-6)}`;
}

/** A denom for display: IBC denoms shortened to "ibc/ABCD…". */
export function shortDenom(denom: string | null | undefined): string {
  if (!denom) return "";
  return denom.startsWith("ibc/") && denom.length > 14 ? `${denom.slice(0, 10)}…` : denom;
}

/** An integer amount string with thin thousands separators ("1 234 567"). */
export function formatAmount(amount: string | null | undefined): string {
  if (!amount) return "";
  if (!/^\d+$/.test(amount)) return amount;
  return amount.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

/** A balance (a Float in the API) without exponent notation. */
export function formatBalance(balance: number | null | undefined): string {
  if (balance === null || balance === undefined || !Number.isFinite(balance)) return "—";
  return formatAmount(BigInt(Math.round(balance)).toString());
}

/** What the lookup box holds: a tx hash, a packet (chain/[port/]channel/sequence) or an address. */
export type LookupQuery =
  | { kind: "tx"; txHash: string }
  | { kind: "sequence"; chain: string; port?: string; channel: string; sequence: number }
  | { kind: "address"; address: string }
  | { kind: "invalid"; reason: string };

export function parseLookup(input: string): LookupQuery {
  const q = input.trim();
  if (!q) return { kind: "invalid", reason: "enter a tx hash, an address or chain/channel/sequence" };
  const hex = q.replace(/^0x/i, "");
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return { kind: "tx", txHash: hex };
  const parts = q.split("/").map((p) => p.trim());
  if (parts.length === 3 || parts.length === 4) {
    const seq = Number(parts[parts.length - 1]);
    if (Number.isInteger(seq) && seq > 0 && parts.every((p) => p.length > 0)) {
      return parts.length === 3
        ? { kind: "sequence", chain: parts[0], channel: parts[1], sequence: seq }
        : { kind: "sequence", chain: parts[0], port: parts[1], channel: parts[2], sequence: seq };
    }
  }
  if (/^[a-z][a-z0-9]*1[02-9ac-hj-np-z]{6,}$/.test(q)) return { kind: "address", address: q };
  return {
    kind: "invalid",
    reason: "not a tx hash (64 hex digits), an address (bech32) or chain/channel/sequence",
  };
}
