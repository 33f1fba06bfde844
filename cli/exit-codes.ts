/**
 * Exit statuses a script can tell apart: what was wrong with the command line, with reaching
 * QEMU, or with what QEMU answered. Documented in the --help of `qmp` and `shell`.
 */
import { QmpConnectionError, QmpError, QmpTimeoutError } from "../src/qmp/qmp-error.ts";

export const EXIT_FAILURE = 1;
/** Bad flags or arguments: nothing was sent. */
export const EXIT_USAGE = 2;
/** Could not connect, no greeting, or the connection dropped. */
export const EXIT_CONNECTION = 3;
/** QEMU answered with an error. */
export const EXIT_QMP_ERROR = 4;
/** No reply, or not the awaited event, within --timeout. */
export const EXIT_TIMEOUT = 5;

/** A mistake on the command line, found before anything was sent. */
export class UsageError extends Error {}

/** `--wait-event` gave up. */
export class EventTimeoutError extends Error {}

export const EXIT_CODES_HELP = `
Exit status:
  0  success
  1  any other failure
  2  usage: bad flags or arguments, nothing sent
  3  connection: could not connect, no QMP greeting, or the connection dropped
  4  QMP error: the server answered {"error": ...}, or (qmp) the job the command started failed
  5  timeout: no reply within --timeout, or (qmp) no awaited event within --wait-timeout`;

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof QmpConnectionError) return EXIT_CONNECTION;
  if (error instanceof QmpError) return EXIT_QMP_ERROR;
  if (error instanceof QmpTimeoutError || error instanceof EventTimeoutError) return EXIT_TIMEOUT;
  return EXIT_FAILURE;
}
