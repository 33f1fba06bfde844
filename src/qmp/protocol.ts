/** The shapes of QMP messages on the wire (QEMU's QMP specification, version 7.2). */
import type { JsonObject, JsonValue } from "./json-value.ts";
import { isJsonObject } from "./json-value.ts";

export interface QmpVersion {
  qemu: { major: number; minor: number; micro: number };
  package: string;
}

/** The first message a server sends. `capabilities` lists what may be enabled ("oob"). */
export interface QmpGreeting {
  QMP: { version: QmpVersion; capabilities: string[] };
}

/** Either `execute` or, with OOB enabled, `exec-oob`; `id` may be any JSON value. */
export interface QmpRequest {
  execute?: string;
  "exec-oob"?: string;
  arguments?: JsonObject;
  id?: JsonValue;
}

/** QEMU's error classes; servers of newer versions may add more. */
export type QmpErrorClass =
  | "GenericError"
  | "CommandNotFound"
  | "DeviceNotActive"
  | "DeviceNotFound"
  | "KVMMissingCap"
  | (string & {});

export interface QmpErrorBody {
  class: QmpErrorClass;
  desc: string;
}

export interface QmpSuccess {
  return: JsonValue;
  id?: JsonValue;
}

export interface QmpFailure {
  error: QmpErrorBody;
  id?: JsonValue;
}

export type QmpReply = QmpSuccess | QmpFailure;

export interface QmpTimestamp {
  seconds: number;
  microseconds: number;
}

export interface QmpEvent {
  event: string;
  data?: JsonObject;
  timestamp: QmpTimestamp;
}

export type QmpServerMessage = QmpGreeting | QmpReply | QmpEvent;

export function isGreeting(message: JsonValue): message is JsonObject & QmpGreeting {
  return isJsonObject(message) && isJsonObject(message.QMP);
}

export function isEvent(message: JsonValue): message is JsonObject & QmpEvent {
  return isJsonObject(message) && typeof message.event === "string";
}

export function isReply(message: JsonValue): message is JsonObject & QmpReply {
  return isJsonObject(message) && ("return" in message || isJsonObject(message.error));
}

export function isFailure(reply: QmpReply): reply is QmpFailure {
  return "error" in reply;
}

/** A timestamp for "now" in QMP's split form; the clock is injectable for tests. */
export function timestampOf(epochMicroseconds: number): QmpTimestamp {
  return {
    seconds: Math.floor(epochMicroseconds / 1e6),
    microseconds: Math.floor(epochMicroseconds % 1e6),
  };
}
