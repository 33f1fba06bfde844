/** QEMU 7.2's texts for refused legacy migration commands (migration.c), so clients can match on them. */
import { QmpCommandError } from "../../src/qmp/server-session.ts";

const generic = (desc: string): QmpCommandError => new QmpCommandError("GenericError", desc);

export const migrationActive = (): QmpCommandError => generic("There's a migration process in progress");

export const notInExpectedState = (status: string): QmpCommandError =>
  generic(`Migration not in expected state: ${status}`);

export const postcopyNotEnabled = (): QmpCommandError =>
  generic("Enable postcopy with migrate_set_capability before the start of migration");

export const postcopyBeforeStart = (): QmpCommandError =>
  generic("Postcopy must be started after migration has been started");

export const recoverOnlyWhenPaused = (): QmpCommandError =>
  generic("Migrate recover can only be run when postcopy is paused.");

export const noPausedMigration = (): QmpCommandError =>
  generic("Cannot resume if there is no paused migration");
