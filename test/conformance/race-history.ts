/**
 * A linearisability check of one concurrent run against a sequential specification (Wing & Gong
 * search, memoised): is there a serial order of the run's operations that respects what the run
 * shows about time, gives every operation the reply it got, and emits exactly the events the
 * client received?
 *
 * What the run shows about time:
 * - a client operation answered before another was invoked comes first (real time);
 * - QEMU's thread steps keep the order they happened in;
 * - a client operation comes after every event the client had already received when it sent it.
 * A thread step is not pinned to the instant it happened at QEMU against client operations: the
 * client cannot see that instant, only the events the step caused.
 */

export interface Op {
  /** The spec's name for it: a client command or a thread step. */
  name: string;
  thread: boolean;
  invoked: number;
  /** Undefined while the client still waits for the reply. */
  responded?: number;
  reply?: string;
  /** How many events the client had received when it sent this. */
  eventsSeen: number;
}

export interface SpecStep<S> {
  state: S;
  reply: string;
  events: string[];
}

export interface Spec<S> {
  step(state: S, name: string): SpecStep<S>;
  key(state: S): string;
}

export interface History<S> {
  start: S;
  ops: readonly Op[];
  events: readonly string[];
  /** The run is over: every op is answered, the events are all in, and the end state is known. */
  final?: (state: S) => boolean;
}

/** A serial order that explains the run (op indexes), or undefined when there is none. */
export function linearise<S>(spec: Spec<S>, h: History<S>): number[] | undefined {
  const n = h.ops.length;
  const failed = new Set<string>();
  const order: number[] = [];
  const events = h.events;
  const done: boolean[] = new Array(n).fill(false);
  const placeable = (bi: number, eventPos: number): boolean => {
    const b = h.ops[bi] as Op;
    if (!b.thread && eventPos < b.eventsSeen) return false;
    return h.ops.every((a, ai) => done[ai] || ai === bi || !mustPrecede(a, b));
  };
  const complete = (state: S, eventPos: number): boolean => {
    const left = h.ops.some((op, i) => !done[i] && (h.final || op.thread || op.responded !== undefined));
    if (left) return false;
    // Every event received so far is explained; more may still be on their way.
    if (!h.final) return eventPos >= events.length;
    return eventPos === events.length && h.final(state);
  };
  const go = (state: S, eventPos: number): boolean => {
    if (complete(state, eventPos)) return true;
    const key = `${done.map(Number).join("")}|${eventPos}|${spec.key(state)}`;
    if (failed.has(key)) return false;
    for (let i = 0; i < n; i++) {
      if (done[i] || !placeable(i, eventPos)) continue;
      const op = h.ops[i] as Op;
      const next = spec.step(state, op.name);
      if (op.responded !== undefined && !op.thread && next.reply !== op.reply) continue;
      if (!eventsFit(next.events, events, eventPos, h.final !== undefined)) continue;
      done[i] = true;
      order.push(i);
      if (go(next.state, eventPos + next.events.length)) return true;
      done[i] = false;
      order.pop();
    }
    failed.add(key);
    return false;
  };
  return go(h.start, 0) ? [...order] : undefined;
}

const mustPrecede = (a: Op, b: Op): boolean =>
  (!a.thread && a.responded !== undefined && a.responded < b.invoked) ||
  (a.thread && b.thread && a.invoked < b.invoked);

/**
 * The step's events continue the observed ones. Before the end, events may still be on their
 * way: what the client has not received yet may follow the observed ones.
 */
function eventsFit(step: string[], observed: readonly string[], at: number, final: boolean): boolean {
  return step.every((e, k) => {
    const seen = observed[at + k];
    return seen === undefined ? !final : seen === e;
  });
}

/** A one-line account of a run, for a counterexample. */
export function describeRun<S>(h: History<S>): string {
  const ops = h.ops.map((o) =>
    o.thread
      ? `${o.name}@${o.invoked}`
      : `${o.name}[${o.invoked}..${o.responded ?? "…"}]→${o.reply ?? "…"} (after ${o.eventsSeen} events)`,
  );
  return `ops: ${ops.join("; ")}\nevents: ${h.events.join(", ")}`;
}
