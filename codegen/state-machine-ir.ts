/**
 * The jobshim `state-machine` extension in the IR: building the entity from a shape-checked
 * expression, and the resolution checks that need the whole schema (enums, tables, refinement).
 * The rules are specified in docs/state-machines.md.
 */
import type { QapiObject, QapiValue } from "./ast.ts";
import { toIfCondition } from "./check-conditions.ts";
import type { SchemaDoc } from "./doc.ts";
import type { Entity, Feature, Schema, StateMachine, Transition } from "./ir.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";

/** Builds the IR entity from a shape-checked expression (names not yet resolved). */
export function buildStateMachine(
  expr: QapiObject,
  info: SourceInfo,
  doc: SchemaDoc | undefined,
): StateMachine {
  return {
    meta: "state-machine",
    name: expr["state-machine"] as string,
    info,
    if: toIfCondition(expr.if),
    features: buildFeatures(expr.features, info),
    doc,
    states: expr.states as string,
    verbs: expr.verbs as string | undefined,
    initial: expr.initial as string | undefined,
    transitions: mapValues(expr.transitions as QapiObject, (targets) =>
      (targets as QapiValue[]).map(buildTransition),
    ),
    verbTable: mapValues((expr["verb-table"] ?? {}) as QapiObject, (states) => [...(states as string[])]),
    refinement: buildRefinement(expr.refines as QapiObject | undefined),
  };
}

function mapValues<T>(obj: QapiObject, f: (value: QapiValue) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).map(([key, value]) => [key, f(value)]));
}

function buildFeatures(features: QapiValue | undefined, info: SourceInfo): Feature[] {
  return ((features ?? []) as QapiValue[]).map((f) =>
    typeof f === "string"
      ? { name: f, if: undefined, info }
      : { name: (f as QapiObject).name as string, if: toIfCondition((f as QapiObject).if), info },
  );
}

function buildTransition(target: QapiValue): Transition {
  if (typeof target === "string") return { to: target, via: [], if: undefined };
  const obj = target as QapiObject;
  return { to: obj.to as string, via: [...((obj.via ?? []) as string[])], if: toIfCondition(obj.if) };
}

function buildRefinement(refines: QapiObject | undefined): StateMachine["refinement"] {
  if (!refines) return undefined;
  return {
    machine: refines.machine as string,
    // `false` in the schema (QAPI has no null) = the state lies outside the refined machine.
    stateMap: mapValues(refines.states as QapiObject, (s) => (s === false ? null : (s as string))),
    // Empty until resolution fills in the identity (when omitted) or checks the given map.
    verbMap: mapValues((refines.verbs ?? {}) as QapiObject, (v) => v as string),
  };
}

const quote = (names: readonly string[]): string => names.map((n) => `'${n}'`).join(", ");
const arrow = (names: readonly string[]): string => names.map((n) => `'${n}'`).join(" → ");

/** Machines already resolved: a refining machine resolves the one it refines first. */
const resolved = new WeakSet<StateMachine>();

/**
 * Resolution checks once every entity exists: enums exist, tables complete, refinement legal.
 * Also normalizes the machine for emitters: rows and verb-table states in enum order, and the
 * identity verb map filled in when `refines` omits `verbs`. Throws SchemaError.
 */
export function checkStateMachine(machine: StateMachine, schema: Schema): void {
  if (resolved.has(machine)) return;
  const checker = new MachineChecker(machine, schema);
  checker.checkOwnTables();
  if (machine.refinement) checker.checkRefinement(machine.refinement);
  resolved.add(machine);
}

type Refinement = NonNullable<StateMachine["refinement"]>;

/** How QEMU's messages name an entity of the wrong kind: "built-in type 'int'", "struct type 'Foo'". */
function describe(entity: Entity): string {
  switch (entity.meta) {
    case "builtin":
      return `built-in type '${entity.name}'`;
    case "object":
      return `${entity.kind} type '${entity.name}'`;
    case "command":
    case "event":
      return `${entity.meta} '${entity.name}'`;
    case "state-machine":
      return `state machine '${entity.name}'`;
    default:
      return `${entity.meta} type '${entity.name}'`;
  }
}

/** Reorders a record's keys to follow `order` (keys are known to be exactly `order`'s names). */
function inOrder<T>(record: Record<string, T>, order: readonly string[]): Record<string, T> {
  return Object.fromEntries(order.map((key) => [key, record[key] as T]));
}

class MachineChecker {
  private readonly info: SourceInfo | undefined;
  readonly states: readonly string[];
  readonly verbs: readonly string[];

  constructor(
    private readonly machine: StateMachine,
    private readonly schema: Schema,
  ) {
    this.info = machine.info;
    this.states = this.enumValues(machine.states, "'states'");
    this.verbs = machine.verbs === undefined ? [] : this.enumValues(machine.verbs, "'verbs'");
  }

  private fail(message: string): never {
    throw new SchemaError(this.info, message);
  }

  private enumValues(name: string, role: string): string[] {
    const entity = this.schema.lookup(name);
    if (!entity) this.fail(`${role} uses unknown type '${name}'`);
    if (entity.meta !== "enum") this.fail(`${role} requires an enum type, ${describe(entity)} isn't`);
    return entity.members.map((member) => member.name);
  }

  /** `name` must be one of `valid` (the values of an enum, of this or the refined machine). */
  private known(name: string, valid: readonly string[], source: string, kind = "state"): void {
    if (!valid.includes(name))
      this.fail(`${source} uses unknown ${kind} '${name}'\nValid ${kind}s are ${quote(valid)}.`);
  }

  /** The keys of a table must be exactly the enum's values: unknown ones first, then missing ones. */
  private exactKeys(
    record: Record<string, unknown>,
    valid: readonly string[],
    source: string,
    kind: string,
  ): void {
    for (const key of Object.keys(record)) this.known(key, valid, source, kind);
    const missing = valid.filter((name) => !Object.hasOwn(record, name));
    if (missing.length > 0)
      this.fail(`${source} misses ${kind}${missing.length > 1 ? "s" : ""} ${quote(missing)}`);
  }

  checkOwnTables(): void {
    const m = this.machine;
    if (m.initial !== undefined) this.known(m.initial, this.states, "'initial'");
    this.exactKeys(m.transitions, this.states, "'transitions'", "state");
    for (const [from, targets] of Object.entries(m.transitions)) this.checkRow(from, targets);
    m.transitions = inOrder(m.transitions, this.states);
    if (m.verbs === undefined) return;
    this.exactKeys(m.verbTable, this.verbs, "'verb-table'", "verb");
    for (const [verb, states] of Object.entries(m.verbTable)) {
      const source = `'verb-table' member '${verb}'`;
      for (const [i, state] of states.entries()) {
        this.known(state, this.states, source);
        if (states.indexOf(state) !== i) this.fail(`${source} lists state '${state}' twice`);
      }
    }
    m.verbTable = inOrder(
      Object.fromEntries(
        Object.entries(m.verbTable).map(([v, ss]) => [v, this.states.filter((s) => ss.includes(s))]),
      ),
      this.verbs,
    );
  }

  private checkRow(from: string, targets: readonly Transition[]): void {
    for (const [i, { to, via }] of targets.entries()) {
      this.known(to, this.states, `transition '${from}' → '${to}'`);
      if (targets.findIndex((t) => t.to === to) !== i)
        this.fail(`transition '${from}' → '${to}' is listed twice`);
      if (via.length > 0 && !this.machine.refinement) {
        this.fail(`transition '${from}' → '${to}' has 'via', but '${this.machine.name}' refines no machine`);
      }
    }
  }

  checkRefinement(refinement: Refinement): void {
    const refined = this.refinedMachine(refinement.machine);
    checkStateMachine(refined, this.schema);
    const refinedStates = this.enumValues(refined.states, "'states' of refined machine");
    this.exactKeys(refinement.stateMap, this.states, "'states' of 'refines'", "state");
    for (const [own, mapped] of Object.entries(refinement.stateMap)) {
      if (mapped !== null) this.known(mapped, refinedStates, `'states' of 'refines' member '${own}'`);
    }
    refinement.stateMap = inOrder(refinement.stateMap, this.states);
    this.resolveVerbMap(refinement, refined);
    for (const [from, targets] of Object.entries(this.machine.transitions)) {
      for (const t of targets) {
        for (const s of t.via) this.known(s, refinedStates, `'via' of transition '${from}' → '${t.to}'`);
        this.checkRefinedStep(refined, from, t);
      }
    }
    this.checkRefinedVerbs(refinement, refined);
  }

  /** The refined machine must exist, be a state machine, and not lead back here. */
  private refinedMachine(name: string): StateMachine {
    const chain = [this.machine.name];
    let current: string | undefined = name;
    let first: StateMachine | undefined;
    while (current !== undefined) {
      if (chain.includes(current)) {
        if (current === this.machine.name && chain.length === 1)
          this.fail(`state machine '${current}' refines itself`);
        this.fail(`refinement cycle ${arrow([...chain, current])}`);
      }
      const entity = this.schema.lookup(current);
      if (!entity) this.fail(`'refines' uses unknown state machine '${current}'`);
      if (entity.meta !== "state-machine")
        this.fail(`'refines' requires a state machine, ${describe(entity)} isn't`);
      first ??= entity;
      chain.push(current);
      current = entity.refinement?.machine;
    }
    return first as StateMachine;
  }

  /** An omitted verb map means identity, which only makes sense over the same verb enum. */
  private resolveVerbMap(refinement: Refinement, refined: StateMachine): void {
    const refinedVerbs =
      refined.verbs === undefined ? [] : this.enumValues(refined.verbs, "'verbs' of refined machine");
    if (Object.keys(refinement.verbMap).length === 0 && this.verbs.length > 0) {
      if (this.machine.verbs !== refined.verbs) {
        this.fail(
          `'refines' needs 'verbs': '${this.machine.name}' uses verb enum '${this.machine.verbs}', ` +
            `but '${refined.name}' uses ${refined.verbs === undefined ? "none" : `'${refined.verbs}'`}`,
        );
      }
      refinement.verbMap = Object.fromEntries(this.verbs.map((v) => [v, v]));
    }
    this.exactKeys(refinement.verbMap, this.verbs, "'verbs' of 'refines'", "verb");
    for (const [own, mapped] of Object.entries(refinement.verbMap)) {
      this.known(mapped, refinedVerbs, `'verbs' of 'refines' member '${own}'`, "verb");
    }
    refinement.verbMap = inOrder(refinement.verbMap, this.verbs);
  }

  /** Every own transition must be a legal walk in the refined machine (Kevin Wolf's rule). */
  private checkRefinedStep(refined: StateMachine, from: string, t: Transition): void {
    const stateMap = (this.machine.refinement as Refinement).stateMap;
    const source = `transition '${from}' → '${t.to}'`;
    const entering = stateMap[from] === null && (stateMap[t.to] !== null || t.via.length > 0);
    if (entering && refined.initial === undefined) {
      this.fail(`${source} enters '${refined.name}', which has no 'initial' state to enter from`);
    }
    const walk = refinedWalk(this.machine, refined, from, t);
    const bad = firstIllegalStep(refined, walk);
    if (bad !== undefined) {
      const at = walk.length > 2 ? ` (at ${arrow(walk.slice(bad, bad + 2))})` : "";
      this.fail(`${source} maps to ${arrow(walk)}, which '${refined.name}' does not allow${at}`);
    }
    const last = walk.at(-1);
    if (stateMap[t.to] === null && last !== undefined && (refined.transitions[last] ?? []).length > 0) {
      this.fail(`${source} leaves '${refined.name}' from '${last}', which is not a final state there`);
    }
  }

  /** A refinement may only take permissions away: each own permission must hold in the refined table. */
  private checkRefinedVerbs(refinement: Refinement, refined: StateMachine): void {
    for (const [verb, states] of Object.entries(this.machine.verbTable)) {
      const refinedVerb = refinement.verbMap[verb] as string;
      for (const state of states) {
        const mapped = refinement.stateMap[state];
        if (mapped === null)
          this.fail(`verb '${verb}' is allowed in '${state}', which is outside '${refined.name}'`);
        if (!(refined.verbTable[refinedVerb] ?? []).includes(mapped as string)) {
          this.fail(
            `verb '${verb}' is allowed in '${state}', which maps to '${mapped}', ` +
              `but '${refined.name}' does not allow '${refinedVerb}' there`,
          );
        }
      }
    }
  }
}

/**
 * The states of the refined machine that an own transition walks through, the first being where
 * it starts. A walk from outside starts at the refined machine's initial state; a walk to outside
 * ends at its last via state (or the start). A substatus change within one state is just [that state].
 */
export function refinedWalk(
  machine: StateMachine,
  refined: StateMachine,
  from: string,
  t: Transition,
): string[] {
  const stateMap = machine.refinement?.stateMap ?? {};
  const start = stateMap[from] ?? null;
  const end = stateMap[t.to] ?? null;
  if (start === end && t.via.length === 0) return start === null ? [] : [start];
  const first = start ?? refined.initial;
  return [...(first === undefined ? [] : [first]), ...t.via, ...(end === null ? [] : [end])];
}

/** Index of the first step of `walk` that `machine` has no transition for, if any. */
function firstIllegalStep(machine: StateMachine, walk: readonly string[]): number | undefined {
  for (let i = 0; i + 1 < walk.length; i++) {
    const targets = machine.transitions[walk[i] as string] ?? [];
    if (!targets.some((t) => t.to === walk[i + 1])) return i;
  }
  return undefined;
}
