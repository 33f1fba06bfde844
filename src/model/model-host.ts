/** What the migration parts of a model need from the model around them. */
import type { JsonObject } from "../qmp/json-value.ts";
import type { ModelClock } from "./clock.ts";
import type { MigrationLinks } from "./migration-link.ts";
import type { MigrationSettings } from "./migration-settings.ts";
import type { ModelProfile } from "./profile.ts";

export type RunState = "running" | "paused" | "inmigrate" | "postmigrate" | "finish-migrate";

export interface ModelHost {
  /** Which QEMU version the model behaves as. */
  readonly profile: ModelProfile;
  readonly clock: ModelClock;
  readonly settings: MigrationSettings;
  readonly links: MigrationLinks;
  runState: RunState;
  emit(event: string, data?: JsonObject): void;
  /** MIGRATION, only while the `events` capability is on (QEMU's rule). */
  emitMigration(status: string): void;
  /** Stops the guest (STOP) into `state`; returns whether it was running. */
  stopGuest(state: RunState): boolean;
  /** Starts the guest (RESUME). */
  startGuest(): void;
  /** The process ends (the destination exits when an incoming migration fails, unless told not to on 10.0). */
  exit(): void;
}
