/**
 * Test-only: a scripted stand-in for QEMU's legacy migration API behind the job facade. It keeps
 * one migration status, capabilities and parameters, answers the commands the facade sends
 * with QEMU 7.2's texts, and emits MIGRATION events only while capability `events` is on. Tests
 * drive the migration with `goto`; `silently` changes the status with no event (a lost CAS).
 */
import type { Upstream } from "../../../adapters/job-facade/upstream.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../../src/qmp/protocol.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";

const RUNNING = [
  "setup",
  "active",
  "pre-switchover",
  "device",
  "cancelling",
  "wait-unplug",
  "postcopy-active",
  "postcopy-paused",
  "postcopy-recover",
];

export class FakeQemu implements Upstream {
  status = "none";
  readonly caps = new Map<string, boolean>([
    ["events", false],
    ["postcopy-ram", false],
    ["pause-before-switchover", false],
    ["xbzrle", false],
  ]);
  readonly params: JsonObject = {};
  readonly calls: { command: string; args: JsonObject | undefined }[] = [];
  ram = { transferred: 0, remaining: 1000, total: 1000, "dirty-sync-count": 0, mbps: 8 };
  errorDesc: string | undefined;
  readonly oobEnabled = false;
  private readonly eventListeners: ((event: QmpEvent) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];

  async execute(command: string, args?: JsonObject): Promise<JsonValue> {
    this.calls.push({ command, args });
    await Promise.resolve();
    return this.answer(command, args ?? {});
  }

  onEvent(listener: (event: QmpEvent) => void): void {
    this.eventListeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    for (const listener of this.closeListeners) listener();
  }

  /** The migration moves to `status`, announced by a MIGRATION event if `events` is on. */
  goto(status: string): void {
    this.status = status;
    if (this.caps.get("events")) this.emit("MIGRATION", { status });
  }

  /** The migration moves with no event, as after a lost compare-and-swap in QEMU. */
  silently(status: string): void {
    this.status = status;
  }

  emit(event: string, data?: JsonObject): void {
    const message: QmpEvent = {
      event,
      timestamp: { seconds: 1, microseconds: 0 },
      ...(data ? { data } : {}),
    };
    for (const listener of this.eventListeners) listener(message);
  }

  commandsSent(): string[] {
    return this.calls.map((c) => c.command);
  }

  private answer(command: string, args: JsonObject): JsonValue {
    switch (command) {
      case "query-migrate-capabilities":
        return [...this.caps].map(([capability, state]) => ({ capability, state }));
      case "migrate-set-capabilities":
        return this.setCaps(args);
      case "migrate-set-parameters":
        Object.assign(this.params, args);
        return {};
      case "query-migrate":
        return this.queryMigrate();
      case "migrate":
      case "migrate-incoming":
        if (args.resume === true) return {};
        if (RUNNING.includes(this.status))
          throw new QmpError("GenericError", "There's a migration process in progress");
        return {};
      case "migrate_cancel":
        if (RUNNING.includes(this.status)) this.goto("cancelling");
        return {};
      case "migrate-continue":
        if (this.status !== args.state)
          throw new QmpError("GenericError", `Migration not in expected state: ${this.status}`);
        this.goto("device");
        return {};
      case "migrate-start-postcopy":
      case "migrate-pause":
      case "migrate-recover":
        return {};
      case "query-jobs":
        return [];
      case "job-cancel":
      case "job-finalize":
        return fail("GenericError", "Job not found");
      default:
        return fail("CommandNotFound", `The command ${command} has not been found`);
    }
  }

  private setCaps(args: JsonObject): JsonValue {
    if (RUNNING.includes(this.status))
      throw new QmpError("GenericError", "There's a migration process in progress");
    for (const entry of args.capabilities as JsonObject[])
      this.caps.set(entry.capability as string, entry.state as boolean);
    return {};
  }

  private queryMigrate(): JsonValue {
    if (this.status === "none") return {};
    const info: JsonObject = { status: this.status, ram: { ...this.ram } };
    if (this.errorDesc !== undefined) info["error-desc"] = this.errorDesc;
    return info;
  }
}

function fail(errorClass: string, desc: string): never {
  throw new QmpError(errorClass, desc);
}
