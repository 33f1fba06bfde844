/**
 * The embedded QEMU model: an in-process QMP server that answers like QEMU 7.2 (the default) or,
 * with `version: "10.0"`, like QEMU 10.0 (profile.ts) for the migration and block-job subset;
 * test/src/model/equivalence.test.ts is what it is trusted for (the same scenarios on real QEMU
 * of each version and on the model of that profile give equal normalised traces). One model is one
 * QEMU process: a source (a running guest) or a destination (`-incoming defer`). Its `qmpAddress`
 * is a real QMP socket, so the job facade proxy and `jobshim demo` sit in front of it exactly as
 * in front of QEMU. Faults on demand: `faults.dropNetwork()`, `crash()`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GENERATED_ARGUMENT_SCHEMAS, QmpArgumentValidator } from "../qmp/argument-validator.ts";
import type { JsonObject, JsonValue } from "../qmp/json-value.ts";
import { QmpServer } from "../qmp/server.ts";
import { QmpCommandError, type QmpHandler } from "../qmp/server-session.ts";
import type { Listener } from "../transports/listen.ts";
import { argumentSchemas10 } from "./arguments-10.0.ts";
import { BlockJobs } from "./block-jobs.ts";
import { type ModelClock, realClock } from "./clock.ts";
import { IncomingMigration } from "./incoming-migration.ts";
import { type MigrationLinks, processLinks } from "./migration-link.ts";
import { MigrationSettings } from "./migration-settings.ts";
import type { ModelHost, RunState } from "./model-host.ts";
import { OutgoingMigration } from "./outgoing-migration.ts";
import { type ModelProfile, type ModelVersion, modelProfile } from "./profile.ts";

export interface QemuModelOptions {
  /** Which QEMU the model behaves as (profile.ts). Default "7.2". */
  version?: ModelVersion;
  /** `destination` behaves as QEMU started with `-incoming defer`. Default `source`. */
  role?: "source" | "destination";
  /** Guest RAM in MiB (default 128). */
  ramMiB?: number;
  /** MiB of that RAM holding non-zero data (default 64). */
  fillMiB?: number;
  /** How fast the guest dirties memory, bytes per second (default 0: an idle guest). */
  dirtyBytesPerSecond?: number;
  clock?: ModelClock;
  /** The migration step in ms of model time (default 20). */
  tickMs?: number;
  links?: MigrationLinks;
  /** Where to serve QMP; default a unix socket in a fresh temp directory. */
  listen?: string;
}

const MIB = 1024 * 1024;
const generic = (desc: string) => new QmpCommandError("GenericError", desc);

export class QemuModel {
  readonly server: QmpServer;
  readonly outgoing: OutgoingMigration;
  readonly incoming: IncomingMigration;
  readonly faults: { dropNetwork(): void };
  readonly profile: ModelProfile;
  private readonly host: ModelHost;
  private listener: Listener | undefined;
  private dir: string | undefined;
  private address = "";
  private exited = false;

  constructor(options: QemuModelOptions = {}) {
    const clock = options.clock ?? realClock;
    this.profile = modelProfile(options.version);
    this.host = this.makeHost(clock, options);
    const shape = {
      ramBytes: (options.ramMiB ?? 128) * MIB,
      fillBytes: (options.fillMiB ?? 64) * MIB,
      dirtyBytesPerSecond: options.dirtyBytesPerSecond ?? 0,
    };
    this.outgoing = new OutgoingMigration(this.host, shape, { setupMs: 5, tickMs: options.tickMs ?? 20 });
    this.incoming = new IncomingMigration(this.host);
    const blockJobs = new BlockJobs(
      (event, data) => this.host.emit(event, data),
      (fn) => void clock.schedule(0, fn),
    );
    const validator = new QmpArgumentValidator(
      this.profile.version === "10.0" ? argumentSchemas10() : GENERATED_ARGUMENT_SCHEMAS,
    );
    this.server = new QmpServer({
      handlers: { ...this.handlers(), ...blockJobs.handlers },
      validate: validator.validate,
      version: this.profile.queryVersion,
      clock: () => clock.now() * 1000,
    });
    this.faults = { dropNetwork: () => this.outgoing.dropNetwork() };
  }

  /** Starts a model serving QMP; `qmpAddress` says where. */
  static async start(options: QemuModelOptions = {}): Promise<QemuModel> {
    const model = new QemuModel(options);
    await model.serve(options.listen);
    return model;
  }

  get qmpAddress(): string {
    return this.address;
  }

  get runState(): RunState {
    return this.host.runState;
  }

  async serve(listen?: string): Promise<void> {
    if (!listen) this.dir = mkdtempSync(path.join(tmpdir(), "jobshim-model-"));
    this.address = listen ?? `unix:${path.join(this.dir as string, "qmp.sock")}`;
    this.listener = await this.server.listen(this.address);
  }

  /** The process dies: its QMP connections close, its migration link breaks. */
  crash(): void {
    this.incoming.crash();
    this.host.exit();
  }

  async close(): Promise<void> {
    this.exited = true;
    this.outgoing.dropNetwork();
    this.host.links.unlisten(this.incoming);
    await this.server.close();
    await this.listener?.close().catch(() => undefined);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private makeHost(clock: ModelClock, options: QemuModelOptions): ModelHost {
    const settings = new MigrationSettings(this.profile.version);
    const host: ModelHost = {
      profile: this.profile,
      clock,
      settings,
      links: options.links ?? processLinks,
      runState: options.role === "destination" ? "inmigrate" : "running",
      emit: (event, data) => {
        if (!this.exited) this.server.emitEvent(event, data);
      },
      emitMigration: (status) => {
        if (settings.has("events")) host.emit("MIGRATION", { status });
      },
      stopGuest: (state) => {
        const wasRunning = host.runState === "running";
        if (wasRunning) host.emit("STOP");
        host.runState = state;
        return wasRunning;
      },
      startGuest: () => {
        host.runState = "running";
        host.emit("RESUME");
      },
      exit: () => {
        if (this.exited) return;
        this.exited = true;
        host.links.unlisten(this.incoming);
        void this.server.close();
        void this.listener?.close().catch(() => undefined);
      },
    };
    return host;
  }

  private handlers(): Record<string, QmpHandler> {
    const out = this.outgoing;
    const inc = this.incoming;
    const settings = this.host.settings;
    return {
      "query-status": () => this.queryStatus(),
      stop: () => void this.host.stopGuest("paused"),
      cont: () => this.cont(),
      migrate: (a) => void out.start(this.migrationUri(a), a.resume === true),
      "migrate-incoming": (a) => void inc.start(this.migrationUri(a), a["exit-on-error"] !== false),
      migrate_cancel: () => void out.cancel(),
      "migrate-continue": (a) => void out.continueFrom(String(a.state)),
      "migrate-start-postcopy": () => void out.requestPostcopy(),
      "migrate-pause": () => this.pause(),
      "migrate-recover": (a) => void inc.recover(String(a.uri)),
      "migrate-set-capabilities": (a) => {
        if (out.running) throw generic("There's a migration process in progress");
        settings.setCapabilities(a.capabilities);
        return undefined;
      },
      "query-migrate-capabilities": () => settings.queryCapabilities(),
      "migrate-set-parameters": (a) => void settings.setParameters(a),
      "query-migrate-parameters": () => ({ ...settings.params }),
      "query-migrate": () => ({ ...out.info(), ...inc.info() }) as JsonValue,
    };
  }

  private queryStatus(): JsonObject {
    const status = this.host.runState;
    if (!this.profile.singlestep) return { status, running: status === "running" };
    return { status, singlestep: false, running: status === "running" };
  }

  /**
   * The URI of `migrate`/`migrate-incoming`: `uri`, or (10.0) the main channel's address as the
   * URI it stands for. 7.2's schema requires `uri`, so only 10.0 gets here without one.
   */
  private migrationUri(args: JsonObject): string {
    const channels = Array.isArray(args.channels) && args.channels.length > 0 ? args.channels : undefined;
    if ((args.uri === undefined) === (channels === undefined))
      throw generic("need either 'uri' or 'channels' argument");
    if (!channels) return String(args.uri);
    const main = channels.find((c) => (c as JsonObject)["channel-type"] === "main") as JsonObject | undefined;
    if (!main) throw generic("Channel list has no main entry");
    return uriOfAddress(main.addr as JsonObject);
  }

  private cont(): undefined {
    // With -incoming the guest starts when the migration completes (QEMU's autostart).
    if (this.host.runState === "inmigrate" || this.host.runState === "running") return undefined;
    this.host.startGuest();
    return undefined;
  }

  private pause(): undefined {
    if (this.outgoing.pause()) return undefined;
    if (this.incoming.state === "postcopy-active") {
      this.incoming.crashLink();
      return undefined;
    }
    throw generic(this.profile.pauseRefusal);
  }
}

/** A MigrationAddress as the URI QEMU would have taken for it (socket and exec; the rest unmodelled). */
function uriOfAddress(addr: JsonObject): string {
  if (addr.transport === "socket" && addr.type === "unix") return `unix:${String(addr.path)}`;
  if (addr.transport === "socket" && addr.type === "inet")
    return `tcp:${String(addr.host)}:${String(addr.port)}`;
  if (addr.transport === "exec") return `exec:${(addr.args as string[]).join(" ")}`;
  return `${String(addr.transport)}:`;
}
