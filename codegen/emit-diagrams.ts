/**
 * Emits a diagram of every state machine, in Graphviz DOT and Mermaid `stateDiagram-v2`:
 * `diagrams/<Machine>.dot|.mmd`. A refining machine also gets `diagrams/<Machine>-mapping.dot|.mmd`,
 * its own states drawn inside the refined states they map to, so a reader sees at a glance which
 * job status each substatus shows as. Mermaid's state diagrams cannot draw edges between states of
 * different composite states, so the Mermaid mapping diagram is a flowchart with subgraphs.
 */
import { conditionText, enumValues, stateMachines } from "./emit-state-tables.ts";
import { GENERATED_NOTICE, type GeneratedFile } from "./generated-file.ts";
import type { IfCondition, Schema, StateMachine, Transition } from "./ir.ts";

export function emitDiagrams(schema: Schema): GeneratedFile[] {
  return stateMachines(schema).flatMap((m) => {
    const files = [
      { path: `diagrams/${m.name}.dot`, content: machineDot(m, schema) },
      { path: `diagrams/${m.name}.mmd`, content: machineMermaid(m, schema) },
    ];
    if (m.refinement) {
      files.push(
        { path: `diagrams/${m.name}-mapping.dot`, content: mappingDot(m, schema) },
        { path: `diagrams/${m.name}-mapping.mmd`, content: mappingMermaid(m, schema) },
      );
    }
    return files;
  });
}

/** A DOT double-quoted string. */
const q = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** Node ids for Mermaid, which only takes plain identifiers (and reserves words such as `end`). */
function mermaidIds(prefix: string, names: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const [i, name] of names.entries()) {
    let id = `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
    if (used.has(id)) id = `${id}_${i}`;
    used.add(id);
    ids.set(name, id);
  }
  return ids;
}

const cond = (c: IfCondition | undefined): string => (c === undefined ? "" : `if ${conditionText(c)}`);

/** The verbs allowed in each state, in verb order: shown inside the state boxes. */
function verbsByState(m: StateMachine, schema: Schema): Map<string, string[]> {
  const byState = new Map<string, string[]>();
  for (const verb of enumValues(schema, m.verbs)) {
    for (const state of m.verbTable[verb] ?? []) byState.set(state, [...(byState.get(state) ?? []), verb]);
  }
  return byState;
}

function edges(m: StateMachine): [string, Transition][] {
  return Object.entries(m.transitions).flatMap(([from, targets]) =>
    targets.map((t): [string, Transition] => [from, t]),
  );
}

function machineDot(m: StateMachine, schema: Schema): string {
  const verbs = verbsByState(m, schema);
  const lines = [
    `// ${GENERATED_NOTICE}`,
    `digraph ${q(m.name)} {`,
    "  rankdir=LR;",
    '  fontname="Helvetica";',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  if (m.initial !== undefined)
    lines.push(`  "(start)" [shape=point, label=""];`, `  "(start)" -> ${q(m.initial)};`);
  for (const state of enumValues(schema, m.states)) {
    const allowed = verbs.get(state);
    // QAPI names hold no quotes or backslashes, so the label needs no escaping beyond DOT's `\n`.
    const label = allowed ? `${state}\\n${allowed.join(", ")}` : state;
    lines.push(`  ${q(state)} [label="${label}"];`);
  }
  for (const [from, t] of edges(m)) {
    const attrs = t.if === undefined ? "" : ` [style=dashed, label=${q(cond(t.if))}]`;
    lines.push(`  ${q(from)} -> ${q(t.to)}${attrs};`);
  }
  lines.push("}", "");
  return lines.join("\n");
}

function machineMermaid(m: StateMachine, schema: Schema): string {
  const states = enumValues(schema, m.states);
  const ids = mermaidIds("s", states);
  const id = (s: string): string => ids.get(s) ?? s;
  const verbs = verbsByState(m, schema);
  const lines = [`%% ${GENERATED_NOTICE}`, "stateDiagram-v2"];
  for (const state of states) {
    lines.push(`  state "${state}" as ${id(state)}`);
    const allowed = verbs.get(state);
    if (allowed) lines.push(`  ${id(state)} : ${allowed.join(", ")}`);
  }
  if (m.initial !== undefined) lines.push(`  [*] --> ${id(m.initial)}`);
  for (const [from, t] of edges(m)) {
    lines.push(`  ${id(from)} --> ${id(t.to)}${t.if === undefined ? "" : ` : ${cond(t.if)}`}`);
  }
  lines.push("");
  return lines.join("\n");
}

/** Own states grouped by the refined state they map to, in the refined machine's state order. */
function clusters(m: StateMachine, schema: Schema): { refinedState: string | null; states: string[] }[] {
  const refinement = m.refinement as NonNullable<StateMachine["refinement"]>;
  const refined = schema.lookup(refinement.machine) as StateMachine;
  const own = enumValues(schema, m.states);
  return [...enumValues(schema, refined.states), null]
    .map((r) => ({ refinedState: r, states: own.filter((s) => (refinement.stateMap[s] ?? null) === r) }))
    .filter((c) => c.states.length > 0);
}

const viaLabel = (t: Transition): string =>
  [t.via.length > 0 ? `via ${t.via.join(", ")}` : "", cond(t.if)].filter((s) => s !== "").join(" ");

function mappingDot(m: StateMachine, schema: Schema): string {
  const refinedName = (m.refinement as NonNullable<StateMachine["refinement"]>).machine;
  const lines = [
    `// ${GENERATED_NOTICE}`,
    `digraph ${q(`${m.name}-mapping`)} {`,
    "  rankdir=LR;",
    '  fontname="Helvetica";',
    "  compound=true;",
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const { refinedState, states } of clusters(m, schema)) {
    const label = refinedState ?? `outside ${refinedName}`;
    lines.push(`  subgraph ${q(`cluster ${label}`)} {`, `    label=${q(label)};`);
    if (refinedState === null) lines.push("    style=dashed;");
    for (const state of states) lines.push(`    ${q(state)};`);
    lines.push("  }");
  }
  for (const [from, t] of edges(m)) {
    const label = viaLabel(t);
    lines.push(`  ${q(from)} -> ${q(t.to)}${label === "" ? "" : ` [label=${q(label)}]`};`);
  }
  lines.push("}", "");
  return lines.join("\n");
}

function mappingMermaid(m: StateMachine, schema: Schema): string {
  const refinedName = (m.refinement as NonNullable<StateMachine["refinement"]>).machine;
  const groups = clusters(m, schema);
  const ids = mermaidIds(
    "s",
    groups.flatMap((g) => g.states),
  );
  const id = (s: string): string => ids.get(s) ?? s;
  const lines = [`%% ${GENERATED_NOTICE}`, "flowchart LR"];
  for (const { refinedState, states } of groups) {
    const label = refinedState ?? `outside ${refinedName}`;
    lines.push(`  subgraph r_${label.replace(/[^A-Za-z0-9_]/g, "_")} ["${label}"]`);
    for (const state of states) lines.push(`    ${id(state)}["${state}"]`);
    lines.push("  end");
  }
  for (const [from, t] of edges(m)) {
    const label = viaLabel(t);
    lines.push(`  ${id(from)} -->${label === "" ? "" : `|"${label}"|`} ${id(t.to)}`);
  }
  lines.push("");
  return lines.join("\n");
}
