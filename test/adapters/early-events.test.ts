/**
 * Issue 16, part 3 (decision 0008) without QEMU: what a proxy's upstream emits before any client
 * has negotiated waits for the first one, after the answer to its `qmp_capabilities`, before any
 * later event; later clients get none of it; the hold keeps the newest EARLY_EVENT_LIMIT events.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EARLY_EVENT_LIMIT, EarlyEvents } from "../../adapters/job-facade/early-events.ts";
import { UpstreamEvents } from "../../adapters/job-facade/upstream.ts";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../../adapters/proxy.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { RawQmpSession } from "../helpers/raw-qmp-session.ts";
import { FakeQemu } from "./job-facade/fake-qemu.ts";

const NEGOTIATE = '{"execute": "qmp_capabilities"}\r\n';

/** An event line without its timestamp: what a client would compare. */
const named = (line: string | undefined): { event?: string; data?: unknown; return?: unknown } => {
  const { timestamp: _, ...rest } = JSON.parse(line ?? "null") as Record<string, unknown>;
  return rest;
};

describe("EarlyEvents", () => {
  it("keeps the newest `limit` items, counts the rest, and holds nothing once released", () => {
    const hold = new EarlyEvents<number>(3);
    for (const n of [1, 2, 3, 4, 5]) expect(hold.hold(n)).toBe(true);
    expect(hold.dropped).toBe(2);
    expect(hold.release()).toEqual([3, 4, 5]);
    expect(hold.holding).toBe(false);
    expect(hold.hold(6)).toBe(false);
    expect(hold.release()).toEqual([]);
  });
});

describe("UpstreamEvents", () => {
  it("hands the first listener what came before it, in order, then passes events on live", () => {
    const events = new UpstreamEvents();
    const event = (name: string): QmpEvent => ({ event: name, timestamp: { seconds: 0, microseconds: 0 } });
    events.deliver(event("A"));
    events.deliver(event("B"));
    const first: string[] = [];
    const second: string[] = [];
    events.add((e) => first.push(e.event));
    events.add((e) => second.push(e.event));
    events.deliver(event("C"));
    expect(first).toEqual(["A", "B", "C"]);
    expect(second).toEqual(["C"]);
  });
});

describe("a proxy's events before its first client", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const socketIn = (name: string): string => {
    const dir = mkdtempSync(path.join(tmpdir(), "jobshim-early-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return path.join(dir, name);
  };

  const jobsProxyOverFake = async () => {
    const qemu = new FakeQemu();
    const socket = socketIn("jobs.sock");
    const proxy = await createJobFacadeProxy({ upstream: qemu, listen: [`unix:${socket}`] });
    cleanups.push(() => proxy.close());
    return { qemu, socket };
  };

  const client = async (socket: string): Promise<RawQmpSession> => {
    const session = await RawQmpSession.open(socket);
    cleanups.push(() => session.close());
    await session.exchange(undefined, 1); // the greeting
    return session;
  };

  it("gives the first client the held events right after its negotiation's answer, before live ones", async () => {
    const { qemu, socket } = await jobsProxyOverFake();
    qemu.emit("SUSPEND");
    qemu.emit("RTC_CHANGE", { offset: 7 });
    const first = await client(socket);
    const lines = await first.exchange(NEGOTIATE, 3);
    expect(lines.map(named)).toEqual([
      { return: {} },
      { event: "SUSPEND" },
      { event: "RTC_CHANGE", data: { offset: 7 } },
    ]);
    qemu.emit("WAKEUP");
    expect((await first.exchange(undefined, 1)).map(named)).toEqual([{ event: "WAKEUP" }]);
  });

  it("gives a later client nothing of what happened before it came, as QEMU does", async () => {
    const { qemu, socket } = await jobsProxyOverFake();
    qemu.emit("SUSPEND");
    const silent = await client(socket); // connected first, but never negotiates until the end
    const first = await client(socket);
    expect((await first.exchange(NEGOTIATE, 2)).map(named)).toEqual([{ return: {} }, { event: "SUSPEND" }]);
    qemu.emit("RESUME"); // live: only `first` is negotiated
    expect((await first.exchange(undefined, 1)).map(named)).toEqual([{ event: "RESUME" }]);
    const later = await client(socket);
    expect((await later.exchange(NEGOTIATE, 1)).map(named)).toEqual([{ return: {} }]);
    expect((await silent.exchange(NEGOTIATE, 1)).map(named)).toEqual([{ return: {} }]);
    qemu.emit("WAKEUP");
    for (const session of [first, later, silent]) {
      const next = await session.exchange(undefined, 1);
      expect(next.map(named)).toEqual([{ event: "WAKEUP" }]);
    }
  });

  it("holds the newest EARLY_EVENT_LIMIT events: the first client sees an unbroken tail", async () => {
    const { qemu, socket } = await jobsProxyOverFake();
    const extra = 5;
    for (let n = 0; n < EARLY_EVENT_LIMIT + extra; n++) qemu.emit("RTC_CHANGE", { offset: n });
    const first = await client(socket);
    const lines = (await first.exchange(NEGOTIATE, 1 + EARLY_EVENT_LIMIT)).map(named);
    const offsets = lines.slice(1).map((line) => (line.data as { offset: number }).offset);
    expect(offsets).toEqual(Array.from({ length: EARLY_EVENT_LIMIT }, (_, i) => i + extra));
    qemu.emit("WAKEUP");
    expect((await first.exchange(undefined, 1)).map(named)).toEqual([{ event: "WAKEUP" }]);
  });

  it("legacy∘jobs: the legacy proxy is the jobs proxy's first client, and holds for its own", async () => {
    const { qemu, socket } = await jobsProxyOverFake();
    qemu.emit("SUSPEND");
    const legacySocket = socketIn("legacy.sock");
    const legacy = await createLegacyFacadeProxy({
      upstream: `unix:${socket}`,
      listen: [`unix:${legacySocket}`],
    });
    cleanups.push(() => legacy.close());
    qemu.emit("WAKEUP");
    const first = await client(legacySocket);
    expect((await first.exchange(NEGOTIATE, 3)).map(named)).toEqual([
      { return: {} },
      { event: "SUSPEND" },
      { event: "WAKEUP" },
    ]);
  });
});
