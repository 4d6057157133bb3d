import { describe, expect, it } from "vitest";
import {
  formatAmount,
  formatDuration,
  formatTimeLeft,
  parseLookup,
  shortHash,
  timeLeftSeverity,
} from "./format";

describe("formatDuration", () => {
  it("shows the two largest units", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(42.7)).toBe("42s");
    expect(formatDuration(250)).toBe("4m 10s");
    expect(formatDuration(7200 + 300)).toBe("2h 5m");
    expect(formatDuration(3 * 86400 + 4 * 3600 + 59)).toBe("3d 4h");
    expect(formatDuration(86400)).toBe("1d");
  });
  it("handles missing and negative values", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(undefined)).toBe("—");
    expect(formatDuration(-90)).toBe("-1m 30s");
  });
});

describe("client time left", () => {
  it("warns under a day and flags expiry", () => {
    expect(timeLeftSeverity(10 * 86400, "Active")).toBe("ok");
    expect(timeLeftSeverity(3600, "Active")).toBe("warn");
    expect(timeLeftSeverity(0, "Active")).toBe("bad");
    expect(timeLeftSeverity(-5, "Expired")).toBe("bad");
    expect(timeLeftSeverity(10 * 86400, "Frozen")).toBe("bad");
    expect(timeLeftSeverity(null)).toBe("muted");
  });
  it("says how long ago a client expired", () => {
    expect(formatTimeLeft(-7200)).toBe("expired 2h ago");
    expect(formatTimeLeft(90000)).toBe("1d 1h");
  });
});

describe("hashes and amounts", () => {
  it("shortens tx hashes in CometBFT's upper case", () => {
    expect(shortHash("ab".repeat(32))).toBe("ABABAB…ABABAB");
    expect(shortHash(null)).toBe("—");
  });
  it("groups thousands", () => {
    expect(formatAmount("1234567")).toBe("1\u202f234\u202f567");
    expect(formatAmount("12")).toBe("12");
  });
});

describe("parseLookup", () => {
  const hash = "A1".repeat(32);
  it("recognises a tx hash (with or without 0x)", () => {
    expect(parseLookup(` ${hash} `)).toEqual({ kind: "tx", txHash: hash });
    expect(parseLookup(`0x${hash.toLowerCase()}`)).toEqual({ kind: "tx", txHash: hash.toLowerCase() });
  });
  it("recognises chain/channel/sequence and chain/port/channel/sequence", () => {
    expect(parseLookup("stateset-devnet-1/channel-0/12")).toEqual({
      kind: "sequence",
      chain: "stateset-devnet-1",
      channel: "channel-0",
      sequence: 12,
    });
    expect(parseLookup("partner-devnet-1/transfer/07-tendermint-1/3")).toEqual({
      kind: "sequence",
      chain: "partner-devnet-1",
      port: "transfer",
      channel: "07-tendermint-1",
      sequence: 3,
    });
    expect(parseLookup("a/channel-0/0").kind).toBe("invalid");
  });
  it("recognises a bech32 address", () => {
    expect(parseLookup("cosmos1334zx8uq9vggqdjaqdtyt4vgwdk2aah0anv9hm")).toEqual({
      kind: "address",
      address: "cosmos1334zx8uq9vggqdjaqdtyt4vgwdk2aah0anv9hm",
    });
  });
  it("refuses anything else", () => {
    expect(parseLookup("").kind).toBe("invalid");
    expect(parseLookup("hello world").kind).toBe("invalid");
  });
});
