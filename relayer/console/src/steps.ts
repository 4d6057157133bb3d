// Packet lifecycle logic of the console (unit-tested in steps.test.ts): a packet's status
// from its steps, the order steps are shown in, and how live step events update a list of
// packets in place.

import type { Packet, Step } from "./types";

/** How far along its lifecycle each step kind puts a packet. */
const RANK: Record<string, number> = {
  sent: 0,
  filtered: 1,
  quarantined: 1,
  received: 2,
  acknowledged: 3,
  timed_out: 3,
};

export function rank(kind: string): number {
  return RANK[kind] ?? 0;
}

/**
 * The status to show given a known status and a newly seen one: the one further along the
 * lifecycle (events may arrive out of order), the newer one when equally far.
 */
export function reduceStatus(current: string | undefined, next: string): string {
  if (current === undefined) return next;
  return rank(next) >= rank(current) ? next : current;
}

/** Steps in lifecycle order: by time, then by lifecycle rank, then by height. */
export function orderSteps(steps: readonly Step[]): Step[] {
  return [...steps].sort(
    (a, b) => a.time - b.time || rank(a.kind) - rank(b.kind) || a.height - b.height,
  );
}

/** The identity of a packet: its source chain, port, channel and sequence. */
export function packetKey(p: Pick<Packet, "chain" | "port" | "channel" | "sequence">): string {
  return `${p.chain}/${p.port}/${p.channel}/${p.sequence}`;
}

function sameStep(a: Step, b: Step): boolean {
  return a.kind === b.kind && a.chain === b.chain && a.height === b.height && a.txHash === b.txHash;
}

/**
 * Merges a live step event into the list (newest sequence first, at most `limit` rows):
 * the packet's row is updated in place (status only moves forward; steps deduplicated),
 * or added when new.
 */
export function applyStep(list: readonly Packet[], packet: Packet, step: Step, limit = 200): Packet[] {
  const key = packetKey(packet);
  const i = list.findIndex((p) => packetKey(p) === key);
  const old = i >= 0 ? list[i] : undefined;
  const steps = [...(old?.steps ?? []), ...packet.steps];
  if (!steps.some((s) => sameStep(s, step))) steps.push(step);
  const unique = steps.filter((s, j) => steps.findIndex((t) => sameStep(s, t)) === j);
  const status = reduceStatus(reduceStatus(old?.status, packet.status), step.kind);
  const merged: Packet = { ...(old ?? packet), ...packet, status, steps: orderSteps(unique) };
  if (old) {
    const next = [...list];
    next[i] = merged;
    return next;
  }
  const next = [merged, ...list];
  next.sort((a, b) => b.sequence - a.sequence || a.chain.localeCompare(b.chain));
  return next.slice(0, limit);
}

/** The step of a kind, if the packet has one (e.g. its `sent` step for the sent time). */
export function stepOf(p: Packet, kind: string): Step | undefined {
  return p.steps.find((s) => s.kind === kind);
}

/** Which side of the path a step happened on: the source chain or the destination. */
export function side(p: Pick<Packet, "chain" | "counterpartyChain">, s: Step): "source" | "destination" {
  return s.chain === p.chain ? "source" : "destination";
}
