import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Direction } from "../../../adapters/job-facade/machine-choice.ts";
import { MigrationJob } from "../../../adapters/job-facade/migration-job.ts";
import { MigrationJobStateMachine } from "../../../src/generated/state-tables.ts";
import { isLegalJobWalk } from "./legal-walk.ts";

const KNOWN: readonly string[] = MigrationJobStateMachine.states;
const status = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 1, arbitrary: fc.constantFrom("failing", "toString", "") },
);

function traceOf(direction: Direction, postcopy: boolean, observed: readonly string[]) {
  const events: string[] = [];
  const job = new MigrationJob(
    { id: "j", direction, postcopy, uri: "u", autoFinalize: true, autoDismiss: false },
    {
      statusChanged: (_id, s) => events.push(`status ${s}`),
      substatusChanged: (_id, s) => events.push(`sub ${s}`),
    },
  );
  job.announce();
  for (const s of observed) job.observe(s);
  return { events, job };
}

describe("MigrationJob", () => {
  it("any sequence of observed MigrationStatus values yields a legal JobSTT walk, in every machine", () => {
    const machines = fc.constantFrom<[Direction, boolean]>(
      ["outgoing", false],
      ["outgoing", true],
      ["incoming", false],
    );
    fc.assert(
      fc.property(machines, fc.array(status, { maxLength: 40 }), ([direction, postcopy], observed) => {
        const { events, job } = traceOf(direction, postcopy, observed);
        expect(isLegalJobWalk(events)).toBe(true);
        // The job status always matches the last event, and never leaves concluded except to null.
        const lastStatus = events.filter((e) => e.startsWith("status ")).at(-1);
        expect(lastStatus).toBe(`status ${job.status}`);
      }),
      { numRuns: 2000 },
    );
  });

  it("the walk checker itself rejects an illegal walk (so the property can fail)", () => {
    expect(isLegalJobWalk(["status created", "status pending"])).toBe(false);
    expect(isLegalJobWalk(["status created", "status running", "status concluded"])).toBe(false);
  });

  it("goes through the declared via states, not the shortest path", () => {
    const { events } = traceOf("outgoing", true, [
      "setup",
      "active",
      "pre-switchover",
      "device",
      "completed",
    ]);
    expect(events.filter((e) => e.startsWith("status "))).toEqual([
      "status created",
      "status running",
      "status ready",
      "status standby",
      "status ready",
      "status waiting",
      "status pending",
      "status concluded",
    ]);
  });

  it("follows QEMU 10.0's postcopy switch through device into postcopy-active, without anomaly", () => {
    const anomalies: string[] = [];
    const events: string[] = [];
    const job = new MigrationJob(
      { id: "j", direction: "outgoing", postcopy: true, uri: "u", autoFinalize: true, autoDismiss: false },
      {
        statusChanged: (_id, s) => events.push(`status ${s}`),
        substatusChanged: (_id, s) => events.push(`sub ${s}`),
        anomaly: (_id, message) => anomalies.push(message),
      },
    );
    job.announce();
    for (const s of ["setup", "active", "device", "postcopy-active", "completed"]) job.observe(s);
    expect(events).toEqual([
      "status created",
      "status running",
      "sub setup",
      "status ready",
      "sub active",
      "sub device",
      "sub postcopy-active",
      "status waiting",
      "status pending",
      "status concluded",
      "sub completed",
    ]);
    expect(anomalies).toEqual([]);
  });

  it("an undeclared jump into failure still shows aborting (device → cancelled, a lost cancel race)", () => {
    const { events } = traceOf("outgoing", false, [
      "setup",
      "active",
      "pre-switchover",
      "device",
      "cancelled",
    ]);
    expect(events.slice(-3)).toEqual(["status aborting", "status concluded", "sub cancelled"]);
    const success = traceOf("outgoing", false, ["setup", "active", "pre-switchover", "device", "completed"]);
    expect(success.events).not.toContain("status aborting");
  });

  it("any sequence that ends in failure passes aborting right before concluding", () => {
    const running = status.filter((s) => !["completed", "failed", "cancelled"].includes(s));
    fc.assert(
      fc.property(
        fc.array(running, { maxLength: 20 }),
        fc.constantFrom("failed", "cancelled"),
        (observed, end) => {
          const statuses = traceOf("outgoing", false, [...observed, end]).events.filter((e) =>
            e.startsWith("status "),
          );
          expect(statuses.at(-1)).toBe("status concluded");
          expect(statuses.at(-2)).toBe("status aborting");
        },
      ),
    );
  });

  it("stays concluded when QEMU reports something after the end", () => {
    const { job, events } = traceOf("outgoing", false, ["setup", "completed", "active"]);
    expect(job.status).toBe("concluded");
    expect(job.substatus).toBe("completed");
    expect(events.at(-1)).toBe("sub completed");
  });

  it("accepts verbs from its machine's table for the substatus", () => {
    const { job } = traceOf("outgoing", true, ["setup", "active"]);
    expect(job.accepts("complete")).toBe(true);
    expect(job.accepts("finalize")).toBe(false);
    const plain = traceOf("outgoing", false, ["setup", "active"]).job;
    expect(plain.accepts("complete")).toBe(false);
    expect(plain.accepts("cancel")).toBe(true);
  });
});
