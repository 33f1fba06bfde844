/**
 * The pure state-machine API over the tables that codegen emits into
 * `src/generated/state-tables.ts`. No effects, no clock: callers (the facades) decide what a
 * transition means on the wire; this module only says whether it is legal and which states of a
 * refined machine it passes through.
 */

/** One machine's tables, as emitted. State and verb names come from the schema's enums. */
export interface MachineTables {
  readonly name: string;
  readonly states: readonly string[];
  readonly initial: string | undefined;
  /** from → the states it may go to; every state has a row. */
  readonly transitions: Readonly<Record<string, readonly string[]>>;
  readonly verbs: readonly string[];
  /** verb → the states in which it is allowed, in state order. */
  readonly verbTable: Readonly<Record<string, readonly string[]>>;
  readonly refines: RefinementTables | undefined;
}

export interface RefinementTables {
  readonly machine: string;
  /** own state → refined state; `null` = outside the refined machine (e.g. no job). */
  readonly stateMap: Readonly<Record<string, string | null>>;
  readonly verbMap: Readonly<Record<string, string>>;
  /**
   * from → to → the refined machine's states the transition walks through, the first being where
   * it starts (checked at codegen time: every step is a refined transition).
   */
  readonly paths: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export type StateOf<M extends MachineTables> = M["states"][number];
export type VerbOf<M extends MachineTables> = M["verbs"][number];

export type TransitionResult =
  | { readonly ok: true; readonly from: string; readonly to: string }
  | { readonly ok: false; readonly error: string };

/**
 * A table row by name, or undefined. Names arrive from the wire, so "toString" or "constructor"
 * must not find the object prototype's members.
 */
function row<T>(table: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

const quote = (names: readonly string[]): string =>
  names.length === 0 ? "nowhere" : names.map((n) => `'${n}'`).join(", ");

/**
 * Whether `machine` may go from `from` to `to` in one step. Names outside the machine's enums
 * (a newer QEMU's status, say) are refused, never thrown on.
 */
export function transition<M extends MachineTables>(
  machine: M,
  from: StateOf<M>,
  to: StateOf<M>,
): TransitionResult {
  const targets = row(machine.transitions, from);
  if (targets === undefined) return { ok: false, error: `'${machine.name}' has no state '${from}'` };
  if (targets.includes(to)) return { ok: true, from, to };
  return {
    ok: false,
    error: `'${machine.name}' does not allow '${from}' → '${to}'; from '${from}' it may go to ${quote(targets)}`,
  };
}

/** Whether `verb` is allowed in `state`. Unknown verbs and states are simply not allowed. */
export function allowed<M extends MachineTables>(machine: M, verb: VerbOf<M>, state: StateOf<M>): boolean {
  return row(machine.verbTable, verb)?.includes(state) ?? false;
}

/**
 * For a refining machine: the refined machine's states the transition `from` → `to` walks
 * through, the first being where it starts (so the states *entered* are `path.slice(1)`).
 * `undefined` when the transition is not legal or the machine refines nothing.
 */
export function refinedPath<M extends MachineTables>(
  machine: M,
  from: StateOf<M>,
  to: StateOf<M>,
): readonly string[] | undefined {
  return row(row(machine.refines?.paths, from), to);
}

/** The refined state an own state stands for; `null` = outside; `undefined` = unknown state or no refinement. */
export function refinedState<M extends MachineTables>(
  machine: M,
  state: StateOf<M>,
): string | null | undefined {
  return row(machine.refines?.stateMap, state);
}

/** Narrows a name from the wire (which may come from a newer QEMU) to a state of the machine. */
export function isState<M extends MachineTables>(machine: M, name: string): name is StateOf<M> {
  return machine.states.includes(name);
}
