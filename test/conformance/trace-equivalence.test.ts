/**
 * Trace equivalence (issue 6, "Exhaustive checks"): for EVERY sequence of legacy commands and
 * environment events up to a depth, the legacy client of legacy facade ∘ job facade ∘ QEMU sees
 * exactly the trace the pure legacy model gives (QEMU 7.2 plus jobshim's declared deviations).
 * Two explorations:
 *  A. the whole alphabet (migration commands, query-migrate, the three capabilities, progress
 *     and link failure), every sequence of DEPTH_A steps from a fresh QEMU;
 *  B. the migration commands and environment events only, every sequence of DEPTH_B steps after
 *     each capability prelude (events on; postcopy-ram × pause-before-switchover), with
 *     query-migrate observed after every step — deep enough to reach the switchover hold, postcopy
 *     and its pause, and to act there.
 * Only sequences of exactly the depth are run: the trace of a prefix is a prefix of theirs.
 */
import { describe, expect, it } from "vitest";
import {
  ACTIONS,
  type Action,
  CAPS_EVENTS,
  CAPS_HOLD,
  CAPS_POSTCOPY,
  MIGRATION_ACTIONS,
  QUERY,
  specTrace,
  stackTrace,
} from "./legacy-traces.ts";

const DEPTH_A = Number(process.env.CONFORMANCE_DEPTH_A ?? 4);
const DEPTH_B = Number(process.env.CONFORMANCE_DEPTH_B ?? 5);

const PRELUDES: Action[][] = [
  [CAPS_EVENTS],
  [CAPS_EVENTS, CAPS_POSTCOPY],
  [CAPS_EVENTS, CAPS_HOLD],
  [CAPS_EVENTS, CAPS_POSTCOPY, CAPS_HOLD],
];

function* sequences(alphabet: Action[], depth: number, prefix: Action[] = []): Generator<Action[]> {
  if (prefix.length === depth) {
    yield prefix;
    return;
  }
  for (const action of alphabet) yield* sequences(alphabet, depth, [...prefix, action]);
}

async function explore(runs: Iterable<Action[]>, queryEach: boolean) {
  let explored = 0;
  const diverging: string[] = [];
  for (const sequence of runs) {
    explored++;
    const spec = specTrace(sequence, queryEach).join("\n");
    const stack = (await stackTrace(sequence, queryEach)).join("\n");
    if (stack === spec) continue;
    diverging.push(`${sequence.map((a) => a.name).join(", ")}\n--- model:\n${spec}\n--- facades:\n${stack}`);
    // Ten counterexamples say enough; a broken stack may time out on every sequence.
    if (diverging.length >= 10) break;
  }
  return { explored, diverging };
}

function* withPreludes(depth: number): Generator<Action[]> {
  for (const prelude of PRELUDES)
    for (const body of sequences(MIGRATION_ACTIONS, depth)) yield [...prelude, ...body];
}

describe("legacy facade ∘ job facade ∘ QEMU is trace-equivalent to the legacy model", () => {
  it("migrate-start-postcopy asked in setup is kept: the migration switches to postcopy once active, as in QEMU 7.2", async () => {
    const advance = MIGRATION_ACTIONS.find((a) => a.name === "advance") as Action;
    const [migrate, , , startPostcopy] = MIGRATION_ACTIONS as [Action, Action, Action, Action];
    const sequence = [CAPS_EVENTS, CAPS_POSTCOPY, migrate, startPostcopy, advance, advance, QUERY];
    const qemu = specTrace(sequence);
    // The model itself must take the postcopy path here, or this test would prove nothing.
    expect(qemu.join("\n")).toContain("MIGRATION postcopy-active");
    expect(await stackTrace(sequence)).toEqual(qemu);
  });

  it("pause-before-switchover with postcopy: held at pre-switchover, migrate-continue enters postcopy, as in QEMU 7.2", async () => {
    const [migrate, , resume, startPostcopy] = MIGRATION_ACTIONS as [Action, Action, Action, Action];
    const advance = MIGRATION_ACTIONS.find((a) => a.name === "advance") as Action;
    const pause = MIGRATION_ACTIONS.find((a) => a.name === "pause") as Action;
    const sequence = [CAPS_EVENTS, CAPS_POSTCOPY, CAPS_HOLD, migrate, advance, startPostcopy, advance];
    const held = [...sequence, QUERY, resume, QUERY, pause, advance];
    const qemu = specTrace(held);
    expect(qemu.join("\n")).toMatch(
      /MIGRATION pre-switchover[\s\S]*MIGRATION postcopy-active[\s\S]*postcopy-paused/,
    );
    expect(await stackTrace(held)).toEqual(qemu);
  });

  it("migrate_cancel in postcopy is obeyed, as QEMU 7.2 does", async () => {
    const [migrate, cancel, , startPostcopy] = MIGRATION_ACTIONS as [Action, Action, Action, Action];
    const advance = MIGRATION_ACTIONS.find((a) => a.name === "advance") as Action;
    const sequence = [
      CAPS_EVENTS,
      CAPS_POSTCOPY,
      migrate,
      advance,
      startPostcopy,
      advance,
      cancel,
      advance,
      QUERY,
    ];
    const qemu = specTrace(sequence);
    expect(qemu.join("\n")).toMatch(/MIGRATION postcopy-active[\s\S]*MIGRATION cancelling[\s\S]*"cancelled"/);
    expect(await stackTrace(sequence)).toEqual(qemu);
  });

  it(`A: all ${ACTIONS.length}^${DEPTH_A} sequences of the whole alphabet`, {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const { explored, diverging } = await explore(sequences(ACTIONS, DEPTH_A), false);
    console.log(
      `trace equivalence A: depth ${DEPTH_A}, ${explored} sequences explored over ${ACTIONS.length} actions, ${Date.now() - started} ms`,
    );
    expect(diverging).toEqual([]);
    expect(explored).toBe(ACTIONS.length ** DEPTH_A);
  });

  it(`B: ${PRELUDES.length} preludes × ${MIGRATION_ACTIONS.length}^${DEPTH_B} sequences, query-migrate after each step`, {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const { explored, diverging } = await explore(withPreludes(DEPTH_B), true);
    console.log(
      `trace equivalence B: depth ${DEPTH_B} after ${PRELUDES.length} capability preludes, ${explored} sequences explored over ${MIGRATION_ACTIONS.length} actions, ${Date.now() - started} ms`,
    );
    expect(diverging).toEqual([]);
    expect(explored).toBe(PRELUDES.length * MIGRATION_ACTIONS.length ** DEPTH_B);
  });
});
