/**
 * Real QMP traffic recorded during the event benchmark, for the validation benchmark: every
 * command the facade and the client ran (with its arguments and QEMU's answer) and every event
 * QEMU and the facade sent. Kept in memory; nothing here is synthetic.
 */
import type { JsonObject, JsonValue } from "../src/qmp/json-value.ts";

export type TrafficMessage =
  | {
      kind: "command";
      command: string;
      args: JsonObject | undefined;
      reply: { return: JsonValue } | { error: JsonValue };
    }
  | { kind: "event"; event: string; data: JsonObject | undefined };

type CommandReply = Extract<TrafficMessage, { kind: "command" }>["reply"];

export class TrafficRecorder {
  readonly messages: TrafficMessage[] = [];

  command(command: string, args: JsonObject | undefined, reply: CommandReply): void {
    this.messages.push({ kind: "command", command, args, reply });
  }

  event(event: string, data: JsonObject | undefined): void {
    this.messages.push({ kind: "event", event, data });
  }

  /** Runs `call`, recording its arguments and its answer, success or QMP error. */
  async record(
    command: string,
    args: JsonObject | undefined,
    call: () => Promise<JsonValue>,
  ): Promise<JsonValue> {
    try {
      const value = await call();
      this.command(command, args, { return: value });
      return value;
    } catch (error) {
      const body = error as { errorClass?: string; desc?: string };
      this.command(command, args, {
        error: { class: body.errorClass ?? "GenericError", desc: body.desc ?? String(error) },
      });
      throw error;
    }
  }
}
