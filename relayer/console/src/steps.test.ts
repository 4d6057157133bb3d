import { describe, expect, it } from "vitest";
import { applyStep, orderSteps, reduceStatus } from "./steps";
import type { Packet, Step } from "./types";

const step = (kind: string, chain: string, height: number, time: number, txHash = `${kind}${height}`): Step => ({
  kind,
  chain,
  height,
  time,
  txHash,
  success: kind === "acknowledged" ? true : null,
  detail: null,
});

const packet = (sequence: number, status: string, steps: Step[] = []): Packet => ({
  chain: "a",
  port: "transfer",
  channel: "channel-0",
  sequence,
  counterpartyChain: "b",
  destinationPort: "transfer",
  destinationChannel: "channel-1",
  firstSeen: 100,
  status,
  app: { kind: "ics20", amount: "7", denom: "stake", sender: "s", receiver: "r" },
  steps,
});

describe("reduceStatus", () => {
  it("only moves forward along the lifecycle", () => {
    expect(reduceStatus(undefined, "sent")).toBe("sent");
    expect(reduceStatus("sent", "received")).toBe("received");
    expect(reduceStatus("acknowledged", "received")).toBe("acknowledged");
    expect(reduceStatus("received", "acknowledged")).toBe("acknowledged");
    expect(reduceStatus("sent", "timed_out")).toBe("timed_out");
    expect(reduceStatus("sent", "quarantined")).toBe("quarantined");
  });
});

describe("orderSteps", () => {
  it("orders by time, then lifecycle, then height", () => {
    const steps = [step("acknowledged", "a", 12, 20), step("received", "b", 30, 10), step("sent", "a", 10, 10)];
    expect(orderSteps(steps).map((s) => s.kind)).toEqual(["sent", "received", "acknowledged"]);
  });
});

describe("applyStep", () => {
  it("updates a packet's row in place: sent → received → acknowledged", () => {
    const sent = step("sent", "a", 10, 10);
    let rows = applyStep([], packet(1, "sent", [sent]), sent);
    rows = applyStep(rows, packet(2, "sent"), step("sent", "a", 11, 11));
    expect(rows.map((p) => p.sequence)).toEqual([2, 1]);
    rows = applyStep(rows, packet(1, "received"), step("received", "b", 30, 12));
    rows = applyStep(rows, packet(1, "acknowledged"), step("acknowledged", "a", 13, 14));
    expect(rows).toHaveLength(2);
    const one = rows.find((p) => p.sequence === 1);
    expect(one?.status).toBe("acknowledged");
    expect(one?.steps.map((s) => s.kind)).toEqual(["sent", "received", "acknowledged"]);
  });
  it("ignores a late, older step and duplicates", () => {
    const ack = step("acknowledged", "a", 13, 14);
    let rows = applyStep([], packet(1, "acknowledged", [ack]), ack);
    rows = applyStep(rows, packet(1, "received"), step("received", "b", 30, 12));
    rows = applyStep(rows, packet(1, "acknowledged"), ack);
    expect(rows[0].status).toBe("acknowledged");
    expect(rows[0].steps).toHaveLength(2);
  });
  it("keeps at most `limit` rows, newest first", () => {
    let rows: Packet[] = [];
    for (let i = 1; i <= 5; i++) rows = applyStep(rows, packet(i, "sent"), step("sent", "a", i, i), 3);
    expect(rows.map((p) => p.sequence)).toEqual([5, 4, 3]);
  });
});
