import type { Command } from "commander";
import { DemoUnavailable, GUEST_MIB, MAX_FILL_MIB, runDemo } from "../../adapters/demo/run-demo.ts";

interface DemoFlags {
  fill: string;
  bandwidth: string;
  postcopy?: boolean;
  model?: boolean;
}

/**
 * `jobshim demo`: a live migration between two local QEMUs, driven only through the job API of
 * the job facade, with a progress bar and a summary. Ctrl-C stops every process it started.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("migrate a live QEMU guest to a second QEMU through the job API, with progress")
    .option(
      "--fill <MiB>",
      `random bytes loaded into the source guest's ${GUEST_MIB} MiB of RAM, at most ${MAX_FILL_MIB}`,
      "96",
    )
    .option("--bandwidth <MiB/s>", "max-bandwidth of the migration job", "32")
    .option("--postcopy", "allow postcopy and switch over with job-complete")
    .option("--model", "run on the embedded QEMU 7.2 model (the default when qemu-system-x86_64 is missing)")
    .action(async (flags: DemoFlags) => {
      const controller = new AbortController();
      const stopped = (why: string) => () =>
        controller.abort(new Error(`${why}: stopped every QEMU and proxy`));
      const signals = {
        SIGINT: stopped("interrupted (Ctrl-C)"),
        SIGTERM: stopped("terminated (SIGTERM)"),
        SIGHUP: stopped("hung up (SIGHUP: the terminal went away)"),
      };
      // A closed stdout (`jobshim demo | head`) must stop the demo the same way, not orphan QEMU.
      // Every later write fails too: `on`, not `once`, or the second EPIPE is an uncaught error that
      // exits before the cleanup has removed the pair's files.
      let closed = false;
      const outputClosed = () => {
        closed = true;
        controller.abort(new Error("output closed: stopped every QEMU and proxy"));
      };
      for (const [name, handler] of Object.entries(signals)) process.once(name, handler);
      process.stdout.on("error", outputClosed);
      try {
        const summary = await runDemo({
          fillMiB: positive(flags.fill, "--fill"),
          bandwidthMiB: positive(flags.bandwidth, "--bandwidth"),
          postcopy: flags.postcopy === true,
          interactive: process.stdout.isTTY === true,
          columns: () => process.stdout.columns,
          write: (text) => closed || process.stdout.write(text),
          signal: controller.signal,
          model: flags.model === true,
        });
        if (summary.outcome !== "completed") process.exitCode = 1;
      } catch (error) {
        if (!(error instanceof DemoUnavailable)) throw error;
        process.stderr.write(`jobshim demo: ${error.message}\n`);
        process.exitCode = 1;
      } finally {
        for (const [name, handler] of Object.entries(signals)) process.off(name, handler);
        process.stdout.off("error", outputClosed);
      }
    });
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${flag} needs a positive whole number, not '${text}'`);
  return value;
}
