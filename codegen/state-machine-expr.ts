// PLACEHOLDER until the state-machine helper lands: signature only.
import type { QapiObject } from "./ast.ts";
import type { SourceInfo } from "./source-info.ts";

/** Context-free shape checks of a `state-machine` expression. Throws SchemaError. */
export function checkStateMachineExpression(_expr: QapiObject, _info: SourceInfo): void {
  throw new Error("not implemented yet");
}
