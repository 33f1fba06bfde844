/**
 * Exhaustive proofs over the generated tables (issue 6, "Exhaustive checks"): every transition of
 * each migration machine is a JobSTT path, every verb refinement is inside JobVerbTable, every
 * MigrationStatus of QEMU 7.2 and the newer ones has a job status, and the tables are decision
 * 0001's. The oracles are literal tables; see mapping-checks.ts.
 */
import { describe, expect, it } from "vitest";
import * as generated from "../../src/generated/state-tables.ts";
import { MACHINES, NEWER_STATUSES } from "./decision-0001.ts";
import {
  checkAll,
  checkBaseMachine,
  checkCoverage,
  checkDeclared,
  checkOutcomes,
  checkPaths,
  checkVerbSubset,
  qemu72Statuses,
} from "./mapping-checks.ts";

const tables = generated.stateMachines;
// The coverage proofs need QEMU 7.2's own MigrationStatus; the other proofs run without it.
const qemuStatuses = qemu72Statuses();
const statuses = [...(qemuStatuses ?? []), ...NEWER_STATUSES];
const itWithQemuStatuses = it.skipIf(qemuStatuses === undefined);

describe("exhaustive mapping proofs over src/generated/state-tables.ts", () => {
  itWithQemuStatuses("knows QEMU 7.2's 14 statuses", () => {
    expect(statuses.slice(0, 14)).toContain("wait-unplug");
    expect(statuses).toHaveLength(16);
  });

  it("JobStateMachine is QEMU's JobSTT and JobVerbTable cell by cell (121 + 88 cells)", () => {
    expect(checkBaseMachine(tables.JobStateMachine)).toEqual([]);
  });

  for (const name of MACHINES) {
    const m = tables[name];
    it(`${name}: every transition is a legal JobSTT path`, () => {
      const count = Object.values(m.transitions).reduce((n, to) => n + to.length, 0);
      console.log(`${name}: ${count} transitions, each path checked step by step against JobSTT`);
      expect(count).toBeGreaterThan(0);
      expect(checkPaths(m)).toEqual([]);
    });
    it(`${name}: failures and cancels pass aborting, completions never`, () => {
      expect(checkOutcomes(m)).toEqual([]);
    });
    it(`${name}: the verb refinement is a subset of JobVerbTable`, () => {
      const cells = Object.values(m.verbTable).reduce((n, states) => n + states.length, 0);
      console.log(`${name}: ${cells} (verb, substatus) permissions checked against JobVerbTable`);
      expect(checkVerbSubset(m)).toEqual([]);
    });
    itWithQemuStatuses(`${name}: every MigrationStatus (7.2 and newer) has a job status`, () => {
      expect(checkCoverage(m, statuses)).toEqual([]);
    });
    it(`${name}: mapping and verbs are decision 0001's tables`, () => {
      expect(checkDeclared(m, name)).toEqual([]);
    });
  }

  itWithQemuStatuses("all checks together find nothing", () => {
    expect(checkAll(tables, statuses)).toEqual([]);
  });
});
