import { describe, expect, it } from "vitest";
import { normaliseTrace } from "../../../adapters/conformance/trace-normalise.ts";
import type { TraceEntry } from "../../../adapters/conformance/trace-recorder.ts";

const migration = (status: string): TraceEntry => ({
  kind: "event",
  event: "MIGRATION",
  data: { status },
  timestamp: { seconds: 1, microseconds: 2 },
});
const pass = (n: number): TraceEntry => ({ kind: "event", event: "MIGRATION_PASS", data: { pass: n } });

describe("normaliseTrace", () => {
  it("drops timestamps, hides numbers in query-migrate results, keeps strings and order", () => {
    const source: TraceEntry[] = [
      migration("setup"),
      { kind: "reply", command: "migrate", return: {} },
      { kind: "snapshot", label: "end", info: { status: "failed", "error-desc": "boom", ram: { total: 5 } } },
      {
        kind: "error",
        command: "migrate",
        class: "GenericError",
        desc: "There's a migration process in progress",
      },
    ];
    const trace = normaliseTrace({ scenario: "x", source, destination: [] }, {});
    expect(trace.source).toEqual([
      'event MIGRATION {"status":"setup"}',
      "reply migrate {}",
      'snapshot end {"error-desc":"boom","ram":{"total":"<n>"},"status":"failed"}',
      "error migrate GenericError: There's a migration process in progress",
    ]);
  });

  it("folds the two texts of a dead peer into one, and keeps every other error text", () => {
    const failed = (desc: string): TraceEntry => ({
      kind: "snapshot",
      label: "end",
      info: { status: "failed", "error-desc": desc },
    });
    const [epipe, reset, other] = [
      "Unable to write to socket: Broken pipe",
      "Unable to write to socket: Connection reset by peer",
      "Unable to write to socket: Permission denied",
    ].map((desc) => normaliseTrace({ scenario: "x", source: [failed(desc)], destination: [] }, {}).source);
    expect(epipe).toEqual(reset);
    expect(other).not.toEqual(epipe);
  });

  it("drops only the repeats of a scenario's repeatedStatuses, keeping their first report", () => {
    const source: TraceEntry[] = [
      migration("setup"),
      migration("cancelling"),
      { kind: "reply", command: "migrate_cancel", return: {} },
      migration("cancelling"),
      migration("setup"),
      migration("cancelled"),
    ];
    const trace = normaliseTrace(
      { scenario: "x", source, destination: [] },
      { repeatedStatuses: ["cancelling"] },
    );
    expect(trace.source).toEqual([
      'event MIGRATION {"status":"setup"}',
      'event MIGRATION {"status":"cancelling"}',
      "reply migrate_cancel {}",
      'event MIGRATION {"status":"setup"}',
      'event MIGRATION {"status":"cancelled"}',
    ]);
  });

  it("summarises MIGRATION_PASS and tells a broken count apart", () => {
    const ok = normaliseTrace({ scenario: "x", source: [pass(1), pass(2)], destination: [pass(2)] }, {});
    expect(ok.passes).toEqual({ source: "counted from 1", destination: "out of order: 2" });
    expect(ok.source).toEqual([]);
  });

  it("drops only the scenario's racy statuses", () => {
    const trace = normaliseTrace(
      { scenario: "x", source: [migration("active"), migration("cancelling")], destination: [] },
      { racyStatuses: ["active"] },
    );
    expect(trace.source).toEqual(['event MIGRATION {"status":"cancelling"}']);
  });

  it("compares a racy reply but not its position", () => {
    const reply: TraceEntry = { kind: "reply", command: "migrate_cancel", return: {} };
    const before = normaliseTrace(
      { scenario: "x", source: [reply, migration("cancelled")], destination: [] },
      { racyReplies: ["migrate_cancel"] },
    );
    const after = normaliseTrace(
      { scenario: "x", source: [migration("cancelled"), reply], destination: [] },
      { racyReplies: ["migrate_cancel"] },
    );
    expect(before).toEqual(after);
    expect(before.source).toEqual([
      'event MIGRATION {"status":"cancelled"}',
      "(position not compared) reply migrate_cancel {}",
    ]);
  });
});
