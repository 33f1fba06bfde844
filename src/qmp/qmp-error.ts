/** Errors a QMP client raises, each naming what went wrong in words a user can act on. */
import type { QmpErrorClass } from "./protocol.ts";

/** The server answered with `{"error": {"class", "desc"}}`. */
export class QmpError extends Error {
  constructor(
    readonly errorClass: QmpErrorClass,
    readonly desc: string,
    readonly command?: string,
  ) {
    super(`${errorClass}: ${desc}`);
    this.name = "QmpError";
  }
}

/** The connection ended (or could not be made) before a reply arrived. */
export class QmpConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QmpConnectionError";
  }
}

/** No reply within the caller's time limit. */
export class QmpTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`QMP command '${command}' got no reply within ${timeoutMs} ms`);
    this.name = "QmpTimeoutError";
  }
}
