/**
 * The QEMU versions installed on this machine, for tests that run the same check on each:
 * 7.2 is the distribution's (`$QEMU`, else `qemu-system-x86_64` on PATH), 10.0 the one
 * `scripts/install-qemu-10.0.sh` unpacks beside it (`$QEMU_10_0`, else the wrapper in its prefix).
 * A missing version is left out after one loud line; under `REQUIRE_QEMU=1` (CI) it is an error.
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";

export type QemuVersionLabel = "7.2" | "10.0";

export interface QemuBinary {
  /** The major.minor this binary is expected to report in `query-version`. */
  version: QemuVersionLabel;
  major: number;
  minor: number;
  /** An executable that takes QEMU's usual arguments (for 10.0, a wrapper adding its ROM paths). */
  binary: string;
}

/** Where `scripts/install-qemu-10.0.sh` installs by default (same variable, same default). */
export const qemu10Prefix = process.env.JOBSHIM_QEMU_PREFIX ?? "/opt/jobshim/qemu-10.0";

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

interface Candidate {
  version: QemuVersionLabel;
  major: number;
  minor: number;
  find(): string | undefined;
  /** Where it was looked for and how to get it, for the skip line and the CI error. */
  missing: string;
}

const CANDIDATES: Candidate[] = [
  {
    version: "7.2",
    major: 7,
    minor: 2,
    find: () => {
      const explicit = process.env.QEMU;
      if (explicit !== undefined) return executable(explicit) ? explicit : undefined;
      return onPath("qemu-system-x86_64");
    },
    missing: `no QEMU 7.2 (${process.env.QEMU ? `$QEMU=${process.env.QEMU} is not executable` : "no qemu-system-x86_64 on PATH"}; apt-get install qemu-system-x86 or set $QEMU)`,
  },
  {
    version: "10.0",
    major: 10,
    minor: 0,
    find: () => {
      const file = process.env.QEMU_10_0 ?? path.join(qemu10Prefix, "bin", "qemu-system-x86_64");
      return executable(file) ? file : undefined;
    },
    missing: `no QEMU 10.0 (${process.env.QEMU_10_0 ?? path.join(qemu10Prefix, "bin", "qemu-system-x86_64")} is not executable; run scripts/install-qemu-10.0.sh or set $QEMU_10_0)`,
  },
];

const warned = new Set<QemuVersionLabel>();

/** One version's binary, or undefined after one loud line (an error under `REQUIRE_QEMU=1`). */
export function qemuBinary(version: QemuVersionLabel): QemuBinary | undefined {
  const candidate = CANDIDATES.find((c) => c.version === version);
  if (!candidate) throw new Error(`unknown QEMU version label ${version}`);
  const binary = candidate.find();
  if (binary !== undefined) return { version, major: candidate.major, minor: candidate.minor, binary };
  if (process.env.REQUIRE_QEMU === "1") throw new Error(`REQUIRE_QEMU=1 but ${candidate.missing}`);
  if (!warned.has(version)) {
    warned.add(version);
    console.warn(`\n*** SKIPPING QEMU ${version} runs: ${candidate.missing} ***\n`);
  }
  return undefined;
}

/** Every version this machine has, oldest first. */
export function qemuBinaries(): QemuBinary[] {
  return CANDIDATES.map((c) => qemuBinary(c.version)).filter((b): b is QemuBinary => b !== undefined);
}

/** Every version the project knows, present here or not, so a test can name what it skipped. */
export const knownQemuVersions: readonly QemuVersionLabel[] = CANDIDATES.map((c) => c.version);
