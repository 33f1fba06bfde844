/**
 * The destination side of a migration, as QEMU 7.2 runs it after `-incoming defer`:
 * `migrate-incoming` announces `setup` but leaves the state `none` until a source connects;
 * then active → completed (guest started), or postcopy-active → postcopy-paused on a broken
 * link → (migrate-recover, source resumes) postcopy-recover → postcopy-active. A broken
 * precopy ends `failed` and the process exits. QEMU 10.0 enters `setup` for real on
 * `migrate-incoming` (announced only with `events`), and stays after a failure when told
 * `exit-on-error: false`.
 */
import type { JsonObject } from "../qmp/json-value.ts";
import { QmpCommandError } from "../qmp/server-session.ts";
import type { IncomingEndpoint, MigrationStream, StreamEnd } from "./migration-link.ts";
import { socketAddressOf } from "./migration-link.ts";
import type { ModelHost } from "./model-host.ts";

const generic = (desc: string) => new QmpCommandError("GenericError", desc);

/**
 * What 10.0's destination keeps as its error after a broken precopy stream (exit-on-error off):
 * the stream broke inside a section; QEMU says "Input/output error" when it broke between two.
 */
const INCOMING_FAILURE = "load of migration failed: Invalid argument";

export class IncomingMigration implements IncomingEndpoint, StreamEnd {
  state = "none";
  private started = false;
  private socketAddress: JsonObject[] | undefined;
  private stream: MigrationStream | undefined;
  private crashed = false;
  private exitOnError = true;
  private errorDesc: string | undefined;

  constructor(private readonly host: ModelHost) {}

  /** `migrate-incoming`. */
  start(uri: string, exitOnError = true): void {
    if (this.started) throw generic("The incoming migration has already been started");
    if (this.host.runState !== "inmigrate")
      throw generic("'-incoming' was not specified on the command line");
    this.exitOnError = exitOnError;
    if (this.host.profile.version === "10.0") this.listen10(uri);
    else this.listen(uri);
    this.started = true;
  }

  /** `migrate-recover`. */
  recover(uri: string): void {
    if (this.state !== "postcopy-paused")
      throw generic("Migrate recover can only be run when postcopy is paused.");
    // 7.2 has no "already triggered" check: a second migrate-recover simply listens again.
    this.listen(uri);
  }

  /**
   * QEMU 7.2 announces setup before it looks at the URI, without changing its state
   * (query-migrate still has none), and sends this one event even with `events` off; an unknown
   * protocol is refused after it, and the command may be retried. The model knows unix: and
   * tcp: only, so exec:/fd: get the unknown-protocol refusal here (7.2 would accept them).
   */
  private listen(uri: string): void {
    this.host.emit("MIGRATION", { status: "setup" });
    const address = socketAddressOf(uri);
    if (!address) throw generic(`unknown migration protocol: ${uri}`);
    this.socketAddress = address;
    this.host.links.listen(uri, this);
  }

  /** QEMU 10.0: the URI is parsed first; only an accepted one enters `setup`. */
  private listen10(uri: string): void {
    const address = socketAddressOf(uri);
    if (!address) throw generic(`unknown migration protocol: ${uri}`);
    this.socketAddress = address;
    this.host.links.listen(uri, this);
    this.set("setup");
  }

  accept(stream: MigrationStream, resume: boolean): void {
    this.stream = stream;
    stream.destination = this;
    this.set(resume ? "postcopy-recover" : "active");
  }

  /** The source switched to postcopy: the guest runs here from now on. */
  postcopyStarted(): void {
    this.set("postcopy-active");
    this.host.startGuest();
  }

  /** The source finished postcopy recovery. */
  recovered(): void {
    this.set("postcopy-active");
  }

  completed(): void {
    if (this.host.runState !== "running") this.host.startGuest();
    this.set("completed");
    this.socketAddress = undefined;
  }

  broken(): void {
    this.stream = undefined;
    if (this.crashed) return;
    if (this.state === "postcopy-active" || this.state === "postcopy-recover") {
      this.set("postcopy-paused");
      return;
    }
    if (this.state === "completed" || this.state === "none") return;
    this.set("failed");
    if (this.exitOnError) {
      this.host.exit();
      return;
    }
    this.errorDesc = INCOMING_FAILURE;
    this.socketAddress = undefined;
  }

  /** The destination's part of query-migrate. */
  info(): JsonObject {
    const info: JsonObject = {};
    if (this.socketAddress) info["socket-address"] = this.socketAddress;
    if (this.state !== "none") info.status = this.state;
    if (this.errorDesc) info["error-desc"] = this.errorDesc;
    return info;
  }

  /** `migrate-pause` on the destination: its end of the link is shut down. */
  crashLink(): void {
    this.stream?.cut();
  }

  /** A crash: the source sees the link break. */
  crash(): void {
    this.crashed = true;
    this.stream?.cut();
  }

  private set(state: string): void {
    this.state = state;
    this.host.emitMigration(state);
  }
}
