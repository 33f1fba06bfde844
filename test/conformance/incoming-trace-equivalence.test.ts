/**
 * Trace equivalence on the DESTINATION (issue 6, "Exhaustive checks"; the outgoing side is
 * trace-equivalence.test.ts): for EVERY sequence of a destination client's legacy commands and
 * environment steps up to a depth, the legacy client of legacy facade ∘ job facade ∘ a scripted
 * destination QEMU sees exactly the trace of the pure model of QEMU 7.2's destination
 * (incoming-legacy-model.ts), with jobshim's declared deviations (incoming-traces.ts). Replies, MIGRATION events, and after each step query-migrate (status,
 * error-desc, socket-address) and how many jobs query-jobs lists.
 *  A. the whole alphabet (12 incoming actions, `events` on/off, `postcopy-ram` on,
 *     query-migrate), every sequence of DEPTH_A steps from a fresh destination;
 *  B. the 12 incoming actions, every sequence of DEPTH_B steps after each prelude that puts the
 *     destination in one of its statuses (listening, active, postcopy-active, postcopy-paused,
 *     recovery listening, postcopy-recover, completed after postcopy; events on), postcopy-active
 *     with events off, and listening after a refused listen.
 * Only sequences of exactly the depth are run: the trace of a prefix is a prefix of theirs (a step
 * that makes QEMU exit ends a trace early on both sides).
 */
import { describe, expect, it } from "vitest";
import {
  ALL_INCOMING_ACTIONS,
  BREAK,
  COMPLETE,
  CONNECT,
  EVENTS_ON,
  INCOMING,
  INCOMING_ACTIONS,
  INCOMING_BAD,
  type IncomingAction,
  incomingSpecTrace,
  incomingStackTrace,
  POSTCOPY,
  QUERY,
  RECOVER,
} from "./incoming-traces.ts";

const DEPTH_A = Number(process.env.CONFORMANCE_INCOMING_DEPTH_A ?? 4);
const DEPTH_B = Number(process.env.CONFORMANCE_INCOMING_DEPTH_B ?? 3);

const LISTENING = [EVENTS_ON, INCOMING];
const ACTIVE = [...LISTENING, CONNECT];
const POSTCOPY_ACTIVE = [...ACTIVE, POSTCOPY];
const PAUSED = [...POSTCOPY_ACTIVE, BREAK];
const RECOVERING = [...PAUSED, RECOVER];
const PRELUDES: IncomingAction[][] = [
  LISTENING,
  ACTIVE,
  POSTCOPY_ACTIVE,
  PAUSED,
  RECOVERING,
  [...RECOVERING, CONNECT],
  [...POSTCOPY_ACTIVE, COMPLETE],
  [INCOMING, CONNECT, POSTCOPY],
  [INCOMING_BAD, EVENTS_ON, INCOMING],
];

function* sequences(
  alphabet: IncomingAction[],
  depth: number,
  prefix: IncomingAction[] = [],
): Generator<IncomingAction[]> {
  if (prefix.length === depth) {
    yield prefix;
    return;
  }
  for (const action of alphabet) yield* sequences(alphabet, depth, [...prefix, action]);
}

function* withPreludes(depth: number): Generator<IncomingAction[]> {
  for (const prelude of PRELUDES)
    for (const body of sequences(INCOMING_ACTIONS, depth)) yield [...prelude, ...body];
}

async function explore(runs: Iterable<IncomingAction[]>, queryEach: boolean) {
  let explored = 0;
  const diverging: string[] = [];
  for (const sequence of runs) {
    explored++;
    const spec = incomingSpecTrace(sequence, queryEach).join("\n");
    const stack = (await incomingStackTrace(sequence, queryEach)).join("\n");
    if (stack === spec) continue;
    diverging.push(`${sequence.map((a) => a.name).join(", ")}\n--- model:\n${spec}\n--- facades:\n${stack}`);
    // Ten counterexamples say enough; a broken stack may time out on every sequence.
    if (diverging.length >= 10) break;
  }
  return { explored, diverging };
}

describe("legacy facade ∘ job facade ∘ destination QEMU is trace-equivalent to QEMU 7.2's destination", () => {
  it("the model reaches every destination status the alphabet is meant to cover", () => {
    const trace = incomingSpecTrace([...RECOVERING, CONNECT, ...INCOMING_ACTIONS.slice(-1)], true).join("\n");
    for (const status of ["setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover"])
      expect(trace).toContain(`MIGRATION ${status}`);
    expect(incomingSpecTrace([...ACTIVE, BREAK]).join("\n")).toContain("QEMU exited");
  });

  it("query-migrate shows only the listening address while the destination waits (7.2: no status yet)", async () => {
    const trace = await incomingStackTrace([EVENTS_ON, INCOMING, QUERY], true);
    expect(trace).toEqual(incomingSpecTrace([EVENTS_ON, INCOMING, QUERY], true));
    expect(trace[2]).toMatch(/^query-migrate -> \{"socket-address":\[.*\]\}\n/);
  });

  it("a migrate-incoming refused after its `setup` leaves no job behind, and may be retried", async () => {
    const sequence = [EVENTS_ON, INCOMING_BAD, INCOMING, QUERY];
    const trace = await incomingStackTrace(sequence, true);
    expect(trace).toEqual(incomingSpecTrace(sequence, true));
    expect(trace[1]).toContain("error unknown migration protocol: foo:bar\n  ! MIGRATION setup\n");
    expect(trace[1]).toContain("jobs -> 0");
  });

  it(`A: all ${ALL_INCOMING_ACTIONS.length}^${DEPTH_A} sequences of the whole alphabet, query-migrate and query-jobs after each step`, {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const { explored, diverging } = await explore(sequences(ALL_INCOMING_ACTIONS, DEPTH_A), true);
    console.log(
      `incoming trace equivalence A: depth ${DEPTH_A}, ${explored} sequences explored over ${ALL_INCOMING_ACTIONS.length} actions, ${Date.now() - started} ms`,
    );
    expect(diverging).toEqual([]);
    expect(explored).toBe(ALL_INCOMING_ACTIONS.length ** DEPTH_A);
  });

  it(`B: ${PRELUDES.length} status preludes × ${INCOMING_ACTIONS.length}^${DEPTH_B} sequences, query-migrate and query-jobs after each step`, {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const { explored, diverging } = await explore(withPreludes(DEPTH_B), true);
    console.log(
      `incoming trace equivalence B: depth ${DEPTH_B} after ${PRELUDES.length} status preludes, ${explored} sequences explored over ${INCOMING_ACTIONS.length} actions, ${Date.now() - started} ms`,
    );
    expect(diverging).toEqual([]);
    expect(explored).toBe(PRELUDES.length * INCOMING_ACTIONS.length ** DEPTH_B);
  });
});
