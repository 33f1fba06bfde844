import { describe, expect, it } from "vitest";
import { CATALOGUE, selectEntries } from "../../../adapters/conformance/catalogue/index.ts";
import { walkVerbs } from "../../../adapters/conformance/catalogue/job-steps.ts";
import { HELD_STATES, JOB_VERBS } from "../../../adapters/conformance/catalogue/verb-matrix.ts";
import { verbTableAllows } from "../../helpers/qemu-job-tables.ts";

describe("the conformance catalogue", () => {
  it("has at least 40 scenarios, uniquely named, each tagged and documented", () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CATALOGUE.map((e) => e.name)).size).toBe(CATALOGUE.length);
    for (const entry of CATALOGUE) {
      expect(entry.scenario.tags.length, entry.name).toBeGreaterThan(0);
      expect(entry.scenario.doc.length, entry.name).toBeGreaterThan(20);
    }
  });

  it("gives every job scenario an expected trace", () => {
    for (const entry of CATALOGUE.filter((e) => e.api === "jobs")) {
      const expected = entry.api === "jobs" ? Object.values(entry.scenario.expect) : [];
      // A side may be expected to see nothing (a source without a job); not every side.
      const lines = expected.reduce((sum, side) => sum + side.events.length + side.replies.length, 0);
      expect(lines, entry.name).toBeGreaterThan(0);
    }
  });

  it("covers issue 6's list by tag", () => {
    const tags = new Set(CATALOGUE.flatMap((e) => e.scenario.tags));
    for (const tag of [
      "cancel",
      "switchover",
      "postcopy",
      "recovery",
      "fault",
      "verbs",
      "auto-finalize",
      "clients",
      "unknown-status",
      "transaction",
      "progress",
      "schema",
    ])
      expect(tags, tag).toContain(tag);
  });

  it("selects by full name, by name without prefix, and by tag", () => {
    expect(selectEntries(CATALOGUE, ["jobs/cancel-in-active"]).map((e) => e.name)).toEqual([
      "jobs/cancel-in-active",
    ]);
    expect(selectEntries(CATALOGUE, ["plain-migration"]).map((e) => e.name)).toEqual([
      "legacy/plain-migration",
    ]);
    const progress = selectEntries(CATALOGUE, ["progress"]);
    expect(progress.map((e) => e.name)).toEqual(["jobs/progress"]);
    expect(selectEntries(CATALOGUE, [])).toHaveLength(CATALOGUE.length);
    expect(selectEntries(CATALOGUE, ["no-such"])).toEqual([]);
  });
});

describe("the verb matrix (decision 0001, written out)", () => {
  it("accepts a verb only where QEMU's JobVerbTable allows it for the mapped job status", () => {
    for (const held of HELD_STATES)
      for (const verb of held.accepts)
        expect(verbTableAllows(verb, held.status), `${held.machine}/${held.substatus} ${verb}`).toBe(true);
  });

  it("walks every verb: refused ones with QEMU's text and the job status, harmless accepted ones sent", () => {
    const held = HELD_STATES.find((h) => h.machine === "outgoing" && h.substatus === "active");
    if (!held) throw new Error("outgoing/active missing");
    const walk = walkVerbs(held, "source", ["set-speed", "change"]);
    expect(walk.steps).toHaveLength(JOB_VERBS.length - 1); // cancel is accepted but not sent
    expect(walk.replies).toEqual([
      "error job-pause GenericError: Job 'm0' in state 'running' cannot accept command verb 'pause'",
      "error job-resume GenericError: Job 'm0' in state 'running' cannot accept command verb 'resume'",
      "ok job-change",
      "error job-complete GenericError: Job 'm0' in state 'running' cannot accept command verb 'complete'",
      "error job-dismiss GenericError: Job 'm0' in state 'running' cannot accept command verb 'dismiss'",
      "error job-finalize GenericError: Job 'm0' in state 'running' cannot accept command verb 'finalize'",
      "ok job-change",
    ]);
    expect(() => walkVerbs(held, "source", ["finalize"])).toThrow(/not accepted/);
  });

  it("names set-speed in the refusal only where change itself is allowed (job-change checks change first)", () => {
    const paused = HELD_STATES.find((h) => h.machine === "postcopy" && h.substatus === "postcopy-paused");
    const concluded = HELD_STATES.find((h) => h.machine === "outgoing" && h.substatus === "completed");
    if (!paused || !concluded) throw new Error("held states missing");
    expect(walkVerbs(paused, "source").replies).toContain(
      "error job-change GenericError: Job 'm0' in state 'standby' cannot accept command verb 'set-speed'",
    );
    expect(walkVerbs(concluded, "source").replies.filter((r) => r.includes("verb 'set-speed'"))).toEqual([]);
  });
});
