/**
 * `jobshim migrate --source ADDRESS --dest ADDRESS [--uri URI] [--postcopy] [--json]
 * [--storage NODE[=DEST_NODE]]...`: a live migration between two running QEMUs through the job
 * facade, with an honest progress line; `--storage` also carries disks without shared storage.
 * Ctrl-C cancels the migration (the source keeps running) and closes everything it opened.
 */
import type { Command } from "commander";
import { AddressError, parseAddress } from "../../src/transports/address.ts";
import { runMigrate } from "./migrate-run.ts";
import { parseStorage } from "./migrate-storage.ts";

interface MigrateFlags {
  source: string;
  dest: string;
  uri?: string;
  postcopy?: boolean;
  storage: string[];
  json?: boolean;
  maxBandwidth?: string;
  downtimeLimit?: string;
}

export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("live-migrate a QEMU guest to another QEMU through the job API, with progress")
    .requiredOption(
      "--source <address>",
      "the source QEMU's QMP monitor: unix:PATH, tcp:HOST:PORT or ws://HOST:PORT",
    )
    .requiredOption("--dest <address>", "the destination QEMU's QMP monitor (started with -incoming defer)")
    .option(
      "--uri <uri>",
      "the migration stream's URI (default: a private unix socket; both QEMUs on this host)",
    )
    .option("--postcopy", "allow postcopy; when the copy does not converge, switch to it with job-complete")
    .option(
      "--storage <node[=dest-node]>",
      "mirror the source's block node to the destination's node (default: same name) over NBD, switching over together with the migration; repeat per disk",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--max-bandwidth <MiB/s>", "bandwidth limit of the migration")
    .option("--downtime-limit <ms>", "longest pause of the guest allowed at switchover")
    .option("--json", "print one JSON object per line instead of a progress bar")
    .action(async (flags: MigrateFlags) => {
      const options = validated(flags);
      const controller = new AbortController();
      const interrupt = () =>
        controller.abort(new Error("interrupted: migration cancelled, the source keeps running"));
      const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
      for (const name of signals) process.once(name, interrupt);
      process.stdout.once("error", interrupt);
      try {
        const result = await runMigrate({
          ...options,
          interactive: !flags.json && process.stdout.isTTY === true,
          columns: () => process.stdout.columns,
          write: (text) => process.stdout.write(text),
          signal: controller.signal,
        });
        if (result.outcome !== "completed") process.exitCode = 1;
      } finally {
        for (const name of signals) process.off(name, interrupt);
        process.stdout.off("error", interrupt);
      }
    });
}

/** Every flag checked before anything connects: one clear line for the first bad one. */
function validated(flags: MigrateFlags) {
  for (const [flag, address] of [
    ["--source", flags.source],
    ["--dest", flags.dest],
  ] as const) {
    try {
      parseAddress(address);
    } catch (error) {
      if (error instanceof AddressError) throw new Error(`${flag}: ${error.message}`);
      throw error;
    }
  }
  if (flags.source === flags.dest) throw new Error("--source and --dest name the same monitor");
  if (flags.uri !== undefined && !/^[a-z][a-z0-9+-]*:./.test(flags.uri))
    throw new Error(`--uri '${flags.uri}' is not a migration URI (e.g. unix:PATH, tcp:HOST:PORT)`);
  if (flags.storage.length > 0 && flags.postcopy)
    throw new Error(
      "--storage cannot be combined with --postcopy: the disks switch over with the migration at pre-switchover, which postcopy never holds at, and after postcopy starts the source could not fall back to its own disks (decision 0003)",
    );
  const storage = parseStorage(flags.storage);
  return {
    source: flags.source,
    dest: flags.dest,
    uri: flags.uri,
    postcopy: flags.postcopy === true,
    storage,
    json: flags.json === true,
    maxBandwidth: optionalPositive(flags.maxBandwidth, "--max-bandwidth", "MiB/s", 1024 * 1024),
    downtimeLimitMs: optionalPositive(flags.downtimeLimit, "--downtime-limit", "milliseconds", 1),
  };
}

function optionalPositive(
  text: string | undefined,
  flag: string,
  unit: string,
  scale: number,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || text.trim() === "")
    throw new Error(`${flag} needs a positive number of ${unit}, not '${text}'`);
  return Math.round(value * scale);
}
