/**
 * The shortest walk between two job statuses in JobSTT, for a migration status change the
 * refining machine does not declare (a newer QEMU's order of statuses, decision 0001 tension 10).
 */
import { JobStateMachine } from "../../src/generated/state-tables.ts";

type Transitions = Readonly<Record<string, readonly string[]>>;

/** The statuses walked from `from` to `to`, `from` first; undefined when JobSTT has no way there. */
export function shortestJobPath(from: string, to: string): string[] | undefined {
  const transitions: Transitions = JobStateMachine.transitions;
  const cameFrom = new Map<string, string | undefined>([[from, undefined]]);
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as string;
    if (state === to) return unwind(cameFrom, to);
    for (const next of transitions[state] ?? []) {
      if (cameFrom.has(next)) continue;
      cameFrom.set(next, state);
      queue.push(next);
    }
  }
  return undefined;
}

/**
 * The shortest walk from `from` to `to` that passes `via`: a job that ends in failure must show
 * `aborting` on its way to `concluded`, even where JobSTT has a shorter success path (pending →
 * concluded). Falls back to the plain shortest walk when `via` cannot be passed.
 */
export function shortestJobPathVia(from: string, via: string, to: string): string[] | undefined {
  const first = from === via ? [from] : shortestJobPath(from, via);
  const rest = first && shortestJobPath(via, to);
  return first && rest ? [...first, ...rest.slice(1)] : shortestJobPath(from, to);
}

function unwind(cameFrom: Map<string, string | undefined>, to: string): string[] {
  const path = [to];
  for (let state = cameFrom.get(to); state !== undefined; state = cameFrom.get(state)) path.unshift(state);
  return path;
}
