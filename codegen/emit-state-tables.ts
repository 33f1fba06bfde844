/**
 * Emits `state-tables.ts`: every state machine of the schema as a typed, data-only constant
 * (states, transitions, verbs, verb table, refinement maps and refined paths). The logic that
 * reads these tables lives in src/state-machine.ts, so the generated file stays plain data.
 */
import { GENERATED_NOTICE, type GeneratedFile } from "./generated-file.ts";
import type { IfCondition, Schema, StateMachine } from "./ir.ts";
import { refinedWalk } from "./state-machine-ir.ts";

export function emitStateTables(schema: Schema): GeneratedFile[] {
  const machines = stateMachines(schema);
  if (machines.length === 0) return [];
  const lines = [
    `// ${GENERATED_NOTICE}`,
    'import type { MachineTables } from "../state-machine.ts";',
    "",
    ...machines.flatMap((m) => [...machineConstant(m, schema), ""]),
    "/** Every state machine of the schema, by name. */",
    "export const stateMachines = {",
    ...machines.map((m) => `  ${m.name},`),
    "} as const;",
    "",
  ];
  return [{ path: "state-tables.ts", content: lines.join("\n") }];
}

export function stateMachines(schema: Schema): StateMachine[] {
  return schema.entities.filter((e): e is StateMachine => e.meta === "state-machine");
}

/** The values of the enum that names a machine's states or verbs (checked to be an enum). */
export function enumValues(schema: Schema, name: string | undefined): string[] {
  if (name === undefined) return [];
  const entity = schema.lookup(name);
  return entity?.meta === "enum" ? entity.members.map((m) => m.name) : [];
}

const str = (s: string): string => JSON.stringify(s);
const list = (items: readonly string[]): string => `[${items.map(str).join(", ")}]`;

/** An `if` condition as readers write it: `CONFIG_A and not CONFIG_B`. */
export function conditionText(cond: IfCondition): string {
  if (typeof cond === "string") return cond;
  if ("not" in cond) return `not ${conditionText(cond.not)}`;
  const [op, parts] = "all" in cond ? ["and", cond.all] : ["or", cond.any];
  return parts.length === 1
    ? conditionText(parts[0] as IfCondition)
    : `(${parts.map(conditionText).join(` ${op} `)})`;
}

function machineConstant(m: StateMachine, schema: Schema): string[] {
  const verbs = enumValues(schema, m.verbs);
  return [
    `/** States from enum '${m.states}'${m.verbs ? `, verbs from enum '${m.verbs}'` : ""}. */`,
    `export const ${m.name} = {`,
    `  name: ${str(m.name)},`,
    `  states: ${list(enumValues(schema, m.states))},`,
    `  initial: ${m.initial === undefined ? "undefined" : str(m.initial)},`,
    "  transitions: {",
    ...Object.entries(m.transitions).map(([from, targets]) => {
      const conds = targets
        .filter((t) => t.if !== undefined)
        .map((t) => `${t.to} if ${conditionText(t.if as IfCondition)}`);
      const note = conds.length > 0 ? ` // conditional: ${conds.join("; ")}` : "";
      return `    ${str(from)}: ${list(targets.map((t) => t.to))},${note}`;
    }),
    "  },",
    `  verbs: ${list(verbs)},`,
    "  verbTable: {",
    ...verbs.map((verb) => `    ${str(verb)}: ${list(m.verbTable[verb] ?? [])},`),
    "  },",
    ...refinementLines(m, schema),
    "} as const satisfies MachineTables;",
    "",
    `export type ${m.name}State = (typeof ${m.name}.states)[number];`,
    `export type ${m.name}Verb = (typeof ${m.name}.verbs)[number];`,
  ];
}

function refinementLines(m: StateMachine, schema: Schema): string[] {
  const r = m.refinement;
  if (!r) return ["  refines: undefined,"];
  const refined = schema.lookup(r.machine) as StateMachine;
  const mapped = (s: string | null | undefined): string => (s == null ? "null" : str(s));
  return [
    "  refines: {",
    `    machine: ${str(r.machine)},`,
    "    stateMap: {",
    ...Object.entries(r.stateMap).map(([own, to]) => `      ${str(own)}: ${mapped(to)},`),
    "    },",
    "    verbMap: {",
    ...Object.entries(r.verbMap).map(([own, to]) => `      ${str(own)}: ${str(to)},`),
    "    },",
    "    paths: {",
    ...Object.entries(m.transitions).flatMap(([from, targets]) => [
      `      ${str(from)}: {`,
      ...targets.map((t) => `        ${str(t.to)}: ${list(refinedWalk(m, refined, from, t))},`),
      "      },",
    ]),
    "    },",
    "  },",
  ];
}
