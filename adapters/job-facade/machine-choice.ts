/** Which refining machine a migration job follows, fixed when it is created (decision 0001, 3). */
import {
  MigrationIncomingJobStateMachine,
  MigrationJobStateMachine,
  MigrationPostcopyJobStateMachine,
} from "../../src/generated/state-tables.ts";

export type MigrationMachine =
  | typeof MigrationJobStateMachine
  | typeof MigrationPostcopyJobStateMachine
  | typeof MigrationIncomingJobStateMachine;

export type Direction = "outgoing" | "incoming";

export function machineFor(direction: Direction, postcopy: boolean): MigrationMachine {
  if (direction === "incoming") return MigrationIncomingJobStateMachine;
  return postcopy ? MigrationPostcopyJobStateMachine : MigrationJobStateMachine;
}
