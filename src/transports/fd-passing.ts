/**
 * The descriptor-passing addon (native/fd-passing, built by `npm install`), if it could be built
 * and loaded. Without it everything works except passing descriptors over unix sockets, and
 * `descriptorPassingUnavailable` says why (docs/decisions/0005-descriptor-passing.md).
 */
import { closeSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface FdPassingAddon {
  /** Reads a duplicate of `fd` with recvmsg whenever it is readable; see fd_passing.c. */
  watch(
    fd: number,
    callback: (chunk: Buffer | null, descriptors: number[] | undefined, errno: number) => void,
  ): unknown;
  unwatch(watcher: unknown): void;
  /** One sendmsg (non-blocking): bytes written, or -errno. */
  send(fd: number, bytes: Buffer, descriptors: readonly number[]): number;
  /** A close-on-exec copy of `fd`, or -errno. */
  dup(fd: number): number;
}

/** Set to `off` to run as if the addon had not been built (the fallback, and the bench's baseline). */
export const FD_PASSING_SWITCH = "JOBSHIM_FD_PASSING";

const ADDON_FILE = join("native", "fd-passing", "build", "Release", "fd_passing.node");

function load(): { addon: FdPassingAddon } | { unavailable: string } {
  if (process.env[FD_PASSING_SWITCH] === "off")
    return { unavailable: `turned off by ${FD_PASSING_SWITCH}=off` };
  if (process.platform !== "linux")
    return { unavailable: `implemented for Linux only, not ${process.platform}` };
  // src/transports/ in the sources, dist/src/transports/ once compiled: the package root is above either.
  const here = dirname(fileURLToPath(import.meta.url));
  const path = [join(here, "..", ".."), join(here, "..", "..", "..")]
    .map((root) => join(root, ADDON_FILE))
    .find((candidate) => existsSync(candidate));
  if (!path)
    return { unavailable: `the addon was not built (no ${ADDON_FILE}; run \`node bin/build-native.js\`)` };
  try {
    return { addon: createRequire(import.meta.url)(path) as FdPassingAddon };
  } catch (error) {
    return { unavailable: `the addon ${path} does not load: ${(error as Error).message}` };
  }
}

const loaded = load();

export const fdPassingAddon: FdPassingAddon | undefined = "addon" in loaded ? loaded.addon : undefined;

/** Why descriptors cannot be passed, or undefined when they can. */
export const descriptorPassingUnavailable: string | undefined =
  "unavailable" in loaded ? loaded.unavailable : undefined;

/** Closes descriptors this process owns; one already closed is no reason to keep others open. */
export function closeDescriptors(descriptors: Iterable<number>): void {
  for (const fd of descriptors) {
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing left to release.
    }
  }
}

let warned = false;

/** Says once per process, loudly, that unix listeners cannot take descriptors. */
export function warnDescriptorPassingUnavailable(where: string): void {
  if (warned || descriptorPassingUnavailable === undefined) return;
  warned = true;
  process.stderr.write(
    `jobshim: WARNING: file descriptor passing is unavailable (${descriptorPassingUnavailable}): ` +
      `clients of ${where} cannot pass descriptors (getfd, add-fd); everything else works\n`,
  );
}
