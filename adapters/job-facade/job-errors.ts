/** QEMU's own texts for refused job commands (job.c, job-qmp.c), so clients can match on them. */
import { QmpCommandError } from "../../src/qmp/server-session.ts";

export const jobNotFound = (): QmpCommandError => new QmpCommandError("GenericError", "Job not found");

export const verbRefused = (id: string, status: string, verb: string): QmpCommandError =>
  new QmpCommandError(
    "GenericError",
    `Job '${id}' in state '${status}' cannot accept command verb '${verb}'`,
  );

export const idInUse = (id: string): QmpCommandError =>
  new QmpCommandError("GenericError", `Job ID '${id}' already in use`);

export const invalidId = (id: string): QmpCommandError =>
  new QmpCommandError("GenericError", `Invalid job ID '${id}'`);

export const generic = (desc: string): QmpCommandError => new QmpCommandError("GenericError", desc);

/**
 * QEMU's id_wellformed(): a letter first, then letters, digits, '-', '.', '_'. Job IDs follow it,
 * so a migration job ID is accepted exactly when QEMU would accept it for a block job.
 */
export const isWellFormedId = (id: string): boolean => /^[A-Za-z][A-Za-z0-9._-]*$/.test(id);
