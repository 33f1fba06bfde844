// PLACEHOLDER until the state-machine helper lands: signatures only.
import type { QapiObject } from "./ast.ts";
import type { SchemaDoc } from "./doc.ts";
import type { Schema, StateMachine } from "./ir.ts";
import type { SourceInfo } from "./source-info.ts";

/** Builds the IR entity from a shape-checked expression (names not yet resolved). */
export function buildStateMachine(
  _expr: QapiObject,
  _info: SourceInfo,
  _doc: SchemaDoc | undefined,
): StateMachine {
  throw new Error("not implemented yet");
}

/** Resolution checks once every entity exists: enums exist, tables complete, refinement legal. Throws SchemaError. */
export function checkStateMachine(_machine: StateMachine, _schema: Schema): void {
  throw new Error("not implemented yet");
}
