/** Which refining machine a migration job follows, fixed when it is created (decision 0001, 3). */
import {
  MigrationIncomingJobStateMachine,
  MigrationJobStateMachine,
  MigrationPostcopyHeldJobStateMachine,
  MigrationPostcopyJobStateMachine,
} from "../../src/generated/state-tables.ts";

export type MigrationMachine =
  | typeof MigrationJobStateMachine
  | typeof MigrationPostcopyJobStateMachine
  | typeof MigrationPostcopyHeldJobStateMachine
  | typeof MigrationIncomingJobStateMachine;

export type Direction = "outgoing" | "incoming";

/**
 * Postcopy held before its switchover (auto-finalize off = pause-before-switchover) has a
 * machine of its own: there the switchover is the finalization and postcopy runs in pending.
 */
export function machineFor(direction: Direction, postcopy: boolean, autoFinalize: boolean): MigrationMachine {
  if (direction === "incoming") return MigrationIncomingJobStateMachine;
  if (!postcopy) return MigrationJobStateMachine;
  return autoFinalize ? MigrationPostcopyJobStateMachine : MigrationPostcopyHeldJobStateMachine;
}
