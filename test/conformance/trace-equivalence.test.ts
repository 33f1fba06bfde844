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
 *
 * Per profile: QEMU 7.2 (the scripted QEMU and the spec both 7.2's), and QEMU 10.0 (both
 * 10.0's: every switchover passes device, cancel refused in postcopy by QEMU itself, 10.0's
 * texts). On each, every sequence is explored and no divergence is allowed (on 10.0 each
 * sequence's first divergence is recorded, so the failure lists them all).
 */
import { describe, expect, it } from "vitest";
import type { LegacyVersion } from "./legacy-model.ts";
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

/**
 * A divergence's signature: the step where the traces first differ, and the first line of that
 * step's text (reply, event, or query after it) on each side. The state reached before it is
 * left out, so one cause met in many states is one signature.
 */
function signature(sequence: Action[], spec: string[], stack: string[]): string | undefined {
  const step = spec.findIndex((line, i) => line !== stack[i]);
  if (step < 0) return undefined;
  const model = (spec[step] ?? "").split("\n");
  const facades = (stack[step] ?? "").split("\n");
  const line = model.findIndex((text, i) => text !== facades[i]);
  return `${sequence[step]?.name}: model «${model[line] ?? ""}» / facades «${facades[line] ?? ""}»`;
}

/** Every sequence, run on one profile; each divergence's signature with how often it was met. */
async function exploreSignatures(runs: Iterable<Action[]>, queryEach: boolean, version: LegacyVersion) {
  let explored = 0;
  const signatures = new Map<string, number>();
  for (const sequence of runs) {
    explored++;
    const spec = specTrace(sequence, queryEach, version);
    const found = signature(sequence, spec, await stackTrace(sequence, queryEach, version));
    if (found !== undefined) signatures.set(found, (signatures.get(found) ?? 0) + 1);
  }
  return { explored, signatures };
}

function* withPreludes(depth: number): Generator<Action[]> {
  for (const prelude of PRELUDES)
    for (const body of sequences(MIGRATION_ACTIONS, depth)) yield [...prelude, ...body];
}

describe("legacy facade ∘ job facade ∘ QEMU 7.2 is trace-equivalent to the legacy model of 7.2", () => {
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

describe("legacy facade ∘ job facade ∘ QEMU 10.0 is trace-equivalent to the legacy model of 10.0", () => {
  /** No divergence; each one found is listed with how many sequences it ended. */
  const expectNone = (signatures: Map<string, number>) => {
    for (const [text, count] of signatures) console.log(`  ${count} × ${text}`);
    expect([...signatures.keys()]).toEqual([]);
  };

  it("the 10.0 model itself passes device on a plain switchover and refuses cancel in postcopy", () => {
    const [migrate, cancel, , startPostcopy] = MIGRATION_ACTIONS as [Action, Action, Action, Action];
    const advance = MIGRATION_ACTIONS.find((a) => a.name === "advance") as Action;
    const plain = specTrace([CAPS_EVENTS, migrate, advance, advance, advance], false, "10.0").join("\n");
    expect(plain).toContain("MIGRATION device\nadvance -> -\n  ! MIGRATION completed");
    const postcopy = [CAPS_EVENTS, CAPS_POSTCOPY, migrate, startPostcopy, advance, advance, advance, cancel];
    expect(specTrace(postcopy, false, "10.0").at(-1)).toBe(
      "cancel -> error Postcopy migration in progress, cannot cancel.",
    );
  });

  it(`A: all ${ACTIONS.length}^${DEPTH_A} sequences of the whole alphabet: no divergence`, {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const { explored, signatures } = await exploreSignatures(sequences(ACTIONS, DEPTH_A), false, "10.0");
    console.log(`trace equivalence 10.0 A: ${explored} sequences, ${Date.now() - started} ms`);
    expect(explored).toBe(ACTIONS.length ** DEPTH_A);
    expectNone(signatures);
  });

  it(`B: ${PRELUDES.length} preludes × ${MIGRATION_ACTIONS.length}^${DEPTH_B} sequences: no divergence`, {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const { explored, signatures } = await exploreSignatures(withPreludes(DEPTH_B), true, "10.0");
    console.log(`trace equivalence 10.0 B: ${explored} sequences, ${Date.now() - started} ms`);
    expect(explored).toBe(PRELUDES.length * MIGRATION_ACTIONS.length ** DEPTH_B);
    expectNone(signatures);
  });
});
