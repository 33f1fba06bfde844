/**
 * Emits `registry.ts`: every command and event with the properties a QMP server or proxy needs
 * at run time (may it run out of band, before machine setup, does it answer at all, ...), as
 * `const` data so lookups are typed by name. `if` conditions are kept as data, not evaluated.
 */
import type { GeneratedFile } from "./generated-file.ts";
import { GENERATED_NOTICE } from "./generated-file.ts";
import type { Command, Event, Feature, Schema } from "./ir.ts";
import { type JsonObject, type JsonValue, jsonText } from "./json-value.ts";

export const REGISTRY_FILE = "registry.ts";

export function emitRegistry(schema: Schema): GeneratedFile[] {
  const commands: JsonObject = {};
  const events: JsonObject = {};
  for (const e of schema.entities) {
    if (e.meta === "command") commands[e.name] = commandEntry(e);
    if (e.meta === "event") events[e.name] = eventEntry(e);
  }
  const content = `// ${GENERATED_NOTICE}
// The commands and events of the QAPI schema, with their run-time properties.

/** A QAPI \`if\` condition: a config symbol, or all / any / not of conditions. */
export type QapiCondition =
  | string
  | { readonly all: readonly QapiCondition[] }
  | { readonly any: readonly QapiCondition[] }
  | { readonly not: QapiCondition };

export interface QapiFeature {
  readonly name: string;
  readonly if?: QapiCondition;
}

export interface CommandEntry {
  readonly name: string;
  readonly allowOob: boolean;
  /** False for commands QEMU never answers (e.g. a command that ends the session). */
  readonly successResponse: boolean;
  readonly allowPreconfig: boolean;
  readonly coroutine: boolean;
  /** The arguments are one named type rather than members of an implicit one. */
  readonly boxed: boolean;
  readonly features: readonly QapiFeature[];
  readonly if?: QapiCondition;
}

export interface EventEntry {
  readonly name: string;
  readonly boxed: boolean;
  readonly features: readonly QapiFeature[];
  readonly if?: QapiCondition;
}

export const commandRegistry = ${jsonText(commands)} as const satisfies Record<string, CommandEntry>;

export const eventRegistry = ${jsonText(events)} as const satisfies Record<string, EventEntry>;

export type CommandName = keyof typeof commandRegistry;
export type EventName = keyof typeof eventRegistry;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandRegistry, name);
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(eventRegistry, name);
}
`;
  return [{ path: REGISTRY_FILE, content }];
}

function commandEntry(c: Command): JsonObject {
  return withIf(
    {
      name: c.name,
      allowOob: c.allowOob,
      successResponse: c.successResponse,
      allowPreconfig: c.allowPreconfig,
      coroutine: c.coroutine,
      boxed: c.boxed,
      features: c.features.map(featureEntry),
    },
    c.if,
  );
}

function eventEntry(e: Event): JsonObject {
  return withIf({ name: e.name, boxed: e.boxed, features: e.features.map(featureEntry) }, e.if);
}

function featureEntry(f: Feature): JsonObject {
  return withIf({ name: f.name }, f.if);
}

function withIf(entry: JsonObject, cond: Command["if"]): JsonObject {
  return cond === undefined ? entry : { ...entry, if: cond as JsonValue };
}
