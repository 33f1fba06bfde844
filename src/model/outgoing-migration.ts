/**
 * The source side of a migration, as QEMU 7.2's migration thread walks it (reference §2):
 * none → setup (first dirty sync) → active, one pass after another at `max-bandwidth`; when the
 * rest fits in `downtime-limit` the guest stops, optionally waits in pre-switchover (then device),
 * sends the rest and completes. `migrate-start-postcopy` switches to postcopy-active instead; a
 * broken link fails a precopy and pauses a postcopy. Every step is driven by the model's clock.
 * Where QEMU 10.0 walks differently (every switchover passes `device`, postcopy-recover-setup,
 * cancel refused in postcopy), the host's profile says so.
 */
import type { JsonObject } from "../qmp/json-value.ts";
import { QmpCommandError } from "../qmp/server-session.ts";
import type { IncomingMigration } from "./incoming-migration.ts";
import { MigrationStream, type StreamEnd, socketAddressOf } from "./migration-link.ts";
import type { ModelHost } from "./model-host.ts";
import { type RamShape, RamTransfer } from "./ram-transfer.ts";

const generic = (desc: string) => new QmpCommandError("GenericError", desc);

/** QEMU's migration_is_running(). */
export const RUNNING_STATES = new Set([
  "setup",
  "active",
  "postcopy-active",
  "postcopy-paused",
  "postcopy-recover",
  "postcopy-recover-setup",
  "device",
  "cancelling",
  "pre-switchover",
  "wait-unplug",
  "colo",
]);
const WITH_STATS = new Set([
  "active",
  "cancelling",
  "postcopy-active",
  "pre-switchover",
  "device",
  "postcopy-paused",
  "postcopy-recover",
  "postcopy-recover-setup",
]);
const POSTCOPY = new Set(["postcopy-active", "postcopy-recover"]);
/** 10.0's migration_in_postcopy(): where migrate_cancel is refused. */
const IN_POSTCOPY = new Set([
  "postcopy-active",
  "postcopy-paused",
  "postcopy-recover-setup",
  "postcopy-recover",
]);

export interface OutgoingTiming {
  /** Wall time of the setup phase (ms). */
  setupMs: number;
  /** Step of the migration thread (ms). */
  tickMs: number;
}

export class OutgoingMigration implements StreamEnd {
  state = "none";
  private ram: RamTransfer;
  private stream: MigrationStream | undefined;
  private peer: IncomingMigration | undefined;
  private cancelTimer: (() => void) | undefined;
  private startedAt = 0;
  private setupTime = 0;
  private totalTime = 0;
  private downtime = 0;
  private expectedDowntime = 0;
  private errorDesc: string | undefined;
  private postcopyRequested = false;
  private guestWasRunning = false;
  /** The guest is stopped for the switchover: no more passes. */
  private switching = false;
  /** Held in pre-switchover on the way to postcopy (pause-before-switchover with postcopy). */
  private postcopyHeld = false;
  /** The migration thread runs (a turn of the event loop after `migrate`). */
  private threadStarted = false;

  constructor(
    private readonly host: ModelHost,
    private readonly shape: RamShape,
    private readonly timing: OutgoingTiming,
  ) {
    this.ram = new RamTransfer(shape);
  }

  get running(): boolean {
    return RUNNING_STATES.has(this.state);
  }

  /** `migrate`. */
  start(uri: string, resume: boolean): void {
    if (resume) {
      this.resume(uri);
      return;
    }
    if (this.running) throw generic("There's a migration process in progress");
    if (this.host.runState === "inmigrate") throw generic("Guest is waiting for an incoming migration");
    if (this.host.runState === "postmigrate")
      throw generic("Can't migrate the vm that was paused due to previous migration");
    // 10.0 parses the URI before it leaves `none`; 7.2 after it entered setup.
    if (this.host.profile.version === "10.0" && !socketAddressOf(uri))
      throw generic(`unknown migration protocol: ${uri}`);
    this.reset();
    this.set("setup");
    this.threadStarted = false;
    this.host.clock.schedule(0, () => {
      this.threadStarted = true;
    });
    if (!socketAddressOf(uri)) {
      this.fail(undefined);
      throw generic("Parameter 'uri' expects a valid migration protocol");
    }
    const endpoint = this.host.links.connect(uri);
    if (!endpoint) {
      const target = uri.startsWith("unix:") ? uri.slice(5) : uri.slice(4);
      const why = uri.startsWith("unix:") ? "No such file or directory" : "Connection refused";
      // QEMU connects asynchronously: `migrate` succeeds and the failure follows.
      this.host.clock.schedule(this.timing.setupMs, () =>
        this.fail(`Failed to connect to '${target}': ${why}`),
      );
      return;
    }
    this.stream = new MigrationStream(this);
    endpoint.accept(this.stream, false);
    this.peer = endpoint as IncomingMigration;
    this.host.clock.schedule(this.timing.setupMs, () => this.setupDone());
  }

  /** `migrate_cancel`: nothing to do unless a migration runs; refused in postcopy on 10.0. */
  cancel(): void {
    if (this.host.profile.cancelRefusedInPostcopy && IN_POSTCOPY.has(this.state))
      throw generic("Postcopy migration in progress, cannot cancel.");
    if (!this.running || this.state === "cancelling") return;
    const from = this.state;
    this.set("cancelling");
    if (from === "setup" && this.host.profile.version === "10.0") {
      this.cancelSetup10();
      return;
    }
    if (from === "setup") return; // the setup step ends it
    // 10.0 shuts the channel down under a thread waiting in pre-switchover: its error stays.
    if (from === "pre-switchover" && this.host.profile.version === "10.0")
      this.errorDesc = "Channel error: Input/output error";
    this.cancelTimer = this.host.clock.schedule(this.timing.tickMs, () => this.end("cancelled"));
  }

  /**
   * 10.0, a cancel in setup: the reply goes first, then the thread notices. A cancel sent with
   * `migrate` (same write) finds the thread not started: `cancelled`, then the setup's pass. A
   * later one finds it in ram_save_setup, which fails on the shut channel: the pass, then
   * `cancelled` with that error.
   */
  private cancelSetup10(): void {
    const inRamSaveSetup = this.threadStarted;
    if (inRamSaveSetup) this.errorDesc = "ram_save_setup failed: Input/output error";
    this.cancelTimer = this.host.clock.schedule(this.timing.tickMs, () => {
      if (inRamSaveSetup) this.sync();
      this.end("cancelled");
      if (!inRamSaveSetup) this.sync();
    });
  }

  /** `migrate-continue`. */
  continueFrom(expected: string): void {
    if (this.state !== expected) throw generic(`Migration not in expected state: ${this.state}`);
    // QEMU wakes the migration thread: the reply goes out before the thread moves on.
    if (this.state === "pre-switchover")
      this.host.clock.schedule(0, () => {
        if (this.state !== "pre-switchover") return;
        if (this.postcopyHeld) {
          this.enterPostcopy();
          this.tick(this.host.clock.now());
          return;
        }
        this.set("device");
        this.finalPass();
      });
  }

  /** `migrate-start-postcopy`. */
  requestPostcopy(): void {
    if (!this.host.settings.has("postcopy-ram"))
      throw generic("Enable postcopy with migrate_set_capability before the start of migration");
    if (this.state === "none") throw generic("Postcopy must be started after migration has been started");
    this.postcopyRequested = true;
  }

  /** `migrate-pause` on the source, or a network fault: the link is cut. */
  pause(): boolean {
    const pausable =
      this.state === "postcopy-active" ||
      (this.host.profile.postcopyRecoverSetup && this.state === "postcopy-recover");
    if (!pausable) return false;
    this.stream?.cut();
    return true;
  }

  /** A fault: the migration stream breaks in whatever state it is. */
  dropNetwork(): void {
    this.stream?.cut();
  }

  broken(): void {
    this.stream = undefined;
    if (POSTCOPY.has(this.state)) {
      this.set("postcopy-paused");
      return;
    }
    if (this.running && this.state !== "postcopy-paused") this.fail("Unable to write to socket: Broken pipe");
  }

  info(): JsonObject {
    const s = this.state;
    if (s === "none") return {};
    if (s === "failed" || s === "cancelled")
      return this.errorDesc ? { status: s, "error-desc": this.errorDesc } : { status: s };
    if (s === "completed" || WITH_STATS.has(s)) return { status: s, ...this.times(), ram: this.ramStats() };
    return { status: s };
  }

  private ramStats(): JsonObject {
    const stats = this.ram.stats();
    if (!this.host.profile.ramSkipped) delete stats.skipped;
    return stats;
  }

  private times(): JsonObject {
    if (this.state === "completed")
      return { "setup-time": this.setupTime, "total-time": this.totalTime, downtime: this.downtime };
    return {
      "setup-time": this.setupTime,
      "total-time": this.host.clock.now() - this.startedAt,
      "expected-downtime": this.expectedDowntime,
    };
  }

  private reset(): void {
    this.ram = new RamTransfer(this.shape);
    this.startedAt = this.host.clock.now();
    this.setupTime = this.totalTime = this.downtime = 0;
    this.expectedDowntime = this.host.settings.downtimeLimitMs;
    this.errorDesc = undefined;
    this.postcopyRequested = false;
    this.switching = false;
    this.postcopyHeld = false;
    this.guestWasRunning = this.host.runState === "running";
  }

  private setupDone(): void {
    if (this.state !== "setup" && this.state !== "cancelling") return;
    if (this.state === "cancelling" && this.host.profile.version === "10.0") return; // cancel() ends it
    this.sync();
    if (this.state === "cancelling") {
      this.end("cancelled");
      return;
    }
    this.setupTime = this.host.clock.now() - this.startedAt;
    this.set("active");
    this.tick(this.host.clock.now());
  }

  private tick(last: number): void {
    const now = this.host.clock.now();
    const ms = Math.max(0, now - last);
    if (this.state === "active") this.precopyStep(ms);
    else if (this.state === "postcopy-active") this.postcopyStep();
    if (this.state === "active" || this.state === "postcopy-active" || this.state === "postcopy-recover")
      this.host.clock.schedule(this.timing.tickMs, () => this.tick(now));
  }

  private precopyStep(ms: number): void {
    if (this.switching) return;
    if (this.host.runState === "running") this.ram.guestRuns(ms);
    if (this.postcopyRequested) {
      this.startPostcopy();
      return;
    }
    const bandwidth = this.host.settings.bandwidth;
    const used = this.ram.send((bandwidth * ms) / 1000, "precopy");
    this.ram.mbps = ms > 0 ? (used * 8) / 1000 / ms : 0;
    this.ram.pagesPerSecond = ms > 0 ? Math.round((used / 4096 / ms) * 1000) : 0;
    const threshold = (bandwidth / 1000) * this.host.settings.downtimeLimitMs;
    this.expectedDowntime = Math.round((this.ram.remainingCost / bandwidth) * 1000);
    if (this.ram.remainingBytes >= threshold) return;
    this.sync();
    if (this.ram.remainingBytes < threshold) this.switchover();
  }

  /** The rest fits in the allowed downtime: stop the guest, maybe wait, then send the rest. */
  private switchover(): void {
    this.switching = true;
    this.guestWasRunning = this.host.stopGuest("finish-migrate");
    if (this.host.settings.has("pause-before-switchover")) {
      this.set("pre-switchover");
      return;
    }
    if (this.host.profile.deviceOnEverySwitchover) this.set("device");
    this.finalPass();
  }

  private finalPass(): void {
    this.sync();
    const bytes = this.ram.sendAll("downtime");
    this.downtime = Math.max(1, Math.round((bytes / this.host.settings.bandwidth) * 1000));
    this.host.clock.schedule(this.downtime, () => {
      if (this.state === "device" || this.state === "active") this.complete();
    });
  }

  /**
   * 7.2 announces postcopy-active before stopping the guest; with pause-before-switchover it
   * stops the guest and holds in pre-switchover instead, and migrate-continue enters postcopy.
   */
  private startPostcopy(): void {
    // 7.2 remembers whether the guest ran only when precopy completes: a postcopy cancelled
    // later leaves the source's guest stopped (no RESUME).
    this.guestWasRunning = false;
    if (this.host.settings.has("pause-before-switchover")) {
      this.host.stopGuest("finish-migrate");
      this.switching = true;
      this.postcopyHeld = true;
      this.set("pre-switchover");
      return;
    }
    if (this.host.profile.deviceOnEverySwitchover) {
      // 10.0: the guest stops and the devices go in `device`, then postcopy starts.
      this.guestWasRunning = this.host.stopGuest("finish-migrate");
      this.set("device");
    } else {
      this.set("postcopy-active");
      this.host.stopGuest("finish-migrate");
    }
    this.enterPostcopy();
  }

  private enterPostcopy(): void {
    // 10.0 passes `device` on the way into postcopy, also after a pre-switchover hold.
    if (this.host.profile.deviceOnEverySwitchover && this.state === "pre-switchover") this.set("device");
    if (this.state === "device") {
      this.sync();
      this.set("postcopy-active");
    } else {
      if (this.state !== "postcopy-active") this.set("postcopy-active");
      this.sync();
    }
    this.peer?.postcopyStarted();
  }

  /** Postcopy sends at max-postcopy-bandwidth (0: unlimited) until nothing is left. */
  private postcopyStep(): void {
    const limit = this.host.settings.params["max-postcopy-bandwidth"];
    const perTick =
      typeof limit === "number" && limit > 0 ? (limit * this.timing.tickMs) / 1000 : Number.MAX_SAFE_INTEGER;
    this.ram.send(perTick, "postcopy");
    if (this.ram.remainingBytes === 0) this.complete();
  }

  private resume(uri: string): void {
    if (this.state !== "postcopy-paused") throw generic("Cannot resume if there is no paused migration");
    if (this.host.profile.postcopyRecoverSetup) this.set("postcopy-recover-setup");
    const endpoint = this.host.links.connect(uri);
    if (!endpoint) return;
    this.stream = new MigrationStream(this);
    endpoint.accept(this.stream, true);
    this.set("postcopy-recover");
    this.host.clock.schedule(this.timing.tickMs, () => {
      if (this.state !== "postcopy-recover") return;
      this.set("postcopy-active");
      this.peer?.recovered();
      this.tick(this.host.clock.now());
    });
  }

  private complete(): void {
    this.totalTime = this.host.clock.now() - this.startedAt;
    this.set("completed");
    this.host.runState = "postmigrate";
    this.stream?.finish();
    this.stream = undefined;
    this.peer?.completed();
  }

  /** Cancelled or failed: the guest runs again if the migration had stopped it. */
  private end(status: "cancelled" | "failed"): void {
    this.cancelTimer?.();
    const stream = this.stream;
    this.stream = undefined;
    if (this.host.runState === "finish-migrate" && this.guestWasRunning) this.host.startGuest();
    else if (this.host.runState === "finish-migrate") this.host.runState = "paused";
    this.set(status);
    // The destination sees the connection close under it.
    if (stream?.isOpen) stream.cut();
  }

  private fail(desc: string | undefined): void {
    this.errorDesc = desc;
    this.end("failed");
  }

  private sync(): void {
    this.ram.sync();
    if (this.host.settings.has("events")) this.host.emit("MIGRATION_PASS", { pass: this.ram.syncCount });
  }

  private set(state: string): void {
    this.state = state;
    this.host.emitMigration(state);
  }
}
